"""Issue 13, proved for every rule at once: a value unknown at preview withholds only the verdicts that depend on
it. Every violation case of every rule test table (tests/rule_judging.case_tables), with any other property of the
violating variant made unknown, still shows its violation; a property a verdict does need is declared by the
case (`Case.needs`), and the declaration is checked to be a real need.
"""

from __future__ import annotations

from typing import Any

import pytest

from llmops_infra.policies.runtime.rule import RULES
from tests.rule_judging import (
    Case,
    Path,
    assert_unrelated_unknown_keeps,
    case_tables,
    changed,
    unknown_like,
)

CASES = case_tables()
CHANGES = [(c, path, value, expected) for c in CASES for path, value, expected in c.changes]


def _id(case: Case, path: Path) -> str:
    return f"{case.id}-{'.'.join(map(str, path))}"


def test_every_rule_has_a_violation_case() -> None:
    assert sorted(set(RULES) - {c.rule for c, *_ in CHANGES}) == []


@pytest.mark.parametrize(
    ("case", "path", "value", "expected"), [pytest.param(*change, id=_id(*change[:2])) for change in CHANGES]
)
def test_an_unrelated_unknown_keeps_the_violation(case: Case, path: Path, value: Any, expected: str) -> None:
    assert_unrelated_unknown_keeps(case, path, value, expected)


NEEDS = [(c, need) for c in CASES for need in c.needs]


@pytest.mark.parametrize(("case", "need"), [pytest.param(c, n, id=_id(c, n)) for c, n in NEEDS])
def test_a_declared_need_is_one(case: Case, need: Path) -> None:
    """Made unknown, a property the case says the rule needs withholds the violation of some change of it."""
    state = case.baseline()
    for step, value in case.first:
        state = changed(state, step, value)
    target: Any = state
    for key in need:
        target = target[key]
    withheld = [
        expected
        for path, value, expected in case.changes
        if not any(expected in m for m in case.violations(*case.first, (path, value), (need, unknown_like(target))))
    ]
    assert withheld, f"{case.id}: {'.'.join(map(str, need))} made unknown withholds no violation: not a need"
