"""Check stacks against CrossGuard policy packs offline, the way `pulumi preview --policy-pack` checks them.

Each pack runs in its own process, started as the CLI starts it, with the stack's config in its environment;
it is configured (enforcement levels and parameters, from `--policy-config`), handed every resource (Analyze)
and then the whole stack (AnalyzeStack). Enforcement is the pack's: a diagnostic carries the level the pack
applied, and only `mandatory` fails the check. Packs of one stack run side by side, one thread each.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from llmops_infra.cli.analyzer_host import (
    ENFORCEMENT_LEVELS,
    AnalyzeCall,
    AnalyzerInfo,
    Diagnostic,
    PolicyPackHost,
    ResourceInput,
    StackContext,
    analyze_call,
    analyze_stack_payload,
)
from llmops_infra.cli.engine import Registration
from llmops_infra.cli.findings import CheckReport, PackSource, PolicyDoc, StackResult, Violation
from llmops_infra.cli.stackfile import InputError, read_input
from llmops_infra.cli.wire import SECRET_SIG, SIG_KEY, UNKNOWN, is_secret

STACK_TYPE = "pulumi:pulumi:Stack"

PolicyConfig = Mapping[str, Any]  # the `--policy-pack-config` file: {"all": level, "<policy>": level | {...}}


@dataclass(frozen=True)
class Target:
    """One stack to check: where it came from, what it registers, and which packs judge it."""

    stack: str
    source: str
    project: str
    resources: Sequence[Registration]
    packs: Sequence[Path]
    config: Mapping[str, str]  # the stack's config, which the CLI passes to packs (PULUMI_CONFIG)
    pack_source: PackSource = "requested"


# ---- policy config -------------------------------------------------------------------------------------------


def read_policy_config(path: Path) -> dict[str, Any]:
    """A `--policy-pack-config` file (JSON, as the Pulumi CLI reads it), checked for shape."""
    text = read_input(path, "policy config file")
    try:
        config = json.loads(text)
    except ValueError as error:
        raise InputError(f"{path}: not JSON ({error})") from None
    if not isinstance(config, dict):
        raise InputError(f"{path}: a policy config is a JSON object of policy name -> level or settings")
    for key, entry in config.items():
        if not isinstance(entry, str | dict):
            raise InputError(f"{path}: {key} = {entry!r}: give an enforcement level or an object of settings")
        level = entry if isinstance(entry, str) else entry.get("enforcementLevel")
        if level is not None and level not in ENFORCEMENT_LEVELS:
            allowed = ", ".join(ENFORCEMENT_LEVELS)
            raise InputError(f"{path}: {key} enforcementLevel = {level!r}: must be one of {allowed}")
    return config


def _check_config(config: PolicyConfig, infos: Sequence[AnalyzerInfo], source: str) -> None:
    """Fail before analysis on a policy no pack has, or a parameter its schema rejects."""
    schemas = {p.name: p.config_schema for info in infos for p in info.policies}
    for key, entry in config.items():
        if key == "all":
            if isinstance(entry, dict) and set(entry) - {"enforcementLevel"}:
                raise InputError(f"{source}: all may only set enforcementLevel")
            continue
        if key not in schemas:
            raise InputError(f"{source}: no policy named {key!r} in packs {', '.join(i.name for i in infos)}")
        if not isinstance(entry, dict):
            continue
        params = {k: v for k, v in entry.items() if k != "enforcementLevel"}
        schema = schemas[key]
        if params and schema is None:
            raise InputError(f"{source}: {key} takes no parameters, got {', '.join(sorted(params))}")
        unknown = sorted(set(params) - set((schema or {}).get("properties", {})))
        if schema is not None and unknown:
            known = ", ".join(sorted(schema.get("properties", {})))
            raise InputError(f"{source}: {key} has no parameter {', '.join(unknown)} (it takes {known})")
        if schema is not None:
            error = jsonschema.exceptions.best_match(jsonschema.Draft7Validator(schema).iter_errors(params))
            if error is not None:
                where = ".".join(str(p) for p in (key, *error.absolute_path))
                raise InputError(f"{source}: {where}: {error.message}")


def _for_pack(config: PolicyConfig, info: AnalyzerInfo) -> dict[str, Any]:
    # One config serves every pack; each pack gets the entries for the policies it has.
    names = {p.name for p in info.policies}
    return {k: v for k, v in config.items() if k == "all" or k in names}


def _levels(config: PolicyConfig, info: AnalyzerInfo) -> dict[str, str]:
    def level(entry: Any) -> str | None:
        return entry if isinstance(entry, str) else entry.get("enforcementLevel") if isinstance(entry, dict) else None

    default = level(config.get("all"))
    return {p.name: level(config.get(p.name)) or default or p.enforcement_level for p in info.policies}


# ---- analysis ------------------------------------------------------------------------------------------------


def resource_inputs(resources: Sequence[Registration]) -> list[ResourceInput]:
    """Registrations as the engine hands them to analyzers: inputs, with their provider's inputs alongside."""
    providers = {r.urn: r.inputs for r in resources if r.type.startswith("pulumi:providers:")}
    return [
        ResourceInput(
            urn=r.urn,
            type=r.type,
            name=r.name,
            properties=_without_secret_values(r.inputs),
            parent=r.parent,
            dependencies=list(r.dependencies),
            property_dependencies={k: list(v) for k, v in r.property_dependencies.items()},
            provider=r.provider,
            options={"protect": True} if r.protect else {},
            provider_properties=dict(providers.get(r.provider.rsplit("::", 1)[0], {})) if r.provider else {},
        )
        for r in resources
    ]


