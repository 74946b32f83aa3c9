"""The pack speed-ups (policies/runtime/sdk_speedups.py) change the cost of a pack, never its answers.

The packs are driven over the analyzer protocol, as the Pulumi CLI drives them, and their diagnostics compared with
the rule library's own `evaluate` / `evaluate_stack` on the same resources, and with the same packs started
without the speed-ups. `install` patches pulumi_policy for the whole process, so it only ever runs in a pack
process or a subprocess here, never in the test process.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy.deserialize import deserialize_properties

from llmops_infra.cli.analyzer_host import (
    AnalyzeCall,
    PolicyPackHost,
    ResourceInput,
    StackContext,
    analyze_call,
    analyze_request,
    analyze_stack_payload,
    analyze_stack_request,
)
from llmops_infra.cli.check import resource_inputs
from llmops_infra.cli.program import run_stack
from llmops_infra.cli.recording import Registration
from llmops_infra.cli.stackfile import resolve
from llmops_infra.cli.wire import SECRET_SIG, SIG_KEY, UNKNOWN
from llmops_infra.policies.runtime import sdk_speedups
from llmops_infra.policies.runtime.pack import description, rules_for, stack_config
from llmops_infra.policies.runtime.rule import Framework, Resource, Settings, evaluate, evaluate_stack

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS: tuple[Framework, ...] = ("hipaa", "gdpr")
STACK_CONFIG = {"aws:region": "us-east-1"}
CONTEXT = StackContext(project="llmops-infra", stack="speedups", config=STACK_CONFIG)

BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
KMS_KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/0b3c6c1e-8d0f-4b53-9b84-1b4d3a0c9a10"

# A pack built by the same build_pack, with the speed-ups switched off before it is built.
PLAIN_PACK = """\
import sys
sys.path.insert(0, {root!r})
from llmops_infra.policies.runtime import sdk_speedups
sdk_speedups.install = lambda stack_types=(): False
sdk_speedups.PolicyList = lambda policies, types: list(policies)
from llmops_infra.policies.runtime.pack import build_pack
build_pack("llmops-{framework}", "{framework}")
"""


# ---- the resources: two real stacks, a broken copy of one, and hand-made GCP / Kubernetes / odd ones ---------------


def _renamed(resources: list[Registration], old: str, new: str) -> list[Registration]:
    """A copy of a stack under another stack name (URNs, references and names all follow)."""
    return [Registration(**json.loads(json.dumps(vars(r)).replace(old, new))) for r in resources]


def _break(r: Registration, index: int) -> Registration | None:
    """One stack's worth of violations, unknowns and lost links, by resource type (None drops the resource)."""
    props = copy.deepcopy(r.inputs)
    if r.type == SSE and r.name.startswith(("models", "datasets")):
        return None
    if r.type == "aws:ec2/flowLog:FlowLog":
        return None
    if r.type == "aws:cloudwatch/logGroup:LogGroup":
        props["retentionInDays"] = 7
        props.pop("kmsKeyId", None)
    elif r.type == "aws:kms/key:Key":
        props["enableKeyRotation"] = False if index % 2 else UNKNOWN
        props["deletionWindowInDays"] = 7
    elif r.type == "aws:ec2/securityGroup:SecurityGroup":
        props["ingress"] = [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}]
    elif r.type == "aws:eks/cluster:Cluster":
        props["vpcConfig"] = {**props.get("vpcConfig", {}), "endpointPublicAccess": True}
        props["enabledClusterLogTypes"] = ["api"]
    elif r.type == "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
        props["blockPublicAcls"] = False
    elif r.type == "aws:ec2/subnet:Subnet":
        props["mapPublicIpOnLaunch"] = True
    elif r.type == "aws:s3/bucketVersioning:BucketVersioning":
        # No property dependency: the rules must find the bucket by the companion's `bucket` value instead.
        return Registration(**{**vars(r), "property_dependencies": {}, "inputs": props})
    elif r.type == "aws:iam/policy:Policy":
        statement = {"Effect": "Allow", "Action": "*", "Resource": "*"}
        props["policy"] = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    elif r.type == "aws:ec2/launchTemplate:LaunchTemplate":
        props["blockDeviceMappings"] = [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "false"}}]
    elif r.type == BUCKET and index % 3 == 0:
        props["tags"] = {"owner": UNKNOWN}
    return Registration(**{**vars(r), "inputs": props})


