"""The `llmops` command line. Exit codes: 0 fine, 1 a mandatory violation, 2 wrong input (message only)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from components.spec import SpecError
from llmops import preview_report, state
from llmops.mock_outputs import UnsupportedInvoke
from llmops.program import run_stack
from llmops.stackfile import InputError, resolve

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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="llmops", description="Offline previews and compliance checks of llmops-infra stacks.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    preview = commands.add_parser("preview", help="run a stack's program offline and show what it would create")
    preview.add_argument("stack", help="an environment name from configs/ or a path to a Pulumi.<stack>.yaml")
    preview.add_argument("--format", choices=("text", "json"), default="text")
    preview.add_argument("--export", metavar="FILE", help="also write the result as a `pulumi stack export` file")
    preview.set_defaults(handler=cmd_preview)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except (UsageError, InputError, SpecError, UnsupportedInvoke) as error:
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
