"""EKS node roles (policies/rules/aws/node_roles.py): an allow-list of the AWS managed policies nodes need.

One table of stack cases (tests/rule_judging.py), the ways a policy reaches a role, and small third-party stack
exports (raw IAM and EKS resources as a team writes them).
"""

from __future__ import annotations

import json
from pathlib import Path as FilePath
from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

from llmops_infra.policies.rules.aws import node_roles
from llmops_infra.policies.runtime.rule import RULES
from tests.policies.stack_exports import Raw, export, judged
from tests.rule_judging import (
    DELETE,
    Case,
    resource,
    stack_violations,
)

RULE = "eks-node-role-managed-policies-only"
ROLE = "aws:iam/role:Role"
RPA = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"


def trust(service: str) -> str:
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def managed(name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::aws:policy/{name}"


NODE_ROLE = {"assumeRolePolicy": trust("ec2.amazonaws.com")}
NODE_GROUP_PROPS = {
    "clusterName": "inference",
    "nodeRoleArn": "arn:aws:iam::123456789012:role/subject-1a2b3c4",
    "subnetIds": ["subnet-1"],
    "scalingConfig": {"minSize": 1, "maxSize": 3, "desiredSize": 1},
}
ATTACHMENTS = {
    "worker": "AmazonEKSWorkerNodePolicy",
    "cni": "AmazonEKS_CNI_Policy",
    "ecr": "AmazonEC2ContainerRegistryReadOnly",
}
COMPANIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "gpu-nodes": (NODE_GROUP, NODE_GROUP_PROPS),
    **{n: (RPA, {"role": "subject-1a2b3c4", "policyArn": managed(p)}) for n, p in ATTACHMENTS.items()},
}
LINKS = {"gpu-nodes": {"nodeRoleArn": ["subject"]}, **{n: {"role": ["subject"]} for n in ATTACHMENTS}}
NODE_OF = "IAM role subject is a node role of EKS node group gpu-nodes but"

CASES = [
    Case(
        RULE,
        ROLE,
        NODE_ROLE,
        [
            (
                ("ecr", "policyArn"),
                managed("AmazonS3FullAccess"),
                f"{NODE_OF} IAM role policy attachment ecr (policyArn) attaches AmazonS3FullAccess, which is not one "
                "of AmazonEKSWorkerNodePolicy, AmazonEKS_CNI_Policy, AmazonEC2ContainerRegistryReadOnly",
            ),
            (("ecr", "policyArn"), managed("AdministratorAccess", "aws-us-gov"), "attaches AdministratorAccess"),
            (
                ("cni", "policyArn"),
                "arn:aws:iam::123456789012:policy/models-read",
                "cni (policyArn) attaches arn:aws:iam::123456789012:policy/models-read",
            ),
            (
                ("subject", "managedPolicyArns"),
                [managed("AmazonEKSWorkerNodePolicy"), managed("AmazonS3ReadOnlyAccess")],
                "its managedPolicyArns[1] attaches AmazonS3ReadOnlyAccess",
            ),
            (
                ("subject", "inlinePolicies"),
                [{"name": "read-models", "policy": json.dumps({"Statement": []})}],
                f"{NODE_OF} carries its inlinePolicies[0]; node roles carry no inline policy",
            ),
        ],
        [
            (("subject", "assumeRolePolicy"), UNKNOWN_STRING_VALUE),
            (("ecr", "policyArn"), UNKNOWN_STRING_VALUE),
            (("subject", "managedPolicyArns"), UNKNOWN_ARRAY_VALUE),
        ],
        companions=COMPANIONS,
        links=LINKS,
        needs=[("subject", "assumeRolePolicy")],  # only a role EC2 may assume is a node role
    ),
]


def test_every_rule_of_the_module_has_a_case():
    assert {n for n, r in RULES.items() if r.check.__module__ == node_roles.__name__} == {c.rule for c in CASES}
    assert {(c.rule, c.type) for c in CASES} == {(RULE, t) for t in RULES[RULE].subjects}


# ---- what is a node role, and every way a policy reaches one -----------------------------------------------------

[CASE] = CASES


@pytest.mark.parametrize("policy", node_roles.NODE_ROLE_POLICIES)
def test_every_allowed_policy_passes(policy: str) -> None:
    assert CASE.violations((("ecr", "policyArn"), managed(policy, "aws-cn"))) == []


def test_roles_not_trusted_by_ec2_or_not_used_by_nodes_are_not_node_roles() -> None:
    extra = (("ecr", "policyArn"), managed("AmazonS3FullAccess"))
    assert CASE.violations(extra, (("subject", "assumeRolePolicy"), trust("lambda.amazonaws.com"))) == []
    assert CASE.violations(extra, (("gpu-nodes",), DELETE)) == []
    assert CASE.violations(extra, (("subject", "assumeRolePolicy"), "{not json")) == []


def test_self_managed_nodes_through_an_ec2_access_entry_make_a_node_role() -> None:
    role = resource(ROLE, NODE_ROLE, "self-managed")
    entry = {"clusterName": "inference", "principalArn": "arn:aws:iam::1:role/self-managed", "type": "EC2_LINUX"}
    stack = [
        role,
        resource(ACCESS_ENTRY, entry, "nodes-entry"),
        resource(RPA, {"role": "self-managed", "policyArn": managed("AmazonS3FullAccess")}, "s3"),
    ]
    assert [n for n, _ in stack_violations(RULE, stack)] == ["self-managed"]
    stack[1] = resource(ACCESS_ENTRY, {**entry, "type": "STANDARD"}, "nodes-entry")
    assert stack_violations(RULE, stack) == []


