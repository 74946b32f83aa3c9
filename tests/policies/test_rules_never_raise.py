"""No rule raises, whatever shape a resource's properties take.

Packs judge stacks written by anyone: hand-written YAML, Helm charts, older SDKs, values unknown at preview. A
rule that raises on an odd shape stops the whole pack, so for every rule in RULES and every type it declares,
arbitrary properties must give a list of messages (resource rules through `evaluate`, stack rules through
`evaluate_stack` over a few resources of their types, some linked by property dependencies), never an exception.

Properties are drawn from None, booleans, numbers (NaN and infinities too), strings (pulumi_policy's unknown
sentinels, open CIDRs, "*", region names, and every string constant the rule modules compare against), lists, maps
and JSON documents. Map keys are random or, mostly, the keys rules read: each rule's own vocabulary (the property
names in its source and its helpers', read from the code, so new rules are covered without listing their keys), so
the few examples per rule that keep this file fast still reach its reads. Realistic nested paths (a container's
securityContext, an SSE rule's default, a GKE node pool's config ...) are built explicitly, cut short by an
arbitrary value at any depth. (Run once with max_examples=400 per rule, about 26,000 examples: nothing raised.)
"""

from __future__ import annotations

import ast
import inspect
import json
import math
import re
import sys
import textwrap
import types
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from pulumi_policy import proxy

import llmops_infra.policies.rules  # noqa: F401 - registers every rule module's rules
from llmops_infra.policies.runtime import regions
from llmops_infra.policies.runtime.rule import RULES, Resource, Rule, Settings, evaluate, evaluate_stack

# ---- the vocabulary: keys and strings the rules actually read ------------------------------------------------

# Where rules and their shared helpers live (new rule modules are picked up from RULES).
LIBRARY = ("llmops_infra.policies.rules.", "llmops_infra.policies.runtime.")
HELPERS = ("gke", "iam_policy", "kubernetes", "props", "resources", "stack")
RULE_MODULES = sorted(
    {sys.modules[r.check.__module__] for r in RULES.values()}
    | {sys.modules[f"llmops_infra.policies.runtime.{m}"] for m in HELPERS},
    key=lambda m: m.__name__,
)
# A property name as the engine writes it (camelCase); enum values that look like one do no harm as keys.
PROPERTY_NAME = re.compile(r"[a-z][A-Za-z0-9]*")


def _short_strings(tree: ast.AST) -> set[str]:
    # String literals that could be a key or a compared value; messages (with spaces) are left out.
    return {
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and 0 < len(n.value) <= 60
        and not any(c.isspace() for c in n.value)
    }


CONSTANTS = sorted(set().union(*(_short_strings(ast.parse(inspect.getsource(m))) for m in RULE_MODULES)))


def _strings_in(value: Any) -> set[str]:
    """The strings of a constant: itself, or those nested in its tuples, lists, sets and dicts (keys and values)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return _strings_in(tuple(value)) | _strings_in(tuple(value.values()))
    if isinstance(value, tuple | list | frozenset | set):
        return set().union(*(_strings_in(v) for v in value))
    return set()


def _words(function: types.FunctionType, seen: set[Any] | None = None) -> set[str]:
    """The strings a rule function reads with or compares against: its literals, the constants it names (string
    tuples, maps ...), and its helpers' words."""
    seen = set() if seen is None else seen
    if function in seen:
        return set()
    seen.add(function)
    [definition] = ast.parse(textwrap.dedent(inspect.getsource(function))).body
    assert isinstance(definition, ast.FunctionDef)
    definition.decorator_list = []  # @rule(...) names the rule, not what it reads
    module = sys.modules[function.__module__]
    found = _short_strings(definition)
    for node in ast.walk(definition):
        value = getattr(module, node.id, None) if isinstance(node, ast.Name) else None
        if isinstance(value, str | tuple | list | frozenset | dict):
            found |= _strings_in(value)
        elif isinstance(value, types.FunctionType) and value.__module__.startswith(LIBRARY):
            found |= _words(value, seen)
    return found


