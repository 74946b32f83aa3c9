"""Check stacks against CrossGuard policy packs offline, the way `pulumi preview --policy-pack` checks them.

Each pack runs in its own process, started as the CLI starts it, with the stack's config in its environment;
it is configured (enforcement levels and parameters, from `--policy-config`), handed every resource (Analyze)
and then the whole stack (AnalyzeStack). Enforcement is the pack's: a diagnostic carries the level the pack
applied, and only `mandatory` fails the check. Packs of one stack run side by side, one thread each.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, TypeVar

import jsonschema

from llmops_infra.cli import timing
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
from llmops_infra.cli.findings import CheckReport, PackSource, PolicyDoc, StackResult, Violation
from llmops_infra.cli.locations import Locator
from llmops_infra.cli.recording import STACK_TYPE, Registration
from llmops_infra.cli.stackfile import InputError, read_input
from llmops_infra.cli.wire import SECRET_SIG, SIG_KEY, UNKNOWN, is_secret

PolicyConfig = Mapping[str, Any]  # the `--policy-pack-config` file: {"all": level, "<policy>": level | {...}}
S = TypeVar("S")


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
    locator: Locator | None = None  # where findings are in the repository (llmops/locations.py); None: unlocated


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


def check_config(config: PolicyConfig, infos: Sequence[AnalyzerInfo], source: str) -> None:
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


def config_for_pack(config: PolicyConfig, info: AnalyzerInfo) -> dict[str, Any]:
    # One config serves every pack; each pack gets the entries for the policies it has.
    names = {p.name for p in info.policies}
    return {k: v for k, v in config.items() if k == "all" or k in names}


def enforcement_levels(config: PolicyConfig, info: AnalyzerInfo) -> dict[str, str]:
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


def policy_docs(info: AnalyzerInfo, levels: Mapping[str, str]) -> list[PolicyDoc]:
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
    locations = target.locator.locate(d.policy_name, resource, by_urn) if target.locator else ()
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
        locations=locations,
    )


def _own_message(d: Diagnostic) -> str:
    # pulumi_policy sends "<description>\n<message>"; the description is already in the report's policy docs.
    head, newline, tail = d.message.partition("\n")
    return tail.strip() if newline and head == d.description and tail.strip() else d.message or d.description


# ---- pack processes ---------------------------------------------------------------------------------------------

# A stack of at least this many resources may be judged by more than one process per pack (pack_processes).
SPLIT_MIN_RESOURCES = 2000
# Analyze calls handed out at a time to the processes of one pack; each process takes the next part when done.
PART_SIZE = 500


def pack_processes(resources: int, packs: int, jobs: int) -> int:
    """How many processes judge a stack for each of its `packs`: one, unless the stack is large and more processes
    than packs may run at once (`jobs`). The answers do not depend on it: a pack judges each Analyze request on its
    own, the stack request goes to one of its processes, and the diagnostics are merged in resource order."""
    if packs == 0 or jobs <= packs or resources < SPLIT_MIN_RESOURCES:
        return 1
    return max(1, min(jobs // packs, resources // SPLIT_MIN_RESOURCES))


class PackProcesses:
    """The processes of a target's packs, started side by side in the background as soon as the packs and the
    stack's context are known, so that they boot while the stack's program runs or its export is read."""

    def __init__(self, packs: Sequence[Path], context: StackContext, per_pack: int = 1) -> None:
        self._packs = list(packs)
        self._context = context
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="llmops-pack-start")
        self._starting: list[list[Future[PolicyPackHost]]] = [[] for _ in self._packs]
        self.add(per_pack)

    def add(self, per_pack: int) -> None:
        """Have at least `per_pack` processes of every pack."""
        for pack, started in zip(self._packs, self._starting, strict=True):
            while len(started) < per_pack:
                started.append(self._pool.submit(self._start, pack))

    def _start(self, pack: Path) -> PolicyPackHost:
        host = PolicyPackHost(pack, stack=self._context)
        with timing.span("pack start", pack.name):
            host.start()  # closes what it started if it fails
        return host

    def groups(self) -> list[list[PolicyPackHost]]:
        """Every process, by pack, once all have started; the first failure in pack order is raised."""
        groups: list[list[PolicyPackHost]] = []
        for started in self._starting:
            groups.append([future.result() for future in started])
        return groups

    def close(self) -> None:
        for started in self._starting:
            for future in started:
                if not future.cancel():
                    with contextlib.suppress(Exception):  # a failed start has closed itself
                        future.result().close()
        self._pool.shutdown(wait=True)

    def __enter__(self) -> PackProcesses:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def stack_context(target: Target) -> StackContext:
    return StackContext(project=target.project, stack=target.stack, config=dict(target.config))


def _judge_with(group: Sequence[PolicyPackHost], calls: Sequence[AnalyzeCall], stack: bytes) -> list[Diagnostic]:
    """One pack's diagnostics, as `host.analyze_each(calls) + host.analyze_stack(stack)` gives them, with the calls
    shared out between the pack's processes part by part and the stack request sent to the first that runs out."""
    if len(group) == 1:
        return _analyze_each(group[0], calls) + _analyze_stack(group[0], stack)
    parts = [calls[i : i + PART_SIZE] for i in range(0, len(calls), PART_SIZE)]
    found: list[list[Diagnostic] | None] = [None] * len(parts)
    stack_found: list[list[Diagnostic]] = []
    next_part = itertools.count()
    lock = threading.Lock()

    def work(host: PolicyPackHost) -> None:
        with timing.span("Analyze", host.pack_dir.name):
            while (i := next(next_part)) < len(parts):
                found[i] = host.analyze_each(parts[i])
        with lock:
            if stack_found:
                return
            stack_found.append([])
        stack_found[0] = _analyze_stack(host, stack)

    with ThreadPoolExecutor(max_workers=len(group), thread_name_prefix="llmops-pack") as pool:
        for future in [pool.submit(work, host) for host in group]:
            future.result()
    return [d for part in found for d in part or ()] + stack_found[0]


