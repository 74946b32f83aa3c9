"""The `llmops` command line. Exit codes: 0 fine, 1 a mandatory violation, 2 wrong input (message only).

A pack that cannot start or fails while judging also exits 2 with its message: the check could not be made.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from llmops_infra.cli import check_report, preview_report, sarif, state
from llmops_infra.cli.analyzer_host import PolicyPackError
from llmops_infra.cli.check import Target, check, read_policy_config
from llmops_infra.cli.findings import CheckReport
from llmops_infra.cli.mock_outputs import UnsupportedInvoke
from llmops_infra.cli.packs import distribution_version, pack_dir
from llmops_infra.cli.program import run_stack
from llmops_infra.cli.stackfile import InputError, Stack, all_stacks, resolve
from llmops_infra.components.spec import SpecError
from llmops_infra.stacks.config import PLATFORM_KEY, platform_from_config

REPORT_FORMATS = ("text", "json", "sarif", "markdown")

EXIT_OK, EXIT_VIOLATION, EXIT_INPUT = 0, 1, 2


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # raises instead of exiting, so main() decides the exit code
        raise UsageError(f"{message}\n{self.format_usage().strip()}")


def _write(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot write: {error.strerror or error}") from None


def cmd_preview(args: argparse.Namespace) -> int:
    stack = resolve(args.stack)
    recording = run_stack(stack)
    if args.export:
        _write(args.export, json.dumps(state.to_export(recording), indent=2) + "\n")
    if args.format == "json":
        print(json.dumps(preview_report.to_json(stack, recording), indent=2))
    else:
        print(preview_report.to_text(stack, recording), end="")
        if args.export:
            print(f"Wrote the stack export to {args.export}")
    return EXIT_OK


def _declared_packs(stack: Stack) -> tuple[str, ...]:
    """The packs a stack makes mandatory for itself: its platform config's `compliance` list."""
    if PLATFORM_KEY not in stack.settings.config:
        return ()
    return tuple(platform_from_config(stack.settings.get, source=stack.display_file).compliance)


def _stack_target(stack: Stack, packs: Sequence[str]) -> Target:
    recording = run_stack(stack)
    names = packs or _declared_packs(stack)
    settings = stack.settings
    return Target(
        stack=stack.name,
        source=stack.display_file,
        project=settings.project,
        resources=recording.resources,
        packs=[pack_dir(n) for n in names],
        # Secret values never leave this process, not even to a pack.
        config={k: v for k, v in settings.config.items() if k not in settings.secret_keys},
    )


def _policy_config(args: argparse.Namespace) -> dict[str, Any]:
    return read_policy_config(Path(args.policy_config)) if args.policy_config else {}


def _report(args: argparse.Namespace, targets: Sequence[Target], config: dict[str, Any]) -> int:
    report = check(targets, config, args.policy_config or "")
    text = _render(report, args.format)
    if args.output:
        _write(args.output, text)
        print(f"{check_report.summary_line(report)}; wrote the {args.format} report to {args.output}")
    else:
        print(text, end="" if text.endswith("\n") else "\n")
    return EXIT_OK if report.passed else EXIT_VIOLATION


def _render(report: CheckReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(check_report.to_json(report), indent=2) + "\n"
    if fmt == "sarif":
        return json.dumps(sarif.to_sarif(report, tool_version=distribution_version()), indent=2) + "\n"
    if fmt == "markdown":
        return check_report.to_markdown(report)
    return check_report.to_text(report)


def cmd_check(args: argparse.Namespace) -> int:
    if args.all and args.stacks:
        raise UsageError("give stacks or --all, not both")
    if not (args.all or args.stacks):
        raise UsageError("name the stacks to check, or --all")
    for name in args.pack:
        pack_dir(name)  # an unknown pack is wrong input: say so before running any program
    config = _policy_config(args)
    stacks = all_stacks() if args.all else [resolve(s) for s in args.stacks]
    return _report(args, [_stack_target(s, args.pack) for s in stacks], config)


def cmd_analyze(args: argparse.Namespace) -> int:
    config = _policy_config(args)
    exported = state.read_export(Path(args.state))
    names = args.pack or ["hipaa", "gdpr"]
    target = Target(
        stack=exported.stack or Path(args.state).stem,
        source=args.state,
        project=exported.project,
        resources=exported.resources,
        packs=[pack_dir(n) for n in names],
        config={},  # an export carries no config: rules read regions from the providers it holds
    )
    return _report(args, [target], config)


def _report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pack",
        action="append",
        default=[],
        metavar="NAME",
        help="a pack to run (hipaa, gdpr or a pack directory); repeatable; replaces the packs the stack declares",
    )
    parser.add_argument("--policy-config", metavar="FILE", help="a --policy-pack-config JSON file for the packs")
    parser.add_argument("--format", choices=REPORT_FORMATS, default="text")
    parser.add_argument("--output", metavar="FILE", help="write the report here instead of standard output")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="llmops", description="Offline previews and compliance checks of llmops-infra stacks.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    preview = commands.add_parser("preview", help="run a stack's program offline and show what it would create")
    preview.add_argument("stack", help="an environment name from configs/ or a path to a Pulumi.<stack>.yaml")
    preview.add_argument("--format", choices=("text", "json"), default="text")
    preview.add_argument("--export", metavar="FILE", help="also write the result as a `pulumi stack export` file")
    preview.set_defaults(handler=cmd_preview)

    check_cmd = commands.add_parser("check", help="run the stacks offline and check them against policy packs")
    check_cmd.add_argument("stacks", nargs="*", metavar="STACK", help="environment names or Pulumi.<stack>.yaml paths")
    check_cmd.add_argument("--all", action="store_true", help="every stack in configs/")
    _report_options(check_cmd)
    check_cmd.set_defaults(handler=cmd_check)

    analyze = commands.add_parser("analyze", help="check a `pulumi stack export` file against policy packs")
    analyze.add_argument("--state", required=True, metavar="FILE", help="the export (pulumi stack export > FILE)")
    _report_options(analyze)
    analyze.set_defaults(handler=cmd_analyze)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except (UsageError, InputError, SpecError, UnsupportedInvoke, PolicyPackError) as error:
        print(f"llmops: {error}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # a failing stack program: say what failed; the traceback only on request
        if os.environ.get("LLMOPS_DEBUG"):
            traceback.print_exc()
        print(
            f"llmops: the stack program failed: {type(error).__name__}: {error}\n"
            "(set LLMOPS_DEBUG=1 to see the traceback)",
            file=sys.stderr,
        )
        return EXIT_INPUT


if __name__ == "__main__":
    sys.exit(main())
