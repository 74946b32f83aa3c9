"""Kubernetes rules: RBAC escalation paths, Pod Security Standards "restricted" and default-deny namespaces.

Each rule is judged on a compliant baseline, then on the baseline with exactly one property changed, then with
that property unknown at preview (pulumi_policy's sentinels), and on resources of other types.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

import llmops_infra.policies.rules.kubernetes  # noqa: F401 - registers the rules
from llmops_infra.policies.runtime.rule import RULES, Resource, Settings, evaluate, evaluate_stack

DEFAULT_SETTINGS = Settings()  # a frozen dataclass: one instance serves as every default

CRB = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
RB = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
DAEMON_SET = "kubernetes:apps/v1:DaemonSet"
JOB = "kubernetes:batch/v1:Job"
CRON_JOB = "kubernetes:batch/v1:CronJob"
NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
BUCKET = "aws:s3/bucket:Bucket"

DELETE = object()  # a `changed` value meaning "remove the property"

POD_RULES = (
    "k8s-pod-no-host-access",
    "k8s-pod-privilege",
    "k8s-pod-non-root",
    "k8s-pod-seccomp",
    "k8s-pod-volume-types",
)
ROLE_RULES = ("k8s-rbac-no-wildcard", "k8s-rbac-no-escalation-verbs", "k8s-rbac-sensitive-access-platform-roles-only")


def resource(type_: str, props: dict[str, Any], name: str = "r", provider: dict[str, Any] | None = None) -> Resource:
    return Resource(type_, name, f"urn:pulumi:test::llmops-infra::{type_}::{name}", props, provider=provider)


def changed(props: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of `props` with the dotted `path` (list indices as numbers) set to `value`, or removed."""
    result = copy.deepcopy(props)
    *parents, last = path.split(".")
    target: Any = result
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target.setdefault(key, {})
    index: Any = int(last) if isinstance(target, list) else last
    if value is DELETE:
        del target[index]
    else:
        target[index] = value
    return result


def messages(rule_name: str, res: Resource, settings: Settings = DEFAULT_SETTINGS) -> list[str]:
    return evaluate(RULES[rule_name], res, settings)


# --- RBAC fixtures -----------------------------------------------------------------------------------------


def binding(kind: str = "ClusterRoleBinding", role: str = "cluster-admin") -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "admins"}
    if kind == "RoleBinding":
        metadata["namespace"] = "ml"
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": metadata,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "platform-admins"}],
    }


def role(kind: str = "Role") -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "reader", "labels": {"app.kubernetes.io/part-of": "llmops"}}
    if kind == "Role":
        metadata["namespace"] = "ml"
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": metadata,
        "rules": [
            {"apiGroups": [""], "resources": ["pods", "configmaps"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "patch"]},
        ],
    }


ROLE_LABEL = {"Role": "Role ml/reader", "ClusterRole": "ClusterRole reader (cluster-scoped)"}
ROLE_TOKEN = {"Role": ROLE, "ClusterRole": CLUSTER_ROLE}


# --- k8s-rbac-no-cluster-admin-binding ---------------------------------------------------------------------


@pytest.mark.parametrize("kind,token", [("ClusterRoleBinding", CRB), ("RoleBinding", RB)])
def test_cluster_admin_bound_only_to_platform_admin_group_passes(kind: str, token: str) -> None:
    assert messages("k8s-rbac-no-cluster-admin-binding", resource(token, binding(kind))) == []


def test_binding_to_another_role_may_name_any_subject() -> None:
    props = changed(binding(role="view"), "subjects.0", {"kind": "User", "name": "alice"})
    assert messages("k8s-rbac-no-cluster-admin-binding", resource(CRB, props)) == []


def test_cluster_admin_binding_without_subjects_binds_nobody_and_passes() -> None:
    assert messages("k8s-rbac-no-cluster-admin-binding", resource(CRB, changed(binding(), "subjects", DELETE))) == []


@pytest.mark.parametrize(
    "path,value,fragment",
    [
        ("subjects.0.kind", "User", "User platform-admins"),
        ("subjects.0.name", "developers", "Group developers"),
        ("subjects", "platform-admins", "'platform-admins'"),  # a string where a list belongs is not proof
        ("subjects.0", "platform-admins", "'platform-admins'"),
    ],
)
@pytest.mark.parametrize(
    "kind,token,label",
    [
        ("ClusterRoleBinding", CRB, "ClusterRoleBinding admins (cluster-scoped)"),
        ("RoleBinding", RB, "RoleBinding ml/admins"),
    ],
)
def test_cluster_admin_bound_to_anyone_else_is_a_violation(
    path: str, value: Any, fragment: str, kind: str, token: str, label: str
) -> None:
    found = messages("k8s-rbac-no-cluster-admin-binding", resource(token, changed(binding(kind), path, value)))
    assert len(found) == 1
    assert label in found[0] and "cluster-admin" in found[0] and fragment in found[0]


