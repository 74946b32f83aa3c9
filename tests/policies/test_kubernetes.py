"""Kubernetes rules (policies/rules/kubernetes/): RBAC, Pod Security Standards "restricted", default-deny
namespaces and records of processing.

One table of cases (tests/rule_judging.py): each rule on a compliant object of every kind it judges, one property
changed at a time (exactly one violation, naming the object), one value unknown at preview at a time (none, as the
rule reads it and cannot judge); then the behaviour a table does not show.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

from llmops_infra.policies.runtime.rule import RULES, Settings
from llmops_infra.policies.runtime.verdicts import judge
from tests.rule_judging import (
    DELETE,
    Case,
    Path,
    changed,
    resource,
    stack_violations,
    violations,
)

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
PVC = "kubernetes:core/v1:PersistentVolumeClaim"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
BUCKET = "aws:s3/bucket:Bucket"

POD_RULES = (
    "k8s-pod-no-host-access",
    "k8s-pod-privilege",
    "k8s-pod-non-root",
    "k8s-pod-seccomp",
    "k8s-pod-volume-types",
)
ROLE_RULES = ("k8s-rbac-no-wildcard", "k8s-rbac-no-escalation-verbs", "k8s-rbac-sensitive-access-platform-roles-only")
PLATFORM_ROLE = ("metadata", "labels", "llmops.dev/platform-role")

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


BINDING_TOKEN = {"ClusterRoleBinding": CRB, "RoleBinding": RB}
BINDING_LABEL = {
    "ClusterRoleBinding": "ClusterRoleBinding admins (cluster-scoped)",
    "RoleBinding": "RoleBinding ml/admins",
}
ROLE_LABEL = {"Role": "Role ml/reader", "ClusterRole": "ClusterRole reader (cluster-scoped)"}
ROLE_TOKEN = {"Role": ROLE, "ClusterRole": CLUSTER_ROLE}

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
POD = ("spec", "template", "spec")  # where a Deployment (StatefulSet, DaemonSet, Job) keeps its pod spec


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


def pod_with(path: Path, value: Any) -> dict[str, Any]:
    return changed(pod_spec(), path, value)


def hostile_pod() -> dict[str, Any]:
    """Breaks every pod rule: host PID, a privileged root container without seccomp, hostPath and nfs volumes."""
    pod = pod_with(("hostPID",), True)
    pod["securityContext"] = {"runAsUser": 0}
    pod["containers"][0]["securityContext"] = {"privileged": True}
    pod["volumes"] += [{"name": "host-root", "hostPath": {"path": "/"}}, {"name": "nfs", "nfs": {"server": "n"}}]
    return pod


# hostile_pod() as changes to a compliant Deployment's pod template.
HOSTILE = [((*POD, key), value) for key, value in hostile_pod().items() if value != pod_spec().get(key)]


def privileged_driver(token: str = DAEMON_SET, namespace: str | None = "gpu-operator") -> dict[str, Any]:
    return workload(token, hostile_pod(), namespace)


# --- namespace fixtures ------------------------------------------------------------------------------------


def namespace_props(name: str = "ml") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {"team": "ml"}}}


def default_deny(namespace_name: str = "ml") -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "default-deny", "namespace": namespace_name},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }


RECORD_LABELS = {"owner": "ml-platform", "purpose": "inference", "data-classification": "phi"}


def labelled(type_: str, labels: Any, namespace: str | None = "llm") -> dict[str, Any]:
    """A Namespace `llm`, or an object `weights` in namespace `llm`, with `labels`."""
    metadata: dict[str, Any] = {"name": "llm" if type_ == NAMESPACE else "weights", "labels": labels}
    if namespace and type_ != NAMESPACE:
        metadata["namespace"] = namespace
    return {"apiVersion": "v1", "kind": type_.rsplit(":", 1)[-1], "metadata": metadata}


# --- the cases ---------------------------------------------------------------------------------------------


def cases_by_needs(
    rule_name: str,
    type_: str,
    props: dict[str, Any],
    changes: list[tuple[Path, Any, str]],
    needs_of: Callable[[Path], list[Path]],
    needs: list[Path] | None = None,
    **options: Any,
) -> list[Case]:
    """The cases of one rule on one baseline, one per set of further properties its changes' verdicts need
    (Case.needs is one list per case): changes needing only `needs` keep the plain id and the `unknowns`, the
    others' ids name what they also need."""
    groups: dict[tuple[Path, ...], list[tuple[Path, Any, str]]] = {(): []}
    for change in changes:
        groups.setdefault(tuple(needs_of(change[0])), []).append(change)
    base = options.pop("id", f"{rule_name}[{type_}]")
    unknowns = options.pop("unknowns", [])
    return [
        Case(
            rule_name,
            type_,
            props,
            group,
            unknowns if not more else [],
            id=base if not more else f"{base}-needing-{'+'.join('.'.join(map(str, need)) for need in more)}",
            needs=[*(needs or []), *more],
            **options,
        )
        for more, group in groups.items()
        if group or not more
    ]