# Keys every resource may carry, and the ones rules reach through shared helpers (tags, places, names).
COMMON_KEYS = (
    "tags",
    "labels",
    "resourceLabels",
    "metadata",
    "spec",
    "name",
    "bucket",
    "bucketPrefix",
    "policy",
    "rules",
    "location",
    "region",
    "zone",
    "availabilityZone",
    "locationId",
    "customPlacementConfig",
    "deletionProtection",
    "deletionProtectionEnabled",
    "settings",
)
UNKNOWNS = [
    proxy.UNKNOWN_BOOLEAN_VALUE,
    proxy.UNKNOWN_NUMBER_VALUE,
    proxy.UNKNOWN_STRING_VALUE,
    proxy.UNKNOWN_ARRAY_VALUE,
    proxy.UNKNOWN_ASSET_VALUE,
    proxy.UNKNOWN_ARCHIVE_VALUE,
    proxy.UNKNOWN_OBJECT_VALUE,
]
REGIONS = [
    *regions.EU_REGIONS,
    *regions.ADEQUACY_REGIONS,
    "us-east-1",
    "us-central1",
    "us-central1-a",
    "europe-west4-b",
    "eu-west-1a",
    "us-east-1-bos-1a",
    "US",
    "ASIA",
    "nam4",
]
NAMES = ["records", "records-1a2b3c4", "logs", "default", "kube-system", "platform-admins", "cluster-admin"]
ODD_STRINGS = [
    "0.0.0.0/0",
    "::/0",
    "0.0.0.0/00",
    "10.0.0.0/8",
    "not-a-cidr",
    "*",
    "s3:*",
    "iam:*",
    "true",
    "false",
    "TRUE",
    " ",
    "",
    "0",
    "443",
    "22-443",
    "-1",
    "7776000s",
    "7776000.5s",
    "1e400",
    "nan",
    "alias/aws/s3",
    "arn:aws:kms:eu-west-1:111122223333:key/1",
    "arn:aws:s3:::records",
    "arn:aws:s3:::records/*",
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "READER:allUsers",
    "default-compute@developer.gserviceaccount.com",
    "{",
    "[]",
    "null",
    *NAMES,
]

# ---- value strategies ----------------------------------------------------------------------------------------


def _strings(words: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    """Strings: a rule's own words first (the values it compares against), then unknowns, odd ones, any."""
    return st.one_of(
        *([st.sampled_from(words)] if words else []),
        st.sampled_from(UNKNOWNS),
        st.sampled_from(ODD_STRINGS + REGIONS),
        st.sampled_from(CONSTANTS),
        st.text(max_size=12),
    )


def _scalars(words: tuple[str, ...] = ()) -> st.SearchStrategy[Any]:
    return st.one_of(
        *([st.sampled_from(words)] if words else []),  # once more on its own: what the rule compares against
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**63), max_value=2**64),
        st.sampled_from([0, 1, 22, 443, 2192, 2193, -1, 0.0, 443.0, 1e308, math.inf, -math.inf, math.nan]),
        st.floats(),
        _strings(words),
    )


strings = _strings()
scalars = _scalars()


