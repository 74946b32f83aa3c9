"""The device plugins an EKS cluster's node groups need besides NVIDIA's: AWS EFA and AWS Neuron.

A pool with `efa: true` gets EFA interfaces (components/aws/nodepool.py), but pods can only ask for them once a
device plugin advertises `vpc.amazonaws.com/efa`; a pool of an AWS Neuron family (inf2, trn1, trn2) advertises
`aws.amazon.com/neuron` (what the autoscaler's node-template tags promise) only with the Neuron device plugin. Each
plugin runs on exactly the pools that need it, tolerating exactly their taints. The charts are pinned in
components/catalog/charts.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from llmops_infra.components.aws.nodepool import node_group_taints
from llmops_infra.components.catalog import aws as catalog, charts
from llmops_infra.components.config.aws import check_pool
from llmops_infra.components.config.refusal import refuse
from llmops_infra.components.k8s.gpu_software import helm_release
from llmops_infra.components.spec import KUBERNETES_EFFECT, AcceleratorPoolSpec, Taint
from llmops_infra.components.tagging import EFA_LABEL, POOL_LABEL

# Both plugins are node daemons of kube-system: the EFA chart's README installs into kube-system
# (`helm install efa ./aws-efa-k8s-device-plugin -n kube-system`), and the Neuron chart's device plugin is placed
# there whatever the release's namespace (values.yaml devicePlugin.namespaceOverride: kube-system).
NAMESPACE = "kube-system"
EFA_CHART = charts.CHARTS[charts.EFA_DEVICE_PLUGIN]
NEURON_CHART = charts.CHARTS[charts.NEURON]
# Both charts' default toleration, kept when we set the list (EFA: templates/daemonset.yaml always adds it;
# Neuron: values.yaml devicePlugin.tolerations).
CRITICAL_ADDONS = {"key": "CriticalAddonsOnly", "operator": "Exists"}
# The Neuron chart's default affinity also keeps the plugin off Fargate, hybrid and EKS Auto Mode nodes
# (values.yaml devicePlugin.affinity: eks.amazonaws.com/compute-type NotIn [fargate, hybrid, auto]); ours keeps that.
EKS_COMPUTE_TYPE = "eks.amazonaws.com/compute-type"
NEURON_EXCLUDED_COMPUTE = ["fargate", "hybrid", "auto"]


def tolerations(pools: Sequence[AcceleratorPoolSpec]) -> list[dict[str, str]]:
    """One toleration per distinct taint of `pools` (each pool's vendor taint, then its own), matching it exactly."""
    seen: list[Taint] = []
    for pool in pools:
        seen += [t for t in node_group_taints(pool) if t not in seen]
    return [{"key": t.key, "operator": "Equal", "value": t.value, "effect": KUBERNETES_EFFECT[t.effect]} for t in seen]


def efa_values(pools: Sequence[AcceleratorPoolSpec]) -> dict[str, Any]:
    """aws-efa-k8s-device-plugin values (aws/eks-charts stable/aws-efa-k8s-device-plugin/values.yaml): on the EFA
    pools' nodes (their `llmops.dev/efa` label), tolerating their taints. The chart's own affinity, EFA-capable
    instance types only, stays."""
    return {"nodeSelector": {EFA_LABEL: "true"}, "tolerations": tolerations(pools)}


def neuron_values(pools: Sequence[AcceleratorPoolSpec]) -> dict[str, Any]:
    """neuron-helm-chart values (aws-neuron/neuron-helm-charts charts/neuron-helm-chart/values.yaml, 1.9.0): the
    device plugin only, on the Neuron pools' nodes (their pool label), tolerating their taints. The node problem
    detector is off as AWS's "Deploy the Neuron Device Plugin" step sets it (`--set "npd.enabled=false"`); the
    scheduler extension, DRA driver and UltraServer operator are the chart's defaults, off, pinned here."""
    names = sorted({pool.name for pool in pools})
    return {
        "devicePlugin": {
            "enabled": True,
            "tolerations": [CRITICAL_ADDONS, *tolerations(pools)],
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {"key": POOL_LABEL, "operator": "In", "values": names},
                                    {"key": EKS_COMPUTE_TYPE, "operator": "NotIn", "values": NEURON_EXCLUDED_COMPUTE},
                                ]
                            }
                        ]
                    }
                }
            },
        },
        "npd": {"enabled": False},
        "scheduler": {"enabled": False},
        "draDriver": {"enabled": False},
        "ultraserverOperator": {"enabled": False},
    }


class AcceleratorDevicePlugins(pulumi.ComponentResource):
    """The EFA and Neuron device plugins an EKS cluster's accelerator pools need, each only where needed.

    The EFA device plugin (chart `aws-efa-k8s-device-plugin`) runs on the nodes of every pool with `efa: true`
    (they carry `llmops.dev/efa: "true"`, set by GpuNodePool) and advertises `vpc.amazonaws.com/efa`. The Neuron
    device plugin (chart `neuron-helm-chart`, the device plugin alone) runs on the nodes of every pool of an AWS
    Neuron family (selected by their `llmops.dev/pool` label) and advertises `aws.amazon.com/neuron`. Each
    tolerates exactly the taints of its pools: the vendor taint and each pool's own `taints`. A cluster with no
    such pool gets no release. NVIDIA's device plugin is ClusterBaseline's (components/k8s/gpu_software.py).
    Pools the config would refuse raise ValueError with the config's message. Create one for the same pools
    you give GpuNodePool, with the cluster's Kubernetes provider.

    Args:
        name: Component name, the prefix of each release.
        spec: The cluster's accelerator pools (AcceleratorPoolSpec), as given to GpuNodePool.
        opts: Resource options; its provider is the cluster's Kubernetes API.

    Outputs:
        efa_pools: Names of the pools the EFA device plugin serves (registered output `efaPools`).
        neuron_pools: Names of the pools the Neuron device plugin serves (`neuronPools`).

    Security:
        - Least privilege: each plugin DaemonSet (privileged, host paths, by its chart) is scheduled only onto the
          pools that need it, never onto other nodes.
        - Supply chain: chart versions are pinned (components/catalog/charts.py).
    """

    efa_pools: list[str]
    neuron_pools: list[str]

    def __init__(
        self, name: str, spec: Sequence[AcceleratorPoolSpec], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("llmops:k8s:AcceleratorDevicePlugins", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        for pool in spec:
            refuse(f"pool {pool.name}", check_pool(pool, ()))
        efa = [pool for pool in spec if pool.efa]
        neuron = [pool for pool in spec if _vendor(pool) == "neuron"]
        self.efa_pools = [pool.name for pool in efa]
        self.neuron_pools = [pool.name for pool in neuron]
        if efa:
            helm_release(f"{name}-efa", EFA_CHART, NAMESPACE, efa_values(efa), [], child)
        if neuron:
            helm_release(f"{name}-neuron", NEURON_CHART, NAMESPACE, neuron_values(neuron), [], child)
        self.register_outputs({"efaPools": self.efa_pools, "neuronPools": self.neuron_pools})


def _vendor(pool: AcceleratorPoolSpec) -> str:
    it = catalog.lookup(pool.instance_type)
    assert it is not None  # check_pool refuses an instance type the catalog does not have
    return it.family.vendor