# What each Role rule forbids, as one change to the compliant role: its violating variant.
ROLE_VIOLATIONS: dict[str, tuple[Path, Any]] = {
    "k8s-rbac-no-wildcard": (("rules", 0, "verbs"), ["*"]),
    "k8s-rbac-no-escalation-verbs": (("rules", 0, "verbs"), ["bind"]),
    "k8s-rbac-sensitive-access-platform-roles-only": (("rules", 0, "resources"), ["secrets"]),
}
ROLE_CHANGES: dict[str, list[tuple[Path, Any, str]]] = {
    "k8s-rbac-no-wildcard": [
        (("rules", 0, "verbs"), ["*"], "rule 0 has '*' in verbs"),
        (("rules", 1, "resources"), ["deployments", "*"], "rule 1 has '*' in resources"),
    ],
    "k8s-rbac-no-escalation-verbs": [
        (("rules", 1, "verbs"), ["get", "escalate"], "rule 1 grants verbs escalate"),
        (("rules", 1, "verbs"), ["bind"], "rule 1 grants verbs bind"),
        (("rules", 1, "verbs"), ["impersonate"], "rule 1 grants verbs impersonate"),
    ],
    "k8s-rbac-sensitive-access-platform-roles-only": [
        (("rules", 0, "resources"), ["secrets"], "rule 0 grants get secrets"),
        (("rules", 1, "resources"), ["pods/exec"], "rule 1 grants get pods/exec"),
        (
            ("rules", 1),
            {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]},
            "rule 1 grants create pods/exec",
        ),
        (
            ("rules", 1),
            {"apiGroups": [""], "resources": ["secrets"], "verbs": ["watch"]},
            "rule 1 grants watch secrets",
        ),
    ],
}
# What each Role rule reads, unknown in its violating variant; and the structure every one of them reads.
ROLE_READS: dict[str, list[tuple[Path, Any]]] = {
    "k8s-rbac-no-wildcard": [
        (("rules", 0, "verbs"), UNKNOWN_ARRAY_VALUE),
        (("rules", 0, "verbs", 0), UNKNOWN_STRING_VALUE),
    ],
    "k8s-rbac-no-escalation-verbs": [
        (("rules", 0, "verbs"), UNKNOWN_ARRAY_VALUE),
        (("rules", 0, "verbs", 0), UNKNOWN_STRING_VALUE),
    ],
    "k8s-rbac-sensitive-access-platform-roles-only": [
        (("rules", 0, "resources"), UNKNOWN_ARRAY_VALUE),
        (("rules", 0, "resources", 0), UNKNOWN_STRING_VALUE),
        (("rules", 0, "verbs"), UNKNOWN_ARRAY_VALUE),
        (("metadata", "labels"), UNKNOWN_OBJECT_VALUE),
    ],
}
ROLE_STRUCTURE_UNKNOWNS = [
    (("rules",), UNKNOWN_ARRAY_VALUE),
    (("rules", 0), UNKNOWN_OBJECT_VALUE),
    (("rules", 1), UNKNOWN_OBJECT_VALUE),  # rule 0's violation stands, rule 1 is not judged
]
# What every verdict of a Role rule needs besides its change: a platform role (by label) may grant sensitive access.
ROLE_NEEDS: dict[str, list[Path]] = {"k8s-rbac-sensitive-access-platform-roles-only": [("metadata", "labels")]}


def role_needs(rule_name: str, path: Path) -> list[Path]:
    """What one change's verdict needs further: secrets or pods/exec granted are sensitive by the verbs granted."""
    if rule_name == "k8s-rbac-sensitive-access-platform-roles-only" and path[-1] == "resources":
        return [(*path[:-1], "verbs")]
    return []


# Pod template changes that break "restricted" (paths inside the pod spec), each with the message part it gives.
POD_VIOLATIONS: list[tuple[str, Path, Any, str]] = [
    ("k8s-pod-no-host-access", ("hostNetwork",), True, "sets hostNetwork true"),
    ("k8s-pod-no-host-access", ("hostPID",), True, "sets hostPID true"),
    ("k8s-pod-no-host-access", ("hostIPC",), True, "sets hostIPC true"),
    ("k8s-pod-no-host-access", ("volumes", 1), {"name": "host", "hostPath": {"path": "/"}}, "hostPath volume host"),
    ("k8s-pod-no-host-access", ("containers", 0, "ports", 0, "hostPort"), 8080, "container app binds hostPort 8080"),
    (
        "k8s-pod-privilege",
        ("containers", 0, "securityContext", "privileged"),
        True,
        "container app sets securityContext.privileged true",
    ),
    (
        "k8s-pod-privilege",
        ("initContainers", 0, "securityContext", "privileged"),
        True,
        "init container setup sets securityContext.privileged",
    ),
    *[
        (
            "k8s-pod-privilege",
            ("containers", 0, "securityContext", "allowPrivilegeEscalation"),
            value,
            "container app does not set securityContext.allowPrivilegeEscalation false",
        )
        for value in (True, DELETE)
    ],
    (
        "k8s-pod-privilege",
        ("containers", 0, "securityContext", "capabilities", "drop"),
        ["NET_RAW"],
        "container app does not drop ALL",
    ),
    (
        "k8s-pod-privilege",
        ("containers", 0, "securityContext", "capabilities", "add"),
        ["NET_BIND_SERVICE", "SYS_ADMIN"],
        "container app adds capabilities SYS_ADMIN",
    ),
    (
        "k8s-pod-privilege",
        ("containers", 0, "securityContext", "capabilities", "add"),
        "SYS_ADMIN",
        "adds capabilities SYS_ADMIN",
    ),
    *[
        (
            "k8s-pod-non-root",
            ("securityContext", "runAsNonRoot"),
            value,
            "container app does not run with securityContext.runAsNonRoot true",
        )
        for value in (DELETE, False)
    ],
    (
        "k8s-pod-non-root",
        ("containers", 0, "securityContext", "runAsNonRoot"),
        False,
        "container app does not run with securityContext.runAsNonRoot true",
    ),
    (
        "k8s-pod-non-root",
        ("initContainers", 0, "securityContext", "runAsNonRoot"),
        False,
        "init container setup does not run with securityContext.runAsNonRoot true",
    ),
    ("k8s-pod-non-root", ("securityContext", "runAsUser"), 0, "sets pod securityContext.runAsUser 0"),
    (
        "k8s-pod-non-root",
        ("containers", 0, "securityContext", "runAsUser"),
        0,
        "container app sets securityContext.runAsUser 0",
    ),
    (
        "k8s-pod-seccomp",
        ("securityContext", "seccompProfile", "type"),
        "Unconfined",
        'container app runs with securityContext.seccompProfile.type "Unconfined"',
    ),
    (
        "k8s-pod-seccomp",
        ("securityContext", "seccompProfile"),
        DELETE,
        "container app runs with securityContext.seccompProfile.type null",
    ),
    (
        "k8s-pod-seccomp",
        ("containers", 0, "securityContext", "seccompProfile"),
        {"type": "Unconfined"},
        'container app runs with securityContext.seccompProfile.type "Unconfined"',
    ),
    (
        "k8s-pod-seccomp",
        ("initContainers", 0, "securityContext", "seccompProfile", "type"),
        "Unconfined",
        'init container setup runs with securityContext.seccompProfile.type "Unconfined"',
    ),
    (
        "k8s-pod-volume-types",
        ("volumes", 1),
        {"name": "shared", "nfs": {"server": "nfs", "path": "/"}},
        "volume shared uses disallowed type nfs",
    ),
    (
        "k8s-pod-volume-types",
        ("volumes", 1),
        {"name": "host", "hostPath": {"path": "/"}},
        "volume host uses disallowed type hostPath",
    ),
]
CONTAINER_LABEL = re.compile(r"^(?:init |ephemeral )?container \S+ ")


