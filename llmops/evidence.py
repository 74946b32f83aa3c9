"""What `llmops evidence` reports: per control and clause, every resource in scope with its verdict and the policies
that gave it. One typed model; each format (evidence_json, evidence_markdown, evidence_html, evidence_oscal) is
written from it and from nothing else.

The verdicts come from the packs through the analyzer protocol (evidence_run.py): a violation is a failure, a
`not_applicable` answer is "not judged" or "not applicable" as its reason says (policies/runtime/verdicts.py),
and a resource of a type a policy judges that got neither passed it. Which types a policy judges is the rule
library's declaration (its resource types; for a stack rule, its subjects): the protocol does not carry it, and the
packs skip a policy for a type it does not judge before asking it.

In scope for a control, on one stack: every resource whose type the control lists (the catalog,
policies/runtime/controls.py) or that one of the control's policies run on the stack judges. Each gets exactly one
verdict per control, the first of these its policies give: fail, not judged, pass, not applicable; so per stack and
control, pass + fail + not judged + not applicable = the resources in scope. A resource of a listed type that no
policy judges is not judged (no rule judges it yet), unless a stack rule of the control reads it as part of the
resource it configures (a bucket's versioning resource): then it is not applicable, and that resource carries
the verdict.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import llmops_infra.policies.rules  # noqa: F401 - registers every rule: which types each policy of ours judges
from llmops_infra.cli.analyzer_host import AnalyzerInfo, Answers, PolicyInfo
from llmops_infra.cli.findings import PackSource, PolicyDoc
from llmops_infra.policies.runtime.controls import CONTROLS, Control
from llmops_infra.policies.runtime.rule import RULES, Rule
from llmops_infra.policies.runtime.verdicts import VERDICTS, Verdict, read_resource_answer, read_stack_answer

# The verdict a control gives a resource: the first of these that any of its policies gives.
PRECEDENCE: tuple[Verdict, ...] = ("fail", "not-judged", "pass", "not-applicable")
VERDICT_LABELS: dict[Verdict, str] = {
    "pass": "pass",
    "fail": "fail",
    "not-judged": "not judged",
    "not-applicable": "not applicable",
}
FRAMEWORK_LABELS = {"hipaa": "HIPAA", "gdpr": "GDPR"}

StackStatus = Literal["judged", "unchecked"]


def worst(verdicts: Iterable[Verdict]) -> Verdict | None:
    found = set(verdicts)
    return next((v for v in PRECEDENCE if v in found), None)


@dataclass(frozen=True)
class Counts:
    passed: int = 0
    failed: int = 0
    not_judged: int = 0
    not_applicable: int = 0

    @property
    def in_scope(self) -> int:
        return self.passed + self.failed + self.not_judged + self.not_applicable

    def of(self, verdict: Verdict) -> int:
        return {
            "pass": self.passed,
            "fail": self.failed,
            "not-judged": self.not_judged,
            "not-applicable": self.not_applicable,
        }[verdict]

    @property
    def worst(self) -> Verdict | None:
        return next((v for v in PRECEDENCE if self.of(v)), None)

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.passed + other.passed,
            self.failed + other.failed,
            self.not_judged + other.not_judged,
            self.not_applicable + other.not_applicable,
        )

    @classmethod
    def count(cls, verdicts: Iterable[Verdict]) -> Counts:
        tally = dict.fromkeys(VERDICTS, 0)
        for verdict in verdicts:
            tally[verdict] += 1
        return cls(tally["pass"], tally["fail"], tally["not-judged"], tally["not-applicable"])


@dataclass(frozen=True)
class PolicyCheck:
    """One policy's verdict on one resource."""

    pack: str
    policy: str
    enforcement: str  # advisory | mandatory | disabled | remediate, as configured
    verdict: Verdict
    messages: tuple[str, ...] = ()  # its violations, when it failed
    reason: str = ""  # why it did not judge, or does not apply

    @property
    def mandatory_failure(self) -> bool:
        return self.verdict == "fail" and self.enforcement in ("mandatory", "remediate")


