"""GCP data stores beyond buckets and disks: Cloud SQL, Memorystore Redis, AlloyDB, Filestore, Artifact Registry,
Secret Manager, BigQuery and Pub/Sub.

Controls: encryption-at-rest, encryption-in-transit, no-public-access, backup. (Their deletion protection and
records of processing are judged with the AWS stores in cross_cloud.py, their location in residency.py; Cloud SQL's
TLS mode in data_protection.py.)

Every property and enum value here is read from pulumi-gcp v10's SDK (the resource's `*Args` and its module's
`_inputs.py`; the quotes are the SDK's docstrings). Where a rule judges several independent things (the items of a
list), each is judged on its own (rule.judge_each): a value unknown at preview in one hides no violation in another.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from llmops_infra.policies.runtime.props import is_false, is_true, listed, mapping, named, nested, shown, word
from llmops_infra.policies.runtime.resources import (
    ALLOYDB_CLUSTER,
    ARTIFACT_REGISTRY,
    BIGQUERY_DATASET,
    CLOUD_SQL,
    FILESTORE,
    GCP_SECRET,
    MEMORYSTORE_REDIS,
    PUBSUB_TOPIC,
    classification,
    label,
)
from llmops_infra.policies.runtime.rule import NotApplicable, Resource, Settings, judge_each, rule

# =============================================================================================================
# encryption-at-rest
# =============================================================================================================

# Where each data store names its Cloud KMS key (an input path); absent, Google-managed keys encrypt the data.
# Cloud SQL encryptionKeyName: "The full path to the encryption key used for the CMEK disk encryption"; Redis
# customerManagedKey: "If this is provided, CMEK is enabled"; AlloyDB encryptionConfig.kmsKeyName; Filestore
# kmsKeyName: "KMS key name used for data encryption"; Artifact Registry kmsKeyName: "the customer managed
# encryption key that's used to encrypt the contents of the Repository"; BigQuery
# defaultEncryptionConfiguration.kmsKeyName: "The default encryption key for all tables in the dataset"; Pub/Sub
# kmsKeyName: "the Cloud KMS CryptoKey to be used to protect access to messages published on this topic".
CMEK_KEYS: dict[str, tuple[str, ...]] = {
    CLOUD_SQL: ("encryptionKeyName",),
    MEMORYSTORE_REDIS: ("customerManagedKey",),
    ALLOYDB_CLUSTER: ("encryptionConfig", "kmsKeyName"),
    FILESTORE: ("kmsKeyName",),
    ARTIFACT_REGISTRY: ("kmsKeyName",),
    BIGQUERY_DATASET: ("defaultEncryptionConfiguration", "kmsKeyName"),
    PUBSUB_TOPIC: ("kmsKeyName",),
}


@rule(
    "gcp-data-store-cmek",
    control="encryption-at-rest",
    severity="high",
    types=tuple(CMEK_KEYS),
    remediation="Set the store's Cloud KMS key: encryptionKeyName (Cloud SQL), customerManagedKey (Memorystore "
    "Redis), encryptionConfig.kmsKeyName (AlloyDB), kmsKeyName (Filestore, Artifact Registry, Pub/Sub) or "
    "defaultEncryptionConfiguration.kmsKeyName (BigQuery).",
    frameworks=("hipaa", "gdpr"),
)
def gcp_data_store_cmek(resource: Resource, settings: Settings) -> Iterator[str]:
    """GCP data stores encrypt their data with a customer-managed Cloud KMS key."""
    path = CMEK_KEYS[resource.type]
    if not named(nested(resource.props, *path)):
        yield f"{label(resource)} has no {'.'.join(path)} (customer-managed key)"


@rule(
    "gcp-secret-cmek",
    control="encryption-at-rest",
    severity="high",
    types=(GCP_SECRET,),
    remediation="Set replication.auto.customerManagedEncryption.kmsKeyName, or with user-managed replication each "
    "replica's customerManagedEncryption.kmsKeyName, to a Cloud KMS key.",
    frameworks=("hipaa", "gdpr"),
)
def gcp_secret_cmek(resource: Resource, settings: Settings) -> Iterator[str]:
    """Secret Manager secrets are encrypted with a customer-managed Cloud KMS key in every replica."""
    replication = mapping(resource.props.get("replication"))
    auto = replication.get("auto")
    if auto is not None:
        # The SDK (auto.customerManagedEncryption): "If no configuration is provided, Google-managed default
        # encryption is used."
        key = mapping(mapping(auto).get("customerManagedEncryption")).get("kmsKeyName")
        if not named(key):
            where = "replication.auto.customerManagedEncryption.kmsKeyName"
            yield f"{label(resource)} has no {where} (customer-managed key)"
        return
    # The SDK: replicas "Cannot be empty"; a secret with no replication at all is one GCP refuses.
    replicas = listed(mapping(replication.get("userManaged")).get("replicas"))
    yield from judge_each(replicas, lambda i, replica: _replica_cmek(resource, i, replica))


def _replica_cmek(resource: Resource, index: int, replica: Any) -> Iterator[str]:
    key = mapping(mapping(replica).get("customerManagedEncryption")).get("kmsKeyName")
    if not named(key):
        where = f"replication.userManaged.replicas[{index}]"
        yield f"{label(resource)} {where} has no customerManagedEncryption.kmsKeyName (customer-managed key)"


# =============================================================================================================
# encryption-in-transit
# =============================================================================================================

# The SDK (transitEncryptionMode): "If not provided, TLS is disabled for the instance"; "Possible values are:
# `SERVER_AUTHENTICATION`, `DISABLED`".
REDIS_TLS_MODE = "SERVER_AUTHENTICATION"


@rule(
    "redis-transit-encryption",
    control="encryption-in-transit",
    severity="high",
    types=(MEMORYSTORE_REDIS,),
    remediation=f'Set transitEncryptionMode "{REDIS_TLS_MODE}".',
    frameworks=("hipaa", "gdpr"),
)
def redis_transit_encryption(resource: Resource, settings: Settings) -> Iterator[str]:
    """Memorystore Redis instances accept clients over TLS only."""
    mode = resource.props.get("transitEncryptionMode")
    if word(mode) != REDIS_TLS_MODE:
        state = f"is {shown(mode)}" if mode is not None else "is unset (TLS disabled)"
        yield f"{label(resource)} transitEncryptionMode {state}, not {REDIS_TLS_MODE}"


# =============================================================================================================
# no-public-access
# =============================================================================================================

IP_CONFIGURATION = "settings.ipConfiguration"


def _private_network(value: Any) -> bool:
    """Whether a CIDR lies in private address space (RFC 1918, unique local ...); a non-CIDR is not private."""
    if not isinstance(value, str):
        return False
    try:
        return ipaddress.ip_network(value.strip(), strict=False).is_private
    except ValueError:
        return False


@rule(
    "cloudsql-no-public-ip",
    control="no-public-access",
    severity="critical",
    types=(CLOUD_SQL,),
    remediation="Set settings.ipConfiguration.ipv4Enabled false and connect through privateNetwork (private IP), "
    "or authorize only private networks in authorizedNetworks.",
    frameworks=("hipaa", "gdpr"),
)
def cloudsql_no_public_ip(resource: Resource, settings: Settings) -> Iterator[str]:
    """Cloud SQL instances have no public IPv4 address open to public networks."""
    ip_configuration = mapping(mapping(resource.props.get("settings")).get("ipConfiguration"))
    # The SDK: ipv4Enabled is "Whether this Cloud SQL instance should be assigned a public IPV4 address"; Cloud SQL
    # assigns one unless it is false. With one, only the authorizedNetworks reach it directly (the Cloud SQL Auth
    # Proxy and connectors authorize with IAM), so each authorized network is judged: only private ones may stand.
    if is_false(ip_configuration.get("ipv4Enabled")):
        return
    networks = listed(ip_configuration.get("authorizedNetworks"))
    yield from judge_each(networks, lambda i, network: _authorized_network(resource, i, network))


def _authorized_network(resource: Resource, index: int, network: Any) -> Iterator[str]:
    value = mapping(network).get("value")
    if not _private_network(value):
        yield (
            f"{label(resource)} {IP_CONFIGURATION}.authorizedNetworks[{index}].value {shown(value)} is not a private "
            "network, and ipv4Enabled is not false (public IP)"
        )


# =============================================================================================================
# backup (stores classified phi, as the bucket rules)
# =============================================================================================================


@rule(
    "cloudsql-phi-backups-enabled",
    control="backup",
    severity="high",
    types=(CLOUD_SQL,),
    remediation="Set settings.backupConfiguration.enabled true (with pointInTimeRecoveryEnabled or "
    "binaryLogEnabled for point-in-time recovery).",
    frameworks=("hipaa", "gdpr"),
)
def cloudsql_phi_backups_enabled(resource: Resource, settings: Settings) -> Iterator[str]:
    """Cloud SQL instances classified phi take automated backups."""
    if (kind := classification(resource)) != "phi":
        raise NotApplicable(f"classified {kind}, not phi" if kind else "not classified phi")
    # The SDK (backupConfiguration.enabled): "True if backup configuration is enabled."
    backup = mapping(mapping(resource.props.get("settings")).get("backupConfiguration"))
    if not is_true(backup.get("enabled")):
        yield f"{label(resource)} is classified phi but does not set settings.backupConfiguration.enabled to true"


@rule(
    "alloydb-phi-automated-backup",
    control="backup",
    severity="high",
    types=(ALLOYDB_CLUSTER,),
    remediation="Set automatedBackupPolicy.enabled true (with a weeklySchedule and a retention).",
    frameworks=("hipaa", "gdpr"),
)
def alloydb_phi_automated_backup(resource: Resource, settings: Settings) -> Iterator[str]:
    """AlloyDB clusters classified phi take automated backups."""
    if (kind := classification(resource)) != "phi":
        raise NotApplicable(f"classified {kind}, not phi" if kind else "not classified phi")
    # The SDK: "AutomatedBackupPolicy is disabled by default"; automatedBackupPolicy.enabled: "Whether automated
    # backups are enabled."
    policy = mapping(resource.props.get("automatedBackupPolicy"))
    if not is_true(policy.get("enabled")):
        yield f"{label(resource)} is classified phi but does not set automatedBackupPolicy.enabled to true"
