"""GCP data stores, Compute Engine instances and Cloud KMS key destruction (policies/rules/gcp/data_stores.py,
compute.py, keys.py).

One compliant baseline per resource type (BASELINES, compliant for every rule of these modules that judges the
type) and one table of cases (tests/rule_judging.py): each change makes exactly one violation naming the subject
and the property, each unknown value none. Then what the tables cannot say: list items judged one by one, the
scope by classification, the SDK names, and a third-party stack written with raw pulumi_gcp resources.
"""

from __future__ import annotations

import pathlib
import re
from typing import Any

import pulumi_gcp
import pytest
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

from llmops_infra.policies.rules.gcp import compute, data_stores, keys
from llmops_infra.policies.runtime.rule import RULES, Resource, evaluate
from tests.rule_judging import (
    DELETE,
    Case,
    Path,
    changed,
    resource,
)

LABELS = {"owner": "ml-platform", "purpose": "rag-index", "data-classification": "phi"}
KEY = "projects/acme-kms/locations/europe-west4/keyRings/llmops/cryptoKeys/data"
KEY_SELF_LINK = f"https://cloudkms.googleapis.com/v1/{KEY}"
APP_SA = "inference@acme-prod.iam.gserviceaccount.com"

SQL = "gcp:sql/databaseInstance:DatabaseInstance"
REDIS = "gcp:redis/instance:Instance"
ALLOYDB = "gcp:alloydb/cluster:Cluster"
FILESTORE = "gcp:filestore/instance:Instance"
REGISTRY = "gcp:artifactregistry/repository:Repository"
SECRET = "gcp:secretmanager/secret:Secret"
BIGQUERY = "gcp:bigquery/dataset:Dataset"
TOPIC = "gcp:pubsub/topic:Topic"
INSTANCE = "gcp:compute/instance:Instance"
CRYPTO_KEY = "gcp:kms/cryptoKey:CryptoKey"

MODULES = (data_stores.__name__, compute.__name__, keys.__name__)
RULE_NAMES = sorted(n for n, r in RULES.items() if r.check.__module__ in MODULES)

BASELINES: dict[str, dict[str, Any]] = {
    SQL: {
        "databaseVersion": "POSTGRES_16",
        "region": "europe-west4",
        "encryptionKeyName": KEY,
        "settings": {
            "tier": "db-perf-optimized-N-2",
            "userLabels": LABELS,
            "deletionProtectionEnabled": True,
            "backupConfiguration": {"enabled": True, "pointInTimeRecoveryEnabled": True},
            "ipConfiguration": {
                "ipv4Enabled": False,
                "privateNetwork": "projects/acme/global/networks/llmops",
                "sslMode": "ENCRYPTED_ONLY",
                "authorizedNetworks": [{"name": "vpc", "value": "10.20.0.0/16"}],
            },
        },
    },
    REDIS: {
        "region": "europe-west4",
        "memorySizeGb": 4,
        "tier": "STANDARD_HA",
        "customerManagedKey": KEY,
        "transitEncryptionMode": "SERVER_AUTHENTICATION",
        "labels": LABELS,
    },
    ALLOYDB: {
        "clusterId": "rag",
        "location": "europe-west4",
        "encryptionConfig": {"kmsKeyName": KEY},
        "automatedBackupPolicy": {"enabled": True, "weeklySchedule": {"startTimes": [{"hours": 2}]}},
        "labels": LABELS,
    },
    FILESTORE: {"location": "europe-west4", "tier": "REGIONAL", "kmsKeyName": KEY, "labels": LABELS},
    REGISTRY: {"location": "europe-west4", "repositoryId": "models", "format": "DOCKER", "kmsKeyName": KEY},
    SECRET: {
        "secretId": "hf-token",
        "replication": {
            "userManaged": {
                "replicas": [
                    {"location": "europe-west4", "customerManagedEncryption": {"kmsKeyName": KEY}},
                    {"location": "europe-west1", "customerManagedEncryption": {"kmsKeyName": KEY}},
                ]
            }
        },
        "labels": LABELS,
    },
    BIGQUERY: {"datasetId": "evals", "location": "EU", "defaultEncryptionConfiguration": {"kmsKeyName": KEY}},
    TOPIC: {"kmsKeyName": KEY, "messageStoragePolicy": {"allowedPersistenceRegions": ["europe-west4"]}},
    INSTANCE: {
        "zone": "europe-west4-a",
        "machineType": "g2-standard-8",
        "bootDisk": {"initializeParams": {"image": "debian-cloud/debian-12"}, "kmsKeySelfLink": KEY_SELF_LINK},
        "attachedDisks": [{"source": "models-disk", "kmsKeySelfLink": KEY_SELF_LINK}],
        "networkInterfaces": [{"subnetwork": "llmops-europe-west4"}, {"subnetwork": "llmops-storage"}],
        "serviceAccount": {"email": APP_SA, "scopes": ["cloud-platform"]},
        "labels": LABELS,
    },
    CRYPTO_KEY: {
        "keyRing": "projects/acme/locations/europe-west4/keyRings/llmops",
        "destroyScheduledDuration": "2592000s",
    },
}


