"""The `llmops` command line. Exit codes: 0 fine, 1 a mandatory violation, 2 wrong input (message only).

A pack that cannot start or fails while judging also exits 2 with its message: the check could not be made.

Each command imports what it needs when it runs: `llmops --help` or a wrong command line never loads the cloud
SDKs, gRPC or the stack configuration models (tests/test_cli_startup.py).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from llmops_infra.cli import packs, timing
from llmops_infra.cli.stackfile import InputError, Stack, all_stacks, resolve

if TYPE_CHECKING:
    from llmops_infra.cli.check import Target
    from llmops_infra.cli.findings import CheckReport
    from llmops_infra.cli.recording import Registration


def run_stack(stack: Stack) -> Any:
    """The stack's program run offline (llmops_infra.cli.program.run_stack; a name the tests can replace)."""
    from llmops_infra.cli.program import run_stack as run

    return run(stack)


def start_servers(stacks: Sequence[Stack]) -> None:
    """The stacks' fork servers start importing while llmops imports the rest of a check or evidence run.

    Only for the first projects that fit (fork_servers.MAX_PROJECTS): a server started for a later project would
    push out one that is about to be used, and be started again when its own stacks run."""
    from llmops_infra.cli import fork_servers, program

    first = list(dict.fromkeys(stack.project.root for stack in stacks))[: fork_servers.MAX_PROJECTS]
    for stack in stacks:
        if stack.project.root in first:
            with contextlib.suppress(InputError):  # said in its place, when the stack runs
                program.start_server(stack)


REPORT_FORMATS = ("text", "json", "sarif", "markdown", "github")
# An --output without its own --format takes the format from the file's extension.
FORMAT_BY_SUFFIX = {".txt": "text", ".json": "json", ".sarif": "sarif", ".md": "markdown", ".markdown": "markdown"}

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
    from llmops_infra.cli import preview_report, state

    stack = resolve(args.stack, stack=args.stack_name)
    recording = run_stack(stack)
    for warning in recording.warnings:
        print(f"llmops: warning: {warning}", file=sys.stderr)
    if args.export:
        _write(args.export, json.dumps(state.to_export(recording), indent=2) + "\n")
    if args.format == "json":
        print(json.dumps(preview_report.to_json(stack, recording), indent=2))
    else:
        print(preview_report.to_text(stack, recording), end="")
        if args.export:
            print(f"Wrote the stack export to {args.export}")
    return EXIT_OK


def _planned_target(stack: Stack, requested: Sequence[str]) -> Target:
    """The stack's target before its program has run: which packs judge it, with what config."""
    from llmops_infra.cli.check import Target
    from llmops_infra.cli.locations import Locator

    chosen = packs.stack_packs(stack, requested)  # a bad declaration is wrong input: before the program runs
    settings = stack.settings
    return Target(
        stack=stack.name,
        source=stack.display_file,
        project=settings.project,
        resources=(),
        packs=[packs.pack_dir(n) for n in chosen.names],
        # Secret values never leave this process, not even to a pack.
        config={k: v for k, v in settings.config.items() if k not in settings.secret_keys},
        pack_source=chosen.source,
        locator=Locator(
            stack.project.root,
            config=settings.config,
            secret_keys=settings.secret_keys,
            config_files=[stack.file, stack.project.file],
            project=settings.project,
        ),
    )


def _program_resources(stack: Stack) -> Sequence[Registration]:
    with timing.span("program", stack.name):
        recording = run_stack(stack)
    for warning in recording.warnings:
        print(f"llmops: warning: {stack.name}: {warning}", file=sys.stderr)
    return recording.resources


def _jobs(args: argparse.Namespace) -> int:
    """How many processes may run at once: --jobs, else LLMOPS_JOBS, else the CPUs this process may use."""
    if args.jobs is not None:
        return int(args.jobs)
    raw = os.environ.get("LLMOPS_JOBS", "")
    if raw:
        try:
            jobs = int(raw)
        except ValueError:
            jobs = 0
        if jobs < 1:
            raise UsageError(f"LLMOPS_JOBS={raw}: give a whole number of at least 1")
        return jobs
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of at least 1")
    return value


def _policy_config(args: argparse.Namespace) -> dict[str, Any]:
    if not args.policy_config:
        return {}
    from llmops_infra.cli.check import read_policy_config

    return read_policy_config(Path(args.policy_config))


