"""The offline engine: run a Pulumi program on Pulumi's own mock runtime and record what it registers.

The program runs exactly as the Python language host runs it for `pulumi preview`: inside `run_in_stack`, with
the stack's config set and preview mode on. Instead of a resource monitor that talks to the engine, a
RecordingMonitor takes each RegisterResource request and keeps it whole (URN with the parent chain, inputs in
the engine's wire format, so secrets stay marked secret and unknowns stay unknown, options, dependencies,
provider), and creates default providers the way the engine does when a custom resource names none.
Outputs are the inputs plus the few computed values a program reads back (ids, ARNs, names), from
llmops/mock_outputs.py; every other output is unknown, as in a real preview.
"""

from __future__ import annotations

import contextlib
import os
import site
import sysconfig
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

import pulumi
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import mocks as pulumi_mocks, settings as pulumi_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

# Relative imports only, and nothing but the standard library and pulumi: this module, recording, mock_outputs, wire
# and program_host also run inside a project's own interpreter, loaded under a private name (llmops/program.py).
from . import mock_outputs
from .recording import SECRET_PLACEHOLDER, STACK_TYPE, Recording, Registration, StackSettings
from .wire import SECRET_SIG, SIG_KEY

# Read as a number or a bool, a `secure:` value (SECRET_PLACEHOLDER) is the typed placeholder below; the key stays
# marked secret either way.
TYPED_SECRET_PLACEHOLDERS: dict[str, Any] = {"_get_bool": False, "_get_int": 1, "_get_float": 1.0}


def _struct_to_wire(struct: struct_pb2.Struct) -> dict[str, Any]:
    # A text built from a data source's placeholder reads as unknown (mock_outputs.settle_unknowns).
    return mock_outputs.settle_unknowns(
        _whole_numbers(json_format.MessageToDict(struct, preserving_proto_field_name=True))
    )


