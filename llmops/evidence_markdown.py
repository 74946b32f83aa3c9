"""`llmops evidence --format markdown`: for a pull request or a wiki page (GitHub-flavoured markdown)."""

from __future__ import annotations

from llmops_infra.cli.check_report import md_cell
from llmops_infra.cli.evidence import VERDICT_LABELS, Counts, Evidence, StackEvidence
from llmops_infra.policies.runtime.verdicts import Verdict

MARKS: dict[Verdict, str] = {"pass": "✅", "fail": "❌", "not-judged": "❔", "not-applicable": "➖"}


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [_row(header), _row(["---"] * len(header)), *(_row(r) for r in rows)]


def _count_cells(counts: Counts) -> list[str]:
    values = (counts.in_scope, counts.passed, counts.failed, counts.not_judged, counts.not_applicable)
    return [str(v) for v in values]


COUNT_HEADER = ["in scope", "pass", "fail", "not judged", "not applicable"]


def _cell(counts: Counts) -> str:
    """A matrix cell: the worst verdict's mark, then each non-zero count."""
    worst = counts.worst
    if worst is None:
        return "0 in scope"
    parts = [f"{MARKS[v]} {counts.of(v)}" for v in ("fail", "not-judged", "pass", "not-applicable") if counts.of(v)]
    return " ".join(parts)


def _header(evidence: Evidence) -> list[str]:
    commit = evidence.commit[:12] if evidence.commit else "(not a git checkout)"
    if evidence.dirty:
        commit += " with uncommitted changes"
    packs = ", ".join(f"{p.name} {p.version}" for p in evidence.packs) or "none"
    config = evidence.policy_config.source or "none (the packs' defaults)"
    lines = [
        "## llmops evidence",
        "",
        f"Generated {evidence.generated_at.isoformat()} from commit {md_cell(commit)} by llmops-infra "
        f"{md_cell(evidence.tool_version)}. Packs: {md_cell(packs)}. Policy config: {md_cell(config)}.",
        "",
        "Verdicts: ✅ pass, ❌ fail, ❔ not judged (a value unknown at preview, a disabled policy, or no rule for the "
        "type yet), ➖ not applicable. Per stack and control, pass + fail + not judged + not applicable = the "
        "resources in scope.",
        "",
    ]
    return lines


def _summary(evidence: Evidence) -> list[str]:
    rows = [
        [
            md_cell(s.stack),
            md_cell(", ".join(s.packs) or "none (unchecked)"),
            str(len(s.controls)),
            *_count_cells(s.counts),
        ]
        for s in evidence.stacks
    ]
    return ["### Stacks", "", *_table(["stack", "packs", "controls", *COUNT_HEADER], rows), ""]


def _matrix(evidence: Evidence) -> list[str]:
    controls = evidence.control_ids()
    if not controls:
        return []
    judged = [s for s in evidence.stacks if s.controls]
    rows = []
    for control in controls:
        cells = []
        for stack in judged:
            cell = evidence.cell(stack, control)
            cells.append(_cell(cell.counts) if cell is not None else "—")
        rows.append([md_cell(control), *cells])
    return ["### Controls by stack", "", *_table(["control", *(md_cell(s.stack) for s in judged)], rows), ""]


def _stack(stack: StackEvidence) -> list[str]:
    lines = [f"### {md_cell(stack.stack)}", "", f"Source: {md_cell(stack.source)}. {stack.resources} resources."]
    if not stack.packs:
        return [*lines, "", "Unchecked: no pack judges this stack (it declares `llmops:packs: []`).", ""]
    lines += ["", *_table(["control", "clauses", *COUNT_HEADER], [
        [md_cell(c.control), md_cell(", ".join(x.label for x in c.clauses) or "-"), *_count_cells(c.counts)]
        for c in stack.controls
    ]), ""]  # fmt: skip
    if stack.clauses:
        lines += ["<details>", f"<summary>By clause ({len(stack.clauses)})</summary>", ""]
        lines += _table(
            ["clause", "controls", *COUNT_HEADER],
            [[md_cell(c.clause.label), md_cell(", ".join(c.controls)), *_count_cells(c.counts)] for c in stack.clauses],
        )
        lines += ["", "</details>", ""]
    for control in stack.controls:
        title = f"{control.control}: {control.title}"
        lines += ["<details>", f"<summary>{md_cell(title)} ({_cell(control.counts)})</summary>", ""]
        lines += _table(
            ["verdict", "resource", "type", "by", "detail"],
            [
                [
                    f"{MARKS[r.verdict]} {VERDICT_LABELS[r.verdict]}",
                    md_cell(r.name),
                    md_cell(r.type),
                    md_cell(", ".join(f"{c.pack}/{c.policy}" for c in r.deciding) or "-"),
                    md_cell(r.detail or "-"),
                ]
                for r in control.resources
            ],
        )
        lines += ["", "</details>", ""]
    if stack.other_violations:
        lines += ["Violations under no control of the catalog:", ""]
        lines += [f"- {md_cell(v)}" for v in stack.other_violations]
        lines.append("")
    return lines


def _config(evidence: Evidence) -> list[str]:
    settings = evidence.policy_config.settings
    if not settings:
        return []
    return [
        "### Policy config",
        "",
        *_table(
            ["policy", "enforcement level", "parameters"],
            [[md_cell(s.policy), md_cell(s.enforcement or "-"), md_cell(s.parameters)] for s in settings],
        ),
        "",
    ]


def render(evidence: Evidence) -> str:
    lines = [*_header(evidence), *_summary(evidence), *_matrix(evidence)]
    for stack in evidence.stacks:
        lines += _stack(stack)
    lines += _config(evidence)
    return "\n".join(lines).rstrip("\n") + "\n"