def test_cluster_admin_extra_subject_next_to_admin_group_is_a_violation() -> None:
    props = binding()
    props["subjects"].append({"kind": "ServiceAccount", "name": "ci", "namespace": "ci"})
    found = messages("k8s-rbac-no-cluster-admin-binding", resource(CRB, props))
    assert len(found) == 1 and "ServiceAccount ci" in found[0]


def test_platform_admin_group_comes_from_settings() -> None:
    settings = Settings(platform_admin_group="sre")
    res = resource(CRB, binding())
    assert len(messages("k8s-rbac-no-cluster-admin-binding", res, settings)) == 1
    assert (
        messages(
            "k8s-rbac-no-cluster-admin-binding", resource(CRB, changed(binding(), "subjects.0.name", "sre")), settings
        )
        == []
    )


@pytest.mark.parametrize(
    "path,sentinel",
    [
        ("roleRef.name", UNKNOWN_STRING_VALUE),
        ("roleRef", UNKNOWN_OBJECT_VALUE),
        ("subjects", UNKNOWN_ARRAY_VALUE),
        ("subjects.0.name", UNKNOWN_STRING_VALUE),
        ("subjects.0", UNKNOWN_OBJECT_VALUE),
    ],
)
def test_cluster_admin_binding_with_unknown_values_cannot_be_judged(path: str, sentinel: str) -> None:
    # Subject kind User would be a violation if the unknown value were read as a value.
    props = changed(changed(binding(), "subjects.0.kind", "User"), path, sentinel)
    assert messages("k8s-rbac-no-cluster-admin-binding", resource(CRB, props)) == []


def test_cluster_admin_binding_rule_ignores_roles() -> None:
    props = changed(binding(), "subjects.0.kind", "User")
    assert messages("k8s-rbac-no-cluster-admin-binding", resource(CLUSTER_ROLE, props)) == []


# --- Role / ClusterRole rules ------------------------------------------------------------------------------


@pytest.mark.parametrize("rule_name", ROLE_RULES)
@pytest.mark.parametrize("kind", ["Role", "ClusterRole"])
def test_scoped_read_role_passes(rule_name: str, kind: str) -> None:
    assert messages(rule_name, resource(ROLE_TOKEN[kind], role(kind))) == []


@pytest.mark.parametrize(
    "rule_name,path,value,fragments",
    [
        ("k8s-rbac-no-wildcard", "rules.0.verbs", ["*"], ["rule 0", "'*' in verbs"]),
        ("k8s-rbac-no-wildcard", "rules.1.resources", ["deployments", "*"], ["rule 1", "'*' in resources"]),
        ("k8s-rbac-no-escalation-verbs", "rules.1.verbs", ["get", "escalate"], ["rule 1", "escalate"]),
        ("k8s-rbac-no-escalation-verbs", "rules.1.verbs", ["bind"], ["rule 1", "bind"]),
        ("k8s-rbac-no-escalation-verbs", "rules.1.verbs", ["impersonate"], ["rule 1", "impersonate"]),
        ("k8s-rbac-sensitive-access-platform-roles-only", "rules.0.resources", ["secrets"], ["get secrets"]),
        ("k8s-rbac-sensitive-access-platform-roles-only", "rules.1.resources", ["pods/exec"], ["get pods/exec"]),
        (
            "k8s-rbac-sensitive-access-platform-roles-only",
            "rules.1",
            {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]},
            ["create pods/exec"],
        ),
        (
            "k8s-rbac-sensitive-access-platform-roles-only",
            "rules.1",
            {"apiGroups": [""], "resources": ["secrets"], "verbs": ["watch"]},
            ["watch secrets"],
        ),
    ],
)
@pytest.mark.parametrize("kind", ["Role", "ClusterRole"])
def test_role_granting_a_forbidden_permission_is_a_violation(
    rule_name: str, path: str, value: Any, fragments: list[str], kind: str
) -> None:
    found = messages(rule_name, resource(ROLE_TOKEN[kind], changed(role(kind), path, value)))
    assert len(found) == 1
    assert ROLE_LABEL[kind] in found[0]
    assert all(fragment in found[0] for fragment in fragments), found[0]


