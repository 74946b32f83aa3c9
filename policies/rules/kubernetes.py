"""Kubernetes rules: RBAC without escalation paths, Pod Security Standards "restricted", default-deny namespaces.

Props are the Kubernetes object as pulumi-kubernetes registers it (apiVersion, kind, metadata, spec/rules/
subjects/roleRef, camelCase as in the API). Objects written by hand, by Helm charts or by YAML files all arrive
in that shape, so every access goes through the small helpers below: a field of an unexpected type is treated
as absent (or as non-compliant where absence is itself a violation), never as a reason to raise.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from llmops_infra.policies.rules.props import items, mapping
from llmops_infra.policies.rules.resources import CLASSIFICATIONS, record_gaps
from llmops_infra.policies.rules.rule import CannotJudge, Resource, Settings, rule
from llmops_infra.policies.rules.stack import Stack

# The v1 tokens, plus the older API versions pulumi-kubernetes still ships with the same object shape (read from
# the SDK's type tokens): a stack or chart written against them must be judged the same way.
CLUSTER_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"

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
# Workload token -> path from the object to its pod template.
WORKLOAD_TEMPLATES: dict[str, tuple[str, ...]] = {
    **{
        token: ("spec", "template")
        for token in (
            "kubernetes:apps/v1:Deployment",
            "kubernetes:apps/v1beta1:Deployment",
            "kubernetes:apps/v1beta2:Deployment",
            "kubernetes:extensions/v1beta1:Deployment",
            "kubernetes:apps/v1:StatefulSet",
            "kubernetes:apps/v1beta1:StatefulSet",
            "kubernetes:apps/v1beta2:StatefulSet",
            "kubernetes:apps/v1:DaemonSet",
            "kubernetes:apps/v1beta2:DaemonSet",
            "kubernetes:extensions/v1beta1:DaemonSet",
            "kubernetes:batch/v1:Job",
        )
    },
    **{
        token: ("spec", "jobTemplate", "spec", "template")
        for token in (
            "kubernetes:batch/v1:CronJob",
            "kubernetes:batch/v1beta1:CronJob",
            "kubernetes:batch/v2alpha1:CronJob",
        )
    },
}
WORKLOAD_TYPES = tuple(WORKLOAD_TEMPLATES)
NAMESPACE_TYPES = (NAMESPACE,)
NETWORK_POLICY_TYPES = (NETWORK_POLICY, "kubernetes:extensions/v1beta1:NetworkPolicy")

CLUSTER_SCOPED_KINDS = frozenset({"ClusterRole", "ClusterRoleBinding", "Namespace"})
PLATFORM_ROLE_LABEL = "llmops.dev/platform-role"
ESCALATION_VERBS = ("escalate", "bind", "impersonate")
SECRET_READ_VERBS = ("get", "list", "watch")
# `create` is what SPDY exec (kubectl before 1.31) is authorised with; WebSocket exec is a GET and, on clusters
# without the 1.31 AuthorizePodWebsocketUpgradeCreatePermission gate, is authorised with `get` alone.
EXEC_VERBS = ("create", "get")
CONTAINER_FIELDS = (
    ("containers", "container"),
    ("initContainers", "init container"),
    ("ephemeralContainers", "ephemeral container"),
)
ALLOWED_ADDED_CAPABILITIES = ("NET_BIND_SERVICE",)
ALLOWED_SECCOMP_TYPES = ("RuntimeDefault", "Localhost")
# Pod Security Standards "restricted": the only volume sources allowed.
ALLOWED_VOLUME_TYPES = frozenset(
    {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}
)


# --- safe access -------------------------------------------------------------------------------------------
# Props arrive as plain dicts/lists in tests and as pulumi_policy proxies (Mapping/Sequence, not dict/list) in a
# pack, so the helpers test the abstract types. Reading an unknown value through a proxy still raises
# UnknownValueError, which the caller (evaluate / evaluate_stack) turns into "cannot judge yet".


def _get(value: Any, *path: str) -> Any:
    """The value at `path` in nested mappings, or None as soon as a step is missing or not a mapping."""
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _is_list(value: Any) -> bool:
    return value is None or (isinstance(value, Sequence) and not isinstance(value, (str, bytes)))


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, (Mapping, Sequence)) and not isinstance(value, str) and len(value) == 0)


def _strings(value: Any) -> list[str]:
    return [item for item in items(value) if isinstance(item, str)]


def _kind(resource: Resource) -> str:
    # The token's last segment is the kind and is always known, unlike props["kind"].
    return resource.type.rsplit(":", 1)[-1]


def _namespace(resource: Resource) -> str:
    """The namespace the object lands in: its own, else the provider's default namespace, else `default`."""
    own = _get(resource.props, "metadata", "namespace")
    if isinstance(own, str) and own:
        return own
    provider = _get(resource.provider, "namespace")
    return provider if isinstance(provider, str) and provider else "default"


