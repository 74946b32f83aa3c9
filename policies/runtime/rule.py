"""A compliance rule is one small function with its metadata beside it; a pack is a selection of rules.

Resource rules judge one resource; stack rules judge what spans resources (a bucket and its separate SSE,
public access block, policy and versioning resources in pulumi-aws v7). A rule reads the engine's property
names (camelCase) and simply reads what it needs: reading a value that is unknown at preview raises
pulumi_policy's UnknownValueError, which `evaluate` turns into "cannot judge yet" for the rest of that subject (a
resource, or a stack rule's one subject): the violations the rule yielded before it are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, get_args

from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from llmops_infra.policies.runtime.controls import CONTROLS, Control

if TYPE_CHECKING:
    from llmops_infra.policies.runtime.stack import Stack

Severity = Literal["low", "medium", "high", "critical"]
Framework = Literal["hipaa", "gdpr"]
FRAMEWORKS: tuple[Framework, ...] = get_args(Framework)  # every framework a pack is built for


class CannotJudge(Exception):
    """Raised by a rule when what it needs is not known yet (at preview): no violation, the subject is skipped."""


class NotApplicable(Exception):
    """Raised by a rule for a resource it does not judge, with the reason (a phi-only rule on an internal bucket, an
    exempt system namespace): no violation; the pack answers "not applicable" (policies/runtime/verdicts.py)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# pulumi_policy raises UnknownValueError when a rule reads an unknown value; rules raise CannotJudge themselves.
_NOT_YET = (UnknownValueError, CannotJudge)


def judge_each(things: Sequence[Any], judge: Callable[[int, Any], Iterable[str]]) -> Iterator[str]:
    """`judge(index, thing)`'s messages for each thing of a list, each judged on its own.

    A thing that reads a value unknown at preview stops there (what it found before stands, as each message is
    a whole verdict) without hiding what the others show: the messages of the rest are given, then CannotJudge
    says the verdict is not complete (so an unknown value is never taken for a pass). An unknown element of the
    list itself is one unjudged thing; calls nest (a judge may judge_each a list of its own).
    """
    undecided: Exception | None = None
    for index in range(len(things)):
        try:
            yield from judge(index, things[index])
        except _NOT_YET as error:
            undecided = error
    if undecided is not None:
        raise CannotJudge("a value it reads is unknown at preview") from undecided


def judge_apart(*parts: Callable[[], Iterable[str]]) -> Iterator[str]:
    """The messages of independent parts of a verdict (properties, checks), each judged on its own as judge_each
    judges the items of a list: an unknown value in one part hides nothing another part finds."""
    yield from judge_each(parts, lambda _, part: part())


def per_item(things: Sequence[Any], predicate: Callable[[Any], bool]) -> list[Callable[[], bool]]:
    """One check per item of a list, for any_of and all_of: each reads its own item only when it is decided."""
    return [partial(_item_holds, things, index, predicate) for index in range(len(things))]


def _item_holds(things: Sequence[Any], index: int, predicate: Callable[[Any], bool]) -> bool:
    return predicate(things[index])


def known_items(things: Sequence[Any]) -> list[Any]:
    """The items of a list that are known at preview, for a message to name what a verdict found (never for the
    verdict itself: an item unknown at preview may be anything)."""
    found = []
    for index in range(len(things)):
        try:
            found.append(things[index])
        except _NOT_YET:
            continue
    return found


def any_of(checks: Iterable[Callable[[], bool]]) -> bool:
    """Whether some check holds, each decided on its own: one that holds decides it, whatever a value unknown at
    preview hides from the others; none holding, False, unless one could not be decided (then CannotJudge)."""
    undecided: Exception | None = None
    for check in checks:
        try:
            if check():
                return True
        except _NOT_YET as error:
            undecided = error
    if undecided is not None:
        raise CannotJudge("a value it reads is unknown at preview") from undecided
    return False


def all_of(checks: Iterable[Callable[[], bool]]) -> bool:
    """Whether every check holds, each decided on its own: one that fails decides it, whatever a value unknown at
    preview hides from the others; none failing, True, unless one could not be decided (then CannotJudge)."""
    return not any_of(_negated(check) for check in checks)


def _negated(check: Callable[[], bool]) -> Callable[[], bool]:
    return lambda: not check()


