#!/usr/bin/env python3
"""The two entry points of a fresh clone: `python3 tasks.py preview` and `python3 tasks.py test`.

Needs only python3. Each task first makes sure `.venv` exists and holds this project with its dev
extras, reinstalling when pyproject.toml has changed since the last install.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".llmops-install-stamp"

DEFAULT_STACK = "prod-hipaa"


def _install_fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_venv() -> None:
    if not (BIN / "python").exists():
        print("creating .venv ...", file=sys.stderr, flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == _install_fingerprint():
        return
    print("installing llmops-infra and its dev tools into .venv ...", file=sys.stderr, flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True, cwd=ROOT)
    subprocess.run([*pip, "-e", ".[dev]"], check=True, cwd=ROOT)
    STAMP.write_text(_install_fingerprint())


def run(*argv: str) -> int:
    return subprocess.run([str(BIN / argv[0]), *argv[1:]], cwd=ROOT).returncode


def task_preview(args: list[str]) -> int:
    """Offline plan of the default environment (or the stack given), no cloud account needed."""
    return run("llmops", "preview", *(args or [DEFAULT_STACK]))


def task_test(args: list[str]) -> int:
    """Lint, type-check, then the test suite; the first failure stops the run."""
    for step in (("ruff", "check", "."), ("ruff", "format", "--check", "."), ("mypy",)):
        code = run(*step)
        if code:
            return code
    return run("python", "-m", "pytest", *args)


TASKS = {"preview": task_preview, "test": task_test}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        names = ", ".join(TASKS)
        print(f"usage: python3 tasks.py {{{names}}} [args...]", file=sys.stderr)
        return 2
    ensure_venv()
    return TASKS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
