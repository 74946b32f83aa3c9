"""A bare-metal GPU pool: named machines already in a cluster, made a pool by labels and a taint.

Each node gets one `kubernetes.core.v1.NodePatch` (server-side apply). The labels are the ones the cloud pools
carry (components/aws/nodepool.py, components/gcp/nodepool.py), so a workload selects a pool the same way
everywhere, plus one `llmops.dev/allow-<class>: "true"` label per data class the pool may hold: the placement
contract the data placement admission policy (components/k8s/placement.py) checks pods against.

How the patch behaves (pulumi-kubernetes "Managing Resources with Server-Side Apply" guide, section "Patch a
Resource"; NodePatch docstring in the SDK):
- Each Patch resource applies with its own, randomly named field manager. We keep that default: a fixed name
  (annotation `pulumi.com/patchFieldManager`) would make a replaced patch's delete remove the fields its
  replacement has just applied under the same manager.
- Labels are a map, so our manager owns only our keys; labels other managers set (kubelet, NFD, the GPU
  operator's feature discovery) are left alone.
- `spec.taints` is an atomic list (`x-kubernetes-list-type: atomic` in the upstream schema kubernetes-validate
  ships, nodespec-v1.json for 1.37): a server-side apply owns the whole list, never single entries. So:
  * without `pulumi.com/patchForce` (our default), applying fails with a conflict if another manager (kubelet
    `--register-with-taints`, `kubectl taint`, a controller) owns the node's current taints. The operator then
    sees who owns them and decides; nothing is dropped silently.
  * with `force=True` (annotation `pulumi.com/patchForce: "true"`) our list replaces the node's whole taint list
    and we take ownership: taints other managers set are REMOVED, e.g. a maintenance `NoExecute` taint added with
    `kubectl taint` (the same effect reported in fluxcd/kustomize-controller#772, "Patching Node manifest taints
    removes existing taints"). Controllers that own their taints (node lifecycle controller) add theirs back.
  * moving a node from one pool to another in one update conflicts (the old patch still owns the list when the
    new one applies): move it in two updates, or force.
- Deleting a NodePatch (a node leaves the pool) removes the labels and taints it applied; the node itself stays.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from llmops_infra.components.capacity import Capacity, capacity_row
from llmops_infra.components.k8s.gpu_software import GPU_PRESENT_LABEL
from llmops_infra.components.spec import KUBERNETES_EFFECT, BareMetalPoolSpec, MachinePoolSpec, Taint
from llmops_infra.components.tagging import pool_labels

# The taint GPU machines carry so that pods asking for no GPU stay off them; the same key, value and effect as the
# GKE GPU pools (components/gcp/nodepool.py GPU_TAINT, docs/accelerators.md). Pods tolerate the key with
# `operator: Exists`, so EKS nodes' `nvidia.com/gpu=true` taint (components/catalog/aws.py) is tolerated alike.
GPU_TAINT = Taint(key="nvidia.com/gpu", value="present", effect="NO_SCHEDULE")
GPU_RESOURCE = "nvidia.com/gpu"
# Server-side apply option annotations of pulumi-kubernetes (see the module docstring).
PATCH_FORCE = "pulumi.com/patchForce"


def pool_node_labels(spec: MachinePoolSpec) -> dict[str, str]:
    """The pool labels every pool carries, plus the one the NVIDIA device plugin chart schedules on."""
    return {
        **pool_labels(
            spec.role,
            spec.name,
            accelerator=spec.accelerator,
            count=spec.accelerators_per_node,
            allowed=spec.allowed_classifications,
            extra=spec.labels,
        ),
        # Without node feature discovery (K3s sites run the plugin alone) the chart needs this label; the GPU
        # Operator's discovery sets the same value.
        GPU_PRESENT_LABEL: "true",
    }


def pool_taints(extra: Iterable[Taint]) -> list[Taint]:
    """The GPU taint first, then the spec's taints less any on the same key and effect (a duplicate to the API)."""
    first = GPU_TAINT
    return [first, *(t for t in extra if (t.key, t.effect) != (first.key, first.effect))]


