"""`llmops check --format github`: every finding as a GitHub Actions workflow annotation, for teams that do not use
code scanning. Printed in a workflow step (`cat` of the report, or the check itself), each line becomes an
annotation on the file and line that created the resource; they need no token, so pull requests from forks show
them too.

`::error file=F,line=L,title=T::message`, as GitHub's workflow commands take it (actions/toolkit command.ts): in the
message `%`, CR and LF are written %25, %0D and %0A; in a property also `:` and `,` (%3A, %2C). The level: a
mandatory violation is an error, an advisory one a warning, or a notice when its severity is low or unknown.
The file and line are the finding's own location (llmops/locations.py), else the stack's file, line 1; the lines
that called the code and the config key the value came from are named in the message, as an annotation has one
place. GitHub shows at most 10 annotations of each level per step (and 50 per job), so findings are written
most severe first; the reports in other formats hold every one.
"""

from __future__ import annotations

from llmops_infra.cli.check_report import SEVERITY_RANK, summary_line, verdict_line, violation_order
from llmops_infra.cli.findings import CheckReport, StackResult, Violation


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def level(violation: Violation) -> str:
    if violation.mandatory:
        return "error"
    return "warning" if SEVERITY_RANK.get(violation.severity, 3) < SEVERITY_RANK["low"] else "notice"


def _message(stack: StackResult, violation: Violation) -> str:
    text = " ".join(violation.message.split()) or violation.policy
    resource = f"{violation.type} {violation.name}".strip() if violation.urn else ""
    text += f" (resource {resource}, stack {stack.stack})" if resource else f" (stack {stack.stack})"
    calls = [f"{w.file}:{w.line}" for w in violation.locations[1:] if w.kind != "config"]
    values = [f"{w.key} ({w.file}:{w.line})" for w in violation.locations[1:] if w.kind == "config"]
    if calls:
        text += f"; called from {', '.join(calls)}"
    if values:
        text += f"; value from {', '.join(values)}"
    return text


def annotation(stack: StackResult, violation: Violation) -> str:
    own = violation.locations[0] if violation.locations else None
    file, line = (own.file, own.line) if own else (stack.source.replace("\\", "/"), 1)
    title = f"{violation.pack}/{violation.policy}"
    if violation.control:
        title += f" [{violation.control}]"
    properties = f"file={escape_property(file)},line={line},title={escape_property(title)}"
    return f"::{level(violation)} {properties}::{escape_data(_message(stack, violation))}"


def to_annotations(report: CheckReport) -> str:
    """One annotation per violation, most severe first over all stacks, then the summary as plain log lines."""
    found = [(i, stack, v) for i, stack in enumerate(report.stacks) for v in stack.violations]
    found.sort(key=lambda item: (*violation_order(item[2])[:2], item[0], *violation_order(item[2])[2:]))
    lines = [annotation(stack, v) for _, stack, v in found]
    lines += [summary_line(report), verdict_line(report)]
    return "\n".join(lines) + "\n"