def test_wildcard_rule_reports_verbs_and_resources_of_one_rule_once() -> None:
    props = changed(changed(role(), "rules.0.verbs", ["*"]), "rules.0.resources", ["*"])
    found = messages("k8s-rbac-no-wildcard", resource(ROLE, props))
    assert found == ["Role ml/reader rule 0 has '*' in verbs and resources"]


def test_wildcard_api_group_alone_is_not_judged_by_the_wildcard_rule() -> None:
    # CONTROLS.md names verbs and resources; a '*' group with listed verbs and resources stays bounded.
    assert messages("k8s-rbac-no-wildcard", resource(ROLE, changed(role(), "rules.0.apiGroups", ["*"]))) == []


@pytest.mark.parametrize("verbs", [["create"], ["update", "delete"]])
def test_writing_secrets_is_not_reading_them(verbs: list[str]) -> None:
    props = changed(role(), "rules.1", {"apiGroups": [""], "resources": ["secrets"], "verbs": verbs})
    assert messages("k8s-rbac-sensitive-access-platform-roles-only", resource(ROLE, props)) == []


@pytest.mark.parametrize("kind", ["Role", "ClusterRole"])
def test_named_platform_role_may_read_secrets_and_exec(kind: str) -> None:
    props = changed(role(kind), "rules.0.resources", ["secrets", "pods/exec"])
    props = changed(props, "rules.0.verbs", ["get", "list", "watch", "create"])
    # Set directly: the label key has a dot, which `changed` would read as a path step.
    props["metadata"]["labels"]["llmops.dev/platform-role"] = "true"
    assert messages("k8s-rbac-sensitive-access-platform-roles-only", resource(ROLE_TOKEN[kind], props)) == []
    props["metadata"]["labels"]["llmops.dev/platform-role"] = "false"
    found = messages("k8s-rbac-sensitive-access-platform-roles-only", resource(ROLE_TOKEN[kind], props))
    assert len(found) == 1 and "get secrets" in found[0] and "create pods/exec" in found[0]


ROLE_VIOLATIONS = {
    "k8s-rbac-no-wildcard": ("rules.0.verbs", ["*"]),
    "k8s-rbac-no-escalation-verbs": ("rules.0.verbs", ["bind"]),
    "k8s-rbac-sensitive-access-platform-roles-only": ("rules.0.resources", ["secrets"]),
}


ROLE_READS = {
    "k8s-rbac-no-wildcard": [("rules.0.verbs", UNKNOWN_ARRAY_VALUE), ("rules.0.verbs.0", UNKNOWN_STRING_VALUE)],
    "k8s-rbac-no-escalation-verbs": [("rules.0.verbs", UNKNOWN_ARRAY_VALUE), ("rules.0.verbs.0", UNKNOWN_STRING_VALUE)],
    "k8s-rbac-sensitive-access-platform-roles-only": [
        ("rules.0.resources", UNKNOWN_ARRAY_VALUE),
        ("rules.0.resources.0", UNKNOWN_STRING_VALUE),
        ("rules.0.verbs", UNKNOWN_ARRAY_VALUE),
        ("metadata.labels", UNKNOWN_OBJECT_VALUE),
    ],
}
ROLE_STRUCTURE_UNKNOWNS = [
    ("rules", UNKNOWN_ARRAY_VALUE),
    ("rules.0", UNKNOWN_OBJECT_VALUE),
    ("metadata.namespace", UNKNOWN_STRING_VALUE),
]


@pytest.mark.parametrize(
    "rule_name,path,sentinel",
    [(rule_name, path, sentinel) for rule_name in ROLE_RULES for path, sentinel in ROLE_STRUCTURE_UNKNOWNS]
    + [(rule_name, path, sentinel) for rule_name, reads in ROLE_READS.items() for path, sentinel in reads],
)
def test_role_with_unknown_values_cannot_be_judged(rule_name: str, path: str, sentinel: str) -> None:
    violating = changed(role(), *ROLE_VIOLATIONS[rule_name])
    assert len(messages(rule_name, resource(ROLE, violating))) == 1
    assert messages(rule_name, resource(ROLE, changed(violating, path, sentinel))) == []


@pytest.mark.parametrize("rule_name", ROLE_RULES)
def test_role_rules_ignore_bindings(rule_name: str) -> None:
    violating = changed(role(), *ROLE_VIOLATIONS[rule_name])
    assert messages(rule_name, resource(RB, violating)) == []


# --- pod security fixtures ---------------------------------------------------------------------------------

