"""GKE clusters and node pools as rules read them: where a cluster configures its nodes.

A node's settings (boot disk key, service account, metadata mode) live in several places: a node pool's own
nodeConfig, each inline nodePools entry of a cluster, the cluster's top-level nodeConfig (its default node pool)
and the defaults of node pools GKE creates itself (node auto-provisioning, Autopilot). Every GKE rule that judges
nodes reads them through here, so a place is never forgotten by one rule and judged by another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from llmops_infra.policies.runtime.props import is_true, listed, mapping
from llmops_infra.policies.runtime.resources import GKE_CLUSTER, GKE_NODE_POOL
from llmops_infra.policies.runtime.rule import Resource, judge_each

AUTO_PROVISIONING = "clusterAutoscaling.autoProvisioningDefaults"


NodeJudge = Callable[[str, Mapping[str, Any]], Iterable[str]]


def judge_node_configs(resource: Resource, judge: NodeJudge, include_autopilot: bool | None = None) -> Iterator[str]:
    """`judge(property path, nodeConfig)`'s messages for every place the cluster or node pool configures its nodes,
    each judged on its own (rule.judge_each): a value unknown at preview in one hides no violation in another.

    A node pool has its own nodeConfig (absent: GKE's defaults). A cluster has one per inline nodePools entry,
    and its top-level nodeConfig configures the default node pool, which GKE creates unless the cluster has
    inline node pools, removes it (removeDefaultNodePool) or is Autopilot (GKE manages the nodes; see
    auto_provisioning). A default pool with no nodeConfig runs on GKE's defaults, judged as an empty config. With
    `include_autopilot` given, the defaults of the node pools GKE creates itself are judged last (auto_provisioning).
    """
    props = resource.props
    if resource.type == GKE_NODE_POOL:
        yield from judge("nodeConfig", mapping(props.get("nodeConfig")))
        return

    def inline_pools() -> Iterator[str]:
        pools = listed(props.get("nodePools"))
        yield from judge_each(
            pools, lambda i, pool: judge(f"nodePools[{i}].nodeConfig", mapping(mapping(pool).get("nodeConfig")))
        )

    def default_pool() -> Iterator[str]:
        if is_true(props.get("enableAutopilot")):
            return
        config = props.get("nodeConfig")
        if config is not None:
            yield from judge("nodeConfig", mapping(config))
        elif not listed(props.get("nodePools")) and not is_true(props.get("removeDefaultNodePool")):
            yield from judge("nodeConfig", {})

    def provisioned() -> Iterator[str]:
        if include_autopilot is None:
            return
        defaults = auto_provisioning(resource, include_autopilot)
        if defaults is not None:
            yield from judge(AUTO_PROVISIONING, defaults)

    yield from judge_each((inline_pools, default_pool, provisioned), lambda _, place: place())


def auto_provisioning(resource: Resource, include_autopilot: bool) -> Mapping[str, Any] | None:
    """The defaults of node pools GKE creates itself (node auto-provisioning), when the cluster has any.

    The SDK: autoProvisioningDefaults holds "defaults for a node pool created by NAP"; `enabled` "must be
    supplied for GKE Standard clusters, true is implied for autopilot clusters". With `include_autopilot` the
    Autopilot-managed nodes count too (the SDK documents its serviceAccount for "node VMs created by GKE
    Autopilot or NAP").
    """
    if resource.type != GKE_CLUSTER:
        return None
    autoscaling = mapping(resource.props.get("clusterAutoscaling"))
    is_autopilot = is_true(resource.props.get("enableAutopilot"))
    if (include_autopilot and is_autopilot) or (not is_autopilot and is_true(autoscaling.get("enabled"))):
        return mapping(autoscaling.get("autoProvisioningDefaults"))
    return None