@dataclass(frozen=True)
class ResourceVerdict:
    urn: str
    type: str
    name: str
    verdict: Verdict
    checks: tuple[PolicyCheck, ...]  # every policy of the control that judges its type, in pack and policy order
    reason: str = ""  # the verdict's reason when no policy gave it (no rule judges the type, or it is a companion)

    @property
    def deciding(self) -> tuple[PolicyCheck, ...]:
        """The checks that gave the verdict (the rule(s) behind it)."""
        return tuple(c for c in self.checks if c.verdict == self.verdict)

    @property
    def detail(self) -> str:
        """One line on why: the violations, or the reasons, of the deciding checks."""
        if not self.checks:
            return self.reason
        parts = [m for c in self.deciding for m in c.messages] or [c.reason for c in self.deciding if c.reason]
        return "; ".join(dict.fromkeys(parts))


@dataclass(frozen=True)
class Clause:
    framework: str  # hipaa | gdpr | "" (a clause the catalog does not list for the control)
    ref: str  # as the pack gives it: 164.312(a)(2)(iv), Art. 32(1)(a)

    @property
    def label(self) -> str:
        prefix = FRAMEWORK_LABELS.get(self.framework, "")
        return f"{prefix} {self.ref}".strip()


@dataclass(frozen=True)
class ControlEvidence:
    """One control on one stack."""

    control: str
    title: str
    clauses: tuple[Clause, ...]
    policies: tuple[str, ...]  # "pack/policy" of the control's policies that ran
    resources: tuple[ResourceVerdict, ...]

    @property
    def counts(self) -> Counts:
        return Counts.count(r.verdict for r in self.resources)


@dataclass(frozen=True)
class ClauseEvidence:
    """One clause on one stack: the resources in scope of any control citing it, each with the first verdict
    (in PRECEDENCE) those controls give it."""

    clause: Clause
    controls: tuple[str, ...]
    counts: Counts


@dataclass(frozen=True)
class PackRef:
    name: str
    version: str  # the pack's (PulumiPolicy.yaml)
    sdk_version: str  # the pulumi-policy SDK serving it


@dataclass(frozen=True)
class StackEvidence:
    stack: str
    source: str
    pack_source: PackSource
    packs: tuple[str, ...]
    resources: int  # every resource the program registered
    controls: tuple[ControlEvidence, ...]
    clauses: tuple[ClauseEvidence, ...]
    # Violations no control of the catalog places on a resource in scope ("pack/policy: message"): a policy of
    # another pack, or a stack policy's report about no resource. Never dropped.
    other_violations: tuple[str, ...] = ()
    other_mandatory: int = 0

    @property
    def status(self) -> StackStatus:
        return "judged" if self.packs else "unchecked"

    @property
    def counts(self) -> Counts:
        """Summed over controls: a resource in scope of two controls counts once for each."""
        return sum((c.counts for c in self.controls), Counts())

    @property
    def mandatory_failures(self) -> int:
        """Resources failing a mandatory policy, once per (policy, resource), as `llmops check` gates on them."""
        failing = {
            (c.pack, c.policy, r.urn)
            for control in self.controls
            for r in control.resources
            for c in r.checks
            if c.mandatory_failure
        }
        return len(failing) + self.other_mandatory


@dataclass(frozen=True)
class PolicySetting:
    """One entry of the policy config file: the level it sets (or "") and its parameters as canonical JSON."""

    policy: str
    enforcement: str
    parameters: str  # "{}" when none


@dataclass(frozen=True)
class PolicyConfigUsed:
    source: str  # the --policy-config file, "" for the packs' defaults
    settings: tuple[PolicySetting, ...] = ()


@dataclass(frozen=True)
class Evidence:
    generated_at: datetime
    commit: str  # "" when not in a git checkout
    dirty: bool | None  # uncommitted changes to tracked files; None when unknown
    tool_version: str
    packs: tuple[PackRef, ...]
    policy_config: PolicyConfigUsed
    policies: tuple[PolicyDoc, ...]  # every policy of every pack that ran, with its configured level
    controls: tuple[Control, ...]  # the catalog
    stacks: tuple[StackEvidence, ...]

    @property
    def counts(self) -> Counts:
        return sum((s.counts for s in self.stacks), Counts())

    @property
    def mandatory_failures(self) -> int:
        return sum(s.mandatory_failures for s in self.stacks)

    @property
    def failed(self) -> bool:
        return self.mandatory_failures > 0

    def control_ids(self) -> list[str]:
        """The controls judged on some stack, in catalog order."""
        seen = {c.control for s in self.stacks for c in s.controls}
        return [c.id for c in self.controls if c.id in seen]

    def cell(self, stack: StackEvidence, control: str) -> ControlEvidence | None:
        return next((c for c in stack.controls if c.control == control), None)


