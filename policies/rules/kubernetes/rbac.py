"""Kubernetes RBAC rules (k8s-rbac): no cluster-admin outside the platform-admin group, no escalation paths.

Props are the Kubernetes object as pulumi-kubernetes registers it (apiVersion, kind, metadata, spec, camelCase
as in the API), read through runtime/kubernetes.py: a field of an unexpected type is treated as absent (or as
non-compliant where absence is itself a violation), never as a reason to raise.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from llmops_infra.policies.runtime.kubernetes import describe, is_list, nested, string_items
from llmops_infra.policies.runtime.props import items, shown
from llmops_infra.policies.runtime.rule import Resource, Settings, rule

# The v1 tokens, plus the older API versions pulumi-kubernetes still ships with the same object shape (read from
# the SDK's type tokens): a stack or chart written against them must be judged the same way.
CLUSTER_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"

BINDING_TYPES = tuple(
    f"kubernetes:rbac.authorization.k8s.io/{version}:{kind}"
    for version in ("v1", "v1beta1", "v1alpha1")
    for kind in ("ClusterRoleBinding", "RoleBinding")
)
ROLE_TYPES = tuple(
    f"kubernetes:rbac.authorization.k8s.io/{version}:{kind}"
    for version in ("v1", "v1beta1", "v1alpha1")
    for kind in ("ClusterRole", "Role")
)

PLATFORM_ROLE_LABEL = "llmops.dev/platform-role"
ESCALATION_VERBS = ("escalate", "bind", "impersonate")
SECRET_READ_VERBS = ("get", "list", "watch")
# `create` is what SPDY exec (kubectl before 1.31) is authorised with; WebSocket exec is a GET and, on clusters
# without the 1.31 AuthorizePodWebsocketUpgradeCreatePermission gate, is authorised with `get` alone.
EXEC_VERBS = ("create", "get")


def _policy_rules(resource: Resource) -> Iterator[tuple[int, Mapping[str, Any]]]:
    for index, item in enumerate(items(resource.props.get("rules"))):
        if isinstance(item, Mapping):
            yield index, item


def _is_platform_role(resource: Resource) -> bool:
    return nested(resource.props, "metadata", "labels", PLATFORM_ROLE_LABEL) == "true"


@rule(
    "k8s-rbac-no-cluster-admin-binding",
    control="k8s-rbac",
    severity="critical",
    types=BINDING_TYPES,
    remediation="Bind cluster-admin only to the platform-admin group (kind Group); give everyone else a scoped Role.",
    parameters=("platformAdminGroup",),
    frameworks=("hipaa", "gdpr"),
)
def k8s_rbac_no_cluster_admin_binding(resource: Resource, settings: Settings) -> Iterator[str]:
    """No (Cluster)RoleBinding grants cluster-admin to anyone but the platform-admin group."""
    if nested(resource.props, "roleRef", "name") != "cluster-admin":
        return
    subjects = resource.props.get("subjects")
    # A non-list subjects value cannot be shown to name the admin group only; an absent one binds nobody.
    others = [] if is_list(subjects) else [shown(subjects)]
    for subject in items(subjects):
        if not isinstance(subject, Mapping):
            others.append(shown(subject))
        elif subject.get("kind") != "Group" or subject.get("name") != settings.platform_admin_group:
            others.append(
                " ".join(v if isinstance(v, str) else shown(v) for v in (subject.get("kind"), subject.get("name")))
            )
    if others:
        yield (
            f"{describe(resource)} binds roleRef cluster-admin to {', '.join(others)}, "
            f"not only to Group {settings.platform_admin_group}"
        )


@rule(
    "k8s-rbac-no-wildcard",
    control="k8s-rbac",
    severity="high",
    types=ROLE_TYPES,
    remediation="List the verbs and resources the role needs instead of '*'.",
    frameworks=("hipaa", "gdpr"),
)
def k8s_rbac_no_wildcard(resource: Resource, settings: Settings) -> Iterator[str]:
    """No Role or ClusterRole rule grants '*' verbs or '*' resources."""
    for index, policy_rule in _policy_rules(resource):
        fields = [name for name in ("verbs", "resources") if "*" in string_items(policy_rule.get(name))]
        if fields:
            yield f"{describe(resource)} rule {index} has '*' in {' and '.join(fields)}"


@rule(
    "k8s-rbac-no-escalation-verbs",
    control="k8s-rbac",
    severity="high",
    types=ROLE_TYPES,
    remediation="Remove the escalate, bind and impersonate verbs; grant role management only to cluster admins.",
    frameworks=("hipaa", "gdpr"),
)
def k8s_rbac_no_escalation_verbs(resource: Resource, settings: Settings) -> Iterator[str]:
    """No Role or ClusterRole rule grants the escalate, bind or impersonate verbs."""
    for index, policy_rule in _policy_rules(resource):
        verbs = [verb for verb in ESCALATION_VERBS if verb in string_items(policy_rule.get("verbs"))]
        if verbs:
            yield f"{describe(resource)} rule {index} grants verbs {', '.join(verbs)}"


@rule(
    "k8s-rbac-sensitive-access-platform-roles-only",
    control="k8s-rbac",
    severity="high",
    types=ROLE_TYPES,
    remediation=f"Move secrets read and pods/exec into a named platform role labelled {PLATFORM_ROLE_LABEL}: 'true'.",
    frameworks=("hipaa", "gdpr"),
)
def k8s_rbac_sensitive_access_platform_roles_only(resource: Resource, settings: Settings) -> Iterator[str]:
    """Only named platform roles read secrets or exec into pods."""
    if _is_platform_role(resource):
        return
    for index, policy_rule in _policy_rules(resource):
        resources = string_items(policy_rule.get("resources"))
        verbs = string_items(policy_rule.get("verbs"))
        grants = []
        if "secrets" in resources:
            grants += [f"{verb} secrets" for verb in SECRET_READ_VERBS if verb in verbs]
        if "pods/exec" in resources:
            grants += [f"{verb} pods/exec" for verb in EXEC_VERBS if verb in verbs]
        if grants:
            yield (
                f"{describe(resource)} rule {index} grants {', '.join(grants)} "
                f"but is not a platform role (label {PLATFORM_ROLE_LABEL}: 'true')"
            )