def _json_documents(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    """IAM policy documents and GCP policyData as the JSON strings the rules parse."""
    statement_keys = st.sampled_from(
        ["Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "Condition", "Sid", "not_action"]
    )
    statement = st.dictionaries(statement_keys, inner, max_size=6)
    iam = st.fixed_dictionaries(
        {"Statement": st.one_of(statement, st.lists(st.one_of(statement, inner), max_size=3), inner)},
        optional={"Version": st.just("2012-10-17")},
    )
    bindings = st.fixed_dictionaries(
        {"bindings": st.one_of(inner, st.lists(st.dictionaries(st.sampled_from(["role", "members"]), inner)))}
    )
    return st.one_of(iam, bindings, inner).map(json.dumps)


def _values(keys: st.SearchStrategy[str], leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(keys, inner, max_size=3),
        ),
        max_leaves=5,
    )


# Nested paths the rules walk; `[]` is a list of such objects. Built explicitly so deep reads are exercised.
SHAPES = [
    "metadata.labels.data-classification",
    "metadata.labels.llmops.dev/platform-role",
    "roleRef.name",
    "subjects[].kind",
    "rules[].verbs",
    "spec.podSelector.matchLabels",
    "spec.ingress[].from",
    "spec.template.spec.volumes[].hostPath",
    "spec.template.spec.securityContext.seccompProfile.type",
    "spec.template.spec.containers[].ports[].hostPort",
    "spec.template.spec.containers[].securityContext.capabilities.add",
    "spec.template.spec.containers[].securityContext.runAsNonRoot",
    "spec.template.spec.initContainers[].securityContext.privileged",
    "spec.jobTemplate.spec.template.spec.containers[].securityContext.allowPrivilegeEscalation",
    "spec.jobTemplate.spec.template.spec.ephemeralContainers[].securityContext.seccompProfile.type",
    "rules[].applyServerSideEncryptionByDefault.sseAlgorithm",
    "rules[].applyServerSideEncryptionByDefault.kmsMasterKeyId",
    "rules[].expiration.days",
    "rules[].noncurrentVersionExpiration.noncurrentDays",
    "versioningConfiguration.status",
    "accessControlPolicy.grants[].grantee.uri",
    "logging.targetBucket",
    "vpcConfig.publicAccessCidrs",
    "encryptionConfig.provider.keyArn",
    "ingress[].cidrBlocks",
    "blockDeviceMappings[].ebs.kmsKeyId",
    "networkInterfaces[].associatePublicIpAddress",
    "inlinePolicies[].policy",
    "defaultActions[].redirect.protocol",
    "tags.data-classification",
    "tags.llmops.dev/edge-load-balancer",
    "labels.data-classification",
    "resourceLabels.data-classification",
    "encryption.defaultKmsKeyName",
    "databaseEncryption.state",
    "nodeConfig.workloadMetadataConfig.mode",
    "nodePools[].nodeConfig.serviceAccount",
    "nodePools[].networkConfig.enablePrivateNodes",
    "clusterAutoscaling.autoProvisioningDefaults.bootDiskKmsKey",
    "privateClusterConfig.enablePrivateNodes",
    "masterAuthorizedNetworksConfig.cidrBlocks[].cidrBlock",
    "workloadIdentityConfig.workloadPool",
    "loggingConfig.enableComponents",
    "monitoringConfig.enableComponents",
    "allows[].ports",
    "logConfig.flowSampling",
    "diskEncryptionKey.rawKey",
    "lifecycleRules[].action.type",
    "lifecycleRules[].condition.age",
    "versioning.enabled",
    "softDeletePolicy.retentionDurationSeconds",
    "customPlacementConfig.dataLocations",
    "auditLogConfigs[].exemptedMembers",
    "settings.ipConfiguration.sslMode",
    "settings.ipConfiguration.authorizedNetworks[].value",
    "settings.backupConfiguration.enabled",
    "settings.userLabels.data-classification",
    "replication.userManaged.replicas[].customerManagedEncryption.kmsKeyName",
    "replication.userManaged.replicas[].location",
    "replication.auto.customerManagedEncryption.kmsKeyName",
    "messageStoragePolicy.allowedPersistenceRegions",
    "nodeLocations",
    "networkInterfaces[].accessConfigs",
    "attachedDisks[].kmsKeySelfLink",
    "bootDisk.diskEncryptionKeyRaw",
    "automatedBackupPolicy.enabled",
    "encryptionConfig.kmsKeyName",
    "defaultEncryptionConfiguration.kmsKeyName",
    "serverSideEncryption.enabled",
    "serverSideEncryption.kmsKeyArn",
    "replicas[].kmsKeyArn",
    "replicas[].kmsKeyId",
    "replicas[].regionName",
    "replicas[].region",
    "encryptAtRest.kmsKeyId",
    "nodeToNodeEncryption.enabled",
    "domainEndpointOptions.enforceHttps",
    "domainEndpointOptions.tlsSecurityPolicy",
    "vpcOptions.subnetIds",
    "encryptionConfigurations[].encryptionType",
    "encryptionConfigurations[].kmsKey",
    "rootBlockDevice.kmsKeyId",
    "ebsBlockDevices[].encrypted",
    "metadataOptions.httpTokens",
    "metadataOptions.httpEndpoint",
    "rules[].destination.bucket",
    "rules[].status",
]


def _steps(path: str) -> list[str]:
    """ "a.b[].c" -> ["a", "b", "[]", "c"]; a label key such as llmops.dev/edge-load-balancer stays whole."""
    steps: list[str] = []
    for part in path.replace("llmops.dev/", "llmops~dev/").split("."):
        part = part.replace("~", ".")
        steps += [part[:-2], "[]"] if part.endswith("[]") else [part]
    return steps


ValueFor = Callable[[str], st.SearchStrategy[Any]]  # the strategy for a key's value


@st.composite
def _shaped(draw: st.DrawFn, steps: list[str], keys: st.SearchStrategy[str], value_for: ValueFor) -> Any:
    """A value along `steps`: possibly cut short by an arbitrary value at any depth, with arbitrary siblings; the
    last step's value is drawn for that key."""
    head, rest = steps[0], steps[1:]
    if not rest:
        return {head: draw(value_for(head))}
    if draw(st.integers(0, 19)) == 0:
        return draw(value_for(""))  # the path breaks here: a wrong shape where a map or list belongs
    if head == "[]":
        return [draw(_shaped(rest, keys, value_for)) for _ in range(draw(st.integers(1, 2)))]
    node: dict[str, Any] = draw(st.dictionaries(keys, value_for(""), max_size=2))
    node[head] = draw(_shaped(rest, keys, value_for))
    return node


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        old = merged.get(key)
        merged[key] = _merge(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return merged


# Inputs that hold a JSON document the rules parse (IAM policies, GCP policyData).
DOCUMENT_KEYS = ("policy", "policyData")
# Values that gate many rules (a classification scopes the PHI and personal-data rules), offered often.
KEY_VALUES = {
    "data-classification": ["phi", "personal", "internal", "public", " PHI ", "secret"],
    "purpose": ["access-logs", "ENCRYPT_DECRYPT", "REGIONAL_MANAGED_PROXY"],
    "name": ["cluster-admin", "default", "kube-system"],
}


@cache
def properties(rule_name: str) -> st.SearchStrategy[dict[str, Any]]:
    """A resource's inputs for a rule: each key of its vocabulary present or not, a few other keys, and realistic
    nested paths through them (cut short anywhere); string values favour the rule's own words."""
    vocabulary = VOCABULARY[rule_name] or COMMON_KEYS
    keys = st.one_of(
        st.sampled_from(vocabulary), st.sampled_from(COMMON_KEYS), st.sampled_from(CONSTANTS), st.text(max_size=8)
    )
    leaves = _scalars(WORDS[rule_name])
    values = _values(keys, leaves)
    # Documents for the keys that hold one; elsewhere any value, lists of them favoured (rules iterate a lot).
    documents = st.one_of(_json_documents(values), values)
    anything = st.one_of(values, st.lists(leaves, min_size=1, max_size=3))

    def value_for(key: str) -> st.SearchStrategy[Any]:
        if key in KEY_VALUES:
            return st.one_of(st.sampled_from(KEY_VALUES[key]), anything)
        return documents if key in DOCUMENT_KEYS else anything

    own = st.fixed_dictionaries({}, optional={k: value_for(k) for k in vocabulary})
    # The paths the rule can walk: every step one of its words (else at least the first one).
    words = set(WORDS[rule_name]) | {"[]"}
    shapes = [_steps(s) for s in SHAPES if set(_steps(s)) <= words] or [
        _steps(s) for s in SHAPES if _steps(s)[0] in vocabulary
    ]

    @st.composite
    def draw_props(draw: st.DrawFn) -> dict[str, Any]:
        found: dict[str, Any] = {**draw(st.dictionaries(keys, values, max_size=2)), **draw(own)}
        for steps in draw(st.lists(st.sampled_from(shapes), max_size=3)) if shapes else ():
            shaped = draw(_shaped(steps, keys, value_for))
            if isinstance(shaped, dict):  # props themselves are always a map
                found = _merge(found, shaped)
        return found

    return draw_props()


# Each rule's own words (the strings in its function and helpers) and, of those, the property names it reads.
WORDS = {name: tuple(sorted(_words(r.check))) for name, r in RULES.items()}
VOCABULARY = {name: tuple(w for w in words if PROPERTY_NAME.fullmatch(w)) for name, words in WORDS.items()}


providers = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={
            "region": strings,
            "zone": strings,
            "namespace": strings,
            "defaultTags": st.one_of(strings, st.just('{"tags": {"data-classification": 1}}'), st.just("{}")),
            "defaultLabels": st.one_of(strings, st.just('{"owner": null}'), st.just("[]")),
        },
    ),
    st.dictionaries(st.sampled_from(CONSTANTS), scalars, max_size=3),
)

