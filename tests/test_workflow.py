"""The pull-request workflow (.github/workflows/policy-check.yml): what it must keep doing.

Read as data (PyYAML), with the `if:` conditions evaluated by a small GitHub-expression evaluator for the events
that matter (a push, a pull request from a branch, one from a fork) and the gate's script run in bash against a
stub `llmops`, so a regression in behaviour fails here, not only a changed string.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import subprocess
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

# The current major of every action the workflow uses (2026-12-03), with where it was read. A new action, or a
# new major, is added here first, with its source.
EXPECTED_MAJORS: dict[str, tuple[str, str]] = {
    "actions/checkout": ("v7", "actions/checkout: tag v7.0.1 (2026-07-17), CHANGELOG.md and README 'Checkout v7'"),
    "actions/setup-python": ("v7", "actions/setup-python: tag v7.0.0 (2026-07-19), README 'What's new in V7'"),
    "github/codeql-action/upload-sarif": (
        "v4",
        "github/codeql-action: tag v4.36.2 (2026-06-04); CHANGELOG.md: 'CodeQL Action v3 will be deprecated in "
        "December 2026'",
    ),
    "pulumi/actions": ("v7", "pulumi/actions: tag v7.0.0, CHANGELOG.md '7.0.0 (2026-05-01)'"),
    "pulumi/auth-actions": ("v2", "pulumi/auth-actions: tag v2.1.0 (2026-05-29), action.yml"),
    "aws-actions/configure-aws-credentials": (
        "v6",
        "aws-actions/configure-aws-credentials: tag v6.2.3, CHANGELOG.md '6.2.3 (2026-07-22)'",
    ),
    "google-github-actions/auth": ("v3", "google-github-actions/auth: tag v3.0.0 (2025-08-28), action.yml"),
}

WORKFLOW = Path(__file__).resolve().parents[1] / ".github" / "workflows" / "policy-check.yml"

UPLOAD_SARIF = "github/codeql-action/upload-sarif"
AWS_CREDENTIALS = "aws-actions/configure-aws-credentials"
GCP_AUTH = "google-github-actions/auth"
OIDC_ACTIONS = (AWS_CREDENTIALS, GCP_AUTH, "pulumi/auth-actions")

# Inputs and variables that carry long-lived cloud keys: none may appear, as a key or in a value.
STATIC_KEY_NAMES = (
    "aws-access-key-id",
    "aws-secret-access-key",
    "aws-session-token",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "credentials_json",  # google-github-actions/auth: a service-account key
    "GOOGLE_APPLICATION_CREDENTIALS",
)

REPOSITORY = "acme/ml-platform"


# ---- reading the workflow --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return dict(on or {})


def _steps(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, job, step


def _action(uses: str) -> tuple[str, str]:
    name, _, ref = uses.partition("@")
    return name, ref


def _uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if "uses" in s and _action(s["uses"])[0] == action]


def _walk(node: Any) -> Iterator[str]:
    """Every key and scalar value of the document, as text."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)
    elif node is not None:
        yield str(node)


# ---- GitHub expressions (the subset `if:` uses here) -----------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\],.])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))"
)
_STATUS_FUNCTIONS = {"always", "success", "failure", "cancelled"}


def _tokens(expression: str) -> list[tuple[str, Any]]:
    out, pos, text = [], 0, expression.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ValueError(f"cannot read the expression at {text[pos:]!r}")
        pos = match.end()
        kind = match.lastgroup
        assert kind is not None
        value: Any = match.group(kind)
        if kind == "str":
            value = value[1:-1].replace("''", "'")
        elif kind == "num":
            value = float(value)
        out.append((kind, value))
    return out


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip()) if value.strip() else 0.0
        except ValueError:
            return math.nan
    return math.nan


def _truthy(value: Any) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return False
    return value not in (None, False, 0, "")


def _equal(a: Any, b: Any) -> bool:
    """GitHub's loose equality: strings without case, numbers after coercion, objects by identity."""
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return a is b
    if type(a) is type(b) and not isinstance(a, float):
        return bool(a == b)
    return _number(a) == _number(b)  # NaN equals nothing


