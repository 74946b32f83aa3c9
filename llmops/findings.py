"""What a compliance check found: the data every report format (text, JSON, SARIF, markdown) is written from.

Filled from the analyzer protocol only (GetAnalyzerInfo and the diagnostics), so a report describes any
CrossGuard pack, not only ours: a policy's control is its first tag and its clauses are its compliance
framework's reference, as `policies/runtime/pack.py` publishes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# Where a stack's packs came from. Only "declared" and "requested" can pass: a stack that declares nothing is
# checked against every shipped pack ("default") and never reported passed; `llmops:packs: []` is "opted-out".
PackSource = Literal["declared", "requested", "default", "opted-out"]
Status = Literal["passed", "failed", "undeclared", "unchecked"]


@dataclass(frozen=True)
class PolicyDoc:
    """One policy of a pack as GetAnalyzerInfo describes it (SARIF rules, markdown legend)."""

    pack: str
    name: str
    description: str
    control: str  # "" when the pack does not tag its policies
    clauses: tuple[str, ...]
    severity: str  # low | medium | high | critical, or "" when the pack does not say
    remediation: str
    enforcement: str  # the configured level: advisory | mandatory | disabled | remediate

    @classmethod
    def undescribed(cls, violation: Violation) -> PolicyDoc:
        """What a report can say of a policy GetAnalyzerInfo did not list: what its violation carries."""
        return cls(
            pack=violation.pack,
            name=violation.policy,
            description="",
            control=violation.control,
            clauses=violation.clauses,
            severity=violation.severity,
            remediation="",
            enforcement=violation.enforcement,
        )


@dataclass(frozen=True)
class Location:
    """A line of the repository a finding points at (llmops/locations.py): where its resource was created, a line
    that called that code, or the config key the judged value came from."""

    file: str  # relative to the repository root, forward slashes
    line: int  # 1-based
    kind: Literal["created", "called", "config"]
    key: str = ""  # the config key (and path under it), for kind config: llmops-infra:platform.logRetentionDays


@dataclass(frozen=True)
class Violation:
    pack: str
    policy: str
    control: str
    clauses: tuple[str, ...]
    severity: str
    enforcement: str  # advisory | mandatory (disabled policies report nothing)
    urn: str
    type: str
    name: str
    message: str
    # Where it is: the first is the finding's own line, the others lead to it; () when nothing is known (a stack
    # policy, an export without source positions): reports then point at the stack's file.
    locations: tuple[Location, ...] = ()

    @property
    def mandatory(self) -> bool:
        return self.enforcement == "mandatory"


@dataclass(frozen=True)
class StackResult:
    """The check of one stack (or one state file) against its packs."""

    stack: str  # stack name
    source: str  # the file it came from, relative to the repository when inside it (SARIF location)
    resources: int  # how many resources were analyzed
    packs: tuple[str, ...]  # pack names, in the order they ran
    violations: tuple[Violation, ...]
    pack_source: PackSource = "requested"

    @property
    def mandatory(self) -> int:
        return sum(v.mandatory for v in self.violations)

    @property
    def status(self) -> Status:
        if self.mandatory:
            return "failed"
        if self.pack_source == "opted-out" or not self.packs:
            return "unchecked"
        return "undeclared" if self.pack_source == "default" else "passed"


@dataclass(frozen=True)
class CheckReport:
    stacks: tuple[StackResult, ...]
    policies: tuple[PolicyDoc, ...]  # every policy of every pack that ran, once per (pack, policy)

    @property
    def failed(self) -> bool:
        """A mandatory violation somewhere: the command exits 1."""
        return any(s.mandatory for s in self.stacks)

    @property
    def passed(self) -> bool:
        """Every stack judged by the packs it declares (or --pack names) with no mandatory violation."""
        return all(s.status == "passed" for s in self.stacks)
