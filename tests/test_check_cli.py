"""`llmops check` and `llmops analyze`: exit codes, reports, --policy-config, stack exports, errors as messages.

Everything runs through `cli.main` with the real packs started as the Pulumi CLI starts them. A stack's program
runs once per test module (see `remembered_stacks`); every check still starts its packs and analyzes afresh.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stack_runs import remember_stacks, run_cli

from llmops_infra.cli import main as cli
from llmops_infra.cli.recording import Recording
from llmops_infra.cli.wire import SECRET_SIG, SIG_KEY

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ("text", "json", "sarif", "markdown")
SSE_CONFIG = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


@pytest.fixture(autouse=True)
def remembered_stacks(monkeypatch: pytest.MonkeyPatch) -> None:
    remember_stacks(monkeypatch)


_run = run_cli


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code, out, err = _run(capsys, *argv, "--format", "json")
    assert code in (0, 1), err
    return code, json.loads(out)


def _violations(report: dict[str, Any], policy: str | None = None) -> list[dict[str, Any]]:
    found = [v for stack in report["stacks"] for v in stack["violations"]]
    return [v for v in found if policy is None or v["policy"] == policy]


def _levels(report: dict[str, Any]) -> dict[str, str]:
    return {p["policy"]: p["enforcement"] for p in report["policies"]}


def _write_json(path: Path, value: Any) -> str:
    path.write_text(json.dumps(value), encoding="utf-8")
    return str(path)


def _assert_input_error(code: int, out: str, err: str, *words: str) -> None:
    assert code == 2, err
    assert out == ""
    assert err.startswith("llmops: ")
    for word in words:
        assert word in err
    assert "Traceback" not in err
    assert "\n\n" not in err.strip()  # one paragraph


# ---- llmops check: the stacks' own packs, --pack and --all ----------------------------------------------------


def test_prod_hipaa_passes_its_declared_hipaa_pack(capsys):
    code, report = _json(capsys, "check", "prod-hipaa")
    assert code == 0
    assert report["passed"] is True
    [stack] = report["stacks"]
    assert stack["stack"] == "prod-hipaa"
    assert stack["packs"] == ["llmops-hipaa"]
    assert stack["violations"] == [] and stack["mandatory"] == 0
    assert stack["resources"] > 100
    # The report describes every policy of the pack that judged the stack, all mandatory by default.
    assert {p["pack"] for p in report["policies"]} == {"llmops-hipaa"}
    assert "s3-bucket-kms-encrypted" in _levels(report)
    assert set(_levels(report).values()) == {"mandatory"}


def test_dev_declares_no_compliance_so_no_pack_runs(capsys):
    code, report = _json(capsys, "check", "dev")
    assert code == 0
    [stack] = report["stacks"]
    assert stack["stack"] == "dev" and stack["packs"] == [] and stack["violations"] == []
    assert stack["resources"] > 0
    assert report["policies"] == []


def test_dev_against_hipaa_fails_on_its_30_day_logs(capsys):
    code, report = _json(capsys, "check", "dev", "--pack", "hipaa")
    assert code == 1 and report["passed"] is False
    assert report["stacks"][0]["packs"] == ["llmops-hipaa"]
    retention = _violations(report, "log-retention-minimum")
    assert {v["type"] for v in retention} == {"aws:cloudwatch/logGroup:LogGroup"}
    assert len(retention) == 2  # the control plane's log group and the VPC flow logs' log group
    for violation in retention:
        assert violation["enforcement"] == "mandatory"
        assert violation["control"] == "log-retention"
        assert "164.316(b)(2)(i)" in violation["clauses"]
        assert "30 days" in violation["message"] and "2192-day minimum" in violation["message"]


def test_pack_may_be_given_as_a_directory(capsys):
    code, report = _json(capsys, "check", "dev", "--pack", str(ROOT / "policies" / "hipaa"))
    assert code == 1
    assert report["stacks"][0]["packs"] == ["llmops-hipaa"]
    assert _violations(report, "log-retention-minimum")


def test_all_checks_every_stack_in_configs(capsys):
    expected = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in (ROOT / "configs").glob("Pulumi.*.yaml"))
    assert {"dev", "prod-hipaa"} <= set(expected)
    code, report = _json(capsys, "check", "--all")
    assert sorted(s["stack"] for s in report["stacks"]) == expected
    assert code == (1 if report["status"] == "failed" else 0)
    by_name = {s["stack"]: s for s in report["stacks"]}
    assert by_name["prod-hipaa"]["packs"] == ["llmops-hipaa"] and by_name["prod-hipaa"]["violations"] == []
    assert by_name["prod-hipaa"]["status"] == "passed"
    assert by_name["dev"]["packs"] == [] and by_name["dev"]["status"] == "unchecked"  # llmops:packs: []
    assert report["summary"]["stacks"] == len(expected)


# ---- wrong input: exit 2, one message, no traceback -------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["check", "staging"], ["unknown stack 'staging'", "dev", "prod-hipaa"]),
        (["check", "dev", "--pack", "sox"], ["unknown policy pack 'sox'", "hipaa", "gdpr"]),
        (["check"], ["name the stacks to check, or --all"]),
        (["check", "dev", "--all"], ["give stacks or --all, not both"]),
        (["check", "dev", "--format", "xml"], ["invalid choice"]),
        (["analyze"], ["--state"]),
    ],
)
def test_wrong_command_line_is_exit_2(capsys, monkeypatch, argv, words):
    def never(*_args: Any) -> Recording:
        raise AssertionError("no stack program runs for a wrong command line")

    monkeypatch.setattr(cli, "run_stack", never)
    _assert_input_error(*_run(capsys, *argv), *words)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, ["no such policy config file"]),
        ("{not json", ["not JSON"]),
        ("[1, 2]", ["a policy config is a JSON object"]),
        ('{"no-such-policy": "advisory"}', ["no policy named 'no-such-policy'", "llmops-hipaa"]),
        ('{"log-retention-minimum": "loud"}', ["log-retention-minimum enforcementLevel = 'loud'", "mandatory"]),
        ('{"log-retention-minimum": {"enforcementLevel": "loud"}}', ["log-retention-minimum", "'loud'"]),
        ('{"all": "strict"}', ["all enforcementLevel = 'strict'"]),
        ('{"all": {"minLogRetentionDays": 30}}', ["all may only set enforcementLevel"]),
        (
            '{"log-retention-minimum": {"minLogRetentionDays": "six years"}}',
            ["log-retention-minimum.minLogRetentionDays", "'six years' is not of type 'integer'"],
        ),
        ('{"log-retention-minimum": {"minLogRetentionDays": 0}}', ["log-retention-minimum.minLogRetentionDays"]),
        ('{"s3-bucket-kms-encrypted": {"keyArn": "x"}}', ["s3-bucket-kms-encrypted takes no parameters", "keyArn"]),
    ],
)
def test_bad_policy_config_is_exit_2_naming_the_problem(capsys, tmp_path, content, words):
    path = tmp_path / "policy-config.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, out, err = _run(capsys, "check", "dev", "--pack", "hipaa", "--policy-config", str(path))
    _assert_input_error(code, out, err, str(path), *words)


_STACK_URN = "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, ["no such file"]),
        ("{not json", ["not JSON", "pulumi stack export"]),
        ('{"checkpoint": {}}', ["not a `pulumi stack export` file", "deployment.resources"]),
        ('{"version": 3, "deployment": {"resources": {}}}', ["not a `pulumi stack export` file"]),
        ('{"version": 4, "deployment": {"resources": []}}', ["deployment version 4 is not supported"]),
        ('{"version": 3, "deployment": {"resources": [{"type": "x"}]}}', ["deployment.resources[0] has no valid urn"]),
        (
            json.dumps({"deployment": {"resources": [{"urn": _STACK_URN}, {"urn": "pulumi:dev::p::t::n"}]}}),
            ["deployment.resources[1] has no valid urn"],
        ),
        (
            json.dumps({"deployment": {"resources": [{"urn": "urn:pulumi:dev::proj::aws:s3/bucket:Bucket"}]}}),
            ["deployment.resources[0] has no valid urn"],
        ),
    ],
)
def test_bad_state_file_is_exit_2_naming_the_problem(capsys, tmp_path, content, words):
    path = tmp_path / "state.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, out, err = _run(capsys, "analyze", "--state", str(path), "--pack", "hipaa")
    _assert_input_error(code, out, err, str(path), *words)


def test_state_file_that_is_a_directory_is_exit_2(capsys, tmp_path):
    _assert_input_error(*_run(capsys, "analyze", "--state", str(tmp_path)), "cannot read")


def test_unwritable_output_is_exit_2(capsys, tmp_path):
    code, out, err = _run(capsys, "check", "dev", "--output", str(tmp_path / "missing" / "report.txt"))
    _assert_input_error(code, out, err, "cannot write")


# ---- --policy-config ---------------------------------------------------------------------------------------------


def _check_dev_hipaa(capsys, tmp_path: Path, config: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    path = _write_json(tmp_path / "policy-config.json", config)
    return _json(capsys, "check", "dev", "--pack", "hipaa", "--policy-config", path)


def test_policy_parameter_reaches_the_rule(capsys, tmp_path):
    code, report = _check_dev_hipaa(capsys, tmp_path, {"log-retention-minimum": {"minLogRetentionDays": 30}})
    assert _violations(report, "log-retention-minimum") == []
    # A parameter alone keeps the policy's own level: the protocol's zero value (advisory) must not leak in.
    assert _levels(report)["log-retention-minimum"] == "mandatory"
    assert code == (0 if report["passed"] else 1)

    code, report = _check_dev_hipaa(capsys, tmp_path, {"log-retention-minimum": {"minLogRetentionDays": 31}})
    assert code == 1
    retention = _violations(report, "log-retention-minimum")
    # Policy config travels as a protobuf Struct (31 arrives as 31.0); the integer parameter reads as 31 again.
    assert len(retention) == 2 and all("below the 31-day minimum" in v["message"] for v in retention)


def test_all_advisory_turns_mandatory_violations_into_advisory(capsys, tmp_path):
    code, report = _check_dev_hipaa(capsys, tmp_path, {"all": "advisory"})
    assert code == 0 and report["passed"] is True
    retention = _violations(report, "log-retention-minimum")
    assert len(retention) == 2
    assert {v["enforcement"] for v in _violations(report)} == {"advisory"}
    assert report["summary"]["mandatory"] == 0 and report["summary"]["advisory"] == len(_violations(report))
    assert set(_levels(report).values()) == {"advisory"}


def test_a_disabled_policy_reports_nothing(capsys, tmp_path):
    code, report = _check_dev_hipaa(capsys, tmp_path, {"log-retention-minimum": "disabled"})
    assert _violations(report, "log-retention-minimum") == []
    assert _levels(report)["log-retention-minimum"] == "disabled"
    assert code == (0 if report["passed"] else 1)


@pytest.mark.parametrize(
    "config",
    [
        {"all": "advisory", "log-retention-minimum": "mandatory"},
        {"log-retention-minimum": "mandatory", "all": "advisory"},
        {"log-retention-minimum": {"enforcementLevel": "mandatory"}, "all": {"enforcementLevel": "advisory"}},
    ],
    ids=["all-first", "all-last", "objects"],
)
def test_a_policys_own_level_wins_over_all_in_any_order(capsys, tmp_path, config):
    code, report = _check_dev_hipaa(capsys, tmp_path, config)
    assert code == 1
    retention = _violations(report, "log-retention-minimum")
    assert len(retention) == 2 and {v["enforcement"] for v in retention} == {"mandatory"}
    others = [v for v in _violations(report) if v["policy"] != "log-retention-minimum"]
    assert all(v["enforcement"] == "advisory" for v in others)
    levels = _levels(report)
    assert levels.pop("log-retention-minimum") == "mandatory"
    assert set(levels.values()) == {"advisory"}


def test_own_advisory_level_wins_over_all_mandatory(capsys, tmp_path):
    code, report = _check_dev_hipaa(capsys, tmp_path, {"log-retention-minimum": "advisory", "all": "mandatory"})
    retention = _violations(report, "log-retention-minimum")
    assert len(retention) == 2 and {v["enforcement"] for v in retention} == {"advisory"}
    assert code == (0 if report["passed"] else 1)


# ---- report formats ----------------------------------------------------------------------------------------------


def _looks_like(fmt: str, text: str) -> None:
    assert "log-retention-minimum" in text
    if fmt == "json":
        assert json.loads(text)["stacks"][0]["stack"] == "dev"
    elif fmt == "sarif":
        sarif = json.loads(text)
        assert sarif["version"] == "2.1.0"
        assert any(r["ruleId"] == "llmops-hipaa/log-retention-minimum" for r in sarif["runs"][0]["results"])
    elif fmt == "markdown":
        assert "|" in text
    else:
        assert "FAILED" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_prints_a_report_and_output_writes_it(capsys, tmp_path, fmt):
    code, printed, err = _run(capsys, "check", "dev", "--pack", "hipaa", "--format", fmt)
    assert code == 1, err
    _looks_like(fmt, printed)

    target = tmp_path / f"report.{fmt}"
    code, out, err = _run(capsys, "check", "dev", "--pack", "hipaa", "--format", fmt, "--output", str(target))
    assert code == 1, err
    assert target.read_text(encoding="utf-8") == printed
    [line] = out.splitlines()
    assert re.fullmatch(
        rf"\d+ mandatory, \d+ advisory violations in 1 stack; FAILED: \d+ mandatory violations must be fixed; "
        rf"wrote the {fmt} report to {re.escape(str(target))}",
        line,
    )


# ---- llmops analyze: stack exports -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prod_export(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("export") / "prod-hipaa.json"
    assert cli.main(["preview", "prod-hipaa", "--export", str(path)]) == 0
    yield path


def test_our_own_export_round_trips_through_analyze(capsys, prod_export):
    code, report = _json(capsys, "analyze", "--state", str(prod_export), "--pack", "hipaa")
    assert code == 0
    [stack] = report["stacks"]
    assert stack["stack"] == "prod-hipaa" and stack["source"] == str(prod_export)
    assert stack["packs"] == ["llmops-hipaa"] and stack["violations"] == []
    assert stack["resources"] == len(json.loads(prod_export.read_text())["deployment"]["resources"])


def test_export_without_its_encryption_configurations_fails_encryption_at_rest(capsys, tmp_path, prod_export):
    exported = json.loads(prod_export.read_text())
    resources = exported["deployment"]["resources"]
    buckets = {r["urn"] for r in resources if r["type"] == "aws:s3/bucket:Bucket"}
    assert any(r["type"] == SSE_CONFIG for r in resources)
    exported["deployment"]["resources"] = [r for r in resources if r["type"] != SSE_CONFIG]
    path = _write_json(tmp_path / "no-sse.json", exported)

    code, report = _json(capsys, "analyze", "--state", path, "--pack", "hipaa")
    assert code == 1
    encryption = _violations(report, "s3-bucket-kms-encrypted")
    assert {v["urn"] for v in encryption} == buckets
    for violation in encryption:
        assert violation["control"] == "encryption-at-rest"
        assert "164.312(a)(2)(iv)" in violation["clauses"]
        assert violation["enforcement"] == "mandatory"
        assert "no server-side encryption configuration" in violation["message"]
    assert {v["policy"] for v in _violations(report)} == {"s3-bucket-kms-encrypted"}

    code, out, _ = _run(capsys, "analyze", "--state", path, "--pack", "hipaa")
    assert code == 1
    assert "s3-bucket-kms-encrypted" in out and "encryption-at-rest" in out and "164.312(a)(2)(iv)" in out


def test_analyze_runs_both_packs_by_default_and_names_an_empty_export_after_its_file(capsys, tmp_path):
    path = _write_json(tmp_path / "never-deployed.json", {"version": 3, "deployment": {"manifest": {}}})
    code, report = _json(capsys, "analyze", "--state", path)
    assert code == 0
    [stack] = report["stacks"]
    assert stack["stack"] == "never-deployed" and stack["resources"] == 0
    assert stack["packs"] == ["llmops-gdpr", "llmops-hipaa"]


# ---- secrets -------------------------------------------------------------------------------------------------------

CIPHERTEXT = "v1:CIPHERTEXT-must-never-be-shown"
PROVIDER = "urn:pulumi:dev::proj::pulumi:providers:aws::default_7_0_0"
BUCKET = "urn:pulumi:dev::proj::aws:s3/bucket:Bucket::records"


def _secret() -> dict[str, str]:
    return {SIG_KEY: SECRET_SIG, "ciphertext": CIPHERTEXT}


def _secret_export() -> dict[str, Any]:
    """A CLI-style export: an encrypted secret where a rule reads it, and a plain violation beside it."""

    def resource(type_: str, name: str, inputs: dict[str, Any], **extra: Any) -> dict[str, Any]:
        urn = f"urn:pulumi:dev::proj::{type_}::{name}"
        return {"urn": urn, "custom": True, "type": type_, "inputs": inputs, "provider": f"{PROVIDER}::p1", **extra}

    stack = {"urn": _STACK_URN, "custom": False, "type": "pulumi:pulumi:Stack"}
    provider = {"urn": PROVIDER, "custom": True, "id": "p1", "type": "pulumi:providers:aws", "inputs": {}}
    provider["inputs"] = {"region": "us-east-1", "accessKey": _secret()}
    return {
        "version": 3,
        "deployment": {
            "manifest": {"time": "2025-01-01T00:00:00Z", "magic": "", "version": "v3.0.0"},
            "secrets_providers": {"type": "passphrase", "state": {"salt": CIPHERTEXT}},
            "resources": [
                stack,
                provider,
                resource(
                    "aws:cloudwatch/logGroup:LogGroup",
                    "audit",
                    {"retentionInDays": 30, "kmsKeyId": _secret(), "tags": {"owner": _secret()}},
                ),
                resource("aws:s3/bucket:Bucket", "records", {"bucket": "records-1"}),
                resource(
                    SSE_CONFIG,
                    "records-sse",
                    {
                        "bucket": "records-1",
                        "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": _secret()}}],
                    },
                    propertyDependencies={"bucket": [BUCKET]},
                ),
            ],
        },
    }


def test_an_encrypted_secret_is_never_shown_in_any_format(capsys, tmp_path):
    path = _write_json(tmp_path / "secret.json", _secret_export())
    for fmt in FORMATS:
        code, out, err = _run(capsys, "analyze", "--state", path, "--pack", "hipaa", "--format", fmt)
        assert code == 1, err
        assert "log-retention-minimum" in out, fmt  # the report is there ...
        assert "CIPHERTEXT" not in out and "CIPHERTEXT" not in err, fmt  # ... the ciphertext is not
        assert SECRET_SIG not in out, fmt
    code, report = _json(capsys, "analyze", "--state", path, "--pack", "hipaa")
    # An encrypted sseAlgorithm is unknown to the rule, so nothing is said of it; but the configuration names no
    # customer key, which every algorithm needs here (issue 13: the unknown hides only what depends on it).
    found = [v["message"] for v in _violations(report, "s3-bucket-kms-encrypted") if v["urn"] == BUCKET]
    assert len(found) == 1 and "kmsMasterKeyId" in found[0], found
    assert all("sseAlgorithm" not in v["message"] for v in _violations(report))


def test_one_policy_config_serves_stacks_that_run_different_packs(capsys, tmp_path):
    # dev runs no pack at all; the config names a HIPAA policy and must still be accepted for --all.
    config = _write_json(tmp_path / "pc.json", {"log-retention-minimum": {"minLogRetentionDays": 30}})
    code, _, err = _run(capsys, "check", "--all", "--policy-config", config)
    assert code == 0, err


def test_a_misspelled_parameter_is_exit_2_naming_the_ones_it_takes(capsys, tmp_path):
    config = _write_json(tmp_path / "pc.json", {"log-retention-minimum": {"minLogRetentionDay": 30}})
    code, out, err = _run(capsys, "check", "prod-hipaa", "--policy-config", config)
    _assert_input_error(code, out, err, "minLogRetentionDay", "minLogRetentionDays")


@pytest.mark.parametrize("entry", [True, None, 5, ["advisory"]])
def test_a_policy_entry_that_is_no_level_or_object_is_exit_2_showing_it(capsys, tmp_path, entry):
    config = _write_json(tmp_path / "pc.json", {"log-retention-minimum": entry})
    code, out, err = _run(capsys, "check", "prod-hipaa", "--policy-config", config)
    _assert_input_error(code, out, err, "log-retention-minimum", repr(entry))


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("inputs", "abc", ("inputs", "object")),
        ("propertyDependencies", [], ("propertyDependencies", "object")),
        ("dependencies", "abc", ("dependencies", "list")),
    ],
)
def test_export_resource_with_a_badly_shaped_field_is_exit_2(capsys, tmp_path, field, value, words):
    resource = {"urn": "urn:pulumi:s::p::aws:s3/bucket:Bucket::b", "type": "aws:s3/bucket:Bucket", "custom": True}
    state = _write_json(tmp_path / "x.json", {"version": 3, "deployment": {"resources": [{**resource, field: value}]}})
    code, out, err = _run(capsys, "analyze", "--state", state)
    _assert_input_error(code, out, err, *words)


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "markdown"])
def test_a_plaintext_secret_of_an_export_never_reaches_a_rule_or_a_report(capsys, fmt):
    # `pulumi stack export --show-secrets` writes secrets in plain text; rules must not see (and print) them.
    state = str(Path(__file__).parent / "fixtures" / "plaintext-secret-export.json")
    code, out, err = _run(capsys, "analyze", "--state", state, "--pack", "hipaa", "--format", fmt)
    assert code in (0, 1), err
    assert "TOPSECRET" not in out + err


# ---- several reports from one run ---------------------------------------------------------------------------------


def test_one_run_writes_sarif_and_markdown_together(capsys, tmp_path):
    sarif_file, md_file = tmp_path / "llmops.sarif", tmp_path / "llmops.md"
    argv = ("check", "dev", "--pack", "hipaa", "--format", "sarif", "--output", str(sarif_file))
    code, out, err = _run(capsys, *argv, "--format", "markdown", "--output", str(md_file))
    assert code == 1, err
    assert json.loads(sarif_file.read_text())["version"] == "2.1.0"
    assert md_file.read_text().startswith("## llmops check: ❌ failed")
    [line] = out.splitlines()
    assert f"wrote the sarif report to {sarif_file}, the markdown report to {md_file}" in line
    # The same reports as two separate runs would have written.
    _run(capsys, "check", "dev", "--pack", "hipaa", "--format", "markdown", "--output", str(tmp_path / "one.md"))
    assert (tmp_path / "one.md").read_text() == md_file.read_text()


def test_without_format_each_output_takes_the_format_of_its_extension(capsys, tmp_path):
    files = [tmp_path / name for name in ("r.sarif", "r.md", "r.json", "r.txt")]
    code, out, err = _run(capsys, "check", "dev", "--pack", "hipaa", *(a for f in files for a in ("--output", str(f))))
    assert code == 1, err
    assert "$schema" in json.loads(files[0].read_text()) and files[1].read_text().startswith("## llmops check")
    assert "stacks" in json.loads(files[2].read_text()) and "FAILED" in files[3].read_text()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--format", "sarif", "--format", "markdown"), "only one report can go to standard output"),
        (("--format", "sarif", "--output", "a.sarif", "--output", "b.md"), "1 --format for 2 --output"),
        (("--output", "report.html"), "--output report.html: give its --format"),
    ],
)
def test_reports_that_cannot_be_paired_are_wrong_input_before_anything_runs(capsys, tmp_path, argv, message):
    monkey = tmp_path / "a.sarif"
    code, out, err = _run(capsys, "check", "dev", "--pack", "hipaa", *argv)
    assert code == 2 and message in err and not monkey.exists() and "Traceback" not in err
