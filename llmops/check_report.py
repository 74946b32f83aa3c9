"""What `llmops check` prints: plain text for a terminal or CI log, JSON for scripts, markdown for a PR comment.

All three are written from the same CheckReport and list violations in one stable order (mandatory first, then
by severity, policy and resource), so two runs over the same stacks produce the same bytes and a diff between
two reports shows only what changed. SARIF lives in llmops/sarif.py.
"""

from __future__ import annotations

import re
from typing import Any

from llmops_infra.cli.findings import CheckReport, PolicyDoc, StackResult, Violation

UNCHECKED = "unchecked by choice: the stack declares no packs (llmops:packs: [])"
UNDECLARED = (
    "the stack declares no packs: judged by every shipped pack "
    "(declare them with llmops:packs, or name them with --pack)"
)
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}  # a pack that gives no severity sorts last


def violation_order(violation: Violation) -> tuple[int, int, str, str, str, str]:
    # Pack and message only break ties, so the order never depends on the order the analyzer answered in.
    return (
        0 if violation.mandatory else 1,
        SEVERITY_RANK.get(violation.severity, len(SEVERITY_RANK)),
        violation.policy,
        violation.pack,
        violation.urn,
        violation.message,
    )


def ordered(violations: tuple[Violation, ...]) -> list[Violation]:
    return sorted(violations, key=violation_order)


def advisory_count(stack: StackResult) -> int:
    # Anything that reported and is not mandatory did not block, whatever the pack called its level.
    return len(stack.violations) - stack.mandatory


def totals(report: CheckReport) -> tuple[int, int]:
    mandatory = sum(s.mandatory for s in report.stacks)
    return mandatory, sum(len(s.violations) for s in report.stacks) - mandatory


def fired_policies(report: CheckReport) -> list[PolicyDoc]:
    """The policies behind at least one violation, in violation order, described as GetAnalyzerInfo did.

    A violation whose policy the pack did not describe still gets an entry (from the violation itself), so
    the legend never silently drops a policy that fired.
    """
    docs = {(doc.pack, doc.name): doc for doc in report.policies}
    fired: dict[tuple[str, str], PolicyDoc] = {}
    for violation in ordered(tuple(v for s in report.stacks for v in s.violations)):
        key = (violation.pack, violation.policy)
        if key not in fired:
            fired[key] = docs.get(key) or PolicyDoc.undescribed(violation)
    return list(fired.values())


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def summary_line(report: CheckReport) -> str:
    mandatory, advisory = totals(report)
    return f"{mandatory} mandatory, {advisory} advisory violations in {plural(len(report.stacks), 'stack')}"


def verdict_line(report: CheckReport) -> str:
    mandatory, advisory = totals(report)
    if report.failed:
        return f"FAILED: {plural(mandatory, 'mandatory violation')} must be fixed"
    review = f" ({plural(advisory, 'advisory violation')} to review)" if advisory else ""
    if report.passed:
        return f"PASSED: no mandatory violations{review}" if advisory else "PASSED: no violations"
    # Nothing failed, but not every stack was judged by packs it chose: that is not a pass.
    undeclared = sum(s.status == "undeclared" for s in report.stacks)
    unchecked = sum(s.status == "unchecked" for s in report.stacks)
    gaps = [f"{plural(undeclared, 'stack')} declaring no packs"] if undeclared else []
    gaps += [f"{plural(unchecked, 'stack')} unchecked by choice"] if unchecked else []
    return f"NOT PASSED: no mandatory violations{review}, but {' and '.join(gaps)}"


# --- JSON ---------------------------------------------------------------------------------------------------


def _violation_json(violation: Violation) -> dict[str, Any]:
    return {
        "pack": violation.pack,
        "policy": violation.policy,
        "control": violation.control,
        "clauses": list(violation.clauses),
        "severity": violation.severity,
        "enforcement": violation.enforcement,
        "urn": violation.urn,
        "type": violation.type,
        "name": violation.name,
        "message": violation.message,
    }


def _report_status(report: CheckReport) -> str:
    return "failed" if report.failed else "passed" if report.passed else "not-passed"


def stack_note(stack: StackResult) -> str:
    """Why a stack is not simply passed or failed, for every report format; "" when it is."""
    return {"unchecked": UNCHECKED, "undeclared": UNDECLARED}.get(stack.status, "")


def to_json(report: CheckReport) -> dict[str, Any]:
    """The machine-readable report. The keys of `stacks[].violations[]` are a published contract: add, never rename."""
    mandatory, advisory = totals(report)
    return {
        "passed": report.passed,
        "status": _report_status(report),
        "summary": {"stacks": len(report.stacks), "mandatory": mandatory, "advisory": advisory},
        "stacks": [
            {
                "stack": stack.stack,
                "source": stack.source,
                "resources": stack.resources,
                "packs": list(stack.packs),
                "packSource": stack.pack_source,
                "status": stack.status,
                "passed": stack.status == "passed",
                "mandatory": stack.mandatory,
                "advisory": advisory_count(stack),
                "violations": [_violation_json(v) for v in ordered(stack.violations)],
            }
            for stack in report.stacks
        ],
        "policies": [
            {
                "pack": doc.pack,
                "policy": doc.name,
                "description": doc.description,
                "control": doc.control,
                "clauses": list(doc.clauses),
                "severity": doc.severity,
                "enforcement": doc.enforcement,
                "remediation": doc.remediation,
            }
            for doc in report.policies
        ],
    }


