"""`llmops evidence --format html`: one self-contained page for a person. No script, no network: the style is inline
and every link is to an anchor of the page itself.

At the top, a control-by-stack matrix, each cell coloured by the first verdict in fail, not judged, pass, not
applicable that any of its resources has, with the counts; a cell links to the control's resources on that stack,
with each resource's verdict, the policies that gave it, and their messages or reasons. Every count is also in
the cell's data attributes (data-pass, data-fail, data-not-judged, data-not-applicable, data-in-scope), so a
script can read the page back (tests/test_evidence_cli.py does).
"""

from __future__ import annotations

import re
from html import escape

from llmops_infra.cli.evidence import VERDICT_LABELS, ControlEvidence, Counts, Evidence, StackEvidence
from llmops_infra.policies.runtime.verdicts import Verdict

MARKS: dict[Verdict, str] = {"pass": "✔", "fail": "✘", "not-judged": "?", "not-applicable": "n/a"}
ORDER: tuple[Verdict, ...] = ("fail", "not-judged", "pass", "not-applicable")

STYLE = """
:root { --pass: #1a7f37; --pass-bg: #dafbe1; --fail: #cf222e; --fail-bg: #ffebe9; --nj: #9a6700; --nj-bg: #fff8c5;
  --na: #57606a; --na-bg: #eaeef2; --line: #d0d7de; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem; color: #1f2328; }
h1 { font-size: 1.6rem; margin: 0 0 .5rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid var(--line); }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: .15rem 1rem; margin: 0 0 1rem; }
dl.meta dt { font-weight: 600; } dl.meta dd { margin: 0; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid var(--line); padding: .3rem .55rem; text-align: left; vertical-align: top; }
thead th { background: #f6f8fa; }
table.matrix td { text-align: center; min-width: 7.5rem; font-weight: 600; }
table.matrix td a { color: inherit; text-decoration: none; display: block; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.v-pass { background: var(--pass-bg); color: var(--pass); } .v-fail { background: var(--fail-bg); color: var(--fail); }
.v-not-judged { background: var(--nj-bg); color: var(--nj); }
.v-not-applicable { background: var(--na-bg); color: var(--na); }
.v-none { color: var(--na); }
.legend span { display: inline-block; padding: .1rem .5rem; margin-right: .4rem; border-radius: .3rem; }
details.control { margin: .4rem 0; border-left: .35rem solid var(--line); padding-left: .6rem; }
details.control.v-pass { border-color: var(--pass); } details.control.v-fail { border-color: var(--fail); }
details.control.v-not-judged { border-color: var(--nj); } details.control.v-not-applicable { border-color: var(--na); }
details.control { background: none; color: inherit; }
details summary { cursor: pointer; font-weight: 600; }
td.verdict { font-weight: 600; white-space: nowrap; }
code { font-size: .85em; color: #57606a; word-break: break-all; }
ul.messages { margin: 0; padding-left: 1.1rem; }
"""


def _id(*parts: str) -> str:
    return "--".join(re.sub(r"[^A-Za-z0-9_-]+", "-", p).strip("-") or "x" for p in parts)


def _e(text: str) -> str:
    return escape(text, quote=True)


def _class(counts: Counts) -> str:
    worst = counts.worst
    return f"v-{worst}" if worst is not None else "v-none"


def _data(counts: Counts) -> str:
    return (
        f'data-in-scope="{counts.in_scope}" data-pass="{counts.passed}" data-fail="{counts.failed}" '
        f'data-not-judged="{counts.not_judged}" data-not-applicable="{counts.not_applicable}"'
    )


def _marks(counts: Counts) -> str:
    parts = [f"{MARKS[v]} {counts.of(v)}" for v in ORDER if counts.of(v)]
    return " · ".join(parts) or "0 in scope"


