"""Kubernetes RBAC rules (k8s-rbac): no cluster-admin outside the platform-admin group, no escalation paths.

Props are the Kubernetes object as pulumi-kubernetes registers it (apiVersion, kind, metadata, spec, camelCase
as in the API), read through runtime/kubernetes.py: a field of an unexpected type is treated as absent (or as
non-compliant where absence is itself a violation), never as a reason to raise. Each policy rule, each subject and
each verb or resource is judged on its own: a value unknown at preview withholds only the verdicts that read it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from typing import Any

from llmops_infra.policies.runtime.kubernetes import describe, elements, every, holding, holds, is_list, stop_if
from llmops_infra.policies.runtime.props import nested, shown
from llmops_infra.policies.runtime.resources import known
from llmops_infra.policies.runtime.rule import Resource, Settings, judge_each, rule

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


def _each_policy_rule(resource: Resource, judge: Callable[[int, Mapping[str, Any]], Iterable[str]]) -> Iterator[str]:
    """judge(index, rule)'s messages for each policy rule of a Role or ClusterRole, each judged on its own."""
    return judge_each(
        elements(resource.props.get("rules")),
        lambda index, item: judge(index, item) if isinstance(item, Mapping) else (),
    )


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
    if not is_list(subjects):
        others, undecided = [shown(subjects)], False
    else:
        listed = elements(subjects)
        odd, undecided = holding(range(len(listed)), lambda index: not _is_admin_group(listed[index], settings))
        others = [_subject_label(listed[index]) for index in odd]
    if others:
        yield (
            f"{describe(resource)} binds roleRef cluster-admin to {', '.join(others)}, "
            f"not only to Group {settings.platform_admin_group}"
        )
    stop_if(undecided)


def _is_admin_group(subject: Any, settings: Settings) -> bool:
    """Whether a subject is the platform-admin group: a known kind or name that is not it decides "no", whatever
    the other is (CannotJudge when that is all an unknown value leaves open)."""
    wanted = (("kind", "Group"), ("name", settings.platform_admin_group))
    return isinstance(subject, Mapping) and every(wanted, lambda pair: subject.get(pair[0]) == pair[1])


def _subject_label(subject: Any) -> str:
    if not isinstance(subject, Mapping):
        return shown(subject)
    parts = (known(partial(subject.get, key)) for key in ("kind", "name"))
    return " ".join(v if isinstance(v, str) else shown(v) for v in parts)


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
    yield from _each_policy_rule(resource, lambda index, policy_rule: _wildcards(resource, index, policy_rule))


def _wildcards(resource: Resource, index: int, policy_rule: Mapping[str, Any]) -> Iterator[str]:
    fields, undecided = holding(("verbs", "resources"), lambda name: holds(policy_rule.get(name), "*"))
    if fields:
        yield f"{describe(resource)} rule {index} has '*' in {' and '.join(fields)}"
    stop_if(undecided)


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
    yield from _each_policy_rule(resource, lambda index, policy_rule: _escalation_verbs(resource, index, policy_rule))


def _escalation_verbs(resource: Resource, index: int, policy_rule: Mapping[str, Any]) -> Iterator[str]:
    verbs, undecided = holding(ESCALATION_VERBS, lambda verb: holds(policy_rule.get("verbs"), verb))
    if verbs:
        yield f"{describe(resource)} rule {index} grants verbs {', '.join(verbs)}"
    stop_if(undecided)


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
    yield from _each_policy_rule(resource, lambda index, policy_rule: _sensitive_grants(resource, index, policy_rule))


# The (resource, verb) pairs that only platform roles may grant, in the order messages name them.
SENSITIVE_GRANTS = (
    *(("secrets", verb) for verb in SECRET_READ_VERBS),
    *(("pods/exec", verb) for verb in EXEC_VERBS),
)


def _sensitive_grants(resource: Resource, index: int, policy_rule: Mapping[str, Any]) -> Iterator[str]:
    grants, undecided = holding(SENSITIVE_GRANTS, lambda pair: _grants(policy_rule, *pair))
    if grants:
        yield (
            f"{describe(resource)} rule {index} grants {', '.join(f'{verb} {name}' for name, verb in grants)} "
            f"but is not a platform role (label {PLATFORM_ROLE_LABEL}: 'true')"
        )
    stop_if(undecided)


def _grants(policy_rule: Mapping[str, Any], name: str, verb: str) -> bool:
    """Whether a policy rule grants `verb` on resource `name`: a known absence of either decides "no", whatever
    the other is."""
    return every((("resources", name), ("verbs", verb)), lambda pair: holds(policy_rule.get(pair[0]), pair[1]))
