"""EncryptedBucket and AccessLogBucket on the offline engine, composed with CloudKmsKeys as a stack composes them."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from llmops_infra.cli.recording import Recording, Registration
from llmops_infra.components.gcp.bucket import AccessLogBucket, EncryptedBucket, grant_on_bucket
from llmops_infra.components.gcp.kms import CloudKmsKeys, CloudKmsKeySpec
from llmops_infra.components.spec import BucketSpec
from tests.conftest import preview
from tests.rule_judging import judge

CONFIG = {"gcp:project": "llmops-test", "gcp:region": "europe-west4"}
BUCKET = "gcp:storage/bucket:Bucket"
IAM_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
KEY = "gcp:kms/cryptoKey:CryptoKey"
KEY_GRANT = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
COMPONENT = {"models": "llmops:gcp:EncryptedBucket", "logs": "llmops:gcp:AccessLogBucket"}

DATA_LABELS = {"owner": "ml-platform", "purpose": "model-artifacts", "data-classification": "phi"}
LOG_LABELS = {"owner": "ml-platform", "purpose": "access-logs", "data-classification": "internal"}
MODELS = BucketSpec(name="models", purpose="model-artifacts", noncurrent_version_expiration_days=30)
LOG_WRITER = "group:cloud-storage-analytics@google.com"

ABORT_UPLOADS = {"action": {"type": "AbortIncompleteMultipartUpload"}, "condition": {"age": 7}}


def _platform(
    spec: BucketSpec = MODELS,
    *,
    retention_days: int = 2192,
    location: str = "europe-west4",
    log_location: str = "europe-west4",
) -> Recording:
    def program() -> None:
        keys = CloudKmsKeys("llmops-test", CloudKmsKeySpec(location="europe-west4", labels=DATA_LABELS))
        logs = AccessLogBucket(
            "logs",
            location=log_location,
            kms_key_id=keys.key_id("storage"),
            labels=LOG_LABELS,
            retention_days=retention_days,
        )
        EncryptedBucket(
            "models",
            spec,
            location=location,
            kms_key_id=keys.key_id("storage"),
            log_bucket=logs.bucket_name,
            labels=DATA_LABELS,
        )

    return preview(program, CONFIG)


@pytest.fixture(scope="module")
def rec() -> Recording:
    return _platform()


def _bucket(rec: Recording, name: str) -> Registration:
    return rec.one(BUCKET, name)


def _storage_key(rec: Recording) -> Registration:
    return rec.one(KEY, "llmops-test-storage")


# ---- encryption -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["models", "logs"])
def test_bucket_encrypts_by_default_with_the_storage_key(rec: Recording, name: str) -> None:
    assert _bucket(rec, name).inputs["encryption"] == {"defaultKmsKeyName": _storage_key(rec).id}


@pytest.mark.parametrize("name", ["models", "logs"])
def test_bucket_is_created_only_after_the_storage_agents_may_use_the_key(rec: Recording, name: str) -> None:
    grants = [g for g in rec.of_type(KEY_GRANT) if g.inputs["cryptoKeyId"] == _storage_key(rec).id]
    assert {g.inputs["member"].split("@")[1] for g in grants} == {
        "gs-project-accounts.iam.gserviceaccount.com",
        "compute-system.iam.gserviceaccount.com",
    }
    bucket = _bucket(rec, name)
    assert all(g.urn in bucket.property_dependencies["encryption"] for g in grants)


# ---- public access ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["models", "logs"])
def test_bucket_uses_uniform_access_and_enforces_public_access_prevention(rec: Recording, name: str) -> None:
    bucket = _bucket(rec, name)
    assert bucket.inputs["uniformBucketLevelAccess"] is True
    assert bucket.inputs["publicAccessPrevention"] == "enforced"


def test_the_only_bucket_grant_is_log_delivery_to_the_log_bucket(rec: Recording) -> None:
    [grant] = rec.of_type(IAM_MEMBER)
    assert grant.inputs == {
        "bucket": _bucket(rec, "logs").outputs["name"],
        "role": "roles/storage.objectCreator",
        "member": LOG_WRITER,
    }


@pytest.mark.parametrize("member", ["allUsers", "allAuthenticatedUsers", " allUsers "])
def test_a_public_member_is_never_granted(member: str) -> None:
    def program() -> None:
        logs = AccessLogBucket("logs", location="europe-west4", kms_key_id="k", labels=LOG_LABELS, retention_days=30)
        with pytest.raises(ValueError, match="is public"):
            grant_on_bucket(logs, "public", bucket=logs.bucket_name, role="roles/storage.objectViewer", member=member)

    rec = preview(program, CONFIG)
    assert [g.inputs["member"] for g in rec.of_type(IAM_MEMBER)] == [LOG_WRITER]


# ---- versioning, soft delete, deletion --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["models", "logs"])
def test_bucket_is_versioned_keeps_deleted_objects_7_days_and_is_never_force_destroyed(
    rec: Recording, name: str
) -> None:
    bucket = _bucket(rec, name)
    assert bucket.inputs["versioning"] == {"enabled": True}
    assert bucket.inputs["softDeletePolicy"] == {"retentionDurationSeconds": 7 * 86400}
    assert bucket.inputs["forceDestroy"] is False


# ---- lifecycle --------------------------------------------------------------------------------------------


def test_data_bucket_deletes_noncurrent_versions_and_stale_uploads_and_keeps_live_objects(rec: Recording) -> None:
    assert _bucket(rec, "models").inputs["lifecycleRules"] == [
        {"action": {"type": "Delete"}, "condition": {"daysSinceNoncurrentTime": 30, "withState": "ARCHIVED"}},
        ABORT_UPLOADS,
    ]


def test_data_bucket_expires_live_objects_when_expiration_days_is_set() -> None:
    spec = BucketSpec(name="datasets", purpose="datasets", noncurrent_version_expiration_days=14, expiration_days=400)
    assert _bucket(_platform(spec), "models").inputs["lifecycleRules"] == [
        {"action": {"type": "Delete"}, "condition": {"daysSinceNoncurrentTime": 14, "withState": "ARCHIVED"}},
        {"action": {"type": "Delete"}, "condition": {"age": 400, "withState": "LIVE"}},
        ABORT_UPLOADS,
    ]


def test_log_bucket_deletes_logs_and_their_old_versions_after_retention_days() -> None:
    assert _bucket(_platform(retention_days=731), "logs").inputs["lifecycleRules"] == [
        {"action": {"type": "Delete"}, "condition": {"age": 731, "withState": "LIVE"}},
        {"action": {"type": "Delete"}, "condition": {"daysSinceNoncurrentTime": 731, "withState": "ARCHIVED"}},
        ABORT_UPLOADS,
    ]


@pytest.mark.parametrize("days", [0, -30])
def test_log_bucket_rejects_a_retention_gcs_cannot_express(days: int) -> None:
    with pytest.raises(ValueError, match="retention_days must be at least 1"):
        _platform(retention_days=days)


# ---- logging ----------------------------------------------------------------------------------------------


def test_data_bucket_logs_to_the_log_bucket_under_its_own_prefix(rec: Recording) -> None:
    assert _bucket(rec, "models").inputs["logging"] == {
        "logBucket": _bucket(rec, "logs").outputs["name"],
        "logObjectPrefix": "models/",
    }


def test_data_bucket_logging_waits_for_the_log_writer_grant(rec: Recording) -> None:
    [grant] = rec.of_type(IAM_MEMBER)
    assert grant.urn in _bucket(rec, "models").property_dependencies["logging"]


def test_log_bucket_does_not_log_to_itself(rec: Recording) -> None:
    assert "logging" not in _bucket(rec, "logs").inputs


# ---- location, labels, outputs, structure -----------------------------------------------------------------


@pytest.mark.parametrize(("given", "sent"), [("europe-west4", "EUROPE-WEST4"), ("eur4", "EUR4"), ("EU", "EU")])
def test_location_is_sent_upper_case_as_gcs_reports_it(given: str, sent: str) -> None:
    rec = _platform(location=given, log_location=given)
    assert _bucket(rec, "models").inputs["location"] == sent
    assert _bucket(rec, "logs").inputs["location"] == sent


@pytest.mark.parametrize("where", ["location", "log_location"])
def test_a_location_that_is_not_a_gcs_location_is_rejected(where: str) -> None:
    with pytest.raises(ValueError, match="not a GCS location"):
        _platform(**{where: "europe west4"})


def test_buckets_carry_owner_purpose_and_data_classification(rec: Recording) -> None:
    assert _bucket(rec, "models").inputs["labels"] == DATA_LABELS
    assert _bucket(rec, "logs").inputs["labels"] == LOG_LABELS


@pytest.mark.parametrize("name", ["models", "logs"])
def test_outputs_name_the_bucket(rec: Recording, name: str) -> None:
    bucket = _bucket(rec, name)
    assert rec.one(COMPONENT[name], name).outputs == {
        "bucket_name": bucket.outputs["name"],
        "url": bucket.outputs["url"],
        "self_link": bucket.outputs["selfLink"],
    }


@pytest.mark.parametrize("name", ["models", "logs"])
def test_every_child_sits_under_its_component(rec: Recording, name: str) -> None:
    component = rec.one(COMPONENT[name], name)
    expected = {(BUCKET, name)} | ({(IAM_MEMBER, "logs-log-writer")} if name == "logs" else set())
    children = rec.children_of(component.urn)
    assert {(c.type, c.name) for c in children} == expected


# ---- the policy rules over what was registered ------------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [MODELS, BucketSpec(name="datasets", purpose="datasets", classification="personal", expiration_days=365)],
)
def test_the_buckets_keys_and_grants_pass_every_rule_that_judges_them(spec: BucketSpec) -> None:
    judged, violations = judge(_platform(spec))
    assert {
        "gcs-bucket-cmek-encrypted",
        "gcs-bucket-public-access-prevention",
        "gcs-iam-no-public-members",
        "gcs-bucket-versioning-enabled",
        "gcs-bucket-lifecycle-expiry",
        "gcs-phi-bucket-recoverable",
        "data-store-records-of-processing",
        "data-residency",
        "gcp-kms-key-rotation-period",
    } <= judged
    assert violations == []


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        (("encryption", {}), "gcs-bucket-cmek-encrypted"),
        (("publicAccessPrevention", "inherited"), "gcs-bucket-public-access-prevention"),
        (("versioning", {"enabled": False}), "gcs-bucket-versioning-enabled"),
        (("lifecycleRules", [ABORT_UPLOADS]), "gcs-bucket-lifecycle-expiry"),
        (("labels", {"data-classification": "phi"}), "data-store-records-of-processing"),
    ],
)
def test_the_rules_would_catch_the_data_bucket_without_each_setting(
    rec: Recording, change: tuple[str, Any], rule: str
) -> None:
    bucket = copy.deepcopy(_bucket(rec, "models"))
    key, value = change
    bucket.inputs[key] = value
    _, violations = judge(rec, [bucket])
    assert rule in {v.split(":")[0] for v in violations}
