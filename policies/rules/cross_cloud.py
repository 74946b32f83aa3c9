"""Rules that judge AWS and GCP resources alike: log retention, deletion protection, records of processing.

Each rule here names the types of both clouds (a CloudWatch log group and a Cloud Logging bucket, an RDS
instance and a Cloud SQL instance, an S3 bucket and a GCS bucket ...) and reads each the way its provider spells
it. (Data residency, the other cross-cloud control, has its own module: residency.py.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from llmops_infra.policies.runtime.controls import AWS_DATA_STORES
from llmops_infra.policies.runtime.props import nested, number
from llmops_infra.policies.runtime.resources import (
    ALLOYDB_CLUSTER,
    ARTIFACT_REGISTRY,
    BIGQUERY_DATASET,
    BUCKET,
    CLOUD_SQL,
    EBS_VOLUME,
    EFS,
    EKS_CLUSTER,
    FILESTORE,
    GCE_DISK,
    GCP_LOG_BUCKET,
    GCP_SECRET,
    GCS_BUCKET,
    GKE_CLUSTER,
    LOG_GROUP,
    MEMORYSTORE_REDIS,
    PUBSUB_TOPIC,
    label,
    record_problems,
    tags_key,
    tags_of,
)
from llmops_infra.policies.runtime.rule import Resource, Settings, judge_each, rule

# =============================================================================================================
# log-retention
# =============================================================================================================

GCP_DEFAULT_RETENTION_DAYS = 30  # the SDK: unset or 0 at creation means the 30-day default
DELIVERY_RETENTION_DAYS = 2  # the SDK: log_group_class DELIVERY forces retention_in_days to 2


class Retention(NamedTuple):
    days: float | None  # None: never expires
    source: str  # the property it comes from, for messages
    unreadable: bool = False  # the property is set but is not a number of days


def retention(resource: Resource) -> Retention:
    """The effective retention of a log group (AWS) or log bucket (GCP)."""
    if resource.type != GCP_LOG_BUCKET and resource.props.get("logGroupClass") == "DELIVERY":
        return Retention(DELIVERY_RETENTION_DAYS, "logGroupClass DELIVERY")
    key = "retentionDays" if resource.type == GCP_LOG_BUCKET else "retentionInDays"
    value = resource.props.get(key)
    days = number(value) if value is not None else 0.0
    if days is None:
        return Retention(None, key, unreadable=True)
    # Unset or 0: GCP applies its 30-day default; CloudWatch keeps logs forever.
    unset = GCP_DEFAULT_RETENTION_DAYS if resource.type == GCP_LOG_BUCKET else None
    return Retention(days or unset, key)


def _days(days: float) -> str:
    return f"{days:g} days"


@rule(
    "log-retention-minimum",
    control="log-retention",
    severity="medium",
    types=(LOG_GROUP, GCP_LOG_BUCKET),
    remediation="Keep logs at least minLogRetentionDays (default 2192 days, six years).",
    parameters=("minLogRetentionDays",),
    frameworks=("hipaa",),
)
def log_retention_minimum(resource: Resource, settings: Settings) -> Iterator[str]:
    """Logs are kept at least the configured minimum (HIPAA documentation period)."""
    kept = retention(resource)
    minimum = settings.min_log_retention_days
    if kept.unreadable:
        yield f"{label(resource)} {kept.source} is not a number of days"
    elif kept.days is not None and kept.days < minimum:
        yield f"{label(resource)} keeps logs {_days(kept.days)} ({kept.source}), below the {minimum}-day minimum"


@rule(
    "log-retention-maximum",
    control="log-retention",
    severity="medium",
    types=(LOG_GROUP, GCP_LOG_BUCKET),
    remediation="Set a retention of at most maxLogRetentionDays (default 2192 days); never keep logs forever.",
    parameters=("maxLogRetentionDays",),
    frameworks=("gdpr",),
)
def log_retention_maximum(resource: Resource, settings: Settings) -> Iterator[str]:
    """Logs expire, no later than the configured maximum (GDPR storage limitation)."""
    kept = retention(resource)
    maximum = settings.max_log_retention_days
    if kept.unreadable:
        yield f"{label(resource)} {kept.source} is not a number of days"
    elif kept.days is None:
        yield f"{label(resource)} keeps logs forever ({kept.source} unset or 0)"
    elif kept.days > maximum:
        yield f"{label(resource)} keeps logs {_days(kept.days)} ({kept.source}), above the {maximum}-day maximum"


# =============================================================================================================
# backup
# =============================================================================================================

# Stateful stores: each input that protects them from deletion, and whether leaving it unset protects. RDS and
# DynamoDB default to unprotected (the SDK docs: "The default is false"); Cloud SQL's Pulumi-level
# deletionProtection defaults to true, but only the API flag settings.deletionProtectionEnabled stops a deletion
# from the console or gcloud as well.
DELETION_PROTECTION: dict[str, tuple[tuple[tuple[str, ...], bool], ...]] = {
    "aws:rds/instance:Instance": ((("deletionProtection",), False),),
    "aws:rds/cluster:Cluster": ((("deletionProtection",), False),),
    "aws:dynamodb/table:Table": ((("deletionProtectionEnabled",), False),),
    "gcp:sql/databaseInstance:DatabaseInstance": (
        (("deletionProtection",), True),
        (("settings", "deletionProtectionEnabled"), False),
    ),
    # pulumi-gcp: Memorystore Redis and AlloyDB deletionProtection block a destroy "when the field is set to true
    # or unset"; Filestore deletionProtectionEnabled (the API flag) and Secret Manager deletionProtection
    # ("Defaults to false") protect only when set.
    MEMORYSTORE_REDIS: ((("deletionProtection",), True),),
    ALLOYDB_CLUSTER: ((("deletionProtection",), True),),
    FILESTORE: ((("deletionProtectionEnabled",), False),),
    GCP_SECRET: ((("deletionProtection",), False),),
}


@rule(
    "stateful-store-deletion-protection",
    control="backup",
    severity="medium",
    types=tuple(DELETION_PROTECTION),
    remediation="Set deletionProtection (RDS, Cloud SQL and settings.deletionProtectionEnabled, Memorystore Redis, "
    "AlloyDB, Secret Manager) or deletionProtectionEnabled (DynamoDB, Filestore) to true.",
    frameworks=("hipaa", "gdpr"),
)
def stateful_store_deletion_protection(resource: Resource, settings: Settings) -> Iterator[str]:
    """Databases are protected from deletion."""
    # Each input on its own: an unknown one hides no other's violation.
    yield from judge_each(DELETION_PROTECTION.get(resource.type, ()), lambda _, row: _protected(resource, *row))


def _protected(resource: Resource, path: tuple[str, ...], unset_protects: bool) -> Iterator[str]:
    value = nested(resource.props, *path)
    if not (value is True or (value is None and unset_protects)):
        yield f"{label(resource)} does not set {'.'.join(path)} to true"


# =============================================================================================================
# records-of-processing
# =============================================================================================================

DATA_STORES = (
    *BUCKET,
    EBS_VOLUME,
    EFS,
    EKS_CLUSTER,
    LOG_GROUP,
    # AWS data stores: RDS instances and clusters, DynamoDB, ElastiCache, MemoryDB, OpenSearch, FSx for Lustre, ECR,
    # Secrets Manager, SQS and SNS (each takes `tags`)
    *AWS_DATA_STORES,
    GCS_BUCKET,
    GKE_CLUSTER,
    GCE_DISK,
    # GCP data stores (a Cloud SQL instance's labels are settings.userLabels: resources.LABELS_AT)
    CLOUD_SQL,
    MEMORYSTORE_REDIS,
    ALLOYDB_CLUSTER,
    FILESTORE,
    ARTIFACT_REGISTRY,
    GCP_SECRET,
    BIGQUERY_DATASET,
    PUBSUB_TOPIC,
)


@rule(
    "data-store-records-of-processing",
    control="records-of-processing",
    severity="low",
    types=DATA_STORES,
    remediation="Tag (AWS) or label (GCP) the resource with owner, purpose and data-classification "
    "(phi, personal, internal or public).",
    frameworks=("hipaa", "gdpr"),
)
def data_store_records_of_processing(resource: Resource, settings: Settings) -> Iterator[str]:
    """Data stores and clusters say whose they are, what for, and what data they hold."""
    yield from record_problems(label(resource), tags_of(resource), tags_key(resource.type))
