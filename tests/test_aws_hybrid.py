"""HybridNodes through the offline engine: the hybrid node role trusts exactly the credential service the config
names, holds exactly the grants the EKS Hybrid Nodes guide lists (DescribeCluster scoped to the one cluster), the
SSM activation registers no more machines than configured and its code is a secret, and the role is mapped into the
cluster as HYBRID_LINUX."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest

from llmops_infra.cli.engine import Recording
from llmops_infra.cli.wire import is_secret
from llmops_infra.components.aws.hybrid import HybridNodes, roles_anywhere_trust_policy
from llmops_infra.components.spec import BareMetalPoolSpec, HybridSpec
from tests.conftest import preview
from tests.rule_judging import rule_violations

NAME = "llmops-test"
ACCOUNT = "123456789012"
CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
POOLS = (
    BareMetalPoolSpec(name="a100", nodes=("gpu-1", "gpu-2"), accelerator="nvidia-a100-80gb", accelerators_per_node=8),
    BareMetalPoolSpec(name="l40s", nodes=("gpu-3",), accelerator="nvidia-l40s", accelerators_per_node=4),
)
ROLE = "aws:iam/role:Role"


def hybrid_spec(**changes: Any) -> HybridSpec:
    base: dict[str, Any] = {
        "remote_node_cidrs": (ipaddress.IPv4Network("192.168.100.0/24"),),
        "remote_pod_cidrs": (ipaddress.IPv4Network("192.168.64.0/20"),),
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
    assert [s["Action"] for s in inline["Statement"]] == ["eks:DescribeCluster"]
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