def test_policy_attachment_exclusive_attachments_and_inline_role_policies_count() -> None:
    stack = CASE.resources()
    urn = stack[0].urn
    s3 = managed("AmazonS3FullAccess")
    stack += [
        resource(
            "aws:iam/policyAttachment:PolicyAttachment",
            {"roles": ["x"], "policyArn": s3},
            "shared",
            dependencies={"roles": [urn]},
        ),  # fmt: skip
        resource(
            "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
            {"roleName": "x", "policyArns": [managed("AmazonEKSWorkerNodePolicy"), UNKNOWN_STRING_VALUE, s3]},
            "exclusive",
            dependencies={"roleName": [urn]},
        ),
        resource(
            "aws:iam/rolePolicy:RolePolicy", {"role": "x", "policy": "{}"}, "inline", dependencies={"role": [urn]}
        ),
    ]
    found = [m.split(" but ", 1)[1] for _, m in stack_violations(RULE, stack)]
    assert found == [
        "IAM policy attachment shared (policyArn) attaches AmazonS3FullAccess, which is not one of "
        + ", ".join(node_roles.NODE_ROLE_POLICIES),
        "IAM role policy attachments (exclusive) exclusive policyArns[2] attaches "
        "AmazonS3FullAccess, which is not one of " + ", ".join(node_roles.NODE_ROLE_POLICIES),
        "carries inline IAM role policy inline; node roles carry no inline policy",
    ]


def test_an_unknown_attachment_hides_no_other() -> None:
    found = CASE.violations(
        (("cni", "policyArn"), UNKNOWN_STRING_VALUE), (("ecr", "policyArn"), managed("IAMFullAccess"))
    )
    assert len(found) == 1 and "ecr (policyArn) attaches IAMFullAccess" in found[0]


def test_an_unknown_inline_policy_hides_no_other() -> None:
    inline = [UNKNOWN_OBJECT_VALUE, {"name": "read-models", "policy": json.dumps({"Statement": []})}]
    assert CASE.violations((("subject", "inlinePolicies"), inline)) == [
        f"{NODE_OF} carries its inlinePolicies[1]; node roles carry no inline policy"
    ]


def test_one_statement_trusting_ec2_makes_it_a_node_role_whatever_another_hides() -> None:
    document = json.loads(trust("ec2.amazonaws.com"))
    document["Statement"].insert(0, UNKNOWN_OBJECT_VALUE)
    found = CASE.violations(
        (("subject", "assumeRolePolicy"), json.dumps(document)), (("ecr", "policyArn"), managed("IAMFullAccess"))
    )
    assert len(found) == 1 and "ecr (policyArn) attaches IAMFullAccess" in found[0]


def test_a_node_group_makes_it_a_node_role_whatever_an_unknown_access_entry_is() -> None:
    entry = {"clusterName": "inference", "principalArn": "arn:aws:iam::1:role/subject", "type": UNKNOWN_STRING_VALUE}
    stack = [*CASE.resources((("ecr", "policyArn"), managed("IAMFullAccess"))), resource(ACCESS_ENTRY, entry, "e")]
    [(name, message)] = stack_violations(RULE, stack)
    assert name == "subject" and message.startswith(NODE_OF)  # the entry, undecided, is not named


# ---- third-party stacks: raw resources, as a team writes them ---------------------------------------------------


def _team_stack(tmp_path: FilePath, *, extra: bool) -> FilePath:
    role = {"name": "gpu-node-role", "assumeRolePolicy": trust("ec2.amazonaws.com")}
    resources = [
        Raw(ROLE, "gpu-node-role", role),
        Raw(
            NODE_GROUP,
            "gpu",
            {**NODE_GROUP_PROPS, "nodeRoleArn": "arn:aws:iam::123456789012:role/gpu-node-role"},
            {"nodeRoleArn": ["gpu-node-role"]},
        ),
        *[
            Raw(RPA, f"gpu-{p}", {"role": "gpu-node-role", "policyArn": managed(p)}, {"role": ["gpu-node-role"]})
            for p in ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly")
        ],
        # A Lambda role of the same team with broad S3 access: not a node role, not judged here.
        Raw(ROLE, "etl", {"assumeRolePolicy": trust("lambda.amazonaws.com")}),
        Raw(RPA, "etl-s3", {"role": "etl", "policyArn": managed("AmazonS3FullAccess")}, {"role": ["etl"]}),
    ]
    if extra:  # the team gave the nodes read access to the model bucket instead of a Pod Identity role
        resources.append(
            Raw(
                RPA,
                "gpu-s3",
                {"role": "gpu-node-role", "policyArn": managed("AmazonS3ReadOnlyAccess")},
                {"role": ["gpu-node-role"]},
            )  # fmt: skip
        )
    return export(tmp_path / f"nodes-{'extra' if extra else 'ok'}.json", *resources)


def test_third_party_stack_extra_node_policy_is_reported_on_the_role(tmp_path: FilePath) -> None:
    assert judged(RULE, _team_stack(tmp_path, extra=True)) == [
        (
            "gpu-node-role",
            "IAM role gpu-node-role is a node role of EKS node group gpu but IAM role policy attachment gpu-s3 "
            "(policyArn) attaches AmazonS3ReadOnlyAccess, which is not one of "
            + ", ".join(node_roles.NODE_ROLE_POLICIES),
        )
    ]


def test_third_party_stack_compliant_twin_passes(tmp_path: FilePath) -> None:
    assert judged(RULE, _team_stack(tmp_path, extra=False)) == []