def _handmade() -> list[Registration]:
    stack = "urn:pulumi:handmade::llmops-infra::"
    gcp = f"{stack}pulumi:providers:gcp::default_8_0_0"
    k8s = f"{stack}pulumi:providers:kubernetes::default_4_0_0"
    aws = f"{stack}pulumi:providers:aws::default_7_0_0"

    def custom(type_: str, name: str, inputs: dict[str, Any], provider: str, **extra: Any) -> Registration:
        urn = f"{stack}{type_}::{name}"
        return Registration(urn, type_, name, custom=True, provider=f"{provider}::id", inputs=inputs, **extra)

    def provider(urn: str, inputs: dict[str, Any]) -> Registration:
        return Registration(urn=urn, type=urn.split("::")[2], name=urn.rsplit("::", 1)[1], custom=True, inputs=inputs)

    team_b_ns = f"{stack}kubernetes:core/v1:Namespace::team-b"
    return [
        Registration(
            urn=f"{stack}pulumi:pulumi:Stack::handmade", type="pulumi:pulumi:Stack", name="handmade", custom=False
        ),
        provider(gcp, {"region": "europe-west1", "project": "proj"}),
        provider(k8s, {}),
        provider(aws, {"region": "eu-central-1"}),
        custom("gcp:storage/bucket:Bucket", "raw", {"location": "US", "name": "raw"}, gcp),
        custom(
            "gcp:storage/bucket:Bucket",
            "half",
            {
                "location": "EUROPE-WEST1",
                "encryption": {"defaultKmsKeyName": UNKNOWN},
                "publicAccessPrevention": "enforced",
                "uniformBucketLevelAccess": True,
                "versioning": "yes",
            },
            gcp,
        ),
        custom("gcp:container/cluster:Cluster", "gke", {"location": "europe-west1"}, gcp),
        custom(
            "gcp:compute/firewall:Firewall",
            "ssh",
            {"direction": "INGRESS", "sourceRanges": ["0.0.0.0/0"], "allows": [{"protocol": "tcp", "ports": ["22"]}]},
            gcp,
        ),
        custom("gcp:projects/iAMMember:IAMMember", "owner", {"role": "roles/owner", "member": "user:a@b.c"}, gcp),
        custom("gcp:logging/projectBucketConfig:ProjectBucketConfig", "logs", {"retentionDays": 30}, gcp),
        custom("kubernetes:core/v1:Namespace", "team-a", {"metadata": {"name": "team-a"}}, k8s),
        custom("kubernetes:core/v1:Namespace", "team-b", {"metadata": {"name": "team-b"}}, k8s),
        custom(
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            "team-b-deny",
            {
                "metadata": {"name": "default-deny", "namespace": "team-b"},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            },
            k8s,
            property_dependencies={"metadata": [team_b_ns]},
        ),
        custom(
            "kubernetes:apps/v1:Deployment",
            "web",
            {
                "metadata": {"namespace": "team-a"},
                "spec": {
                    "template": {
                        "spec": {
                            "hostNetwork": True,
                            "containers": [{"name": "web", "securityContext": {"privileged": True}}],
                            "volumes": [{"name": "root", "hostPath": {"path": "/"}}],
                        }
                    }
                },
            },
            k8s,
        ),
        custom(
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
            "everyone-admin",
            {
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
                "subjects": [{"kind": "Group", "name": "system:authenticated"}],
            },
            k8s,
        ),
        custom(
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
            "anything",
            {"rules": [{"apiGroups": ["*"], "resources": ["*", "secrets"], "verbs": ["*", "escalate"]}]},
            k8s,
        ),
        # Odd shapes, secrets and unknowns: the rules must answer the same way, whoever calls them.
        custom("aws:kms/key:Key", "odd-key", {"enableKeyRotation": "yes", "deletionWindowInDays": "7"}, aws),
        custom("aws:ec2/securityGroup:SecurityGroup", "odd-sg", {"ingress": "everything"}, aws),
        custom(
            "aws:cloudwatch/logGroup:LogGroup",
            "secret-retention",
            {
                "retentionInDays": {SIG_KEY: SECRET_SIG, "value": 14},
                "kmsKeyId": {SIG_KEY: SECRET_SIG, "value": UNKNOWN},
            },
            aws,
        ),
        custom("aws:s3/bucket:Bucket", "eu-bucket", {"bucket": "eu-bucket", "tags": []}, aws),
        custom(
            SSE,
            "eu-bucket-sse",
            {"bucket": "eu-bucket", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
            aws,
        ),
        custom("aws:s3/bucket:Bucket", "pending", {"bucket": UNKNOWN}, aws),
        # Unknown at preview but linked (unlinked, it would leave every bucket without encryption unjudged).
        custom(
            SSE,
            "pending-sse",
            {"bucket": UNKNOWN, "rules": []},
            aws,
            property_dependencies={"bucket": [f"{stack}aws:s3/bucket:Bucket::pending"]},
        ),
    ]


@pytest.fixture(scope="module")
def resources() -> list[ResourceInput]:
    prod = run_stack(resolve("prod-hipaa")).resources
    dev = run_stack(resolve("dev")).resources
    broken = [b for i, r in enumerate(_renamed(prod, "prod-hipaa", "broken")) if (b := _break(r, i)) is not None]
    return resource_inputs([*prod, *dev, *broken, *_handmade()])


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, bool], PolicyPackHost]]:
    """Each framework's pack twice: as shipped (True) and built without the speed-ups (False)."""
    root = tmp_path_factory.mktemp("plain-packs")
    with ExitStack() as running:
        hosts: dict[tuple[str, bool], PolicyPackHost] = {}
        for framework in FRAMEWORKS:
            plain = root / framework
            plain.mkdir()
            (plain / "PulumiPolicy.yaml").write_text("runtime: python\n")
            (plain / "__main__.py").write_text(PLAIN_PACK.format(root=str(ROOT), framework=framework))
            for speedups, directory in ((True, ROOT / "policies" / framework), (False, plain)):
                host = PolicyPackHost(directory, timeout=60, stack=CONTEXT)
                hosts[(framework, speedups)] = running.enter_context(host)
        yield hosts


