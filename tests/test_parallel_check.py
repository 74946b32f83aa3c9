"""Running side by side changes the time, never the answer: `check` with several stacks and a pack split over
several processes write byte for byte what the sequential run (--jobs 1) writes, to standard output, standard
error and every report file, in the same order, with the same first error. No test here looks at a duration.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from stack_runs import run_cli

from llmops_infra.cli import check, timing

ROOT = Path(__file__).resolve().parents[1]

PROJECT = "name: side-by-side\ndescription: stacks that print, sleep and fail on demand\n"
# Raw resource types (no cloud SDK import, so each program is quick); the first stack sleeps longest, so side by
# side the programs finish in the reverse of the stack order.
PROGRAM = """\
import sys
import time

import pulumi

config = pulumi.Config()
stack = pulumi.get_stack()
print(f"{stack}: program starts")
print(f"{stack}: to standard error", file=sys.stderr)
time.sleep(config.get_float("delay") or 0)
if config.get_bool("fail"):
    raise RuntimeError(f"{stack} fails on purpose")
bucket = pulumi.CustomResource("aws:s3/bucket:Bucket", f"{stack}-data", {"bucket": f"{stack}-data"})
child = pulumi.ResourceOptions(parent=bucket)
pulumi.CustomResource("aws:cloudwatch/logGroup:LogGroup", f"{stack}-logs", {"retentionInDays": 7}, opts=child)
pulumi.CustomResource("aws:kms/key:Key", f"{stack}-key", {"enableKeyRotation": False})
print(f"{stack}: program ends")
"""
STACKS = {"alpha": 1.2, "beta": 0.6, "gamma": 0.0}


def _project(root: Path, fail: str = "") -> Path:
    root.mkdir()
    # A virtualenv that does not exist: every stack gets a warning, printed after its program's output.
    (root / "Pulumi.yaml").write_text(PROJECT + "runtime:\n  name: python\n  options:\n    virtualenv: missing\n")
    (root / "__main__.py").write_text(PROGRAM)
    for name, delay in STACKS.items():
        lines = ["config:", "  aws:region: eu-west-1", f"  side-by-side:delay: '{delay}'"]
        if name == fail:
            lines.append("  side-by-side:fail: 'true'")
        (root / f"Pulumi.{name}.yaml").write_text("\n".join(lines) + "\n")
    return root


def _llmops(cwd: Path, *argv: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "llmops_infra.cli", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
    return done.returncode, done.stdout, done.stderr


def _reports(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_check_all_side_by_side_writes_what_the_sequential_run_writes(tmp_path: Path) -> None:
    project = _project(tmp_path / "project")
    runs = {}
    # "spawned": side by side, every program in an interpreter of its own instead of forked from a fork server.
    for run, jobs, servers in (("1", "1", "1"), ("3", "3", "1"), ("spawned", "3", "0")):
        out = tmp_path / f"reports-{run}"
        out.mkdir()
        argv = ["check", "--all", "--pack", "hipaa", "--pack", "gdpr", "--jobs", jobs]
        argv += ["--output", str(out / "r.json"), "--output", str(out / "r.sarif"), "--output", str(out / "r.md")]
        timings = tmp_path / f"timings-{run}.json"
        env = {timing.ENV: str(timings), "LLMOPS_FORK_SERVER": servers}
        code, stdout, stderr = _llmops(project, *argv, env=env)
        runs[run] = (code, stdout.replace(str(out), "OUT"), stderr, _reports(out))
        spans = [s for s in json.loads(timings.read_text())["spans"] if s["kind"] == "program"]
        assert [s["label"] for s in sorted(spans, key=lambda s: s["start"])] == list(STACKS)
        if run == "3":  # the programs did run side by side: the last started before the first ended
            by_label = {s["label"]: s for s in spans}
            assert by_label["gamma"]["start"] < by_label["alpha"]["end"]
            assert by_label["gamma"]["end"] < by_label["alpha"]["end"]  # finished first, reported last
    assert runs["1"] == runs["3"] == runs["spawned"]
    code, stdout, stderr, reports = runs["3"]
    assert code == 1 and set(reports) == {"r.json", "r.sarif", "r.md"}
    report = json.loads(reports["r.json"])
    assert [s["stack"] for s in report["stacks"]] == list(STACKS)
    assert all(s["violations"] for s in report["stacks"])
    # Each stack's output whole, in stack order: its program's standard output, its standard error, its warning.
    positions = [stderr.index(f"{name}: program starts") for name in STACKS]
    assert positions == sorted(positions)
    for name in STACKS:
        block = stderr[stderr.index(f"{name}: program starts") :]
        assert block.index(f"{name}: program ends") < block.index(f"{name}: to standard error")
        assert block.index(f"{name}: to standard error") < block.index(f"llmops: warning: {name}: the project's")


def test_a_failing_stack_stops_the_side_by_side_run_where_the_sequential_run_stops(tmp_path: Path) -> None:
    project = _project(tmp_path / "project", fail="beta")
    runs = {jobs: _llmops(project, "check", "--all", "--pack", "hipaa", "--jobs", jobs) for jobs in ("1", "3")}
    assert runs["1"] == runs["3"]
    code, stdout, stderr = runs["3"]
    assert code == 2 and stdout == ""
    assert "alpha: program ends" in stderr and "beta fails on purpose" in stderr
    assert "gamma" not in stderr  # the sequential run never got there: nothing of it is shown
    assert stderr.rstrip().endswith("(set LLMOPS_DEBUG=1 to see the traceback)")


def test_a_refused_pack_declaration_comes_after_the_stacks_before_it(tmp_path: Path) -> None:
    project = _project(tmp_path / "project")
    with (project / "Pulumi.beta.yaml").open("a") as f:
        f.write("  llmops:packs: [sox]\n")
    runs = {jobs: _llmops(project, "check", "--all", "--jobs", jobs) for jobs in ("1", "3")}
    assert runs["1"] == runs["3"]
    code, stdout, stderr = runs["3"]
    assert code == 2 and "no pack 'sox'" in stderr
    assert "alpha: program ends" in stderr and "beta: program" not in stderr and "gamma" not in stderr


# ---- one large export, judged by several processes per pack ------------------------------------------------------


def _synthetic(path: Path, resources: int) -> Path:
    spec = importlib.util.spec_from_file_location("synthetic_export", ROOT / "bench" / "synthetic_export.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write(module.generate(resources, region="us-east-1"), path)
    return path


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _synthetic(tmp_path_factory.mktemp("export") / "synthetic.json", 700)


def test_a_pack_split_over_processes_reports_what_one_process_reports(capsys, monkeypatch, tmp_path, export) -> None:
    monkeypatch.setattr(check, "SPLIT_MIN_RESOURCES", 200)
    monkeypatch.setattr(check, "PART_SIZE", 64)  # many parts, handed out to whichever process is free
    results = {}
    for jobs in ("1", "6"):
        out = tmp_path / jobs
        out.mkdir()
        monkeypatch.setenv(timing.ENV, str(tmp_path / f"timings-{jobs}.json"))
        argv = ["analyze", "--state", str(export), "--pack", "hipaa", "--pack", "gdpr", "--jobs", jobs]
        argv += ["--output", str(out / "r.json"), "--output", str(out / "r.sarif"), "--output", str(out / "r.txt")]
        code, stdout, stderr = run_cli(capsys, *argv)
        results[jobs] = (code, stdout.replace(str(out), "OUT"), stderr, _reports(out))
        spans = json.loads((tmp_path / f"timings-{jobs}.json").read_text())["spans"]
        starts = sorted(s["label"] for s in spans if s["kind"] == "pack start")
        # 6 jobs, 2 packs, 700 resources of at least 200 per process: 3 processes of each pack.
        assert starts == (["gdpr", "hipaa"] if jobs == "1" else ["gdpr"] * 3 + ["hipaa"] * 3)
        assert sum(s["kind"] == "AnalyzeStack" for s in spans) == 2  # once per pack, whatever the split
    assert results["1"] == results["6"]
    code, _, _, reports = results["6"]
    report = json.loads(reports["r.json"])
    assert code == 1 and report["summary"]["mandatory"] > 20  # the residency rule alone fires on us-east-1


@pytest.mark.parametrize(
    ("resources", "packs", "jobs", "expected"),
    [
        (10_000, 2, 2, 1),  # two cores, two packs: one process each already uses both
        (10_000, 1, 2, 2),
        (10_000, 2, 1, 1),  # one core: never split
        (10_000, 2, 8, 4),
        (3_000, 1, 8, 1),  # not worth a second process
        (4_000, 1, 8, 2),
        (100, 2, 8, 1),
        (10_000, 0, 8, 1),
    ],
)
def test_pack_processes(resources: int, packs: int, jobs: int, expected: int) -> None:
    assert check.pack_processes(resources, packs, jobs) == expected