@dataclass(frozen=True)
class Resource:
    """What a rule sees of one resource: its type token, names and input properties."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    parent: str = ""
    provider: Mapping[str, Any] | None = None  # the provider's properties (region ...), when known
    # Input name -> URNs of the resources its value was computed from (the engine's property dependencies);
    # stack rules link companions to their subject through them (policies/runtime/stack.py).
    dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """The pack's parameters (Pulumi policy config), with the defaults docs/controls.md gives."""

    allowed_regions: tuple[str, ...] = ()  # empty: the EU/EEA list of the residency rule
    allow_adequacy_regions: bool = False
    min_log_retention_days: int = 2192  # 6 years, 164.316(b)(2)(i) applied conservatively
    max_log_retention_days: int = 2192
    platform_admin_group: str = "platform-admins"
    exempt_namespaces: tuple[str, ...] = ("kube-system", "gpu-operator")
    # The stack's config ("aws:region", "gcp:region" ...): the Pulumi CLI hands it to packs in PULUMI_CONFIG.
    # Not a policy parameter; rules read it as the last word on where a resource lives.
    stack_config: Mapping[str, str] = field(default_factory=dict)


# Policy config keys (camelCase, as Pulumi policy config is written) -> Settings fields and JSON schema.
PARAMETERS: dict[str, tuple[str, dict[str, Any]]] = {
    "allowedRegions": ("allowed_regions", {"type": "array", "items": {"type": "string"}}),
    "allowAdequacyRegions": ("allow_adequacy_regions", {"type": "boolean"}),
    "minLogRetentionDays": ("min_log_retention_days", {"type": "integer", "minimum": 1}),
    "maxLogRetentionDays": ("max_log_retention_days", {"type": "integer", "minimum": 1}),
    "platformAdminGroup": ("platform_admin_group", {"type": "string"}),
    "exemptNamespaces": ("exempt_namespaces", {"type": "array", "items": {"type": "string"}}),
}


def settings_from(config: Mapping[str, Any], base: Settings = Settings()) -> Settings:
    values = {PARAMETERS[k][0]: _parameter(k, v) for k, v in config.items() if k in PARAMETERS}
    return Settings(**{**base.__dict__, **values})


def _parameter(key: str, value: Any) -> Any:
    # Policy config travels as a protobuf Struct, where every number is a float: 30 arrives as 30.0.
    if PARAMETERS[key][1].get("type") == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    return tuple(value) if isinstance(value, list) else value


ResourceCheck = Callable[[Resource, Settings], Iterable[str]]
# A stack check judges one subject (say a bucket) with the whole stack in view (its companions).
StackCheck = Callable[[Resource, "Stack", Settings], Iterable[str]]


@dataclass(frozen=True)
class Rule:
    name: str
    control: str
    description: str
    severity: Severity
    resource_types: tuple[str, ...]
    remediation: str
    check: Any  # ResourceCheck or StackCheck, by `scope`
    frameworks: tuple[Framework, ...]  # the packs the rule is in
    scope: Literal["resource", "stack"] = "resource"
    subjects: tuple[str, ...] = ()  # stack rules: the types judged one by one (the rest are companions)
    parameters: tuple[str, ...] = ()  # PARAMETERS keys this rule reads
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def about(self) -> Control:
        return CONTROLS[self.control]

    def clauses(self, framework: Framework) -> tuple[str, ...]:
        return self.about.hipaa if framework == "hipaa" else self.about.gdpr

    def applies_to(self, type_token: str) -> bool:
        return type_token in self.resource_types


RULES: dict[str, Rule] = {}