def _report_files(args: argparse.Namespace) -> list[tuple[str, str | None]]:
    """(format, file) pairs from repeated --format/--output; file None is standard output."""
    formats, outputs = args.format or [], args.output or []
    if not outputs:
        if len(formats) > 1:
            raise UsageError("only one report can go to standard output: give an --output FILE for each --format")
        return [(formats[0] if formats else "text", None)]
    if not formats:
        pairs = []
        for output in outputs:
            fmt = FORMAT_BY_SUFFIX.get(Path(output).suffix.lower())
            if fmt is None:
                known = ", ".join(FORMAT_BY_SUFFIX)
                raise UsageError(f"--output {output}: give its --format, or a file ending in {known}")
            pairs.append((fmt, output))
        return pairs
    if len(formats) != len(outputs):
        raise UsageError(
            f"{len(formats)} --format for {len(outputs)} --output: give one --format per --output, in order "
            "(or none, to take each format from the file's extension)"
        )
    return list(zip(formats, outputs, strict=True))


def _report(args: argparse.Namespace, report: CheckReport) -> int:
    from llmops_infra.cli import check_report

    files = _report_files(args)
    written = []
    with timing.span("report"):
        for fmt, output in files:
            text = _render(report, fmt)
            if output is None:
                print(text, end="" if text.endswith("\n") else "\n")
            else:
                _write(output, text)
                written.append(f"the {fmt} report to {output}")
    if written:
        print(f"{check_report.summary_line(report)}; {check_report.verdict_line(report)}; wrote {', '.join(written)}")
    return EXIT_VIOLATION if report.failed else EXIT_OK


def _render(report: CheckReport, fmt: str) -> str:
    from llmops_infra.cli import check_report, github, sarif

    if fmt == "json":
        return json.dumps(check_report.to_json(report), indent=2) + "\n"
    if fmt == "sarif":
        return json.dumps(sarif.to_sarif(report, tool_version=packs.distribution_version()), indent=2) + "\n"
    if fmt == "markdown":
        return check_report.to_markdown(report)
    if fmt == "github":
        return github.to_annotations(report)
    return check_report.to_text(report)


def cmd_check(args: argparse.Namespace) -> int:
    if args.all and args.stacks:
        raise UsageError("give stacks or --all, not both")
    if not (args.all or args.stacks):
        raise UsageError("name the stacks to check, or --all")
    if args.stack_name and (args.all or len(args.stacks) != 1):
        raise UsageError("--stack NAME goes with one project directory")
    for name in args.pack:
        packs.pack_dir(name)  # an unknown pack is wrong input: say so before running any program
    _report_files(args)
    jobs = _jobs(args)
    config = _policy_config(args)
    stacks = all_stacks() if args.all else [resolve(s, stack=args.stack_name) for s in args.stacks]
    start_servers(stacks)
    from llmops_infra.cli.check import check_stacks

    plan = lambda stack: _planned_target(stack, args.pack)  # noqa: E731
    return _report(args, check_stacks(stacks, plan, _program_resources, config, args.policy_config or "", jobs))


def cmd_analyze(args: argparse.Namespace) -> int:
    from llmops_infra.cli import state
    from llmops_infra.cli.check import Target, check
    from llmops_infra.cli.locations import Locator, project_root_of

    jobs = _jobs(args)
    config = _policy_config(args)
    with timing.span("read", args.state):
        exported = state.read_export(Path(args.state))
    names = args.pack or list(packs.available_packs())
    _report_files(args)
    target = Target(
        stack=exported.stack or Path(args.state).stem,
        source=args.state,
        project=exported.project,
        resources=exported.resources,
        packs=[packs.pack_dir(n) for n in names],
        config={},  # an export carries no config: rules read regions from the providers it holds
        pack_source="requested" if args.pack else "default",
        # An export's positions are relative to its project's directory: the Pulumi project here, if any.
        locator=Locator(project_root_of(Path.cwd())),
    )
    return _report(args, check([target], config, args.policy_config or "", jobs))


def _stacks_and_packs(parser: argparse.ArgumentParser) -> None:
    """The stacks a command runs and the packs that judge them, as `check` and `evidence` both read them."""
    parser.add_argument(
        "stacks", nargs="*", metavar="STACK", help="stack names, Pulumi.<stack>.yaml paths, or a project directory"
    )
    parser.add_argument("--all", action="store_true", help="every stack of the current project")
    _stack_option(parser)
    _pack_options(parser)


def _pack_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pack",
        action="append",
        default=[],
        metavar="NAME",
        help="a pack to run (hipaa, gdpr or a pack directory); repeatable; replaces the packs the stack declares",
    )
    parser.add_argument("--policy-config", metavar="FILE", help="a --policy-pack-config JSON file for the packs")


def _report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        action="append",
        choices=REPORT_FORMATS,
        help="report format (default text; github: GitHub workflow annotations); repeatable, one per --output, to "
        "write several reports from one run",
    )
    parser.add_argument(
        "--output",
        action="append",
        metavar="FILE",
        help="write a report here instead of standard output; repeatable; without --format, from the extension "
        "(.sarif, .md, .json, .txt)",
    )
    parser.add_argument(
        "--jobs",
        type=_positive,
        metavar="N",
        help="processes to run at once: stack programs side by side, a large stack split between processes of a "
        "pack (default: LLMOPS_JOBS, else the usable CPUs); 1 runs everything one after the other; the reports "
        "are the same either way",
    )


