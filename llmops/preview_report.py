"""What `llmops preview` shows: the resource tree with a capacity summary (text), or the same as JSON.

Every value passes through wire.redact: secrets never appear, unknowns read "(known after apply)".
"""

from __future__ import annotations

import json
from typing import Any

from llmops_infra.cli.recording import STACK_TYPE, Recording, Registration
from llmops_infra.cli.stackfile import Stack
from llmops_infra.cli.wire import redact

CAPACITY_COLUMNS = (
    ("pool", "pool"),
    ("instance type", "instance_type"),
    ("accelerator", "accelerator"),
    ("per node", "accelerators_per_node"),
    ("min", "min"),
    ("desired", "desired"),
    ("max", "max"),
    ("total at max", "total_at_max"),
)
# Shown only when a pool has one (TPU slices), after the accelerator.
TOPOLOGY_COLUMN = ("topology", "topology")


def capacity(recording: Recording) -> list[dict[str, Any]]:
    value = redact(recording.stack_outputs.get("capacity", []))
    return value if isinstance(value, list) else []


def warnings(recording: Recording) -> list[str]:
    return [
        f"pool {row['pool']}: the catalog marks {row['instance_type']} as unverified; confirm its accelerator count"
        for row in capacity(recording)
        if row.get("verified") is False
    ]


def to_json(stack: Stack, recording: Recording) -> dict[str, Any]:
    return {
        "project": recording.settings.project,
        "stack": recording.settings.stack,
        "file": stack.display_file,
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "parent": r.parent,
                "provider": r.provider,
                "custom": r.custom,
                "inputs": redact(r.inputs),
            }
            for r in recording.resources
        ],
        "outputs": redact(recording.stack_outputs),
        "capacity": capacity(recording),
        "warnings": warnings(recording),
    }


def _tree(recording: Recording, root: Registration) -> list[str]:
    lines = [f"{root.type}  {root.name}"]

    def walk(parent: str, indent: str) -> None:
        children = recording.children_of(parent)
        for i, child in enumerate(children):
            last = i == len(children) - 1
            lines.append(f"{indent}{'└─ ' if last else '├─ '}{child.type}  {child.name}")
            walk(child.urn, indent + ("   " if last else "│  "))

    walk(root.urn, "")
    return lines


def _table(rows: list[dict[str, Any]]) -> list[str]:
    columns = list(CAPACITY_COLUMNS)
    if any(row.get("topology") for row in rows):
        columns.insert(columns.index(("accelerator", "accelerator")) + 1, TOPOLOGY_COLUMN)
    header = [title for title, _ in columns]
    body = [[str(row.get(key, "")) for _, key in columns] for row in rows]
    widths = [max(len(cell) for cell in column) for column in zip(header, *body, strict=False)]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=False)).rstrip() for line in (header, *body)
    ]


def to_text(stack: Stack, recording: Recording) -> str:
    resources = [r for r in recording.resources if r.type != STACK_TYPE]
    custom = sum(r.custom for r in resources)
    lines = [
        f"Preview of {recording.settings.project}/{recording.settings.stack} ({stack.display_file}), offline on "
        f"Pulumi's mock runtime: {len(resources)} resources ({custom} cloud resources, "
        f"{len(resources) - custom} components)",
        "",
        *_tree(recording, recording.stack),
        "",
    ]
    providers = [r for r in resources if r.type.startswith("pulumi:providers:")]
    if providers:
        lines.append("Providers:")
        for p in providers:
            settings = ", ".join(f"{k}={v}" for k, v in sorted(redact(p.inputs).items()) if k != "version")
            lines.append(
                f"  {p.type.removeprefix('pulumi:providers:')} {p.name}" + (f" ({settings})" if settings else "")
            )
        lines.append("")
    rows = capacity(recording)
    if rows:
        total = sum(int(r.get("total_at_max", 0)) for r in rows)
        lines += [
            "Accelerator capacity:",
            *("  " + line for line in _table(rows)),
            f"  total at max: {total}",
            "",
        ]
    outputs = redact(recording.stack_outputs)
    scalar = {k: v for k, v in outputs.items() if k != "capacity"}
    if scalar:
        lines.append("Stack outputs:")
        lines += [f"  {k}: {v if isinstance(v, str) else json.dumps(v)}" for k, v in sorted(scalar.items())]
        lines.append("")
    for warning in warnings(recording):
        lines.append(f"warning: {warning}")
    return "\n".join(lines).rstrip() + "\n"
