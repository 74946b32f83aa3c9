"""Kubernetes network isolation: every non-system namespace has a default-deny ingress NetworkPolicy.

Props are the Kubernetes object as pulumi-kubernetes registers it (apiVersion, kind, metadata, spec, camelCase
as in the API), read through runtime/kubernetes.py: a field of an unexpected type is treated as absent (or as
non-compliant where absence is itself a violation), never as a reason to raise.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from llmops_infra.policies.runtime.kubernetes import (
    NAMESPACE,
    describe,
    every,
    is_empty,
    is_list,
    object_name,
    object_namespace,
    string_items,
)
from llmops_infra.policies.runtime.props import mapping
from llmops_infra.policies.runtime.rule import CannotJudge, NotApplicable, Resource, Settings, rule
from llmops_infra.policies.runtime.stack import Stack

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
NAMESPACE_TYPES = (NAMESPACE,)
NETWORK_POLICY_TYPES = (NETWORK_POLICY, "kubernetes:extensions/v1beta1:NetworkPolicy")


def _selects_all(selector: Any) -> bool:
    """An empty label selector (`{}`, or matchLabels/matchExpressions empty) selects every pod."""
    return isinstance(selector, Mapping) and all(is_empty(value) for value in selector.values())


def _is_default_deny_ingress(policy: Resource) -> bool:
    """Whether the policy denies all ingress to every pod: each condition decided on its own, so one known to fail
    decides "no" whatever a value unknown at preview hides from the others."""
    spec = mapping(policy.props.get("spec"))
    return every((_selects_every_pod, _applies_to_ingress, _allows_no_ingress), lambda condition: condition(spec))


def _selects_every_pod(spec: Mapping[str, Any]) -> bool:
    return _selects_all(spec.get("podSelector"))


def _applies_to_ingress(spec: Mapping[str, Any]) -> bool:
    # The API defaults an absent policyTypes to include Ingress, so an absent one still denies ingress.
    policy_types = spec.get("policyTypes")
    return policy_types is None or "Ingress" in string_items(policy_types)


def _allows_no_ingress(spec: Mapping[str, Any]) -> bool:
    return is_empty(spec.get("ingress")) and is_list(spec.get("ingress"))


@dataclass
class _Policies:
    """The stack's NetworkPolicies by the namespace they are in, built once per stack (not once per namespace)."""

    by_dependency: dict[str, list[Resource]] = field(default_factory=dict)  # metadata computed from a Namespace
    by_namespace: dict[str, list[Resource]] = field(default_factory=dict)  # the namespace they name or default to
    # Namespace unknown at preview, rules that may deny all ingress: might be the one of any namespace. (A policy
    # whose rules are known to allow some ingress counts nowhere, so where it is never matters.)
    unknown: list[Resource] = field(default_factory=list)


def _policies(stack: Stack) -> _Policies:
    found = _Policies()
    for policy in stack.of_type(NETWORK_POLICY_TYPES):
        for urn in policy.dependencies.get("metadata", ()):
            found.by_dependency.setdefault(urn, []).append(policy)
        try:
            found.by_namespace.setdefault(object_namespace(policy), []).append(policy)
        except UnknownValueError:
            if _may_deny_all_ingress(policy):
                found.unknown.append(policy)
    return found


def _may_deny_all_ingress(policy: Resource) -> bool:
    try:
        return _is_default_deny_ingress(policy)
    except (UnknownValueError, CannotJudge):
        return True


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
    frameworks=("hipaa", "gdpr"),
)
def k8s_namespace_default_deny(namespace: Resource, stack: Stack, settings: Settings) -> Iterator[str]:
    """Every non-system Namespace has a default-deny ingress NetworkPolicy."""
    name = object_name(namespace)
    if name in settings.exempt_namespaces:
        raise NotApplicable(f"exempt namespace {name} (exemptNamespaces)")
    policies = stack.derived(_policies, _policies)
    # A policy whose metadata was computed from the Namespace (an auto-named one) is in it exactly; else the
    # namespace it names (or defaults to) says where it is.
    linked = policies.by_dependency.get(namespace.urn, [])
    inside = list({id(p): p for p in (*linked, *policies.by_namespace.get(name, ()))}.values())
    undecided = any(all(p is not q for q in linked) for p in policies.unknown)  # it may be the one
    for policy in inside:
        try:
            if _is_default_deny_ingress(policy):
                return
        except (UnknownValueError, CannotJudge):
            undecided = True  # its rules are not known yet: it may be the one
    if undecided:
        raise CannotJudge(f"a NetworkPolicy that may be in namespace {name} is not known yet")
    yield (
        f"{describe(namespace)} has no default-deny NetworkPolicy "
        "(podSelector {}, policyTypes Ingress, no ingress rules) in it"
    )
