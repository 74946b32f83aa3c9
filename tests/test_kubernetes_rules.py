"""Config rules of the kubernetes, onprem, hybrid and edge sections: a table of valid and invalid configs, each
invalid one with the key path the error must name and words its message must contain."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from llmops_infra.components.config.platform import parse_platform
from llmops_infra.components.spec import SpecError, format_path

POOL = {"name": "onprem-a100", "nodes": ["gpu-1", "gpu-2"], "accelerator": "nvidia-a100-80gb", "acceleratorsPerNode": 8}
HYBRID_POOL = {"name": "onprem-a100", "nodeCount": 2, "accelerator": "nvidia-a100-80gb", "acceleratorsPerNode": 8}
CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
DIGEST = "registry.example.com/vllm@sha256:" + "a" * 64

HYBRID: dict[str, Any] = {
    "targets": ["aws", "hybrid"],
    "region": "us-east-1",
    "owner": "ml-platform",
    "aws": {"network": {"cidr": "10.0.0.0/16"}, "cluster": {"serviceCidr": "172.20.0.0/16"}},
    "hybrid": {"remoteNodeCidrs": ["192.168.100.0/24"], "remotePodCidrs": ["192.168.64.0/20"],
               "gateway": {"transitGatewayId": "tgw-0a1b2c3d4e5f60718"}, "pools": [HYBRID_POOL]},
    "kubernetes": {"teams": [{"name": "research", "allowFromNamespaces": ["serving", "kube-system"]},
                             {"name": "serving"}]},
}  # fmt: skip
ONPREM: dict[str, Any] = {
    "targets": ["onprem"],
    "owner": "ml-platform",
    "onprem": {
        "pools": [POOL],
        "storageClass": {"provisioner": "ebs.csi.aws.com", "parameters": {"encrypted": "true"}},
    },
}
EDGE: dict[str, Any] = {
    "targets": ["aws", "edge"],
    "region": "us-east-1",
    "owner": "ml-platform",
    "buckets": [{"name": "models", "purpose": "model-artifacts"}],
    "edge": {
        "sites": [
            {
                "name": "store-1",
                "kind": "k3s",
                "kubeconfigKey": "llmops-infra:store1Kubeconfig",
                "nodes": ["jetson-1"],
                "server": {"image": DIGEST, "modelClaim": "models"},
            },
            {
                "name": "bos",
                "kind": "local-zone",
                "localZone": "us-east-1-bos-1a",
                "instanceType": "g6.xlarge",
                "subnetCidr": "10.0.200.0/24",
                "server": {"image": DIGEST, "modelUri": "s3://models/llama", "downloaderImage": DIGEST},
            },
        ]
    },
}
BASES = {"hybrid": HYBRID, "onprem": ONPREM, "edge": EDGE}


def changed(base: str, path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASES[base])
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node: Any = data
    for part in parents:
        node = node[part]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return data


DELETE = object()


def errors(data: dict[str, Any]) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_platform(data, "configs/Pulumi.bad.yaml")
    return [f"{format_path(p.path)}: {p.message}" for p in caught.value.problems]


@pytest.mark.parametrize("base", sorted(BASES))
def test_baselines_are_valid(base: str) -> None:
    parse_platform(BASES[base])


def test_time_slicing_with_a_mig_strategy_is_allowed() -> None:
    data = changed("hybrid", "kubernetes.gpuSoftware", {"migStrategy": "mixed", "timeSlicingReplicas": 4})
    parse_platform(data)


# (base, key path to change, new value, key path the error must name, words the message must contain)
BAD = [
    # targets and sections
    ("hybrid", "targets", ["hybrid"], "targets", "add aws to targets"),
    ("hybrid", "hybrid", DELETE, "hybrid", "needs a hybrid section"),
    ("hybrid", "onprem", {"pools": []}, "onprem", "add onprem to targets"),
    ("onprem", "onprem", DELETE, "onprem", "needs a onprem section"),
    ("edge", "edge", DELETE, "edge", "needs a edge section"),
    # hybrid networks
    ("hybrid", "hybrid.remoteNodeCidrs", ["10.0.8.0/24"], "hybrid.remoteNodeCidrs[0]", "the VPC CIDR aws.network.cidr"),
    ("hybrid", "hybrid.remoteNodeCidrs", ["172.20.4.0/24"], "hybrid.remoteNodeCidrs[0]", "aws.cluster.serviceCidr"),
    ("hybrid", "hybrid.remoteNodeCidrs", ["100.64.0.0/16"], "hybrid.remoteNodeCidrs[0]", "RFC 1918"),
    ("hybrid", "hybrid.remoteNodeCidrs", ["192.168.100.0/24", "192.168.100.128/25"], "hybrid.remoteNodeCidrs[1]",
     "overlaps hybrid.remoteNodeCidrs[0]"),
    ("hybrid", "hybrid.remotePodCidrs", ["192.168.100.0/24"], "hybrid.remotePodCidrs[0]",
     "overlaps hybrid.remoteNodeCidrs[0]"),
    ("hybrid", "hybrid.remotePodCidrs", ["10.0.128.0/20"], "hybrid.remotePodCidrs[0]", "aws.network.cidr"),
    ("hybrid", "hybrid.remotePodCidrs", ["8.8.0.0/16"], "hybrid.remotePodCidrs[0]", "RFC 1918"),
    ("hybrid", "hybrid.remotePodCidrs", [], "hybrid.remotePodCidrs", "Cilium"),
    ("hybrid", "hybrid.remotePodCidrs", ["192.168.64.0/26"], "hybrid.remotePodCidrs[0]", "/25 or larger"),
    ("hybrid", "hybrid.remotePodCidrs", ["192.168.64.0/25"], "hybrid.remotePodCidrs", "1 per-node /25 blocks"),
    ("hybrid", "hybrid.pools", [], "hybrid.pools", "at least one pool"),
    ("hybrid", "hybrid.pools.0.nodeCount", DELETE, "hybrid.pools[0].nodeCount", "required key is missing"),
    ("hybrid", "hybrid.pools.0.nodeCount", 0, "hybrid.pools[0].nodeCount", "at least 1"),
    ("hybrid", "hybrid.pools.0", POOL, "hybrid.pools[0].nodes", "no longer a key here; hybrid nodes are named only "
     "when they join (SSM gives each a mi-... id), so a hybrid pool counts its machines: write nodeCount:"),
    ("hybrid", "hybrid.pools", [HYBRID_POOL, {**HYBRID_POOL, "name": "b", "nodeCount": 200}], "hybrid.remotePodCidrs",
     "32 per-node /25 blocks for 202 nodes"),
    # hybrid gateway
    ("hybrid", "hybrid.gateway", DELETE, "hybrid.gateway", "required key is missing: give transitGatewayId (tgw-...)"),
    ("hybrid", "hybrid.gateway", {}, "hybrid.gateway", "neither is given; give exactly one"),
    ("hybrid", "hybrid.gateway", {"transitGatewayId": "tgw-0a1b2c3d", "virtualPrivateGatewayId": "vgw-0a1b2c3d"},
     "hybrid.gateway", "both are given; give exactly one"),
    ("hybrid", "hybrid.gateway.transitGatewayId", "tgw-xyz", "hybrid.gateway.transitGatewayId",
     "a transit gateway id: tgw- and 8 or 17 hex digits"),
    ("hybrid", "hybrid.gateway", {"virtualPrivateGatewayId": "tgw-0a1b2c3d"}, "hybrid.gateway.virtualPrivateGatewayId",
     "a virtual private gateway id: vgw- and 8 or 17 hex digits"),
    # hybrid credentials
    ("hybrid", "hybrid.credentials", "iam-roles-anywhere", "hybrid.trustAnchorCertificate", "PEM bundle"),
    ("hybrid", "hybrid.trustAnchorCertificate", CERT, "hybrid.trustAnchorCertificate", "only used with"),
    # pools
    ("hybrid", "aws.acceleratorPools", [{"name": "onprem-a100", "instanceType": "g6.xlarge", "maxSize": 2}],
     "hybrid.pools[0].name", "already used by aws.acceleratorPools[0]"),
    ("onprem", "onprem.pools", [POOL, {**POOL, "name": "other"}], "onprem.pools[1].nodes[0]", "already in"),
    ("onprem", "onprem.pools", [POOL, {**POOL, "nodes": ["gpu-9"]}], "onprem.pools[1].name", "used by onprem"),
    ("onprem", "onprem.storageClass.parameters", {}, "onprem.storageClass.parameters", "encrypted"),
    # edge
    ("edge", "edge.sites.1.name", "store-1", "edge.sites[1].name", "unique"),
    ("edge", "edge.sites.0.kubeconfigKey", DELETE, "edge.sites[0].kubeconfigKey", "kubeconfig"),
    ("edge", "edge.sites.0.nodes", [], "edge.sites[0].nodes", "GPU nodes"),
    ("edge", "edge.sites.0.localZone", "us-east-1-bos-1a", "edge.sites[0].localZone", "only for kind local-zone"),
    ("edge", "edge.sites.0.server.modelUri", "s3://models/llama", "edge.sites[0].server", "exactly one of modelUri"),
    ("edge", "edge.sites.0.server", {"image": DIGEST, "modelUri": "s3://models/x"}, "edge.sites[0].server.modelUri",
     "no cloud workload identity"),
    ("edge", "edge.sites.0.server", {"image": DIGEST, "modelClaim": "m", "gpus": 2}, "edge.sites[0].server.gpus",
     "acceleratorsPerNode 1"),
    ("edge", "edge.sites.1.localZone", "us-west-2-lax-1a", "edge.sites[1].localZone", "platform region us-east-1"),
    ("edge", "edge.sites.1.instanceType", "m6i.large", "edge.sites[1].instanceType", "NVIDIA GPU type"),
    ("edge", "edge.sites.1.instanceType", "inf2.xlarge", "edge.sites[1].instanceType", "has no NVIDIA GPU"),
    ("edge", "edge.sites.1.instanceType", DELETE, "edge.sites[1].instanceType", "required key is missing"),
    ("edge", "edge.sites.1.subnetCidr", "10.1.0.0/24", "edge.sites[1].subnetCidr",
     "inside the VPC CIDR aws.network.cidr"),
    ("edge", "edge.sites.1.server", {"image": DIGEST, "modelUri": "gs://models/x"}, "edge.sites[1].server.modelUri",
     "use s3://"),
    ("edge", "edge.sites.1.server", {"image": DIGEST, "modelClaim": "m", "gpus": 2}, "edge.sites[1].server.gpus",
     "g6.xlarge has 1 GPUs"),
    ("edge", "targets", ["edge"], "edge.sites[1].kind", "add aws to targets"),
    ("edge", "edge.sites.1.server.modelUri", "s3://datasets/x", "edge.sites[1].server.modelUri",
     "names no model-artifacts bucket of this platform; use s3://<bucket>/<prefix> with one of: models"),
    ("edge", "edge.sites.1.server.downloaderImage", DELETE, "edge.sites[1].server.downloaderImage",
     "the digest-pinned image with the aws CLI"),
    # kubernetes
    ("hybrid", "kubernetes.teams", [{"name": "a"}, {"name": "a"}], "kubernetes.teams[1].name", "unique"),
    ("hybrid", "kubernetes.teams.0.allowFromNamespaces", ["default"], "kubernetes.teams[0].allowFromNamespaces[0]",
     "allowed: research, serving, kube-system, gpu-operator"),
]  # fmt: skip


@pytest.mark.parametrize(("base", "path", "value", "key", "words"), BAD, ids=[f"{b[0]}:{b[1]}:{b[3]}" for b in BAD])
def test_bad_config_names_key_and_what_to_change(base: str, path: str, value: Any, key: str, words: str) -> None:
    found = errors(changed(base, path, value))
    assert any(e.startswith(f"{key}: ") and words in e for e in found), found


def test_overlap_with_the_vpc_is_reported_under_the_platform_key() -> None:
    with pytest.raises(SpecError) as caught:
        parse_platform(changed("hybrid", "hybrid.remoteNodeCidrs", ["10.0.8.0/24"]), "configs/Pulumi.hybrid.yaml")
    assert "llmops-infra:platform.hybrid.remoteNodeCidrs[0] = '10.0.8.0/24': overlaps the VPC CIDR" in str(caught.value)
