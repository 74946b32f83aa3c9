"""The four platform roles, bound to the groups the config names.

Roles are data (`ROLES`): explicit verbs and resources, never `*`, never escalate/bind/impersonate, never secrets or
pods/exec (those belong to cluster-admin, which only the platform-admin groups hold). Team-scoped roles are
ClusterRoles bound per team namespace with RoleBindings ("A RoleBinding can also reference a ClusterRole to grant the
permissions defined in that ClusterRole to resources inside the RoleBinding's namespace", Kubernetes RBAC docs), so
one definition serves every team and grants nothing outside the team namespaces.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from llmops_infra.components.k8s.labels import record_labels
from llmops_infra.components.spec import RbacSpec
from llmops_infra.components.tagging import Tagging

RBAC_GROUP = "rbac.authorization.k8s.io"
CLUSTER_ADMIN = "cluster-admin"  # the built-in superuser ClusterRole (Kubernetes RBAC docs, user-facing roles)

# ---- roles --------------------------------------------------------------------------------------------------

READ = ("get", "list", "watch")
MANAGE = ("get", "list", "watch", "create", "update", "patch", "delete")


@dataclass(frozen=True)
class Rule:
    api_groups: tuple[str, ...]
    resources: tuple[str, ...]
    verbs: tuple[str, ...]

    def args(self) -> k8s.rbac.v1.PolicyRuleArgs:
        return k8s.rbac.v1.PolicyRuleArgs(
            api_groups=list(self.api_groups), resources=list(self.resources), verbs=list(self.verbs)
        )


@dataclass(frozen=True)
class RoleDefinition:
    name: str  # the ClusterRole's name
    purpose: str
    rules: tuple[Rule, ...]
    cluster_wide: bool  # bound with a ClusterRoleBinding; otherwise with a RoleBinding per team namespace


# ml-engineer: runs and operates workloads in the team namespaces. Not secrets (the cluster's credentials and the
# teams' keys), not pods/exec, pods/attach or pods/portforward (a shell or a tunnel into a pod that may hold
# personal data is a platform-admin action).
ML_ENGINEER = RoleDefinition(
    name="llmops-ml-engineer",
    purpose="rbac-ml-engineer",
    rules=(
        Rule(("",), ("pods", "services", "configmaps", "persistentvolumeclaims"), MANAGE),
        Rule(("",), ("pods/log", "events"), READ),
        Rule(("apps",), ("deployments", "statefulsets"), MANAGE),
        Rule(("apps",), ("replicasets",), READ),
        Rule(("batch",), ("jobs", "cronjobs"), MANAGE),
    ),
    cluster_wide=False,
)
# data-scientist: submits jobs and follows them; changes nothing else.
DATA_SCIENTIST = RoleDefinition(
    name="llmops-data-scientist",
    purpose="rbac-data-scientist",
    rules=(
        Rule(("batch",), ("jobs",), ("get", "list", "watch", "create")),
        Rule(("",), ("pods", "pods/log", "events"), READ),
    ),
    cluster_wide=False,
)
# auditor: reads how the cluster is configured, everywhere, and no data: no secrets, no pods/log (logs may carry
# personal data), no configmap-like escape hatch beyond what is listed. Every resource is named, never `*`.
AUDITOR = RoleDefinition(
    name="llmops-auditor",
    purpose="rbac-auditor",
    rules=(
        Rule(
            ("",),
            (
                "namespaces",
                "nodes",
                "pods",
                "services",
                "endpoints",
                "configmaps",
                "serviceaccounts",
                "persistentvolumes",
                "persistentvolumeclaims",
                "resourcequotas",
                "limitranges",
                "replicationcontrollers",
                "events",
            ),
            READ,
        ),
        Rule(("apps",), ("deployments", "statefulsets", "daemonsets", "replicasets"), READ),
        Rule(("batch",), ("jobs", "cronjobs"), READ),
        Rule(("networking.k8s.io",), ("networkpolicies", "ingresses"), READ),
        Rule((RBAC_GROUP,), ("roles", "rolebindings", "clusterroles", "clusterrolebindings"), READ),
        Rule(("policy",), ("poddisruptionbudgets",), READ),
        Rule(("scheduling.k8s.io",), ("priorityclasses",), READ),
        Rule(("storage.k8s.io",), ("storageclasses",), READ),
        Rule(("node.k8s.io",), ("runtimeclasses",), READ),
        Rule(
            ("admissionregistration.k8s.io",),
            (
                "validatingwebhookconfigurations",
                "mutatingwebhookconfigurations",
                "validatingadmissionpolicies",
                "validatingadmissionpolicybindings",
            ),
            READ,
        ),
    ),
    cluster_wide=True,
)
ROLES = (ML_ENGINEER, DATA_SCIENTIST, AUDITOR)


def group_subjects(groups: Iterable[str]) -> list[k8s.rbac.v1.SubjectArgs]:
    """RBAC subjects of kind Group for `groups`."""
    return [k8s.rbac.v1.SubjectArgs(kind="Group", name=group, api_group=RBAC_GROUP) for group in groups]


def _groups(rbac: RbacSpec) -> Mapping[str, Sequence[str]]:
    return {
        ML_ENGINEER.name: rbac.ml_engineers,
        DATA_SCIENTIST.name: rbac.data_scientists,
        AUDITOR.name: rbac.auditors,
    }


def create_rbac(
    name: str,
    rbac: RbacSpec,
    team_namespaces: Mapping[str, pulumi.Input[str]],
    tagging: Tagging,
    parent: pulumi.Resource,
) -> list[pulumi.Resource]:
    """The ClusterRoles and their bindings; a role nobody is configured for is still defined but bound to no one."""
    child = pulumi.ResourceOptions(parent=parent)
    created: list[pulumi.Resource] = []
    if rbac.platform_admins:
        created.append(
            k8s.rbac.v1.ClusterRoleBinding(
                f"{name}-platform-admins",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name="llmops-platform-admins", labels=record_labels(tagging, "rbac-platform-admin", "internal")
                ),
                role_ref=k8s.rbac.v1.RoleRefArgs(api_group=RBAC_GROUP, kind="ClusterRole", name=CLUSTER_ADMIN),
                subjects=group_subjects(rbac.platform_admins),
                opts=child,
            )
        )
    groups = _groups(rbac)
    for role in ROLES:
        labels = record_labels(tagging, role.purpose, "internal")
        cluster_role = k8s.rbac.v1.ClusterRole(
            f"{name}-{role.name}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=role.name, labels=labels),
            rules=[rule.args() for rule in role.rules],
            opts=child,
        )
        created.append(cluster_role)
        subjects = groups[role.name]
        if not subjects:
            continue
        role_ref = k8s.rbac.v1.RoleRefArgs(api_group=RBAC_GROUP, kind="ClusterRole", name=cluster_role.metadata.name)
        if role.cluster_wide:
            created.append(
                k8s.rbac.v1.ClusterRoleBinding(
                    f"{name}-{role.name}",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=role.name, labels=labels),
                    role_ref=role_ref,
                    subjects=group_subjects(subjects),
                    opts=child,
                )
            )
            continue
        for team, namespace in team_namespaces.items():
            created.append(
                k8s.rbac.v1.RoleBinding(
                    f"{name}-{team}-{role.name}",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=role.name, namespace=namespace, labels=labels),
                    role_ref=role_ref,
                    subjects=group_subjects(subjects),
                    opts=child,
                )
            )
    return created
