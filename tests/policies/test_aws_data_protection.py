"""AWS data protection rules (policies/rules/aws/data_protection.py): a compliant baseline, one property changed."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

import llmops_infra.policies.rules.aws.data_protection  # noqa: F401  (registers the rules)
from llmops_infra.policies.runtime.rule import RULES, Resource, evaluate, evaluate_stack

DELETE = object()  # as a change value: remove the property
REMOVE = object()  # as a change value: remove the whole resource from the stack

KEY_ARN = "arn:aws:kms:eu-central-1:123456789012:key/0f6c1d2e-1111-2222-3333-444455556666"
BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
BUCKET_NAME = "acme-phi-data"  # the bucket's `bucket` input, deliberately not its logical name


def resource(type_: str, name: str, props: dict[str, Any]) -> Resource:
    return Resource(type_, name, f"urn:pulumi:test::llmops-infra::{type_}::{name}", props)


def changed(props: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of props with the dotted path (list indexes as numbers) set to value, or removed for DELETE."""
    props = copy.deepcopy(props)
    *parents, last = path.split(".")
    target: Any = props
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if isinstance(target, list):
        if value is DELETE:
            del target[int(last)]
        else:
            target[int(last)] = value
    elif value is DELETE:
        target.pop(last, None)
    else:
        target[last] = value
    return props


def deny_insecure_transport(bucket: str = BUCKET_NAME) -> dict[str, Any]:
    arn = f"arn:aws:s3:::{bucket}"
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def compliant_stack(classification: str = "phi", purpose: str = "training-data") -> dict[str, Resource]:
    """A PHI bucket with every companion the data rules look for, keyed by logical name."""
    tags = {"owner": "ml-platform", "purpose": purpose, "data-classification": classification}
    return {
        r.name: r
        for r in (
            resource(BUCKET, "phi-data", {"bucket": BUCKET_NAME, "tags": tags}),
            resource(
                SSE,
                "phi-data-sse",
                {
                    "bucket": BUCKET_NAME,
                    "rules": [
                        {
                            "applyServerSideEncryptionByDefault": {
                                "sseAlgorithm": "aws:kms",
                                "kmsMasterKeyId": KEY_ARN,
                            },
                            "bucketKeyEnabled": True,
                        }
                    ],
                },
            ),
            resource(
                POLICY,
                "phi-data-policy",
                {
                    "bucket": BUCKET_NAME,
                    "policy": json.dumps({"Version": "2012-10-17", "Statement": [deny_insecure_transport()]}),
                },
            ),
            resource(
                VERSIONING,
                "phi-data-versioning",
                {"bucket": BUCKET_NAME, "versioningConfiguration": {"status": "Enabled"}},
            ),
            resource(
                LIFECYCLE,
                "phi-data-lifecycle",
                {
                    "bucket": BUCKET_NAME,
                    "rules": [
                        {
                            "id": "expire-noncurrent",
                            "status": "Enabled",
                            "filter": {},
                            "noncurrentVersionExpiration": {"noncurrentDays": 30},
                        }
                    ],
                },
            ),
        )
    }


def replication(status: str = "Enabled") -> Resource:
    return resource(
        REPLICATION,
        "phi-data-replication",
        {
            "bucket": BUCKET_NAME,
            "role": "arn:aws:iam::123456789012:role/replication",
            "rules": [{"id": "all", "status": status, "destination": {"bucket": "arn:aws:s3:::acme-phi-data-dr"}}],
        },
    )


def stack_with(stack: dict[str, Resource], name: str, path: str | None, value: Any) -> list[Resource]:
    """The stack with one property of one resource changed (or the resource removed, for REMOVE)."""
    if value is REMOVE:
        return [r for n, r in stack.items() if n != name]
    assert path is not None
    return [resource(r.type, r.name, changed(dict(r.props), path, value)) if n == name else r for n, r in stack.items()]


def stack_messages(rule_name: str, resources: list[Resource]) -> list[str]:
    violations = evaluate_stack(RULES[rule_name], resources)
    # Every S3 data rule reports against the bucket, so a reader sees which bucket to fix.
    assert all(r.type in (BUCKET, "aws:s3/bucketV2:BucketV2") for r, _ in violations)
    return [message for _, message in violations]


# --- stack rules: one table of property changes ------------------------------------------------------------------

