"""Kubernetes Pod Security Standards "restricted" rules (k8s-pod-security), for every workload's pod template.

Props are the Kubernetes object as pulumi-kubernetes registers it (apiVersion, kind, metadata, spec, camelCase
as in the API), read through runtime/kubernetes.py: a field of an unexpected type is treated as absent (or as
non-compliant where absence is itself a violation), never as a reason to raise.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from llmops_infra.policies.runtime.kubernetes import describe, is_list, nested, object_namespace, string_items
from llmops_infra.policies.runtime.props import items, mapping, shown
from llmops_infra.policies.runtime.rule import Resource, Settings, rule

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


def _pod_spec(resource: Resource) -> Mapping[str, Any] | None:
    path = WORKLOAD_TEMPLATES.get(resource.type)
    if path is None:
        return None
    spec = nested(resource.props, *path, "spec")
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
    if pod is None or object_namespace(resource) in settings.exempt_namespaces:
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
    frameworks=("hipaa", "gdpr"),
)
def k8s_pod_no_host_access(resource: Resource, settings: Settings) -> Iterator[str]:
    """Workload pods share no host namespace, mount no hostPath and bind no hostPort."""
    pod = _judged_pod(resource, settings)
    if pod is None:
        return
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if _set(pod.get(field)):
            yield f"{describe(resource)} sets {field} {shown(pod.get(field))} in its pod template"
    for volume in items(pod.get("volumes")):
        if nested(volume, "hostPath") is not None:
            yield f"{describe(resource)} mounts hostPath volume {nested(volume, 'name')}"
    for label, container in _containers(pod):
        for port in items(container.get("ports")):
            if _set(nested(port, "hostPort")):
                yield f"{describe(resource)} {label} binds hostPort {shown(nested(port, 'hostPort'))}"


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
    frameworks=("hipaa", "gdpr"),
)
def k8s_pod_privilege(resource: Resource, settings: Settings) -> Iterator[str]:
    """Containers are unprivileged, cannot escalate, drop ALL capabilities and add at most NET_BIND_SERVICE."""
    pod = _judged_pod(resource, settings)
    if pod is None:
        return
    for label, container in _containers(pod):
        context = mapping(container.get("securityContext"))
        where = f"{describe(resource)} {label}"
        if _set(context.get("privileged")):
            yield f"{where} sets securityContext.privileged {shown(context.get('privileged'))}"
        # Restricted requires an explicit false: unset lets setuid binaries gain privileges.
        if context.get("allowPrivilegeEscalation") is not False:
            yield f"{where} does not set securityContext.allowPrivilegeEscalation false"
        capabilities = mapping(context.get("capabilities"))
        if "ALL" not in string_items(capabilities.get("drop")):
            yield f"{where} does not drop ALL in securityContext.capabilities.drop"
        added = capabilities.get("add")
        # A lone value where a list belongs is not shown to be allowed, so it counts as an extra capability.
        extra = [cap for cap in items(added) if cap not in ALLOWED_ADDED_CAPABILITIES] if is_list(added) else [added]
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
    frameworks=("hipaa", "gdpr"),
)
def k8s_pod_non_root(resource: Resource, settings: Settings) -> Iterator[str]:
    """Every container runs with runAsNonRoot true (its own or the pod's) and never as runAsUser 0."""
    pod = _judged_pod(resource, settings)
    if pod is None:
        return
    pod_context = mapping(pod.get("securityContext"))
    if pod_context.get("runAsUser") == 0:
        yield f"{describe(resource)} sets pod securityContext.runAsUser 0"
    for label, container in _containers(pod):
        context = mapping(container.get("securityContext"))
        where = f"{describe(resource)} {label}"
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
    frameworks=("hipaa", "gdpr"),
)
def k8s_pod_seccomp(resource: Resource, settings: Settings) -> Iterator[str]:
    """Every container runs under a RuntimeDefault or Localhost seccomp profile (its own or the pod's)."""
    pod = _judged_pod(resource, settings)
    if pod is None:
        return
    pod_type = nested(pod, "securityContext", "seccompProfile", "type")
    for label, container in _containers(pod):
        own = nested(container, "securityContext", "seccompProfile", "type")
        effective = own if own is not None else pod_type
        if effective not in ALLOWED_SECCOMP_TYPES:
            yield (
                f"{describe(resource)} {label} runs with securityContext.seccompProfile.type {shown(effective)}, "
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
    frameworks=("hipaa", "gdpr"),
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
            yield f"{describe(resource)} volume {nested(volume, 'name')} uses disallowed type {', '.join(disallowed)}"
