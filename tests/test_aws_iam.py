"""NodeRole and WorkloadRole: who may assume each role, and exactly what it is allowed to do."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from llmops_infra.cli.mock_outputs import ACCOUNT_ID
from llmops_infra.cli.recording import Recording
from llmops_infra.components.aws.iam import NODE_MANAGED_POLICIES, NodeRole, WorkloadAccess, WorkloadRole
from tests.conftest import preview

TAGS = {"owner": "ml-platform", "purpose": "inference", "data-classification": "phi"}
BUCKET_ARNS = ("arn:aws:s3:::models-bucket", "arn:aws:s3:::datasets-bucket")
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/11111111-2222-3333-4444-555555555555"
ISSUER_HOST = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
OIDC_ARN = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{ISSUER_HOST}"
ACCESS = WorkloadAccess(
    namespace="inference", service_account="vllm", read_bucket_arns=BUCKET_ARNS, decrypt_key_arns=(KEY_ARN,)
)

READ_ONLY_ACTIONS = {"s3:GetObject", "s3:ListBucket", "kms:Decrypt", "kms:DescribeKey"}


def _doc(value: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(value)
    return document


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _workload(identity: str, spec: WorkloadAccess = ACCESS, **kwargs: Any) -> Recording:
    if identity == "irsa":
        kwargs = {"oidc_provider_arn": OIDC_ARN, "oidc_issuer_url": f"https://{ISSUER_HOST}", **kwargs}
    return preview(
        lambda: WorkloadRole("vllm", spec, cluster_name="gpu-cluster", identity=identity, tags=TAGS, **kwargs)
    )


# ---- NodeRole ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nodes() -> Recording:
    return preview(lambda: NodeRole("gpu-nodes", tags=TAGS))


def test_node_role_is_assumable_by_ec2_only(nodes: Recording) -> None:
    role = nodes.one("aws:iam/role:Role", "gpu-nodes")
    [statement] = _doc(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert _as_list(statement["Action"]) == ["sts:AssumeRole"]
    assert "Condition" not in statement


def test_node_role_has_exactly_the_three_eks_managed_policies(nodes: Recording) -> None:
    role = nodes.one("aws:iam/role:Role", "gpu-nodes")
    attachments = nodes.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert sorted(a.inputs["policyArn"] for a in attachments) == sorted(
        f"arn:aws:iam::aws:policy/{p}"
        for p in ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly")
    )
    assert len(NODE_MANAGED_POLICIES) == 3
    assert all(a.inputs["role"] == role.outputs["name"] for a in attachments)


def test_node_role_has_no_inline_or_customer_policy(nodes: Recording) -> None:
    role = nodes.one("aws:iam/role:Role", "gpu-nodes")
    assert nodes.of_type("aws:iam/rolePolicy:RolePolicy") == []
    assert nodes.of_type("aws:iam/policy:Policy") == []
    assert "inlinePolicies" not in role.inputs
    assert "managedPolicyArns" not in role.inputs


def test_node_role_children_sit_under_the_component_and_role_is_tagged(nodes: Recording) -> None:
    component = nodes.one("llmops:aws:NodeRole", "gpu-nodes")
    children = nodes.descendants_of(component.urn)
    assert (
        sorted(r.type for r in children)
        == ["aws:iam/role:Role"] + ["aws:iam/rolePolicyAttachment:RolePolicyAttachment"] * 3
    )
    assert nodes.one("aws:iam/role:Role", "gpu-nodes").inputs["tags"] == TAGS


# ---- WorkloadRole: trust ----------------------------------------------------------------------------------


def test_pod_identity_role_trusts_only_the_eks_pods_service_with_tag_session() -> None:
    rec = _workload("pod-identity")
    [statement] = _doc(rec.one("aws:iam/role:Role", "vllm").inputs["assumeRolePolicy"])["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(_as_list(statement["Action"])) == ["sts:AssumeRole", "sts:TagSession"]


def test_pod_identity_association_binds_the_role_to_the_service_account() -> None:
    rec = _workload("pod-identity")
    association = rec.one("aws:eks/podIdentityAssociation:PodIdentityAssociation", "vllm-association")
    assert association.inputs["clusterName"] == "gpu-cluster"
    assert association.inputs["namespace"] == "inference"
    assert association.inputs["serviceAccount"] == "vllm"
    assert association.inputs["roleArn"] == rec.one("aws:iam/role:Role", "vllm").outputs["arn"]


def test_irsa_role_trusts_only_the_service_account_through_the_oidc_provider() -> None:
    rec = _workload("irsa")
    [statement] = _doc(rec.one("aws:iam/role:Role", "vllm").inputs["assumeRolePolicy"])["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Federated": OIDC_ARN}
    assert _as_list(statement["Action"]) == ["sts:AssumeRoleWithWebIdentity"]
    assert statement["Condition"] == {
        "StringEquals": {
            f"{ISSUER_HOST}:sub": "system:serviceaccount:inference:vllm",
            f"{ISSUER_HOST}:aud": "sts.amazonaws.com",
        }
    }


def test_irsa_mode_creates_no_pod_identity_association() -> None:
    rec = _workload("irsa")
    assert rec.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation") == []


def test_irsa_accepts_oidc_values_that_are_outputs() -> None:
    rec = _workload(
        "irsa",
        oidc_provider_arn=pulumi.Output.from_input(OIDC_ARN),
        oidc_issuer_url=pulumi.Output.from_input(f"https://{ISSUER_HOST}"),
    )
    [statement] = _doc(rec.one("aws:iam/role:Role", "vllm").inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Federated": OIDC_ARN}
    assert f"{ISSUER_HOST}:sub" in statement["Condition"]["StringEquals"]


@pytest.mark.parametrize(
    "missing",
    [
        {"oidc_provider_arn": None},
        {"oidc_issuer_url": None},
        {"oidc_provider_arn": None, "oidc_issuer_url": None},
    ],
)
def test_irsa_without_the_oidc_provider_raises_value_error(missing: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="oidc"):
        _workload("irsa", **missing)


def test_unknown_identity_mode_raises_value_error() -> None:
    with pytest.raises(ValueError, match="identity"):
        _workload("node-credentials")


# ---- WorkloadRole: access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("identity", ["pod-identity", "irsa"])
def test_access_is_a_managed_policy_attached_to_the_role_never_inline(identity: str) -> None:
    rec = _workload(identity)
    role = rec.one("aws:iam/role:Role", "vllm")
    policy = rec.one("aws:iam/policy:Policy", "vllm-access")
    attachment = rec.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "vllm-access")
    assert attachment.inputs["role"] == role.outputs["name"]
    assert attachment.inputs["policyArn"] == policy.outputs["arn"]
    assert rec.of_type("aws:iam/rolePolicy:RolePolicy") == []
    assert "inlinePolicies" not in role.inputs


def test_access_policy_grants_only_read_actions_on_named_resources() -> None:
    statements = _doc(_workload("pod-identity").one("aws:iam/policy:Policy", "vllm-access").inputs["policy"])[
        "Statement"
    ]
    assert statements
    for statement in statements:
        assert statement["Effect"] == "Allow"
        actions = _as_list(statement["Action"])
        assert set(actions) <= READ_ONLY_ACTIONS
        assert not any("*" in action for action in actions)
        resources = _as_list(statement["Resource"])
        assert resources
        assert "*" not in resources
        assert all(r.startswith("arn:") for r in resources)
        assert "NotAction" not in statement
        assert "NotResource" not in statement


def test_access_policy_scopes_each_action_to_its_resource() -> None:
    statements = _doc(_workload("pod-identity").one("aws:iam/policy:Policy", "vllm-access").inputs["policy"])[
        "Statement"
    ]
    grants: dict[str, set[str]] = {}
    for statement in statements:
        for action in _as_list(statement["Action"]):
            grants.setdefault(action, set()).update(_as_list(statement["Resource"]))
    assert grants == {
        "s3:GetObject": {f"{arn}/*" for arn in BUCKET_ARNS},
        "s3:ListBucket": set(BUCKET_ARNS),
        "kms:Decrypt": {KEY_ARN},
        "kms:DescribeKey": {KEY_ARN},
    }


def test_workload_with_no_grants_gets_no_policy() -> None:
    rec = _workload("pod-identity", WorkloadAccess(namespace="inference", service_account="vllm"))
    assert rec.of_type("aws:iam/policy:Policy") == []
    assert rec.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") == []


@pytest.mark.parametrize(
    "spec",
    [
        WorkloadAccess(namespace="inference", service_account="vllm", read_bucket_arns=("*",)),
        WorkloadAccess(namespace="inference", service_account="vllm", read_bucket_arns=("arn:aws:s3:::models-*",)),
        WorkloadAccess(namespace="inference", service_account="vllm", decrypt_key_arns=("*",)),
    ],
)
def test_wildcard_resources_are_refused(spec: WorkloadAccess) -> None:
    with pytest.raises(ValueError, match="without wildcards"):
        _workload("pod-identity", spec)


@pytest.mark.parametrize("identity", ["pod-identity", "irsa"])
def test_workload_children_sit_under_the_component_and_are_tagged(identity: str) -> None:
    rec = _workload(identity)
    component = rec.one("llmops:aws:WorkloadRole", "vllm")
    children = rec.descendants_of(component.urn)
    custom = [r for r in rec.resources if r.custom and not r.type.startswith("pulumi:providers:")]
    assert {r.urn for r in children} == {r.urn for r in custom}
    for child in children:
        assert child.parent == component.urn
        if "tags" in child.inputs:
            assert child.inputs["tags"]["data-classification"] == "phi"
    assert rec.one("aws:iam/role:Role", "vllm").inputs["tags"] == TAGS