def _name(resource: Resource) -> str:
    # Without metadata.name pulumi-kubernetes auto-names from the logical name, so that is the best label.
    name = _get(resource.props, "metadata", "name")
    return name if isinstance(name, str) and name else resource.name


def _describe(resource: Resource) -> str:
    """`Kind namespace/name`, or `Kind name (cluster-scoped)` for objects that have no namespace."""
    kind = _kind(resource)
    if kind in CLUSTER_SCOPED_KINDS:
        return f"{kind} {_name(resource)} (cluster-scoped)"
    return f"{kind} {_namespace(resource)}/{_name(resource)}"


# --- k8s-rbac ----------------------------------------------------------------------------------------------


def _policy_rules(resource: Resource) -> Iterator[tuple[int, Mapping[str, Any]]]:
    for index, item in enumerate(items(resource.props.get("rules"))):
        if isinstance(item, Mapping):
            yield index, item


def _is_platform_role(resource: Resource) -> bool:
    return _get(resource.props, "metadata", "labels", PLATFORM_ROLE_LABEL) == "true"


@rule(
    "k8s-rbac-no-cluster-admin-binding",
    control="k8s-rbac",
    severity="critical",
    types=BINDING_TYPES,
    remediation="Bind cluster-admin only to the platform-admin group (kind Group); give everyone else a scoped Role.",
    parameters=("platformAdminGroup",),
)
def k8s_rbac_no_cluster_admin_binding(resource: Resource, settings: Settings) -> Iterator[str]:
    """No (Cluster)RoleBinding grants cluster-admin to anyone but the platform-admin group."""
    if _get(resource.props, "roleRef", "name") != "cluster-admin":
        return
    subjects = resource.props.get("subjects")
    # A non-list subjects value cannot be shown to name the admin group only; an absent one binds nobody.
    others = [] if _is_list(subjects) else [repr(subjects)]
    for subject in items(subjects):
        if not isinstance(subject, Mapping):
            others.append(repr(subject))
        elif subject.get("kind") != "Group" or subject.get("name") != settings.platform_admin_group:
            others.append(f"{subject.get('kind')} {subject.get('name')}")
    if others:
        yield (
            f"{_describe(resource)} binds roleRef cluster-admin to {', '.join(others)}, "
            f"not only to Group {settings.platform_admin_group}"
        )


@rule(
    "k8s-rbac-no-wildcard",
    control="k8s-rbac",
    severity="high",
    types=ROLE_TYPES,
    remediation="List the verbs and resources the role needs instead of '*'.",
)
def k8s_rbac_no_wildcard(resource: Resource, settings: Settings) -> Iterator[str]:
    """No Role or ClusterRole rule grants '*' verbs or '*' resources."""
    for index, policy_rule in _policy_rules(resource):
        fields = [name for name in ("verbs", "resources") if "*" in _strings(policy_rule.get(name))]
        if fields:
            yield f"{_describe(resource)} rule {index} has '*' in {' and '.join(fields)}"


@rule(
    "k8s-rbac-no-escalation-verbs",
    control="k8s-rbac",
    severity="high",
    types=ROLE_TYPES,
    remediation="Remove the escalate, bind and impersonate verbs; grant role management only to cluster admins.",
)
def k8s_rbac_no_escalation_verbs(resource: Resource, settings: Settings) -> Iterator[str]:
    """No Role or ClusterRole rule grants the escalate, bind or impersonate verbs."""
    for index, policy_rule in _policy_rules(resource):
        verbs = [verb for verb in ESCALATION_VERBS if verb in _strings(policy_rule.get("verbs"))]
        if verbs:
            yield f"{_describe(resource)} rule {index} grants verbs {', '.join(verbs)}"


