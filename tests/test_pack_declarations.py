"""Which packs judge a stack: `--pack`, else its `llmops:packs` declaration, else every shipped pack.

A stack that declares nothing is never reported passed; `llmops:packs: []` opts out and is reported
"unchecked by choice"; a wrong declaration is wrong input (exit 2) that names the file, key, value and choices.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from stack_runs import run_cli

from llmops_infra.cli.packs import StackPacks, stack_packs
from llmops_infra.cli.stackfile import InputError, resolve

ROOT = Path(__file__).resolve().parents[1]
QUIET_PROGRAM = "import pulumi\npulumi.export('answer', 42)\n"  # registers nothing a pack could fault


def _stack(tmp_path: Path, config: str, program: str = QUIET_PROGRAM) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: team-app\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(program)
    (tmp_path / "policies" / "house").mkdir(parents=True)
    (tmp_path / "policies" / "house" / "PulumiPolicy.yaml").write_text("runtime: python\n")
    stack_file = tmp_path / "Pulumi.ci.yaml"
    stack_file.write_text(f"config:\n  aws:region: eu-west-1\n{config}")
    return stack_file


@dataclass(frozen=True)
class Case:
    config: str
    expected: StackPacks


CASES = {
    "none declared: every shipped pack": Case("", StackPacks(("gdpr", "hipaa"), "default")),
    "a list": Case("  llmops:packs: [hipaa]\n", StackPacks(("hipaa",), "declared")),
    "both": Case("  llmops:packs: [gdpr, hipaa]\n", StackPacks(("gdpr", "hipaa"), "declared")),
    "one name without brackets": Case("  llmops:packs: gdpr\n", StackPacks(("gdpr",), "declared")),
    "opted out": Case("  llmops:packs: []\n", StackPacks((), "opted-out")),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_declaration_decides_the_packs(tmp_path: Path, case: Case):
    assert stack_packs(resolve(str(_stack(tmp_path, case.config))), requested=()) == case.expected


def test_a_pack_directory_of_the_project_may_be_declared(tmp_path: Path):
    chosen = stack_packs(resolve(str(_stack(tmp_path, "  llmops:packs: [hipaa, policies/house]\n"))), ())
    assert chosen == StackPacks(("hipaa", str(tmp_path / "policies" / "house")), "declared")


def test_pack_on_the_command_line_replaces_the_declaration(tmp_path: Path):
    stack = resolve(str(_stack(tmp_path, "  llmops:packs: []\n")))
    assert stack_packs(stack, ("gdpr",)) == StackPacks(("gdpr",), "requested")


BAD = {
    "a typo": ("  llmops:packs: [hipa]\n", "llmops:packs = [\"hipa\"]: no pack 'hipa'; did you mean hipaa?"),
    "not a list of names": ("  llmops:packs: {hipaa: true}\n", 'llmops:packs = {"hipaa": true}: give a list of'),
    "an empty name": ("  llmops:packs: ['']\n", "give a list of gdpr, hipaa or pack directories, or [] to opt out"),
}


@pytest.mark.parametrize(("config", "message"), BAD.values(), ids=BAD.keys())
def test_a_wrong_declaration_names_the_file_key_value_and_choices(tmp_path: Path, config: str, message: str):
    stack_file = _stack(tmp_path, config)
    with pytest.raises(InputError) as error:
        stack_packs(resolve(str(stack_file)), ())
    assert str(stack_file) in str(error.value) and message in str(error.value)


def test_a_declaration_that_contradicts_the_platform_compliance_is_wrong_input(tmp_path: Path):
    ours = (ROOT / "configs" / "Pulumi.prod-hipaa.yaml").read_text()  # declares compliance: [hipaa]
    stack_file = tmp_path / "Pulumi.prod-hipaa.yaml"
    stack_file.write_text(ours.replace("config:\n", "config:\n  llmops:packs: [gdpr]\n", 1))
    with pytest.raises(InputError, match=r"llmops:packs = \['gdpr'\] but llmops-infra:platform.compliance"):
        stack_packs(resolve(str(stack_file), ROOT), ())
    stack_file.write_text(ours.replace("config:\n", "config:\n  llmops:packs: [hipaa]\n", 1))
    assert stack_packs(resolve(str(stack_file), ROOT), ()) == StackPacks(("hipaa",), "declared")


# ---- what the reports say ---------------------------------------------------------------------------------------


def _check(capsys, stack_file: Path, *extra: str) -> tuple[int, dict, str]:
    code, out, err = run_cli(capsys, "check", str(stack_file), "--format", "json", *extra)
    return code, json.loads(out) if out else {}, err


def test_a_stack_that_declares_nothing_is_checked_by_every_pack_and_never_passed(capsys, tmp_path: Path):
    stack_file = _stack(tmp_path, "")
    code, report, err = _check(capsys, stack_file)
    assert code == 0, err
    [stack] = report["stacks"]
    assert stack["packs"] == ["llmops-gdpr", "llmops-hipaa"] and stack["packSource"] == "default"
    assert stack["status"] == "undeclared" and stack["passed"] is False and report["passed"] is False
    code, out, err = run_cli(capsys, "check", str(stack_file))
    assert "PASSED" not in out.replace("NOT PASSED", "")
    assert "NOT PASSED: no mandatory violations, but 1 stack declaring no packs" in out
    assert "declare them with llmops:packs" in out


def test_a_stack_that_declares_nothing_fails_on_a_mandatory_violation(capsys, tmp_path: Path):
    program = "import pulumi_aws as aws\naws.s3.Bucket('plain')\n"
    code, report, err = _check(capsys, _stack(tmp_path, "", program))
    assert code == 1 and report["status"] == "failed" and report["stacks"][0]["packSource"] == "default"


def test_an_opted_out_stack_is_unchecked_by_choice_not_passed(capsys, tmp_path: Path):
    stack_file = _stack(tmp_path, "  llmops:packs: []\n", "import pulumi_aws as aws\naws.s3.Bucket('plain')\n")
    code, report, err = _check(capsys, stack_file)
    assert code == 0, err
    [stack] = report["stacks"]
    assert stack["packs"] == [] and stack["status"] == "unchecked" and report["status"] == "not-passed"
    code, out, err = run_cli(capsys, "check", str(stack_file), "--format", "markdown")
    assert "⚠️ not passed" in out and "Unchecked by choice" in out


def test_a_declared_pack_with_no_violation_passes(capsys, tmp_path: Path):
    code, report, err = _check(capsys, _stack(tmp_path, "  llmops:packs: [hipaa]\n"))
    assert code == 0 and report["status"] == "passed" and report["stacks"][0]["packs"] == ["llmops-hipaa"]
    code, out, err = run_cli(capsys, "check", str(tmp_path / "Pulumi.ci.yaml"))
    assert out.rstrip().endswith("PASSED: no violations")


def test_a_wrong_declaration_exits_2_before_the_program_runs(capsys, tmp_path: Path):
    marker = tmp_path / "ran"
    program = f"open({str(marker)!r}, 'w').close()\n"
    code, out, err = run_cli(capsys, "check", str(_stack(tmp_path, "  llmops:packs: [hipa]\n", program)))
    assert code == 2 and "did you mean hipaa" in err and not marker.exists() and "Traceback" not in err
