"""Pulumi Python programs of other teams, run as Pulumi's language host runs them (llmops/program.py).

Each fixture under tests/fixtures/programs/ is a small project written the way public examples are: a local
module and a local package called `components`, a program that reads its own folder, data sources outside the
built-in table, GKE, Kubernetes, typed `secure:` values, its own virtualenv. None of them knows llmops-infra.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from fresh_venv import fresh_venv
from stack_runs import run_cli

from llmops_infra.cli import program
from llmops_infra.cli.program import interpreter
from llmops_infra.cli.stackfile import InputError, load_project, resolve

PROGRAMS = Path(__file__).parent / "fixtures" / "programs"


def _stack_file(name: str) -> str:
    return str(PROGRAMS / name / "Pulumi.dev.yaml")


def _preview(capsys: pytest.CaptureFixture[str], stack_file: str) -> tuple[int, dict, str]:
    code, out, err = run_cli(capsys, "preview", stack_file, "--format", "json")
    return code, (json.loads(out) if code == 0 else {}), err


def _resources(report: dict, token: str) -> list[dict]:
    return [r for r in report["resources"] if r["type"] == token]


@pytest.fixture(autouse=True)
def _elsewhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A user runs llmops from wherever they are, not from inside this repository.
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("name", ["local-module", "www-folder", "get-ami", "gke", "kubernetes", "secure-values"])
def test_a_public_style_program_previews_and_checks_without_changes(capsys, name: str):
    code, report, err = _preview(capsys, _stack_file(name))
    assert code == 0, err
    assert report["resources"], "the program registered nothing"
    code, out, err = run_cli(capsys, "check", "--pack", "hipaa", "--pack", "gdpr", _stack_file(name))
    assert code in (0, 1), err
    assert "Traceback" not in err


def test_local_modules_and_a_local_components_package_are_the_programs_own(capsys):
    code, report, err = _preview(capsys, _stack_file("local-module"))
    assert code == 0, err
    assert [r["name"] for r in _resources(report, "aws:iam/role:Role")] == ["app-role"]  # from iam.py
    assert [r["name"] for r in _resources(report, "aws:s3/bucketPolicy:BucketPolicy")] == ["artifacts-tls-only"]


def test_a_program_reads_files_relative_to_its_project_directory(capsys):
    code, report, err = _preview(capsys, _stack_file("www-folder"))
    assert code == 0, err
    assert sorted(r["name"] for r in _resources(report, "aws:s3/bucketObject:BucketObject")) == [
        "css/site.css",
        "index.html",
    ]


def test_typed_secure_values_read_as_typed_placeholders_and_stay_secret(capsys):
    code, report, err = _preview(capsys, _stack_file("secure-values"))
    assert code == 0, err
    assert report["outputs"]["port"] == "[secret]"
    [parameter] = _resources(report, "aws:ssm/parameter:Parameter")
    assert parameter["inputs"]["value"] == "[secret]"
    assert "AAAB" not in json.dumps(report)  # the ciphertext is never shown
    assert report["outputs"]["debug"] is False and report["outputs"]["ratio"] == 1.0


def test_config_of_the_programs_own_namespace_reaches_it(capsys):
    code, report, err = _preview(capsys, _stack_file("kubernetes"))
    assert code == 0, err
    [deployment] = _resources(report, "kubernetes:apps/v1:Deployment")
    assert deployment["inputs"]["spec"]["replicas"] == 2


def test_a_project_directory_with_stack_is_the_same_stack(capsys):
    by_file = _preview(capsys, _stack_file("www-folder"))[1]
    code, by_dir, err = _preview_dir(capsys, PROGRAMS / "www-folder", "dev")
    assert code == 0, err
    assert [r["urn"] for r in by_dir["resources"]] == [r["urn"] for r in by_file["resources"]]


def _preview_dir(capsys, directory: Path, stack: str) -> tuple[int, dict, str]:
    code, out, err = run_cli(capsys, "preview", str(directory), "--stack", stack, "--format", "json")
    return code, (json.loads(out) if code == 0 else {}), err


def test_a_project_directory_without_stack_names_its_stacks(capsys):
    code, out, err = run_cli(capsys, "preview", str(PROGRAMS / "www-folder"))
    assert code == 2 and "--stack NAME" in err and "stacks there: dev" in err and "Traceback" not in err


@pytest.mark.parametrize("runtime", ["yaml", "nodejs", "go", "dotnet"])
def test_a_project_of_another_runtime_is_refused_with_exit_2(capsys, tmp_path: Path, runtime: str):
    project = tmp_path / "other"
    shutil.copytree(PROGRAMS / "yaml-project", project)
    (project / "Pulumi.yaml").write_text(f"name: other\nruntime:\n  name: {runtime}\n")
    for command in ("preview", "check"):
        code, out, err = run_cli(capsys, command, str(project / "Pulumi.dev.yaml"))
        assert code == 2 and "only Python programs are supported" in err and "Traceback" not in err


def test_a_failing_program_is_one_message_and_exit_2(capsys, tmp_path: Path):
    project = tmp_path / "broken"
    shutil.copytree(PROGRAMS / "www-folder", project)
    (project / "__main__.py").write_text("import pulumi\nraise RuntimeError('the bucket name is taken')\n")
    code, out, err = run_cli(capsys, "preview", str(project / "Pulumi.dev.yaml"))
    assert code == 2 and "the stack program failed: RuntimeError: the bucket name is taken" in err
    assert "Traceback" not in err and out == ""


def test_what_a_program_prints_goes_to_standard_error_not_into_the_report(capsys, tmp_path: Path):
    project = tmp_path / "chatty"
    shutil.copytree(PROGRAMS / "www-folder", project)
    main = project / "__main__.py"
    main.write_text("print('hello from the program')\n" + main.read_text())
    code, out, err = run_cli(capsys, "preview", str(project / "Pulumi.dev.yaml"), "--format", "json")
    assert code == 0 and "hello from the program" in err
    json.loads(out)


def test_a_programs_exit_handlers_run_and_its_unflushed_output_arrives(capsys, tmp_path: Path):
    # The child leaves without tearing the interpreter down (program_host.leave): what a normal exit does that a
    # program can see must still happen.
    project = tmp_path / "at-exit"
    shutil.copytree(PROGRAMS / "www-folder", project)
    main = project / "__main__.py"
    marker = tmp_path / "exit-handler-ran"
    main.write_text(
        "import atexit, pathlib, sys\n"
        f"atexit.register(pathlib.Path({str(marker)!r}).write_text, 'yes')\n"
        "sys.stdout.write('no newline, no flush')\n" + main.read_text()
    )
    code, out, err = run_cli(capsys, "preview", str(project / "Pulumi.dev.yaml"), "--format", "json")
    assert code == 0 and "no newline, no flush" in err
    assert marker.read_text() == "yes"
    json.loads(out)


# ---- the project's own interpreter ------------------------------------------------------------------------------


def _project(tmp_path: Path, runtime: str) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(f"name: p\n{runtime}")
    return tmp_path


def test_a_declared_virtualenv_that_exists_is_the_interpreter(tmp_path: Path):
    root = _project(tmp_path, "runtime:\n  name: python\n  options:\n    virtualenv: env\n")
    python = root / "env" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("")
    chosen = interpreter(load_project(root))
    assert chosen.python == str(python) and chosen.warning == ""


def test_a_missing_virtualenv_falls_back_to_this_python_with_a_warning(tmp_path: Path):
    root = _project(tmp_path, "runtime:\n  name: python\n  options:\n    virtualenv: venv\n")
    chosen = interpreter(load_project(root))
    assert chosen.python == sys.executable
    assert f"virtualenv {root / 'venv'} does not exist" in chosen.warning


def test_uv_without_virtualenv_uses_the_projects_dot_venv(tmp_path: Path):
    root = _project(tmp_path, "runtime:\n  name: python\n  options:\n    toolchain: uv\n")
    assert ".venv does not exist" in interpreter(load_project(root)).warning


def test_no_virtualenv_uses_pulumi_python_cmd_or_this_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = _project(tmp_path, "runtime: python\n")
    monkeypatch.delenv("PULUMI_PYTHON_CMD", raising=False)
    assert interpreter(load_project(root)).python == sys.executable
    monkeypatch.setenv("PULUMI_PYTHON_CMD", "/opt/python/bin/python3")
    assert interpreter(load_project(root)).python == "/opt/python/bin/python3"


def test_an_unknown_toolchain_is_wrong_input(tmp_path: Path):
    root = _project(tmp_path, "runtime:\n  name: python\n  options:\n    toolchain: conda\n")
    with pytest.raises(InputError, match=r"toolchain = 'conda': must be one of pip, uv, poetry"):
        interpreter(load_project(root))


def test_a_program_that_needs_its_own_virtualenv_says_so_when_it_is_missing(capsys, tmp_path: Path):
    project = tmp_path / "own-venv"
    shutil.copytree(PROGRAMS / "own-venv", project)
    code, out, err = run_cli(capsys, "preview", str(project / "Pulumi.dev.yaml"))
    assert code == 2 and "No module named 'pulumi_random'" in err
    assert f"the project's virtualenv {project / 'venv'} does not exist" in err and "Traceback" not in err


@pytest.fixture(scope="module")
def own_venv_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("programs") / "own-venv"
    shutil.copytree(PROGRAMS / "own-venv", project)
    fresh_venv(project / "venv", "-r", str(project / "requirements.txt"))
    return project


def test_a_program_imports_its_own_dependencies_from_its_own_virtualenv(capsys, own_venv_project: Path):
    with pytest.raises(ImportError):
        __import__("pulumi_random")  # ours does not have it: only the project's own virtualenv does
    code, report, err = _preview(capsys, str(own_venv_project / "Pulumi.dev.yaml"))
    assert code == 0, err
    assert [r["name"] for r in _resources(report, "random:index/randomId:RandomId")] == ["suffix"]
    code, out, err = run_cli(capsys, "check", "--pack", "gdpr", str(own_venv_project / "Pulumi.dev.yaml"))
    assert code in (0, 1), err


def test_the_engine_modules_import_only_the_standard_library_pulumi_and_each_other():
    # They run inside the project's interpreter, which has pulumi but not llmops-infra or its dependencies.
    import ast

    allowed_roots = set(sys.stdlib_module_names) | {"pulumi", "google", "__future__"}
    for name in program.ENGINE_MODULES:
        tree = ast.parse((program.ENGINE_DIR / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                siblings = [node.module] if node.module else [a.name for a in node.names]
                assert set(siblings) <= set(program.ENGINE_MODULES), f"{name}.py imports .{siblings}"
            elif isinstance(node, ast.ImportFrom | ast.Import):
                modules = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                for module in modules:
                    assert module and module.split(".")[0] in allowed_roots, f"{name}.py imports {module}"


def test_resolving_a_loose_directory_without_a_project_is_a_message(tmp_path: Path):
    with pytest.raises(InputError, match="no such file|Pulumi.yaml"):
        resolve(str(tmp_path), stack="dev")