def past_container_label(expected: str) -> str:
    """The part of a POD_VIOLATIONS message after the container's label: a container whose name is unknown at
    preview is labelled by its index, and its violation must still be found (the labels are checked by
    test_pod_violation_names_its_container)."""
    return CONTAINER_LABEL.sub("", expected)


# What a pod-level change's verdict on container app also needs (paths inside the pod spec): the container's own
# securityContext, whose setting would override the pod's one it inherits.
POD_NEEDS: dict[tuple[str, Path], list[Path]] = {
    (rule_name, path): [("containers", 0, "securityContext")]
    for rule_name, path in (
        ("k8s-pod-non-root", ("securityContext", "runAsNonRoot")),
        ("k8s-pod-seccomp", ("securityContext", "seccompProfile", "type")),
        ("k8s-pod-seccomp", ("securityContext", "seccompProfile")),
    )
}
SENTINELS = (UNKNOWN_STRING_VALUE, UNKNOWN_BOOLEAN_VALUE, UNKNOWN_NUMBER_VALUE, UNKNOWN_OBJECT_VALUE)
# The structure every pod rule reads, and what each reads besides the template itself (inside the pod spec).
STRUCTURE_UNKNOWNS = [
    (("spec",), UNKNOWN_OBJECT_VALUE),
    (("spec", "template"), UNKNOWN_OBJECT_VALUE),
    (POD, UNKNOWN_OBJECT_VALUE),
    (("metadata", "namespace"), UNKNOWN_STRING_VALUE),  # it might be an exempt namespace
]
RULE_READS: dict[str, list[Path]] = {
    "k8s-pod-no-host-access": [
        ("containers",),
        ("containers", 0),
        ("containers", 0, "ports"),
        ("volumes",),
        ("volumes", 4),
    ],
    "k8s-pod-privilege": [("containers",), ("containers", 0), ("containers", 0, "securityContext")],
    "k8s-pod-non-root": [("containers",), ("containers", 0), ("securityContext",), ("securityContext", "runAsUser")],
    "k8s-pod-seccomp": [("containers",), ("containers", 0, "securityContext"), ("securityContext",)],
    "k8s-pod-volume-types": [("volumes",), ("volumes", 5)],
}

NETWORK_POLICY_UNKNOWNS = [
    (("metadata", "namespace"), UNKNOWN_STRING_VALUE),
    (("metadata",), UNKNOWN_OBJECT_VALUE),
    (("spec",), UNKNOWN_OBJECT_VALUE),
    (("spec", "podSelector"), UNKNOWN_OBJECT_VALUE),
    (("spec", "policyTypes"), UNKNOWN_ARRAY_VALUE),
    (("spec", "policyTypes", 0), UNKNOWN_STRING_VALUE),
    (("spec", "ingress"), UNKNOWN_ARRAY_VALUE),
]
# Namespace ml with its default-deny policy, kube-system (exempt, no policy) and a non-Kubernetes resource.
NAMESPACE_STACK: dict[str, tuple[str, dict[str, Any]]] = {
    "kube-system": (NAMESPACE, namespace_props("kube-system")),
    "models": (BUCKET, {"bucket": "models"}),
    "ml-default-deny": (NETWORK_POLICY, default_deny()),
}

