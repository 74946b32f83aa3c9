"""`llmops preview`: exit codes, output shapes, the export file, and errors that are messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from llmops_infra.cli import main as cli, program

ROOT = Path(__file__).resolve().parents[1]


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def bad_stack(tmp_path: Path):
    """Write a copy of prod-hipaa with one pool changed, inside a copy of the project layout."""

    def write(**pool_changes) -> Path:
        data = yaml.safe_load((ROOT / "configs" / "Pulumi.prod-hipaa.yaml").read_text())
        data["config"]["llmops-infra:platform"]["aws"]["acceleratorPools"][1].update(pool_changes)
        (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
        (tmp_path / "configs").mkdir(exist_ok=True)
        path = tmp_path / "configs" / "Pulumi.bad.yaml"
        path.write_text(yaml.safe_dump(data))
        return path

    return write


def test_preview_text_shows_tree_providers_and_capacity(capsys):
    code, out, err = _run(capsys, "preview", "prod-hipaa")
    assert code == 0, err
    assert "llmops:aws:EksCluster  llmops-prod-hipaa" in out
    assert "aws default_7_" in out and "region=us-east-1" in out
    assert "Accelerator capacity:" in out
    row = next(line for line in out.splitlines() if line.strip().startswith("h100-train"))
    assert row.split()[:2] == ["h100-train", "p5.48xlarge"] and row.split()[-1] == "32"
    assert "kubeconfig: [secret]" in out


def test_preview_json_shape(capsys):
    code, out, _ = _run(capsys, "preview", "prod-hipaa", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {"resources", "capacity"}
    for resource in data["resources"]:
        assert set(resource) == {"urn", "type", "name", "parent", "provider", "custom", "inputs"}
    clusters = [r for r in data["resources"] if r["type"] == "aws:eks/cluster:Cluster"]
    assert clusters[0]["inputs"]["vpcConfig"]["endpointPublicAccess"] is False
    assert data["outputs"]["kubeconfig"] == "[secret]"
    assert {row["pool"] for row in data["capacity"]} == {"h100-train", "l40s-serve"}


def test_preview_export_writes_a_deployment(capsys, tmp_path: Path):
    target = tmp_path / "state.json"
    code, out, _ = _run(capsys, "preview", "dev", "--export", str(target))
    assert code == 0 and f"Wrote the stack export to {target}" in out
    exported = json.loads(target.read_text())
    assert exported["version"] == 3
    types = {r["type"] for r in exported["deployment"]["resources"]}
    assert {"pulumi:pulumi:Stack", "pulumi:providers:aws", "aws:eks/nodeGroup:NodeGroup"} <= types
    assert "users:" not in target.read_text()  # the kubeconfig is withheld


@pytest.mark.parametrize(
    ("changes", "key", "words"),
    [
        (
            {"instanceType": "inf2.xlarge", "amiType": "AL2023_x86_64_NVIDIA"},
            "aws.acceleratorPools[1].amiType",
            "NEURON",
        ),
        ({"instanceType": "g6e.xlarge", "efa": True}, "aws.acceleratorPools[1].efa", "no EFA interfaces"),
        ({"minSize": 9, "maxSize": 2}, "aws.acceleratorPools[1].minSize", "at most maxSize (2)"),
    ],
)
def test_bad_config_exits_2_naming_the_key_and_registers_nothing(capsys, monkeypatch, bad_stack, changes, key, words):
    def never(*_args, **_kwargs):
        raise AssertionError("the stack program must not run for a bad config")

    monkeypatch.setattr(program, "run_program", never)
    path = bad_stack(**changes)
    code, out, err = _run(capsys, "preview", str(path))
    assert code == 2 and out == ""
    assert f"llmops-infra:platform.{key}" in err and words in err
    assert str(Path("configs") / "Pulumi.bad.yaml") in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["preview", "staging"], "unknown stack 'staging'"),
        (["preview", "/nonexistent/Pulumi.x.yaml"], "no such stack file"),
        (["preview", "dev", "--format", "xml"], "invalid choice"),
        (["preview"], "required: stack"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_wrong_input_is_a_message_and_exit_2(capsys, argv, words):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and words in err and "Traceback" not in err


def test_unwritable_export_is_exit_2(capsys, tmp_path: Path):
    code, _, err = _run(capsys, "preview", "dev", "--export", str(tmp_path / "missing" / "x.json"))
    assert code == 2 and "cannot write" in err


def test_console_script_prints_no_traceback_for_unknown_stack():
    result = subprocess.run(
        [sys.executable, "-m", "llmops_infra.cli", "preview", "nope"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 2
    assert result.stderr.startswith("llmops: unknown stack 'nope'") and "Traceback" not in result.stderr