# ---- what the rules say directly, and what the packs say over the protocol -------------------------------------------

Finding = tuple[str, str, str]  # (policy, urn, message as the pack sends it)


def _decoded(struct: Any) -> dict[str, Any]:
    # What a policy is handed: the message decoded by pulumi_policy's own functions (numbers become floats).
    return deserialize_properties(json_format.MessageToDict(struct))


def _direct(framework: Framework, resources: list[ResourceInput]) -> Counter[Finding]:
    request = analyze_stack_request(resources)
    decoded = [
        Resource(
            r.type,
            r.name,
            r.urn,
            _decoded(r.properties),
            r.parent,
            _decoded(r.provider.properties) if r.HasField("provider") else None,
            {key: list(deps.urns) for key, deps in r.propertyDependencies.items()},
        )
        for r in request.resources
    ]
    settings = Settings(stack_config=STACK_CONFIG)
    found: Counter[Finding] = Counter()
    for rule in rules_for(framework):
        about = description(rule, framework)
        if rule.scope == "stack":
            subjects = [r for r in decoded if rule.applies_to(r.type)]
            found.update((rule.name, s.urn, f"{about}\n{m}") for s, m in evaluate_stack(rule, subjects, settings))
        else:
            for r in decoded:
                plain = Resource(r.type, r.name, r.urn, r.props, "", r.provider)  # what a resource policy sees
                found.update((rule.name, r.urn, f"{about}\n{m}") for m in evaluate(rule, plain, settings))
    return found


def _over_protocol(host: PolicyPackHost, resources: list[ResourceInput]) -> Counter[Finding]:
    calls = [analyze_call(r) for r in resources]
    diagnostics = host.analyze_each(calls) + host.analyze_stack(analyze_stack_request(resources))
    assert {d.enforcement_level for d in diagnostics} <= {"mandatory"}
    return Counter((d.policy_name, d.urn, d.message) for d in diagnostics)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_pack_with_speedups_says_exactly_what_the_rules_say(framework, packs, resources):
    expected = _direct(framework, resources)
    # The comparison means something only if the resources exercise many rules of both kinds.
    policies = {policy for policy, _, _ in expected}
    stack_rules = {r.name for r in rules_for(framework) if r.scope == "stack"}
    assert sum(expected.values()) > 60 and len(policies) >= 20
    assert len(policies & stack_rules) >= 4
    assert _over_protocol(packs[(framework, True)], resources) == expected


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_pack_with_and_without_speedups_answer_the_same(framework, packs, resources):
    fast = _over_protocol(packs[(framework, True)], resources)
    plain = _over_protocol(packs[(framework, False)], resources)
    assert fast == plain and sum(fast.values()) > 60


def test_every_policy_is_still_described_and_configurable(packs):
    for framework in FRAMEWORKS:
        fast, plain = packs[(framework, True)].info(), packs[(framework, False)].info()
        assert fast.policies == plain.policies
        assert {p.name for p in fast.policies} == {r.name for r in rules_for(framework)}


def test_analyze_each_matches_one_call_at_a_time(packs, resources):
    host = packs[("hipaa", True)]
    sample = [r for r in resources if r.urn.startswith(("urn:pulumi:broken::", "urn:pulumi:handmade::"))][:60]
    one_by_one = [d for r in sample for d in host.analyze(r)]
    assert one_by_one
    calls = [analyze_call(r) for r in sample]
    assert all(isinstance(c, AnalyzeCall) and c.urn == r.urn for c, r in zip(calls, sample, strict=True))
    assert host.analyze_each(calls, in_flight=8) == one_by_one
    assert host.analyze_each(sample, in_flight=1) == one_by_one


def _as_received(message: Any) -> Any:
    # What a pack works on: the message parsed from the wire (a map's order is the parsed message's, not the
    # order it was built in).
    return type(message).FromString(message.SerializeToString())


def test_encoded_once_is_exactly_what_the_messages_hold(packs, resources):
    """analyze_call's bytes are the message's built field by field; analyze_stack_payload's parse to the stack
    message, with every map in the same order once received; the packs answer alike."""
    calls = [analyze_call(r) for r in resources]
    for call, resource in zip(calls, resources, strict=True):
        assert call.payload == analyze_request(resource).SerializeToString()  # the very bytes
    payload = analyze_stack_payload(calls)
    reference_stack = _as_received(analyze_stack_request(resources))
    parsed = analyzer_pb2.AnalyzeStackRequest.FromString(payload)
    assert parsed == reference_stack and len(payload) == reference_stack.ByteSize()
    assert json.dumps(json_format.MessageToDict(parsed)) == json.dumps(json_format.MessageToDict(reference_stack))
    host = packs[("gdpr", True)]
    assert host.analyze_stack(payload) == host.analyze_stack(reference_stack)
    with pytest.raises(ValueError, match="without its resource"):
        analyze_stack_payload([AnalyzeCall(calls[0].urn, calls[0].payload)])


