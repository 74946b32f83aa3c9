"""`llmops check --format sarif`: valid SARIF 2.1.0 (vendored OASIS schema), shaped as GitHub code scanning reads it.

The hand-built reports come from test_check_report (pytest puts tests/ on sys.path; tests/ is no package).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema.validators import validator_for
from test_check_report import (
    BUCKET_URN,
    DEV,
    GDPR,
    HIPAA,
    HIPAA_KMS,
    POLICIES,
    PROD_HIPAA,
    V_HIPAA_KMS,
    clean_report,
    failing_report,
    reversed_report,
    violation,
)

from llmops_infra.cli.findings import CheckReport, PolicyDoc, StackResult, Violation
from llmops_infra.cli.sarif import FINGERPRINT_KEY, to_sarif

SCHEMA = json.loads((Path(__file__).parent / "fixtures" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def schema_errors(log: dict[str, Any]) -> list[str]:
    validator_class = validator_for(SCHEMA)
    validator_class.check_schema(SCHEMA)
    validator = validator_class(SCHEMA, format_checker=validator_class.FORMAT_CHECKER)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]


def run_of(report: CheckReport) -> dict[str, Any]:
    (run,) = to_sarif(report, "0.1.0")["runs"]
    return run


def test_the_vendored_schema_is_the_official_oasis_2_1_0_schema() -> None:
    assert SCHEMA["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    assert SCHEMA["properties"]["version"]["enum"] == ["2.1.0"]


@pytest.mark.parametrize("report", [failing_report(), clean_report()], ids=["violations", "clean"])
def test_output_validates_against_the_sarif_schema(report: CheckReport) -> None:
    assert schema_errors(to_sarif(report, "0.1.0")) == []


def test_the_schema_check_rejects_what_sarif_forbids() -> None:
    # Proves the validation above has teeth: a result without its required message, and an unknown level.
    log = to_sarif(failing_report(), "0.1.0")
    broken = copy.deepcopy(log)
    del broken["runs"][0]["results"][0]["message"]
    broken["runs"][0]["results"][1]["level"] = "mandatory"
    errors = schema_errors(broken)
    assert any("'message' is a required property" in e for e in errors)
    assert any("'mandatory' is not one of" in e for e in errors)


def test_log_header_names_the_schema_version_and_tool() -> None:
    log = to_sarif(failing_report(), "1.2.3")
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    assert log["runs"][0]["tool"]["driver"]["name"] == "llmops"
    assert log["runs"][0]["tool"]["driver"]["version"] == "1.2.3"
    assert "informationUri" not in log["runs"][0]["tool"]["driver"]


def test_every_policy_is_a_rule_with_a_unique_pack_qualified_id() -> None:
    rules = run_of(failing_report())["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids))
    assert ids == [f"{p.pack}/{p.name}" for p in POLICIES]
    # The same rule name in two packs is two rules.
    assert {f"{HIPAA}/s3-bucket-kms-encrypted", f"{GDPR}/s3-bucket-kms-encrypted"} <= set(ids)


def test_rule_describes_the_policy_for_github() -> None:
    rules = {rule["id"]: rule for rule in run_of(failing_report())["tool"]["driver"]["rules"]}
    rule = rules[f"{HIPAA}/rbac-no-cluster-admin"]
    assert rule["name"] == "rbac-no-cluster-admin"
    assert rule["shortDescription"]["text"] == "[k8s-rbac] rbac-no-cluster-admin description"
    assert "164.308(a)(4), 164.312(a)(1)" in rule["fullDescription"]["text"]
    assert "Fix rbac-no-cluster-admin in llmops-hipaa." in rule["help"]["text"]
    assert "Fix rbac-no-cluster-admin in llmops-hipaa." in rule["help"]["markdown"]
    assert rule["properties"]["tags"] == ["security", "k8s-rbac", HIPAA, "164.308(a)(4)", "164.312(a)(1)"]
    assert rule["properties"]["precision"] == "high"


@pytest.mark.parametrize(
    ("policy", "score"),
    [("rbac-no-cluster-admin", "9.5"), ("s3-bucket-kms-encrypted", "8.0"), ("log-retention-minimum", "5.5")],
)
def test_security_severity_follows_the_policy_severity(policy: str, score: str) -> None:
    rules = {rule["id"]: rule for rule in run_of(failing_report())["tool"]["driver"]["rules"]}
    assert rules[f"{HIPAA}/{policy}"]["properties"]["security-severity"] == score
    assert rules[f"{GDPR}/records-of-processing-tags"]["properties"]["security-severity"] == "3.0"


def test_rule_default_level_follows_the_configured_enforcement() -> None:
    rules = {rule["id"]: rule for rule in run_of(failing_report())["tool"]["driver"]["rules"]}
    assert rules[f"{HIPAA}/s3-bucket-kms-encrypted"]["defaultConfiguration"]["level"] == "error"
    assert rules[f"{HIPAA}/log-retention-minimum"]["defaultConfiguration"]["level"] == "warning"
    assert rules[f"{HIPAA}/flow-logs-enabled"]["defaultConfiguration"]["level"] == "none"
    assert rules[f"{HIPAA}/flow-logs-enabled"]["properties"]["problem.severity"] == "recommendation"


def test_one_result_per_violation_whose_rule_index_points_at_its_rule() -> None:
    run = run_of(failing_report())
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == sum(len(s.violations) for s in failing_report().stacks)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_result_level_is_error_for_mandatory_and_warning_for_advisory() -> None:
    levels = {(r["ruleId"], r["properties"]["stack"]): r["level"] for r in run_of(failing_report())["results"]}
    assert levels[(f"{HIPAA}/rbac-no-cluster-admin", "prod-hipaa")] == "error"
    assert levels[(f"{GDPR}/s3-bucket-kms-encrypted", "prod-hipaa")] == "error"
    assert levels[(f"{HIPAA}/log-retention-minimum", "prod-hipaa")] == "warning"
    assert levels[(f"{GDPR}/data-residency", "prod-gdpr")] == "warning"


def test_a_violation_downgraded_to_advisory_is_a_warning_although_its_rule_is_mandatory() -> None:
    advisory = violation(HIPAA_KMS, BUCKET_URN, "aws:s3/bucket:Bucket", "models", "no SSE-KMS", "advisory")
    stack = StackResult("s", "configs/Pulumi.s.yaml", 1, (HIPAA,), (advisory,))
    (result,) = run_of(CheckReport(stacks=(stack,), policies=POLICIES))["results"]
    assert result["level"] == "warning"


def test_result_location_is_the_stack_source_at_line_one_with_the_resource_as_logical_location() -> None:
    results = run_of(failing_report())["results"]
    by_stack = {r["properties"]["stack"]: r for r in results}
    prod_gdpr = by_stack["prod-gdpr"]["locations"][0]
    assert prod_gdpr["physicalLocation"]["artifactLocation"]["uri"] == "configs/Pulumi.prod-gdpr.yaml"
    assert prod_gdpr["physicalLocation"]["region"] == {"startLine": 1}
    assert prod_gdpr["logicalLocations"] == [
        {
            "kind": "resource",
            "name": "datasets",
            "fullyQualifiedName": "urn:pulumi:prod-gdpr::llmops-infra::aws:s3/bucket:Bucket::datasets",
        }
    ]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {
        "configs/Pulumi.prod-hipaa.yaml",
        "configs/Pulumi.prod-gdpr.yaml",
    }


def test_result_message_names_the_resource_urn() -> None:
    result = next(r for r in run_of(failing_report())["results"] if r["properties"]["stack"] == "prod-gdpr")
    assert result["message"]["text"] == (
        "S3 bucket datasets is in us-east-1"
        " (resource urn:pulumi:prod-gdpr::llmops-infra::aws:s3/bucket:Bucket::datasets)"
    )


def test_windows_separators_in_a_source_become_forward_slashes() -> None:
    stack = StackResult("w", "configs\\Pulumi.w.yaml", 1, (HIPAA,), (V_HIPAA_KMS,))
    (result,) = run_of(CheckReport(stacks=(stack,), policies=POLICIES))["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "configs/Pulumi.w.yaml"


def test_a_stack_violation_without_a_resource_still_validates() -> None:
    stack_level = Violation(HIPAA, "needs-a-key", "", (), "", "mandatory", "", "", "", "the stack has no KMS key")
    stack = StackResult("s", "configs/Pulumi.s.yaml", 3, (HIPAA,), (stack_level,))
    log = to_sarif(CheckReport(stacks=(stack,), policies=POLICIES), "0.1.0")
    assert schema_errors(log) == []
    (result,) = log["runs"][0]["results"]
    assert result["message"]["text"] == "the stack has no KMS key"
    assert "logicalLocations" not in result["locations"][0]


def test_a_violation_of_an_undescribed_policy_gets_its_own_rule() -> None:
    stray = violation(HIPAA_KMS, BUCKET_URN, "aws:s3/bucket:Bucket", "models", "m")
    report = CheckReport(stacks=(StackResult("s", "configs/Pulumi.s.yaml", 1, (HIPAA,), (stray,)),), policies=())
    run = run_of(report)
    (result,) = run["results"]
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == f"{HIPAA}/s3-bucket-kms-encrypted"
    assert schema_errors(to_sarif(report, "0.1.0")) == []


def _fingerprints(report: CheckReport) -> dict[tuple[str, str, str], str]:
    return {
        (r["ruleId"], r["properties"]["stack"], r["message"]["text"]): r["partialFingerprints"][FINGERPRINT_KEY]
        for r in run_of(report)["results"]
    }


def test_fingerprints_are_stable_across_runs_and_input_order() -> None:
    first = _fingerprints(failing_report())
    assert _fingerprints(failing_report()) == first
    assert _fingerprints(reversed_report()) == first


def test_fingerprints_differ_for_every_distinct_violation() -> None:
    fingerprints = list(_fingerprints(failing_report()).values())
    assert len(fingerprints) == len(set(fingerprints)) == 6


def test_fingerprints_differ_for_two_messages_of_one_policy_on_one_resource() -> None:
    a = violation(HIPAA_KMS, BUCKET_URN, "aws:s3/bucket:Bucket", "models", "S3 bucket models is not encrypted")
    b = violation(HIPAA_KMS, BUCKET_URN, "aws:s3/bucket:Bucket", "models", "S3 bucket models has no bucket key")
    stack = StackResult("s", "configs/Pulumi.s.yaml", 1, (HIPAA,), (a, b))
    fingerprints = {
        r["partialFingerprints"][FINGERPRINT_KEY] for r in run_of(CheckReport((stack,), POLICIES))["results"]
    }
    assert len(fingerprints) == 2


def test_fingerprints_differ_for_the_same_stack_policy_violation_in_two_stacks() -> None:
    stack_level = Violation(HIPAA, "needs-a-key", "", (), "", "mandatory", "", "", "", "the stack has no KMS key")
    stacks = tuple(StackResult(n, f"configs/Pulumi.{n}.yaml", 1, (HIPAA,), (stack_level,)) for n in ("a", "b"))
    fingerprints = {r["partialFingerprints"][FINGERPRINT_KEY] for r in run_of(CheckReport(stacks, POLICIES))["results"]}
    assert len(fingerprints) == 2


def test_run_properties_carry_per_stack_resource_counts() -> None:
    stacks = run_of(failing_report())["properties"]["stacks"]
    assert [(s["stack"], s["resources"], s["mandatory"], s["advisory"]) for s in stacks] == [
        ("prod-hipaa", PROD_HIPAA.resources, 3, 2),
        ("prod-gdpr", 17, 0, 1),
        ("dev", DEV.resources, 0, 0),
    ]


def test_a_clean_report_has_rules_and_no_results() -> None:
    run = run_of(clean_report())
    assert run["results"] == []
    assert len(run["tool"]["driver"]["rules"]) == len(POLICIES)


def test_rule_help_markdown_escapes_the_remediation_but_help_text_keeps_it_verbatim() -> None:
    wildcard = PolicyDoc(
        HIPAA, "no-admin", "d", "least-privilege", (), "high", "Never grant Action * on Resource *.", "mandatory"
    )
    (rule,) = run_of(CheckReport(stacks=(), policies=(wildcard,)))["tool"]["driver"]["rules"]
    assert r"Never grant Action \* on Resource \*." in rule["help"]["markdown"]
    assert "Never grant Action * on Resource *." in rule["help"]["text"]