def _whole_numbers(value: Any) -> Any:
    """Protobuf carries every number as a double; a whole one was an int in the program (and in Pulumi's JSON)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(v) for v in value]
    return value


def _wire_to_struct(value: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    json_format.ParseDict(value, struct)
    return struct


def _stable_id(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "::".join(parts)))


class SourcePositions:
    """Where the program registered a resource, as Pulumi's engine records it (sourcePositions in
    pkg/resource/deploy/source_eval.go): the SDK sends the absolute `file://` position of the code that created the
    resource and the stack trace; each becomes `project:///<path relative to the project directory>#<line>[,<col>]`.

    Unlike the engine, the stack trace keeps only the program's own frames: not those of the interpreter's standard
    library or installed packages (the SDKs), of this offline engine, or of code with no file (`<frozen runpy>`).
    What is left, innermost first, is the component line, the stack line that called it, and so on up to the program.
    """

    def __init__(self, project_root: str = "") -> None:
        self.root = os.path.abspath(project_root or "/")
        paths = sysconfig.get_paths()
        library = {paths.get(k, "") for k in ("stdlib", "platstdlib", "purelib", "platlib")}
        library |= set(getattr(site, "getsitepackages", list)())
        here = os.path.dirname(os.path.abspath(__file__))
        library |= {here, os.path.realpath(here)}  # this engine (llmops/, also under a linked name)
        self._library = tuple(os.path.join(os.path.abspath(d), "") for d in library if d)
        self._files: dict[str, tuple[str, bool]] = {}  # file URI -> (project path, whether it is the program's own)

    def _file(self, uri: str) -> tuple[str, bool]:
        known = self._files.get(uri)
        if known is None:
            path = _file_path(uri)
            try:
                relative = os.path.relpath(path, self.root).replace(os.sep, "/") if path else ""
            except ValueError:  # another drive than the project's (Windows): no project path
                relative = ""
            known = ("/" + relative, not path.startswith(self._library)) if path and relative else ("", False)
            self._files[uri] = known
        return known

    def _position(self, position: Any, own_only: bool) -> str:
        if position is None or not position.uri or position.line < 0:
            return ""
        path, own = self._file(position.uri)
        if not path or (own_only and not own):
            return ""
        column = f",{position.column}" if position.column > 0 else ""
        return f"project://{path}#{position.line}{column}"

    def of(self, request: Any) -> tuple[str, list[str]]:
        """The request's source position and the program's own frames of its stack trace."""
        position = self._position(request.sourcePosition, False) if request.HasField("sourcePosition") else ""
        frames = [self._position(f.pc, True) for f in request.stackTrace.frames if f.HasField("pc")]
        return position, [f for f in frames if f]


def _file_path(uri: str) -> str | None:
    """The absolute path of a `file://` URI, None for anything else (as the engine refuses other schemes)."""
    parts = urlsplit(uri)
    if parts.scheme != "file" or not parts.path:
        return None
    path = unquote(parts.path)
    if os.name == "nt" and path[:1] == "/" and path[2:3] == ":":
        path = path[1:]  # file:///C:/x -> C:/x
    return os.path.normpath(path) if os.path.isabs(path) else None


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A resource monitor that keeps every registration as the engine would see it."""

    def __init__(self, settings: StackSettings, project_root: str = ""):
        super().__init__(mocks=_Unused())
        self.settings = settings
        self.positions = SourcePositions(project_root)
        self.recorded: list[Registration] = []
        self._by_urn: dict[str, Registration] = {}
        self._default_providers: dict[tuple[str, str], str] = {}
        self.warnings: list[str] = []

    # -- helpers -------------------------------------------------------------------------------------------

    def _urn(self, parent: str, type_: str, name: str) -> str:
        # As the engine's NewURN: the parent's qualified type prefixes the child's, except the root stack's.
        qualified = type_
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != STACK_TYPE:
                qualified = f"{parent_type}${type_}"
        return f"urn:pulumi:{self.settings.stack}::{self.settings.project}::{qualified}::{name}"

    def _record(self, registration: Registration) -> None:
        self.recorded.append(registration)
        self._by_urn[registration.urn] = registration

    def _default_provider(self, package: str, version: str) -> str:
        """The provider reference the engine would give a custom resource that names no provider."""
        key = (package, version)
        if key not in self._default_providers:
            name = "default" + (f"_{version.replace('.', '_')}" if version else "")
            urn = self._urn("", f"pulumi:providers:{package}", name)
            prefix = f"{package}:"
            inputs: dict[str, Any] = {
                k[len(prefix) :]: v for k, v in sorted(self.settings.config.items()) if k.startswith(prefix)
            }
            inputs = {
                k: ({SIG_KEY: SECRET_SIG, "value": v} if f"{package}:{k}" in self.settings.secret_keys else v)
                for k, v in inputs.items()
            }
            if version:
                inputs["version"] = version
            provider_id = _stable_id(urn)
            self._record(
                Registration(urn, f"pulumi:providers:{package}", name, True, "", "", provider_id, inputs, inputs)
            )
            self._default_providers[key] = f"{urn}::{provider_id}"
        return self._default_providers[key]

    # -- the resource monitor protocol ---------------------------------------------------------------------

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        urn = self._urn(request.parent, request.type, request.name)
        inputs = _struct_to_wire(request.object)
        provider = request.provider
        is_provider = request.type.startswith("pulumi:providers:")
        if request.custom and not provider and not is_provider and request.type != STACK_TYPE:
            provider = self._default_provider(request.type.split(":")[0], request.version)
        registration = Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent,
            provider=provider,
            inputs=inputs,
            dependencies=list(request.dependencies),
            property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
            protect=bool(request.protect),
            options=_options(request),
        )
        registration.source_position, registration.stack_trace = self.positions.of(request)
        if request.custom:
            registration.id = request.importId or _stable_id(urn)
            registration.outputs = mock_outputs.outputs_for(registration, self.settings)
        self._record(registration)
        return resource_pb2.RegisterResourceResponse(
            urn=urn, id=registration.id, object=_wire_to_struct(registration.outputs)
        )

    def RegisterResourceOutputs(self, request):  # noqa: N802
        registration = self._by_urn.get(request.urn)
        if registration is not None:
            registration.outputs = _struct_to_wire(request.outputs)
        return super().RegisterResourceOutputs(request)

    def ReadResource(self, request):  # noqa: N802
        urn = self._urn(request.parent, request.type, request.name)
        registration = Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=True,
            parent=request.parent,
            provider=request.provider or self._default_provider(request.type.split(":")[0], request.version),
            id=request.id,
            inputs=_struct_to_wire(request.properties),
            options={"external": True},
        )
        registration.source_position, registration.stack_trace = self.positions.of(request)
        registration.outputs = mock_outputs.outputs_for(registration, self.settings)
        self._record(registration)
        return resource_pb2.ReadResourceResponse(urn=urn, properties=_wire_to_struct(registration.outputs))

    def Invoke(self, request):  # noqa: N802
        # Every data source answers; one outside mock_outputs.INVOKES adds a warning to the run (once per token).
        args = _struct_to_wire(request.args)
        result = mock_outputs.invoke(request.tok, args, self.settings, self.warnings)
        return resource_pb2.ResourceInvokeResponse(**{"return": _wire_to_struct(result), "failures": None})