RESTRICTED_CONTEXT: dict[str, Any] = {
    "privileged": False,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
}


def pod_spec() -> dict[str, Any]:
    """Restricted: `app` inherits runAsNonRoot and seccomp from the pod, `setup` sets its own."""
    return {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            {
                "name": "app",
                "image": "registry.example/app:1",
                "ports": [{"containerPort": 8080, "name": "http"}],
                "securityContext": copy.deepcopy(RESTRICTED_CONTEXT),
                "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}],
            }
        ],
        "initContainers": [
            {
                "name": "setup",
                "image": "registry.example/setup:1",
                "securityContext": {
                    **copy.deepcopy(RESTRICTED_CONTEXT),
                    "runAsNonRoot": True,
                    "runAsUser": 2000,
                    "seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/setup.json"},
                },
            }
        ],
        "volumes": [
            {"name": "config", "configMap": {"name": "app-config"}},
            {"name": "scratch", "emptyDir": {}},
            {"name": "data", "persistentVolumeClaim": {"claimName": "data"}},
            {"name": "token", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}},
        ],
    }


KINDS = {
    DEPLOYMENT: ("apps/v1", "Deployment"),
    STATEFUL_SET: ("apps/v1", "StatefulSet"),
    DAEMON_SET: ("apps/v1", "DaemonSet"),
    JOB: ("batch/v1", "Job"),
    CRON_JOB: ("batch/v1", "CronJob"),
}


def workload(
    token: str = DEPLOYMENT, pod: dict[str, Any] | None = None, namespace: str | None = "ml"
) -> dict[str, Any]:
    api_version, kind = KINDS[token]
    template = {"metadata": {"labels": {"app": "web"}}, "spec": pod if pod is not None else pod_spec()}
    spec: dict[str, Any] = {"selector": {"matchLabels": {"app": "web"}}, "template": template}
    if token == CRON_JOB:
        spec = {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": template}}}
    elif token == JOB:
        spec = {"template": template}
    metadata: dict[str, Any] = {"name": "web", "labels": {"data-classification": "phi"}}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec}


def pod_with(path: str, value: Any) -> dict[str, Any]:
    return changed(pod_spec(), path, value)


@pytest.mark.parametrize("rule_name", POD_RULES)
@pytest.mark.parametrize("token", list(KINDS))
def test_restricted_workload_passes(rule_name: str, token: str) -> None:
    assert messages(rule_name, resource(token, workload(token))) == []


POD_VIOLATIONS = [
    # rule, pod-spec path, value, message fragments
    ("k8s-pod-no-host-access", "hostNetwork", True, ["sets hostNetwork True"]),
    ("k8s-pod-no-host-access", "hostPID", True, ["sets hostPID True"]),
    ("k8s-pod-no-host-access", "hostIPC", True, ["sets hostIPC True"]),
    ("k8s-pod-no-host-access", "volumes.1", {"name": "host", "hostPath": {"path": "/"}}, ["hostPath volume host"]),
    ("k8s-pod-no-host-access", "containers.0.ports.0.hostPort", 8080, ["container app", "hostPort 8080"]),
    ("k8s-pod-privilege", "containers.0.securityContext.privileged", True, ["container app", "privileged True"]),
    ("k8s-pod-privilege", "initContainers.0.securityContext.privileged", True, ["init container setup", "privileged"]),
    (
        "k8s-pod-privilege",
        "containers.0.securityContext.allowPrivilegeEscalation",
        True,
        ["container app", "allowPrivilegeEscalation false"],
    ),
    (
        "k8s-pod-privilege",
        "containers.0.securityContext.allowPrivilegeEscalation",
        DELETE,
        ["container app", "allowPrivilegeEscalation false"],
    ),
    (
        "k8s-pod-privilege",
        "containers.0.securityContext.capabilities.drop",
        ["NET_RAW"],
        ["container app", "drop ALL"],
    ),
    (
        "k8s-pod-privilege",
        "containers.0.securityContext.capabilities.add",
        ["NET_BIND_SERVICE", "SYS_ADMIN"],
        ["container app", "adds capabilities SYS_ADMIN"],
    ),
    (
        "k8s-pod-privilege",
        "containers.0.securityContext.capabilities.add",
        "SYS_ADMIN",
        ["adds capabilities SYS_ADMIN"],
    ),
    ("k8s-pod-non-root", "securityContext.runAsNonRoot", DELETE, ["container app", "runAsNonRoot true"]),
    ("k8s-pod-non-root", "securityContext.runAsNonRoot", False, ["container app", "runAsNonRoot true"]),
    ("k8s-pod-non-root", "containers.0.securityContext.runAsNonRoot", False, ["container app", "runAsNonRoot true"]),
    (
        "k8s-pod-non-root",
        "initContainers.0.securityContext.runAsNonRoot",
        False,
        ["init container setup", "runAsNonRoot true"],
    ),
    ("k8s-pod-non-root", "securityContext.runAsUser", 0, ["pod securityContext.runAsUser 0"]),
    ("k8s-pod-non-root", "containers.0.securityContext.runAsUser", 0, ["container app", "runAsUser 0"]),
    ("k8s-pod-seccomp", "securityContext.seccompProfile.type", "Unconfined", ["container app", "'Unconfined'"]),
    ("k8s-pod-seccomp", "securityContext.seccompProfile", DELETE, ["container app", "None"]),
    (
        "k8s-pod-seccomp",
        "containers.0.securityContext.seccompProfile",
        {"type": "Unconfined"},
        ["container app", "'Unconfined'"],
    ),
    (
        "k8s-pod-seccomp",
        "initContainers.0.securityContext.seccompProfile.type",
        "Unconfined",
        ["init container setup", "'Unconfined'"],
    ),
    ("k8s-pod-volume-types", "volumes.1", {"name": "shared", "nfs": {"server": "nfs", "path": "/"}}, ["shared", "nfs"]),
    ("k8s-pod-volume-types", "volumes.1", {"name": "host", "hostPath": {"path": "/"}}, ["host", "hostPath"]),
]