def _analyze_each(host: PolicyPackHost, calls: Sequence[AnalyzeCall]) -> list[Diagnostic]:
    with timing.span("Analyze", host.pack_dir.name):
        return host.analyze_each(calls)


def _analyze_stack(host: PolicyPackHost, stack: bytes) -> list[Diagnostic]:
    with timing.span("AnalyzeStack", host.pack_dir.name):
        return host.analyze_stack(stack)


def judge(
    target: Target, processes: PackProcesses, config: PolicyConfig, jobs: int = 1
) -> tuple[StackResult, list[PolicyDoc], list[AnalyzerInfo]]:
    """Run every pack of the target over its resources: the result, the policies that judged it, the packs' infos."""
    with timing.span("encode", target.stack):
        inputs = resource_inputs(target.resources)
        processes.add(pack_processes(len(inputs), len(target.packs), jobs))
        # Encoded once for every pack (and every process of it), while the packs start.
        calls = [analyze_call(r) for r in inputs] if target.packs else []
        stack = analyze_stack_payload(calls) if target.packs else b""
    groups = processes.groups()
    infos = [group[0].info() for group in groups]
    docs: dict[tuple[str, str], PolicyDoc] = {}
    for group, info in zip(groups, infos, strict=True):
        for host in group:
            host.configure(config_for_pack(config, info))
        docs.update({(d.pack, d.name): d for d in policy_docs(info, enforcement_levels(config, info))})
    with ThreadPoolExecutor(max_workers=max(len(groups), 1), thread_name_prefix="llmops-judge") as pool:
        diagnostics = [d for found in pool.map(lambda g: _judge_with(g, calls, stack), groups) for d in found]
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
    return result, list(docs.values()), infos


def check_target(
    target: Target, config: PolicyConfig, config_source: str = "", jobs: int = 1
) -> tuple[StackResult, list[PolicyDoc]]:
    """Run every pack of the target over its resources; the result and the policies that judged it."""
    with PackProcesses(target.packs, stack_context(target)) as processes:
        result, docs, _ = judge(target, processes, config, jobs)
    return result, docs


def pack_infos(packs: Sequence[Path]) -> list[AnalyzerInfo]:
    infos = []
    for pack in packs:
        with PolicyPackHost(pack) as host:
            infos.append(host.info())
    return infos


def check(
    targets: Sequence[Target], config: PolicyConfig | None = None, config_source: str = "", jobs: int = 1
) -> CheckReport:
    """Check every target, one after the other. A policy config is checked once against every pack any target runs:
    a stack that runs fewer packs simply has fewer of its policies to configure."""
    packs = list(dict.fromkeys(p for t in targets for p in t.packs))
    if config and packs:
        check_config(config, pack_infos(packs), config_source)
    results: list[StackResult] = []
    docs: dict[tuple[str, str], PolicyDoc] = {}
    for target in targets:
        result, policies = check_target(target, config or {}, config_source, jobs)
        results.append(result)
        docs.update({(d.pack, d.name): d for d in policies})
    return CheckReport(stacks=tuple(results), policies=tuple(docs.values()))


