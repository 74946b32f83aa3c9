"""A rule's whole verdict on one resource, not only its violations, and how a pack says it over the analyzer protocol.

Four verdicts (docs/evidence.md):
- fail: the rule gave at least one message (a violation);
- pass: the rule judged the resource and found nothing;
- not-judged: the rule read a value unknown at preview before it found anything (UnknownValueError, CannotJudge);
- not-applicable: the rule does not judge this resource (it raised NotApplicable, with the reason).

The analyzer protocol carries violations as diagnostics, and "the policy does not apply" as the `not_applicable`
entries of an AnalyzeResponse (pulumi_policy's `args.not_applicable(reason)`). A pass is the absence of both for
a resource of the policy's types. The packs answer not-judged through the same channel, with a reason that says
so; neither kind of answer is a violation, so `pulumi preview` and `llmops check` print exactly what they did.

Reasons, as `resource_answer` and `stack_answer` write them and `read_resource_answer` and `read_stack_answer`
read them:
- a resource policy (one Analyze call per resource): "not-judged: <why>" or "not-applicable: <why>";
- a stack policy answers once per stack (the SDK keeps one answer per policy), so its reason names every subject
  that was not judged or not applicable: a summary line, then one JSON line per subject, ["not-judged", urn, why].
  The subjects it does not name were judged: each passed, or has its violations.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from pulumi_policy.proxy import UnknownValueError

from llmops_infra.policies.runtime.rule import (
    CannotJudge,
    NotApplicable,
    Resource,
    Rule,
    Settings,
    _as_judged,
)

Verdict = Literal["pass", "fail", "not-judged", "not-applicable"]
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)
# The answers that travel as `not_applicable` entries (pass and fail need none).
ANSWERED: tuple[Verdict, ...] = ("not-judged", "not-applicable")

UNKNOWN_AT_PREVIEW = "a value it reads is unknown at preview"


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    messages: tuple[str, ...] = ()  # the violations, when it failed
    reason: str = ""  # why it was not judged, or does not apply


def _why_unknown(error: BaseException) -> str:
    """What was unknown: the first cause of the error (judge_each and any_of raise CannotJudge from it), in its own
    words; pulumi_policy's names the property's path."""
    while error.__cause__ is not None:
        error = error.__cause__
    why = error.message if isinstance(error, UnknownValueError) else str(error)
    return " ".join(str(why).split()) or UNKNOWN_AT_PREVIEW


def judged(messages: Iterable[str]) -> Judgement:
    """The verdict of a rule's messages: what it found before an unknown value or NotApplicable stands (as in
    rule.evaluate); with nothing found, the unknown value or the reason is the verdict."""
    found: list[str] = []
    try:
        for message in messages:
            found.append(message)
    except NotApplicable as error:
        return Judgement("fail", tuple(found)) if found else Judgement("not-applicable", (), error.reason)
    except (UnknownValueError, CannotJudge) as error:
        return Judgement("fail", tuple(found)) if found else Judgement("not-judged", (), _why_unknown(error))
    return Judgement("fail" if found else "pass", tuple(found))


def judge(rule: Rule, resource: Resource, settings: Settings = Settings()) -> Judgement:
    """A resource rule's verdict on one resource; its messages are exactly `rule.evaluate`'s."""
    if not rule.applies_to(resource.type):
        return Judgement("not-applicable", (), f"{rule.name} does not judge {resource.type}")
    return judged(rule.check(_as_judged(resource), settings))


def judge_stack(
    rule: Rule, resources: Sequence[Resource], settings: Settings = Settings()
) -> list[tuple[Resource, Judgement]]:
    """A stack rule's verdict on each of its subjects; the messages are exactly `rule.evaluate_stack`'s."""
    from llmops_infra.policies.runtime.stack import Stack  # stack.py builds on rule.py, as evaluate_stack does

    stack = Stack(_as_judged(r) for r in resources)
    return [(subject, judged(rule.check(subject, stack, settings))) for subject in stack.of_type(rule.subjects)]


# ---- over the protocol ---------------------------------------------------------------------------------------


def resource_answer(judgement: Judgement) -> str | None:
    """The `not_applicable` reason a resource policy answers with, or None (it passed, or has its violations)."""
    if judgement.verdict not in ANSWERED:
        return None
    return f"{judgement.verdict}: {judgement.reason or UNKNOWN_AT_PREVIEW}"


def read_resource_answer(reason: str) -> tuple[Verdict, str]:
    """A resource policy's `not_applicable` answer: not-judged or not-applicable, and why. A pack of others' says
    only that the policy does not apply, in its own words."""
    for verdict in ANSWERED:
        prefix = f"{verdict}: "
        if reason.startswith(prefix):
            return verdict, reason[len(prefix) :]
    return "not-applicable", reason


def stack_answer(judgements: Sequence[tuple[Resource, Judgement]]) -> str | None:
    """The one `not_applicable` reason of a stack policy: every subject not judged or not applicable, or None."""
    answered = [(subject, j) for subject, j in judgements if j.verdict in ANSWERED]
    if not answered:
        return None
    lines = [f"{len(answered)} of {len(judgements)} subjects not judged or not applicable"]
    lines += [json.dumps([j.verdict, subject.urn, j.reason]) for subject, j in answered]
    return "\n".join(lines)


def read_stack_answer(reason: str) -> dict[str, tuple[Verdict, str]]:
    """The subjects a stack policy's answer names, by URN: their verdict and why. A reason not written by
    `stack_answer` (another pack's) names no subject: {}."""
    found: dict[str, tuple[Verdict, str]] = {}
    for line in reason.splitlines()[1:]:
        try:
            verdict, urn, why = json.loads(line)
        except (ValueError, TypeError):
            continue
        if verdict in ANSWERED and isinstance(urn, str) and isinstance(why, str):
            found[urn] = (verdict, why)
    return found