STACK_RULES = (
    "s3-bucket-kms-encrypted",
    "s3-bucket-denies-insecure-transport",
    "s3-bucket-versioning-enabled",
    "s3-bucket-lifecycle-expiry",
    "s3-phi-bucket-recoverable",
)

SSE_DEFAULT = "rules.0.applyServerSideEncryptionByDefault"
STACK_CHANGES = [
    # (rule, resource, path, value, expected message part)
    ("s3-bucket-kms-encrypted", "phi-data-sse", None, REMOVE, "has no server-side encryption configuration"),
    ("s3-bucket-kms-encrypted", "phi-data-sse", "bucket", "another-bucket", "has no server-side encryption"),
    ("s3-bucket-kms-encrypted", "phi-data-sse", f"{SSE_DEFAULT}.sseAlgorithm", "AES256", "sseAlgorithm 'AES256'"),
    ("s3-bucket-kms-encrypted", "phi-data-sse", f"{SSE_DEFAULT}.sseAlgorithm", DELETE, "sseAlgorithm None"),
    ("s3-bucket-kms-encrypted", "phi-data-sse", f"{SSE_DEFAULT}.kmsMasterKeyId", DELETE, "kmsMasterKeyId"),
    ("s3-bucket-kms-encrypted", "phi-data-sse", f"{SSE_DEFAULT}.kmsMasterKeyId", "alias/aws/s3", "kmsMasterKeyId"),
    ("s3-bucket-kms-encrypted", "phi-data-sse", "rules.0.bucketKeyEnabled", False, "bucketKeyEnabled"),
    ("s3-bucket-kms-encrypted", "phi-data-sse", "rules.0.bucketKeyEnabled", DELETE, "bucketKeyEnabled"),
    ("s3-bucket-kms-encrypted", "phi-data-sse", "rules", [], "has no rules"),
    ("s3-bucket-kms-encrypted", "phi-data-sse", "rules", "aws:kms", "has no rules"),
    ("s3-bucket-denies-insecure-transport", "phi-data-policy", None, REMOVE, "has no bucket policy"),
    ("s3-bucket-denies-insecure-transport", "phi-data-policy", "bucket", "another-bucket", "has no bucket policy"),
    ("s3-bucket-denies-insecure-transport", "phi-data-policy", "policy", "{not json", "has no Deny statement"),
    ("s3-bucket-denies-insecure-transport", "phi-data-policy", "policy", DELETE, "has no Deny statement"),
    ("s3-bucket-versioning-enabled", "phi-data-versioning", None, REMOVE, "no BucketVersioning"),
    ("s3-bucket-versioning-enabled", "phi-data-versioning", "bucket", "another-bucket", "no BucketVersioning"),
    ("s3-bucket-versioning-enabled", "phi-data-versioning", "versioningConfiguration.status", "Suspended", "Enabled"),
    ("s3-bucket-versioning-enabled", "phi-data-versioning", "versioningConfiguration", DELETE, "no BucketVersioning"),
    ("s3-bucket-lifecycle-expiry", "phi-data-lifecycle", None, REMOVE, "no Enabled lifecycle rule"),
    ("s3-bucket-lifecycle-expiry", "phi-data-lifecycle", "bucket", "another-bucket", "no Enabled lifecycle rule"),
    ("s3-bucket-lifecycle-expiry", "phi-data-lifecycle", "rules.0.status", "Disabled", "no Enabled lifecycle rule"),
    ("s3-bucket-lifecycle-expiry", "phi-data-lifecycle", "rules.0.noncurrentVersionExpiration", DELETE, "expiration"),
    (
        "s3-bucket-lifecycle-expiry",
        "phi-data-lifecycle",
        "rules.0.noncurrentVersionExpiration.noncurrentDays",
        DELETE,
        "noncurrentVersionExpiration",
    ),
    ("s3-bucket-lifecycle-expiry", "phi-data-lifecycle", "rules", [], "no Enabled lifecycle rule"),
    ("s3-phi-bucket-recoverable", "phi-data-versioning", None, REMOVE, "neither versioning Enabled nor replication"),
    ("s3-phi-bucket-recoverable", "phi-data-versioning", "versioningConfiguration.status", "Suspended", "neither"),
]