@rule(
    "k8s-rbac-sensitive-access-platform-roles-only",
    control="k8s-rbac",
    severity="high",
    types=ROLE_TYPES,
    remediation=f"Move secrets read and pods/exec into a named platform role labelled {PLATFORM_ROLE_LABEL}: 'true'.",
)
def k8s_rbac_sensitive_access_platform_roles_only(resource: Resource, settings: Settings) -> Iterator[str]:
    """Only named platform roles read secrets or exec into pods."""
    if _is_platform_role(resource):
        return
    for index, policy_rule in _policy_rules(resource):
        resources = _strings(policy_rule.get("resources"))
        verbs = _strings(policy_rule.get("verbs"))
        grants = []
        if "secrets" in resources:
            grants += [f"{verb} secrets" for verb in SECRET_READ_VERBS if verb in verbs]
        if "pods/exec" in resources:
            grants += [f"{verb} pods/exec" for verb in EXEC_VERBS if verb in verbs]
        if grants:
            yield (
                f"{_describe(resource)} rule {index} grants {', '.join(grants)} "
                f"but is not a platform role (label {PLATFORM_ROLE_LABEL}: 'true')"
            )


# --- k8s-pod-security --------------------------------------------------------------------------------------


def _pod_spec(resource: Resource) -> Mapping[str, Any] | None:
    path = WORKLOAD_TEMPLATES.get(resource.type)
    if path is None:
        return None
    spec = _get(resource.props, *path, "spec")
    return spec if isinstance(spec, Mapping) else None


