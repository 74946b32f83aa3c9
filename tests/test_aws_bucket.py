"""EncryptedBucket and AccessLogBucket: each bucket's security settings, read from what the engine saw."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llmops_infra.cli.mock_outputs import ACCOUNT_ID
from llmops_infra.cli.recording import Recording, Registration
from llmops_infra.components.aws.bucket import AccessLogBucket, EncryptedBucket
from llmops_infra.components.spec import BucketSpec
from tests.conftest import preview

KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/11111111-2222-3333-4444-555555555555"
DATA_TAGS = {"owner": "ml-platform", "purpose": "model-artifacts", "data-classification": "phi"}
LOG_TAGS = {"owner": "ml-platform", "purpose": "access-logs", "data-classification": "internal"}

COMPONENT = {"models": "llmops:aws:EncryptedBucket", "logs": "llmops:aws:AccessLogBucket"}


def _platform(spec: BucketSpec | None = None, retention_days: int = 2192) -> Recording:
    def program() -> None:
        logs = AccessLogBucket("logs", tags=LOG_TAGS, retention_days=retention_days)
        EncryptedBucket(
            "models",
            spec or BucketSpec(name="models", purpose="model-artifacts", noncurrent_version_expiration_days=30),
            kms_key_arn=KEY_ARN,
            log_bucket=logs.bucket_name,
            tags=DATA_TAGS,
        )

    return preview(program)


@pytest.fixture(scope="module")
def rec() -> Recording:
    return _platform()


def _child(rec: Recording, token: str, name: str) -> Registration:
    return rec.one(token, name)


def _bucket(rec: Recording, name: str) -> Registration:
    return rec.one("aws:s3/bucket:Bucket", name)


def _policy(rec: Recording, name: str) -> dict[str, Any]:
    policy = rec.one("aws:s3/bucketPolicy:BucketPolicy", f"{name}-policy")
    document: dict[str, Any] = json.loads(policy.inputs["policy"])
    return document


def _lifecycle_rules(rec: Recording, name: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = rec.one(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", f"{name}-lifecycle"
    ).inputs["rules"]
    return rules


# ---- encryption -------------------------------------------------------------------------------------------


def test_data_bucket_default_encryption_is_sse_kms_with_the_given_key_and_bucket_key(rec: Recording) -> None:
    sse = _child(
        rec,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "models-sse",
    )
    assert sse.inputs["bucket"] == _bucket(rec, "models").outputs["bucket"]
    [rule] = sse.inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": KEY_ARN,
    }
    assert rule["bucketKeyEnabled"] is True


def test_log_bucket_default_encryption_is_sse_s3_because_log_delivery_needs_it(rec: Recording) -> None:
    sse = _child(
        rec,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "logs-sse",
    )
    assert sse.inputs["bucket"] == _bucket(rec, "logs").outputs["bucket"]
    [rule] = sse.inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}


# ---- public access, ownership, versioning -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["models", "logs"])
def test_public_access_block_sets_all_four_flags(rec: Recording, name: str) -> None:
    pab = _child(rec, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", f"{name}-public-access-block")
    assert pab.inputs["bucket"] == _bucket(rec, name).outputs["bucket"]
    for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        assert pab.inputs[flag] is True, flag


@pytest.mark.parametrize("name", ["models", "logs"])
def test_ownership_is_bucket_owner_enforced_so_acls_are_off(rec: Recording, name: str) -> None:
    ownership = _child(rec, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", f"{name}-ownership")
    assert ownership.inputs["bucket"] == _bucket(rec, name).outputs["bucket"]
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}


@pytest.mark.parametrize("name", ["models", "logs"])
def test_versioning_is_enabled(rec: Recording, name: str) -> None:
    versioning = _child(rec, "aws:s3/bucketVersioning:BucketVersioning", f"{name}-versioning")
    assert versioning.inputs["bucket"] == _bucket(rec, name).outputs["bucket"]
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"


@pytest.mark.parametrize("name", ["models", "logs"])
def test_bucket_is_not_force_destroyed(rec: Recording, name: str) -> None:
    assert _bucket(rec, name).inputs.get("forceDestroy") is False


# ---- TLS-only policy --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["models", "logs"])
def test_policy_denies_requests_without_tls_to_bucket_and_objects(rec: Recording, name: str) -> None:
    arn = _bucket(rec, name).outputs["arn"]
    policy = rec.one("aws:s3/bucketPolicy:BucketPolicy", f"{name}-policy")
    assert policy.inputs["bucket"] == _bucket(rec, name).outputs["bucket"]
    denies = [s for s in _policy(rec, name)["Statement"] if s["Effect"] == "Deny"]
    assert len(denies) == 1
    [deny] = denies
    assert deny["Principal"] == "*"
    assert deny["Action"] == "s3:*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sorted(deny["Resource"]) == sorted([arn, f"{arn}/*"])


@pytest.mark.parametrize("name", ["models", "logs"])
def test_policy_waits_for_the_public_access_block(rec: Recording, name: str) -> None:
    policy = rec.one("aws:s3/bucketPolicy:BucketPolicy", f"{name}-policy")
    pab = _child(rec, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", f"{name}-public-access-block")
    assert pab.urn in policy.dependencies


def test_data_bucket_policy_grants_nothing(rec: Recording) -> None:
    assert [s["Effect"] for s in _policy(rec, "models")["Statement"]] == ["Deny"]


def test_log_bucket_policy_allows_log_delivery_only_from_this_account(rec: Recording) -> None:
    arn = _bucket(rec, "logs").outputs["arn"]
    allows = [s for s in _policy(rec, "logs")["Statement"] if s["Effect"] == "Allow"]
    assert len(allows) == 1
    [allow] = allows
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert allow["Action"] in ("s3:PutObject", ["s3:PutObject"])
    assert allow["Resource"] in (f"{arn}/*", [f"{arn}/*"])
    assert allow["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}


# ---- logging ----------------------------------------------------------------------------------------------


def test_data_bucket_access_logs_go_to_the_log_bucket_under_its_own_prefix(rec: Recording) -> None:
    logging = rec.one("aws:s3/bucketLogging:BucketLogging", "models-logging")
    assert logging.inputs["bucket"] == _bucket(rec, "models").outputs["bucket"]
    assert logging.inputs["targetBucket"] == _bucket(rec, "logs").outputs["bucket"]
    assert logging.inputs["targetPrefix"] == "models/"


def test_data_bucket_logging_waits_for_the_log_delivery_policy(rec: Recording) -> None:
    logging = rec.one("aws:s3/bucketLogging:BucketLogging", "models-logging")
    assert rec.one("aws:s3/bucketPolicy:BucketPolicy", "logs-policy").urn in logging.dependencies


def test_log_bucket_does_not_log_to_itself(rec: Recording) -> None:
    assert [r.name for r in rec.of_type("aws:s3/bucketLogging:BucketLogging")] == ["models-logging"]


# ---- lifecycle --------------------------------------------------------------------------------------------


def test_data_bucket_lifecycle_expires_noncurrent_versions_after_the_configured_days(rec: Recording) -> None:
    [rule] = _lifecycle_rules(rec, "models")
    assert rule["status"] == "Enabled"
    assert rule["noncurrentVersionExpiration"]["noncurrentDays"] == 30
    assert rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 7


def test_data_bucket_keeps_current_objects_when_expiration_days_is_unset(rec: Recording) -> None:
    [rule] = _lifecycle_rules(rec, "models")
    assert "expiration" not in rule


def test_data_bucket_expires_current_objects_when_expiration_days_is_set() -> None:
    spec = BucketSpec(name="datasets", purpose="datasets", noncurrent_version_expiration_days=14, expiration_days=400)
    [rule] = _lifecycle_rules(_platform(spec), "models")
    assert rule["expiration"]["days"] == 400
    assert rule["noncurrentVersionExpiration"]["noncurrentDays"] == 14


def test_lifecycle_waits_for_versioning(rec: Recording) -> None:
    for name in ("models", "logs"):
        lifecycle = rec.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", f"{name}-lifecycle")
        versioning = _child(rec, "aws:s3/bucketVersioning:BucketVersioning", f"{name}-versioning")
        assert versioning.urn in lifecycle.dependencies, name


def test_log_bucket_expires_logs_and_their_noncurrent_versions_after_retention_days() -> None:
    [rule] = _lifecycle_rules(_platform(retention_days=731), "logs")
    assert rule["status"] == "Enabled"
    assert rule["expiration"]["days"] == 731
    assert rule["noncurrentVersionExpiration"]["noncurrentDays"] == 731


def test_log_bucket_rejects_a_retention_that_s3_cannot_express() -> None:
    with pytest.raises(ValueError, match="retention_days"):
        _platform(retention_days=0)


# ---- tags and structure -----------------------------------------------------------------------------------


def test_buckets_carry_the_data_classification_tag(rec: Recording) -> None:
    assert _bucket(rec, "models").inputs["tags"] == DATA_TAGS
    assert _bucket(rec, "logs").inputs["tags"]["data-classification"] == "internal"


@pytest.mark.parametrize("name", ["models", "logs"])
def test_every_child_sits_under_the_component(rec: Recording, name: str) -> None:
    component = rec.one(COMPONENT[name], name)
    children = rec.descendants_of(component.urn)
    expected = {
        ("aws:s3/bucket:Bucket", name),
        (
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            f"{name}-sse",
        ),
        ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", f"{name}-public-access-block"),
        ("aws:s3/bucketOwnershipControls:BucketOwnershipControls", f"{name}-ownership"),
        ("aws:s3/bucketVersioning:BucketVersioning", f"{name}-versioning"),
        ("aws:s3/bucketPolicy:BucketPolicy", f"{name}-policy"),
        ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", f"{name}-lifecycle"),
    }
    if name == "models":
        expected.add(("aws:s3/bucketLogging:BucketLogging", "models-logging"))
    assert {(r.type, r.name) for r in children} == expected
    for child in children:
        # The URN's type path runs through the component: "<component path>$<child type>".
        assert child.urn.split("::")[2] == f"{component.urn.split('::')[2]}${child.type}"
        assert child.parent == component.urn


def test_no_resource_is_created_outside_the_components(rec: Recording) -> None:
    roots = [r for r in rec.resources if r.custom and not r.type.startswith("pulumi:providers:")]
    assert all(r.parent != rec.stack.urn for r in roots)