# --- text ---------------------------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    # A report line per violation is what makes the text greppable; a multi-line message would break that.
    return " ".join(text.split())


def _resource(violation: Violation) -> str:
    # Stack policies may report without naming a resource.
    return f"{violation.type} {violation.name}".strip() or "(stack)"


def _text_violation(violation: Violation) -> str:
    policy = f"{violation.pack}/{violation.policy}"
    if violation.control:
        policy += f" [{violation.control}]"
    parts = [
        violation.enforcement.ljust(len("mandatory")),
        (violation.severity or "-").ljust(len("critical")),
        policy,
        ", ".join(violation.clauses) or "-",
        _resource(violation),
        _one_line(violation.message),
    ]
    return "  " + "  ".join(parts)


def to_text(report: CheckReport) -> str:
    lines: list[str] = []
    for stack in report.stacks:
        if not stack.packs:
            # Nothing judged this stack: say so, rather than "no violations", which reads as a pass.
            lines.append(f"stack {stack.stack} ({stack.source}): {plural(stack.resources, 'resource')}, {UNCHECKED}")
            lines.append("")
            continue
        packs = ", ".join(stack.packs)
        lines.append(
            f"stack {stack.stack} ({stack.source}): {plural(stack.resources, 'resource')} analyzed, packs {packs}"
        )
        if stack.status == "undeclared" or (stack.pack_source == "default" and stack.violations):
            lines.append(f"  note: {UNDECLARED}")
        lines.extend(_text_violation(v) for v in ordered(stack.violations))
        if not stack.violations:
            lines.append("  no violations")
        lines.append("")
    lines.append(summary_line(report))
    lines.append(verdict_line(report))
    return "\n".join(lines) + "\n"


# --- markdown -----------------------------------------------------------------------------------------------

# Characters that would end a table cell (|), start HTML (<) or turn a policy message such as
# "Action '*' on Resource '*'" into emphasis, links or code. GFM accepts a backslash before any of them.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_cell(text: str) -> str:
    """Text safe inside one markdown table cell: escaped, and on one line (a raw newline ends the row)."""
    return "<br>".join(md_escape(text).splitlines())


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [_md_row(header), _md_row(["---"] * len(header)), *(_md_row(row) for row in rows)]


def _md_violation(violation: Violation) -> list[str]:
    return [
        md_cell(violation.enforcement),
        md_cell(violation.severity or "-"),
        md_cell(f"{violation.pack}/{violation.policy}"),
        md_cell(violation.control or "-"),
        md_cell(", ".join(violation.clauses) or "-"),
        md_cell(_resource(violation)),
        md_cell(violation.message),
    ]


def to_markdown(report: CheckReport) -> str:
    mandatory, advisory = totals(report)
    title = "❌ failed" if report.failed else "✅ passed" if report.passed else "⚠️ not passed"
    lines = [f"## llmops check: {title}", ""]
    if mandatory + advisory == 0 and report.passed:
        lines.append(f"**No violations** in {plural(len(report.stacks), 'stack')}: every resource complies.")
    else:
        lines.append(f"{summary_line(report)}. {verdict_line(report)}.")
    lines.append("")
    lines += _md_table(
        ["stack", "status", "resources", "packs", "mandatory", "advisory"],
        [
            [
                md_cell(s.stack),
                s.status,
                str(s.resources),
                md_cell(", ".join(s.packs) or "-"),
                str(s.mandatory),
                str(advisory_count(s)),
            ]
            for s in report.stacks
        ],
    )
    for stack in report.stacks:
        lines += ["", f"### {md_cell(stack.stack)}", "", f"Source: {md_cell(stack.source)}", ""]
        note = stack_note(stack) or (UNDECLARED if stack.pack_source == "default" else "")
        if note:
            lines += [f"Note: {md_cell(note[0].upper() + note[1:])}.", ""]
        if not stack.violations:
            lines.append("No violations." if stack.packs else "Not checked.")
            continue
        lines += _md_table(
            ["enforcement", "severity", "policy", "control", "clauses", "resource", "message"],
            [_md_violation(v) for v in ordered(stack.violations)],
        )
    fired = fired_policies(report)
    if fired:
        # A blank line after <summary> and before </details> lets GitHub render the markdown table inside.
        lines += ["", "<details>", f"<summary>Policies that fired ({len(fired)})</summary>", ""]
        lines += _md_table(
            ["policy", "control", "clauses", "severity", "description", "remediation"],
            [
                [
                    md_cell(f"{doc.pack}/{doc.name}"),
                    md_cell(doc.control or "-"),
                    md_cell(", ".join(doc.clauses) or "-"),
                    md_cell(doc.severity or "-"),
                    md_cell(doc.description or "-"),
                    md_cell(doc.remediation or "-"),
                ]
                for doc in fired
            ],
        )
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"
