"""EKS node roles carry only the AWS managed policies nodes need (least-privilege, an allow-list).

A node role is an aws:iam/role:Role that trusts ec2.amazonaws.com (its assumeRolePolicy) and that EKS nodes run
as: an aws:eks/nodeGroup:NodeGroup's `nodeRoleArn`, or an aws:eks/accessEntry:AccessEntry of type EC2_LINUX or
EC2_WINDOWS (self-managed nodes) naming it in `principalArn`. Everything a node role carries is judged against
the allow-list, however it is attached: aws:iam/rolePolicyAttachment (`role`), aws:iam/policyAttachment
(`roles`), aws:iam/rolePolicyAttachmentsExclusive (`roleName`, `policyArns`), the role's own `managedPolicyArns`,
and inline policies (aws:iam/rolePolicy `role`, the role's `inlinePolicies`). Whatever a workload needs belongs to
the workload's own role (EKS Pod Identity or IRSA), not to every pod on the node.

Companions are linked by the engine's property dependency on the role, else by the role's name in the value.
Each attachment is judged on its own (judge_each): one whose policy is unknown at preview hides no other; so are
the role's trust statements and the node groups and access entries that may run nodes as it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from llmops_infra.policies.runtime.iam_policy import PolicyDocumentError, field, statements
from llmops_infra.policies.runtime.props import listed, mapping, strings
from llmops_infra.policies.runtime.resources import (
    ROLE,
    ROLE_POLICY,
    ROLE_POLICY_ATTACHMENT,
    label,
)
from llmops_infra.policies.runtime.rule import CannotJudge, Resource, Settings, any_of, judge_each, per_item, rule
from llmops_infra.policies.runtime.stack import Stack

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
ATTACHMENTS_EXCLUSIVE = "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive"
NODE_ENTRY_TYPES = ("EC2_LINUX", "EC2_WINDOWS")
EC2_SERVICE = re.compile(r"ec2\.amazonaws\.com(\.cn)?")

# The AWS managed policies a node role may carry. Amazon EKS User Guide, "Amazon EKS node IAM role"
# (https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html): AmazonEKSWorkerNodePolicy (kubelet,
# Pod Identity Agent), AmazonEC2ContainerRegistryPullOnly for image pulls (the page's current choice;
# AmazonEC2ContainerRegistryReadOnly is the older, broader one that managed node groups and eksctl still attach),
# and AmazonEKS_CNI_Policy unless the VPC CNI gets its own role. AmazonSSMManagedInstanceCore is for nodes managed
# through SSM (Amazon EKS User Guide, "Prepare credentials for hybrid nodes").
NODE_ROLE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonSSMManagedInstanceCore",
)
# arn:<partition>:iam::aws:policy/[<path>/]<name>: AWS-managed policies live in the "aws" account.
_AWS_MANAGED = re.compile(r"arn:[^:]+:iam::aws:policy/(?:.*/)?(?P<name>[^/]+)")
_AUTONAME_SUFFIX = "-[0-9a-f]{7}"


_NOT_YET = (UnknownValueError, CannotJudge)


def _trusts_ec2(role: Resource) -> bool:
    try:
        found = statements(role.props.get("assumeRolePolicy"))
    except PolicyDocumentError:
        return False
    # One statement that trusts EC2 settles it, whatever another unknown at preview may be.
    return any_of(per_item(found, _statement_trusts_ec2))


def _statement_trusts_ec2(statement: Any) -> bool:
    if not isinstance(statement, Mapping):
        return False  # grants nothing AWS would accept
    effect = field(statement, "Effect")
    if isinstance(effect, str) and effect.strip().lower() == "deny":
        return False
    services = strings(mapping(field(statement, "Principal")).get("Service"))
    return any(EC2_SERVICE.fullmatch(s.strip()) for s in services)


def _names_role(role: Resource, value: Any) -> bool:
    """Whether a plain value (a role name, or an ARN arn:...:role/[path/]name) names this role."""
    if not isinstance(value, str) or not value.strip():
        return False
    name = value.strip().rsplit("/", 1)[-1] if value.startswith("arn:") else value.strip()
    given, prefix = role.props.get("name"), role.props.get("namePrefix")
    if isinstance(given, str) and given:
        return name == given
    if isinstance(prefix, str) and prefix:
        return name.startswith(prefix)
    return re.fullmatch(re.escape(role.name) + f"({_AUTONAME_SUFFIX})?", name) is not None


def _node_users(role: Resource, stack: Stack) -> list[Resource]:
    """The node groups and EC2 access entries that run nodes as this role, each decided on its own: those known
    to, unless none is and one is undecided for a value unknown at preview (then CannotJudge)."""

    def refers(value: Any) -> bool:
        return _names_role(role, value)

    users: list[Resource] = []
    undecided: Exception | None = None
    try:
        users += stack.companions(role, (NODE_GROUP,), "nodeRoleArn", refers)
    except _NOT_YET as error:
        undecided = error
    try:
        entries = stack.companions(role, (ACCESS_ENTRY,), "principalArn", refers)
    except _NOT_YET as error:
        undecided, entries = error, []
    for entry in entries:
        try:
            if entry.props.get("type") in NODE_ENTRY_TYPES:
                users.append(entry)
        except _NOT_YET as error:
            undecided = error
    if not users and undecided is not None:
        raise CannotJudge("whether nodes run as the role is unknown at preview") from undecided
    return users


INLINE = object()  # what an inline policy "attaches"
NOTHING = object()  # what an empty inlinePolicies entry carries
Carried = tuple[str, Callable[[], Any]]  # where it is written, and a reader of the policy ARN it attaches


def _one(where: str, props: Mapping[str, Any], key: str) -> Carried:
    return where, lambda: props.get(key)


def _each(where: str, props: Mapping[str, Any], key: str) -> list[Carried]:
    """One reader per element of a list of ARNs, so an unknown element is only itself undecided."""
    try:
        values = props.get(key)
    except UnknownValueError:
        return [(where, lambda: props.get(key))]  # reading it again, when judged, is "cannot judge"
    arns: Sequence[Any] = values if isinstance(values, Sequence) and not isinstance(values, str) else []

    def reader(index: int) -> Callable[[], Any]:
        return lambda: arns[index]

    return [(f"{where}[{i}]", reader(i)) for i in range(len(arns))]


def _carried(role: Resource, stack: Stack) -> list[Carried]:
    """Everything the role carries, each with a reader of what it attaches (INLINE for an inline policy)."""

    def refers(value: Any) -> bool:
        return _names_role(role, value)

    def refers_any(value: Any) -> bool:
        return any(refers(r) for r in strings(value))

    found: list[Carried] = []
    for attachment in stack.companions(role, (ROLE_POLICY_ATTACHMENT,), "role", refers):
        found.append(_one(f"{label(attachment)} (policyArn)", attachment.props, "policyArn"))
    for attachment in stack.companions(role, (POLICY_ATTACHMENT,), "roles", refers_any):
        found.append(_one(f"{label(attachment)} (policyArn)", attachment.props, "policyArn"))
    for exclusive in stack.companions(role, (ATTACHMENTS_EXCLUSIVE,), "roleName", refers):
        found += _each(f"{label(exclusive)} policyArns", exclusive.props, "policyArns")
    found += _each("its managedPolicyArns", role.props, "managedPolicyArns")
    for inline in stack.companions(role, (ROLE_POLICY,), "role", refers):
        found.append((f"inline {label(inline)}", lambda: INLINE))
    # Each entry read by its own judge: one unknown at preview hides no other.
    inline_policies = listed(role.props.get("inlinePolicies"))
    found += [(f"its inlinePolicies[{i}]", partial(_inline, inline_policies, i)) for i in range(len(inline_policies))]
    return found


def _inline(policies: Sequence[Any], index: int) -> Any:
    # pulumi-aws writes an empty inlinePolicies entry to remove inline policies: it carries nothing.
    document = mapping(policies[index]).get("policy")
    return INLINE if isinstance(document, str | Mapping) and bool(document) else NOTHING


@rule(
    "eks-node-role-managed-policies-only",
    control="least-privilege",
    severity="high",
    types=(
        ROLE,
        NODE_GROUP,
        ACCESS_ENTRY,
        ROLE_POLICY_ATTACHMENT,
        POLICY_ATTACHMENT,
        ATTACHMENTS_EXCLUSIVE,
        ROLE_POLICY,
    ),
    remediation="Attach to the node role only AmazonEKSWorkerNodePolicy, AmazonEKS_CNI_Policy and "
    "AmazonEC2ContainerRegistryReadOnly (or AmazonEC2ContainerRegistryPullOnly), plus AmazonSSMManagedInstanceCore "
    "for SSM-managed nodes; grant workloads their own role through EKS Pod Identity or IRSA.",
    scope="stack",
    subjects=(ROLE,),
    frameworks=("hipaa", "gdpr"),
)
def eks_node_role_managed_policies_only(role: Resource, stack: Stack, settings: Settings) -> Iterator[str]:
    """EKS node roles carry only the AWS managed node policies (worker, CNI, ECR pull, SSM), nothing else."""
    if not _trusts_ec2(role):
        return
    users = _node_users(role, stack)
    if not users:
        return
    used_by = ", ".join(label(u) for u in users)

    def judge(index: int, carried: Carried) -> Iterator[str]:
        where, read = carried
        arn = read()
        if arn is NOTHING:
            return
        if arn is INLINE:
            yield f"{label(role)} is a node role of {used_by} but carries {where}; node roles carry no inline policy"
            return
        match = _AWS_MANAGED.fullmatch(arn.strip()) if isinstance(arn, str) else None
        if match is None or match["name"] not in NODE_ROLE_POLICIES:
            what = match["name"] if match else arn
            yield (
                f"{label(role)} is a node role of {used_by} but {where} attaches {what}, which is not one of "
                f"{', '.join(NODE_ROLE_POLICIES)}"
            )

    yield from judge_each(_carried(role, stack), judge)