def rule(
    name: str,
    *,
    control: str,
    severity: Severity,
    types: Sequence[str],
    remediation: str,
    frameworks: Sequence[Framework],
    scope: Literal["resource", "stack"] = "resource",
    subjects: Sequence[str] = (),
    parameters: Sequence[str] = (),
) -> Callable[[Any], Any]:
    """Register the decorated function as a rule; its docstring's first line is the description.

    `frameworks` has no default: every rule says which packs it is in (some of FRAMEWORKS), so a new rule never
    joins a pack by accident.
    """

    def register(check: Any) -> Any:
        if name in RULES:
            raise ValueError(f"duplicate rule name {name}")
        if control not in CONTROLS:
            raise ValueError(f"rule {name}: unknown control {control}")
        if isinstance(frameworks, str) or not frameworks:
            raise ValueError(f"rule {name}: frameworks must list the packs it is in, some of {', '.join(FRAMEWORKS)}")
        unknown_frameworks = [f for f in frameworks if f not in FRAMEWORKS]
        if unknown_frameworks:
            raise ValueError(
                f"rule {name}: unknown frameworks {unknown_frameworks}; the frameworks are {', '.join(FRAMEWORKS)}"
            )
        if len(set(frameworks)) != len(frameworks):
            raise ValueError(f"rule {name}: frameworks {list(frameworks)} names one twice")
        if scope == "stack" and not subjects:
            raise ValueError(f"stack rule {name}: name the subjects it judges")
        unknown = set(parameters) - set(PARAMETERS)
        if unknown:
            raise ValueError(f"rule {name}: unknown parameters {sorted(unknown)}")
        description = (check.__doc__ or "").strip().splitlines()[0] if check.__doc__ else name
        RULES[name] = Rule(
            name=name,
            control=control,
            description=description,
            severity=severity,
            resource_types=tuple(types),
            remediation=remediation,
            check=check,
            scope=scope,
            subjects=tuple(subjects),
            parameters=tuple(parameters),
            frameworks=tuple(frameworks),
        )
        return check

    return register


# pulumi-aws v7 resources and the deprecated `...V2` twins it still ships (read from the SDK's type tokens):
# a rule must judge stacks written with either.
DEPRECATED_TWINS: dict[str, str] = {
    f"aws:s3/{name[0].lower()}{name[1:]}:{name}": f"aws:s3/{name[0].lower()}{name[1:]}V2:{name}V2"
    for name in (
        "Bucket",
        "BucketAcl",
        "BucketLifecycleConfiguration",
        "BucketLogging",
        "BucketServerSideEncryptionConfiguration",
        "BucketVersioning",
    )
}


def with_twins(*tokens: str) -> tuple[str, ...]:
    """The tokens and, for those that have one, their deprecated twin."""
    return tuple(t for token in tokens for t in (token, DEPRECATED_TWINS.get(token)) if t)


def _proxied(props: Mapping[str, Any]) -> Mapping[str, Any]:
    # pulumi_policy hands packs proxied props already; plain dicts (tests, `llmops`) get the same proxy, so
    # a rule that reads an unknown preview value stops the same way everywhere.
    return unknown_checking_proxy(dict(props)) if type(props) is dict else props


def _as_judged(resource: Resource) -> Resource:
    """The resource with its own and its provider's props behind the unknown-value proxy."""
    provider = _proxied(resource.provider) if resource.provider is not None else None
    return Resource(
        resource.type,
        resource.name,
        resource.urn,
        _proxied(resource.props),
        resource.parent,
        provider,
        resource.dependencies,
    )


def _until_unknown(messages: Iterable[str]) -> list[str]:
    """The messages a rule gave before it read a value unknown at preview: each is a whole verdict already, so
    the unknown value withholds only what the rule would have said after it, not what it found before."""
    found: list[str] = []
    try:
        for message in messages:
            found.append(message)
    except (*_NOT_YET, NotApplicable):
        pass
    return found


def evaluate(rule: Rule, resource: Resource, settings: Settings = Settings()) -> list[str]:
    """The violation messages of a resource rule; what it cannot judge for a value unknown at preview is left out,
    what it found before reading that value is kept."""
    if not rule.applies_to(resource.type):
        return []
    return _until_unknown(rule.check(_as_judged(resource), settings))


def evaluate_stack(
    rule: Rule, resources: Sequence[Resource], settings: Settings = Settings()
) -> list[tuple[Resource, str]]:
    """The violations of a stack rule, each with the subject it is about.

    Each subject is judged on its own: a value unknown at preview leaves that subject unjudged, not the stack.
    """
    from llmops_infra.policies.runtime.stack import Stack  # stack.py builds on Resource, defined here

    stack = Stack(_as_judged(r) for r in resources)
    found: list[tuple[Resource, str]] = []
    for subject in stack.of_type(rule.subjects):
        found.extend((subject, message) for message in _until_unknown(rule.check(subject, stack, settings)))
    return found
