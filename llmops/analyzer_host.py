"""Host a CrossGuard policy pack the way the Pulumi CLI does, offline, and speak the analyzer protocol to it.

The CLI boots a Python pack as `python -u -m pulumi.policy <engine-address> .` with the pack directory as the
working directory (see `NewPolicyAnalyzer` in sdk/go/common/resource/plugin/analyzer_plugin.go). The pack's
`PolicyPack(...)` constructor starts an Analyzer gRPC server on 127.0.0.1 and writes the port as the first line of
stdout. The host then calls, in the CLI's order: Handshake (optional, UNIMPLEMENTED is fine), ConfigureStack (only
when analyzing a stack), GetAnalyzerInfo, Configure, Analyze per resource, AnalyzeStack at the end.

Properties travel in Pulumi's wire format (`llmops_infra.cli.wire`); they are marshalled as the CLI marshals them for
analyzers: secrets and unknowns kept, resource references and output values downgraded, `__internal` keys dropped.
"""

from __future__ import annotations

import collections
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import grpc
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2, engine_pb2_grpc

from llmops_infra.cli import pack_forks
from llmops_infra.cli.stackfile import venv_python
from llmops_infra.cli.wire import OUTPUT_SIG, RESOURCE_SIG, SECRET_SIG, SIG_KEY, UNKNOWN

__all__ = [
    "AnalyzeCall",
    "AnalyzerInfo",
    "Answers",
    "Diagnostic",
    "PackStartError",
    "PolicyInfo",
    "PolicyPackError",
    "PolicyNotApplicable",
    "PolicyPackHost",
    "ResourceInput",
    "StackContext",
    "analyze_call",
    "analyze_request",
    "analyze_stack_payload",
    "analyze_stack_request",
    "last_error_line",
]

ENFORCEMENT_LEVELS = ("advisory", "mandatory", "disabled", "remediate")

# Same limit the Pulumi SDKs use: a stack's AnalyzeStack request can be far larger than gRPC's 4 MB default.
_MAX_MESSAGE = 400 * 1024 * 1024
_CHANNEL_OPTIONS = [("grpc.max_receive_message_length", _MAX_MESSAGE), ("grpc.max_send_message_length", _MAX_MESSAGE)]
_STACK_BYTES_PER_SECOND = 1024 * 1024  # AnalyzeStack's deadline grows by a second per megabyte of request
_STDERR_TAIL_LINES = 200
_ERROR_LINE_CHARS = 300


class PolicyPackError(Exception):
    """A policy pack failed while it was being driven (an RPC failed, or a policy raised)."""


class PackStartError(PolicyPackError):
    """The pack could not be started; the message is one line and says why: the pack's own last error line, and
    the file its whole standard error was written to (`output_file`, kept for the user to read)."""

    def __init__(self, message: str, stderr: str = "", output_file: Path | None = None) -> None:
        super().__init__(message)
        self.stderr = stderr
        self.output_file = output_file


@dataclass(frozen=True)
class PolicyInfo:
    name: str
    description: str
    enforcement_level: str
    severity: str
    config_schema: dict[str, Any] | None
    tags: tuple[str, ...] = ()
    # The policy's compliance framework reference (our packs: the clauses, comma-separated).
    framework_reference: str = ""
    remediation: str = ""


@dataclass(frozen=True)
class AnalyzerInfo:
    name: str
    version: str
    policies: list[PolicyInfo]
    supports_config: bool
    initial_config: dict[str, dict[str, Any]]
    # Version of the pulumi-policy SDK serving the pack (GetPluginInfo), not the pack's own version.
    plugin_version: str = ""


@dataclass(frozen=True)
class Diagnostic:
    policy_name: str
    pack_name: str
    pack_version: str
    description: str
    message: str
    enforcement_level: str
    urn: str
    severity: str = ""


@dataclass(frozen=True)
class PolicyNotApplicable:
    """A policy's answer that it does not apply (AnalyzeResponse.not_applicable), with the pack's reason; `urn` is the
    analyzed resource, "" for AnalyzeStack. Not a violation: the CLI reports none for it."""

    policy_name: str
    reason: str
    urn: str


@dataclass(frozen=True)
class Answers:
    """Everything a pack answered: its violations and its not-applicable answers (`llmops evidence` reads both)."""

    diagnostics: list[Diagnostic]
    not_applicable: list[PolicyNotApplicable]