def _meta(evidence: Evidence) -> str:
    commit = evidence.commit or "(not a git checkout)"
    if evidence.dirty:
        commit += " (with uncommitted changes)"
    packs = ", ".join(f"{p.name} {p.version} (pulumi-policy {p.sdk_version or '?'})" for p in evidence.packs)
    config = evidence.policy_config.source or "none: the packs' defaults"
    rows = [
        ("Generated", evidence.generated_at.isoformat()),
        ("Commit", commit),
        ("Tool", f"llmops-infra {evidence.tool_version}"),
        ("Packs", packs or "none"),
        ("Policy config", config),
    ]
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows)
    return f'<dl class="meta">{items}</dl>'


def _legend() -> str:
    spans = "".join(f'<span class="v-{v}">{MARKS[v]} {_e(VERDICT_LABELS[v])}</span>' for v in ORDER)
    return (
        f'<p class="legend">{spans}</p><p>Each cell: the resources in scope of the control on the stack; pass + fail + '
        "not judged + not applicable = in scope. Its colour is the first of fail, not judged, pass, not applicable "
        "that any of them has.</p>"
    )


def _matrix(evidence: Evidence) -> str:
    stacks = [s for s in evidence.stacks if s.controls]
    controls = evidence.control_ids()
    if not stacks or not controls:
        return "<p>No stack was judged by a pack.</p>"
    titles = {c.id: c.title for c in evidence.controls}
    head = "".join(f'<th scope="col"><a href="#{_id("stack", s.stack)}">{_e(s.stack)}</a></th>' for s in stacks)
    rows = []
    for control in controls:
        cells = []
        for stack in stacks:
            cell = evidence.cell(stack, control)
            if cell is None:
                cells.append('<td class="v-none" title="not among this stack\'s packs\' controls">—</td>')
                continue
            counts = cell.counts
            cells.append(
                f'<td class="cell {_class(counts)}" data-stack="{_e(stack.stack)}" data-control="{_e(control)}" '
                f'{_data(counts)}><a href="#{_id(stack.stack, control)}">{_e(_marks(counts))}</a></td>'
            )
        title = _e(titles.get(control, ""))
        rows.append(f'<tr><th scope="row" title="{title}">{_e(control)}</th>{"".join(cells)}</tr>')
    totals = "".join(
        f'<td class="total {_class(s.counts)}" data-stack-total="{_e(s.stack)}" {_data(s.counts)}>'
        f"{_e(_marks(s.counts))}</td>"
        for s in stacks
    )
    rows.append(f'<tr><th scope="row">all controls</th>{totals}</tr>')
    return (
        f'<table class="matrix"><thead><tr><th scope="col">control</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _count_cells(counts: Counts) -> str:
    values = (counts.in_scope, counts.passed, counts.failed, counts.not_judged, counts.not_applicable)
    return "".join(f'<td class="num">{v}</td>' for v in values)


COUNT_HEAD = "<th>in scope</th><th>pass</th><th>fail</th><th>not judged</th><th>not applicable</th>"


def _control(stack: StackEvidence, control: ControlEvidence) -> str:
    counts = control.counts
    rows = []
    for r in control.resources:
        by = "<br>".join(_e(f"{c.pack}/{c.policy}") for c in r.deciding) or "—"
        details = [m for c in r.deciding for m in c.messages] or [c.reason for c in r.deciding if c.reason]
        details = details or ([r.reason] if r.reason else [])
        detail = "<ul class='messages'>" + "".join(f"<li>{_e(d)}</li>" for d in dict.fromkeys(details)) + "</ul>"
        others = [c for c in r.checks if c not in r.deciding]
        if others:
            detail += "<small>also: " + _e(", ".join(f"{c.policy} {VERDICT_LABELS[c.verdict]}" for c in others))
            detail += "</small>"
        rows.append(
            f'<tr class="v-{r.verdict}" data-verdict="{r.verdict}"><td class="verdict v-{r.verdict}">'
            f"{MARKS[r.verdict]} {_e(VERDICT_LABELS[r.verdict])}</td>"
            f"<td>{_e(r.name)}<br><code>{_e(r.urn)}</code></td><td><code>{_e(r.type)}</code></td>"
            f"<td>{by}</td><td>{detail if details or others else '—'}</td></tr>"
        )
    clauses = ", ".join(c.label for c in control.clauses) or "—"
    opened = " open" if counts.failed or counts.not_judged else ""
    table = (
        "<table class='resources'><thead><tr><th>verdict</th><th>resource</th><th>type</th><th>by</th>"
        f"<th>detail</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows
        else "<p>No resource of its types on this stack.</p>"
    )
    return (
        f'<details class="control {_class(counts)}" id="{_id(stack.stack, control.control)}" '
        f'data-stack="{_e(stack.stack)}" data-control="{_e(control.control)}" {_data(counts)}{opened}>'
        f"<summary>{_e(control.control)}: {_e(control.title)} — {_e(_marks(counts))}</summary>"
        f"<p>Clauses: {_e(clauses)}. Policies: {_e(', '.join(control.policies))}.</p>{table}</details>"
    )


def _stack(stack: StackEvidence) -> str:
    head = (
        f'<section class="stack" id="{_id("stack", stack.stack)}"><h2>{_e(stack.stack)}</h2>'
        f"<p>Source: <code>{_e(stack.source)}</code>. {stack.resources} resources. "
        f"Packs: {_e(', '.join(stack.packs) or 'none')}.</p>"
    )
    if not stack.packs:
        return f"{head}<p>Unchecked: no pack judges this stack (<code>llmops:packs: []</code>).</p></section>"
    summary_rows = "".join(
        f'<tr class="{_class(c.counts)}"><th scope="row"><a href="#{_id(stack.stack, c.control)}">{_e(c.control)}</a>'
        f"</th><td>{_e(', '.join(x.label for x in c.clauses) or '—')}</td>{_count_cells(c.counts)}</tr>"
        for c in stack.controls
    )
    summary = (
        f"<table class='summary'><thead><tr><th>control</th><th>clauses</th>{COUNT_HEAD}</tr></thead>"
        f"<tbody>{summary_rows}</tbody></table>"
    )
    clause_rows = "".join(
        f"<tr><th scope='row'>{_e(c.clause.label)}</th><td>{_e(', '.join(c.controls))}</td>"
        f"{_count_cells(c.counts)}</tr>"
        for c in stack.clauses
    )
    clauses = (
        f"<details><summary>By clause ({len(stack.clauses)})</summary><table><thead><tr><th>clause</th>"
        f"<th>controls</th>{COUNT_HEAD}</tr></thead><tbody>{clause_rows}</tbody></table></details>"
        if stack.clauses
        else ""
    )
    controls = "".join(_control(stack, c) for c in stack.controls)
    other = ""
    if stack.other_violations:
        items = "".join(f"<li>{_e(v)}</li>" for v in stack.other_violations)
        other = f"<h3>Violations under no control of the catalog</h3><ul>{items}</ul>"
    return f"{head}{summary}{clauses}{controls}{other}</section>"


def _config(evidence: Evidence) -> str:
    settings = evidence.policy_config.settings
    if not settings:
        return ""
    rows = "".join(
        f"<tr><td>{_e(s.policy)}</td><td>{_e(s.enforcement or '—')}</td><td><code>{_e(s.parameters)}</code></td></tr>"
        for s in settings
    )
    return (
        "<section id='policy-config'><h2>Policy config</h2><table><thead><tr><th>policy</th><th>enforcement level</th>"
        f"<th>parameters</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def render(evidence: Evidence) -> str:
    body = (
        f"<header><h1>llmops evidence</h1>{_meta(evidence)}</header>"
        f"<section id='matrix'><h2>Controls by stack</h2>{_legend()}{_matrix(evidence)}</section>"
        f"{''.join(_stack(s) for s in evidence.stacks)}{_config(evidence)}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>llmops evidence</title><style>{STYLE}</style></head><body>{body}</body></html>\n"
    )