CASES = [
    # k8s-rbac
    *[
        Case(
            "k8s-rbac-no-cluster-admin-binding",
            BINDING_TOKEN[kind],
            binding(kind),
            [
                # A subject's other field only labels it (shown "(known after apply)" when unknown at preview):
                # the full messages are test_cluster_admin_binding_names_each_subject's.
                (("subjects", 0, "kind"), "User", "binds roleRef cluster-admin to User "),
                (("subjects", 0, "name"), "developers", "developers, not only to Group platform-admins"),
                # A string where a list belongs is not proof.
                (("subjects",), "platform-admins", 'binds roleRef cluster-admin to "platform-admins"'),
                (("subjects", 0), "platform-admins", 'binds roleRef cluster-admin to "platform-admins"'),
            ],
            label=BINDING_LABEL[kind],
            needs=[("roleRef", "name")],  # only a cluster-admin binding is judged
        )
        for kind in BINDING_TOKEN
    ],
    Case(
        "k8s-rbac-no-cluster-admin-binding",
        CRB,
        binding(),
        unknowns=[
            (("roleRef", "name"), UNKNOWN_STRING_VALUE),
            (("roleRef",), UNKNOWN_OBJECT_VALUE),
            (("subjects",), UNKNOWN_ARRAY_VALUE),
            (("subjects", 0), UNKNOWN_OBJECT_VALUE),
            # Over the User kind: name platform-admins, the kind unknown may be Group.
            (("subjects", 0, "kind"), UNKNOWN_STRING_VALUE),
        ],
        # Subject kind User is a violation, unless the unknown value is read as a value.
        first=[(("subjects", 0, "kind"), "User")],
        id="k8s-rbac-no-cluster-admin-binding-to-a-user",
    ),
    *[
        case
        for rule_name in ROLE_RULES
        for kind in ROLE_TOKEN
        for case in cases_by_needs(
            rule_name,
            ROLE_TOKEN[kind],
            role(kind),
            ROLE_CHANGES[rule_name],
            lambda path, rule_name=rule_name: role_needs(rule_name, path),
            ROLE_NEEDS.get(rule_name, []),
            label=ROLE_LABEL[kind],
        )
    ],
    *[
        Case(
            rule_name,
            ROLE,
            role(),
            unknowns=ROLE_STRUCTURE_UNKNOWNS + ROLE_READS[rule_name],
            first=[ROLE_VIOLATIONS[rule_name]],
            id=f"{rule_name}-violating",
        )
        for rule_name in ROLE_RULES
    ],
    # k8s-pod-security
    *[
        case
        for rule_name in POD_RULES
        for token in KINDS
        for case in cases_by_needs(
            rule_name,
            token,
            workload(token),
            [
                ((*POD, *path), value, past_container_label(expected))
                for r, path, value, expected in POD_VIOLATIONS
                if r == rule_name
            ]
            if token == DEPLOYMENT
            else [],
            lambda path, rule_name=rule_name: [(*POD, *n) for n in POD_NEEDS.get((rule_name, path[len(POD) :]), [])],
            [("metadata", "namespace")] if token == DEPLOYMENT else [],  # it might be an exempt namespace
            unknowns=[
                ((*POD, *path), sentinel)
                for r, path, _, _ in POD_VIOLATIONS
                if r == rule_name
                for sentinel in SENTINELS
            ]
            if token == DEPLOYMENT
            else [],
            label=f"{KINDS[token][1]} ml/web",
        )
    ],
    *[
        Case(
            rule_name,
            DEPLOYMENT,
            workload(),
            unknowns=[
                *STRUCTURE_UNKNOWNS,
                *[((*POD, *path), UNKNOWN_OBJECT_VALUE) for path in RULE_READS[rule_name]],
            ],
            first=HOSTILE,
            id=f"{rule_name}-hostile",
        )
        for rule_name in POD_RULES
    ],
    # network-isolation
    Case(
        "k8s-namespace-default-deny",
        NAMESPACE,
        namespace_props("ml"),
        [
            (
                ("ml-default-deny",),
                DELETE,
                "has no default-deny NetworkPolicy (podSelector {}, policyTypes Ingress, no ingress rules) in it",
            ),
            *[
                (("ml-default-deny", *path), value, "has no default-deny NetworkPolicy")
                for path, value in (
                    (("metadata", "namespace"), "other"),
                    (("spec", "podSelector"), {"matchLabels": {"app": "web"}}),
                    (("spec", "podSelector"), DELETE),
                    (("spec", "policyTypes"), ["Egress"]),
                    (("spec", "ingress"), [{}]),  # one empty rule allows all ingress
                    (("spec", "ingress"), {"from": []}),
                )
            ],
        ],
        # With these values read as values the policy would not count and namespace ml would be a violation.
        [(("ml-default-deny", *path), sentinel) for path, sentinel in NETWORK_POLICY_UNKNOWNS],
        name="ml",
        label="Namespace ml (cluster-scoped)",
        companions=NAMESPACE_STACK,
        needs=[("ml", "metadata", "name")],  # an exempt namespace, and the namespace policies are in
    ),
    # records-of-processing
    Case(
        "k8s-records-of-processing",
        NAMESPACE,
        labelled(NAMESPACE, RECORD_LABELS),
        [
            (
                ("metadata", "labels", "data-classification"),
                "x",
                "metadata.labels data-classification 'x' is not one of phi, personal, internal, public",
            )
        ],
        label="Namespace llm (cluster-scoped)",
        needs=[("metadata", "name")],  # it might be an exempt namespace
    ),
    Case(
        "k8s-records-of-processing",
        PVC,
        labelled(PVC, RECORD_LABELS),
        [
            (("metadata", "labels", key), DELETE, f"has no {key} in its metadata.labels")
            for key in ("owner", "purpose", "data-classification")
        ],
        [(("metadata", "labels"), UNKNOWN_STRING_VALUE), (("metadata", "labels", "owner"), UNKNOWN_STRING_VALUE)],
        label="PersistentVolumeClaim llm/weights",
        needs=[("metadata", "namespace")],  # it might be in an exempt namespace
    ),
    Case(
        "k8s-records-of-processing",
        "kubernetes:apps/v1:StatefulSet",
        labelled("kubernetes:apps/v1:StatefulSet", RECORD_LABELS),
        label="StatefulSet llm/weights",
    ),
]
# exposure.py's rules have their own table: tests/policies/test_kubernetes_exposure.py.
KUBERNETES_RULES = sorted(
    n
    for n, r in RULES.items()
    if r.check.__module__.startswith("llmops_infra.policies.rules.kubernetes.")
    and r.check.__module__ != "llmops_infra.policies.rules.kubernetes.exposure"
)