def _options(request) -> dict[str, Any]:
    """The resource options worth keeping in a report or an export (only the ones that were set)."""
    options: dict[str, Any] = {}
    if request.deleteBeforeReplace:
        options["deleteBeforeReplace"] = True
    if request.retainOnDelete:
        options["retainOnDelete"] = True
    if list(request.ignoreChanges):
        options["ignoreChanges"] = list(request.ignoreChanges)
    if list(request.additionalSecretOutputs):
        options["additionalSecretOutputs"] = list(request.additionalSecretOutputs)
    if list(request.replaceOnChanges):
        options["replaceOnChanges"] = list(request.replaceOnChanges)
    if request.version:
        options["version"] = request.version
    if request.deletedWith:
        options["deletedWith"] = request.deletedWith
    if request.importId:
        options["import"] = request.importId  # the id of the existing resource: kept as it is
    return options


class _Unused(pulumi_mocks.Mocks):
    """RecordingMonitor answers every call itself; the Mocks interface is required by MockMonitor only."""

    def call(self, args):  # pragma: no cover - never called
        raise NotImplementedError

    def new_resource(self, args):  # pragma: no cover - never called
        raise NotImplementedError


@contextlib.contextmanager
def _runtime(monitor: RecordingMonitor, settings: StackSettings) -> Iterator[None]:
    previous_root = pulumi_settings.get_root_resource()
    pulumi_settings.set_root_resource(None)  # type: ignore[arg-type]
    # Each run starts with no pending outputs, as Pulumi's own mocks.test wrapper does: runs share a process
    # (`check --all`, the tests), and a task left from an earlier program must not be awaited by the next.
    pulumi_settings.SETTINGS.outputs.clear()
    set_all_config(dict(settings.config), sorted(settings.secret_keys))
    features = set(monitor.GetDeploymentInfo(None).supportedFeatures)
    pulumi_settings.configure(
        pulumi_mocks.MockSettings(
            monitor=monitor,
            monitor_features=features,
            engine=pulumi_mocks.MockEngine(None),
            project=settings.project,
            stack=settings.stack,
            organization=settings.organization,
            dry_run=True,
            callbacks=None,
        )
    )
    try:
        with _typed_secret_placeholders(settings):
            yield
    finally:
        pulumi_settings.set_root_resource(previous_root)  # type: ignore[arg-type]
        set_all_config({}, [])


@contextlib.contextmanager
def _typed_secret_placeholders(settings: StackSettings) -> Iterator[None]:
    """`config.get_int("port")` of a `secure:` value gets a number, not a text it cannot parse."""
    originals = {name: getattr(pulumi.Config, name) for name in TYPED_SECRET_PLACEHOLDERS}

    def typed(name: str) -> Callable[..., Any]:
        def get(self: pulumi.Config, key: str, *args: Any, **kwargs: Any) -> Any:
            full_key = self.full_key(key)
            if full_key in settings.secret_keys and settings.get(full_key) == SECRET_PLACEHOLDER:
                return TYPED_SECRET_PLACEHOLDERS[name]
            return originals[name](self, key, *args, **kwargs)

        return get

    for name in originals:
        setattr(pulumi.Config, name, typed(name))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(pulumi.Config, name, original)


def run(program: Callable[[], Any], settings: StackSettings, project_root: str = "") -> Recording:
    """Run `program` as a preview of the stack described by `settings`; return everything it registered.

    Source positions are recorded relative to `project_root` (the directory of Pulumi.yaml), as the engine does;
    without one, relative to `/`, as the engine does when it knows no project root.

    An exception raised by the program propagates after outstanding registrations have finished, as in the
    language host; what was registered before it is lost with it, which is what callers want for bad input.
    """
    monitor = RecordingMonitor(settings, project_root)
    with _runtime(monitor, settings):
        _sync_await(run_in_stack(program))
    return Recording(settings, monitor.recorded, monitor.warnings)
