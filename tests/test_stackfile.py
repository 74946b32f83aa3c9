"""Reading stacks as the Pulumi CLI does: names, paths, namespaces, structured and secure values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmops_infra.cli.stackfile import SECRET_PLACEHOLDER, InputError, resolve

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(
        "name: demo\nruntime: python\nmain: app/\nstackConfigDir: envs\nconfig:\n  greeting:\n    default: hello\n"
    )
    (tmp_path / "envs").mkdir()
    (tmp_path / "envs" / "Pulumi.one.yaml").write_text(
        "config:\n"
        "  aws:region: eu-west-1\n"
        "  demo:object:\n    a: [1, 2]\n"
        "  count: 3\n"
        "  flag: true\n"
        "  demo:token:\n    secure: v1:AAAA\n"
    )
    return tmp_path


def test_stack_by_name_reads_config_with_namespaces_and_defaults(project: Path):
    stack = resolve("one", project)
    config = stack.settings.config
    assert stack.name == "one" and stack.project.name == "demo"
    assert config["aws:region"] == "eu-west-1"
    assert json.loads(config["demo:object"]) == {"a": [1, 2]}
    assert config["demo:count"] == "3" and config["demo:flag"] == "true"
    assert config["demo:greeting"] == "hello"  # the Pulumi.yaml default
    assert stack.project.main == project / "app"


def test_secure_values_are_secret_and_never_read(project: Path):
    settings = resolve("one", project).settings
    assert settings.secret_keys == {"demo:token"}
    assert settings.config["demo:token"] == SECRET_PLACEHOLDER
    assert "v1:AAAA" not in json.dumps(settings.config)


def test_stack_by_path_finds_its_project(project: Path):
    stack = resolve(str(project / "envs" / "Pulumi.one.yaml"))
    assert stack.name == "one" and stack.project.root == project


def test_unknown_stack_lists_the_known_ones(project: Path):
    with pytest.raises(InputError, match=r"unknown stack 'two'.*stacks here: one"):
        resolve("two", project)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("config: [1, 2]\n", "`config` must be a mapping"),
        ("config:\n  a: [\n", "not valid YAML \\(line"),
        ("- a\n", "a stack file is a mapping"),
    ],
)
def test_broken_stack_files_are_input_errors(project: Path, content: str, message: str):
    (project / "envs" / "Pulumi.bad.yaml").write_text(content)
    with pytest.raises(InputError, match=message):
        resolve("bad", project)


def test_missing_path_is_an_input_error(tmp_path: Path):
    with pytest.raises(InputError, match="no such stack file"):
        resolve(str(tmp_path / "Pulumi.nothing.yaml"))


def test_shipped_stacks_resolve_from_the_checkout():
    assert resolve("prod-hipaa", ROOT).settings.config["aws:region"] == "us-east-1"
