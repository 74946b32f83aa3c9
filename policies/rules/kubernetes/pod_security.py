"""Kubernetes Pod Security Standards "restricted" rules (k8s-pod-security), for every workload's pod template.

Props are the Kubernetes object as pulumi-kubernetes registers it (apiVersion, kind, metadata, spec, camelCase
as in the API), read through runtime/kubernetes.py: a field of an unexpected type is treated as absent (or as
non-compliant where absence is itself a violation), never as a reason to raise. Each container, volume, port
and check is judged on its own, and a container reads the pod's setting only when it has none of its own: a value
unknown at preview withholds only the verdicts that read it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from llmops_infra.policies.runtime.kubernetes import (
    describe,
    elements,
    holding,
    holds,
    is_list,
    object_namespace,
    stop_if,
)
from llmops_infra.policies.runtime.props import mapping, nested, shown
from llmops_infra.policies.runtime.resources import known
from llmops_infra.policies.runtime.rule import Resource, Settings, judge_each, rule

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


def _each_container(pod: Mapping[str, Any], judge: Callable[[str, Mapping[str, Any]], Iterable[str]]) -> Iterator[str]:
    """judge(label, container)'s messages for every container of the pod, labelled such as `init container setup`
    (by index when it has no name, or one unknown at preview), each container judged on its own."""

    def of_field(_: int, field: tuple[str, str]) -> Iterator[str]:
        key, kind = field
        containers = elements(pod.get(key))
        return judge_each(
            containers,
            lambda index, container: (
                judge(_container_label(kind, index, container), container) if isinstance(container, Mapping) else ()
            ),
        )

    return judge_each(CONTAINER_FIELDS, of_field)


def _container_label(kind: str, index: int, container: Mapping[str, Any]) -> str:
    name = known(lambda: container.get("name"), None)
    return f"{kind} {name if isinstance(name, str) and name else index}"


def _volume_name(volume: Any) -> Any:
    return known(lambda: nested(volume, "name"))


def _apart(*parts: Callable[[], Iterable[str]]) -> Iterator[str]:
    """The messages of independent parts of a verdict, each judged on its own (judge_each)."""
    return judge_each(parts, lambda _, part: part())


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
    subject = describe(resource)

    def host_namespace(_: int, field: str) -> Iterator[str]:
        if _set(pod.get(field)):
            yield f"{subject} sets {field} {shown(pod.get(field))} in its pod template"

    def host_path(_: int, volume: Any) -> Iterator[str]:
        if nested(volume, "hostPath") is not None:
            yield f"{subject} mounts hostPath volume {_volume_name(volume)}"

    def host_port(where: str, port: Any) -> Iterator[str]:
        if _set(nested(port, "hostPort")):
            yield f"{subject} {where} binds hostPort {shown(nested(port, 'hostPort'))}"

    def host_ports(where: str, container: Mapping[str, Any]) -> Iterator[str]:
        return judge_each(elements(container.get("ports")), lambda _, port: host_port(where, port))

    yield from _apart(
        lambda: judge_each(("hostNetwork", "hostPID", "hostIPC"), host_namespace),
        lambda: judge_each(elements(pod.get("volumes")), host_path),
        lambda: _each_container(pod, host_ports),
    )


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
    subject = describe(resource)

    def container_privilege(label: str, container: Mapping[str, Any]) -> Iterator[str]:
        where = f"{subject} {label}"

        def context() -> Mapping[str, Any]:
            return mapping(container.get("securityContext"))

        def capabilities() -> Mapping[str, Any]:
            return mapping(context().get("capabilities"))

        def privileged() -> Iterator[str]:
            if _set(context().get("privileged")):
                yield f"{where} sets securityContext.privileged {shown(context().get('privileged'))}"

        def escalation() -> Iterator[str]:
            # Restricted requires an explicit false: unset lets setuid binaries gain privileges.
            if context().get("allowPrivilegeEscalation") is not False:
                yield f"{where} does not set securityContext.allowPrivilegeEscalation false"

        def drop() -> Iterator[str]:
            if not holds(capabilities().get("drop"), "ALL"):
                yield f"{where} does not drop ALL in securityContext.capabilities.drop"

        def add() -> Iterator[str]:
            added = capabilities().get("add")
            # A lone value where a list belongs is not shown to be allowed, so it counts as an extra capability.
            if not is_list(added):
                extra, undecided = [added], False
            else:
                listed = elements(added)
                found, undecided = holding(range(len(listed)), lambda index: _extra_capability(listed[index]))
                extra = [listed[index] for index in found]
            if extra:
                yield f"{where} adds capabilities {', '.join(map(str, extra))} (only NET_BIND_SERVICE is allowed)"
            stop_if(undecided)

        return _apart(privileged, escalation, drop, add)

    yield from _each_container(pod, container_privilege)


def _extra_capability(capability: Any) -> bool:
    return capability is not None and capability not in ALLOWED_ADDED_CAPABILITIES


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
    subject = describe(resource)

    def pod_context() -> Mapping[str, Any]:
        return mapping(pod.get("securityContext"))

    def pod_root_user() -> Iterator[str]:
        if pod_context().get("runAsUser") == 0:
            yield f"{subject} sets pod securityContext.runAsUser 0"

    def container_non_root(label: str, container: Mapping[str, Any]) -> Iterator[str]:
        where = f"{subject} {label}"

        def context() -> Mapping[str, Any]:
            return mapping(container.get("securityContext"))

        def non_root() -> Iterator[str]:
            # The container's own setting overrides the pod's, so a container false defeats a pod-level true.
            own = context().get("runAsNonRoot")
            effective = own if own is not None else pod_context().get("runAsNonRoot")
            if effective is not True:
                yield f"{where} does not run with securityContext.runAsNonRoot true (container or pod)"

        def root_user() -> Iterator[str]:
            if context().get("runAsUser") == 0:
                yield f"{where} sets securityContext.runAsUser 0"

        return _apart(non_root, root_user)

    yield from _apart(pod_root_user, lambda: _each_container(pod, container_non_root))


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
    subject = describe(resource)

    def container_seccomp(label: str, container: Mapping[str, Any]) -> Iterator[str]:
        # The container's own profile overrides the pod's, which is read only for a container without one.
        own = nested(container, "securityContext", "seccompProfile", "type")
        effective = own if own is not None else nested(pod, "securityContext", "seccompProfile", "type")
        if effective not in ALLOWED_SECCOMP_TYPES:
            yield (
                f"{subject} {label} runs with securityContext.seccompProfile.type {shown(effective)}, "
                "not RuntimeDefault or Localhost"
            )

    yield from _each_container(pod, container_seccomp)


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
    subject = describe(resource)

    def volume_types(_: int, volume: Any) -> Iterator[str]:
        # Anything besides `name` is the volume's source (iterating the keys reads no value); a field set to null
        # is absent in the API, so only a disallowed source's value is read, and an allowed one's never matters.
        keys = sorted(key for key in mapping(volume) if key != "name" and key not in ALLOWED_VOLUME_TYPES)
        disallowed, undecided = holding(keys, lambda key: volume[key] is not None)
        if disallowed:
            yield f"{subject} volume {_volume_name(volume)} uses disallowed type {', '.join(disallowed)}"
        stop_if(undecided)

    yield from judge_each(elements(pod.get("volumes")), volume_types)
