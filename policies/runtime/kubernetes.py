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

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from pulumi_policy.proxy import UnknownValueError

from llmops_infra.policies.runtime.props import items, nested
from llmops_infra.policies.runtime.resources import known
from llmops_infra.policies.runtime.rule import CannotJudge, Resource

T = TypeVar("T")

NAMESPACE = "kubernetes:core/v1:Namespace"
CLUSTER_SCOPED_KINDS = frozenset({"ClusterRole", "ClusterRoleBinding", "Namespace"})


def is_list(value: Any) -> bool:
    return value is None or (isinstance(value, Sequence) and not isinstance(value, (str, bytes)))


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, (Mapping, Sequence)) and not isinstance(value, str) and len(value) == 0)


def string_items(value: Any) -> list[str]:
    """The string elements of a list-shaped value (a lone string is not a list here)."""
    return [item for item in items(value) if isinstance(item, str)]


def elements(value: Any) -> Sequence[Any]:
    """A list-shaped value as it is, its elements left unread (each read on its own, an element unknown at preview
    stops only the verdict that reads it); anything else, a lone string included, has none."""
    return value if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) else ()


def holds(value: Any, wanted: str) -> bool:
    """Whether a list-shaped value (a lone string is not a list here) holds the string `wanted`, each element read
    on its own: a known `wanted` decides it whatever an element unknown at preview may be; with none known to be
    `wanted` and some unknown, CannotJudge."""
    unknown = False
    listed = elements(value)
    for index in range(len(listed)):
        try:
            if listed[index] == wanted:
                return True
        except UnknownValueError:
            unknown = True
    if unknown:
        raise CannotJudge(f"an element that may be {wanted!r} is unknown at preview")
    return False


def holding(candidates: Iterable[T], test: Callable[[T], bool]) -> tuple[list[T], bool]:
    """The candidates that pass `test`, each decided on its own, and whether some could not be decided for a value
    unknown at preview: a rule names those it found, then stops (CannotJudge) if one is undecided."""
    found: list[T] = []
    undecided = False
    for candidate in candidates:
        try:
            if test(candidate):
                found.append(candidate)
        except (UnknownValueError, CannotJudge):
            undecided = True
    return found, undecided


def stop_if(undecided: bool) -> None:
    """After the messages a verdict gave, stop it (CannotJudge) if `holding` left a candidate undecided."""
    if undecided:
        raise CannotJudge("a value it reads is unknown at preview")


def every(candidates: Iterable[T], test: Callable[[T], bool]) -> bool:
    """Whether every candidate passes `test`, each decided on its own: one known to fail decides "no" whatever a
    value unknown at preview hides from the others; none failing and one undecided, CannotJudge."""
    failing, undecided = holding(candidates, lambda candidate: not test(candidate))
    if failing:
        return False
    stop_if(undecided)
    return True


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
    name = known(lambda: object_name(resource), resource.name)
    if kind in CLUSTER_SCOPED_KINDS:
        return f"{kind} {name} (cluster-scoped)"
    return f"{kind} {known(lambda: object_namespace(resource))}/{name}"