@dataclass(frozen=True)
class ResourceInput:
    urn: str
    type: str
    name: str
    properties: dict[str, Any]
    parent: str = ""
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    # A provider reference as the engine writes it: "<provider urn>::<provider id>".
    provider: str = ""
    # AnalyzerResourceOptions field names: protect, ignoreChanges, deleteBeforeReplace, additionalSecretOutputs,
    # aliases, customTimeouts {create, update, delete}, parent.
    options: dict[str, Any] = field(default_factory=dict)
    # The provider resource's own inputs (e.g. {"region": "us-east-1"}); policies see them as `args.provider.props`.
    provider_properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StackContext:
    """What the CLI tells a pack about the stack under analysis (environment variables plus ConfigureStack)."""

    project: str
    stack: str
    organization: str = "organization"
    dry_run: bool = True
    config: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


class _Engine(engine_pb2_grpc.EngineServicer):
    """The slice of the Engine service a pack may call back into: logging and the root resource."""

    def __init__(self) -> None:
        self.logs: list[tuple[str, str, str]] = []
        self._root = ""

    def Log(self, request: engine_pb2.LogRequest, context: Any) -> empty_pb2.Empty:
        severity = engine_pb2.LogSeverity.Name(request.severity).lower()
        self.logs.append((severity, request.message, request.urn))
        return empty_pb2.Empty()

    def GetRootResource(
        self, request: engine_pb2.GetRootResourceRequest, context: Any
    ) -> engine_pb2.GetRootResourceResponse:
        return engine_pb2.GetRootResourceResponse(urn=self._root)

    def SetRootResource(
        self, request: engine_pb2.SetRootResourceRequest, context: Any
    ) -> engine_pb2.SetRootResourceResponse:
        self._root = request.urn
        return engine_pb2.SetRootResourceResponse()

    def StartDebugging(self, request: engine_pb2.StartDebuggingRequest, context: Any) -> empty_pb2.Empty:
        # Nothing attaches a debugger offline; accepting the call keeps a pack that asks for one running.
        return empty_pb2.Empty()