rule_settings = st.builds(
    Settings,
    allowed_regions=st.lists(st.sampled_from([*REGIONS, "", " Europe-West4 "]), max_size=3).map(tuple),
    allow_adequacy_regions=st.booleans(),
    min_log_retention_days=st.sampled_from([1, 30, 2192, 5000]),
    max_log_retention_days=st.sampled_from([1, 30, 2192, 5000]),
    platform_admin_group=st.sampled_from(NAMES),
    exempt_namespaces=st.lists(st.sampled_from(NAMES), max_size=2).map(tuple),
    stack_config=st.dictionaries(st.sampled_from(["aws:region", "gcp:region", "gcp:zone"]), strings, max_size=2),
)

names = st.one_of(st.sampled_from(NAMES), st.text(min_size=1, max_size=12))


def _urn(type_token: str, name: str) -> str:
    return f"urn:pulumi:test::proj::{type_token}::{name}"


# ---- the properties under test -------------------------------------------------------------------------------

RESOURCE_RULES = sorted(name for name, r in RULES.items() if r.scope == "resource")
STACK_RULES = sorted(name for name, r in RULES.items() if r.scope == "stack")
# Per rule: modest, so the whole file stays at a few seconds; focused keys make each example count.
FEW = settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))


def test_every_rule_is_exercised_and_reads_something_we_generate() -> None:
    assert set(RESOURCE_RULES) | set(STACK_RULES) == set(RULES)
    assert all(RULES[name].resource_types for name in RULES)
    assert {"policy", "spec", "vpcConfig", "nodeConfig", "ingress"} <= set().union(*VOCABULARY.values())


