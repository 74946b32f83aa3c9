"""GCP data protection rules: CMEK on Cloud Storage, GKE and disks, Cloud KMS rotation, lifecycle, backup, TLS.

Controls: encryption-at-rest, key-rotation, data-lifecycle, backup, encryption-in-transit. (Cloud Logging bucket
retention, Cloud SQL deletion protection and GCP records-of-processing are judged with their AWS twins in
cross_cloud.py; data residency has its own module.)

Every property and enum value here is read from pulumi-gcp v10's SDK (the `*Args` classes and their
`@pulumi.getter(name=...)` camelCase names). Values unknown at preview are read plainly: the proxy raises
UnknownValueError and `evaluate` turns it into "cannot judge yet" for what reads them only: independent checks and
list items are judged each on its own (rule.judge_apart, judge_each), and a verdict that combines several (an
exception, "some entry expires") decides each by what is known (rule.any_of, all_of). Odd shapes (a string where
a list was expected, None, a number) count as "not compliant" where absence is itself a violation, never as an
exception.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

from llmops_infra.policies.runtime.gke import judge_node_configs
from llmops_infra.policies.runtime.props import has_key, is_true, listed, mapping, named, number, word
from llmops_infra.policies.runtime.resources import (
    GCE_DISK,
    GCS_BUCKET,
    GKE_CLUSTER,
    GKE_NODE_POOL,
    PERSONAL_CLASSES,
    classification,
    label,
)
from llmops_infra.policies.runtime.rule import Resource, Settings, all_of, any_of, per_item, rule

# ---- tokens (pulumi-gcp v10) that resources.py does not name ------------------------------------------------

GCE_REGION_DISK = "gcp:compute/regionDisk:RegionDisk"
SQL_INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance"


# =============================================================================================================
# encryption-at-rest
# =============================================================================================================


@rule(
    "gcs-bucket-cmek-encrypted",
    control="encryption-at-rest",
    severity="high",
    types=(GCS_BUCKET,),
    remediation="Set encryption.default_kms_key_name to a Cloud KMS key the bucket's storage service agent may use.",
    frameworks=("hipaa", "gdpr"),
)
def gcs_bucket_cmek_encrypted(resource: Resource, settings: Settings) -> Iterator[str]:
    """Cloud Storage buckets encrypt new objects with a customer-managed Cloud KMS key by default."""
    if not named(mapping(resource.props.get("encryption")).get("defaultKmsKeyName")):
        yield f"{label(resource)} has no encryption.defaultKmsKeyName (customer-managed key)"


@rule(
    "gke-database-encryption",
    control="encryption-at-rest",
    severity="high",
    types=(GKE_CLUSTER,),
    remediation='Set database_encryption state "ENCRYPTED" with key_name a Cloud KMS key (application-layer '
    "secrets encryption).",
    frameworks=("hipaa", "gdpr"),
)
def gke_database_encryption(resource: Resource, settings: Settings) -> Iterator[str]:
    """GKE clusters encrypt Kubernetes secrets in etcd with a customer-managed Cloud KMS key."""
    encryption = mapping(resource.props.get("databaseEncryption"))
    # The SDK: state is `ENCRYPTED` or `DECRYPTED`; absent, GKE stores secrets with Google-managed keys only.
    if word(encryption.get("state")) != "ENCRYPTED":
        yield f"{label(resource)} does not set databaseEncryption.state to ENCRYPTED"
    elif not named(encryption.get("keyName")):
        yield f"{label(resource)} databaseEncryption has no keyName (customer-managed key)"


@rule(
    "gke-node-pool-boot-disk-cmek",
    control="encryption-at-rest",
    severity="high",
    types=(GKE_CLUSTER, GKE_NODE_POOL),
    remediation="Set node_config.boot_disk_kms_key (and cluster_autoscaling.auto_provisioning_defaults."
    "boot_disk_kms_key with node auto-provisioning) to a Cloud KMS key.",
    frameworks=("hipaa", "gdpr"),
)
def gke_node_pool_boot_disk_cmek(resource: Resource, settings: Settings) -> Iterator[str]:
    """GKE node boot disks are encrypted with a customer-managed Cloud KMS key."""
    # The SDK says only "a subset" of the NAP defaults applies to Autopilot and names serviceAccount for its
    # nodes, never bootDiskKmsKey: only auto-provisioning on a Standard cluster is held to it.
    yield from judge_node_configs(resource, partial(_boot_disk_cmek, resource), include_autopilot=False)


def _boot_disk_cmek(resource: Resource, where: str, config: Mapping[str, Any]) -> Iterator[str]:
    if not named(config.get("bootDiskKmsKey")):
        yield f"{label(resource)} {where} has no bootDiskKmsKey (customer-managed key)"


# Customer-supplied keys (CSEK): the key material is pasted into the resource, not held in Cloud KMS, so it
# can be neither rotated, audited nor revoked there: not CMEK.
CSEK_KEYS = ("rawKey", "rawKeyWo", "rsaEncryptedKey", "rsaEncryptedKeyWo")


@rule(
    "gce-disk-cmek",
    control="encryption-at-rest",
    severity="high",
    types=(GCE_DISK, GCE_REGION_DISK),
    remediation="Set disk_encryption_key.kms_key_self_link (regional disks: kms_key_name) to a Cloud KMS key, "
    "not a raw or RSA-wrapped customer-supplied key.",
    frameworks=("hipaa", "gdpr"),
)
def gce_disk_cmek(resource: Resource, settings: Settings) -> Iterator[str]:
    """Persistent disks are encrypted with a customer-managed Cloud KMS key."""
    # The SDK names the KMS key kmsKeySelfLink on a zonal Disk and kmsKeyName on a RegionDisk.
    key_name = "kmsKeyName" if resource.type == GCE_REGION_DISK else "kmsKeySelfLink"
    encryption = mapping(resource.props.get("diskEncryptionKey"))
    if named(encryption.get(key_name)):
        return
    # Key names only: whether a customer-supplied key is present needs no read of the (secret) key material.
    supplied = [k for k in CSEK_KEYS if has_key(encryption, k)]
    if supplied:
        yield (
            f"{label(resource)} diskEncryptionKey uses a customer-supplied key ({', '.join(supplied)}), not a Cloud "
            f"KMS key ({key_name})"
        )
    else:
        yield f"{label(resource)} has no diskEncryptionKey.{key_name} (customer-managed key)"


# =============================================================================================================
# key-rotation
# =============================================================================================================

# docs/controls.md: Cloud KMS keys rotate at least every 90 days.
MAX_GCP_ROTATION_SECONDS = 90 * 24 * 3600


def _duration_seconds(value: Any) -> float | None:
    """A google.protobuf.Duration string ("7776000s", up to 9 fractional digits) in seconds, else None."""
    if not isinstance(value, str):
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d{1,9})?)s\s*", value)
    return float(match.group(1)) if match else None


@rule(
    "gcp-kms-key-rotation-period",
    control="key-rotation",
    severity="medium",
    types=("gcp:kms/cryptoKey:CryptoKey",),
    remediation='Set rotationPeriod to at most "7776000s" (90 days).',
    frameworks=("hipaa", "gdpr"),
)
def gcp_kms_key_rotation_period(resource: Resource, settings: Settings) -> Iterator[str]:
    """Cloud KMS symmetric keys rotate at least every 90 days."""
    # Cloud KMS rotates automatically only symmetric ENCRYPT_DECRYPT keys (the default purpose).
    if resource.props.get("purpose") not in (None, "ENCRYPT_DECRYPT"):
        return
    period = resource.props.get("rotationPeriod")
    seconds = _duration_seconds(period)
    if seconds is None:
        yield f"Cloud KMS key {resource.name} has no valid rotationPeriod"
    elif seconds > MAX_GCP_ROTATION_SECONDS:
        yield f"Cloud KMS key {resource.name} rotationPeriod {period} is longer than {MAX_GCP_ROTATION_SECONDS}s"


# =============================================================================================================
# data-lifecycle and backup
# =============================================================================================================


def _versioned(bucket: Resource) -> bool:
    return is_true(mapping(bucket.props.get("versioning")).get("enabled"))


@rule(
    "gcs-bucket-versioning-enabled",
    control="data-lifecycle",
    severity="medium",
    types=(GCS_BUCKET,),
    remediation="Set versioning.enabled true.",
    frameworks=("hipaa", "gdpr"),
)
def gcs_bucket_versioning_enabled(resource: Resource, settings: Settings) -> Iterator[str]:
    """Cloud Storage buckets classified phi or personal are versioned."""
    if classification(resource) in PERSONAL_CLASSES and not _versioned(resource):
        yield f"{label(resource)} does not set versioning.enabled to true"


# Conditions that bound how long data is kept; the SDK ignores a 0 for the numeric ones unless the matching
# send...IfZero flag is true. (matchesPrefixes, matchesStorageClasses, withState, size... only filter objects.)
RETENTION_DAYS = {
    "age": "sendAgeIfZero",
    "daysSinceCustomTime": "sendDaysSinceCustomTimeIfZero",
    "daysSinceNoncurrentTime": "sendDaysSinceNoncurrentTimeIfZero",
    "numNewerVersions": "sendNumNewerVersionsIfZero",
}
RETENTION_DATES = ("createdBefore", "customTimeBefore", "noncurrentTimeBefore")


def _expires(lifecycle_rule: Any) -> bool:
    """Whether the entry deletes objects after a bound: its action and its condition decided each on its own (a
    known non-bounding condition needs no action type, a known non-Delete action no condition)."""
    lifecycle_rule = mapping(lifecycle_rule)
    # The SDK: action types are Delete, SetStorageClass and AbortIncompleteMultipartUpload; only Delete expires.
    return all_of(
        (
            lambda: mapping(lifecycle_rule.get("action")).get("type") == "Delete",
            lambda: _bounds(mapping(lifecycle_rule.get("condition"))),
        )
    )


def _bounds(condition: Mapping[str, Any]) -> bool:
    """Whether some condition bounds how long objects are kept, each decided on its own."""
    days = [partial(_bounding_days, condition, key, send_zero) for key, send_zero in RETENTION_DAYS.items()]
    return any_of([*days, *(partial(_bounding_date, condition, key) for key in RETENTION_DATES)])


def _bounding_days(condition: Mapping[str, Any], key: str, send_zero: str) -> bool:
    days = number(condition.get(key))
    return days is not None and (days > 0 or (days == 0 and is_true(condition.get(send_zero))))


def _bounding_date(condition: Mapping[str, Any], key: str) -> bool:
    return named(condition.get(key))


@rule(
    "gcs-bucket-lifecycle-expiry",
    control="data-lifecycle",
    severity="medium",
    types=(GCS_BUCKET,),
    remediation="Add a lifecycle_rules entry with action type Delete and a condition (age, num_newer_versions, "
    "days_since_noncurrent_time ...) matching the declared retention.",
    frameworks=("hipaa", "gdpr"),
)
def gcs_bucket_lifecycle_expiry(resource: Resource, settings: Settings) -> Iterator[str]:
    """Cloud Storage buckets classified phi or personal delete objects or old versions after a declared retention."""
    if classification(resource) not in PERSONAL_CLASSES:
        return
    # Each entry decided on its own: one known to expire is enough, whatever the others hide.
    entries = listed(resource.props.get("lifecycleRules"))
    if not any_of(per_item(entries, _expires)):
        yield f"{label(resource)} has no lifecycleRules entry with action type Delete and an age or version condition"


# The SDK (softDeletePolicy.retentionDurationSeconds): "Default value is 604800"; 0 disables soft delete.
SOFT_DELETE_DEFAULT_SECONDS = 604800


def _soft_delete_seconds(bucket: Resource) -> float:
    """How long deleted objects stay recoverable, as the bucket declares it; 0 when it declares none.

    The SDK: without a softDeletePolicy block "Server side value will be kept", which the stack does not
    declare (an org policy or an earlier change may have set it to 0), so only a declared policy counts.
    """
    policy = bucket.props.get("softDeletePolicy")
    if not isinstance(policy, Mapping):
        return 0
    seconds = policy.get("retentionDurationSeconds")
    if seconds is None:
        return SOFT_DELETE_DEFAULT_SECONDS
    return number(seconds) or 0


@rule(
    "gcs-phi-bucket-recoverable",
    control="backup",
    severity="high",
    types=(GCS_BUCKET,),
    remediation="Set versioning.enabled true, or a soft_delete_policy with retention_duration_seconds above 0.",
    frameworks=("hipaa", "gdpr"),
)
def gcs_phi_bucket_recoverable(resource: Resource, settings: Settings) -> Iterator[str]:
    """Cloud Storage buckets classified phi are versioned or soft-delete, so deleted objects can be recovered."""
    if classification(resource) != "phi" or _versioned(resource):
        return
    if _soft_delete_seconds(resource) <= 0:
        yield (
            f"{label(resource)} is classified phi but has neither versioning.enabled true nor a softDeletePolicy "
            "with retentionDurationSeconds above 0"
        )


# =============================================================================================================
# encryption-in-transit
# =============================================================================================================

# The SDK (settings.ipConfiguration.sslMode): ALLOW_UNENCRYPTED_AND_ENCRYPTED, ENCRYPTED_ONLY and
# TRUSTED_CLIENT_CERTIFICATE_REQUIRED. pulumi-gcp v10 has no requireSsl any more: sslMode is the only switch.
TLS_SSL_MODES = ("ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED")


@rule(
    "cloudsql-requires-tls",
    control="encryption-in-transit",
    severity="high",
    types=(SQL_INSTANCE,),
    remediation='Set settings.ip_configuration.ssl_mode "ENCRYPTED_ONLY" (or "TRUSTED_CLIENT_CERTIFICATE_REQUIRED").',
    frameworks=("hipaa", "gdpr"),
)
def cloudsql_requires_tls(resource: Resource, settings: Settings) -> Iterator[str]:
    """Cloud SQL instances refuse connections that are not encrypted with TLS."""
    ip_configuration = mapping(mapping(resource.props.get("settings")).get("ipConfiguration"))
    mode = ip_configuration.get("sslMode")
    if word(mode) not in TLS_SSL_MODES:
        shown = f"is {mode.strip()!r}" if named(mode) else "is unset"
        yield f"{label(resource)} settings.ipConfiguration.sslMode {shown}, so unencrypted connections are accepted"