def case(rule: str, type_: str, changes: list[Any], unknowns: list[Any], **more: Any) -> Case:
    return Case(rule, type_, BASELINES[type_], changes, unknowns, **more)


def cmek(type_: str, path: Path, kind: str) -> Case:
    """gcp-data-store-cmek on `type_`: its key at `path` removed or blank, or unknown."""
    shown = ".".join(path)
    return case(
        "gcp-data-store-cmek",
        type_,
        [
            (path, DELETE, f"{kind} subject has no {shown} (customer-managed key)"),
            (path, "  ", f"has no {shown}"),
            (path[:1], None, f"has no {shown}"),
        ],
        [(path, UNKNOWN_STRING_VALUE), (path[:1], UNKNOWN_OBJECT_VALUE)],
    )


REPLICAS = ("replication", "userManaged", "replicas")
IP = ("settings", "ipConfiguration")
NIC = ("networkInterfaces",)
CASES = [
    # encryption-at-rest
    cmek(SQL, ("encryptionKeyName",), "Cloud SQL instance"),
    cmek(REDIS, ("customerManagedKey",), "Memorystore Redis instance"),
    cmek(ALLOYDB, ("encryptionConfig", "kmsKeyName"), "AlloyDB cluster"),
    cmek(FILESTORE, ("kmsKeyName",), "Filestore instance"),
    cmek(REGISTRY, ("kmsKeyName",), "Artifact Registry repository"),
    cmek(BIGQUERY, ("defaultEncryptionConfiguration", "kmsKeyName"), "BigQuery dataset"),
    cmek(TOPIC, ("kmsKeyName",), "Pub/Sub topic"),
    case(
        "gcp-secret-cmek",
        SECRET,
        [
            ((*REPLICAS, 1, "customerManagedEncryption"), DELETE, "replicas[1] has no customerManagedEncryption"),
            ((*REPLICAS, 0, "customerManagedEncryption", "kmsKeyName"), "", "replicas[0] has no"),
            (("replication",), {"auto": {}}, "has no replication.auto.customerManagedEncryption.kmsKeyName"),
        ],
        [
            (("replication",), UNKNOWN_OBJECT_VALUE),
            (REPLICAS, UNKNOWN_ARRAY_VALUE),
            ((*REPLICAS, 0), UNKNOWN_OBJECT_VALUE),
            ((*REPLICAS, 1, "customerManagedEncryption", "kmsKeyName"), UNKNOWN_STRING_VALUE),
        ],
    ),
    case(
        "gcp-secret-cmek",
        SECRET,
        [(("replication", "auto", "customerManagedEncryption"), DELETE, "replication.auto.customerManagedEncryption")],
        [(("replication", "auto", "customerManagedEncryption", "kmsKeyName"), UNKNOWN_STRING_VALUE)],
        first=[(("replication",), {"auto": {"customerManagedEncryption": {"kmsKeyName": KEY}}})],
        id="gcp-secret-cmek-auto",
    ),
    case(
        "gce-instance-disks-cmek",
        INSTANCE,
        [
            (("bootDisk", "kmsKeySelfLink"), DELETE, "bootDisk has no kmsKeySelfLink (customer-managed key)"),
            (("attachedDisks", 0, "kmsKeySelfLink"), DELETE, "attachedDisks[0] has no kmsKeySelfLink"),
            (("bootDisk",), {"diskEncryptionKeyRaw": "c2VjcmV0"}, "bootDisk uses a customer-supplied key"),
            (("attachedDisks", 0), {"source": "d", "diskEncryptionKeyRsa": "x"}, "(diskEncryptionKeyRsa)"),
        ],
        [
            (("bootDisk",), UNKNOWN_OBJECT_VALUE),
            (("bootDisk", "kmsKeySelfLink"), UNKNOWN_STRING_VALUE),
            (("attachedDisks",), UNKNOWN_ARRAY_VALUE),
            (("attachedDisks", 0, "kmsKeySelfLink"), UNKNOWN_STRING_VALUE),
        ],
    ),
    # encryption-in-transit
    case(
        "redis-transit-encryption",
        REDIS,
        [
            (("transitEncryptionMode",), DELETE, "transitEncryptionMode is unset (TLS disabled), not SERVER_AUTH"),
            (("transitEncryptionMode",), "DISABLED", 'transitEncryptionMode is "DISABLED"'),
        ],
        [(("transitEncryptionMode",), UNKNOWN_STRING_VALUE)],
    ),
    # no-public-access
    case(
        "cloudsql-no-public-ip",
        SQL,
        [
            ((*IP, "authorizedNetworks", 0, "value"), "0.0.0.0/0", 'authorizedNetworks[0].value "0.0.0.0/0" is not'),
            ((*IP, "authorizedNetworks", 0, "value"), "35.190.0.0/16", "is not a private network"),
            ((*IP, "authorizedNetworks", 0), {"name": "no-value"}, "authorizedNetworks[0].value null"),
        ],
        [
            ((*IP, "ipv4Enabled"), UNKNOWN_BOOLEAN_VALUE),
            ((*IP, "authorizedNetworks"), UNKNOWN_ARRAY_VALUE),
            ((*IP, "authorizedNetworks", 0, "value"), UNKNOWN_STRING_VALUE),
        ],
        # A public IPv4 address: only the authorized networks stand between it and the internet.
        first=[((*IP, "ipv4Enabled"), True)],
    ),
    case(
        "gce-instance-no-external-ip",
        INSTANCE,
        [
            ((*NIC, 1, "accessConfigs"), [{}], "networkInterfaces[1] has accessConfigs"),
            ((*NIC, 0, "accessConfigs"), [{"natIp": "203.0.113.7"}], "networkInterfaces[0] has accessConfigs"),
            ((*NIC, 0, "ipv6AccessConfigs"), [{"networkTier": "PREMIUM"}], "networkInterfaces[0] has ipv6Access"),
        ],
        [
            (NIC, UNKNOWN_ARRAY_VALUE),
            ((*NIC, 0), UNKNOWN_OBJECT_VALUE),
            ((*NIC, 1, "accessConfigs"), UNKNOWN_ARRAY_VALUE),
        ],
    ),
    # least-privilege
    case(
        "gce-instance-not-default-service-account",
        INSTANCE,
        [
            (("serviceAccount", "email"), DELETE, "serviceAccount has no email"),
            (("serviceAccount", "email"), "default", 'serviceAccount.email "default" is the default compute'),
            (("serviceAccount", "email"), "1234-compute@developer.gserviceaccount.com", "is the default compute"),
        ],
        [(("serviceAccount",), UNKNOWN_OBJECT_VALUE), (("serviceAccount", "email"), UNKNOWN_STRING_VALUE)],
    ),
    # backup (phi stores)
    case(
        "cloudsql-phi-backups-enabled",
        SQL,
        [
            (("settings", "backupConfiguration", "enabled"), False, "backupConfiguration.enabled to true"),
            (("settings", "backupConfiguration"), DELETE, "is classified phi but does not set settings.backup"),
        ],
        [
            (("settings", "backupConfiguration", "enabled"), UNKNOWN_BOOLEAN_VALUE),
            (("settings", "userLabels"), UNKNOWN_OBJECT_VALUE),
        ],
        # A phi-only rule: the classification decides whether backups are required at all.
        needs=[("settings", "userLabels", "data-classification")],
    ),
    case(
        "alloydb-phi-automated-backup",
        ALLOYDB,
        [
            (("automatedBackupPolicy",), DELETE, "does not set automatedBackupPolicy.enabled to true"),
            (("automatedBackupPolicy", "enabled"), DELETE, "automatedBackupPolicy.enabled"),
        ],
        [
            (("automatedBackupPolicy", "enabled"), UNKNOWN_BOOLEAN_VALUE),
            (("labels", "data-classification"), UNKNOWN_STRING_VALUE),
        ],
        needs=[("labels", "data-classification")],
    ),
    # key-rotation
    case(
        "gcp-kms-key-destroy-scheduled-duration",
        CRYPTO_KEY,
        [
            (("destroyScheduledDuration",), "86400s", 'destroyScheduledDuration "86400s" is shorter than 30 days'),
            (("destroyScheduledDuration",), "2591999.5s", "is shorter than 30 days"),
            (("destroyScheduledDuration",), "30d", 'destroyScheduledDuration "30d" is not a duration'),
            (("destroyScheduledDuration",), 2592000.0, "destroyScheduledDuration 2592000 is not a duration"),
        ],
        [(("destroyScheduledDuration",), UNKNOWN_STRING_VALUE)],
    ),
]