def test_configured_levels_still_apply_with_the_policy_list(packs):
    host = packs[("hipaa", True)]
    logs = ResourceInput(
        urn="urn:pulumi:t::p::aws:cloudwatch/logGroup:LogGroup::logs",
        type="aws:cloudwatch/logGroup:LogGroup",
        name="logs",
        properties={"retentionInDays": 7},
    )
    assert {d.enforcement_level for d in host.analyze(logs)} == {"mandatory"}
    try:
        host.configure({"all": "advisory", "cloudwatch-log-group-kms-encrypted": "disabled"})
        diagnostics = host.analyze(logs)
        assert "log-retention-minimum" in {d.policy_name for d in diagnostics}
        assert "cloudwatch-log-group-kms-encrypted" not in {d.policy_name for d in diagnostics}
        assert {d.enforcement_level for d in diagnostics} == {"advisory"}
    finally:
        host.configure({})
    assert "cloudwatch-log-group-kms-encrypted" in {d.policy_name for d in host.analyze(logs)}


# ---- a stack rule's companions, linked by the engine's property dependencies ----------------------------------------

BUCKET_URN = f"urn:pulumi:prod::llmops-infra::llmops:aws:EncryptedBucket${BUCKET}::models"
SSE_URN = f"urn:pulumi:prod::llmops-infra::llmops:aws:EncryptedBucket${SSE}::models-sse"
AWS_PROVIDER = "urn:pulumi:prod::llmops-infra::pulumi:providers:aws::default_7_51_1::0f1e2d3c"


def _bucket_and_sse(bucket_value: str, linked: bool) -> list[ResourceInput]:
    bucket = ResourceInput(
        urn=BUCKET_URN,
        type=BUCKET,
        name="models",
        properties={"tags": {"purpose": "model-artifacts"}},  # no `bucket`: the engine auto-names it
        provider=AWS_PROVIDER,
        provider_properties={"region": "us-east-1"},
    )
    sse = ResourceInput(
        urn=SSE_URN,
        type=SSE,
        name="models-sse",
        properties={
            "bucket": bucket_value,
            "rules": [
                {
                    "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KMS_KEY_ARN},
                    "bucketKeyEnabled": True,
                }
            ],
        },
        dependencies=[BUCKET_URN] if linked else [],
        property_dependencies={"bucket": [BUCKET_URN] if linked else [], "rules": []},
        provider=AWS_PROVIDER,
        provider_properties={"region": "us-east-1"},
    )
    return [bucket, sse]


# An auto-name from a project `pulumi:autonaming` pattern (${stack}-${name}-${hex(8)}): it does not look like
# "models-" plus seven hex digits, so only the property dependency ties the configuration to its bucket.
PATTERNED = "prod-models-9f8e7d6c"


@pytest.mark.parametrize(
    ("bucket_value", "linked", "violates"),
    [
        (PATTERNED, True, False),
        (PATTERNED, False, True),
        ("models-4b3c2a1", False, False),  # Pulumi's default auto-name is matched by value
        (UNKNOWN, True, False),  # unknown at preview but linked: judged, and compliant
        (UNKNOWN, False, False),  # unknown and unlinked: it might be this bucket's, so not judged
    ],
    ids=["linked", "unlinked", "default-autoname", "unknown-linked", "unknown-unlinked"],
)
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_companion_linked_by_property_dependency_over_the_protocol(packs, framework, bucket_value, linked, violates):
    stack = _bucket_and_sse(bucket_value, linked)
    found = [d for d in packs[(framework, True)].analyze_stack(stack) if d.policy_name == "s3-bucket-kms-encrypted"]
    if violates:
        [diagnostic] = found
        assert diagnostic.urn == BUCKET_URN and diagnostic.enforcement_level == "mandatory"
        assert "S3 bucket models has no server-side encryption configuration with aws:kms" in diagnostic.message
    else:
        assert found == []


# ---- PolicyList ----------------------------------------------------------------------------------------------------


def _policy_list() -> sdk_speedups.PolicyList:
    policies = [SimpleNamespace(name=n) for n in ("bucket-rule", "key-rule", "both-rule", "untyped-rule")]
    types = {"bucket-rule": (BUCKET,), "key-rule": ("aws:kms/key:Key",), "both-rule": (BUCKET, "aws:kms/key:Key")}
    return sdk_speedups.PolicyList(policies, types=types)


def _names(policies: Any) -> list[str]:
    return [p.name for p in policies]