@pytest.mark.parametrize("rule_name,path,value,fragments", POD_VIOLATIONS)
def test_workload_breaking_restricted_is_a_violation(
    rule_name: str, path: str, value: Any, fragments: list[str]
) -> None:
    found = messages(rule_name, resource(DEPLOYMENT, workload(pod=pod_with(path, value))))
    assert len(found) == 1, found
    assert "Deployment ml/web" in found[0]
    assert all(fragment in found[0] for fragment in fragments), found[0]


@pytest.mark.parametrize("token", list(KINDS))
def test_every_workload_kind_has_its_pod_template_judged(token: str) -> None:
    res = resource(token, workload(token, pod_with("containers.0.securityContext.privileged", True)))
    found = messages("k8s-pod-privilege", res)
    assert found == [f"{KINDS[token][1]} ml/web container app sets securityContext.privileged True"]


def test_ephemeral_containers_are_judged() -> None:
    debug = {"name": "debug", "image": "busybox", "securityContext": {**RESTRICTED_CONTEXT, "privileged": True}}
    found = messages("k8s-pod-privilege", resource(DEPLOYMENT, workload(pod=pod_with("ephemeralContainers", [debug]))))
    assert found == ["Deployment ml/web ephemeral container debug sets securityContext.privileged True"]


@pytest.mark.parametrize("seccomp", ["RuntimeDefault", "Localhost"])
def test_container_level_settings_replace_pod_level_ones(seccomp: str) -> None:
    pod = pod_with("securityContext", {})
    pod["containers"][0]["securityContext"].update({"runAsNonRoot": True, "seccompProfile": {"type": seccomp}})
    res = resource(DEPLOYMENT, workload(pod=pod))
    assert messages("k8s-pod-non-root", res) == [] and messages("k8s-pod-seccomp", res) == []


def test_hostport_zero_means_unset() -> None:
    res = resource(DEPLOYMENT, workload(pod=pod_with("containers.0.ports.0.hostPort", 0)))
    assert messages("k8s-pod-no-host-access", res) == []


def hostile_pod() -> dict[str, Any]:
    """Breaks every pod rule: host PID, a privileged root container without seccomp, hostPath and nfs volumes."""
    pod = pod_with("hostPID", True)
    pod["securityContext"] = {"runAsUser": 0}
    pod["containers"][0]["securityContext"] = {"privileged": True}
    pod["volumes"] += [{"name": "host-root", "hostPath": {"path": "/"}}, {"name": "nfs", "nfs": {"server": "n"}}]
    return pod


def privileged_driver(token: str = DAEMON_SET, namespace: str | None = "gpu-operator") -> dict[str, Any]:
    return workload(token, hostile_pod(), namespace)


@pytest.mark.parametrize("rule_name", POD_RULES)
def test_privileged_system_addon_in_exempt_namespace_passes(rule_name: str) -> None:
    assert messages(rule_name, resource(DAEMON_SET, privileged_driver())) == []