STACK_UNKNOWNS = [
    # (rule, resource, path, sentinel)
    ("s3-bucket-kms-encrypted", "phi-data", "bucket", UNKNOWN_STRING_VALUE),
    ("s3-bucket-kms-encrypted", "phi-data", "tags", UNKNOWN_OBJECT_VALUE),
    ("s3-bucket-kms-encrypted", "phi-data-sse", "bucket", UNKNOWN_STRING_VALUE),
    ("s3-bucket-kms-encrypted", "phi-data-sse", "rules", UNKNOWN_ARRAY_VALUE),
    ("s3-bucket-kms-encrypted", "phi-data-sse", SSE_DEFAULT, UNKNOWN_OBJECT_VALUE),
    ("s3-bucket-kms-encrypted", "phi-data-sse", f"{SSE_DEFAULT}.sseAlgorithm", UNKNOWN_STRING_VALUE),
    ("s3-bucket-kms-encrypted", "phi-data-sse", f"{SSE_DEFAULT}.kmsMasterKeyId", UNKNOWN_STRING_VALUE),
    ("s3-bucket-kms-encrypted", "phi-data-sse", "rules.0.bucketKeyEnabled", UNKNOWN_BOOLEAN_VALUE),
    ("s3-bucket-denies-insecure-transport", "phi-data", "bucket", UNKNOWN_STRING_VALUE),
    ("s3-bucket-denies-insecure-transport", "phi-data-policy", "bucket", UNKNOWN_STRING_VALUE),
    ("s3-bucket-denies-insecure-transport", "phi-data-policy", "policy", UNKNOWN_STRING_VALUE),
    ("s3-bucket-versioning-enabled", "phi-data", "tags", UNKNOWN_OBJECT_VALUE),
    ("s3-bucket-versioning-enabled", "phi-data-versioning", "bucket", UNKNOWN_STRING_VALUE),
    ("s3-bucket-versioning-enabled", "phi-data-versioning", "versioningConfiguration", UNKNOWN_OBJECT_VALUE),
    ("s3-bucket-versioning-enabled", "phi-data-versioning", "versioningConfiguration.status", UNKNOWN_STRING_VALUE),
    ("s3-bucket-lifecycle-expiry", "phi-data", "tags", UNKNOWN_OBJECT_VALUE),
    ("s3-bucket-lifecycle-expiry", "phi-data-lifecycle", "rules", UNKNOWN_ARRAY_VALUE),
    ("s3-bucket-lifecycle-expiry", "phi-data-lifecycle", "rules.0.status", UNKNOWN_STRING_VALUE),
    ("s3-bucket-lifecycle-expiry", "phi-data-lifecycle", "rules.0.noncurrentVersionExpiration", UNKNOWN_OBJECT_VALUE),
    (
        "s3-bucket-lifecycle-expiry",
        "phi-data-lifecycle",
        "rules.0.noncurrentVersionExpiration.noncurrentDays",
        UNKNOWN_NUMBER_VALUE,
    ),
    ("s3-phi-bucket-recoverable", "phi-data", "tags", UNKNOWN_OBJECT_VALUE),
    ("s3-phi-bucket-recoverable", "phi-data-versioning", "versioningConfiguration.status", UNKNOWN_STRING_VALUE),
]


@pytest.mark.parametrize("rule_name", STACK_RULES)
def test_stack_rule_passes_the_compliant_baseline(rule_name: str) -> None:
    assert stack_messages(rule_name, list(compliant_stack().values())) == []


@pytest.mark.parametrize(
    ("rule_name", "name", "path", "value", "expected"),
    STACK_CHANGES,
    ids=[f"{c[0]}-{c[1]}-{c[2]}-{'removed' if c[3] is REMOVE else c[3]}" for c in STACK_CHANGES],
)
def test_stack_rule_flags_one_changed_property(rule_name: str, name: str, path: str, value: Any, expected: str) -> None:
    messages = stack_messages(rule_name, stack_with(compliant_stack(), name, path, value))
    assert len(messages) == 1, messages
    assert expected in messages[0]
    assert BUCKET_NAME in messages[0]


@pytest.mark.parametrize(
    ("rule_name", "name", "path", "sentinel"), STACK_UNKNOWNS, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in STACK_UNKNOWNS]
)
def test_stack_rule_cannot_judge_unknown_preview_values(rule_name: str, name: str, path: str, sentinel: str) -> None:
    assert stack_messages(rule_name, stack_with(compliant_stack(), name, path, sentinel)) == []