def test_every_rule_has_a_case_with_changes_and_unknowns():
    assert {c.rule for c in CASES if c.changes} == {c.rule for c in CASES if c.unknowns} == set(KUBERNETES_RULES)


# --- k8s-rbac-no-cluster-admin-binding ---------------------------------------------------------------------


def test_binding_to_another_role_may_name_any_subject() -> None:
    props = changed(binding(role="view"), ("subjects", 0), {"kind": "User", "name": "alice"})
    assert violations("k8s-rbac-no-cluster-admin-binding", CRB, props) == []


def test_cluster_admin_binding_without_subjects_binds_nobody_and_passes() -> None:
    assert violations("k8s-rbac-no-cluster-admin-binding", CRB, changed(binding(), ("subjects",), DELETE)) == []


def test_cluster_admin_extra_subject_next_to_admin_group_is_a_violation() -> None:
    props = binding()
    props["subjects"].append({"kind": "ServiceAccount", "name": "ci", "namespace": "ci"})
    found = violations("k8s-rbac-no-cluster-admin-binding", CRB, props)
    assert len(found) == 1 and "ServiceAccount ci" in found[0]


def test_cluster_admin_binding_names_each_subject() -> None:
    """Each subject that is not the admin group by its kind and name; a field unknown at preview only labels it
    (shown as such): a known kind or name that is not the admin group's decides."""
    rule_name = "k8s-rbac-no-cluster-admin-binding"
    user = changed(binding(), ("subjects", 0, "kind"), "User")
    group = changed(binding(), ("subjects", 0, "name"), "developers")
    for props, subject in (
        (user, "User platform-admins"),
        (group, "Group developers"),
        (changed(user, ("subjects", 0, "name"), UNKNOWN_STRING_VALUE), "User (known after apply)"),
        (changed(group, ("subjects", 0, "kind"), UNKNOWN_STRING_VALUE), "(known after apply) developers"),
    ):
        assert violations(rule_name, CRB, props) == [
            f"ClusterRoleBinding admins (cluster-scoped) binds roleRef cluster-admin to {subject}, "
            "not only to Group platform-admins"
        ]


def test_a_subject_unknown_at_preview_hides_no_other() -> None:
    props = changed(binding(), ("subjects",), [UNKNOWN_OBJECT_VALUE, {"kind": "User", "name": "alice"}])
    found = judge(RULES["k8s-rbac-no-cluster-admin-binding"], resource(CRB, props))
    assert found.verdict == "fail" and len(found.messages) == 1 and "to User alice, not only" in found.messages[0]
    # The admin group named, the other subject unknown: not judged, never a pass.
    props = changed(binding(), ("subjects",), [UNKNOWN_OBJECT_VALUE, binding()["subjects"][0]])
    assert judge(RULES["k8s-rbac-no-cluster-admin-binding"], resource(CRB, props)).verdict == "not-judged"


def test_platform_admin_group_comes_from_settings() -> None:
    settings = Settings(platform_admin_group="sre")
    assert len(violations("k8s-rbac-no-cluster-admin-binding", CRB, binding(), settings)) == 1
    sre = changed(binding(), ("subjects", 0, "name"), "sre")
    assert violations("k8s-rbac-no-cluster-admin-binding", CRB, sre, settings) == []


def test_cluster_admin_binding_rule_ignores_roles() -> None:
    props = changed(binding(), ("subjects", 0, "kind"), "User")
    assert violations("k8s-rbac-no-cluster-admin-binding", CLUSTER_ROLE, props) == []


# --- Role / ClusterRole rules ------------------------------------------------------------------------------


def test_wildcard_rule_reports_verbs_and_resources_of_one_rule_once() -> None:
    props = changed(changed(role(), ("rules", 0, "verbs"), ["*"]), ("rules", 0, "resources"), ["*"])
    assert violations("k8s-rbac-no-wildcard", ROLE, props) == ["Role ml/reader rule 0 has '*' in verbs and resources"]


def test_wildcard_api_group_alone_is_not_judged_by_the_wildcard_rule() -> None:
    # docs/controls.md names verbs and resources; a '*' group with listed verbs and resources stays bounded.
    assert violations("k8s-rbac-no-wildcard", ROLE, changed(role(), ("rules", 0, "apiGroups"), ["*"])) == []


@pytest.mark.parametrize("verbs", [["create"], ["update", "delete"]])
def test_writing_secrets_is_not_reading_them(verbs: list[str]) -> None:
    props = changed(role(), ("rules", 1), {"apiGroups": [""], "resources": ["secrets"], "verbs": verbs})
    assert violations("k8s-rbac-sensitive-access-platform-roles-only", ROLE, props) == []


@pytest.mark.parametrize("kind", ["Role", "ClusterRole"])
def test_named_platform_role_may_read_secrets_and_exec(kind: str) -> None:
    props = changed(role(kind), ("rules", 0, "resources"), ["secrets", "pods/exec"])
    props = changed(props, ("rules", 0, "verbs"), ["get", "list", "watch", "create"])
    rule_name = "k8s-rbac-sensitive-access-platform-roles-only"
    assert violations(rule_name, ROLE_TOKEN[kind], changed(props, PLATFORM_ROLE, "true")) == []
    found = violations(rule_name, ROLE_TOKEN[kind], changed(props, PLATFORM_ROLE, "false"))
    assert len(found) == 1 and "get secrets" in found[0] and "create pods/exec" in found[0]