@pytest.mark.parametrize("rule_name", POD_RULES)
def test_privileged_system_addon_outside_exempt_namespace_is_a_violation(rule_name: str) -> None:
    found = messages(rule_name, resource(DAEMON_SET, privileged_driver(namespace="ml")))
    assert found and all(message.startswith("DaemonSet ml/web ") for message in found)


def test_exempt_namespaces_come_from_settings() -> None:
    res = resource(DAEMON_SET, privileged_driver(namespace="nvidia"))
    assert messages("k8s-pod-privilege", res) != []
    assert messages("k8s-pod-privilege", res, Settings(exempt_namespaces=("nvidia",))) == []
    assert (
        messages("k8s-pod-privilege", resource(DAEMON_SET, privileged_driver()), Settings(exempt_namespaces=())) != []
    )


def test_workload_without_namespace_lands_in_the_providers_namespace() -> None:
    props = privileged_driver(namespace=None)
    assert messages("k8s-pod-privilege", resource(DAEMON_SET, props, provider={"namespace": "kube-system"})) == []
    found = messages("k8s-pod-privilege", resource(DAEMON_SET, props))
    assert found and found[0].startswith("DaemonSet default/web ")


def test_workload_without_metadata_name_is_named_by_its_logical_name() -> None:
    props = workload(pod=pod_with("hostNetwork", True))
    del props["metadata"]["name"]
    assert messages("k8s-pod-no-host-access", resource(DEPLOYMENT, props, name="inference")) == [
        "Deployment ml/inference sets hostNetwork True in its pod template"
    ]


@pytest.mark.parametrize("rule_name,path,value,fragments", POD_VIOLATIONS)
@pytest.mark.parametrize(
    "sentinel", [UNKNOWN_STRING_VALUE, UNKNOWN_BOOLEAN_VALUE, UNKNOWN_NUMBER_VALUE, UNKNOWN_OBJECT_VALUE]
)
def test_workload_with_the_checked_property_unknown_cannot_be_judged(
    rule_name: str, path: str, value: Any, fragments: list[str], sentinel: str
) -> None:
    res = resource(DEPLOYMENT, workload(pod=pod_with(path, sentinel)))
    assert messages(rule_name, res) == []


STRUCTURE_UNKNOWNS = [
    ("spec", UNKNOWN_OBJECT_VALUE),
    ("spec.template", UNKNOWN_OBJECT_VALUE),
    ("spec.template.spec", UNKNOWN_OBJECT_VALUE),
    ("metadata.namespace", UNKNOWN_STRING_VALUE),  # it might be an exempt namespace
]
# What each rule reads besides the template itself: unknown there, it cannot judge.
RULE_READS = {
    "k8s-pod-no-host-access": ["containers", "containers.0", "containers.0.ports", "volumes", "volumes.4"],
    "k8s-pod-privilege": ["containers", "containers.0", "containers.0.securityContext"],
    "k8s-pod-non-root": ["containers", "containers.0", "securityContext", "securityContext.runAsUser"],
    "k8s-pod-seccomp": ["containers", "containers.0.securityContext", "securityContext"],
    "k8s-pod-volume-types": ["volumes", "volumes.5"],
}


@pytest.mark.parametrize(
    "rule_name,path,sentinel",
    [(rule_name, path, sentinel) for rule_name in POD_RULES for path, sentinel in STRUCTURE_UNKNOWNS]
    + [
        (rule_name, f"spec.template.spec.{path}", UNKNOWN_OBJECT_VALUE)
        for rule_name, paths in RULE_READS.items()
        for path in paths
    ],
)
def test_violating_workload_with_unknown_structure_cannot_be_judged(rule_name: str, path: str, sentinel: str) -> None:
    props = privileged_driver(DEPLOYMENT, namespace="ml")
    assert messages(rule_name, resource(DEPLOYMENT, props)) != []
    assert messages(rule_name, resource(DEPLOYMENT, changed(props, path, sentinel))) == []


@pytest.mark.parametrize("rule_name", POD_RULES)
def test_unknown_values_a_rule_does_not_read_do_not_hide_its_violations(rule_name: str) -> None:
    props = privileged_driver(DEPLOYMENT, namespace="ml")
    unread = {"spec.replicas", "spec.template.metadata", "metadata.labels"}
    for path in unread:
        props = changed(props, path, UNKNOWN_OBJECT_VALUE)
    assert messages(rule_name, resource(DEPLOYMENT, props)) != []