def test_policy_list_without_a_resource_type_yields_every_policy():
    policies = _policy_list()
    assert getattr(sdk_speedups._local, "resource_type", None) is None
    assert _names(policies) == ["bucket-rule", "key-rule", "both-rule", "untyped-rule"]
    assert isinstance(policies, list) and len(policies) == 4  # pulumi_policy asserts a list


@pytest.mark.parametrize(
    ("resource_type", "expected"),
    [
        (BUCKET, ["bucket-rule", "both-rule", "untyped-rule"]),
        ("aws:kms/key:Key", ["key-rule", "both-rule", "untyped-rule"]),
        ("aws:ec2/vpc:Vpc", ["untyped-rule"]),  # a policy whose types are not known is always offered
    ],
)
def test_policy_list_with_a_resource_type_yields_only_the_policies_for_it(resource_type, expected):
    policies = _policy_list()
    sdk_speedups._local.resource_type = resource_type
    try:
        assert _names(policies) == expected
        assert _names(policies) == expected  # iterating twice gives the same answer
        assert len(policies) == 4 and policies[1].name == "key-rule"  # only iteration is narrowed
    finally:
        sdk_speedups._local.resource_type = None
    assert len(_names(policies)) == 4


def test_policy_list_filters_again_when_the_list_changes() -> None:
    policies = _policy_list()
    sdk_speedups._local.resource_type = BUCKET
    try:
        assert _names(policies) == ["bucket-rule", "both-rule", "untyped-rule"]
        policies.append(SimpleNamespace(name="late-rule"))
        policies.types = {**policies.types, "late-rule": (BUCKET,)}
        assert _names(policies) == ["bucket-rule", "both-rule", "untyped-rule", "late-rule"]
        del policies[0]
        assert _names(policies) == ["both-rule", "untyped-rule", "late-rule"]
        policies.types = {**policies.types, "untyped-rule": ("aws:kms/key:Key",)}
        assert _names(policies) == ["both-rule", "late-rule"]
    finally:
        sdk_speedups._local.resource_type = None


def test_policy_list_scope_is_per_thread() -> None:
    policies = _policy_list()
    seen: list[list[str]] = []
    sdk_speedups._local.resource_type = "aws:kms/key:Key"
    try:
        worker = threading.Thread(target=lambda: seen.append(_names(policies)))
        worker.start()
        worker.join()
    finally:
        sdk_speedups._local.resource_type = None
    assert seen == [["bucket-rule", "key-rule", "both-rule", "untyped-rule"]]


# ---- _remembered, _scoped, _only_types ------------------------------------------------------------------------------


class _Counting:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(args)
        return {"answer": len(self.calls)}


def _in_scope() -> None:
    sdk_speedups._local.cache = {}


def _out_of_scope() -> None:
    sdk_speedups._local.cache = None


def test_remembered_runs_once_per_input_object_within_a_scope():
    decode = _Counting()
    remembered = sdk_speedups._remembered(decode)
    message, same_content = {"a": 1}, {"a": 1}
    _in_scope()
    try:
        first = remembered(message)
        assert remembered(message) is first and remembered(message) is first
        other = remembered(same_content)  # equal but another object: its own answer
        assert other is not first and remembered(same_content) is other
    finally:
        _out_of_scope()
    assert decode.calls == [(message,), (same_content,)]


def test_remembered_functions_do_not_share_answers():
    decode, proxy = _Counting(), _Counting()
    remembered_decode, remembered_proxy = sdk_speedups._remembered(decode), sdk_speedups._remembered(proxy)
    message = object()
    _in_scope()
    try:
        remembered_decode(message)
        remembered_proxy(message)
        remembered_decode(message)
    finally:
        _out_of_scope()
    assert len(decode.calls) == 1 and len(proxy.calls) == 1


def test_remembered_outside_a_scope_always_runs():
    decode = _Counting()
    remembered = sdk_speedups._remembered(decode)
    message = {"a": 1}
    assert remembered(message) == {"answer": 1}
    assert remembered(message) == {"answer": 2}
    _in_scope()
    _out_of_scope()
    remembered(message)
    assert len(decode.calls) == 3


def test_remembered_with_extra_arguments_is_not_cached():
    decode = _Counting()
    one, two = sdk_speedups._remembered(decode), sdk_speedups._remembered(decode, arity=2)
    servicer, request = object(), object()
    _in_scope()
    try:
        one(request, True)  # more positional arguments than its arity
        one(request, True)
        one(request, proxy_secrets=True)  # keyword arguments (Remediate's proxy_secrets)
        one(request, proxy_secrets=True)
        assert len(decode.calls) == 4
        two(servicer, request)  # arity 2 (a servicer method): remembered per request
        two(servicer, request)
        assert len(decode.calls) == 5
        two(servicer, request, "extra")
        assert len(decode.calls) == 6
    finally:
        _out_of_scope()