@pytest.mark.parametrize(
    ("rule_name", "verbs", "expected"),
    [
        ("k8s-rbac-no-wildcard", [UNKNOWN_STRING_VALUE, "*"], "rule 0 has '*' in verbs"),
        ("k8s-rbac-no-escalation-verbs", [UNKNOWN_STRING_VALUE, "bind"], "rule 0 grants verbs bind"),
        ("k8s-rbac-sensitive-access-platform-roles-only", [UNKNOWN_STRING_VALUE, "get"], "rule 0 grants get secrets "),
    ],
)
def test_a_verb_unknown_at_preview_hides_no_known_one(rule_name: str, verbs: list[str], expected: str) -> None:
    """What the known verbs grant is reported; what the unknown one may grant leaves the verdict incomplete."""
    props = changed(changed(role(), ("rules", 0, "verbs"), verbs), ("rules", 0, "resources"), ["secrets"])
    found = judge(RULES[rule_name], resource(ROLE, props))
    assert found.verdict == "fail" and len(found.messages) == 1 and expected in found.messages[0]
    assert violations(rule_name, ROLE, props) == list(found.messages)


def test_a_rule_unknown_at_preview_hides_no_other() -> None:
    props = changed(changed(role(), ("rules", 0), UNKNOWN_OBJECT_VALUE), ("rules", 1, "verbs"), ["*"])
    assert violations("k8s-rbac-no-wildcard", ROLE, props) == ["Role ml/reader rule 1 has '*' in verbs"]


def test_a_known_verb_list_without_reads_decides_sensitive_access_whatever_the_resources() -> None:
    """No secrets-read or exec verb: nothing sensitive is granted, even with the resources unknown at preview."""
    rule_name = "k8s-rbac-sensitive-access-platform-roles-only"
    props = changed(changed(role(), ("rules", 0, "resources"), UNKNOWN_ARRAY_VALUE), ("rules", 0, "verbs"), ["patch"])
    props = changed(props, ("rules", 1, "verbs"), ["patch"])
    assert judge(RULES[rule_name], resource(ROLE, props)).verdict == "pass"
    unread = changed(props, ("rules", 0, "verbs"), ["get"])  # get what? the resources are unknown
    assert judge(RULES[rule_name], resource(ROLE, unread)).verdict == "not-judged"


@pytest.mark.parametrize("rule_name", ROLE_RULES)
def test_role_rules_ignore_bindings(rule_name: str) -> None:
    assert violations(rule_name, RB, changed(role(), *ROLE_VIOLATIONS[rule_name])) == []


# --- k8s-pod-security ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", list(KINDS))
def test_every_workload_kind_has_its_pod_template_judged(token: str) -> None:
    props = workload(token, pod_with(("containers", 0, "securityContext", "privileged"), True))
    assert violations("k8s-pod-privilege", token, props) == [
        f"{KINDS[token][1]} ml/web container app sets securityContext.privileged true"
    ]


def test_ephemeral_containers_are_judged() -> None:
    debug = {"name": "debug", "image": "busybox", "securityContext": {**RESTRICTED_CONTEXT, "privileged": True}}
    props = workload(pod=pod_with(("ephemeralContainers",), [debug]))
    assert violations("k8s-pod-privilege", DEPLOYMENT, props) == [
        "Deployment ml/web ephemeral container debug sets securityContext.privileged true"
    ]


@pytest.mark.parametrize("seccomp", ["RuntimeDefault", "Localhost"])
def test_container_level_settings_replace_pod_level_ones(seccomp: str) -> None:
    pod = pod_with(("securityContext",), {})
    pod["containers"][0]["securityContext"].update({"runAsNonRoot": True, "seccompProfile": {"type": seccomp}})
    props = workload(pod=pod)
    assert violations("k8s-pod-non-root", DEPLOYMENT, props) == []
    assert violations("k8s-pod-seccomp", DEPLOYMENT, props) == []


def test_hostport_zero_means_unset() -> None:
    props = workload(pod=pod_with(("containers", 0, "ports", 0, "hostPort"), 0))
    assert violations("k8s-pod-no-host-access", DEPLOYMENT, props) == []


@pytest.mark.parametrize("rule_name", POD_RULES)
def test_privileged_system_addon_in_exempt_namespace_passes(rule_name: str) -> None:
    assert violations(rule_name, DAEMON_SET, privileged_driver()) == []


@pytest.mark.parametrize("rule_name", POD_RULES)
def test_privileged_system_addon_outside_exempt_namespace_is_a_violation(rule_name: str) -> None:
    found = violations(rule_name, DAEMON_SET, privileged_driver(namespace="ml"))
    assert found and all(message.startswith("DaemonSet ml/web ") for message in found)


def test_exempt_namespaces_come_from_settings() -> None:
    nvidia = privileged_driver(namespace="nvidia")
    assert violations("k8s-pod-privilege", DAEMON_SET, nvidia) != []
    assert violations("k8s-pod-privilege", DAEMON_SET, nvidia, Settings(exempt_namespaces=("nvidia",))) == []
    assert violations("k8s-pod-privilege", DAEMON_SET, privileged_driver(), Settings(exempt_namespaces=())) != []


def test_workload_without_namespace_lands_in_the_providers_namespace() -> None:
    props = privileged_driver(namespace=None)
    assert violations("k8s-pod-privilege", DAEMON_SET, props, provider={"namespace": "kube-system"}) == []
    found = violations("k8s-pod-privilege", DAEMON_SET, props)
    assert found and found[0].startswith("DaemonSet default/web ")


def test_workload_without_metadata_name_is_named_by_its_logical_name() -> None:
    props = workload(pod=pod_with(("hostNetwork",), True))
    del props["metadata"]["name"]
    assert violations("k8s-pod-no-host-access", DEPLOYMENT, props, name="inference") == [
        "Deployment ml/inference sets hostNetwork true in its pod template"
    ]