def test_cronjob_job_template_unknown_cannot_be_judged() -> None:
    props = privileged_driver(CRON_JOB, namespace="ml")
    assert messages("k8s-pod-privilege", resource(CRON_JOB, props)) != []
    props = changed(props, "spec.jobTemplate", UNKNOWN_OBJECT_VALUE)
    assert messages("k8s-pod-privilege", resource(CRON_JOB, props)) == []


@pytest.mark.parametrize("rule_name", POD_RULES)
@pytest.mark.parametrize("token", [ROLE, NAMESPACE, "kubernetes:core/v1:Service", BUCKET])
def test_pod_rules_ignore_other_types(rule_name: str, token: str) -> None:
    assert messages(rule_name, resource(token, privileged_driver(DEPLOYMENT, namespace="ml"))) == []


ODD_SHAPES: list[tuple[str, Any]] = [
    ("spec", "oops"),
    ("spec.template", ["not", "a", "template"]),
    ("spec.template.spec", None),
    ("spec.template.spec.containers", "app"),
    ("spec.template.spec.containers", [None, 3, "x"]),
    ("spec.template.spec.containers.0.securityContext", "restricted"),
    ("spec.template.spec.containers.0.securityContext.capabilities", ["ALL"]),
    ("spec.template.spec.containers.0.securityContext.capabilities.drop", "ALL"),
    ("spec.template.spec.containers.0.securityContext.seccompProfile", 7),
    ("spec.template.spec.containers.0.ports", {"hostPort": 80}),
    ("spec.template.spec.containers.0.ports.0", "8080"),
    ("spec.template.spec.volumes", {"name": "x"}),
    ("spec.template.spec.volumes.0", "config"),
    ("spec.template.spec.securityContext", [1]),
    ("metadata", "web"),
    ("metadata.namespace", 5),
]


@pytest.mark.parametrize("rule_name", POD_RULES)
@pytest.mark.parametrize("path,value", ODD_SHAPES)
def test_odd_shapes_never_raise(rule_name: str, path: str, value: Any) -> None:
    found = messages(rule_name, resource(DEPLOYMENT, changed(workload(), path, value)))
    assert all(isinstance(message, str) and message.startswith("Deployment ") for message in found)


@pytest.mark.parametrize(
    "rule_name,path,value",
    [
        ("k8s-pod-privilege", "spec.template.spec.containers.0.securityContext.capabilities.drop", "ALL"),
        ("k8s-pod-privilege", "spec.template.spec.containers.0.securityContext", "restricted"),
        ("k8s-pod-non-root", "spec.template.spec.securityContext", [1]),
    ],
)
def test_odd_shape_where_a_setting_is_required_is_not_compliant(rule_name: str, path: str, value: Any) -> None:
    assert messages(rule_name, resource(DEPLOYMENT, changed(workload(), path, value))) != []


@pytest.mark.parametrize(
    "rule_name,path,value",
    [
        ("k8s-rbac-no-cluster-admin-binding", "roleRef", "cluster-admin"),
        ("k8s-rbac-no-wildcard", "rules", "*"),
        ("k8s-rbac-no-wildcard", "rules.0.verbs", "*"),
        ("k8s-rbac-no-escalation-verbs", "rules", [None, 1, "bind"]),
        ("k8s-rbac-sensitive-access-platform-roles-only", "metadata.labels", ["llmops.dev/platform-role"]),
        ("k8s-rbac-sensitive-access-platform-roles-only", "metadata", None),
    ],
)
def test_odd_rbac_shapes_never_raise(rule_name: str, path: str, value: Any) -> None:
    token = CRB if rule_name == "k8s-rbac-no-cluster-admin-binding" else ROLE
    base = binding() if token == CRB else role()
    found = messages(rule_name, resource(token, changed(base, path, value)))
    assert all(isinstance(message, str) for message in found)


# --- k8s-namespace-default-deny ----------------------------------------------------------------------------


def namespace(name: str = "ml") -> Resource:
    props = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {"team": "ml"}}}
    return resource(NAMESPACE, props, name=name)


def default_deny(namespace_name: str = "ml") -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "default-deny", "namespace": namespace_name},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }


def stack(policy: dict[str, Any] | None = None, *extra: Resource) -> list[Resource]:
    """Namespace ml with its policy, kube-system (exempt, no policy) and a non-Kubernetes resource."""
    resources = [namespace("ml"), namespace("kube-system"), resource(BUCKET, {"bucket": "models"}, name="models")]
    if policy is not None:
        resources.append(resource(NETWORK_POLICY, policy, name="ml-default-deny"))
    return [*resources, *extra]


