"""Shared test helpers: run a program on the offline engine and look at what it registered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hypothesis  # noqa: F401 - imported here, shallow: see below
import pytest

from llmops_infra.cli.engine import run
from llmops_infra.cli.recording import Recording, StackSettings

# Why hypothesis is imported above: its pytest plugin otherwise imports it lazily, deep inside Pulumi's
# async stack when a program fails, and CPython 3.11 then fails to parse it ("AST constructor recursion
# depth mismatch").

DEFAULT_CONFIG = {"aws:region": "us-east-1"}


def preview(program: Callable[[], Any], config: dict[str, str] | None = None, stack: str = "test") -> Recording:
    """Run `program` as a preview of a throwaway stack and return every registration it made."""
    return run(program, StackSettings("llmops-infra", stack, {**DEFAULT_CONFIG, **(config or {})}))


@pytest.fixture
def run_preview() -> Callable[..., Recording]:
    return preview


@pytest.fixture(autouse=True, scope="session")
def _session_cache(tmp_path_factory: pytest.TempPathFactory):
    """The fork servers' cache (llmops/fork_servers.py) is this session's, not the user's ~/.cache: the commands
    the tests run, in this process or another, learn from the tests' own runs only."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        yield
