"""HybridCilium through the offline engine: the AWS-maintained Cilium chart, pinned, in kube-system, running only
on hybrid nodes with the cluster's remote pod networks as its address pool (Amazon EKS "Configure CNI for hybrid
nodes")."""

from __future__ import annotations

import ipaddress
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from llmops_infra.cli.recording import Recording
from llmops_infra.components.k8s.cilium import HybridCilium
from llmops_infra.components.spec import HybridPoolSpec, HybridSpec
from tests.conftest import preview

RELEASE = "kubernetes:helm.sh/v3:Release"
HYBRID_ONLY = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {
                    "matchExpressions": [
                        {"key": "eks.amazonaws.com/compute-type", "operator": "In", "values": ["hybrid"]}
                    ]
                }
            ]
        }
    }
}


def pool(name: str, *nodes: str) -> HybridPoolSpec:
    """A hybrid pool of as many machines as `nodes` names (hybrid pools count their machines)."""
    return HybridPoolSpec(name=name, node_count=len(nodes), accelerator="nvidia-l40s", accelerators_per_node=4)


def spec(pods: tuple[str, ...] = ("192.168.64.0/20", "192.168.96.0/20"), pools: Any = None) -> HybridSpec:
    return HybridSpec(
        remote_node_cidrs=(ipaddress.IPv4Network("192.168.100.0/24"),),
        remote_pod_cidrs=tuple(ipaddress.IPv4Network(p) for p in pods),
        pools=pools if pools is not None else (pool("a", "n1", "n2"), pool("b", "n3")),
    )


def cilium_preview(hybrid: HybridSpec | None = None) -> Recording:
    def program() -> None:
        provider = k8s.Provider("cluster", kubeconfig="{}")
        HybridCilium("cilium", hybrid or spec(), opts=pulumi.ResourceOptions(provider=provider))

    return preview(program)


def values(rec: Recording) -> dict[str, Any]:
    return rec.one(RELEASE).inputs["values"]


def test_release_is_the_pinned_aws_build_in_kube_system() -> None:
    inputs = cilium_preview().one(RELEASE).inputs
    assert inputs["chart"] == "oci://public.ecr.aws/eks/cilium/cilium"
    assert inputs["version"] == "1.17.9-0"
    assert inputs["namespace"] == "kube-system"
    assert inputs["name"] == "cilium"


def test_agent_and_operator_run_only_on_hybrid_nodes() -> None:
    v = values(cilium_preview())
    assert v["affinity"] == HYBRID_ONLY
    assert v["operator"]["affinity"] == HYBRID_ONLY
    assert v["operator"]["unmanagedPodWatcher"] == {"restart": False}


def test_pod_addresses_come_from_the_remote_pod_networks() -> None:
    assert values(cilium_preview())["ipam"] == {
        "mode": "cluster-pool",
        "operator": {
            "clusterPoolIPv4MaskSize": 25,
            "clusterPoolIPv4PodCIDRList": ["192.168.64.0/20", "192.168.96.0/20"],
        },
    }


def test_documented_hybrid_settings() -> None:
    v = values(cilium_preview())
    assert v["envoy"] == {"enabled": False}
    assert v["loadBalancer"] == {"serviceTopology": True}
    assert v["kubeProxyReplacement"] == "false"


@pytest.mark.parametrize(("pools", "replicas"), [((pool("a", "n1"),), 1), ((pool("a", "n1", "n2", "n3"),), 2)])
def test_operator_replicas_fit_the_hybrid_nodes(pools: Any, replicas: int) -> None:
    assert values(cilium_preview(spec(pools=pools)))["operator"]["replicas"] == replicas


def test_release_is_parented_and_uses_the_given_provider() -> None:
    rec = cilium_preview()
    release = rec.one(RELEASE)
    assert release.parent == rec.one("llmops:k8s:HybridCilium", "cilium").urn
    assert "kubernetes::cluster" in release.provider


def test_without_pod_networks_it_is_refused() -> None:
    with pytest.raises(ValueError, match="remote_pod_cidrs"):
        HybridCilium("cilium", spec(pods=()))