class PolicyPackHost:
    """One running policy pack process and the gRPC plumbing around it. Use as a context manager."""

    def __init__(
        self, pack_dir: Path, python: str | None = None, timeout: float = 60, stack: StackContext | None = None
    ) -> None:
        self.pack_dir = Path(pack_dir)
        # None: the pack's own virtualenv when it names one that exists (as the CLI runs it), else this Python.
        self.python = python or sys.executable
        self._python_given = python is not None
        self.timeout = timeout
        self.stack = stack
        self.process: subprocess.Popen[bytes] | pack_forks.ForkedPack | None = None
        self._engine = _Engine()
        self._engine_server: grpc.Server | None = None
        self._channel: grpc.Channel | None = None
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=_STDERR_TAIL_LINES)
        self._stdout: collections.deque[str] = collections.deque(maxlen=_STDERR_TAIL_LINES)
        self._readers: list[threading.Thread] = []
        # The pack's whole standard error, as it comes: named by a start error, removed by close() otherwise.
        self._stderr_file: IO[str] | None = None
        self._keep_stderr_file = False
        self._yaml_version = ""
        self._info: AnalyzerInfo | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------------

    def __enter__(self) -> PolicyPackHost:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def start(self) -> None:
        if self.process is not None:
            raise RuntimeError("policy pack host already started")
        self._read_project()
        try:
            self._start()
        except BaseException:
            # A half-started pack must not outlive the error: the caller never gets a host to close.
            self.close()
            raise

    def close(self) -> None:
        """Stop the pack and the servers. Safe to call more than once and after a failed start."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
            self._stub = None
        proc = self.process
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if self._engine_server is not None:
            self._engine_server.stop(grace=None)
            self._engine_server = None
        for reader in self._readers:
            reader.join(timeout=2)
        self._readers = []
        if self._stderr_file is not None:
            self._stderr_file.close()
            if not self._keep_stderr_file:
                Path(self._stderr_file.name).unlink(missing_ok=True)
            self._stderr_file = None

    @property
    def logs(self) -> list[tuple[str, str, str]]:
        """(severity, message, urn) for every Engine.Log call the pack made."""
        return list(self._engine.logs)

    def stderr_tail(self) -> str:
        return "\n".join(self._stderr)

    def _read_project(self) -> None:
        if not self.pack_dir.is_dir():
            raise PackStartError(f"policy pack directory {self.pack_dir} does not exist")
        project_file = self.pack_dir / "PulumiPolicy.yaml"
        if not project_file.is_file():
            raise PackStartError(f"{self.pack_dir} is not a policy pack: it has no PulumiPolicy.yaml")
        try:
            project = yaml.safe_load(project_file.read_text()) or {}
        except (OSError, yaml.YAMLError) as e:
            raise PackStartError(f"cannot read {project_file}: {' '.join(str(e).split())}") from e
        if not isinstance(project, dict):
            raise PackStartError(f"{project_file} is not a YAML mapping")
        runtime = project.get("runtime")
        runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
        if runtime_name != "python":
            raise PackStartError(f"{project_file} declares runtime {runtime_name!r}; only python packs can be hosted")
        # The CLI prefers this version over the one the pack reports (the Python SDK always reports 0.0.1).
        self._yaml_version = str(project.get("version") or "")
        options = runtime.get("options") if isinstance(runtime, dict) else None
        virtualenv = options.get("virtualenv") if isinstance(options, dict) else None
        if virtualenv and not self._python_given:
            venv = Path(str(virtualenv))
            venv = venv if venv.is_absolute() else self.pack_dir / venv
            python = venv_python(venv)
            if python.is_file():
                self.python = str(python)

    def _start(self) -> None:
        # Two workers: a pack calls back at most for a few log lines.
        server = grpc.server(ThreadPoolExecutor(max_workers=2), options=_CHANNEL_OPTIONS)
        engine_pb2_grpc.add_EngineServicer_to_server(self._engine, server)
        engine_port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self._engine_server = server
        engine_address = f"127.0.0.1:{engine_port}"

        env = dict(os.environ)
        if self.stack is not None:
            # The CLI's constructEnv: pulumi.policy configures pulumi.runtime from these before each analysis.
            env.update(
                PULUMI_PROJECT=self.stack.project,
                PULUMI_STACK=self.stack.stack,
                PULUMI_ORGANIZATION=self.stack.organization,
                PULUMI_DRY_RUN="true" if self.stack.dry_run else "false",
            )
            if self.stack.config:
                env["PULUMI_CONFIG"] = json.dumps(self.stack.config)
        self._stderr_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 (open until close(), which removes it)
            "w", encoding="utf-8", prefix=f"llmops-pack-{self.pack_dir.name}-", suffix=".log", delete=False
        )
        # "-u": the pack writes its port with an unflushed sys.stdout.buffer.write and then sleeps forever.
        # Forked from the interpreter's pack fork server where there is one (pack_forks), else spawned.
        self.process = pack_forks.start(
            self.python, ["pulumi.policy", engine_address, "."], self.pack_dir, env
        ) or subprocess.Popen(
            [self.python, "-u", "-m", "pulumi.policy", engine_address, "."],
            cwd=self.pack_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        first_line: queue.Queue[str | None] = queue.Queue()
        assert self.process.stdout is not None and self.process.stderr is not None
        self._readers = [
            threading.Thread(target=_pump, args=(self.process.stdout, self._stdout, first_line), daemon=True),
            threading.Thread(
                target=_pump, args=(self.process.stderr, self._stderr, None, self._stderr_file), daemon=True
            ),
        ]
        for reader in self._readers:
            reader.start()

        deadline = time.monotonic() + self.timeout
        port = self._wait_for_port(first_line, deadline)
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=_CHANNEL_OPTIONS)
        try:
            grpc.channel_ready_future(self._channel).result(timeout=max(deadline - time.monotonic(), 1.0))
        except grpc.FutureTimeoutError as e:
            raise PackStartError(
                f"policy pack {self.pack_dir} printed port {port} but never accepted a connection"
            ) from e
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)

        # Same order as the CLI: Handshake, then ConfigureStack when there is a stack. The Python SDK implements
        # neither Handshake nor Cancel; UNIMPLEMENTED means "old protocol", exactly as the CLI treats it.
        dir_ = str(self.pack_dir.resolve())
        handshake = analyzer_pb2.AnalyzerHandshakeRequest(
            engine_address=engine_address, root_directory=dir_, program_directory=dir_
        )
        self._call("Handshake", self._stub.Handshake, handshake, optional=True)
        if self.stack is not None:
            request = analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=self.stack.stack,
                project=self.stack.project,
                organization=self.stack.organization,
                dry_run=self.stack.dry_run,
                config=self.stack.config,
                tags=self.stack.tags,
            )
            self._call("ConfigureStack", self._stub.ConfigureStack, request, optional=True)

    def _wait_for_port(self, first_line: queue.Queue[str | None], deadline: float) -> int:
        while True:
            try:
                line = first_line.get(timeout=max(min(deadline - time.monotonic(), 0.1), 0.0))
            except queue.Empty:
                if time.monotonic() < deadline:
                    continue
                raise self._start_error(f"printed no port within {self.timeout:g}s") from None
            if line is None:
                # stdout closed before a port: the pack died. Let stderr drain so the message carries the cause.
                assert self.process is not None
                try:
                    code: int | None = self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    code = None
                for reader in self._readers:
                    reader.join(timeout=2)
                raise self._start_error(f"exited (code {code}) before printing its port")
            # Like the CLI, the first stdout line must be the port; anything else is a broken pack.
            try:
                return int(line.strip())
            except ValueError:
                raise self._start_error(f"printed {line.strip()[:80]!r} instead of a port") from None

    def _start_error(self, what: str) -> PackStartError:
        """`policy pack DIR <what>: <its last error line> (its full output: FILE)`, on one line."""
        error = last_error_line(self._stderr)
        if not error or self._stderr_file is None:
            return PackStartError(f"policy pack {self.pack_dir} {what}", self.stderr_tail())
        self._stderr_file.flush()
        self._keep_stderr_file = True
        output = Path(self._stderr_file.name)
        return PackStartError(
            f"policy pack {self.pack_dir} {what}: {error} (its full output: {output})", self.stderr_tail(), output
        )

    def _call(self, name: str, method: Any, request: Any, optional: bool = False) -> Any:
        try:
            return method(request, timeout=self._deadline(name, request))
        except grpc.RpcError as e:
            code = e.code() if isinstance(e, grpc.Call) else None
            if optional and code == grpc.StatusCode.UNIMPLEMENTED:
                return None
            raise PolicyPackError(self._rpc_failure(name, e)) from e

    def _deadline(self, name: str, request: Any) -> float:
        """Seconds a call may take: `timeout`, and for AnalyzeStack, which judges the whole stack in one call, one
        more second per megabyte of request (a 100,000-resource stack is a 90 MB request)."""
        if name != "AnalyzeStack":
            return self.timeout
        size = len(request) if isinstance(request, bytes) else int(request.ByteSize())
        return self.timeout + size / _STACK_BYTES_PER_SECOND

    def _rpc_failure(self, name: str, e: grpc.RpcError) -> str:
        code = e.code() if isinstance(e, grpc.Call) else None
        details = e.details() if isinstance(e, grpc.Call) else str(e)
        summary = " ".join(str(details).split())[-400:]
        return f"policy pack {self.pack_dir}: {name} failed ({code.name if code else 'error'}): {summary}"

    def _analyzer(self) -> analyzer_pb2_grpc.AnalyzerStub:
        if self._stub is None:
            raise RuntimeError("policy pack host is not running; call start() or use it as a context manager")
        return self._stub

    # -- protocol -----------------------------------------------------------------------------------------------

    def info(self) -> AnalyzerInfo:
        """GetAnalyzerInfo and GetPluginInfo, cached (the answer does not change for a running pack)."""
        if self._info is not None:
            return self._info
        stub = self._analyzer()
        resp = self._call("GetAnalyzerInfo", stub.GetAnalyzerInfo, empty_pb2.Empty())
        plugin = self._call("GetPluginInfo", stub.GetPluginInfo, empty_pb2.Empty(), optional=True)
        policies = [
            PolicyInfo(
                name=p.name,
                description=p.description,
                enforcement_level=_level(p.enforcementLevel),
                severity=_severity(p.severity),
                config_schema=json_format.MessageToDict(p.configSchema) if p.HasField("configSchema") else None,
                tags=tuple(p.tags),
                framework_reference=p.framework.reference if p.HasField("framework") else "",
                remediation=p.remediation_steps,
            )
            for p in resp.policies
        ]
        initial: dict[str, dict[str, Any]] = {}
        for key, cfg in resp.initialConfig.items():
            entry: dict[str, Any] = {"enforcementLevel": _level(cfg.enforcementLevel)}
            entry.update(json_format.MessageToDict(cfg.properties))
            initial[key] = entry
        self._info = AnalyzerInfo(
            name=resp.name,
            version=self._yaml_version or resp.version,
            policies=sorted(policies, key=lambda p: p.name),  # the CLI sorts them too
            supports_config=resp.supportsConfig,
            initial_config=initial,
            plugin_version=plugin.version if plugin is not None else "",
        )
        return self._info

    def configure(self, config: Mapping[str, Mapping[str, Any] | str]) -> None:
        """Configure policies: {"policy": {"enforcementLevel": "advisory", "prop": ...}} or {"policy": "disabled"}.

        Like the engine, this merges the pack's initial config, then `config` ("all" sets every policy's level),
        and sends a level for every configured policy. The level must always be sent: the protocol's zero value is
        ADVISORY, so a properties-only entry would silently downgrade a mandatory policy. The pack replaces its
        whole configuration on each call, so `configure({})` restores the defaults.
        """
        info = self.info()
        defaults = {p.name: p.enforcement_level for p in info.policies}
        merged: dict[str, dict[str, Any]] = {k: dict(v) for k, v in info.initial_config.items()}
        # "all" first, so a policy's own entry wins whatever the order in the file, as in the Pulumi CLI.
        for name, entry in sorted(config.items(), key=lambda item: item[0] != "all"):
            values = {"enforcementLevel": entry} if isinstance(entry, str) else dict(entry)
            if name == "all":
                level = values.pop("enforcementLevel", None)
                if values:
                    raise ValueError(f'config "all" may only set enforcementLevel, not {sorted(values)}')
                for policy in defaults:
                    merged.setdefault(policy, {})["enforcementLevel"] = level
                continue
            if name not in defaults:
                raise ValueError(f"policy pack {info.name} has no policy {name!r} (it has {sorted(defaults)})")
            merged.setdefault(name, {}).update(values)

        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, values in merged.items():
            props = dict(values)
            level = props.pop("enforcementLevel", None) or defaults.get(name, "advisory")
            if level not in ENFORCEMENT_LEVELS:
                raise ValueError(f"policy {name!r}: enforcement level {level!r} is not one of {ENFORCEMENT_LEVELS}")
            request.policyConfig[name].enforcementLevel = analyzer_pb2.EnforcementLevel.Value(level.upper())
            request.policyConfig[name].properties.update(props)
        self._call("Configure", self._analyzer().Configure, request)

    def analyze(self, resource: ResourceInput) -> list[Diagnostic]:
        """Run every resource policy on one resource's inputs (what the engine does per step)."""
        resp = self._call("Analyze", self._analyzer().Analyze, analyze_request(resource))
        # The engine files every diagnostic of an Analyze call under the analyzed resource, whatever urn it carries.
        return [self._diagnostic(d, default_urn=resource.urn) for d in resp.diagnostics]

    def analyze_each(
        self, resources: Iterable[ResourceInput] | Iterable[AnalyzeCall], in_flight: int = 8
    ) -> list[Diagnostic]:
        """Analyze every resource, as `analyze` does one at a time, with a few calls in flight.

        The engine analyzes resources one step at a time; the answers are the same, but keeping calls in flight
        hides the round trip. Resources may come as prepared calls (`analyze_call`), so that several packs
        share one encoding of a large stack.
        """
        return self.answer_each(resources, in_flight).diagnostics

    def analyze_stack(
        self, resources: Iterable[ResourceInput] | analyzer_pb2.AnalyzeStackRequest | bytes
    ) -> list[Diagnostic]:
        """Run every stack policy over all resources (what the engine does once, at the end). The request may come
        encoded (`analyze_stack_payload`), so that several packs share one encoding of a large stack."""
        if isinstance(resources, bytes):
            return self.answer_stack(resources).diagnostics
        request = (
            resources if isinstance(resources, analyzer_pb2.AnalyzeStackRequest) else analyze_stack_request(resources)
        )
        resp = self._call("AnalyzeStack", self._analyzer().AnalyzeStack, request)
        return [self._diagnostic(d, default_urn="") for d in resp.diagnostics]

    def answer_each(self, resources: Iterable[ResourceInput] | Iterable[AnalyzeCall], in_flight: int = 8) -> Answers:
        """`analyze_each`, with the not-applicable answers kept beside the diagnostics."""
        self._analyzer()
        send = self._raw("Analyze", analyzer_pb2.AnalyzeResponse)
        pending: collections.deque[tuple[str, Any]] = collections.deque()
        found = Answers([], [])

        def settle() -> None:
            urn, future = pending.popleft()
            try:
                resp = future.result(timeout=self.timeout)
            except grpc.RpcError as e:
                raise PolicyPackError(self._rpc_failure("Analyze", e)) from e
            self._collect(found, resp, urn)

        for item in resources:
            call = item if isinstance(item, AnalyzeCall) else analyze_call(item)
            pending.append((call.urn, send.future(call.payload)))
            if len(pending) >= in_flight:
                settle()
        while pending:
            settle()
        return found

    def answer_stack(self, payload: bytes) -> Answers:
        """`analyze_stack` of an encoded request (`analyze_stack_payload`), with the not-applicable answers."""
        self._analyzer()
        resp = self._call("AnalyzeStack", self._raw("AnalyzeStack", analyzer_pb2.AnalyzeResponse), payload)
        found = Answers([], [])
        self._collect(found, resp, "")
        return found

    def _collect(self, found: Answers, resp: analyzer_pb2.AnalyzeResponse, urn: str) -> None:
        found.diagnostics.extend(self._diagnostic(d, default_urn=urn) for d in resp.diagnostics)
        found.not_applicable.extend(PolicyNotApplicable(n.policy_name, n.reason, urn) for n in resp.not_applicable)

    def _raw(self, method: str, response: Any) -> Any:
        """The analyzer's `method`, sending requests already serialized (bytes) and parsing the response."""
        assert self._channel is not None
        return self._channel.unary_unary(
            f"/pulumirpc.Analyzer/{method}", request_serializer=None, response_deserializer=response.FromString
        )

    def _diagnostic(self, d: analyzer_pb2.AnalyzeDiagnostic, default_urn: str) -> Diagnostic:
        return Diagnostic(
            policy_name=d.policyName,
            pack_name=d.policyPackName,
            pack_version=self._yaml_version or d.policyPackVersion,
            description=d.description,
            message=d.message,
            enforcement_level=_level(d.enforcementLevel),
            urn=d.urn or default_urn,
            severity=_severity(d.severity),
        )


