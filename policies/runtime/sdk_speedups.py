"""Make pulumi_policy's analyzer loops cheap for a pack of many small policies, without changing any answer.

1. Decode each resource of an analyzer request once, not once per policy.

pulumi_policy's Analyze and AnalyzeStack decode a resource's properties (and its provider's) inside the loop
over policies: MessageToDict, deserialize_properties and unknown_checking_proxy run again for every policy
(pulumi_policy/policy.py, Analyze and AnalyzeStack). With some fifty policies per pack that repetition was
nearly all of a pack's time: about 2 ms per resource, so 10,000 resources took over 30 s for two packs.

Within one call the same message always decodes to the same value, so while an Analyze or AnalyzeStack call
runs, these three functions remember their answer per input object. The cache lives for that call only and
per thread (the pack serves calls on several threads). Policies only read what they are given, so sharing the
decoded value between them changes nothing they can see. If a future pulumi_policy no longer has these names,
nothing is patched and the pack simply runs at the SDK's own speed.

2. Read the pack's runtime settings (from its environment, fixed for its life) once, not on every call.

3. Offer each resource only to the policies that judge its type. Every policy of ours starts by checking the
resource type and returns when it does not apply, so skipping it earlier changes nothing but the cost; the
policy list hands Analyze only the applicable policies, and AnalyzeStack gets only the resources of the types
the stack policies judge. GetAnalyzerInfo and Configure still see every policy.

4. Build AnalyzeStack's resource objects once per request, not once per stack policy. The SDK decodes every
resource, builds its PolicyResource, the URN map, and links parents and dependencies again inside its loop over
stack policies: with fourteen stack policies that was about 44 % of a pack's time at 10,000 resources. The
request is the same for every policy, so the objects are too; each policy gets its own list of them (a policy
that reorders its list cannot disturb the next one). The loop is the SDK's own, line for line (enforcement
levels, disabled policies, config, unknown values and not-applicable answers); it replaces the SDK's only when
the servicer still has the private fields it reads, else the SDK's runs as it is.

5. Convert a Struct (properties, provider inputs, policy config) to a dict directly instead of through
json_format's printer: the same dict in the same key order, in about half the time (decoding 20,000 Structs of the
synthetic 10,000-resource export: 0.30 s -> 0.15 s).

6. Collect garbage less often (GC_THRESHOLDS): decoding a large AnalyzeStack request makes hundreds of thousands
of objects, none of them garbage, and the default thresholds rescan the growing heap again and again (at 10,000
resources the HIPAA pack's AnalyzeStack handler: 1.08 -> 0.73 CPU-seconds; at 100,000: 15 -> 8.3).

7. Serve with two threads instead of four (SERVER_THREADS). A call holds the GIL almost all the time it runs, so
more threads only take it from each other; with two, one can decode or encode while the other's reply travels.
Measured as a pack's CPU per 10,000 Analyze calls in steady state: 4.70 s with four threads, 4.25 s with two,
4.64 s with one (medians of six).

Measured on 10,000 resources through the protocol: the first three took the HIPAA pack from about 17 s for
Analyze and 12 s for AnalyzeStack to the figures bench/ prints; the fourth took AnalyzeStack's handler from
about 4.5 s to about 0.5 s (bench/README.md).
"""

from __future__ import annotations

import functools
import gc
import math
import threading
import types
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import Any

_local = threading.local()
_PATCHED = "_llmops_decode_once"