@pytest.mark.parametrize("rule_name", STACK_RULES)
def test_stack_rule_judges_the_deprecated_bucket_twin(rule_name: str) -> None:
    stack = compliant_stack()
    bucket = stack["phi-data"]
    stack["phi-data"] = resource("aws:s3/bucketV2:BucketV2", bucket.name, dict(bucket.props))
    assert stack_messages(rule_name, list(stack.values())) == []
    assert len(stack_messages(rule_name, [stack["phi-data"]])) == 1


@pytest.mark.parametrize("rule_name", STACK_RULES)
@pytest.mark.parametrize(
    ("name", "path", "value"),
    [
        ("phi-data", "tags", ["data-classification", "phi"]),
        ("phi-data", "bucket", 42),
        ("phi-data-sse", "rules", {"bucketKeyEnabled": True}),
        ("phi-data-sse", "rules.0", "aws:kms"),
        ("phi-data-policy", "policy", 7),
        ("phi-data-policy", "policy", '["not", "an", "object"]'),
        ("phi-data-versioning", "versioningConfiguration", "Enabled"),
        ("phi-data-lifecycle", "rules.0.noncurrentVersionExpiration", 30),
        ("phi-data-lifecycle", "rules", None),
    ],
)
def test_stack_rule_never_raises_on_odd_shapes(rule_name: str, name: str, path: str, value: Any) -> None:
    assert isinstance(stack_messages(rule_name, stack_with(compliant_stack(), name, path, value)), list)


def test_unknown_tags_cannot_say_whether_aes256_is_allowed() -> None:
    stack = compliant_stack()
    resources = stack_with(stack, "phi-data-sse", f"{SSE_DEFAULT}.sseAlgorithm", "AES256")
    resources = [
        resource(r.type, r.name, changed(dict(r.props), "tags", UNKNOWN_OBJECT_VALUE)) if r.type == BUCKET else r
        for r in resources
    ]
    assert stack_messages("s3-bucket-kms-encrypted", resources) == []


# --- s3-bucket-kms-encrypted specifics ----------------------------------------------------------------------------


def test_dsse_kms_needs_no_bucket_key_because_s3_does_not_support_one_with_it() -> None:
    stack = compliant_stack()
    stack["phi-data-sse"] = resource(
        SSE,
        "phi-data-sse",
        changed(
            changed(dict(stack["phi-data-sse"].props), f"{SSE_DEFAULT}.sseAlgorithm", "aws:kms:dsse"),
            "rules.0.bucketKeyEnabled",
            DELETE,
        ),
    )
    assert stack_messages("s3-bucket-kms-encrypted", list(stack.values())) == []


@pytest.mark.parametrize(("purpose", "violations"), [("access-logs", 0), ("training-data", 1)])
def test_only_an_access_log_bucket_may_use_aes256(purpose: str, violations: int) -> None:
    stack = compliant_stack(purpose=purpose)
    resources = stack_with(stack, "phi-data-sse", f"{SSE_DEFAULT}.sseAlgorithm", "AES256")
    assert len(stack_messages("s3-bucket-kms-encrypted", resources)) == violations


def test_sse_v2_twin_configuration_counts_for_the_bucket() -> None:
    stack = compliant_stack()
    sse = stack["phi-data-sse"]
    stack["phi-data-sse"] = resource(
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
        sse.name,
        dict(sse.props),
    )
    assert stack_messages("s3-bucket-kms-encrypted", list(stack.values())) == []


def test_bucket_without_a_bucket_input_is_linked_by_its_logical_name() -> None:
    bucket = resource(BUCKET, "logs", {"tags": {"data-classification": "internal"}})
    sse = resource(SSE, "logs-sse", changed(dict(compliant_stack()["phi-data-sse"].props), "bucket", "logs"))
    assert stack_messages("s3-bucket-kms-encrypted", [bucket, sse]) == []
    assert stack_messages("s3-bucket-kms-encrypted", [bucket]) == [
        "S3 bucket logs has no server-side encryption configuration with aws:kms"
    ]


def test_encryption_applies_to_every_classification() -> None:
    stack = compliant_stack(classification="public")
    assert len(stack_messages("s3-bucket-kms-encrypted", stack_with(stack, "phi-data-sse", None, REMOVE))) == 1