@pytest.mark.parametrize("name", RESOURCE_RULES)
@FEW
@given(data=st.data(), provider=providers, resource_name=names, config=rule_settings)
def test_resource_rule_never_raises(
    name: str, data: st.DataObject, provider: Mapping[str, Any] | None, resource_name: str, config: Settings
) -> None:
    rule = RULES[name]
    props = data.draw(properties(rule.name), label="props")
    for type_token in rule.resource_types:  # every type the rule declares, with the same odd properties
        resource = Resource(type_token, resource_name, _urn(type_token, resource_name), props, "", provider)
        found = evaluate(rule, resource, config)
        assert isinstance(found, list), (type_token, found)
        assert all(isinstance(m, str) and m for m in found), (type_token, found)


@st.composite
def stacks(draw: st.DrawFn, rule: Rule) -> list[Resource]:
    """A subject and a few resources of the rule's types, some depending on others through an input."""
    types_ = [draw(st.sampled_from(rule.subjects))] + draw(
        st.lists(st.sampled_from(rule.resource_types), min_size=1, max_size=3)
    )
    named = [(t, draw(names, label="name")) for t in types_]
    urns = [_urn(t, n) for t, n in named] + [_urn("aws:s3/bucket:Bucket", "elsewhere")]
    link_keys = st.sampled_from(["bucket", "vpcId", "metadata", "policy", "rules", "tags"])
    props_of = properties(rule.name)
    provider = draw(providers)  # one default provider for the stack, as usual
    built = []
    for t, n in named:
        dependencies = draw(st.dictionaries(link_keys, st.lists(st.sampled_from(urns), max_size=2), max_size=2))
        built.append(Resource(t, n, _urn(t, n), draw(props_of), "", provider, dependencies))
    return built


@pytest.mark.parametrize("name", STACK_RULES)
@FEW
@given(data=st.data(), config=rule_settings)
def test_stack_rule_never_raises(name: str, data: st.DataObject, config: Settings) -> None:
    rule = RULES[name]
    judged = data.draw(stacks(rule), label="stack")
    found = evaluate_stack(rule, judged, config)
    assert isinstance(found, list)
    for subject, message in found:
        assert subject.urn in {r.urn for r in judged} and subject.type in rule.subjects, subject.urn
        assert isinstance(message, str) and message, message