class _Evaluator:
    def __init__(self, tokens: list[tuple[str, Any]], contexts: dict[str, Any], functions: dict[str, Callable]):
        self.tokens, self.pos, self.contexts, self.functions = tokens, 0, contexts, functions

    def _peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self, op: str | None = None) -> tuple[str, Any]:
        token = self._peek()
        if token is None or (op is not None and token != ("op", op)):
            raise ValueError(f"expected {op!r}, found {token!r}")
        self.pos += 1
        return token

    def _at(self, *ops: str) -> str | None:
        token = self._peek()
        return token[1] if token and token[0] == "op" and token[1] in ops else None

    def parse(self) -> Any:
        value = self._or()
        if self._peek() is not None:
            raise ValueError(f"unexpected {self._peek()!r}")
        return value

    def _or(self) -> Any:
        left = self._and()
        while self._at("||"):
            self._take()
            right = self._and()
            left = left if _truthy(left) else right
        return left

    def _and(self) -> Any:
        left = self._equality()
        while self._at("&&"):
            self._take()
            right = self._equality()
            left = right if _truthy(left) else left
        return left

    def _equality(self) -> Any:
        left = self._comparison()
        while op := self._at("==", "!="):
            self._take()
            right = self._comparison()
            left = _equal(left, right) if op == "==" else not _equal(left, right)
        return left

    def _comparison(self) -> Any:
        left = self._unary()
        while op := self._at("<", "<=", ">", ">="):
            self._take()
            a, b = _number(left), _number(self._unary())
            left = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        return left

    def _unary(self) -> Any:
        if self._at("!"):
            self._take()
            return not _truthy(self._unary())
        return self._postfix(self._primary())

    def _primary(self) -> Any:
        kind, value = self._take()
        if (kind, value) == ("op", "("):
            inner = self._or()
            self._take(")")
            return inner
        if kind in ("str", "num"):
            return value
        if kind != "name":
            raise ValueError(f"unexpected {value!r}")
        if value in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[value]
        if self._at("("):
            self._take()
            args = []
            while not self._at(")"):
                args.append(self._or())
                if self._at(","):
                    self._take()
            self._take(")")
            if value.lower() not in self.functions:
                raise ValueError(f"the test's evaluator has no function {value}()")
            return self.functions[value.lower()](*args)
        if value not in self.contexts:
            raise ValueError(f"unknown context {value!r}")
        return self.contexts[value]

    def _postfix(self, value: Any) -> Any:
        while op := self._at(".", "["):
            self._take()
            if op == ".":
                key = self._take()[1]
            else:
                key = self._or()
                self._take("]")
            value = value.get(key) if isinstance(value, dict) else None  # a missing property is null
        return value


def evaluate_if(condition: Any, contexts: dict[str, Any], *, success: bool = True, files: tuple[str, ...] = ()) -> bool:
    """Whether a job or step with this `if:` runs; no `if:` is `success()`, as on GitHub."""
    if condition is None:
        return success
    if isinstance(condition, bool):
        return condition
    text = str(condition).strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    tokens = _tokens(text)
    if not any(kind == "name" and value in _STATUS_FUNCTIONS for kind, value in tokens):
        text = f"success() && ({text})"
        tokens = _tokens(text)

    def hash_files(*patterns: str) -> str:
        return "0" * 64 if any(p in files for p in patterns) else ""

    def contains(haystack: Any, needle: Any) -> bool:
        if isinstance(haystack, list):
            return any(_equal(item, needle) for item in haystack)
        return str(needle).casefold() in str(haystack or "").casefold()

    functions: dict[str, Callable] = {
        "always": lambda: True,
        "success": lambda: success,
        "failure": lambda: not success,
        "cancelled": lambda: False,
        "hashfiles": hash_files,
        "contains": contains,
        "startswith": lambda s, p: str(s or "").casefold().startswith(str(p).casefold()),
        "endswith": lambda s, p: str(s or "").casefold().endswith(str(p).casefold()),
        "fromjson": json.loads,
    }
    return _truthy(_Evaluator(tokens, contexts, functions).parse())


def _event(kind: str, **variables: str) -> dict[str, Any]:
    """The contexts of one event: "push" to main, "pull_request" from a branch, "fork" pull request."""
    github: dict[str, Any] = {"repository": REPOSITORY, "ref": "refs/heads/main", "event": {}}
    if kind == "push":
        github |= {"event_name": "push"}
    else:
        head = REPOSITORY if kind == "pull_request" else "contributor/ml-platform"
        github |= {
            "event_name": "pull_request",
            "ref": "refs/pull/7/merge",
            "event": {"pull_request": {"number": 7, "head": {"repo": {"full_name": head, "fork": kind == "fork"}}}},
        }
    return {
        "github": github,
        "vars": dict(variables),
        "matrix": {},
        "steps": {},
        "needs": {},
        "env": {},
        "runner": {"os": "Linux"},
        "inputs": {},
        "secrets": {},
    }


