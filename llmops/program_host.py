"""Runs inside the project's own interpreter: one Pulumi program on the offline engine, the result as JSON.

This is the offline counterpart of Pulumi's Python language host. The parent (llmops/program.py) starts the
project's Python in the project directory and loads this folder under a private package name, so nothing of
llmops-infra (nor of the environment llmops runs in) can shadow the program's own modules and dependencies.
Like the language host, it puts the project directory first on sys.path and runs `main` with runpy (a `main`
directory is itself put first, by runpy). Only the standard library, pulumi and this folder's engine modules
are imported here.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import gc
import json
import os
import runpy
import sys
import traceback
import types
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

from .engine import run
from .recording import Recording, StackSettings

EXIT_PROGRAM_FAILED = 3

# The marks of a package whose import only defines classes and functions, which the fork server may therefore import
# ahead of a program (file in the package folder, and the key that must be true in it): the `pulumi-plugin.json`
# Pulumi's code generator writes into a provider SDK ("resource": true; installed, or generated into a project by
# `pulumi package add`), and a package's own declaration, as llmops_infra makes it.
PRELOAD_MARKS = (("pulumi-plugin.json", "resource"), ("llmops-preload.json", "preload"))

# A program imports thousands of SDK classes and allocates objects by the hundred thousand, almost none of them in
# reference cycles: with the default thresholds (700, 10, 10) the collector rescans that growing heap over and over
# (a third of a shipped stack's run). Fewer, larger collections find the same garbage.
GC_THRESHOLDS = (10_000, 50, 100)


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
    return run_request(json.loads(Path(request_file).read_text(encoding="utf-8")), result_file)


def run_request(request: dict[str, Any], result_file: str) -> int:
    """Run the program the request names and write what it registered (or how it failed) to `result_file`."""
    gc.set_threshold(*GC_THRESHOLDS)
    imported_before = set(sys.modules)  # a forked run starts with modules the server imported
    project_dir, entry = request["project_dir"], request["entry"]
    os.chdir(project_dir)
    # `python -c` put "" (the working directory) first; the language host puts the project directory there.
    sys.path[0] = project_dir
    sys.argv = [entry]
    try:
        program = lambda: runpy.run_path(entry, run_name="__main__")  # noqa: E731
        recording = run(program, _settings(request["settings"]), project_root=project_dir)
    except BaseException as error:  # the program's own failure, reported by the parent as one paragraph
        if isinstance(error, KeyboardInterrupt):
            raise
        failure = {"type": type(error).__name__, "message": str(error), "traceback": traceback.format_exc()}
        Path(result_file).write_text(json.dumps({"error": failure}), encoding="utf-8")
        return EXIT_PROGRAM_FAILED
    result = recording_to_json(recording) | {"preloadable_modules": preloadable_modules(imported_before)}
    Path(result_file).write_text(json.dumps(result), encoding="utf-8")
    return 0


def preloadable_modules(imported_before: set[str]) -> list[str]:
    """The modules the program imported (not among `imported_before`) of packages that may be preloaded, for the
    fork server (fork_server.py) to import before the next run of the same stack."""
    verdicts: dict[str, bool] = {}
    found = []
    for name, module in list(sys.modules.items()):
        top = name.partition(".")[0]
        if top not in verdicts:
            verdicts[top] = may_preload(getattr(sys.modules.get(top), "__path__", None) or ())
        # A module Pulumi's lazy_import registered but the program never used is not a plain module yet.
        if verdicts[top] and type(module) is types.ModuleType and name not in imported_before:
            found.append(name)
    return sorted(found)


def may_preload(package_folders: Iterable[str]) -> bool:
    """Whether the package in these folders says that importing it only defines classes and functions (PRELOAD_MARKS).

    Any other package, the project's own or a team's component library, may read the stack's config or environment
    when it is imported, so each program imports it for itself, after the fork.
    """
    for folder in package_folders:
        for file, key in PRELOAD_MARKS:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                if json.loads(Path(folder, file).read_text(encoding="utf-8")).get(key) is True:
                    return True
    return False


def leave(code: int) -> NoReturn:
    """Exit with `code` once the result is written, without tearing the interpreter down.

    Freeing every module and class of the cloud SDKs at exit takes longer than many programs take to run (0.5 to
    1 s for a shipped stack); nothing of it reaches the result. Exit handlers still run (logging flushes its
    files), and the standard streams are flushed; threads the program left running end with the process.
    """
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None:  # not CPython: the ordinary exit
        sys.exit(code)
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