@dataclass(frozen=True)
class AnalyzeCall:
    """One resource encoded for Analyze once (the serialized AnalyzeRequest), to be sent as is to any number of
    packs, and to be reused for the stack's AnalyzeStack request (`analyze_stack_payload`)."""

    urn: str
    payload: bytes
    resource: ResourceInput | None = None

    @property
    def request(self) -> analyzer_pb2.AnalyzeRequest:
        return analyzer_pb2.AnalyzeRequest.FromString(self.payload)


def analyze_request(resource: ResourceInput) -> analyzer_pb2.AnalyzeRequest:
    """The Analyze request for one resource, built field by field (what `analyze_call` encodes faster)."""
    request = analyzer_pb2.AnalyzeRequest(
        type=resource.type,
        urn=resource.urn,
        name=resource.name,
        properties=_struct(resource.properties),
        options=_options(resource),
    )
    if resource.provider:
        request.provider.CopyFrom(_provider(resource))
    return request


def analyze_call(resource: ResourceInput) -> AnalyzeCall:
    """`analyze_request(resource)`, serialized once. The options and the provider, shared by many resources, are
    encoded once each: protobuf parses concatenated encodings of one message type as their merge, and these are
    fields of their own, so the bytes parse to exactly the message `analyze_request` builds."""
    # The properties built apart and copied in, as analyze_request does: a Struct's entries then go out in the same
    # order, and a pack decodes its keys in the order they arrive.
    request = analyzer_pb2.AnalyzeRequest(
        type=resource.type, urn=resource.urn, name=resource.name, properties=_struct(resource.properties)
    )
    payload = request.SerializeToString() + _options_field(resource)
    if resource.provider:
        payload += _provider_field(resource)
    return AnalyzeCall(resource.urn, payload, resource)