def _remembered(fn: Callable[..., Any], arity: int = 1) -> Callable[..., Any]:
    """`fn` remembering its answer per last argument (the message or request), while a call is in scope.

    Calls with other arguments than the `arity` positional ones (Remediate's `proxy_secrets`) are not remembered.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        cache: dict[tuple[int, int], tuple[Any, Any]] | None = getattr(_local, "cache", None)
        if cache is None or kwargs or len(args) != arity:
            return fn(*args, **kwargs)
        value = args[-1]
        key = (id(fn), id(value))
        hit = cache.get(key)
        if hit is None or hit[0] is not value:
            # The input is kept in the entry, so its id cannot be reused by another object during the call.
            hit = cache[key] = (value, fn(*args))
        return hit[1]

    return wrapper


_STRUCT = "google.protobuf.Struct"


def _struct_fast_path(message_to_dict: Callable[..., Any]) -> Callable[..., Any]:
    """json_format.MessageToDict, with a google.protobuf.Struct (what the SDK decodes: properties, provider inputs,
    policy config) converted directly: the same dict, key for key in the same order, without the printer's
    per-message descriptor dispatch. Any other message, or any option, goes to MessageToDict itself."""

    is_struct: dict[type, bool] = {}  # by message class: reading the descriptor on every call costs more

    @functools.wraps(message_to_dict)
    def convert(message: Any, *args: Any, **kwargs: Any) -> Any:
        kind = type(message)
        struct = is_struct.get(kind)
        if struct is None:
            struct = is_struct[kind] = getattr(getattr(message, "DESCRIPTOR", None), "full_name", None) == _STRUCT
        if args or kwargs or not struct:
            return message_to_dict(message, *args, **kwargs)
        return _struct_dict(message)

    return convert


def _struct_dict(struct: Any) -> dict[str, Any]:
    fields = struct.fields
    return {key: _value(fields[key]) for key in fields}


def _value(value: Any) -> Any:
    # json_format's _ValueMessageToJsonObject, case by case.
    which = value.WhichOneof("kind")
    if which == "string_value":
        return str(value.string_value)
    if which == "struct_value":
        return _struct_dict(value.struct_value)
    if which == "number_value":
        number = value.number_value
        if math.isinf(number):
            raise ValueError("Fail to serialize Infinity for Value.number_value, which would parse as string_value")
        if math.isnan(number):
            raise ValueError("Fail to serialize NaN for Value.number_value, which would parse as string_value")
        return number
    if which == "bool_value":
        return bool(value.bool_value)
    if which == "list_value":
        return [_value(v) for v in value.list_value.values]
    return None  # null_value, or no kind set


def _scoped(method: Callable[..., Any], for_type: bool = False) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(self: Any, request: Any, context: Any) -> Any:
        _local.cache = {}
        _local.resource_type = request.type if for_type else None
        try:
            return method(self, request, context)
        finally:
            _local.cache = None
            _local.resource_type = None

    return wrapper


def _once(method: Callable[..., Any]) -> Callable[..., Any]:
    # The runtime settings come from the pack's environment, which does not change while it runs; the SDK
    # re-reads them (and inspects pulumi.runtime.Settings' signature) on every call.
    done: list[bool] = []

    @functools.wraps(method)
    def wrapper(self: Any) -> Any:
        if not done:
            method(self)
            done.append(True)

    return wrapper


def _only_types(method: Callable[..., Any], types: frozenset[str]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(self: Any, request: Any, context: Any) -> Any:
        if not types:
            return method(self, request, context)
        relevant = type(request)()
        relevant.resources.extend(r for r in request.resources if r.type in types)
        return method(self, relevant, context)

    return wrapper


# What the SDK's AnalyzeStack uses (pulumi_policy 1.x): the servicer's private fields, by their mangled names, its
# helper methods, and the module's names.
_STACK_FIELDS = ("policies", "policy_pack_name", "policy_pack_version", "stack_tags")
_STACK_METHODS = (
    "_configure_runtime_settings",
    "_get_enforcement_level",
    "_create_report_violation",
    "_map_enforcement_level",
    "_get_policy_config",
    "_get_resource_options",
    "_get_provider_resource",
)
_STACK_NAMES = (
    "PolicyResource",
    "StackValidationArgs",
    "StackValidationPolicy",
    "EnforcementLevel",
    "UnknownValueError",
    "_NotApplicableError",
    "isawaitable",
    "asyncio",
    "proto",
)


def _can_build_once(sdk: Any) -> bool:
    """True when this pulumi_policy's AnalyzeStack reads what `_analyze_stack_once` reproduces."""
    servicer = sdk._PolicyAnalyzerServicer
    assigned = set(getattr(getattr(servicer.__init__, "__code__", None), "co_names", ()))
    return (
        all(f"_PolicyAnalyzerServicer__{name}" in assigned for name in _STACK_FIELDS)
        and all(hasattr(servicer, name) for name in _STACK_METHODS)
        and all(hasattr(sdk, name) for name in _STACK_NAMES)
    )


