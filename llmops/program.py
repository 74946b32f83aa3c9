"""Run a stack's Pulumi program offline, the way Pulumi's Python language host runs it.

The program runs in a child process: the project's own interpreter (Pulumi.yaml `runtime.options`: `virtualenv`,
or the `toolchain`'s environment), the project directory as working directory and first on sys.path, `main`
run with runpy. The child loads the engine (ENGINE_MODULES: engine, recording, mock_outputs, wire, program_host,
fork_server) from this folder under a private package name, so neither llmops-infra nor the environment llmops runs
in is on the program's path: its own modules and dependencies are the ones it imports. On Linux the child is a fork
of the project's fork server (fork_servers.py, fork_server.py), spawned only when there is none. Our own stacks are
validated here first, so a bad platform config is reported with its file and key path before any program starts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from llmops_infra.cli import fork_servers
from llmops_infra.cli.recording import Recording, Registration
from llmops_infra.cli.stackfile import InputError, Project, Stack, venv_python

ENGINE_DIR = Path(__file__).resolve().parent
# What the child loads from ENGINE_DIR: only the standard library, pulumi and each other (relative imports).
ENGINE_MODULES = ("engine", "recording", "mock_outputs", "wire", "program_host", "fork_server")
PRIVATE_PACKAGE = "_llmops_offline"
TOOLCHAINS = ("pip", "uv", "poetry")

# `python -c`: load ENGINE_DIR as a private package, then hand over to program_host (one run: request and result
# files as arguments) or to fork_server (a server of runs). The server's standard output is kept for its answers
# before anything is imported, and what it would print goes to standard error.
_LOAD_ENGINE = f"""
import importlib.util, os, sys
{{before}}
spec = importlib.util.spec_from_file_location(
    "{PRIVATE_PACKAGE}", sys.argv[1] + "/__init__.py", submodule_search_locations=[sys.argv[1]]
)
package = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = package
spec.loader.exec_module(package)
from {PRIVATE_PACKAGE}.program_host import leave
{{then}}
"""
_RUN_ONE = _LOAD_ENGINE.format(
    before="", then=f"from {PRIVATE_PACKAGE}.program_host import main\nleave(main(sys.argv[2], sys.argv[3]))"
)
_SERVE = _LOAD_ENGINE.format(
    before="answers = os.dup(1)\nos.dup2(2, 1)",
    then=f"from {PRIVATE_PACKAGE}.fork_server import serve\nleave(serve(answers))",
)

_NO_PULUMI = "No module named 'pulumi'"


class ProgramError(Exception):
    """The stack program itself failed (it raised): exit 2 with its error, the traceback only on request."""

    def __init__(self, message: str, traceback: str = "") -> None:
        super().__init__(message)
        self.traceback = traceback


@dataclass(frozen=True)
class Interpreter:
    """The Python a project's program runs with, and why (a warning when the project's own was not found)."""

    python: str
    warning: str = ""


def interpreter(project: Project) -> Interpreter:
    """The project's interpreter, as the language host picks it; ours (with a warning) when it does not exist."""
    options = project.runtime_options
    toolchain = str(options.get("toolchain") or "pip")
    if toolchain not in TOOLCHAINS:
        raise InputError(
            f"{project.file}: runtime.options.toolchain = {toolchain!r}: must be one of {', '.join(TOOLCHAINS)}"
        )
    fallback = os.environ.get("PULUMI_PYTHON_CMD") or sys.executable
    virtualenv = options.get("virtualenv")
    if toolchain == "poetry" and not virtualenv:
        return _poetry_interpreter(project, fallback)
    if toolchain == "uv" and not virtualenv:
        virtualenv = ".venv"  # uv's default project environment
    if not virtualenv:
        return Interpreter(fallback)
    venv = Path(str(virtualenv))
    venv = venv if venv.is_absolute() else project.root / venv
    python = venv_python(venv)
    if python.is_file():
        return Interpreter(str(python))
    return Interpreter(
        fallback,
        f"the project's virtualenv {venv} does not exist (Pulumi would create it from requirements.txt); "
        f"the program runs with {fallback}",
    )


def _poetry_interpreter(project: Project, fallback: str) -> Interpreter:
    poetry = shutil.which("poetry")
    if poetry:
        found = subprocess.run(
            [poetry, "env", "info", "--executable"], cwd=project.root, capture_output=True, text=True, check=False
        )
        if found.returncode == 0 and found.stdout.strip():
            return Interpreter(found.stdout.strip())
    return Interpreter(fallback, f"no poetry environment found for {project.root}; the program runs with {fallback}")


def _program_entry(project: Project) -> Path:
    main = project.main
    entry = main / "__main__.py" if main.is_dir() else main
    if not entry.is_file():
        raise InputError(f"{project.file}: main {main}: there is no {entry.name} to run")
    return entry