def test_every_rule_and_type_it_judges_has_a_case_with_changes_and_unknowns():
    assert len(RULE_NAMES) == 10
    assert {(c.rule, c.type) for c in CASES} == {(n, t) for n in RULE_NAMES for t in RULES[n].resource_types}
    assert {c.rule for c in CASES if c.changes} == {c.rule for c in CASES if c.unknowns} == set(RULE_NAMES)
    assert {t for n in RULE_NAMES for t in RULES[n].resource_types} == set(BASELINES)


def test_every_rule_is_a_resource_rule_in_both_packs_with_a_description():
    for name in RULE_NAMES:
        assert RULES[name].scope == "resource"
        assert RULES[name].frameworks == ("hipaa", "gdpr")
        assert RULES[name].description and not RULES[name].description.startswith(name)


def judge(rule_name: str, type_: str, props: dict[str, Any]) -> list[str]:
    return evaluate(RULES[rule_name], resource(type_, props))


# ---- list items and properties judged one by one --------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule_name", "type_", "changes"),
    [
        (
            "gce-instance-no-external-ip",
            INSTANCE,
            [((*NIC, 0), UNKNOWN_OBJECT_VALUE), ((*NIC, 1, "accessConfigs"), [{}])],
        ),
        (
            "gce-instance-disks-cmek",
            INSTANCE,
            [(("bootDisk",), UNKNOWN_OBJECT_VALUE), (("attachedDisks", 0, "kmsKeySelfLink"), DELETE)],
        ),
        (
            "gce-instance-disks-cmek",
            INSTANCE,
            [(("attachedDisks",), UNKNOWN_ARRAY_VALUE), (("bootDisk", "kmsKeySelfLink"), DELETE)],
        ),
        (
            "gcp-secret-cmek",
            SECRET,
            [((*REPLICAS, 0), UNKNOWN_OBJECT_VALUE), ((*REPLICAS, 1, "customerManagedEncryption"), DELETE)],
        ),
        (
            "cloudsql-no-public-ip",
            SQL,
            [
                ((*IP, "ipv4Enabled"), True),
                ((*IP, "authorizedNetworks"), [{"value": UNKNOWN_STRING_VALUE}, {"value": "0.0.0.0/0"}]),
            ],
        ),
    ],
    ids=["nic", "boot-disk", "attached-disks", "replica", "authorized-network"],
)
def test_an_unknown_item_hides_no_known_violation_in_another(rule_name: str, type_: str, changes: list[Any]) -> None:
    props = BASELINES[type_]
    for path, value in changes:
        props = changed(props, path, value)
    assert len(judge(rule_name, type_, props)) == 1