# ---- building it from what the packs answered ------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceRef:
    """What the evidence needs of a registered resource (never its inputs: they may hold secrets)."""

    urn: str
    type: str
    name: str


@dataclass(frozen=True)
class PackRun:
    """One pack over one stack: its info, the levels configured, and every answer it gave (Analyze and
    AnalyzeStack)."""

    info: AnalyzerInfo
    levels: Mapping[str, str]
    answers: Answers
    docs: tuple[PolicyDoc, ...] = field(default_factory=tuple)


def policy_control(policy: PolicyInfo) -> str:
    """A policy's control: its first tag, as `llmops check` reads it (findings.py)."""
    return policy.tags[0] if policy.tags else ""


def own_message(description: str, message: str) -> str:
    # pulumi_policy sends "<description>\n<message>"; the description is the policy's (as check.py strips it).
    head, newline, tail = message.partition("\n")
    return tail.strip() if newline and head == description and tail.strip() else message or description


def _rule_of(policy: PolicyInfo) -> Rule | None:
    found = RULES.get(policy.name)
    return found if found is not None and found.control == policy_control(policy) else None


def judged_types(rule: Rule) -> tuple[str, ...]:
    """The types a rule gives a verdict on: a resource rule's types, a stack rule's subjects."""
    return rule.resource_types if rule.scope == "resource" else rule.subjects


def companion_types(rule: Rule) -> tuple[str, ...]:
    return tuple(t for t in rule.resource_types if t not in judged_types(rule))


@dataclass
class _Index:
    """Every answer of a stack's packs, by (pack, policy, urn)."""

    failures: dict[tuple[str, str, str], list[str]]
    answered: dict[tuple[str, str, str], tuple[Verdict, str]]
    diagnostics: list[tuple[str, str, str, str, str]]  # pack, policy, urn, message, enforcement


def _index(runs: Sequence[PackRun]) -> _Index:
    index = _Index(defaultdict(list), {}, [])
    for run in runs:
        pack = run.info.name
        stack_policies = {p.name for p in run.info.policies if (r := _rule_of(p)) is not None and r.scope == "stack"}
        for d in run.answers.diagnostics:
            message = own_message(d.description, d.message)
            index.failures[(pack, d.policy_name, d.urn)].append(message)
            index.diagnostics.append((pack, d.policy_name, d.urn, message, d.enforcement_level))
        for answer in run.answers.not_applicable:
            if answer.urn:
                index.answered[(pack, answer.policy_name, answer.urn)] = read_resource_answer(answer.reason)
            elif answer.policy_name in stack_policies:
                for urn, verdict in read_stack_answer(answer.reason).items():
                    index.answered[(pack, answer.policy_name, urn)] = verdict
    return index


def _check(run: PackRun, policy: PolicyInfo, urn: str, index: _Index) -> PolicyCheck:
    pack, level = run.info.name, run.levels.get(policy.name, policy.enforcement_level)
    key = (pack, policy.name, urn)
    if level == "disabled":
        return PolicyCheck(pack, policy.name, level, "not-judged", (), "the policy is disabled by the policy config")
    if key in index.failures:
        return PolicyCheck(pack, policy.name, level, "fail", tuple(index.failures[key]))
    if key in index.answered:
        verdict, reason = index.answered[key]
        return PolicyCheck(pack, policy.name, level, verdict, (), reason)
    return PolicyCheck(pack, policy.name, level, "pass")


def _clauses(control: Control, runs: Sequence[tuple[PackRun, PolicyInfo]]) -> tuple[Clause, ...]:
    refs = dict.fromkeys(c.strip() for _, p in runs for c in p.framework_reference.split(",") if c.strip())

    def framework(ref: str) -> str:
        return "hipaa" if ref in control.hipaa else "gdpr" if ref in control.gdpr else ""

    found = [Clause(framework(ref), ref) for ref in refs]
    order = {"hipaa": 0, "gdpr": 1, "": 2}
    return tuple(sorted(found, key=lambda c: order[c.framework]))