# --- s3-bucket-denies-insecure-transport specifics ------------------------------------------------------------


def with_statement(statement: Any, as_string: bool = True) -> list[Resource]:
    stack = compliant_stack()
    document = {"Version": "2012-10-17", "Statement": statement}
    policy = json.dumps(document) if as_string else document
    return stack_with(stack, "phi-data-policy", "policy", policy)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("Effect", "Allow"),
        ("Principal", {"AWS": "arn:aws:iam::123456789012:root"}),
        ("Action", "s3:GetObject"),
        ("Action", ["s3:GetObject", "s3:PutObject"]),
        ("Resource", "arn:aws:s3:::acme-phi-data"),
        ("Resource", "arn:aws:s3:::acme-phi-data/*"),
        ("Resource", ["arn:aws:s3:::acme-phi-data", "arn:aws:s3:::acme-phi-data/reports/*"]),
        ("Resource", ["arn:aws:s3:::other", "arn:aws:s3:::other/*"]),
        ("Condition.Bool.aws:SecureTransport", "true"),
        ("Condition.Bool", {"aws:MultiFactorAuthPresent": "false"}),
        ("Condition", {"StringEquals": {"aws:SecureTransport": "false"}}),
        ("Condition", DELETE),
    ],
)
def test_secure_transport_statement_change_is_flagged(path: str, value: Any) -> None:
    statement = changed(deny_insecure_transport(), path, value)
    messages = stack_messages("s3-bucket-denies-insecure-transport", with_statement([statement]))
    assert len(messages) == 1
    assert "aws:SecureTransport false" in messages[0]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("Principal", {"AWS": "*"}),
        ("Principal", {"AWS": ["*"]}),
        ("Action", "*"),
        ("Action", ["s3:GetObject", "s3:*"]),
        ("Resource", "*"),
        ("Resource", ["arn:aws:s3:::acme-*", "arn:aws:s3:::acme-*/*"]),
        ("Resource", ["arn:aws-us-gov:s3:::acme-phi-data", "arn:aws-us-gov:s3:::acme-phi-data/*"]),
        ("Condition", {"Bool": {"aws:SecureTransport": False}}),
        ("Condition", {"Bool": {"aws:securetransport": ["false"]}}),
    ],
)
def test_equivalent_secure_transport_statements_pass(path: str, value: Any) -> None:
    statement = changed(deny_insecure_transport(), path, value)
    assert stack_messages("s3-bucket-denies-insecure-transport", with_statement([statement])) == []


def test_policy_given_as_an_object_with_a_single_statement_passes() -> None:
    resources = with_statement(deny_insecure_transport(), as_string=False)
    assert stack_messages("s3-bucket-denies-insecure-transport", resources) == []


def test_unknown_value_inside_policy_json_cannot_be_judged() -> None:
    statement = changed(deny_insecure_transport(), "Resource.1", UNKNOWN_STRING_VALUE)
    assert stack_messages("s3-bucket-denies-insecure-transport", with_statement([statement])) == []


# --- data-lifecycle and backup specifics ------------------------------------------------------------------------


@pytest.mark.parametrize("classification", ["internal", "public", None])
@pytest.mark.parametrize("rule_name", ["s3-bucket-versioning-enabled", "s3-bucket-lifecycle-expiry"])
def test_lifecycle_rules_skip_buckets_without_personal_data(rule_name: str, classification: str | None) -> None:
    bucket = resource(BUCKET, "scratch", {"bucket": "scratch", "tags": {"data-classification": classification}})
    assert stack_messages(rule_name, [bucket]) == []


@pytest.mark.parametrize("rule_name", ["s3-bucket-versioning-enabled", "s3-bucket-lifecycle-expiry"])
def test_lifecycle_rules_apply_to_personal_data(rule_name: str) -> None:
    bucket = resource(BUCKET, "crm", {"bucket": "crm", "tags": {"data-classification": "personal"}})
    assert len(stack_messages(rule_name, [bucket])) == 1