def test_cloud_sql_without_public_ip_may_authorize_any_network():
    # ipv4Enabled false: no public address, so authorized networks (for a public IP) open nothing.
    props = changed(BASELINES[SQL], (*IP, "authorizedNetworks", 0, "value"), "0.0.0.0/0")
    assert judge("cloudsql-no-public-ip", SQL, props) == []
    assert len(judge("cloudsql-no-public-ip", SQL, changed(props, (*IP, "ipv4Enabled"), DELETE))) == 1


def test_cloud_sql_with_a_public_ip_and_no_authorized_network_passes():
    # Only the IAM-authorized Cloud SQL Auth Proxy and connectors reach it.
    props = changed(changed(BASELINES[SQL], (*IP, "ipv4Enabled"), True), (*IP, "authorizedNetworks"), DELETE)
    assert judge("cloudsql-no-public-ip", SQL, props) == []


def test_instance_without_a_service_account_passes():
    assert (
        judge(
            "gce-instance-not-default-service-account",
            INSTANCE,
            changed(BASELINES[INSTANCE], ("serviceAccount",), DELETE),
        )
        == []
    )


def test_kms_key_without_destroy_scheduled_duration_has_the_30_day_default():
    assert judge("gcp-kms-key-destroy-scheduled-duration", CRYPTO_KEY, {"keyRing": "r"}) == []