@pytest.mark.parametrize("rule_name", POD_RULES)
def test_unknown_values_a_rule_does_not_read_do_not_hide_its_violations(rule_name: str) -> None:
    props = privileged_driver(DEPLOYMENT, namespace="ml")
    for path in (("spec", "replicas"), ("spec", "template", "metadata"), ("metadata", "labels")):
        props = changed(props, path, UNKNOWN_OBJECT_VALUE)
    assert violations(rule_name, DEPLOYMENT, props) != []


@pytest.mark.parametrize(("rule_name", "path", "value", "expected"), POD_VIOLATIONS)
def test_pod_violation_names_its_container(rule_name: str, path: Path, value: Any, expected: str) -> None:
    """The whole message part, container label included (the case tables leave the label out, see
    past_container_label)."""
    found = violations(rule_name, DEPLOYMENT, changed(workload(), (*POD, *path), value))
    assert len(found) == 1 and expected in found[0], found


def test_a_container_whose_name_is_unknown_is_labelled_by_its_index() -> None:
    pod = pod_with(("containers", 0, "securityContext", "privileged"), True)
    pod["containers"][0]["name"] = UNKNOWN_STRING_VALUE
    assert violations("k8s-pod-privilege", DEPLOYMENT, workload(pod=pod)) == [
        "Deployment ml/web container 0 sets securityContext.privileged true"
    ]


def test_a_volume_whose_name_is_unknown_is_shown_so() -> None:
    pod = pod_with(("volumes", 1), {"name": UNKNOWN_STRING_VALUE, "hostPath": {"path": "/"}})
    assert violations("k8s-pod-no-host-access", DEPLOYMENT, workload(pod=pod)) == [
        "Deployment ml/web mounts hostPath volume (known after apply)"
    ]
    assert violations("k8s-pod-volume-types", DEPLOYMENT, workload(pod=pod)) == [
        "Deployment ml/web volume (known after apply) uses disallowed type hostPath"
    ]


def test_a_container_unknown_at_preview_hides_no_privileged_sibling() -> None:
    """The issue's case: one container's security context computed, a privileged sibling is still reported."""
    pod = pod_with(("containers", 0, "securityContext"), UNKNOWN_OBJECT_VALUE)
    pod["containers"].append({"name": "sidecar", "image": "sidecar:1", "securityContext": {"privileged": True}})
    found = judge(RULES["k8s-pod-privilege"], resource(DEPLOYMENT, workload(pod=pod)))
    assert found.verdict == "fail"
    assert found.messages[0] == "Deployment ml/web container sidecar sets securityContext.privileged true"
    assert not any("container app" in m for m in found.messages)


def test_an_allowed_volume_source_unknown_at_preview_is_still_allowed() -> None:
    pod = pod_with(("volumes", 0, "configMap"), UNKNOWN_OBJECT_VALUE)
    assert judge(RULES["k8s-pod-volume-types"], resource(DEPLOYMENT, workload(pod=pod))).verdict == "pass"
    pod = pod_with(("volumes", 0), {"name": "shared", "nfs": UNKNOWN_OBJECT_VALUE})  # null is no source
    assert judge(RULES["k8s-pod-volume-types"], resource(DEPLOYMENT, workload(pod=pod))).verdict == "not-judged"


def test_cronjob_job_template_unknown_cannot_be_judged() -> None:
    props = privileged_driver(CRON_JOB, namespace="ml")
    assert violations("k8s-pod-privilege", CRON_JOB, props) != []
    props = changed(props, ("spec", "jobTemplate"), UNKNOWN_OBJECT_VALUE)
    assert violations("k8s-pod-privilege", CRON_JOB, props) == []


@pytest.mark.parametrize("rule_name", POD_RULES)
@pytest.mark.parametrize("token", [ROLE, NAMESPACE, "kubernetes:core/v1:Service", BUCKET])
def test_pod_rules_ignore_other_types(rule_name: str, token: str) -> None:
    assert violations(rule_name, token, privileged_driver(DEPLOYMENT, namespace="ml")) == []


ODD_SHAPES: list[tuple[Path, Any]] = [
    (("spec",), "oops"),
    (("spec", "template"), ["not", "a", "template"]),
    (POD, None),
    ((*POD, "containers"), "app"),
    ((*POD, "containers"), [None, 3, "x"]),
    ((*POD, "containers", 0, "securityContext"), "restricted"),
    ((*POD, "containers", 0, "securityContext", "capabilities"), ["ALL"]),
    ((*POD, "containers", 0, "securityContext", "capabilities", "drop"), "ALL"),
    ((*POD, "containers", 0, "securityContext", "seccompProfile"), 7),
    ((*POD, "containers", 0, "ports"), {"hostPort": 80}),
    ((*POD, "containers", 0, "ports", 0), "8080"),
    ((*POD, "volumes"), {"name": "x"}),
    ((*POD, "volumes", 0), "config"),
    ((*POD, "securityContext"), [1]),
    (("metadata",), "web"),
    (("metadata", "namespace"), 5),
]


@pytest.mark.parametrize("rule_name", POD_RULES)
@pytest.mark.parametrize(("path", "value"), ODD_SHAPES)
def test_odd_shapes_never_raise(rule_name: str, path: Path, value: Any) -> None:
    found = violations(rule_name, DEPLOYMENT, changed(workload(), path, value))
    assert all(isinstance(message, str) and message.startswith("Deployment ") for message in found)


