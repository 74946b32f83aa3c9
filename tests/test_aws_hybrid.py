"""HybridNodes, HybridGpuPool and HybridRoutes through the offline engine.

The hybrid node role trusts exactly the credential service the config names, holds exactly the grants the EKS
Hybrid Nodes guide lists (DescribeCluster scoped to the one cluster, the Pod Identity Agent's AssumeRoleForPodIdentity),
the SSM activation registers no more machines than configured and its code is a secret, and the role is mapped into
the cluster as HYBRID_LINUX. Each pool's nodeadm node configuration carries its labels and taints as kubelet flags
and the credentials file the Pod Identity Agent reads. The VPC is attached to the site's gateway and routes every
remote network to it from every route table."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest
import yaml

from llmops_infra.cli.recording import Recording
from llmops_infra.cli.wire import is_secret
from llmops_infra.components.aws.hybrid import (
    HybridGpuPool,
    HybridNodes,
    kubelet_flags,
    node_config,
    roles_anywhere_trust_policy,
)
from llmops_infra.components.aws.hybrid_network import HybridRoutes
from llmops_infra.components.spec import HybridGatewaySpec, HybridPoolSpec, HybridSpec, Taint
from tests.conftest import preview
from tests.rule_judging import rule_violations

NAME = "llmops-test"
ACCOUNT = "123456789012"
CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
POOLS = (
    HybridPoolSpec(name="a100", node_count=2, accelerator="nvidia-a100-80gb", accelerators_per_node=8),
    HybridPoolSpec(name="l40s", node_count=1, accelerator="nvidia-l40s", accelerators_per_node=4),
)
TGW = HybridGatewaySpec(transit_gateway_id="tgw-0a1b2c3d4e5f60718")
ROLE = "aws:iam/role:Role"
# EKS User Guide, EKS Pod Identity agent prerequisites: the node role may call AssumeRoleForPodIdentity (on "*").
POD_IDENTITY_AGENT = {
    "Sid": "PodIdentityAgent",
    "Effect": "Allow",
    "Action": "eks-auth:AssumeRoleForPodIdentity",
    "Resource": "*",
}


def hybrid_spec(**changes: Any) -> HybridSpec:
    base: dict[str, Any] = {
        "remote_node_cidrs": (ipaddress.IPv4Network("192.168.100.0/24"),),
        "remote_pod_cidrs": (ipaddress.IPv4Network("192.168.64.0/20"),),
        "gateway": TGW,
        "pools": POOLS,
    }
    return HybridSpec(**{**base, **changes})


def hybrid_preview(spec: HybridSpec | None = None, **kwargs: Any) -> Recording:
    def program() -> None:
        HybridNodes(
            NAME, spec or hybrid_spec(), cluster_name=NAME, tags={"owner": "platform", "purpose": "hybrid"}, **kwargs
        )

    return preview(program)


def policy(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else value


def attached(rec: Recording) -> list[str]:
    return sorted(r.inputs["policyArn"] for r in rec.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment"))


def test_ssm_role_trusts_only_ssm_of_this_account_and_region() -> None:
    trust = policy(hybrid_preview().one(ROLE).inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ssm.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
                "ArnEquals": {"aws:SourceArn": f"arn:aws:ssm:us-east-1:{ACCOUNT}:*"},
            },
        }
    ]


def test_ssm_role_has_exactly_the_documented_grants() -> None:
    rec = hybrid_preview()
    assert attached(rec) == [
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    ]
    cluster_arn = f"arn:aws:eks:us-east-1:{ACCOUNT}:cluster/{NAME}"
    inline = policy(rec.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert inline["Statement"] == [
        {"Sid": "DescribeCluster", "Effect": "Allow", "Action": "eks:DescribeCluster", "Resource": cluster_arn},
        POD_IDENTITY_AGENT,
        {"Sid": "DescribeInstances", "Effect": "Allow", "Action": "ssm:DescribeInstanceInformation", "Resource": "*"},
        {
            "Sid": "DeregisterOwnInstances",
            "Effect": "Allow",
            "Action": "ssm:DeregisterManagedInstance",
            "Resource": f"arn:aws:ssm:us-east-1:{ACCOUNT}:managed-instance/*",
            "Condition": {"StringEquals": {"ssm:resourceTag/EKSClusterARN": cluster_arn}},
        },
    ]


def test_activation_registers_exactly_the_configured_nodes_and_is_tagged_with_the_cluster() -> None:
    activation = hybrid_preview().one("aws:ssm/activation:Activation")
    assert activation.inputs["registrationLimit"] == 3
    assert activation.inputs["tags"]["EKSClusterARN"] == f"arn:aws:eks:us-east-1:{ACCOUNT}:cluster/{NAME}"
    assert "expirationDate" not in activation.inputs
    assert "activationCode" in activation.options.get("additionalSecretOutputs", [])


def test_activation_expiration_is_passed_through() -> None:
    activation = hybrid_preview(activation_expiration="2030-01-01T00:00:00Z").one("aws:ssm/activation:Activation")
    assert activation.inputs["expirationDate"] == "2030-01-01T00:00:00Z"


def test_activation_code_output_is_a_secret() -> None:
    outputs = hybrid_preview().one("llmops:aws:HybridNodes", NAME).outputs
    assert is_secret(outputs["activation_code"])
    assert not is_secret(outputs["role_arn"])


def test_role_is_mapped_into_the_cluster_as_hybrid_linux() -> None:
    entry = hybrid_preview().one("aws:eks/accessEntry:AccessEntry")
    assert entry.inputs["type"] == "HYBRID_LINUX"
    assert entry.inputs["clusterName"] == NAME


def test_roles_anywhere_trusts_only_the_trust_anchor_and_pins_the_session_name_to_the_cn() -> None:
    anchor_arn = f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:trust-anchor/abc"
    statements = policy(roles_anywhere_trust_policy(anchor_arn))["Statement"]
    from_anchor = {"ArnEquals": {"aws:SourceArn": anchor_arn}}
    principal = {"Service": "rolesanywhere.amazonaws.com"}
    assert statements == [
        {"Effect": "Allow", "Principal": principal, "Action": ["sts:TagSession", "sts:SetSourceIdentity"],
         "Condition": from_anchor},
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:RoleSessionName": "${aws:PrincipalTag/x509Subject/CN}"}, **from_anchor}},
    ]  # fmt: skip


def test_roles_anywhere_trust_anchor_holds_the_configured_ca_and_the_role_trusts_it() -> None:
    rec = hybrid_preview(hybrid_spec(credentials="iam-roles-anywhere", trust_anchor_certificate=CERT))
    anchor = rec.one("aws:rolesanywhere/trustAnchor:TrustAnchor")
    assert anchor.inputs["source"] == {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": CERT}}
    assert anchor.inputs["enabled"] is True
    # The trust policy is computed from the anchor's ARN (unknown until it exists).
    assert anchor.urn in rec.one(ROLE).property_dependencies["assumeRolePolicy"]
    assert not rec.of_type("aws:ssm/activation:Activation")
    outputs = rec.one("llmops:aws:HybridNodes", NAME).outputs
    assert "trust_anchor_arn" in outputs and "profile_arn" in outputs


def test_roles_anywhere_profile_and_grants() -> None:
    rec = hybrid_preview(hybrid_spec(credentials="iam-roles-anywhere", trust_anchor_certificate=CERT))
    profile = rec.one("aws:rolesanywhere/profile:Profile").inputs
    assert profile["acceptRoleSessionName"] is True
    assert profile["durationSeconds"] < rec.one(ROLE).inputs["maxSessionDuration"]
    assert attached(rec) == ["arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly"]
    inline = policy(rec.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    assert [s["Action"] for s in inline["Statement"]] == ["eks:DescribeCluster", "eks-auth:AssumeRoleForPodIdentity"]
    assert rec.one("aws:eks/accessEntry:AccessEntry").inputs["type"] == "HYBRID_LINUX"


def test_no_iam_wildcards() -> None:
    assert rule_violations(hybrid_preview(), "iam-no-wildcard-statements") == []


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (hybrid_spec(credentials="iam-roles-anywhere"), "trust_anchor_certificate"),
        (hybrid_spec(pools=()), "at least one pool"),
    ],
)
def test_wrong_calls_are_refused_before_anything_registers(spec: HybridSpec, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        HybridNodes(NAME, spec, cluster_name=NAME, tags={})


# ---- the pools' node configuration ----------------------------------------------------------------------------

TAINTED = HybridPoolSpec(
    name="h100",
    role="training",
    node_count=2,
    accelerator="nvidia-h100-80gb",
    accelerators_per_node=8,
    allowed_classifications=("phi",),
    labels={"site": "dc1"},
    taints=(Taint(key="dedicated", value="training", effect="NO_EXECUTE"), Taint(key="maintenance")),
)


def _flag(flags: list[str], name: str) -> list[str]:
    [value] = [f.removeprefix(f"--{name}=") for f in flags if f.startswith(f"--{name}=")]
    return value.split(",")


def test_kubelet_flags_carry_the_pool_labels_and_the_gpu_taint_first() -> None:
    flags = kubelet_flags(TAINTED)
    assert set(_flag(flags, "node-labels")) == {
        "llmops.dev/accelerator=nvidia-h100-80gb",
        "llmops.dev/accelerator-count=8",
        "llmops.dev/allow-phi=true",
        "llmops.dev/pool=h100",
        "llmops.dev/role=training",
        "nvidia.com/gpu.present=true",
        "site=dc1",
    }
    assert _flag(flags, "register-with-taints") == [
        "nvidia.com/gpu=present:NoSchedule",
        "dedicated=training:NoExecute",
        "maintenance:NoSchedule",
    ]


def test_the_ssm_node_config_joins_the_cluster_with_the_activation_and_the_credentials_file() -> None:
    ssm = {"ssm": {"activationCode": "code", "activationId": "id"}}
    document = yaml.safe_load(node_config(TAINTED, cluster_name=NAME, region="us-east-1", credentials=ssm))
    assert document["apiVersion"] == "node.eks.aws/v1alpha1" and document["kind"] == "NodeConfig"
    assert document["spec"]["cluster"] == {"name": NAME, "region": "us-east-1"}
    assert document["spec"]["hybrid"] == {"enableCredentialsFile": True, **ssm}
    assert document["spec"]["kubelet"] == {"flags": kubelet_flags(TAINTED)}


def _pool_preview(spec: HybridSpec) -> Recording:
    def program() -> None:
        nodes = HybridNodes(NAME, spec, cluster_name=NAME, tags={"owner": "platform"})
        for pool in spec.pools:
            HybridGpuPool(pool.name, pool, nodes=nodes, cluster_name=NAME)

    return preview(program)


def test_a_pool_registers_no_node_patch_and_its_node_config_is_a_secret_with_ssm() -> None:
    rec = _pool_preview(hybrid_spec())
    assert rec.of_type("kubernetes:core/v1:NodePatch") == []
    for pool in POOLS:
        outputs = rec.one("llmops:aws:HybridGpuPool", pool.name).outputs
        assert is_secret(outputs["node_config"])
        assert (outputs["capacity"]["min"], outputs["capacity"]["max"]) == (pool.node_count, pool.node_count)


def test_a_roles_anywhere_pool_node_config_is_not_secret() -> None:
    rec = _pool_preview(hybrid_spec(credentials="iam-roles-anywhere", trust_anchor_certificate=CERT))
    assert not is_secret(rec.one("llmops:aws:HybridGpuPool", "a100").outputs["node_config"])


# ---- the VPC's routes to the site -----------------------------------------------------------------------------

ROUTE_TABLES = ["rtb-a", "rtb-b"]


def _routes_preview(spec: HybridSpec) -> Recording:
    def program() -> None:
        HybridRoutes(
            NAME, spec, vpc_id="vpc-1", subnet_ids=["subnet-a", "subnet-b"], route_table_ids=ROUTE_TABLES, tags={}
        )

    return preview(program)


def test_the_vpc_is_attached_to_the_transit_gateway_and_routes_every_remote_network_to_it() -> None:
    rec = _routes_preview(hybrid_spec())
    attachment = rec.one("aws:ec2transitgateway/vpcAttachment:VpcAttachment")
    assert {k: attachment.inputs[k] for k in ("transitGatewayId", "vpcId", "subnetIds")} == {
        "transitGatewayId": TGW.transit_gateway_id,
        "vpcId": "vpc-1",
        "subnetIds": ["subnet-a", "subnet-b"],
    }
    routes = rec.of_type("aws:ec2/route:Route")
    assert sorted((r.inputs["routeTableId"], r.inputs["destinationCidrBlock"]) for r in routes) == [
        (table, cidr) for table in ROUTE_TABLES for cidr in ("192.168.100.0/24", "192.168.64.0/20")
    ]
    assert all(r.inputs["transitGatewayId"] == TGW.transit_gateway_id and "gatewayId" not in r.inputs for r in routes)
    assert all(attachment.urn in r.dependencies for r in routes)


def test_a_virtual_private_gateway_is_attached_and_routed_to_by_gateway_id() -> None:
    vgw = HybridGatewaySpec(virtual_private_gateway_id="vgw-0a1b2c3d")
    rec = _routes_preview(hybrid_spec(gateway=vgw))
    attachment = rec.one("aws:ec2/vpnGatewayAttachment:VpnGatewayAttachment")
    assert attachment.inputs == {"vpcId": "vpc-1", "vpnGatewayId": "vgw-0a1b2c3d"}
    assert rec.of_type("aws:ec2transitgateway/vpcAttachment:VpcAttachment") == []
    routes = rec.of_type("aws:ec2/route:Route")
    assert len(routes) == 4
    assert all(r.inputs["gatewayId"] == "vgw-0a1b2c3d" and "transitGatewayId" not in r.inputs for r in routes)


@pytest.mark.parametrize(
    ("gateway", "words"),
    [
        (None, "gateway: required key is missing: give transitGatewayId"),
        (
            HybridGatewaySpec(transit_gateway_id="tgw-0a1b2c3d", virtual_private_gateway_id="vgw-0a1b2c3d"),
            "gateway: both are given; give exactly one",
        ),
        (HybridGatewaySpec(), "gateway: neither is given; give exactly one"),
    ],
)
def test_routes_without_exactly_one_gateway_are_refused_with_the_config_message(
    gateway: HybridGatewaySpec | None, words: str
) -> None:
    with pytest.raises(ValueError, match=f"HybridRoutes {NAME}: {words}"):
        HybridRoutes(NAME, hybrid_spec(gateway=gateway), vpc_id="v", subnet_ids=[], route_table_ids=[], tags={})