def analyze_stack_request(resources: Iterable[ResourceInput]) -> analyzer_pb2.AnalyzeStackRequest:
    """The whole stack encoded for AnalyzeStack, as the engine sends it at the end of a preview."""
    request = analyzer_pb2.AnalyzeStackRequest()
    for r in resources:
        msg = request.resources.add(
            type=r.type,
            urn=r.urn,
            name=r.name,
            parent=r.parent,
            dependencies=r.dependencies,
            properties=_struct(r.properties),
            options=_options(r),
        )
        for key, urns in r.property_dependencies.items():
            if urns:  # the CLI leaves out properties without dependencies
                msg.propertyDependencies[key].urns.extend(urns)
        if r.provider:
            msg.provider.CopyFrom(_provider(r))
    return request


def analyze_stack_payload(calls: Iterable[AnalyzeCall]) -> bytes:
    """`analyze_stack_request` of the calls' resources, serialized, reusing each call's encoding.

    An AnalyzerResource carries the AnalyzeRequest's six fields under the same numbers and types (checked once,
    below), plus parent, dependencies and propertyDependencies: its encoding is the call's bytes followed by
    those three fields', and the stack request is every resource's, each as field 1.
    """
    if not _SAME_RESOURCE_FIELDS:
        return analyze_stack_request(_resource_of(c) for c in calls).SerializeToString()
    parts: list[bytes] = []
    for call in calls:
        r = _resource_of(call)
        links = analyzer_pb2.AnalyzerResource(parent=r.parent, dependencies=r.dependencies)
        for key, urns in r.property_dependencies.items():
            if urns:  # the CLI leaves out properties without dependencies
                links.propertyDependencies[key].urns.extend(urns)
        body = call.payload + links.SerializeToString()
        parts += (b"\n", _varint(len(body)), body)  # field 1 (resources), length-delimited
    return b"".join(parts)