def _stack_resources(sdk: Any, servicer: Any, request: Any) -> list[Any]:
    """The SDK's PolicyResources of an AnalyzeStack request, parents and dependencies linked (its own steps)."""
    intermediates = []
    for r in request.resources:
        props = sdk.unknown_checking_proxy(sdk.deserialize_properties(sdk.json_format.MessageToDict(r.properties)))
        opts = servicer._get_resource_options(r)
        provider = servicer._get_provider_resource(r)
        resource = sdk.PolicyResource(r.type, props, r.urn, r.name, opts, provider, None, [], {})
        property_dependencies = {k: list(v.urns) for k, v in r.propertyDependencies.items()}
        intermediates.append((resource, r.parent, list(r.dependencies), property_dependencies))
    urns_to_resources = {i[0].urn: i[0] for i in intermediates}
    for resource, parent, dependencies, property_dependencies in intermediates:
        if parent is not None and parent in urns_to_resources:
            resource.parent = urns_to_resources[parent]
        for d in dependencies:
            if d in urns_to_resources:
                resource.dependencies.append(urns_to_resources[d])
        for k, urns in property_dependencies.items():
            resource.property_dependencies[k] = [urns_to_resources[d] for d in urns if d in urns_to_resources]
    return [i[0] for i in intermediates]


def _analyze_stack_once(sdk: Any) -> Callable[..., Any]:
    """The SDK's AnalyzeStack with the resources built before the loop over policies instead of inside it."""
    levels = sdk.EnforcementLevel

    def AnalyzeStack(self: Any, request: Any, _context: Any) -> Any:  # noqa: N802 - the gRPC method
        self._configure_runtime_settings()
        response = sdk.proto.AnalyzeResponse()
        resources: list[Any] | None = None
        for policy in self._PolicyAnalyzerServicer__policies:
            enforcement_level = self._get_enforcement_level(policy)
            if enforcement_level == levels.DISABLED or not isinstance(policy, sdk.StackValidationPolicy):
                continue
            if enforcement_level == levels.REMEDIATE:
                enforcement_level = levels.MANDATORY  # stack policies cannot be remediated
            report_violation = self._create_report_violation(
                response, policy.name, policy.description, enforcement_level, policy.severity
            )
            if resources is None:  # decoded when the first policy needs them, as the SDK does
                resources = _stack_resources(sdk, self, request)
            config = self._get_policy_config(policy.name)
            args = sdk.StackValidationArgs(list(resources), config, self._PolicyAnalyzerServicer__stack_tags)
            try:
                result = policy.validate(args, report_violation)
                if sdk.isawaitable(result):
                    loop = sdk.asyncio.new_event_loop()
                    task = sdk.asyncio.Task(result, loop=loop)
                    loop.run_until_complete(task)
                    loop.close()
            except sdk.UnknownValueError as e:
                name, version = (
                    self._PolicyAnalyzerServicer__policy_pack_name,
                    self._PolicyAnalyzerServicer__policy_pack_version,
                )
                response.diagnostics.append(
                    sdk.proto.AnalyzeDiagnostic(
                        policyName=policy.name,
                        policyPackName=name,
                        policyPackVersion=version,
                        message=(
                            f"can't run policy '{policy.name}' from policy pack '{name}@v{version}' during preview: "
                            f"{e.message}"
                        ),
                        urn="",
                        description=policy.description,
                        enforcementLevel=self._map_enforcement_level(levels.ADVISORY),
                    )
                )
            except sdk._NotApplicableError as e:
                response.not_applicable.append(
                    sdk.proto.PolicyNotApplicable(policy_name=policy.name, reason=e.reason or "")
                )
        return response

    return AnalyzeStack


