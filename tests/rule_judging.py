"""The policy rules judged in tests: one baseline-plus-mutation helper and one case shape, for every rule test.

Rule tests (tests/policies/) and component tests prove the same things the same way: a compliant baseline has
no violation; changing one property of it gives exactly one violation, naming the subject; a value unknown at
preview is no violation, because the rule reads it and cannot judge yet (a rule that passes by default, or skips
what it cannot read, proves nothing).

A path is a tuple, one step per map key or list index: ("rules", 0, "bucketKeyEnabled"). A key with dots in it
(the label "llmops.dev/platform-role") is one step. `changed(props, path, value)` is the one mutation; DELETE as
its value removes the property.

A rule's cases are one table of `Case`s: the rule, the subject's type and compliant inputs, the changes that each
make exactly one violation and the unknown values that make none. A rule test file only declares its table:
tests/policies/test_case_tables.py runs every table through the same four tests (baseline, each change, each
unknown, another type), and test_unknowns_keep_violations.py through the unknown-neighbour proof, both built from
the helpers below (`pytest tests/policies/test_case_tables.py -k <rule>` runs one rule's).
"""

from __future__ import annotations

import importlib
import pathlib
import sys
from collections.abc import Iterable, Iterator, Mapping
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

import pytest
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    unknown_checking_proxy,
)

import llmops_infra.policies.rules  # noqa: F401 - registers every rule
from llmops_infra.cli.recording import Recording, Registration
from llmops_infra.cli.wire import UNKNOWN
from llmops_infra.policies.runtime.rule import RULES, CannotJudge, Resource, Settings, evaluate, evaluate_stack
from llmops_infra.policies.runtime.stack import Stack

# As a `changed` value: remove the property instead of setting it (in a stack case, at a path of one step, the
# whole resource of that logical name).
DELETE = object()

Path = tuple[Any, ...]
SUBJECT = "subject"  # the logical name of the resource a case judges, unless it says otherwise
DEFAULT_SETTINGS = Settings()  # the packs' defaults (a frozen dataclass: one instance serves every default)
# A type no rule of the cloud judges: the subject of a case, retyped, must be ignored.
OTHER_TYPES = {
    "aws": "aws:route53/zone:Zone",
    "gcp": "gcp:dns/managedZone:ManagedZone",
    "kubernetes": "kubernetes:core/v1:ConfigMap",
}


def changed(props: Mapping[str, Any], path: Path, value: Any) -> dict[str, Any]:
    """A deep copy of props with the value at path replaced, or removed for DELETE.

    Maps missing on the way are created (a change may add a nested property); removing a property that is not
    there is an error, not a change.
    """
    copy = deepcopy(dict(props))
    target: Any = copy
    for key in path[:-1]:
        target = target[key] if isinstance(target, list) else target.setdefault(key, {})
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return copy


def resource(
    type_: str,
    props: Mapping[str, Any],
    name: str = SUBJECT,
    *,
    provider: Mapping[str, Any] | None = None,
    parent: str = "",
    dependencies: Mapping[str, list[str]] | None = None,
) -> Resource:
    """What a rule sees of one resource of a test stack."""
    urn = f"urn:pulumi:test::llmops-infra::{type_}::{name}"
    return Resource(type_, name, urn, props, parent, provider, dependencies or {})


def violations(
    rule_name: str,
    type_: str,
    props: Mapping[str, Any],
    settings: Settings = DEFAULT_SETTINGS,
    **resource_options: Any,
) -> list[str]:
    """What a resource rule says about one resource (`resource_options`: name, provider, parent)."""
    return evaluate(RULES[rule_name], resource(type_, props, **resource_options), settings)


def stack_violations(
    rule_name: str, resources: Iterable[Resource], settings: Settings = DEFAULT_SETTINGS
) -> list[tuple[str, str]]:
    """What a stack rule says about a stack: (subject's logical name, message) pairs."""
    return [(r.name, message) for r, message in evaluate_stack(RULES[rule_name], list(resources), settings)]


MADE: list[Case] = []  # every Case a test module made, in order: see case_tables()