def _resource_of(call: AnalyzeCall) -> ResourceInput:
    if call.resource is None:
        raise ValueError(f"{call.urn}: an AnalyzeCall without its resource cannot be part of a stack request")
    return call.resource


def _same_fields(small: Any, large: Any) -> bool:
    """Every field of message type `small` is a field of `large` with the same number, type and message type."""
    for f in small.DESCRIPTOR.fields:
        g = large.DESCRIPTOR.fields_by_name.get(f.name)
        if g is None or (g.number, g.type, g.label) != (f.number, f.type, f.label):
            return False
        if (f.message_type and f.message_type.full_name) != (g.message_type and g.message_type.full_name):
            return False
    return True


_SAME_RESOURCE_FIELDS = _same_fields(analyzer_pb2.AnalyzeRequest, analyzer_pb2.AnalyzerResource) and [
    f.number for f in analyzer_pb2.AnalyzeStackRequest.DESCRIPTOR.fields
] == [1]


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _options_field(resource: ResourceInput) -> bytes:
    """The encoded `options` field of the resource's AnalyzeRequest (a few distinct values per stack)."""
    key = ("options", resource.parent, repr(resource.options))
    hit = _ENCODED.get(key)
    return hit if hit is not None else _remember(key, lambda: analyzer_pb2.AnalyzeRequest(options=_options(resource)))


