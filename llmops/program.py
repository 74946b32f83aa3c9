"""Run a stack's Pulumi program offline: validate its config first, then execute it on the engine."""

from __future__ import annotations

import runpy
from pathlib import Path

from llmops_infra.cli.engine import Recording, run
from llmops_infra.cli.stackfile import InputError, Stack
from llmops_infra.stacks.config import PLATFORM_KEY, platform_from_config


def _program_entry(main: Path) -> Path:
    entry = main / "__main__.py" if main.is_dir() else main
    if not entry.is_file():
        raise InputError(f"{main}: the project's `main` has no __main__.py to run")
    return entry


def run_stack(stack: Stack) -> Recording:
    """The stack's program as a preview. Raises SpecError (bad config) before anything is registered."""
    settings = stack.settings
    if PLATFORM_KEY in settings.config:
        # Our own stacks: report config problems with the real file path, and never start the program.
        platform_from_config(settings.get, source=stack.display_file)
    entry = _program_entry(stack.project.main)
    return run(lambda: runpy.run_path(str(entry), run_name="__main__"), settings)