@dataclass
class Case:
    """One rule on one compliant baseline, and what one change or one unknown value does to it.

    A resource rule's case judges one resource: `type` with inputs `props`. A stack rule's case judges the subject
    (`type`, `props`) among its `companions` (logical name -> (type, props)); there every path starts with the
    logical name of the resource it changes (the subject's `name` or a companion's), and DELETE at that first
    step removes the resource from the stack.
    """

    rule: str
    type: str
    props: dict[str, Any]
    changes: list[tuple[Path, Any, str]] = field(default_factory=list)  # (path, value, part of the one message)
    unknowns: list[tuple[Path, Any]] = field(default_factory=list)  # (path, pulumi_policy's unknown sentinel)
    id: str = ""
    # Changes made to the baseline before each change and unknown value of the case: a variant that makes the
    # rule read further (an open firewall, a violating role) without being the baseline itself.
    first: list[tuple[Path, Any]] = field(default_factory=list)
    companions: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    name: str = SUBJECT
    label: str = ""  # how every message names the subject (default: its logical name)
    provider: dict[str, Any] | None = None
    settings: Settings = DEFAULT_SETTINGS
    # Stack cases: logical name -> input -> logical names its value was computed from (the engine's property
    # dependencies, by which stack rules link companions that name their subject by an output, such as an id).
    links: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # Paths (besides a change's own and the `first` ones) that the rule needs to reach its verdict: made unknown,
    # they may withhold a violation (the classification of a phi-only rule, the name linking a companion). Every
    # other property made unknown must leave each change's violation standing (assert_unrelated_unknown_keeps).
    needs: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.id = self.id or f"{self.rule}[{self.type}]"
        self.label = self.label or self.name
        MADE.append(self)

    @property
    def is_stack(self) -> bool:
        return RULES[self.rule].scope == "stack"

    def baseline(self) -> dict[str, Any]:
        """What paths point into: the subject's props, or for a stack case every resource's props by name."""
        if not self.is_stack:
            return self.props
        return {self.name: self.props, **{name: props for name, (_, props) in self.companions.items()}}

    def resources(self, *changes: tuple[Path, Any], type_: str | None = None) -> list[Resource]:
        """The judged resources after `changes`; `type_` retypes the subject."""
        state = self.baseline()
        for path, value in changes:
            state = changed(state, path, value)
        if not self.is_stack:
            return [resource(type_ or self.type, state, self.name, provider=self.provider)]
        types = {self.name: type_ or self.type, **{name: t for name, (t, _) in self.companions.items()}}
        return [
            resource(
                types[name],
                props,
                name,
                provider=self.provider,
                dependencies={
                    key: [resource(types[n], {}, n).urn for n in names]
                    for key, names in self.links.get(name, {}).items()
                },
            )
            for name, props in state.items()
        ]

    def violations(self, *changes: tuple[Path, Any], type_: str | None = None) -> list[str]:
        rule = RULES[self.rule]
        judged = self.resources(*changes, type_=type_)
        if not self.is_stack:
            return evaluate(rule, judged[0], self.settings)
        found = evaluate_stack(rule, judged, self.settings)
        assert all(subject.type in rule.subjects for subject, _ in found), found
        return [message for _, message in found]

    def check_directly(self, *changes: tuple[Path, Any]) -> list[str]:
        """The rule's own function over the changed subject, its props (and provider's) behind pulumi_policy's
        unknown-value proxy as a pack sees them, without `evaluate`'s "cannot judge yet" around it."""
        rule = RULES[self.rule]
        judged = [
            Resource(
                r.type,
                r.name,
                r.urn,
                unknown_checking_proxy(dict(r.props)),
                r.parent,
                unknown_checking_proxy(dict(r.provider)) if r.provider is not None else None,
                r.dependencies,
            )
            for r in self.resources(*changes)
        ]
        if not self.is_stack:
            return list(rule.check(judged[0], self.settings))
        [subject] = [r for r in judged if r.name == self.name]
        return list(rule.check(subject, Stack(judged), self.settings))


RUN_EVERY_TABLE = ("test_case_tables", "test_unknowns_keep_violations")  # the modules that call case_tables()


def case_tables() -> list[Case]:
    """Every Case of every rule test file in tests/policies/, each once: the files are imported (pytest imports
    them under their file names too, so the modules, and their Cases, are the same) and register what they make."""
    here = pathlib.Path(__file__).parent / "policies"
    if str(here) not in sys.path:
        sys.path.insert(0, str(here))
    for module in sorted(here.glob("test_*.py")):
        if module.stem not in RUN_EVERY_TABLE:
            importlib.import_module(module.stem)
    return list({id(case): case for case in MADE}.values())


# ---- the four tests every Case table goes through (tests/policies/test_case_tables.py) --------------------


def assert_baseline_passes(case: Case) -> None:
    assert case.violations() == []


def assert_one_violation(case: Case, path: Path, value: Any, expected: str) -> str:
    """Changing one property of the baseline gives exactly one violation, naming the subject and the change."""
    found = case.violations(*case.first, (path, value))
    assert len(found) == 1, found
    assert expected in found[0], found[0]
    assert case.label in found[0], found[0]
    return found[0]


def assert_cannot_judge(case: Case, path: Path, sentinel: Any) -> None:
    """An unknown preview value is no violation, because the rule reads it and stops: not because it skipped it.

    What the rule found before reading it stands (a variant's `first` changes may be violations of their own):
    the unknown value adds no violation, and on the compliant baseline leaves none."""
    changes = (*case.first, (path, sentinel))
    without = case.violations(*case.first)
    assert [m for m in case.violations(*changes) if m not in without] == []
    with pytest.raises((UnknownValueError, CannotJudge)):
        case.check_directly(*changes)