def test_the_expression_evaluator_follows_github() -> None:
    push, fork = _event("push"), _event("fork")
    assert not evaluate_if("github.event.pull_request.head.repo.full_name == github.repository", push)
    assert evaluate_if("github.event.pull_request.head.repo.full_name != github.repository", push)
    assert evaluate_if("!github.event.pull_request.head.repo.fork", push)
    assert not evaluate_if("!github.event.pull_request.head.repo.fork", fork)
    assert evaluate_if("github.repository == 'ACME/ML-Platform'", push)  # strings compare without case
    assert not evaluate_if("always() && github.event_name == 'push'", fork)
    assert not evaluate_if("github.event_name == 'push'", push, success=False)  # an implied success()
    assert evaluate_if("${{ always() }}", push, success=False)
    assert evaluate_if("hashFiles('a.sarif') != ''", push, files=("a.sarif",))
    assert not evaluate_if("hashFiles('a.sarif') != ''", push)
    with pytest.raises(ValueError):
        evaluate_if("toJSON(github)", push)


# ---- the gate: one `llmops check` run ---------------------------------------------------------------------------

_LLMOPS_CHECK = re.compile(r"(?:^|[\s;&|(/])llmops\s+check\b")


def _check_steps(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    return [(j, job, s) for j, job, s in _steps(workflow) if _LLMOPS_CHECK.search(str(s.get("run", "")))]


def _check_arguments(script: str) -> list[str]:
    """The arguments after `llmops check` in a run script (continuation lines joined, stopped at || ; &&)."""
    logical = script.replace("\\\n", " ")
    for line in logical.splitlines():
        if _LLMOPS_CHECK.search(line):
            words = shlex.split(line, comments=True)
            start = next(i for i, w in enumerate(words) if w.endswith("llmops") and words[i + 1 : i + 2] == ["check"])
            args = []
            for word in words[start + 2 :]:
                if word in ("||", "&&", ";", "|"):
                    break
                args.append(word)
            return args
    raise AssertionError("no llmops check line")


def _report_pairs(args: list[str]) -> list[tuple[str, str]]:
    """(format, file) pairs of repeated --format F --output FILE, paired in order as the CLI pairs them."""
    formats: list[str] = []
    outputs: list[str] = []
    words = iter(args)
    for word in words:
        for flag, into in (("--format", formats), ("--output", outputs)):
            if word == flag:
                into.append(next(words))
            elif word.startswith(flag + "="):
                into.append(word.split("=", 1)[1])
    assert len(formats) == len(outputs), f"one --format per --output: {args}"
    return list(zip(formats, outputs, strict=True))


def _gate(workflow: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    found = _check_steps(workflow)
    assert len(found) == 1, f"exactly one step runs llmops check, found {len(found)}"
    return found[0]


def test_exactly_one_llmops_check_writes_sarif_and_markdown(workflow: dict[str, Any]) -> None:
    _, _, step = _gate(workflow)
    script = step["run"]
    assert len(_LLMOPS_CHECK.findall(script)) == 1, "one llmops check invocation, not one per format"
    args = _check_arguments(script)
    assert "--all" in args, "every stack of the project is checked"
    pairs = dict(_report_pairs(args))
    assert set(pairs) >= {"sarif", "markdown"}, f"SARIF and markdown from the same run: {args}"
    assert pairs["sarif"].endswith(".sarif")
    assert pairs["markdown"].endswith(".md")


def test_the_sarif_uploaded_is_the_one_the_check_wrote(workflow: dict[str, Any]) -> None:
    job_id, job, step = _gate(workflow)
    sarif = dict(_report_pairs(_check_arguments(step["run"])))["sarif"]
    uploads = _uses(job, UPLOAD_SARIF)
    assert len(uploads) == 1, f"job {job_id} uploads the SARIF once"
    steps = job["steps"]
    assert steps.index(step) < steps.index(uploads[0]), "the upload comes after the check"
    assert uploads[0]["with"]["sarif_file"] == sarif


def _shell_command(job: dict[str, Any], step: dict[str, Any], workflow: dict[str, Any], script: Path) -> list[str]:
    shell = step.get("shell") or job.get("defaults", {}).get("run", {}).get("shell")
    shell = shell or workflow.get("defaults", {}).get("run", {}).get("shell")
    if shell is None:
        return ["bash", "-e", str(script)]  # GitHub's default on Linux
    if shell == "bash":
        return ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)]
    if shell == "sh":
        return ["sh", "-e", str(script)]
    raise AssertionError(f"the gate's shell {shell!r}: teach this test how GitHub runs it")


