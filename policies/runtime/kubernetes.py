"""Kubernetes objects as rules read them: safe nested access, and an object's kind, namespace, name and label.

Props are the Kubernetes object as pulumi-kubernetes registers it (apiVersion, kind, metadata, spec/rules/
subjects/roleRef, camelCase as in the API). Objects written by hand, by Helm charts or by YAML files all arrive
in that shape, so every access goes through these helpers: a field of an unexpected type is treated as absent
(or as non-compliant where absence is itself a violation), never as a reason to raise.

Props arrive as plain dicts/lists in tests and as pulumi_policy proxies (Mapping/Sequence, not dict/list) in a
pack, so the helpers test the abstract types. Reading an unknown value through a proxy still raises
UnknownValueError, which the caller (evaluate / evaluate_stack) turns into "cannot judge yet".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from llmops_infra.policies.runtime.props import items
from llmops_infra.policies.runtime.rule import Resource

NAMESPACE = "kubernetes:core/v1:Namespace"
CLUSTER_SCOPED_KINDS = frozenset({"ClusterRole", "ClusterRoleBinding", "Namespace"})


def nested(value: Any, *path: str) -> Any:
    """The value at `path` in nested mappings, or None as soon as a step is missing or not a mapping."""
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def is_list(value: Any) -> bool:
    return value is None or (isinstance(value, Sequence) and not isinstance(value, (str, bytes)))


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, (Mapping, Sequence)) and not isinstance(value, str) and len(value) == 0)


def string_items(value: Any) -> list[str]:
    """The string elements of a list-shaped value (a lone string is not a list here)."""
    return [item for item in items(value) if isinstance(item, str)]


def object_kind(resource: Resource) -> str:
    # The token's last segment is the kind and is always known, unlike props["kind"].
    return resource.type.rsplit(":", 1)[-1]


def object_namespace(resource: Resource) -> str:
    """The namespace the object lands in: its own, else the provider's default namespace, else `default`."""
    own = nested(resource.props, "metadata", "namespace")
    if isinstance(own, str) and own:
        return own
    provider = nested(resource.provider, "namespace")
    return provider if isinstance(provider, str) and provider else "default"


def object_name(resource: Resource) -> str:
    # Without metadata.name pulumi-kubernetes auto-names from the logical name, so that is the best label.
    name = nested(resource.props, "metadata", "name")
    return name if isinstance(name, str) and name else resource.name


def describe(resource: Resource) -> str:
    """`Kind namespace/name`, or `Kind name (cluster-scoped)` for objects that have no namespace.

    A label for messages only: a name or namespace unknown at preview is shown as the logical name or as
    "(known after apply)", so a message about the rest of the object still stands. Verdicts that depend on the
    name (an exempt namespace) read object_name/object_namespace, which stop there."""
    kind = object_kind(resource)
    name = _shown(object_name, resource, resource.name)
    if kind in CLUSTER_SCOPED_KINDS:
        return f"{kind} {name} (cluster-scoped)"
    return f"{kind} {_shown(object_namespace, resource, SHOWN_UNKNOWN)}/{name}"


SHOWN_UNKNOWN = "(known after apply)"


def _shown(read: Callable[[Resource], str], resource: Resource, unknown: str) -> str:
    try:
        return read(resource)
    except UnknownValueError:
        return unknown
