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
# Pairs the catalog names that no rule judges yet (issue 13, in progress): each is a known gap, listed so it can
# only shrink. A pair that gains a rule fails test_open_pairs_still_lack_a_rule until it is removed from here.
OPEN: set[tuple[str, str]] = {
    ("encryption-at-rest", "aws:rds/instance:Instance"),
    ("encryption-at-rest", "aws:rds/cluster:Cluster"),
    ("encryption-at-rest", "aws:dynamodb/table:Table"),
    ("encryption-at-rest", "aws:elasticache/replicationGroup:ReplicationGroup"),
    ("encryption-at-rest", "aws:memorydb/cluster:Cluster"),
    ("encryption-at-rest", "aws:opensearch/domain:Domain"),
    ("encryption-at-rest", "aws:fsx/lustreFileSystem:LustreFileSystem"),
    ("encryption-at-rest", "aws:ecr/repository:Repository"),
    ("encryption-at-rest", "aws:secretsmanager/secret:Secret"),
    ("encryption-at-rest", "aws:sqs/queue:Queue"),
    ("encryption-at-rest", "aws:sns/topic:Topic"),
    ("encryption-at-rest", "aws:ec2/instance:Instance"),
    ("encryption-at-rest", "aws:backup/vault:Vault"),
    ("encryption-in-transit", "aws:elasticache/replicationGroup:ReplicationGroup"),
    ("encryption-in-transit", "aws:memorydb/cluster:Cluster"),
    ("encryption-in-transit", "aws:opensearch/domain:Domain"),
    ("no-public-access", "aws:rds/instance:Instance"),
    ("no-public-access", "aws:opensearch/domain:Domain"),
    ("no-public-access", "aws:ec2/instance:Instance"),
    ("least-privilege", "aws:ec2/instance:Instance"),
    ("data-residency", "aws:memorydb/cluster:Cluster"),
    ("data-residency", "aws:sns/topic:Topic"),
    ("data-residency", "aws:s3/bucketReplicationConfig:BucketReplicationConfig"),
    ("records-of-processing", "aws:rds/instance:Instance"),
    ("records-of-processing", "aws:rds/cluster:Cluster"),
    ("records-of-processing", "aws:dynamodb/table:Table"),
    ("records-of-processing", "aws:elasticache/replicationGroup:ReplicationGroup"),
    ("records-of-processing", "aws:memorydb/cluster:Cluster"),
    ("records-of-processing", "aws:opensearch/domain:Domain"),
    ("records-of-processing", "aws:fsx/lustreFileSystem:LustreFileSystem"),
    ("records-of-processing", "aws:ecr/repository:Repository"),
    ("records-of-processing", "aws:secretsmanager/secret:Secret"),
    ("records-of-processing", "aws:sqs/queue:Queue"),
    ("records-of-processing", "aws:sns/topic:Topic"),
}


def _judging(control: str, token: str) -> list[str]:
    return [r.name for r in RULES.values() if r.control == control and r.applies_to(token)]


CLOSED = [pair for pair in PAIRS if pair not in OPEN]


@pytest.mark.parametrize(("control", "token"), CLOSED, ids=[f"{c}:{t}" for c, t in CLOSED])
def test_every_catalog_pair_has_a_rule(control: str, token: str) -> None:
    assert _judging(control, token), f"no {control} rule judges {token}"


@pytest.mark.parametrize(("control", "token"), sorted(OPEN), ids=[f"{c}:{t}" for c, t in sorted(OPEN)])
def test_open_pairs_still_lack_a_rule(control: str, token: str) -> None:
    assert (control, token) in PAIRS, "not a catalog pair: remove it from OPEN"
    assert not _judging(control, token), f"{control} on {token} has a rule now: remove the pair from OPEN"


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
