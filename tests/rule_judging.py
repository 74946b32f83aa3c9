"""The policy rules over what a component registered on the offline engine, for the component tests.

One place so that every component test proves the same two things the same way: the rules pass over what we
register, and they would fail if one of our properties broke (a rule that passes by default proves nothing).
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from llmops_infra.cli.engine import Recording, Registration
from llmops_infra.cli.wire import UNKNOWN
from llmops_infra.policies.runtime.rule import RULES, Resource, Settings, evaluate

# As a `changed` value: remove the property instead of setting it.
DELETE = object()


def as_resource(registration: Registration, props: dict[str, Any] | None = None) -> Resource:
    """What a rule sees of `registration`: its inputs, or `props` in their place (a broken copy)."""
    return Resource(
        registration.type,
        registration.name,
        registration.urn,
        registration.inputs if props is None else props,
        registration.parent,
    )


def changed(props: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A deep copy of props with the value at path replaced (or removed, for DELETE)."""
    copy = deepcopy(props)
    target: Any = copy
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return copy


def rule_violations(rec: Recording, rule_name: str) -> list[str]:
    """What one policy rule says about every resource of its types that `rec` registered."""
    rule = RULES[rule_name]
    judged = [r for r in rec.resources if r.custom and rule.applies_to(r.type)]
    assert judged, f"{rule_name} judges nothing in this recording"
    return [message for r in judged for message in evaluate(rule, as_resource(r))]


def has_unknown(value: Any) -> bool:
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return value == UNKNOWN


def judge(rec: Recording, registrations: list[Registration] | None = None) -> tuple[set[str], list[str]]:
    """Every resource rule over every GCP registration: (rules that judged something, violations)."""
    settings = Settings(stack_config=rec.settings.config)
    judged: set[str] = set()
    violations: list[str] = []
    for reg in registrations if registrations is not None else rec.resources:
        rules = [r for r in RULES.values() if r.scope == "resource" and r.applies_to(reg.type)]
        if not reg.type.startswith("gcp:") or not rules:
            continue
        # An unknown value would make a rule pass as "cannot judge yet"; here every input must be judged.
        assert not has_unknown(reg.inputs), f"{reg.name} has inputs unknown at preview"
        resource = as_resource(reg)
        for rule in rules:
            judged.add(rule.name)
            violations += [f"{rule.name}: {m}" for m in evaluate(rule, resource, settings)]
    return judged, violations