def run_stack(stack: Stack) -> Recording:
    """The stack's program as a preview. Raises SpecError (bad config) before anything is registered."""
    project, settings = stack.project, stack.settings
    if project.runtime != "python":
        raise InputError(
            f"{project.file}: runtime {project.runtime!r}: only Python programs are supported "
            "(llmops runs the program offline; for other runtimes check a `pulumi stack export` with llmops analyze)"
        )
    start_server(stack)
    # Imported here, not at the top: the config models are what llmops imports while the fork server starts.
    from llmops_infra.stacks.config import PLATFORM_KEY, platform_from_config, runs_this_program

    if PLATFORM_KEY in settings.config or runs_this_program(project.name, project.main):
        # Our own stacks: report config problems with the real file path, and never start the program.
        is_secret = settings.secret_keys.__contains__
        platform_from_config(settings.get, source=stack.display_file, is_secret=is_secret, keys=settings.config)
    entry = _program_entry(project)
    chosen = interpreter(project)
    try:
        recording = run_program(chosen.python, project, entry, stack)
    except ProgramError as error:
        if not chosen.warning:
            raise
        raise ProgramError(f"{error}; note: {chosen.warning}", error.traceback) from None
    if chosen.warning:
        recording.warnings.insert(0, chosen.warning)
    return recording


def start_server(stack: Stack) -> None:
    """Have the project's fork server import the engine, and what the stack's program needs, while llmops gets
    ready to run it (imports the check machinery, validates the config). No program starts here."""
    if stack.project.runtime != "python":  # refused in its place, by run_stack
        return
    try:
        python = interpreter(stack.project).python
    except InputError:  # said again, in its place, after the config
        return
    server = fork_servers.server_for(python, stack.project.root, _server_argv(python), stack.settings.stack)
    if server is not None:
        server.preload(stack.settings.stack)


def _server_argv(python: str) -> list[str]:
    return [python, "-c", _SERVE, str(ENGINE_DIR)]


@dataclass(frozen=True)
class _Finished:
    """How the program's process ended, and what it printed."""

    returncode: int
    stdout: str
    stderr: str


def run_program(python: str, project: Project, entry: Path, stack: Stack) -> Recording:
    settings = stack.settings
    request = {
        "project_dir": str(project.root),
        "entry": str(entry),
        "settings": {
            "project": settings.project,
            "stack": settings.stack,
            "config": settings.config,
            "secret_keys": sorted(settings.secret_keys),
            "organization": settings.organization,
        },
    }
    with tempfile.TemporaryDirectory(prefix="llmops-run-") as scratch:
        files = fork_servers.RunFiles(Path(scratch, "result.json"), Path(scratch, "stdout"), Path(scratch, "stderr"))
        server = fork_servers.server_for(python, project.root, _server_argv(python), settings.stack)
        finished = _forked(server, settings.stack, request, files) if server else None
        if finished is None:
            finished = _spawned(python, project, request, files, stack)
        # What the program prints is not the report: it goes to standard error, as Pulumi shows it apart.
        sys.stderr.write(finished.stdout)
        if not files.result.is_file():
            if _NO_PULUMI in finished.stderr:
                raise InputError(
                    f"{stack.display_file}: the project's Python {python} has no pulumi SDK; "
                    "install the project's requirements into it (pip install -r requirements.txt)"
                )
            sys.stderr.write(finished.stderr)
            raise ProgramError(f"the program's interpreter {python} exited with {finished.returncode}")
        sys.stderr.write(finished.stderr)
        result = json.loads(files.result.read_text(encoding="utf-8"))
    if "error" in result:
        failure = result["error"]
        raise ProgramError(f"{failure['type']}: {failure['message']}", failure["traceback"])
    if server is not None:
        server.learn(settings.stack, result.get("preloadable_modules", ()))
    resources = [Registration(**r) for r in result["resources"]]
    return Recording(settings, resources, list(result["warnings"]))


def _forked(
    server: fork_servers.ForkServer, stack: str, request: dict, files: fork_servers.RunFiles
) -> _Finished | None:
    returncode = server.run(stack, request, files)
    if returncode is None:
        return None
    printed = [p.read_text(errors="replace") if p.is_file() else "" for p in (files.stdout, files.stderr)]
    return _Finished(returncode, *printed)


def _spawned(python: str, project: Project, request: dict, files: fork_servers.RunFiles, stack: Stack) -> _Finished:
    request_file = files.result.with_name("request.json")
    request_file.write_text(json.dumps(request), encoding="utf-8")
    try:
        child = subprocess.run(
            [python, "-c", _RUN_ONE, str(ENGINE_DIR), str(request_file), str(files.result)],
            cwd=project.root,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
        )
    except OSError as error:
        raise InputError(f"{stack.display_file}: cannot start the project's Python {python}: {error}") from None
    return _Finished(child.returncode, child.stdout, child.stderr)