def violations(resources: list[Resource], settings: Settings = DEFAULT_SETTINGS) -> list[tuple[Resource, str]]:
    return evaluate_stack(RULES["k8s-namespace-default-deny"], resources, settings)


def test_namespace_with_default_deny_ingress_policy_passes() -> None:
    assert violations(stack(default_deny())) == []


@pytest.mark.parametrize(
    "path,value",
    [
        ("spec.policyTypes", DELETE),  # the API defaults policyTypes to include Ingress
        ("spec.policyTypes", ["Ingress"]),
        ("spec.podSelector", {"matchLabels": {}}),
        ("spec.ingress", []),
        ("spec.egress", [{"to": [{"namespaceSelector": {}}]}]),  # egress rules do not weaken an ingress deny
    ],
)
def test_equivalent_default_deny_shapes_pass(path: str, value: Any) -> None:
    assert violations(stack(changed(default_deny(), path, value))) == []


def test_namespace_without_network_policy_is_a_violation() -> None:
    found = violations(stack())
    assert [(res.name, message) for res, message in found] == [
        (
            "ml",
            "Namespace ml (cluster-scoped) has no default-deny NetworkPolicy "
            "(podSelector {}, policyTypes Ingress, no ingress rules) in it",
        )
    ]


@pytest.mark.parametrize(
    "path,value",
    [
        ("metadata.namespace", "other"),
        ("spec.podSelector", {"matchLabels": {"app": "web"}}),
        ("spec.podSelector", DELETE),
        ("spec.policyTypes", ["Egress"]),
        ("spec.ingress", [{}]),  # one empty rule allows all ingress
        ("spec.ingress", {"from": []}),
    ],
)
def test_policy_that_is_not_a_default_deny_for_the_namespace_is_a_violation(path: str, value: Any) -> None:
    found = violations(stack(changed(default_deny(), path, value)))
    assert len(found) == 1
    res, message = found[0]
    assert res.type == NAMESPACE and message.startswith("Namespace ml ")


def test_namespace_without_metadata_name_matches_by_logical_name() -> None:
    ns = resource(NAMESPACE, {"apiVersion": "v1", "kind": "Namespace", "metadata": {}}, name="ml")
    policy = resource(NETWORK_POLICY, default_deny("ml"), name="deny")
    assert violations([ns, policy]) == []
    assert len(violations([ns])) == 1


def test_policy_without_namespace_lands_in_the_providers_namespace() -> None:
    props = changed(default_deny(), "metadata.namespace", DELETE)
    assert violations([namespace(), resource(NETWORK_POLICY, props, provider={"namespace": "ml"})]) == []
    assert len(violations([namespace(), resource(NETWORK_POLICY, props)])) == 1


def test_exempt_namespaces_come_from_settings_for_default_deny() -> None:
    assert violations(stack(default_deny()), Settings(exempt_namespaces=())) != []
    assert violations(stack(), Settings(exempt_namespaces=("ml", "kube-system"))) == []


@pytest.mark.parametrize(
    "path,sentinel",
    [
        ("metadata.namespace", UNKNOWN_STRING_VALUE),
        ("metadata", UNKNOWN_OBJECT_VALUE),
        ("spec", UNKNOWN_OBJECT_VALUE),
        ("spec.podSelector", UNKNOWN_OBJECT_VALUE),
        ("spec.policyTypes", UNKNOWN_ARRAY_VALUE),
        ("spec.policyTypes.0", UNKNOWN_STRING_VALUE),
        ("spec.ingress", UNKNOWN_ARRAY_VALUE),
    ],
)
def test_policy_with_unknown_values_cannot_be_judged(path: str, sentinel: str) -> None:
    # With these values read as values the policy would not count and namespace ml would be a violation.
    assert violations(stack(changed(default_deny(), path, sentinel))) == []


def test_namespace_name_unknown_cannot_be_judged() -> None:
    ns = resource(NAMESPACE, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": UNKNOWN_STRING_VALUE}})
    assert violations([ns]) == []


def test_default_deny_ignores_non_namespace_resources() -> None:
    # A NetworkPolicy-shaped or namespaced object of another type neither needs nor provides a default deny.
    other = resource("kubernetes:core/v1:ConfigMap", {"metadata": {"name": "x", "namespace": "ml"}}, name="x")
    lookalike = resource("kubernetes:core/v1:Service", default_deny(), name="svc")
    assert violations([other, resource(BUCKET, {"bucket": "models"})]) == []
    assert len(violations([namespace(), lookalike])) == 1