def taint_args(taints: Sequence[Taint]) -> list[dict[str, str]]:
    """Taints as a Node object takes them, with the Kubernetes effect names (NoSchedule ...)."""
    return [{"key": t.key, "value": t.value, "effect": KUBERNETES_EFFECT[t.effect]} for t in taints]


def untyped(value: dict[str, Any]) -> Any:
    """A plain dict in the API's shape for an SDK argument typed as a TypedDict (mypy cannot match the two)."""
    return value


def node_patches(
    name: str, spec: BareMetalPoolSpec, *, parent: pulumi.Resource, force: bool = False
) -> list[k8s.core.v1.NodePatch]:
    """One NodePatch per node of `spec`, children of `parent` (the one place node labels and taints are written:
    BareMetalGpuPool and the K3s edge sites both come here)."""
    labels = pool_node_labels(spec)
    # Plain dicts (Any: the SDK types them as TypedDicts) in the API's shape.
    node_spec: Any = {"taints": taint_args(pool_taints(spec.taints))}
    # Only a forced patch carries an annotation (it lands on the Node object itself).
    forced: dict[str, Any] = {"annotations": {PATCH_FORCE: "true"}} if force else {}
    return [
        k8s.core.v1.NodePatch(
            f"{name}-{node}",
            metadata=untyped({"name": node, "labels": labels, **forced}),
            spec=node_spec,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for node in spec.nodes
    ]


class BareMetalGpuPool(pulumi.ComponentResource):
    """GPU machines of an existing cluster (on-prem or EKS Hybrid Nodes) labelled and tainted as one pool.

    Each named node gets one NodePatch (server-side apply) with the labels every pool carries (`llmops.dev/role`,
    `pool`, `accelerator`, `accelerator-count`, one `allow-<class>` per allowed data class) plus
    `nvidia.com/gpu.present`, and the taint list `nvidia.com/gpu=present:NoSchedule` followed by the spec's.
    The patch owns only its own label keys; labels other managers set are left alone. Taints are an atomic list:
    components/k8s/nodes.py explains what `force` does to them. Deleting the pool removes its labels and taints; the
    nodes stay.

    Args:
        name: Component name, the prefix of each node's patch.
        spec: BareMetalPoolSpec: the nodes, role, accelerator and count, allowed data classes, extra labels and
            taints.
        force: Apply with `pulumi.com/patchForce`: take over the node's whole taint list, REMOVING taints other
            managers set. False (default): applying fails with a conflict while another manager owns the taints.
        opts: Resource options; its provider is the cluster's Kubernetes API (server-side apply on).

    Outputs:
        patches: The `kubernetes.core.v1.NodePatch` of each node.
        capacity: The pool's row of the capacity table: min, desired and max are all the node count (registered
            with `nodes`).

    Security:
        - Data placement: the node label `llmops.dev/allow-<class>` only for `spec.allowed_classifications`; the
          data placement policy admits pods of phi or personal namespaces only to nodes with their class's label.
        - Scheduling: the GPU taint keeps pods that ask for no GPU off the machines.
        - Ownership: server-side apply touches only the fields this pool owns; nothing is dropped silently
          unless `force` is set.
    """

    patches: list[k8s.core.v1.NodePatch]
    capacity: Capacity

    def __init__(
        self,
        name: str,
        spec: BareMetalPoolSpec,
        *,
        force: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llmops:k8s:BareMetalGpuPool", name, None, opts)
        self.patches = node_patches(name, spec, parent=self, force=force)
        count = len(spec.nodes)
        # The same row as the cloud pools' (components/aws/nodepool.py): a fixed set of machines, so min, desired
        # and max are all the node count.
        # No `verified`: the per-node count is the operator's own statement about its machines, not a catalog
        # row that could be unverified, so `llmops preview` has nothing to warn about.
        self.capacity = capacity_row(
            spec.name, "bare-metal", spec.accelerator, spec.accelerators_per_node, (count, count, count)
        )
        self.register_outputs({"nodes": list(spec.nodes), "capacity": self.capacity})