@pytest.mark.parametrize(
    ("rule_name", "path", "value"),
    [
        ("k8s-pod-privilege", (*POD, "containers", 0, "securityContext", "capabilities", "drop"), "ALL"),
        ("k8s-pod-privilege", (*POD, "containers", 0, "securityContext"), "restricted"),
        ("k8s-pod-non-root", (*POD, "securityContext"), [1]),
    ],
)
def test_odd_shape_where_a_setting_is_required_is_not_compliant(rule_name: str, path: Path, value: Any) -> None:
    assert violations(rule_name, DEPLOYMENT, changed(workload(), path, value)) != []


@pytest.mark.parametrize(
    ("rule_name", "path", "value"),
    [
        ("k8s-rbac-no-cluster-admin-binding", ("roleRef",), "cluster-admin"),
        ("k8s-rbac-no-wildcard", ("rules",), "*"),
        ("k8s-rbac-no-wildcard", ("rules", 0, "verbs"), "*"),
        ("k8s-rbac-no-escalation-verbs", ("rules",), [None, 1, "bind"]),
        ("k8s-rbac-sensitive-access-platform-roles-only", ("metadata", "labels"), ["llmops.dev/platform-role"]),
        ("k8s-rbac-sensitive-access-platform-roles-only", ("metadata",), None),
    ],
)
def test_odd_rbac_shapes_never_raise(rule_name: str, path: Path, value: Any) -> None:
    token = CRB if rule_name == "k8s-rbac-no-cluster-admin-binding" else ROLE
    base = binding() if token == CRB else role()
    found = violations(rule_name, token, changed(base, path, value))
    assert all(isinstance(message, str) for message in found)


# --- k8s-namespace-default-deny ----------------------------------------------------------------------------

[DEFAULT_DENY] = [c for c in CASES if c.rule == "k8s-namespace-default-deny"]


def namespace(name: str = "ml") -> Any:
    return resource(NAMESPACE, namespace_props(name), name)


def test_namespace_with_default_deny_ingress_policy_passes() -> None:
    assert DEFAULT_DENY.violations() == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("spec", "policyTypes"), DELETE),  # the API defaults policyTypes to include Ingress
        (("spec", "policyTypes"), ["Ingress"]),
        (("spec", "podSelector"), {"matchLabels": {}}),
        (("spec", "ingress"), []),
        (("spec", "egress"), [{"to": [{"namespaceSelector": {}}]}]),  # egress rules do not weaken an ingress deny
    ],
)
def test_equivalent_default_deny_shapes_pass(path: Path, value: Any) -> None:
    assert DEFAULT_DENY.violations((("ml-default-deny", *path), value)) == []


def test_namespace_without_network_policy_is_a_violation() -> None:
    found = stack_violations("k8s-namespace-default-deny", DEFAULT_DENY.resources((("ml-default-deny",), DELETE)))
    assert found == [
        (
            "ml",
            "Namespace ml (cluster-scoped) has no default-deny NetworkPolicy "
            "(podSelector {}, policyTypes Ingress, no ingress rules) in it",
        )
    ]


def test_namespace_without_metadata_name_matches_by_logical_name() -> None:
    ns = resource(NAMESPACE, {"apiVersion": "v1", "kind": "Namespace", "metadata": {}}, "ml")
    policy = resource(NETWORK_POLICY, default_deny("ml"), "deny")
    assert stack_violations("k8s-namespace-default-deny", [ns, policy]) == []
    assert len(stack_violations("k8s-namespace-default-deny", [ns])) == 1


def test_policy_without_namespace_lands_in_the_providers_namespace() -> None:
    props = changed(default_deny(), ("metadata", "namespace"), DELETE)
    in_ml = resource(NETWORK_POLICY, props, "deny", provider={"namespace": "ml"})
    assert stack_violations("k8s-namespace-default-deny", [namespace(), in_ml]) == []
    assert len(stack_violations("k8s-namespace-default-deny", [namespace(), resource(NETWORK_POLICY, props)])) == 1


def test_exempt_namespaces_come_from_settings_for_default_deny() -> None:
    assert replace(DEFAULT_DENY, settings=Settings(exempt_namespaces=())).violations() != []
    every_namespace_exempt = replace(DEFAULT_DENY, settings=Settings(exempt_namespaces=("ml", "kube-system")))
    assert every_namespace_exempt.violations((("ml-default-deny",), DELETE)) == []


def test_namespace_name_unknown_cannot_be_judged() -> None:
    props = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": UNKNOWN_STRING_VALUE}}
    assert stack_violations("k8s-namespace-default-deny", [resource(NAMESPACE, props)]) == []


def test_default_deny_ignores_non_namespace_resources() -> None:
    # A NetworkPolicy-shaped or namespaced object of another type neither needs nor provides a default deny.
    other = resource("kubernetes:core/v1:ConfigMap", {"metadata": {"name": "x", "namespace": "ml"}}, "x")
    lookalike = resource("kubernetes:core/v1:Service", default_deny(), "svc")
    assert stack_violations("k8s-namespace-default-deny", [other, resource(BUCKET, {"bucket": "models"})]) == []
    assert len(stack_violations("k8s-namespace-default-deny", [namespace(), lookalike])) == 1


# --- k8s-records-of-processing -------------------------------------------------------------------------------


def test_objects_in_exempt_system_namespaces_are_not_judged():
    assert violations("k8s-records-of-processing", PVC, labelled(PVC, {}, namespace="kube-system")) == []
    settings = Settings(exempt_namespaces=("llm",))
    assert violations("k8s-records-of-processing", NAMESPACE, labelled(NAMESPACE, {}), settings) == []


@pytest.mark.parametrize("labels", [None, "odd", ["owner"], 3])
def test_odd_labels_read_as_none(labels):
    assert len(violations("k8s-records-of-processing", PVC, labelled(PVC, labels))) == 3