STUB_LLMOPS = textwrap.dedent(
    """\
    #!/usr/bin/env bash
    # A stand-in for llmops: records its call, writes each --output in its --format, exits STUB_EXIT.
    printf '%s\\n' "$*" >> "$STUB_LOG"
    if [ "$STUB_EXIT" != 2 ]; then  # wrong input: nothing is written
      formats=(); outputs=()
      while [ $# -gt 0 ]; do
        case "$1" in
          --format) formats+=("$2"); shift ;;
          --output) outputs+=("$2"); shift ;;
        esac
        shift
      done
      for i in "${!outputs[@]}"; do
        echo "stub ${formats[$i]} report" > "${outputs[$i]}"
      done
    fi
    exit "$STUB_EXIT"
    """
)


@pytest.mark.parametrize("exit_code", [0, 1, 2])
def test_the_gate_exits_with_the_checks_exit_code(workflow: dict[str, Any], tmp_path: Path, exit_code: int) -> None:
    _, job, step = _gate(workflow)
    script = step["run"]
    assert "${{" not in script, "the gate script takes values through env:, not ${{ }} interpolation"
    assert not step.get("continue-on-error"), "a failed check must fail the job"
    stub_dir = tmp_path / ".venv" / "bin"
    stub_dir.mkdir(parents=True)
    for place in (stub_dir, tmp_path / "bin"):
        place.mkdir(exist_ok=True)
        (place / "llmops").write_text(STUB_LLMOPS)
        (place / "llmops").chmod(0o755)
    (tmp_path / "step.sh").write_text(script)
    log, summary, outputs = tmp_path / "calls.log", tmp_path / "summary.md", tmp_path / "outputs"
    env = {
        **os.environ,
        **{str(k): str(v) for k, v in (step.get("env") or {}).items()},
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "STUB_EXIT": str(exit_code),
        "STUB_LOG": str(log),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
    }
    command = _shell_command(job, step, workflow, tmp_path / "step.sh")
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == exit_code, f"the step exits {run.returncode}: {run.stdout}{run.stderr}"
    assert len(log.read_text().splitlines()) == 1, "llmops ran exactly once"
    if exit_code != 2:
        assert "stub markdown report" in summary.read_text(), "the markdown report reaches the job summary"


def test_the_gate_runs_for_every_pull_request_fork_included(workflow: dict[str, Any]) -> None:
    _, job, step = _gate(workflow)
    for kind in ("push", "pull_request", "fork"):
        contexts = _event(kind)
        assert evaluate_if(job.get("if"), contexts), f"the check job runs on a {kind}"
        assert evaluate_if(step.get("if"), contexts), f"the check step runs on a {kind}"
    assert not job.get("needs"), "the gate waits for no other job (which a fork's pull request might skip)"


# ---- fork pull requests ---------------------------------------------------------------------------------------


def test_sarif_upload_is_skipped_for_fork_pull_requests_only(workflow: dict[str, Any]) -> None:
    job_id, job, _ = _gate(workflow)
    (upload,) = _uses(job, UPLOAD_SARIF)
    sarif = upload["with"]["sarif_file"]
    for success in (True, False):  # after a passed gate, and after violations failed it
        for kind, uploads in (("push", True), ("pull_request", True), ("fork", False)):
            contexts = _event(kind)
            runs = evaluate_if(job.get("if"), contexts) and evaluate_if(
                upload.get("if"), contexts, success=success, files=(sarif,)
            )
            gate = "passed" if success else "failed"
            assert runs == uploads, f"{job_id}: SARIF upload on a {kind} after the gate {gate}: {runs}"
    # No SARIF (a wrong input stops the check before it writes one): nothing to upload, no second failure.
    assert not evaluate_if(upload.get("if"), _event("push"), success=False, files=())


def test_the_annotations_of_the_same_run_are_printed_for_every_pull_request_fork_included(
    workflow: dict[str, Any],
) -> None:
    job_id, job, gate = _gate(workflow)
    annotations = dict(_report_pairs(_check_arguments(gate["run"])))["github"]
    printers = [s for s in job["steps"] if shlex.split(str(s.get("run", ""))) == ["cat", annotations]]
    assert len(printers) == 1, f"{job_id}: one step prints {annotations}, the check's --format github report"
    (printer,) = printers
    assert job["steps"].index(gate) < job["steps"].index(printer)
    for success in (True, False):
        for kind in ("push", "pull_request", "fork"):
            contexts = _event(kind)
            assert evaluate_if(printer.get("if"), contexts, success=success, files=(annotations,)), (kind, success)
    assert not evaluate_if(printer.get("if"), _event("fork"), success=False, files=())


