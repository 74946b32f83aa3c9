"""Small third-party stacks as `pulumi stack export` files, judged by one rule the way `llmops analyze` reads them.

A team's program registers raw provider resources (no component of ours, no tag of ours); its export carries
each resource's inputs and the engine's propertyDependencies, which is all a stack rule can link companions by.
`export(...)` writes such a file (deployment v3, one default AWS provider), `judged(...)` reads it back through
llmops's own export reader (llmops_infra.cli.state.read_export) and runs one rule over it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import llmops_infra.policies.rules  # noqa: F401 - registers every rule
from llmops_infra.cli.state import read_export
from llmops_infra.policies.runtime.rule import RULES, Resource, Settings, evaluate, evaluate_stack

STACK = "team-stack"
PROJECT = "team-infra"
PROVIDER = "default_7_51_1"


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{type_}::{name}"


@dataclass
class Raw:
    """One resource as a team's program registered it: type, logical name, inputs, and the inputs whose value
    was computed from other resources (input -> logical names of those resources)."""

    type: str
    name: str
    inputs: dict[str, Any]
    depends: dict[str, list[str]] = field(default_factory=dict)


def export(path: Path, *resources: Raw, region: str = "eu-west-1") -> Path:
    by_name = {r.name: r for r in resources}
    root = urn("pulumi:pulumi:Stack", f"{PROJECT}-{STACK}")
    provider_urn = urn("pulumi:providers:aws", PROVIDER)
    provider_id = "04f4c1a2-5a55-4b0e-9f8e-2b7d3c9a1e01"
    states: list[dict[str, Any]] = [
        {"urn": root, "custom": False, "type": "pulumi:pulumi:Stack"},
        {
            "urn": provider_urn,
            "custom": True,
            "id": provider_id,
            "type": "pulumi:providers:aws",
            "inputs": {"region": region, "version": "7.51.1"},
        },
    ]
    for r in resources:
        dependencies = {key: [urn(by_name[n].type, n) for n in names] for key, names in r.depends.items()}
        states.append(
            {
                "urn": urn(r.type, r.name),
                "custom": True,
                "type": r.type,
                "inputs": r.inputs,
                "parent": root,
                "provider": f"{provider_urn}::{provider_id}",
                "dependencies": sorted({u for urns in dependencies.values() for u in urns}),
                "propertyDependencies": dependencies,
            }
        )
    document = {"version": 3, "deployment": {"manifest": {"version": "v3.272.0"}, "resources": states}}
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def judged(rule_name: str, path: Path, settings: Settings = Settings()) -> list[tuple[str, str]]:
    """What one rule says about the exported stack: (resource's logical name, message) pairs."""
    registrations = read_export(path).resources
    providers = {r.urn: r.inputs for r in registrations if r.type.startswith("pulumi:providers:")}
    resources = [
        Resource(
            r.type,
            r.name,
            r.urn,
            r.inputs,
            r.parent,
            providers.get(r.provider.rsplit("::", 1)[0]) if r.provider else None,
            r.property_dependencies,
        )
        for r in registrations
        if r.custom
    ]
    rule = RULES[rule_name]
    if rule.scope == "stack":
        return [
            (s.name, m) for s, m in evaluate_stack(rule, [r for r in resources if rule.applies_to(r.type)], settings)
        ]
    return [(r.name, m) for r in resources for m in evaluate(rule, r, settings)]
