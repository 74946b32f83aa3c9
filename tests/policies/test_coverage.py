"""Coverage as data, checked: every (control, resource type) pair of the control catalog has a rule.

The catalog (policies/runtime/controls.py, written from docs/controls.md) lists for each control the resource types
it applies to; a pair no rule of that control judges is a gap a stack could hide behind, so each one fails here by
name. A rule judges a type when the type is among its resource types (a stack rule's subjects and companions alike).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import llmops_infra.policies.rules  # noqa: F401 - registers every rule
from llmops_infra.policies.runtime.controls import CONTROLS
from llmops_infra.policies.runtime.rule import RULES

DOC = Path(__file__).resolve().parents[2] / "docs" / "controls.md"
PAIRS = [(control.id, token) for control in CONTROLS.values() for token in control.resource_types]


def _judging(control: str, token: str) -> list[str]:
    return [r.name for r in RULES.values() if r.control == control and r.applies_to(token)]


@pytest.mark.parametrize(("control", "token"), PAIRS, ids=[f"{c}:{t}" for c, t in PAIRS])
def test_every_catalog_pair_has_a_rule(control: str, token: str) -> None:
    assert _judging(control, token), f"no {control} rule judges {token}"


def test_the_catalog_names_each_type_once_per_control() -> None:
    for control in CONTROLS.values():
        assert len(set(control.resource_types)) == len(control.resource_types), control.id


def test_every_catalog_type_is_a_pulumi_type_token() -> None:
    token = re.compile(r"^(aws|gcp|kubernetes):[A-Za-z0-9./]+:[A-Z][A-Za-z0-9]*$")
    assert [t for _, t in PAIRS if not token.match(t)] == []


@pytest.mark.parametrize("control", sorted(CONTROLS))
def test_the_control_catalog_doc_lists_the_types_of_each_control(control: str) -> None:
    # The control's own section of docs/controls.md (from its heading to the next one of the same level).
    text = DOC.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(control)}\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"docs/controls.md has no section for {control}"
    missing = [t for t in CONTROLS[control].resource_types if t not in match.group(1)]
    assert missing == [], f"docs/controls.md, section {control}, does not name {missing}"
