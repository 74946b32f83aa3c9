"""`llmops evidence [STACK ...] [--all] [--format json|markdown|html|oscal] [--output FILE]`: what an auditor asks for.

Stacks, --pack and --policy-config are read as `llmops check` reads them; each stack's program runs offline and its
packs judge it through the analyzer protocol (evidence_run.py); the evidence (evidence.py) is written in one
format. Exit codes as for `check`: 0 no mandatory failure, 1 at least one, 2 wrong input (a message, never a
traceback). This module only declares the command: what it runs is imported when it runs, so `llmops --help`
loads none of it (nor compliance-trestle).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmops_infra.cli import packs
from llmops_infra.cli.stackfile import InputError, all_stacks, resolve

if TYPE_CHECKING:
    from llmops_infra.cli.evidence import Evidence

FORMATS = ("json", "markdown", "html", "oscal")
DEFAULT_FORMAT = "markdown"
BY_SUFFIX = {".json": "json", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}


def add_command(commands: Any, stacks_and_packs: Callable[[argparse.ArgumentParser], None]) -> None:
    """The `evidence` subcommand, on the `llmops` parser's subcommands; `stacks_and_packs` adds the stack and pack
    arguments as `check` has them."""
    evidence = commands.add_parser(
        "evidence",
        help="per control and clause: every resource in scope with its verdict, for an audit",
        description="Run the stacks offline and write, per control and clause, every resource in scope with its "
        "verdict (pass, fail, not judged, not applicable) and the policy that gave it.",
    )
    stacks_and_packs(evidence)
    evidence.add_argument(
        "--format",
        choices=FORMATS,
        help=f"json, markdown, html (one self-contained page) or oscal (OSCAL Assessment Results); default: from "
        f"the --output extension (.json, .md, .html), else {DEFAULT_FORMAT}",
    )
    evidence.add_argument("--output", metavar="FILE", help="write the evidence here instead of standard output")
    evidence.set_defaults(handler=cmd_evidence)


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    if args.output:
        name = Path(args.output).name.lower()
        if name.endswith(".oscal.json"):
            return "oscal"
        return BY_SUFFIX.get(Path(name).suffix, DEFAULT_FORMAT)
    return DEFAULT_FORMAT


def _writable(output: str) -> None:
    """Refuse an --output that cannot be written before any program runs (it would be refused after)."""
    path = Path(output)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise InputError(f"--output {output}: is a directory; give a file")
    if not parent.is_dir():
        raise InputError(f"--output {output}: cannot write: no directory {parent}")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InputError(f"--output {output}: cannot write: permission denied")


def render(evidence: Evidence, fmt: str) -> str:
    if fmt == "json":
        from llmops_infra.cli import evidence_json

        return evidence_json.render(evidence)
    if fmt == "html":
        from llmops_infra.cli import evidence_html

        return evidence_html.render(evidence)
    if fmt == "oscal":
        try:
            from llmops_infra.cli import evidence_oscal
        except ImportError as error:  # the optional extra is not installed
            raise InputError(
                f"--format oscal needs compliance-trestle ({error.name or error}): pip install 'llmops-infra[evidence]'"
            ) from None
        return evidence_oscal.render(evidence)
    from llmops_infra.cli import evidence_markdown

    return evidence_markdown.render(evidence)


def cmd_evidence(args: argparse.Namespace) -> int:
    from llmops_infra.cli import main as cli

    if args.all and args.stacks:
        raise cli.UsageError("give stacks or --all, not both")
    if not (args.all or args.stacks):
        raise cli.UsageError("name the stacks to gather evidence for, or --all")
    if args.stack_name and (args.all or len(args.stacks) != 1):
        raise cli.UsageError("--stack NAME goes with one project directory")
    for name in args.pack:
        packs.pack_dir(name)  # an unknown pack is wrong input: say so before running any program
    fmt = _format(args)
    if args.output:
        _writable(args.output)

    config = cli._policy_config(args)
    stacks = all_stacks() if args.all else [resolve(s, stack=args.stack_name) for s in args.stacks]
    cli.start_servers(stacks)

    from llmops_infra.cli import evidence_run
    from llmops_infra.cli.check import check_config, pack_infos
    from llmops_infra.cli.evidence import Evidence, PackRef, PolicyConfigUsed, policy_settings
    from llmops_infra.policies.runtime.controls import CONTROLS

    when = evidence_run.generated_at(os.environ)
    planned = [cli._planned_target(stack, args.pack) for stack in stacks]  # bad declarations: before any program
    pack_dirs = list(dict.fromkeys(p for t in planned for p in t.packs))
    if config and pack_dirs:
        check_config(config, pack_infos(pack_dirs), args.policy_config)
    judged = []
    for stack, target in zip(stacks, planned, strict=True):
        judged.append(evidence_run.evidence_of(replace(target, resources=cli._program_resources(stack)), config))
    runs = [run for _, found in judged for run in found]
    pack_refs = {run.info.name: PackRef(run.info.name, run.info.version, run.info.plugin_version) for run in runs}
    docs = {(d.pack, d.name): d for run in runs for d in run.docs}
    commit, dirty = evidence_run.commit_of(stacks[0].project.root if stacks else Path.cwd())
    evidence = Evidence(
        generated_at=when,
        commit=commit,
        dirty=dirty,
        tool_version=packs.distribution_version(),
        packs=tuple(pack_refs.values()),
        policy_config=PolicyConfigUsed(args.policy_config or "", policy_settings(config)),
        policies=tuple(docs.values()),
        controls=tuple(CONTROLS.values()),
        stacks=tuple(s for s, _ in judged),
    )
    text = render(evidence, fmt)
    if args.output:
        cli._write(args.output, text)
        from llmops_infra.cli.check_report import plural

        counts = evidence.counts
        print(
            f"{plural(len(evidence.stacks), 'stack')}, {counts.in_scope} (control, resource) verdicts: "
            f"{counts.passed} pass, {counts.failed} fail, {counts.not_judged} not judged, "
            f"{counts.not_applicable} not applicable; "
            f"wrote the {fmt} evidence to {args.output}"
        )
    else:
        sys.stdout.write(text)
    return cli.EXIT_VIOLATION if evidence.failed else cli.EXIT_OK
