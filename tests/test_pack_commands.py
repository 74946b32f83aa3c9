"""`llmops pack path` and `llmops pack build`: the shipped packs as real, portable CrossGuard packs."""

from __future__ import annotations

import ast
import shutil
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml
from fresh_venv import fresh_venv
from stack_runs import run_cli

from llmops_infra.cli import packs
from llmops_infra.cli.analyzer_host import PolicyPackHost
from llmops_infra.policies.runtime.pack import rules_for

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = ("hipaa", "gdpr")
# The version pyproject.toml declares (tasks.py reinstalls whenever pyproject.toml changes).
PROJECT_VERSION = version("llmops-infra")


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_pack_path_prints_the_shipped_pack_from_any_directory(capsys, monkeypatch, tmp_path, name):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "pack", "path", name)
    assert code == 0, err
    directory = Path(out.strip())
    assert directory.is_absolute() and (directory / "__main__.py").is_file()
    project = yaml.safe_load((directory / "PulumiPolicy.yaml").read_text())
    assert project["version"] == PROJECT_VERSION and project["runtime"] == "python"
    assert (directory / "requirements.txt").is_file()


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_a_shipped_pack_names_no_path_outside_itself(name):
    project = yaml.safe_load((packs.shipped_pack(name) / "PulumiPolicy.yaml").read_text())
    assert "virtualenv" not in str(project)  # started with the Python on PATH, where llmops-infra is installed


@pytest.mark.parametrize("argv", [["pack", "path", "hipa"], ["pack", "build", "sox", "out"], ["pack", "path"]])
def test_an_unknown_or_missing_pack_name_is_exit_2(capsys, tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and out == "" and "Traceback" not in err
    assert "hipaa" in err  # says what exists
    assert not (tmp_path / "out").exists()


def test_pack_build_refuses_a_directory_that_is_not_empty(capsys, tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    code, out, err = run_cli(capsys, "pack", "build", "gdpr", str(tmp_path))
    assert code == 2 and "not an empty directory" in err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


@pytest.fixture(scope="module")
def built_gdpr(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("built") / "gdpr-pack"
    packs.build("gdpr", out)
    return out


def test_a_built_pack_carries_its_version_its_own_virtualenv_and_only_its_files(built_gdpr: Path):
    project = yaml.safe_load((built_gdpr / "PulumiPolicy.yaml").read_text())
    assert project["version"] == packs.distribution_version() == PROJECT_VERSION
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    assert (
        project["description"]
        == yaml.safe_load((packs.shipped_pack("gdpr") / "PulumiPolicy.yaml").read_text())["description"]
    )
    top = sorted(p.name for p in built_gdpr.iterdir())
    assert top == ["PulumiPolicy.yaml", "__main__.py", "llmops_infra", "requirements.txt"]
    vendored = sorted(str(p.relative_to(built_gdpr)) for p in built_gdpr.rglob("*.py"))
    assert all(
        v.startswith(
            (
                "llmops_infra/policies/rules/",
                "llmops_infra/policies/runtime/",
                "llmops_infra/__init__",
                "llmops_infra/policies/__init__",
            )
        )
        for v in vendored
        if v != "__main__.py"
    )
    assert not list(built_gdpr.rglob("__pycache__"))


def test_the_rule_library_imports_only_the_standard_library_pulumi_and_itself(built_gdpr: Path):
    # What makes a built pack stand alone with only requirements.txt installed.
    allowed = set(sys.stdlib_module_names) | {"pulumi", "pulumi_policy", "llmops_infra", "__future__"}
    for source in built_gdpr.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import | ast.ImportFrom) and not getattr(node, "level", 0):
                names = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                for module in names:
                    assert module and module.split(".")[0] in allowed, f"{source}: imports {module}"
                    if module.startswith("llmops_infra."):
                        assert module.startswith("llmops_infra.policies"), f"{source}: imports {module}"


def test_the_cli_builds_a_pack_and_says_how_to_publish_it(capsys, tmp_path):
    code, out, err = run_cli(capsys, "pack", "build", "hipaa", str(tmp_path / "p"))
    assert code == 0, err
    assert f"wrote pack hipaa {PROJECT_VERSION} to {tmp_path / 'p'}" in out and "pulumi policy publish" in out


def test_a_built_pack_copied_alone_runs_with_only_its_requirements(built_gdpr: Path, tmp_path: Path):
    # What `pulumi policy publish` uploads and Pulumi Cloud runs: the directory alone, its requirements.txt
    # installed from the package registry into the virtualenv its PulumiPolicy.yaml names.
    alone = tmp_path / "empty" / "pack"
    shutil.copytree(built_gdpr, alone)
    fresh_venv(alone / "venv", "-r", str(alone / "requirements.txt"))
    with PolicyPackHost(alone) as host:
        assert host.python == str(alone / "venv" / "bin" / "python")
        info = host.info()
    assert info.name == "llmops-gdpr" and info.version == PROJECT_VERSION
    assert sorted(p.name for p in info.policies) == sorted(r.name for r in rules_for("gdpr"))
