"""Every rule's Case table (tests/rule_judging.case_tables) through the same tests: the compliant baseline has no
violation; each change gives exactly one, naming the subject; each unknown preview value gives none, because the
rule reads it and stops; the subject under a type the rule does not judge is ignored; and a property of an odd
shape on a change's path is a verdict, never an error. The rule test files declare the tables and test what is
particular to their rules.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.rule_judging import (
    Case,
    Path,
    assert_baseline_passes,
    assert_cannot_judge,
    assert_one_violation,
    assert_other_types_ignored,
    case_params,
    case_tables,
    change_params,
    unknown_params,
)

CASES = case_tables()


@pytest.mark.parametrize("case", case_params(CASES))
def test_compliant_baseline_has_no_violation(case: Case) -> None:
    assert_baseline_passes(case)


@pytest.mark.parametrize(("case", "path", "value", "expected"), change_params(CASES))
def test_changing_one_property_gives_exactly_one_violation(case: Case, path: Path, value: Any, expected: str) -> None:
    assert_one_violation(case, path, value, expected)


@pytest.mark.parametrize(("case", "path", "sentinel"), unknown_params(CASES))
def test_unknown_preview_value_is_not_a_violation(case: Case, path: Path, sentinel: Any) -> None:
    assert_cannot_judge(case, path, sentinel)


@pytest.mark.parametrize("case", case_params(CASES))
def test_resource_of_another_type_is_ignored(case: Case) -> None:
    assert_other_types_ignored(case)


@pytest.mark.parametrize("case", case_params(CASES))
@pytest.mark.parametrize("odd", [None, "x", 7, [], {}, [None, "y"]])
def test_odd_shapes_never_raise(case: Case, odd: Any) -> None:
    """A property of any odd shape, at any depth of a change's path, gives a verdict (a list), never an error."""
    for path, _, _ in case.changes:
        for depth in range(2 if case.is_stack else 1, len(path) + 1):
            assert isinstance(case.violations((path[:depth], odd)), list)