def _provider_field(resource: ResourceInput) -> bytes:
    """The encoded `provider` field of the resource's AnalyzeRequest (one per provider of the stack)."""
    key = ("provider", resource.provider, repr(resource.provider_properties))
    hit = _ENCODED.get(key)
    return hit if hit is not None else _remember(key, lambda: analyzer_pb2.AnalyzeRequest(provider=_provider(resource)))


# Encoded options and providers by their value's repr (which tells apart every value the wire format holds).
_ENCODED: dict[tuple[str, str, str], bytes] = {}
_ENCODED_MAX = 1024


def _remember(key: tuple[str, str, str], build: Any) -> bytes:
    if len(_ENCODED) >= _ENCODED_MAX:
        _ENCODED.clear()
    encoded = _ENCODED[key] = build().SerializeToString()
    return encoded


def last_error_line(lines: Iterable[str]) -> str:
    """What a pack's standard error says went wrong, in one line: the exception line of its last Python traceback
    (`RuntimeError: boom`, not the frames above it), else its last line."""
    text = [line.rstrip() for line in lines if line.strip()]
    for i in range(len(text) - 1, -1, -1):
        if text[i].startswith("Traceback (most recent call last):"):
            # The frames are indented; the first line after them is the exception's.
            after = [line for line in text[i + 1 :] if not line.startswith((" ", "\t"))]
            if after:
                return after[0].strip()[:_ERROR_LINE_CHARS]
            break
    return text[-1].strip()[:_ERROR_LINE_CHARS] if text else ""