def test_the_real_preview_never_runs_for_a_fork(workflow: dict[str, Any]) -> None:
    for job_id, job in workflow["jobs"].items():
        if not any(_uses(job, action) for action in OIDC_ACTIONS):
            continue
        # A fork's pull request gets no OIDC token: the job is skipped even where the variables are set.
        assert not evaluate_if(job.get("if"), _event("fork", PULUMI_PREVIEW="true")), job_id
        assert evaluate_if(job.get("if"), _event("pull_request", PULUMI_PREVIEW="true")), job_id
        assert evaluate_if(job.get("if"), _event("push", PULUMI_PREVIEW="true")), job_id
        assert not evaluate_if(job.get("if"), _event("push")), f"{job_id} is opt-in (vars.PULUMI_PREVIEW)"


def test_no_trigger_runs_fork_code_with_the_base_repositorys_token(workflow: dict[str, Any]) -> None:
    triggers = _triggers(workflow)
    assert "pull_request" in triggers
    assert "pull_request_target" not in triggers
    assert "workflow_run" not in triggers


# ---- credentials and permissions ----------------------------------------------------------------------------


def test_no_static_cloud_keys(workflow: dict[str, Any]) -> None:
    texts = list(_walk(workflow))
    for name in STATIC_KEY_NAMES:
        hits = [t for t in texts if name.lower() in t.lower()]
        assert not hits, f"{name} in the workflow: {hits}"
    secrets = [t for t in texts if re.search(r"\bsecrets\s*\.", t)]
    assert not secrets, f"credentials come from OIDC, not stored secrets: {secrets}"


def test_aws_through_oidc_with_a_role_from_a_repository_variable(workflow: dict[str, Any]) -> None:
    steps = [
        (job_id, job, s) for job_id, job, s in _steps(workflow) if _action(s.get("uses", ""))[0] == AWS_CREDENTIALS
    ]
    assert steps, "the real preview of AWS stacks gets its credentials from configure-aws-credentials"
    for job_id, job, step in steps:
        inputs = step.get("with") or {}
        assert re.fullmatch(r"\$\{\{\s*vars\.[A-Z0-9_]+\s*\}\}", str(inputs.get("role-to-assume", ""))), inputs
        assert str(inputs.get("aws-region", "")).strip(), f"{job_id}: aws-region"
        assert (job.get("permissions") or {}).get("id-token") == "write", f"{job_id}: id-token: write for OIDC"


def test_gcp_through_workload_identity_federation(workflow: dict[str, Any]) -> None:
    steps = [(job_id, s) for job_id, _, s in _steps(workflow) if _action(s.get("uses", ""))[0] == GCP_AUTH]
    assert steps
    for _, step in steps:
        inputs = step.get("with") or {}
        for key in ("workload_identity_provider", "service_account"):
            assert re.fullmatch(r"\$\{\{\s*vars\.[A-Z0-9_]+\s*\}\}", str(inputs.get(key, ""))), (key, inputs)


def test_permissions_are_minimal_per_job(workflow: dict[str, Any]) -> None:
    top = workflow.get("permissions")
    assert isinstance(top, dict) and set(top.values()) <= {"read", "none"}, f"workflow permissions: {top}"
    for job_id, job in workflow["jobs"].items():
        permissions = job.get("permissions")
        assert isinstance(permissions, dict), f"{job_id}: explicit permissions, not {permissions!r}"
        writes = {scope for scope, level in permissions.items() if level == "write"}
        expected = set()
        if _uses(job, UPLOAD_SARIF):
            expected.add("security-events")
        if any(_uses(job, action) for action in OIDC_ACTIONS):
            expected.add("id-token")
        assert writes == expected, f"{job_id}: write permissions {sorted(writes)}, needs {sorted(expected)}"


# ---- action versions -----------------------------------------------------------------------------------------


def test_every_action_is_pinned_to_its_current_major(workflow: dict[str, Any]) -> None:
    used = set()
    for job_id, _, step in _steps(workflow):
        if "uses" not in step:
            continue
        name, ref = _action(step["uses"])
        assert name in EXPECTED_MAJORS, f"{job_id}: {step['uses']} is not in EXPECTED_MAJORS (add it with its source)"
        major, source = EXPECTED_MAJORS[name]
        assert ref == major, f"{job_id}: {step['uses']} should be {name}@{major} ({source})"
        used.add(name)
    assert used == set(EXPECTED_MAJORS), (
        f"EXPECTED_MAJORS lists actions the workflow no longer uses: {set(EXPECTED_MAJORS) - used}"
    )