def _control(
    control: Control, policies: Sequence[tuple[PackRun, PolicyInfo]], resources: Sequence[ResourceRef], index: _Index
) -> ControlEvidence:
    rules = {(run.info.name, p.name): _rule_of(p) for run, p in policies}
    judged = {key: set(judged_types(r)) for key, r in rules.items() if r is not None}
    companions = {t for r in rules.values() if r is not None for t in companion_types(r)}
    scope = set(control.resource_types) | {t for types in judged.values() for t in types}
    verdicts = []
    for resource in resources:
        if resource.type not in scope:
            continue
        checks = []
        for run, policy in policies:
            key = (run.info.name, policy.name)
            answered = (run.info.name, policy.name, resource.urn)
            if key in judged:
                if resource.type in judged[key]:
                    checks.append(_check(run, policy, resource.urn, index))
            elif answered in index.failures or answered in index.answered:
                checks.append(_check(run, policy, resource.urn, index))  # another pack's policy: only its answers
        verdict = worst(c.verdict for c in checks)
        reason = ""
        if verdict is None:
            if resource.type in companions:
                readers = [f"{p}/{n}" for (p, n), r in rules.items() if r and resource.type in r.resource_types]
                by = ", ".join(sorted(readers))
                verdict, reason = "not-applicable", f"read as part of the resource it configures, by {by}"
            else:
                verdict, reason = "not-judged", f"no policy of the packs run judges {resource.type} for this control"
        verdicts.append(ResourceVerdict(resource.urn, resource.type, resource.name, verdict, tuple(checks), reason))
    return ControlEvidence(
        control=control.id,
        title=control.title,
        clauses=_clauses(control, policies),
        policies=tuple(f"{run.info.name}/{p.name}" for run, p in policies),
        resources=tuple(verdicts),
    )


def _clause_evidence(controls: Sequence[ControlEvidence]) -> tuple[ClauseEvidence, ...]:
    by_clause: dict[Clause, list[ControlEvidence]] = {}
    for control in controls:
        for clause in control.clauses:
            by_clause.setdefault(clause, []).append(control)
    found = []
    for clause, citing in by_clause.items():
        verdicts: dict[str, list[Verdict]] = defaultdict(list)
        for control in citing:
            for resource in control.resources:
                verdicts[resource.urn].append(resource.verdict)
        counts = Counts.count(v for vs in verdicts.values() if (v := worst(vs)) is not None)
        found.append(ClauseEvidence(clause, tuple(c.control for c in citing), counts))
    order = {"hipaa": 0, "gdpr": 1, "": 2}
    return tuple(sorted(found, key=lambda c: (order[c.clause.framework], c.clause.ref)))


def stack_evidence(
    stack: str,
    source: str,
    pack_source: PackSource,
    resources: Sequence[ResourceRef],
    runs: Sequence[PackRun],
) -> StackEvidence:
    index = _index(runs)
    policies = [(run, p) for run in runs for p in run.info.policies]
    controls = [
        _control(control, mine, resources, index)
        for control in CONTROLS.values()
        if (mine := [(run, p) for run, p in policies if policy_control(p) == control.id])
    ]
    placed = {(c.pack, c.policy, r.urn) for ce in controls for r in ce.resources for c in r.checks if c.messages}
    other = [(pack, policy, urn, m, level) for pack, policy, urn, m, level in index.diagnostics]
    other = [d for d in other if (d[0], d[1], d[2]) not in placed]
    return StackEvidence(
        stack=stack,
        source=source,
        pack_source=pack_source,
        packs=tuple(run.info.name for run in runs),
        resources=len(resources),
        controls=tuple(controls),
        clauses=_clause_evidence(controls),
        other_violations=tuple(f"{pack}/{policy}: {urn or '(stack)'}: {m}" for pack, policy, urn, m, _ in other),
        other_mandatory=len({(d[0], d[1], d[2]) for d in other if d[4] in ("mandatory", "remediate")}),
    )


def policy_settings(config: Mapping[str, Any]) -> tuple[PolicySetting, ...]:
    settings = []
    for policy, entry in sorted(config.items()):
        level = entry if isinstance(entry, str) else str(entry.get("enforcementLevel") or "")
        params = {k: v for k, v in entry.items() if k != "enforcementLevel"} if isinstance(entry, dict) else {}
        settings.append(PolicySetting(policy, level, json.dumps(params, sort_keys=True)))
    return tuple(settings)