@pytest.mark.parametrize("classification", ["personal", "internal", "public", None])
@pytest.mark.parametrize(
    ("rule_name", "type_", "path"),
    [
        ("cloudsql-phi-backups-enabled", SQL, ("settings", "backupConfiguration")),
        ("alloydb-phi-automated-backup", ALLOYDB, ("automatedBackupPolicy",)),
    ],
)
def test_backup_rules_judge_phi_stores_only(rule_name: str, type_: str, path: Path, classification: str | None):
    labels_at = ("settings", "userLabels") if type_ == SQL else ("labels",)
    props = changed(changed(BASELINES[type_], path, DELETE), (*labels_at, "data-classification"), classification)
    assert judge(rule_name, type_, props) == []


def test_provider_default_labels_classify_a_store_as_phi():
    props = changed(BASELINES[ALLOYDB], ("automatedBackupPolicy",), DELETE)
    props = changed(props, ("labels",), DELETE)
    judged = Resource(ALLOYDB, "rag", "urn:x", props, provider={"defaultLabels": '{"data-classification": "phi"}'})
    assert len(evaluate(RULES["alloydb-phi-automated-backup"], judged)) == 1


# ---- every property the rules read is one the SDK declares ------------------------------------------------------

SDK = pathlib.Path(pulumi_gcp.__file__).parent


def _declared(module: str, name: str) -> bool:
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    getter = "@pulumi.getter" if snake == name else f'@pulumi.getter(name="{name}")'
    text = "".join(p.read_text() for p in (SDK / module).glob("*.py"))
    return re.search(rf"{re.escape(getter)}\n(?:\s+@.*\n)*\s+def {snake}\(self\)", text) is not None


@pytest.mark.parametrize(
    ("module", "names"),
    [
        (
            "sql",
            (
                "encryptionKeyName",
                "settings",
                "userLabels",
                "ipConfiguration",
                "ipv4Enabled",
                "authorizedNetworks",
                "value",
                "backupConfiguration",
                "enabled",
            ),
        ),
        ("redis", ("customerManagedKey", "transitEncryptionMode")),
        ("alloydb", ("encryptionConfig", "kmsKeyName", "automatedBackupPolicy", "enabled")),
        ("filestore", ("kmsKeyName",)),
        ("artifactregistry", ("kmsKeyName",)),
        (
            "secretmanager",
            ("replication", "auto", "userManaged", "replicas", "customerManagedEncryption", "kmsKeyName"),
        ),
        ("bigquery", ("defaultEncryptionConfiguration", "kmsKeyName")),
        ("pubsub", ("kmsKeyName",)),
        (
            "compute",
            (
                "bootDisk",
                "attachedDisks",
                "kmsKeySelfLink",
                *compute.INSTANCE_CSEK_KEYS,
                "networkInterfaces",
                *compute.EXTERNAL_ACCESS,
                "serviceAccount",
                "email",
            ),
        ),
        ("kms", ("destroyScheduledDuration",)),
    ],
)
def test_every_property_read_is_declared_by_the_sdk(module: str, names: tuple[str, ...]) -> None:
    assert [n for n in names if not _declared(module, n)] == []
    assert not _declared(module, "noSuchProperty")


def test_the_cmek_table_names_sdk_properties():
    modules = {t: t.split(":")[1].split("/")[0] for t in data_stores.CMEK_KEYS}
    for type_, path in data_stores.CMEK_KEYS.items():
        assert all(_declared(modules[type_], name) for name in path), (type_, path)


def test_the_sdk_enums_and_defaults_the_rules_rely_on():
    redis = (SDK / "redis" / "instance.py").read_text()
    assert "Possible values are: `SERVER_AUTHENTICATION`, `DISABLED`" in redis
    assert "If not provided, TLS is disabled for the instance" in redis
    kms = (SDK / "kms" / "crypto_key.py").read_text()
    assert "If not specified at creation time, the default duration is 30 days" in kms
    alloydb = (SDK / "alloydb" / "cluster.py").read_text()
    assert "AutomatedBackupPolicy is disabled by default" in alloydb