def test_scoped_sets_and_clears_the_scope_even_when_the_call_fails() -> None:
    seen: list[tuple[Any, Any]] = []

    def analyze(servicer: Any, request: Any, context: Any) -> str:
        seen.append((sdk_speedups._local.cache, sdk_speedups._local.resource_type))
        if request.type == "boom":
            raise RuntimeError("policy failed")
        return "response"

    typed, untyped = sdk_speedups._scoped(analyze, for_type=True), sdk_speedups._scoped(analyze)
    assert typed(None, SimpleNamespace(type=BUCKET), None) == "response"
    assert untyped(None, SimpleNamespace(type=BUCKET), None) == "response"
    assert seen == [({}, BUCKET), ({}, None)]
    with pytest.raises(RuntimeError, match="policy failed"):
        typed(None, SimpleNamespace(type="boom"), None)
    assert sdk_speedups._local.cache is None and sdk_speedups._local.resource_type is None


def test_only_types_hands_analyze_stack_only_the_judged_types() -> None:
    received: list[Any] = []

    def analyze_stack(servicer: Any, request: Any, context: Any) -> str:
        received.append(request)
        return "response"

    request = analyzer_pb2.AnalyzeStackRequest()
    for type_, name in ((BUCKET, "a"), ("aws:ec2/vpc:Vpc", "v"), (SSE, "a-sse"), (BUCKET, "b")):
        request.resources.add(type=type_, name=name, urn=f"urn:pulumi:s::p::{type_}::{name}")

    narrowed = sdk_speedups._only_types(analyze_stack, frozenset({BUCKET, SSE}))
    assert narrowed(None, request, None) == "response"
    assert [r.name for r in received[0].resources] == ["a", "a-sse", "b"]
    assert len(request.resources) == 4  # the caller's request is left alone

    everything = sdk_speedups._only_types(analyze_stack, frozenset())
    everything(None, request, None)
    assert received[1] is request


# ---- MessageToDict's Struct fast path -------------------------------------------------------------------------------


def test_struct_fast_path_gives_what_message_to_dict_gives(resources):
    request = analyzer_pb2.AnalyzeStackRequest.FromString(analyze_stack_payload([analyze_call(r) for r in resources]))
    odd = struct_pb2.Struct()
    odd.update({"n": None, "t": True, "f": False, "z": 0, "x": -1.5, "big": 2**60, "s": "", "e": {}, "l": []})
    odd.update({"nested": [[], [None, {"a": [1, "b", {"c": False}]}], {"": "empty key"}], "ü": "ünïcode"})
    odd.fields["unset"].SetInParent()  # a Value with no kind: null for MessageToDict
    structs = [r.properties for r in request.resources] + [r.provider.properties for r in request.resources]
    convert = sdk_speedups._struct_fast_path(json_format.MessageToDict)
    for struct in [*structs, odd, struct_pb2.Struct()]:
        expected = json_format.MessageToDict(struct)
        got = convert(struct)
        assert json.dumps(got) == json.dumps(expected)  # equal, and key for key in the same order
    for bad in (float("inf"), float("-inf"), float("nan")):
        struct = struct_pb2.Struct()
        struct.fields["v"].number_value = bad
        with pytest.raises(ValueError) as sdk_error:
            json_format.MessageToDict(struct)
        with pytest.raises(ValueError) as fast_error:
            convert(struct)
        assert str(fast_error.value) == str(sdk_error.value)
    # Any other message, or any option, is MessageToDict's own business.
    options = analyze_request(resources[1]).options
    assert convert(options) == json_format.MessageToDict(options)
    assert convert(odd, preserving_proto_field_name=True) == json_format.MessageToDict(
        odd, preserving_proto_field_name=True
    )


# ---- AnalyzeStack built once: the SDK's own loop, in a process of its own ------------------------------------------

