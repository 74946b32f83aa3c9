"""Runs inside the project's own interpreter: one Pulumi program on the offline engine, the result as JSON.

This is the offline counterpart of Pulumi's Python language host. The parent (llmops/program.py) starts the
project's Python in the project directory and loads this folder under a private package name, so nothing of
llmops-infra (nor of the environment llmops runs in) can shadow the program's own modules and dependencies.
Like the language host, it puts the project directory first on sys.path and runs `main` with runpy (a `main`
directory is itself put first, by runpy). Only the standard library, pulumi and this folder's engine modules
are imported here.
"""

from __future__ import annotations

import dataclasses
import json
import os
import runpy
import sys
import traceback
from pathlib import Path
from typing import Any

from .engine import Recording, StackSettings, run

EXIT_PROGRAM_FAILED = 3


def _settings(raw: dict[str, Any]) -> StackSettings:
    return StackSettings(
        project=raw["project"],
        stack=raw["stack"],
        config=dict(raw["config"]),
        secret_keys=frozenset(raw["secret_keys"]),
        organization=raw["organization"],
    )


def recording_to_json(recording: Recording) -> dict[str, Any]:
    return {"resources": [dataclasses.asdict(r) for r in recording.resources], "warnings": recording.warnings}


def main(request_file: str, result_file: str) -> int:
    request = json.loads(Path(request_file).read_text(encoding="utf-8"))
    project_dir, entry = request["project_dir"], request["entry"]
    os.chdir(project_dir)
    # `python -c` put "" (the working directory) first; the language host puts the project directory there.
    sys.path[0] = project_dir
    sys.argv = [entry]
    try:
        recording = run(lambda: runpy.run_path(entry, run_name="__main__"), _settings(request["settings"]))
    except BaseException as error:  # the program's own failure, reported by the parent as one paragraph
        if isinstance(error, KeyboardInterrupt):
            raise
        failure = {"type": type(error).__name__, "message": str(error), "traceback": traceback.format_exc()}
        Path(result_file).write_text(json.dumps({"error": failure}), encoding="utf-8")
        return EXIT_PROGRAM_FAILED
    Path(result_file).write_text(json.dumps(recording_to_json(recording)), encoding="utf-8")
    return 0