class PolicyList(list):
    """The pack's policies; while an Analyze call runs, iterating yields only those that judge its resource type."""

    def __init__(self, policies: Iterable[Any], types: Mapping[str, Collection[str]]) -> None:
        super().__init__(policies)
        self.types = types  # policy name -> the resource types it judges
        # resource type -> (the policies and types as they were, the policies that judge it): filtered once per
        # type, not on every call (the pack's list does not change once built)
        self._for_type: dict[str, tuple[list[Any], Any, list[Any]]] = {}

    def __iter__(self) -> Iterator[Any]:
        resource_type = getattr(_local, "resource_type", None)
        if resource_type is None:
            return super().__iter__()
        everything = list(super().__iter__())
        known = self._for_type.get(resource_type)
        if known is None or known[1] is not self.types or known[0] != everything:  # changed since: filter again
            judging = [p for p in everything if resource_type in self.types.get(p.name, (resource_type,))]
            known = self._for_type[resource_type] = (everything, self.types, judging)
        return iter(known[2])


GC_THRESHOLDS = (10_000, 50, 100)
SERVER_THREADS = 2


def _server_threads(executor: Callable[..., Any], max_workers: int | None = None, **kwargs: Any) -> Any:
    return executor(max_workers=min(max_workers or SERVER_THREADS, SERVER_THREADS), **kwargs)


def install(stack_types: Collection[str] = ()) -> bool:
    """Patch pulumi_policy in this process (a pack's); True when patched (now or before).

    `stack_types`: every resource type some stack policy judges; AnalyzeStack is handed only those.
    """
    import pulumi_policy.policy as sdk

    if getattr(sdk, _PATCHED, False):
        return True
    gc.set_threshold(*GC_THRESHOLDS)
    servicer = getattr(sdk, "_PolicyAnalyzerServicer", None)
    names = ("deserialize_properties", "unknown_checking_proxy", "json_format")
    if servicer is None or not all(hasattr(sdk, n) for n in names):
        return False
    # A stand-in for the module as policy.py sees it: every function as before, MessageToDict remembering.
    functions = {k: getattr(sdk.json_format, k) for k in dir(sdk.json_format) if not k.startswith("__")}
    functions["MessageToDict"] = _remembered(_struct_fast_path(functions["MessageToDict"]))
    sdk.json_format = types.SimpleNamespace(**functions)
    sdk.deserialize_properties = _remembered(sdk.deserialize_properties)
    sdk.unknown_checking_proxy = _remembered(sdk.unknown_checking_proxy)
    # Options and provider are decoded per policy too; they are read-only objects for the policies.
    for method in ("_get_resource_options", "_get_provider_resource"):
        if hasattr(servicer, method):
            setattr(servicer, method, _remembered(getattr(servicer, method), arity=2))
    executor = getattr(getattr(sdk, "futures", None), "ThreadPoolExecutor", None)
    if executor is not None:
        # A stand-in for concurrent.futures as policy.py sees it: PolicyPack's server gets SERVER_THREADS threads.
        pool = {k: getattr(sdk.futures, k) for k in dir(sdk.futures) if not k.startswith("__")}
        pool["ThreadPoolExecutor"] = functools.partial(_server_threads, executor)
        sdk.futures = types.SimpleNamespace(**pool)  # type: ignore[assignment]
    if hasattr(servicer, "_configure_runtime_settings"):
        servicer._configure_runtime_settings = _once(servicer._configure_runtime_settings)
    servicer.Analyze = _scoped(servicer.Analyze, for_type=True)
    analyze_stack = _analyze_stack_once(sdk) if _can_build_once(sdk) else servicer.AnalyzeStack
    servicer.AnalyzeStack = _scoped(_only_types(analyze_stack, frozenset(stack_types)))
    setattr(sdk, _PATCHED, True)
    return True