def _containers(pod: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every container of the pod with a label such as `init container setup`."""
    for field, label in CONTAINER_FIELDS:
        for index, container in enumerate(items(pod.get(field))):
            if isinstance(container, Mapping):
                name = container.get("name")
                yield f"{label} {name if isinstance(name, str) and name else index}", container


def _judged_pod(resource: Resource, settings: Settings) -> Mapping[str, Any] | None:
    """The pod spec to judge, or None for exempt system namespaces and workloads without a readable template."""
    pod = _pod_spec(resource)
    if pod is None or _namespace(resource) in settings.exempt_namespaces:
        return None
    return pod


def _set(value: Any) -> bool:
    """Whether a field that must be unset or false/0 is set to something else (odd types count as set)."""
    return value not in (None, False, 0)


WORKLOAD_REMEDIATION_SUFFIX = " (or run it in an exempt system namespace if it is a privileged system add-on)."


@rule(
    "k8s-pod-no-host-access",
    control="k8s-pod-security",
    severity="high",
    types=WORKLOAD_TYPES,
    remediation="Remove hostNetwork, hostPID, hostIPC, hostPath volumes and hostPort" + WORKLOAD_REMEDIATION_SUFFIX,
    parameters=("exemptNamespaces",),
)
def k8s_pod_no_host_access(resource: Resource, settings: Settings) -> Iterator[str]:
    """Workload pods share no host namespace, mount no hostPath and bind no hostPort."""
    pod = _judged_pod(resource, settings)
    if pod is None:
        return
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if _set(pod.get(field)):
            yield f"{_describe(resource)} sets {field} {pod.get(field)!r} in its pod template"
    for volume in items(pod.get("volumes")):
        if _get(volume, "hostPath") is not None:
            yield f"{_describe(resource)} mounts hostPath volume {_get(volume, 'name')}"
    for label, container in _containers(pod):
        for port in items(container.get("ports")):
            if _set(_get(port, "hostPort")):
                yield f"{_describe(resource)} {label} binds hostPort {_get(port, 'hostPort')}"


@rule(
    "k8s-pod-privilege",
    control="k8s-pod-security",
    severity="critical",
    types=WORKLOAD_TYPES,
    remediation=(
        "Set privileged false, allowPrivilegeEscalation false and capabilities.drop [ALL] on every container, "
        "adding back at most NET_BIND_SERVICE" + WORKLOAD_REMEDIATION_SUFFIX
    ),
    parameters=("exemptNamespaces",),
)
def k8s_pod_privilege(resource: Resource, settings: Settings) -> Iterator[str]:
    """Containers are unprivileged, cannot escalate, drop ALL capabilities and add at most NET_BIND_SERVICE."""
    pod = _judged_pod(resource, settings)
    if pod is None:
        return
    for label, container in _containers(pod):
        context = mapping(container.get("securityContext"))
        where = f"{_describe(resource)} {label}"
        if _set(context.get("privileged")):
            yield f"{where} sets securityContext.privileged {context.get('privileged')!r}"
        # Restricted requires an explicit false: unset lets setuid binaries gain privileges.
        if context.get("allowPrivilegeEscalation") is not False:
            yield f"{where} does not set securityContext.allowPrivilegeEscalation false"
        capabilities = mapping(context.get("capabilities"))
        if "ALL" not in _strings(capabilities.get("drop")):
            yield f"{where} does not drop ALL in securityContext.capabilities.drop"
        added = capabilities.get("add")
        # A lone value where a list belongs is not shown to be allowed, so it counts as an extra capability.
        extra = [cap for cap in items(added) if cap not in ALLOWED_ADDED_CAPABILITIES] if _is_list(added) else [added]
        extra = [cap for cap in extra if cap is not None]
        if extra:
            yield f"{where} adds capabilities {', '.join(map(str, extra))} (only NET_BIND_SERVICE is allowed)"


@rule(
    "k8s-pod-non-root",
    control="k8s-pod-security",
    severity="high",
    types=WORKLOAD_TYPES,
    remediation="Set securityContext.runAsNonRoot true (pod or every container) and no runAsUser 0"
    + WORKLOAD_REMEDIATION_SUFFIX,
    parameters=("exemptNamespaces",),
)
def k8s_pod_non_root(resource: Resource, settings: Settings) -> Iterator[str]:
    """Every container runs with runAsNonRoot true (its own or the pod's) and never as runAsUser 0."""
    pod = _judged_pod(resource, settings)
    if pod is None:
        return
    pod_context = mapping(pod.get("securityContext"))
    if pod_context.get("runAsUser") == 0:
        yield f"{_describe(resource)} sets pod securityContext.runAsUser 0"
    for label, container in _containers(pod):
        context = mapping(container.get("securityContext"))
        where = f"{_describe(resource)} {label}"
        # The container's own setting overrides the pod's, so a container false defeats a pod-level true.
        own = context.get("runAsNonRoot")
        effective = own if own is not None else pod_context.get("runAsNonRoot")
        if effective is not True:
            yield f"{where} does not run with securityContext.runAsNonRoot true (container or pod)"
        if context.get("runAsUser") == 0:
            yield f"{where} sets securityContext.runAsUser 0"


@rule(
    "k8s-pod-seccomp",
    control="k8s-pod-security",
    severity="medium",
    types=WORKLOAD_TYPES,
    remediation="Set securityContext.seccompProfile.type RuntimeDefault (or Localhost) on the pod"
    + WORKLOAD_REMEDIATION_SUFFIX,
    parameters=("exemptNamespaces",),
)
def k8s_pod_seccomp(resource: Resource, settings: Settings) -> Iterator[str]:
    """Every container runs under a RuntimeDefault or Localhost seccomp profile (its own or the pod's)."""
    pod = _judged_pod(resource, settings)
    if pod is None:
        return
    pod_type = _get(pod, "securityContext", "seccompProfile", "type")
    for label, container in _containers(pod):
        own = _get(container, "securityContext", "seccompProfile", "type")
        effective = own if own is not None else pod_type
        if effective not in ALLOWED_SECCOMP_TYPES:
            yield (
                f"{_describe(resource)} {label} runs with securityContext.seccompProfile.type {effective!r}, "
                "not RuntimeDefault or Localhost"
            )


@rule(
    "k8s-pod-volume-types",
    control="k8s-pod-security",
    severity="medium",
    types=WORKLOAD_TYPES,
    remediation="Use only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and "
    "secret volumes" + WORKLOAD_REMEDIATION_SUFFIX,
    parameters=("exemptNamespaces",),
)
def k8s_pod_volume_types(resource: Resource, settings: Settings) -> Iterator[str]:
    """Workload pods use only the volume types Pod Security Standards "restricted" allows."""
    pod = _judged_pod(resource, settings)
    if pod is None:
        return
    for volume in items(pod.get("volumes")):
        # Fields set to null are absent in the API; anything else besides `name` is the volume's source.
        sources = sorted(key for key, value in mapping(volume).items() if key != "name" and value is not None)
        disallowed = [source for source in sources if source not in ALLOWED_VOLUME_TYPES]
        if disallowed:
            yield f"{_describe(resource)} volume {_get(volume, 'name')} uses disallowed type {', '.join(disallowed)}"


# --- network-isolation (Kubernetes) ------------------------------------------------------------------------


def _selects_all(selector: Any) -> bool:
    """An empty label selector (`{}`, or matchLabels/matchExpressions empty) selects every pod."""
    return isinstance(selector, Mapping) and all(_is_empty(value) for value in selector.values())


def _is_default_deny_ingress(policy: Resource) -> bool:
    spec = mapping(policy.props.get("spec"))
    if not _selects_all(spec.get("podSelector")):
        return False
    # The API defaults an absent policyTypes to include Ingress, so an absent one still denies ingress.
    policy_types = spec.get("policyTypes")
    if policy_types is not None and "Ingress" not in _strings(policy_types):
        return False
    return _is_empty(spec.get("ingress")) and _is_list(spec.get("ingress"))


@rule(
    "k8s-namespace-default-deny",
    control="network-isolation",
    severity="high",
    types=NAMESPACE_TYPES + NETWORK_POLICY_TYPES,
    remediation="Add a NetworkPolicy in the namespace with podSelector {}, policyTypes [Ingress] and no ingress "
    "rules, then allow the flows the workloads need with further policies.",
    scope="stack",
    subjects=NAMESPACE_TYPES,
    parameters=("exemptNamespaces",),
)
def k8s_namespace_default_deny(namespace: Resource, stack: Stack, settings: Settings) -> Iterator[str]:
    """Every non-system Namespace has a default-deny ingress NetworkPolicy."""
    name = _name(namespace)
    if name in settings.exempt_namespaces:
        return
    undecided = False
    for policy in stack.of_type(NETWORK_POLICY_TYPES):
        try:
            # A policy whose metadata was computed from the Namespace (an auto-named one) is in it exactly.
            inside = namespace.urn in policy.dependencies.get("metadata", ()) or _namespace(policy) == name
            if inside and _is_default_deny_ingress(policy):
                return
        except UnknownValueError:
            undecided = True  # its namespace or rules are not known yet: it may be the one
    if undecided:
        raise CannotJudge(f"a NetworkPolicy that may be in namespace {name} is not known yet")
    yield (
        f"{_describe(namespace)} has no default-deny NetworkPolicy "
        "(podSelector {}, policyTypes Ingress, no ingress rules) in it"
    )


# --- records-of-processing ------------------------------------------------------------------------------------

# Where Kubernetes holds data or draws a tenancy line: the namespace, and the claims and sets that keep state.
RECORD_TYPES = (
    NAMESPACE,
    "kubernetes:core/v1:PersistentVolumeClaim",
    "kubernetes:apps/v1:StatefulSet",
)


@rule(
    "k8s-records-of-processing",
    control="records-of-processing",
    severity="low",
    types=RECORD_TYPES,
    remediation="Label the object (metadata.labels) with owner, purpose and data-classification "
    "(phi, personal, internal or public).",
    parameters=("exemptNamespaces",),
)
def k8s_records_of_processing(resource: Resource, settings: Settings) -> Iterator[str]:
    """Namespaces, persistent volume claims and stateful sets say whose they are, what for and what data they hold."""
    namespace = _name(resource) if resource.type == NAMESPACE else _namespace(resource)
    if namespace in settings.exempt_namespaces:
        return  # system namespaces hold cluster machinery, not processing records
    missing, unknown = record_gaps(mapping(_get(resource.props, "metadata", "labels")))
    for key in missing:
        yield f"{_describe(resource)} has no {key} in metadata.labels"
    if unknown is not None:
        allowed = ", ".join(CLASSIFICATIONS)
        yield f"{_describe(resource)} metadata.labels data-classification {unknown!r} is not one of {allowed}"