@pytest.mark.parametrize(
    "expiration",
    [{"expiration": {"days": 2192}}, {"expiration": {"date": "2031-01-01T00:00:00Z"}}],
    ids=["days", "date"],
)
def test_object_expiration_alone_declares_retention(expiration: dict[str, Any]) -> None:
    stack = compliant_stack()
    lifecycle_rule = {"id": "expire", "status": "Enabled", "filter": {}, **expiration}
    resources = stack_with(stack, "phi-data-lifecycle", "rules", [lifecycle_rule])
    assert stack_messages("s3-bucket-lifecycle-expiry", resources) == []


def test_delete_marker_cleanup_alone_declares_no_retention() -> None:
    stack = compliant_stack()
    lifecycle_rule = {"id": "markers", "status": "Enabled", "expiration": {"expiredObjectDeleteMarker": True}}
    resources = stack_with(stack, "phi-data-lifecycle", "rules", [lifecycle_rule])
    assert len(stack_messages("s3-bucket-lifecycle-expiry", resources)) == 1


def test_replicated_phi_bucket_is_recoverable_without_versioning() -> None:
    resources = [*stack_with(compliant_stack(), "phi-data-versioning", None, REMOVE), replication()]
    assert stack_messages("s3-phi-bucket-recoverable", resources) == []


def test_disabled_replication_does_not_make_a_phi_bucket_recoverable() -> None:
    resources = [*stack_with(compliant_stack(), "phi-data-versioning", None, REMOVE), replication("Disabled")]
    assert len(stack_messages("s3-phi-bucket-recoverable", resources)) == 1


def test_unknown_replication_status_cannot_be_judged() -> None:
    resources = [*stack_with(compliant_stack(), "phi-data-versioning", None, REMOVE), replication(UNKNOWN_STRING_VALUE)]
    assert stack_messages("s3-phi-bucket-recoverable", resources) == []


def test_backup_applies_to_phi_only() -> None:
    stack = compliant_stack(classification="personal")
    assert stack_messages("s3-phi-bucket-recoverable", stack_with(stack, "phi-data-versioning", None, REMOVE)) == []


# --- resource rules: one table per rule -------------------------------------------------------------------------


@dataclass
class Case:
    rule: str
    type: str
    props: dict[str, Any]
    changes: list[tuple[str, Any, str]]  # (path, value, expected message part)
    unknowns: list[tuple[str, str]] = field(default_factory=list)  # (path, sentinel)
    id: str = ""

    def __post_init__(self) -> None:
        self.id = self.id or self.rule