def assert_other_types_ignored(case: Case) -> None:
    """The subject, broken by the case's first change, is ignored under a type the rule does not judge."""
    other = OTHER_TYPES[case.type.removeprefix("pulumi:providers:").split(":")[0]]
    assert other not in RULES[case.rule].resource_types
    broken = [*case.first, *[(path, value) for path, value, _ in case.changes[:1]]]
    assert case.violations(*broken, type_=other) == []


def unknown_like(value: Any) -> str:
    """pulumi_policy's sentinel for a value of this one's kind unknown at preview."""
    if isinstance(value, bool):
        return UNKNOWN_BOOLEAN_VALUE
    if isinstance(value, int | float):
        return UNKNOWN_NUMBER_VALUE
    if isinstance(value, dict):
        return UNKNOWN_OBJECT_VALUE
    if isinstance(value, list):
        return UNKNOWN_ARRAY_VALUE
    return UNKNOWN_STRING_VALUE


def property_paths(value: Any, path: Path = ()) -> Iterator[Path]:
    """Every property below `value`, maps and lists included (each may be unknown as a whole), parents first."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield (*path, key)
        yield from property_paths(item, (*path, key))


def _related(a: Path, b: Path) -> bool:
    """Whether one path lies on the other's way (equal, or one inside the other)."""
    return a[: len(b)] == b or b[: len(a)] == a


def _at(state: Any, path: Path) -> Any:
    for key in path:
        state = state[key]
    return state


def unrelated_paths(case: Case, path: Path, value: Any) -> list[Path]:
    """The properties of a violating variant that its violation does not depend on, by the case's word: all but
    the changed one, the `first` ones, those the case `needs`, and (in a stack case) whole resources."""
    state = case.baseline()
    for step, step_value in (*case.first, (path, value)):
        state = changed(state, step, step_value)
    kept = [path, *(p for p, _ in case.first), *case.needs]
    return [
        p
        for p in property_paths(state)
        if not (case.is_stack and len(p) == 1) and not any(_related(p, k) for k in kept)
    ]


def assert_unrelated_unknown_keeps(case: Case, path: Path, value: Any, expected: str) -> None:
    """Issue 13: a rule withholds only the verdicts that depend on an unknown value. Each other property of the
    violating variant, made unknown at preview, leaves the change's violation standing."""
    state = case.baseline()
    for step, step_value in (*case.first, (path, value)):
        state = changed(state, step, step_value)
    hidden = []
    for other in unrelated_paths(case, path, value):
        found = case.violations(*case.first, (path, value), (other, unknown_like(_at(state, other))))
        if not any(expected in message for message in found):
            hidden.append(".".join(map(str, other)))
    assert hidden == [], f"made unknown, these properties hide the violation {expected!r}: {hidden}"


def _shown(value: Any) -> str:
    text = "deleted" if value is DELETE else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def case_params(cases: Iterable[Case]) -> list[Any]:
    return [pytest.param(c, id=c.id) for c in cases]


def change_params(cases: Iterable[Case]) -> list[Any]:
    return [
        pytest.param(c, path, value, expected, id=f"{c.id}-{'.'.join(map(str, path))}-{_shown(value)}")
        for c in cases
        for path, value, expected in c.changes
    ]


def unknown_params(cases: Iterable[Case]) -> list[Any]:
    return [
        pytest.param(c, path, sentinel, id=f"{c.id}-{'.'.join(map(str, path))}")
        for c in cases
        for path, sentinel in c.unknowns
    ]


# ---- component tests: the rules over what a component registered on the offline engine ---------------------


def as_resource(registration: Registration, props: dict[str, Any] | None = None) -> Resource:
    """What a rule sees of `registration`: its inputs, or `props` in their place (a broken copy)."""
    return Resource(
        registration.type,
        registration.name,
        registration.urn,
        registration.inputs if props is None else props,
        registration.parent,
    )


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
    found: list[str] = []
    for reg in registrations if registrations is not None else rec.resources:
        rules = [r for r in RULES.values() if r.scope == "resource" and r.applies_to(reg.type)]
        if not reg.type.startswith("gcp:") or not rules:
            continue
        # An unknown value would make a rule pass as "cannot judge yet"; here every input must be judged.
        assert not has_unknown(reg.inputs), f"{reg.name} has inputs unknown at preview"
        resource = as_resource(reg)
        for rule in rules:
            judged.add(rule.name)
            found += [f"{rule.name}: {m}" for m in evaluate(rule, resource, settings)]
    return judged, found