BUILD_ONCE_SCRIPT = """\
import asyncio
import json
import sys
from collections.abc import Mapping, Sequence

sys.path.insert(0, {root!r})
import pulumi_policy.policy as sdk
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from llmops_infra.policies.runtime import sdk_speedups

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
built = []


def plain(value):
    if isinstance(value, Mapping):
        return {{k: plain(value[k]) for k in value}}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [plain(v) for v in value]
    return value


def props(r):
    try:
        return plain(r.props)
    except sdk.UnknownValueError:
        return "?"


def shape(r):
    return {{
        "urn": r.urn, "type": r.resource_type, "name": r.name, "props": props(r),
        "parent": r.parent.urn if r.parent else None, "deps": [d.urn for d in r.dependencies],
        "propdeps": {{k: [d.urn for d in v] for k, v in sorted(r.property_dependencies.items())}},
        "provider": plain(r.provider.props) if r.provider else None, "protect": r.opts.protect,
    }}


def links(args, report):
    built.append([id(r) for r in args.resources])
    for r in args.resources:
        report(json.dumps(shape(r), sort_keys=True), r.urn)


def reorders(args, report):
    args.resources.reverse()  # the next policy must still see the stack in its own order
    args.resources.pop()
    report(" ".join(r.name for r in args.resources))


def reads_unknown(args, report):
    report(str(args.resources[3].props["size"]))  # unknown at preview


def not_applicable(args, report):
    args.not_applicable("nothing to judge here")


def configured(args, report):
    report(json.dumps(args.get_config(), sort_keys=True))


async def later(args, report):
    await asyncio.sleep(0)
    report(str(len(args.resources)))


def never(args, report):
    raise AssertionError("a disabled policy ran")


def stack(name, validate, **kwargs):
    return StackValidationPolicy(name=name, description=f"{{name}} policy", validate=validate, **kwargs)


policies = [
    stack("links", links),
    ResourceValidationPolicy(name="resource", description="a resource policy", validate=lambda a, r: r("no")),
    stack("reorders", reorders, enforcement_level=EnforcementLevel.ADVISORY),
    stack("reads-unknown", reads_unknown),
    stack("not-applicable", not_applicable),
    stack("configured", configured, enforcement_level=EnforcementLevel.REMEDIATE),
    stack("later", later),
    stack("disabled", never),
    stack("links-again", links),
]
original = sdk._PolicyAnalyzerServicer.AnalyzeStack
assert sdk_speedups.install() is True
patched = sdk._PolicyAnalyzerServicer.AnalyzeStack
servicer = sdk._PolicyAnalyzerServicer("parity", "0.0.1", policies, EnforcementLevel.MANDATORY)
configure = analyzer_pb2.ConfigureAnalyzerRequest()
configure.policyConfig["disabled"].enforcementLevel = analyzer_pb2.DISABLED
configure.policyConfig["configured"].enforcementLevel = analyzer_pb2.REMEDIATE
configure.policyConfig["configured"].properties.update({{"limit": 3, "names": ["a"]}})
servicer.Configure(configure, None)

stack_urn = "urn:pulumi:s::p::pulumi:pulumi:Stack::s"
request = analyzer_pb2.AnalyzeStackRequest()
request.resources.add(type="pulumi:pulumi:Stack", urn=stack_urn, name="s")
for i, size in enumerate([1, 2.5, UNKNOWN, {{"nested": [True, None, "x"]}}]):
    urn = f"urn:pulumi:s::p::aws:s3/bucket:Bucket::b{{i}}"
    properties = struct_pb2.Struct()
    properties.update({{"size": size}})
    r = request.resources.add(type="aws:s3/bucket:Bucket", urn=urn, name=f"b{{i}}", parent=stack_urn)
    r.properties.CopyFrom(properties)
    r.options.protect = i % 2 == 0
    r.options.customTimeouts.SetInParent()
    if i:
        r.dependencies.extend([f"urn:pulumi:s::p::aws:s3/bucket:Bucket::b{{i - 1}}", "urn:pulumi:s::p::gone::x"])
        r.propertyDependencies["bucket"].urns.extend([f"urn:pulumi:s::p::aws:s3/bucket:Bucket::b{{i - 1}}"])
        r.propertyDependencies["tags"].urns.extend([])
    r.provider.type = "pulumi:providers:aws"
    r.provider.urn = "urn:pulumi:s::p::pulumi:providers:aws::default"
    r.provider.name = "default"
    r.provider.properties.update({{"region": "eu-west-1"}})

sdk_answer = original(servicer, request, None)
sdk_built, built[:] = list(built), []
fast = patched(servicer, request, None)
print(json.dumps({{
    "same": fast == sdk_answer,
    "diagnostics": [[d.policyName, d.urn, d.message, d.enforcementLevel] for d in fast.diagnostics],
    "not_applicable": [[n.policy_name, n.reason] for n in fast.not_applicable],
    "plain_shares_objects": sdk_built[0] == sdk_built[1],
    "fast_shares_objects": built[0] == built[1],
}}))
"""


def test_analyze_stack_built_once_answers_as_the_sdk_does(tmp_path):
    """Every branch of the SDK's loop (disabled, resource policies skipped, remediate made mandatory, config,
    unknown values, not applicable, async policies, a policy that reorders its list) gives the same response."""
    script = tmp_path / "build_once.py"
    script.write_text(BUILD_ONCE_SCRIPT.format(root=str(ROOT)))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["same"] is True
    policies = [d[0] for d in report["diagnostics"]]
    assert policies.count("links") == 5 and policies.count("links-again") == 5
    assert {"reorders", "reads-unknown", "configured", "later"} <= set(policies) and "disabled" not in policies
    assert "resource" not in policies
    assert report["not_applicable"] == [["not-applicable", "nothing to judge here"]]
    unknown = next(d for d in report["diagnostics"] if d[0] == "reads-unknown")
    assert "during preview" in unknown[2] and unknown[3] == analyzer_pb2.ADVISORY
    configured = next(d for d in report["diagnostics"] if d[0] == "configured")
    assert configured[2].endswith('{"limit": 3.0, "names": ["a"]}') and configured[3] == analyzer_pb2.MANDATORY
    linked = [json.loads(d[2].split("\n", 1)[1]) for d in report["diagnostics"] if d[0] == "links"]
    assert linked[2]["parent"].endswith("::s") and linked[2]["deps"] == ["urn:pulumi:s::p::aws:s3/bucket:Bucket::b0"]
    assert linked[2]["propdeps"] == {"bucket": ["urn:pulumi:s::p::aws:s3/bucket:Bucket::b0"], "tags": []}
    assert linked[2]["provider"] == {"region": "eu-west-1"} and linked[3]["props"] == "?"
    assert linked[4]["props"] == {"size": {"nested": [True, None, "x"]}}
    # What changed is only the cost: the SDK builds new objects for every policy, the speed-up once per request.
    assert report["plain_shares_objects"] is False and report["fast_shares_objects"] is True