def _without_secret_values(value: Any) -> Any:
    """Secrets stay secrets whose value is unknown: a rule cannot judge them, so it can never print them."""
    if is_secret(value):
        return {SIG_KEY: SECRET_SIG, "value": UNKNOWN}
    if isinstance(value, dict):
        return {k: _without_secret_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_secret_values(v) for v in value]
    return value


def _policy_docs(info: AnalyzerInfo, levels: Mapping[str, str]) -> list[PolicyDoc]:
    return [
        PolicyDoc(
            pack=info.name,
            name=p.name,
            description=p.description,
            control=p.tags[0] if p.tags else "",
            clauses=tuple(c.strip() for c in p.framework_reference.split(",") if c.strip()),
            severity=p.severity,
            remediation=p.remediation,
            enforcement=levels[p.name],
        )
        for p in info.policies
    ]


def _violation(d: Diagnostic, doc: PolicyDoc | None, target: Target, by_urn: Mapping[str, Registration]) -> Violation:
    resource = by_urn.get(d.urn)
    return Violation(
        pack=d.pack_name,
        policy=d.policy_name,
        control=doc.control if doc else "",
        clauses=doc.clauses if doc else (),
        severity=d.severity or (doc.severity if doc else ""),
        enforcement=d.enforcement_level,
        urn=d.urn,
        type=resource.type if resource else STACK_TYPE,
        name=resource.name if resource else target.stack,
        message=_own_message(d),
    )


def _own_message(d: Diagnostic) -> str:
    # pulumi_policy sends "<description>\n<message>"; the description is already in the report's policy docs.
    head, newline, tail = d.message.partition("\n")
    return tail.strip() if newline and head == d.description and tail.strip() else d.message or d.description


def _analyze(host: PolicyPackHost, calls: Sequence[AnalyzeCall], stack: Any) -> list[Diagnostic]:
    return host.analyze_each(calls) + host.analyze_stack(stack)


def check_target(target: Target, config: PolicyConfig, config_source: str) -> tuple[StackResult, list[PolicyDoc]]:
    """Run every pack of the target over its resources; the result and the policies that judged it."""
    inputs = resource_inputs(target.resources)
    context = StackContext(project=target.project, stack=target.stack, config=dict(target.config))
    with ExitStack() as running:
        hosts = [running.enter_context(PolicyPackHost(d, stack=context)) for d in target.packs]
        infos = [host.info() for host in hosts]
        docs: dict[tuple[str, str], PolicyDoc] = {}
        for host, info in zip(hosts, infos, strict=True):
            host.configure(_for_pack(config, info))
            docs.update({(d.pack, d.name): d for d in _policy_docs(info, _levels(config, info))})
        # Encoded once for every pack: on a large stack the encoding costs as much as a pack's analysis.
        calls = [analyze_call(r) for r in inputs] if hosts else []
        stack = analyze_stack_payload(calls) if hosts else None
        with ThreadPoolExecutor(max_workers=max(len(hosts), 1)) as pool:
            diagnostics = [d for found in pool.map(lambda h: _analyze(h, calls, stack), hosts) for d in found]
    by_urn = {r.urn: r for r in target.resources}
    violations = tuple(_violation(d, docs.get((d.pack_name, d.policy_name)), target, by_urn) for d in diagnostics)
    result = StackResult(
        stack=target.stack,
        source=target.source,
        resources=len(inputs),
        packs=tuple(info.name for info in infos),
        violations=violations,
        pack_source=target.pack_source,
    )
    return result, list(docs.values())


def _pack_infos(packs: Sequence[Path]) -> list[AnalyzerInfo]:
    infos = []
    for pack in packs:
        with PolicyPackHost(pack) as host:
            infos.append(host.info())
    return infos


def check(targets: Sequence[Target], config: PolicyConfig | None = None, config_source: str = "") -> CheckReport:
    """Check every target. A policy config is checked once against every pack any target runs: a stack that runs
    fewer packs simply has fewer of its policies to configure."""
    packs = list(dict.fromkeys(p for t in targets for p in t.packs))
    if config and packs:
        _check_config(config, _pack_infos(packs), config_source)
    results: list[StackResult] = []
    docs: dict[tuple[str, str], PolicyDoc] = {}
    for target in targets:
        result, policies = check_target(target, config or {}, config_source)
        results.append(result)
        docs.update({(d.pack, d.name): d for d in policies})
    return CheckReport(stacks=tuple(results), policies=tuple(docs.values()))