def cmd_pack_path(args: argparse.Namespace) -> int:
    print(packs.shipped_pack(args.name))
    return EXIT_OK


def cmd_pack_build(args: argparse.Namespace) -> int:
    built = packs.build(args.name, Path(args.outdir))
    print(f"wrote pack {args.name} {packs.distribution_version()} to {built}; publish it with: pulumi policy publish")
    return EXIT_OK


def _stack_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stack", dest="stack_name", metavar="NAME", help="the stack, when STACK is a project directory"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="llmops", description="Offline previews and compliance checks of llmops-infra stacks.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    preview = commands.add_parser("preview", help="run a stack's program offline and show what it would create")
    preview.add_argument(
        "stack", help="a stack of the current project, a path to a Pulumi.<stack>.yaml, or a project directory"
    )
    _stack_option(preview)
    preview.add_argument("--format", choices=("text", "json"), default="text")
    preview.add_argument("--export", metavar="FILE", help="also write the result as a `pulumi stack export` file")
    preview.set_defaults(handler=cmd_preview)

    check_cmd = commands.add_parser("check", help="run the stacks offline and check them against policy packs")
    _stacks_and_packs(check_cmd)
    _report_options(check_cmd)
    check_cmd.set_defaults(handler=cmd_check)

    analyze = commands.add_parser("analyze", help="check a `pulumi stack export` file against policy packs")
    analyze.add_argument("--state", required=True, metavar="FILE", help="the export (pulumi stack export > FILE)")
    _pack_options(analyze)
    _report_options(analyze)
    analyze.set_defaults(handler=cmd_analyze)

    from llmops_infra.cli import evidence_cli  # the command's declaration only: what it runs is imported when it runs

    evidence_cli.add_command(commands, _stacks_and_packs)

    pack = commands.add_parser("pack", help="the shipped policy packs, for the Pulumi CLI and Pulumi Cloud")
    pack_commands = pack.add_subparsers(dest="pack_command", required=True, parser_class=_Parser)
    path = pack_commands.add_parser("path", help="print a shipped pack's directory (for pulumi --policy-pack)")
    shipped = "|".join(packs.available_packs())
    path.add_argument("name", metavar=shipped, help="a shipped pack")
    path.set_defaults(handler=cmd_pack_path)
    build = pack_commands.add_parser("build", help="write a self-contained pack directory (for pulumi policy publish)")
    build.add_argument("name", metavar=shipped, help="a shipped pack")
    build.add_argument("outdir", help="a new or empty directory")
    build.set_defaults(handler=cmd_pack_build)
    return parser


# Reading and encoding a large export makes millions of objects and no garbage: with the default thresholds the
# collector rescans the growing heap over and over (half the time of reading a 100,000-resource export).
GC_THRESHOLDS = (10_000, 50, 100)


def main(argv: Sequence[str] | None = None) -> int:
    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        return _main(argv)
    finally:
        gc.set_threshold(*thresholds)
        timing.write()


def _main(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except (UsageError, InputError) as error:
        print(f"llmops: {error}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # a failing stack program: say what failed; the traceback only on request
        if _is(error, "llmops_infra.components.spec", "SpecError") or _is(
            error, "llmops_infra.cli.analyzer_host", "PolicyPackError"
        ):
            print(f"llmops: {error}", file=sys.stderr)
            return EXIT_INPUT
        if _is(error, "llmops_infra.cli.program", "ProgramError"):
            if os.environ.get("LLMOPS_DEBUG"):
                print(error.traceback, file=sys.stderr)  # type: ignore[attr-defined]
            print(
                f"llmops: the stack program failed: {error}\n(set LLMOPS_DEBUG=1 to see the traceback)", file=sys.stderr
            )
            return EXIT_INPUT
        if os.environ.get("LLMOPS_DEBUG"):
            traceback.print_exc()
        print(
            f"llmops: the stack program failed: {type(error).__name__}: {error}\n"
            "(set LLMOPS_DEBUG=1 to see the traceback)",
            file=sys.stderr,
        )
        return EXIT_INPUT


def _is(error: BaseException, module: str, name: str) -> bool:
    """`isinstance(error, module.name)` without importing the module: an error of a module never imported cannot
    have been raised (so `llmops --help` needs none of them)."""
    loaded = sys.modules.get(module)
    kind = getattr(loaded, name, None) if loaded is not None else None
    return isinstance(kind, type) and isinstance(error, kind)


if __name__ == "__main__":
    sys.exit(main())