def test_analyze_stack_built_once_only_for_an_sdk_it_knows():
    import pulumi_policy.policy as sdk

    assert sdk_speedups._can_build_once(sdk)
    without_field = SimpleNamespace(**{n: getattr(sdk, n) for n in sdk_speedups._STACK_NAMES})

    class Servicer:
        def __init__(self) -> None:
            self._PolicyAnalyzerServicer__policies: list[Any] = []

    without_field._PolicyAnalyzerServicer = Servicer
    assert not sdk_speedups._can_build_once(without_field)
    missing_name = SimpleNamespace(_PolicyAnalyzerServicer=sdk._PolicyAnalyzerServicer)
    assert not sdk_speedups._can_build_once(missing_name)


# ---- install and build_pack, in a process of their own -------------------------------------------------------------

INSTALL_SCRIPT = """\
import json
import sys

sys.path.insert(0, {root!r})
import pulumi_policy.policy as sdk
from llmops_infra.policies.runtime import sdk_speedups

report = {{}}
saved = sdk.unknown_checking_proxy
del sdk.unknown_checking_proxy  # a pulumi_policy without the names it patches: leave it alone
report["without_names"] = sdk_speedups.install()
report["patched_without_names"] = getattr(sdk, "_llmops_decode_once", False)
sdk.unknown_checking_proxy = saved

import llmops_infra.policies.runtime.pack as pack

built = {{}}
pack.PolicyPack = lambda **kwargs: built.update(kwargs)  # the real one serves gRPC forever
originals = (sdk.deserialize_properties, sdk.json_format, sdk._PolicyAnalyzerServicer.Analyze)
pack.build_pack("llmops-hipaa", "hipaa")
policies = built["policies"]
report["patched"] = getattr(sdk, "_llmops_decode_once", False)
report["again"] = sdk_speedups.install()
report["replaced"] = [new is not old for new, old in zip(
    (sdk.deserialize_properties, sdk.json_format, sdk._PolicyAnalyzerServicer.Analyze), originals)]
report["json_format_intact"] = all(hasattr(sdk.json_format, n) for n in ("MessageToDict", "ParseDict", "Parse"))
pool = sdk.futures.ThreadPoolExecutor(max_workers=4)  # what PolicyPack asks for
report["server_threads"] = pool._max_workers
pool.shutdown()
report["futures_intact"] = all(hasattr(sdk.futures, n) for n in ("Future", "wait", "ThreadPoolExecutor"))
report["policy_list"] = type(policies).__name__
report["names"] = [p.name for p in list.__iter__(policies)]
report["types"] = {{name: list(types) for name, types in policies.types.items()}}
print(json.dumps(report))
"""


def test_install_patches_once_and_build_pack_hands_the_sdk_a_policy_list(tmp_path):
    script = tmp_path / "install.py"
    script.write_text(INSTALL_SCRIPT.format(root=str(ROOT)))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["without_names"] is False and report["patched_without_names"] is False
    assert report["patched"] is True and report["again"] is True
    assert report["replaced"] == [True, True, True] and report["json_format_intact"] is True
    assert report["server_threads"] == sdk_speedups.SERVER_THREADS == 2 and report["futures_intact"] is True
    rules = rules_for("hipaa")
    assert report["policy_list"] == "PolicyList"
    assert report["names"] == [r.name for r in rules]
    assert report["types"] == {r.name: list(r.resource_types) for r in rules}


# ---- stack_config ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"aws:region": "eu-west-1", "gcp:project": "p"}, {"aws:region": "eu-west-1", "gcp:project": "p"}),
        ({"aws:region": "eu-west-1", "n": 3, "b": True, "o": {}, "l": [], "x": None}, {"aws:region": "eu-west-1"}),
        ("{not json", {}),
        (["aws:region"], {}),
        ("aws:region", {}),
        ("", {}),
        (None, {}),
    ],
    ids=["strings", "non-strings-dropped", "bad-json", "list", "string", "empty", "unset"],
)
def test_stack_config_reads_pulumi_config(config, expected):
    if config is None:
        environ = {}
    elif config == "" or config == "{not json":
        environ = {"PULUMI_CONFIG": config}
    else:
        environ = {"PULUMI_CONFIG": json.dumps(config)}
    assert stack_config(environ) == expected