def _pump(
    stream: Any,
    sink: collections.deque[str],
    first_line: queue.Queue[str | None] | None,
    copy: IO[str] | None = None,
) -> None:
    """Drain a pipe so the pack never blocks on a full buffer; hand the first stdout line (the port) over; `copy`
    gets every line (the whole standard error, where `sink` keeps only its tail)."""
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip("\n")
        if copy is not None:
            try:
                copy.write(line + "\n")
                copy.flush()
            except (OSError, ValueError):  # closed by close() while the pack still writes: the tail is enough
                copy = None
        if first_line is not None:
            first_line.put(line)
            first_line = None
        else:
            sink.append(line)
    if first_line is not None:
        first_line.put(None)
    stream.close()


def _level(value: int) -> str:
    return str(analyzer_pb2.EnforcementLevel.Name(value)).lower()


def _severity(value: int) -> str:
    if value == analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED:
        return ""
    return str(analyzer_pb2.PolicySeverity.Name(value)).removeprefix("POLICY_SEVERITY_").lower()


def _marshal(value: Any) -> Any:
    """Marshal a wire-format value the way the CLI does for analyzers (KeepSecrets, KeepUnknowns, no resources)."""
    if isinstance(value, dict):
        sig = value.get(SIG_KEY)
        if sig == RESOURCE_SIG:
            # Without KeepResources a custom resource becomes its id, a component its urn.
            ref_id = value.get("id")
            return _marshal(ref_id) if ref_id not in (None, "") else value.get("urn", "")
        if sig == OUTPUT_SIG:
            # Without KeepOutputValues an output becomes its value (unknown if not known), secret-wrapped if secret.
            inner = _marshal(value["value"]) if "value" in value else UNKNOWN
            return {SIG_KEY: SECRET_SIG, "value": inner} if value.get("secret") else inner
        # SkipInternalKeys: "__defaults" and friends are engine bookkeeping, never shown to policies.
        return {k: _marshal(v) for k, v in value.items() if not (isinstance(k, str) and k.startswith("__"))}
    if isinstance(value, (list, tuple)):
        return [_marshal(v) for v in value]
    return value


def _struct(properties: Mapping[str, Any]) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update(_marshal(dict(properties)))
    return result


def _options(resource: ResourceInput) -> analyzer_pb2.AnalyzerResourceOptions:
    opts = dict(resource.options)
    if "deleteBeforeReplace" in opts:
        opts.setdefault("deleteBeforeReplaceDefined", True)
    if resource.parent:
        opts.setdefault("parent", resource.parent)
    message = analyzer_pb2.AnalyzerResourceOptions()
    try:
        json_format.ParseDict(opts, message)
    except json_format.ParseError as e:
        raise ValueError(f"{resource.urn}: bad resource options: {e}") from e
    # The CLI always sends customTimeouts, and the Python SDK checks HasField before reading it.
    if not message.HasField("customTimeouts"):
        message.customTimeouts.SetInParent()
    return message


def _provider(resource: ResourceInput) -> analyzer_pb2.AnalyzerProviderResource:
    # A reference is "<urn>::<id>"; the id is after the last "::" (the engine's ParseReference does the same).
    urn = resource.provider.rsplit("::", 1)[0] if "::" in resource.provider else resource.provider
    # urn:pulumi:<stack>::<project>::<qualified type>::<name>; the name may itself contain "::".
    parts = urn.split("::", 3)
    type_ = parts[2].rsplit("$", 1)[-1] if len(parts) == 4 else ""
    name = parts[3] if len(parts) == 4 else ""
    return analyzer_pb2.AnalyzerProviderResource(
        type=type_, urn=urn, name=name, properties=_struct(resource.provider_properties)
    )
