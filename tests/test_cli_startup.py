"""`llmops --help` and a wrong command line answer without loading what only a check needs: no cloud SDK, no gRPC,
no pulumi, no stack configuration models. Each case runs in a fresh interpreter and lists what it imported."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("pulumi", "pulumi_aws", "pulumi_gcp", "pulumi_kubernetes", "pulumi_policy", "grpc", "pydantic", "jsonschema")

SCRIPT = """\
import contextlib, io, json, sys
from llmops_infra.cli.main import main
out, err = io.StringIO(), io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    try:
        code = main(sys.argv[1:])
    except SystemExit as exit:
        code = exit.code
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"code": code, "out": out.getvalue(), "err": err.getvalue(), "loaded": loaded}))
"""


def _run(*argv: str) -> dict:
    done = subprocess.run([sys.executable, "-c", SCRIPT, *argv], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("argv", "code", "says"),
    [
        (["--help"], 0, "Offline previews and compliance checks"),
        (["check", "--help"], 0, "--jobs N"),
        (["analyze", "--help"], 0, "--state FILE"),
        (["pack", "--help"], 0, "path"),
        (["bogus"], 2, "invalid choice"),
        (["check", "dev", "--format", "xml"], 2, "invalid choice"),
        (["check", "dev", "--jobs", "0"], 2, "at least 1"),
        (["check"], 2, "name the stacks to check, or --all"),
        (["analyze"], 2, "--state"),
        # A wrong stack name is found from the stack files alone: nothing heavy either.
        (["check", "no-such-stack"], 2, "unknown stack 'no-such-stack'"),
        (["preview", "no-such-stack"], 2, "unknown stack 'no-such-stack'"),
        (["evidence", "no-such-stack"], 2, "unknown stack 'no-such-stack'"),
    ],
)
def test_help_and_wrong_command_lines_load_no_sdk(argv: list[str], code: int, says: str) -> None:
    result = _run(*argv)
    assert result["code"] == code
    assert says in result["out"] + result["err"]
    assert not set(HEAVY) & set(result["loaded"])


def test_a_check_does_load_them() -> None:
    # The guard above means something only if the names are right: a real command imports them.
    result = _run("pack", "path", "hipaa")
    assert result["code"] == 0 and result["out"].strip().endswith("hipaa")
    assert not set(HEAVY) & set(result["loaded"])  # printing a path needs none of them either
    with_sdk = subprocess.run(
        [sys.executable, "-c", "import sys, llmops_infra.cli.check; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "grpc" in with_sdk.stdout and "pulumi" in with_sdk.stdout