LT_EBS = "blockDeviceMappings.0.ebs"
CASES = [
    Case(
        "ebs-volume-kms-encrypted",
        "aws:ebs/volume:Volume",
        {"availabilityZone": "eu-central-1a", "size": 500, "encrypted": True, "kmsKeyId": KEY_ARN},
        [
            ("encrypted", False, "encrypted is not true"),
            ("encrypted", DELETE, "encrypted is not true"),
            ("kmsKeyId", DELETE, "kmsKeyId"),
            ("kmsKeyId", "alias/aws/ebs", "kmsKeyId"),
        ],
        [("encrypted", UNKNOWN_BOOLEAN_VALUE), ("kmsKeyId", UNKNOWN_STRING_VALUE)],
    ),
    Case(
        "launch-template-ebs-kms-encrypted",
        "aws:ec2/launchTemplate:LaunchTemplate",
        {
            "blockDeviceMappings": [
                {"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "kmsKeyId": KEY_ARN, "volumeSize": 200}},
                {"deviceName": "/dev/sdb", "virtualName": "ephemeral0"},
            ]
        },
        [
            (f"{LT_EBS}.encrypted", "false", "/dev/xvda is not encrypted"),
            (f"{LT_EBS}.encrypted", False, "/dev/xvda is not encrypted"),
            (f"{LT_EBS}.encrypted", DELETE, "/dev/xvda is not encrypted"),
            (f"{LT_EBS}.kmsKeyId", DELETE, "/dev/xvda has no customer-managed ebs.kmsKeyId"),
            (f"{LT_EBS}.kmsKeyId", "alias/aws/ebs", "ebs.kmsKeyId"),
        ],
        [
            ("blockDeviceMappings", UNKNOWN_ARRAY_VALUE),
            (LT_EBS, UNKNOWN_OBJECT_VALUE),
            (f"{LT_EBS}.encrypted", UNKNOWN_STRING_VALUE),
            (f"{LT_EBS}.kmsKeyId", UNKNOWN_STRING_VALUE),
        ],
    ),
    Case(
        "efs-file-system-kms-encrypted",
        "aws:efs/fileSystem:FileSystem",
        {"encrypted": True, "kmsKeyId": KEY_ARN, "tags": {"data-classification": "phi"}},
        [
            ("encrypted", False, "encrypted is not true"),
            ("encrypted", DELETE, "encrypted is not true"),
            ("kmsKeyId", DELETE, "kmsKeyId"),
        ],
        [("encrypted", UNKNOWN_BOOLEAN_VALUE), ("kmsKeyId", UNKNOWN_STRING_VALUE)],
    ),
    Case(
        "eks-secrets-kms-encrypted",
        "aws:eks/cluster:Cluster",
        {
            "roleArn": "arn:aws:iam::123456789012:role/eks",
            "encryptionConfig": {"provider": {"keyArn": KEY_ARN}, "resources": ["secrets"]},
        },
        [
            ("encryptionConfig", DELETE, "has no encryptionConfig"),
            ("encryptionConfig.provider.keyArn", DELETE, "provider.keyArn"),
            ("encryptionConfig.provider", DELETE, "provider.keyArn"),
            ("encryptionConfig.resources", [], "does not include secrets"),
            ("encryptionConfig.resources", DELETE, "does not include secrets"),
        ],
        [
            ("encryptionConfig", UNKNOWN_OBJECT_VALUE),
            ("encryptionConfig.provider.keyArn", UNKNOWN_STRING_VALUE),
            ("encryptionConfig.resources", UNKNOWN_ARRAY_VALUE),
        ],
    ),
    Case(
        "cloudwatch-log-group-kms-encrypted",
        "aws:cloudwatch/logGroup:LogGroup",
        {"name": "/aws/eks/gpu/cluster", "retentionInDays": 2192, "kmsKeyId": KEY_ARN},
        [("kmsKeyId", DELETE, "kmsKeyId"), ("kmsKeyId", "", "kmsKeyId")],
        [("kmsKeyId", UNKNOWN_STRING_VALUE)],
    ),
    Case(
        "kms-key-rotation-enabled",
        "aws:kms/key:Key",
        {"description": "storage", "enableKeyRotation": True, "deletionWindowInDays": 30},
        [
            ("enableKeyRotation", False, "enableKeyRotation"),
            ("enableKeyRotation", DELETE, "enableKeyRotation"),
            ("enableKeyRotation", "true", "enableKeyRotation"),
        ],
        [("enableKeyRotation", UNKNOWN_BOOLEAN_VALUE), ("customerMasterKeySpec", UNKNOWN_STRING_VALUE)],
    ),
    Case(
        "kms-key-deletion-window",
        "aws:kms/key:Key",
        {"description": "storage", "enableKeyRotation": True, "deletionWindowInDays": 30},
        [
            ("deletionWindowInDays", 7, "deletionWindowInDays is 7"),
            ("deletionWindowInDays", 29.0, "deletionWindowInDays is 29.0"),
            ("deletionWindowInDays", "30", "deletionWindowInDays '30' is not a number"),
            ("deletionWindowInDays", True, "deletionWindowInDays True is not a number"),
        ],
        [("deletionWindowInDays", UNKNOWN_NUMBER_VALUE)],
    ),
    Case(
        "lb-listener-tls",
        "aws:lb/listener:Listener",
        {
            "loadBalancerArn": "arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/edge/1",
            "port": 443,
            "protocol": "HTTPS",
            "certificateArn": "arn:aws:acm:eu-central-1:123456789012:certificate/1",
            "defaultActions": [{"type": "forward", "targetGroupArn": "arn:tg"}],
        },
        [
            ("protocol", "HTTP", "uses HTTP and its defaultActions do not all redirect to HTTPS"),
            ("protocol", DELETE, "uses HTTP"),
            ("protocol", "TCP", "protocol TCP is not HTTPS or TLS"),
            ("protocol", "UDP", "protocol UDP is not HTTPS or TLS"),
        ],
        [("protocol", UNKNOWN_STRING_VALUE)],
        id="lb-listener-tls-https",
    ),
    Case(
        "lb-listener-tls",
        "aws:alb/listener:Listener",
        {
            "loadBalancerArn": "arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/edge/1",
            "port": 80,
            "protocol": "HTTP",
            "defaultActions": [
                {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
            ],
        },
        [
            ("defaultActions.0.redirect.protocol", "HTTP", "do not all redirect to HTTPS"),
            ("defaultActions.0.redirect.protocol", "#{protocol}", "do not all redirect to HTTPS"),
            ("defaultActions.0.redirect", DELETE, "do not all redirect to HTTPS"),
            ("defaultActions.0.type", "forward", "do not all redirect to HTTPS"),
            ("defaultActions", [], "do not all redirect to HTTPS"),
        ],
        [
            ("defaultActions", UNKNOWN_ARRAY_VALUE),
            ("defaultActions.0.type", UNKNOWN_STRING_VALUE),
            ("defaultActions.0.redirect", UNKNOWN_OBJECT_VALUE),
            ("defaultActions.0.redirect.protocol", UNKNOWN_STRING_VALUE),
        ],
        id="lb-listener-tls-http-redirect",
    ),
]

CHANGES = [(c, path, value, expected) for c in CASES for path, value, expected in c.changes]
UNKNOWNS = [(c, path, sentinel) for c in CASES for path, sentinel in c.unknowns]


def messages(case: Case, props: dict[str, Any], type_: str | None = None) -> list[str]:
    return evaluate(RULES[case.rule], resource(type_ or case.type, "subject", props))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_resource_rule_passes_the_compliant_baseline(case: Case) -> None:
    assert messages(case, case.props) == []


@pytest.mark.parametrize(
    ("case", "path", "value", "expected"),
    CHANGES,
    ids=[f"{c.id}-{path}-{'deleted' if value is DELETE else value!r}" for c, path, value, _ in CHANGES],
)
def test_resource_rule_flags_one_changed_property(case: Case, path: str, value: Any, expected: str) -> None:
    found = messages(case, changed(case.props, path, value))
    assert len(found) == 1, found
    assert expected in found[0]
    assert "subject" in found[0]


@pytest.mark.parametrize(("case", "path", "sentinel"), UNKNOWNS, ids=[f"{c.id}-{p}" for c, p, _ in UNKNOWNS])
def test_resource_rule_cannot_judge_unknown_preview_values(case: Case, path: str, sentinel: str) -> None:
    assert messages(case, changed(case.props, path, sentinel)) == []


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_resource_rule_ignores_other_types(case: Case) -> None:
    assert messages(case, {}, type_="aws:sqs/queue:Queue") == []


@pytest.mark.parametrize(
    ("rule_name", "type_", "props"),
    [
        (
            "kms-key-rotation-enabled",
            "aws:kms/key:Key",
            {"customerMasterKeySpec": "RSA_4096", "keyUsage": "SIGN_VERIFY"},
        ),
        ("kms-key-rotation-enabled", "aws:kms/key:Key", {"customerMasterKeySpec": "HMAC_256"}),
        ("kms-key-deletion-window", "aws:kms/key:Key", {"enableKeyRotation": True}),
        ("lb-listener-tls", "aws:lb/listener:Listener", {"protocol": "TLS", "port": 443}),
        ("lb-listener-tls", "aws:lb/listener:Listener", {"protocol": "https", "port": 443}),
        (
            "launch-template-ebs-kms-encrypted",
            "aws:ec2/launchTemplate:LaunchTemplate",
            {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": True, "kmsKeyId": KEY_ARN}}]},
        ),
    ],
    ids=[
        "asymmetric-key-cannot-rotate",
        "hmac-key-cannot-rotate",
        "default-deletion-window-is-30-days",
        "nlb-tls-listener",
        "lower-case-protocol",
        "boolean-encrypted-flag",
    ],
)
def test_compliant_variants_pass(rule_name: str, type_: str, props: dict[str, Any]) -> None:
    assert evaluate(RULES[rule_name], resource(type_, "subject", props)) == []


@pytest.mark.parametrize("props", [{"blockDeviceMappings": "oops"}, {"encryptionConfig": ["secrets"]}, {"tags": 3}])
@pytest.mark.parametrize("rule_name", ["launch-template-ebs-kms-encrypted", "eks-secrets-kms-encrypted"])
def test_odd_shapes_never_raise(rule_name: str, props: dict[str, Any]) -> None:
    type_ = next(iter(RULES[rule_name].resource_types))
    assert isinstance(evaluate(RULES[rule_name], resource(type_, "subject", props)), list)
