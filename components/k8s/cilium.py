"""Cilium, the CNI of EKS Hybrid Nodes: without a CNI the on-prem nodes stay NotReady.

Everything here follows the Amazon EKS User Guide, "Configure CNI for hybrid nodes"
(awsdocs/amazon-eks-user-guide latest/ug/nodes/hybrid-nodes-cni.adoc, and docs.aws.amazon.com
/eks/latest/userguide/hybrid-nodes-cni.html):
- Cilium v1.17.x and v1.18.x are supported for every EKS Kubernetes version; AWS support needs the AWS-maintained
  build, whose chart AWS hosts in ECR Public at oci://public.ecr.aws/eks/cilium/cilium (chart versions carry a
  build suffix, e.g. 1.17.6-0 in the guide, 1.17.9-0 and 1.18.3-0 in AWS-derived install notes). 1.17 is pinned:
  1.18.3 needs Linux >= 5.10 and so excludes Ubuntu 20.04 and RHEL 8 hosts, which on-prem fleets still run.
- values: agent and operator pinned to nodes labelled eks.amazonaws.com/compute-type=hybrid (cloud nodes keep the
  VPC CNI, which has anti-affinity to that label); ipam.mode cluster-pool with clusterPoolIPv4PodCIDRList equal to
  the cluster's remote pod networks and a per-node clusterPoolIPv4MaskSize (25: 128 pods per node, the guide's
  example), neither of which may change after install; loadBalancer.serviceTopology true; operator
  unmanagedPodWatcher.restart false (it would otherwise restart pods on cloud nodes it does not manage);
  envoy.enabled false; kubeProxyReplacement "false" (EKS runs kube-proxy).
- operator.replicas: the chart's default is 2; one hybrid node can hold only one (a lab note following the guide
  sets 1 for a single node), so the count is the smaller of 2 and the configured nodes.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from llmops_infra.components.catalog.kubernetes import CILIUM_NODE_MASK_SIZE as NODE_MASK_SIZE
from llmops_infra.components.spec import HybridSpec

CHART = "oci://public.ecr.aws/eks/cilium/cilium"
CHART_VERSION = "1.17.9-0"
NAMESPACE = "kube-system"
HYBRID_LABEL = "eks.amazonaws.com/compute-type"
HYBRID_VALUE = "hybrid"
CHART_DEFAULT_OPERATOR_REPLICAS = 2


def hybrid_affinity() -> dict[str, Any]:
    """Node affinity that requires the EKS hybrid node label (eks.amazonaws.com/compute-type=hybrid)."""
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": HYBRID_LABEL, "operator": "In", "values": [HYBRID_VALUE]}]}
                ]
            }
        }
    }


def cilium_values(spec: HybridSpec) -> dict[str, Any]:
    """The Cilium chart values AWS's hybrid nodes guide gives, with the spec's pod networks and node count."""
    nodes = spec.node_count
    return {
        "affinity": hybrid_affinity(),
        "ipam": {
            "mode": "cluster-pool",
            "operator": {
                "clusterPoolIPv4MaskSize": NODE_MASK_SIZE,
                "clusterPoolIPv4PodCIDRList": [str(c) for c in spec.remote_pod_cidrs],
            },
        },
        "loadBalancer": {"serviceTopology": True},
        "operator": {
            "replicas": max(1, min(CHART_DEFAULT_OPERATOR_REPLICAS, nodes)),
            "affinity": hybrid_affinity(),
            "unmanagedPodWatcher": {"restart": False},
        },
        "envoy": {"enabled": False},
        "kubeProxyReplacement": "false",
    }


class HybridCilium(pulumi.ComponentResource):
    """Cilium, the CNI of EKS Hybrid Nodes, as one Helm release: without a CNI the on-prem nodes stay NotReady.

    The AWS-built chart (`oci://public.ecr.aws/eks/cilium/cilium`, pinned 1.17.9-0) with the values of AWS's
    "Configure CNI for hybrid nodes" guide: agent and operator only on hybrid nodes (cloud nodes keep the VPC
    CNI), cluster-pool IPAM from the remote pod networks with a /25 per node, kube-proxy kept, Envoy off, and as
    many operator replicas as there are nodes, at most 2.

    Args:
        name: Component name; the release is named `cilium`.
        spec: HybridSpec: `remote_pod_cidrs` is the pod address pool (empty raises ValueError); the pools' node
            count sets the operator replicas.
        opts: Resource options; its provider is the EKS cluster's Kubernetes API.

    Outputs:
        release: The `kubernetes.helm.v3.Release` (registered outputs `release_name`, `chart_version`).

    Security:
        - Supply chain: the AWS-maintained chart from ECR Public, at a pinned version.
        - Isolation: the agents and operator run only on nodes labelled eks.amazonaws.com/compute-type=hybrid, in
          kube-system (a privileged system add-on, allowed only in the exempt namespaces); the operator does not
          restart pods on the cloud nodes it does not manage.
        - Addressing: pods get addresses only from the remote pod networks the config rules checked (RFC 1918,
          overlapping neither the VPC, the service range nor the node networks).
    """

    release: k8s.helm.v3.Release

    def __init__(self, name: str, spec: HybridSpec, *, opts: pulumi.ResourceOptions | None = None) -> None:
        # Without pod networks the chart would fall back to its own default pool, which nothing checked against
        # the VPC, the service range or the node networks; the config rules require them for the same reason.
        if not spec.remote_pod_cidrs:
            raise ValueError("Cilium allocates hybrid pod addresses from spec.remote_pod_cidrs; list at least one")
        super().__init__("llmops:k8s:HybridCilium", name, None, opts)
        self.release = k8s.helm.v3.Release(
            name,
            name="cilium",
            chart=CHART,
            version=CHART_VERSION,
            # kube-system: the CNI is a privileged system add-on, allowed only in exempt namespaces.
            namespace=NAMESPACE,
            values=cilium_values(spec),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"release_name": self.release.name, "chart_version": CHART_VERSION})