# ---- several stacks side by side ---------------------------------------------------------------------------------


class _StderrPerThread(io.TextIOBase):
    """Standard error while stacks run side by side: what a thread writes goes to its stack's buffer, if it has one,
    so that each stack's output can be written out whole and in stack order afterwards."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.local = threading.local()

    def write(self, text: str) -> int:
        buffer: io.StringIO | None = getattr(self.local, "buffer", None)
        return (buffer if buffer is not None else self.stream).write(text)

    def flush(self) -> None:
        self.stream.flush()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self.stream, "encoding", None) or "utf-8")

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()


def check_stacks(
    stacks: Sequence[S],
    plan: Callable[[S], Target],
    load: Callable[[S], Sequence[Registration]],
    config: PolicyConfig | None = None,
    config_source: str = "",
    jobs: int = 1,
) -> CheckReport:
    """Check stacks whose resources come from running a program: what `check` reports for the targets
    `replace(plan(s), resources=load(s))`, with the same standard error and the same first error.

    `plan` says which packs judge a stack (it may refuse, before the program runs); `load` runs its program and may
    print (its output, warnings). With `jobs` 1 that is all done one stack after the other. Otherwise up to `jobs`
    programs run at once, each stack's packs start while its program runs and judge it as soon as it is done; what
    each stack prints is kept and written out in stack order at the end, followed by the error the sequential run
    would have stopped at, if any: a refused plan or a failed program (after the output of the stacks before it),
    then a bad policy config, then a pack that failed.
    """
    if jobs <= 1:
        return check([replace(plan(s), resources=load(s)) for s in stacks], config, config_source, jobs)
    planned: list[Target] = []
    refused: Exception | None = None
    for stack in stacks:
        try:
            planned.append(plan(stack))
        except Exception as error:  # raised after the output of the stacks before it, as the sequential run does
            refused = error
            break
    outputs = [io.StringIO() for _ in planned]
    stderr = _StderrPerThread(sys.stderr)

    def run_program(i: int) -> Sequence[Registration]:
        stderr.local.buffer = outputs[i]
        try:
            return load(stacks[i])
        finally:
            stderr.local.buffer = None

    def judge_stack(i: int) -> tuple[StackResult, list[PolicyDoc], list[AnalyzerInfo]]:
        with PackProcesses(planned[i].packs, stack_context(planned[i])) as processes:  # they start now
            resources = loaded[i].result()
            return judge(replace(planned[i], resources=resources), processes, config or {}, jobs)

    programs = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="llmops-program")
    judges = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="llmops-stack")
    sys.stderr = stderr
    try:
        loaded = [programs.submit(run_program, i) for i in range(len(planned))]
        judged = [judges.submit(judge_stack, i) for i in range(len(planned))] if refused is None else []
        for future in loaded:
            if future.exception() is not None:  # the sequential run stops here: nothing after it is needed
                pending: list[Future[Any]] = [*loaded, *judged]
                for later in pending:
                    later.cancel()
                break
    finally:
        programs.shutdown(wait=True)
        judges.shutdown(wait=True)
        sys.stderr = stderr.stream
    for output, future in zip(outputs, loaded, strict=True):
        sys.stderr.write(output.getvalue())
        failed = future.exception()
        if failed is not None:
            raise failed
    if refused is not None:
        raise refused
    return _merged(planned, judged, config, config_source)


def _merged(
    targets: Sequence[Target],
    judged: Sequence[Future[tuple[StackResult, list[PolicyDoc], list[AnalyzerInfo]]]],
    config: PolicyConfig | None,
    config_source: str,
) -> CheckReport:
    """The report of judged stacks, in stack order; the policy config is checked first, as `check` does."""
    packs = list(dict.fromkeys(p for t in targets for p in t.packs))
    if config and packs:
        infos: dict[Path, AnalyzerInfo] = {}
        for target, future in zip(targets, judged, strict=True):
            if future.exception() is None:
                for pack, info in zip(target.packs, future.result()[2], strict=True):
                    infos.setdefault(pack, info)
        missing = [p for p in packs if p not in infos]  # only when a pack failed: started again, as check would
        infos.update(zip(missing, pack_infos(missing), strict=True))
        check_config(config, [infos[p] for p in packs], config_source)
    results: list[StackResult] = []
    docs: dict[tuple[str, str], PolicyDoc] = {}
    for future in judged:
        result, policies, _ = future.result()
        results.append(result)
        docs.update({(d.pack, d.name): d for d in policies})
    return CheckReport(stacks=tuple(results), policies=tuple(docs.values()))
