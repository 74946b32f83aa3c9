"""The HIPAA and GDPR packs, started as the Pulumi CLI starts them and driven over the analyzer protocol."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from llmops_infra.cli.analyzer_host import PolicyPackHost, ResourceInput
from llmops_infra.policies.runtime.pack import description, policy_for, rules_for
from llmops_infra.policies.runtime.rule import Settings

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = ("hipaa", "gdpr")


@pytest.fixture(scope="module", params=FRAMEWORKS)
def pack(request) -> Iterator[tuple[str, PolicyPackHost]]:
    with PolicyPackHost(ROOT / "policies" / request.param) as host:
        yield request.param, host


def test_pack_answers_get_analyzer_info_with_all_its_rules_and_their_config_schema(pack):
    framework, host = pack
    info = host.info()
    expected = rules_for(framework)
    assert info.name == f"llmops-{framework}"
    assert sorted(p.name for p in info.policies) == sorted(r.name for r in expected)
    by_name = {p.name: p for p in info.policies}
    for rule in expected:
        policy = by_name[rule.name]
        assert policy.enforcement_level == "mandatory"
        assert policy.severity == rule.severity
        assert policy.description == description(rule, framework)
        if rule.parameters:
            assert set(policy.config_schema["properties"]) >= set(rule.parameters)


def test_every_rule_states_its_clauses_for_the_frameworks_it_is_in():
    for framework in FRAMEWORKS:
        for rule in rules_for(framework):
            assert rule.clauses(framework), (framework, rule.name)


def test_a_violation_comes_back_mandatory_with_the_resource_urn(pack):
    framework, host = pack
    key = ResourceInput(
        urn="urn:pulumi:t::p::aws:kms/key:Key::k",
        type="aws:kms/key:Key",
        name="k",
        properties={"enableKeyRotation": False},
    )
    diagnostics = [d for d in host.analyze(key) if d.enforcement_level == "mandatory"]
    assert diagnostics, "a KMS key without rotation must violate key-rotation"
    assert all(d.urn == key.urn for d in diagnostics)
    assert any("[key-rotation]" in d.description for d in diagnostics)


def test_policy_objects_carry_severity_framework_and_remediation():
    for framework in FRAMEWORKS:
        for rule in rules_for(framework):
            policy = policy_for(rule, framework, Settings())
            assert policy.severity is not None and policy.severity.value == rule.severity
            assert policy.framework is not None and policy.framework.reference == ", ".join(rule.clauses(framework))
            assert policy.remediation_steps == rule.remediation
