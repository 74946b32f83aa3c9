"""Running the shipped stacks once per test session, and the command line as a user runs it."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from llmops_infra.cli import main as cli
from llmops_infra.cli.program import run_stack
from llmops_infra.cli.recording import Recording
from llmops_infra.cli.stackfile import resolve

ROOT = Path(__file__).resolve().parents[1]


@cache
def recorded(file: str) -> Recording:
    """A stack program's result depends only on its file, and the commands read it without changing it."""
    return run_stack(resolve(file, ROOT))


def recording(stack: str) -> Recording:
    return recorded(str(resolve(stack, ROOT).file))


def remember_stacks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "run_stack", lambda stack: recorded(str(stack.file)))


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
