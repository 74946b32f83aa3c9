"""Drive a stack's packs for `llmops evidence`: as `llmops check` drives them (started as the Pulumi CLI starts them,
configured from --policy-config, Analyze per resource, then AnalyzeStack), keeping every answer, not only the
violations: the `not_applicable` entries are what "not judged" and "not applicable" come from.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from llmops_infra.cli.analyzer_host import Answers, PolicyPackHost, analyze_call, analyze_stack_payload
from llmops_infra.cli.check import (
    PackProcesses,
    Target,
    config_for_pack,
    enforcement_levels,
    policy_docs,
    resource_inputs,
    stack_context,
)
from llmops_infra.cli.evidence import PackRun, ResourceRef, StackEvidence, stack_evidence
from llmops_infra.cli.stackfile import InputError


def _answers(host: PolicyPackHost, calls: Sequence[Any], stack: bytes) -> Answers:
    each = host.answer_each(calls)
    whole = host.answer_stack(stack)
    return Answers(each.diagnostics + whole.diagnostics, each.not_applicable + whole.not_applicable)


def run_packs(target: Target, config: Mapping[str, Any]) -> list[PackRun]:
    """Every pack of the target over its resources, one process each, side by side."""
    if not target.packs:
        return []
    inputs = resource_inputs(target.resources)  # secret values stay unknown: no pack, and no report, sees them
    calls = [analyze_call(r) for r in inputs]
    stack = analyze_stack_payload(calls)
    with PackProcesses(target.packs, stack_context(target)) as processes:
        hosts = [group[0] for group in processes.groups()]
        infos = [host.info() for host in hosts]
        for host, info in zip(hosts, infos, strict=True):
            host.configure(config_for_pack(config, info))
        with ThreadPoolExecutor(max_workers=len(hosts), thread_name_prefix="llmops-evidence") as pool:
            answers = list(pool.map(lambda h: _answers(h, calls, stack), hosts))
    return [
        PackRun(
            info, enforcement_levels(config, info), found, tuple(policy_docs(info, enforcement_levels(config, info)))
        )
        for info, found in zip(infos, answers, strict=True)
    ]


def evidence_of(target: Target, config: Mapping[str, Any]) -> tuple[StackEvidence, list[PackRun]]:
    runs = run_packs(target, config)
    resources = [ResourceRef(r.urn, r.type, r.name) for r in target.resources]
    return stack_evidence(target.stack, target.source, target.pack_source, resources, runs), runs


# ---- when, and from which commit -------------------------------------------------------------------------------


def generated_at(environ: Mapping[str, str]) -> datetime:
    """Now, or SOURCE_DATE_EPOCH (seconds since 1970, UTC) when set: the same inputs then give the same bytes."""
    raw = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return datetime.now(timezone.utc).replace(microsecond=0)
    try:
        return datetime.fromtimestamp(int(raw), timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise InputError(f"SOURCE_DATE_EPOCH={raw}: give whole seconds since 1970-01-01 UTC") from None


def commit_of(directory: Path) -> tuple[str, bool | None]:
    """The checked-out commit of the repository holding `directory` and whether tracked files differ from it;
    ("", None) outside a git checkout (or without git)."""

    def git(*argv: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *argv], cwd=directory, capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    sha = git("rev-parse", "HEAD")
    if not sha:
        return "", None
    status = git("status", "--porcelain", "--untracked-files=no")
    return sha.strip(), None if status is None else bool(status.strip())
