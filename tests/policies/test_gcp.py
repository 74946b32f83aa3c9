"""GCP rules (policies/rules/gcp/): storage, GKE, disks, KMS, firewalls, subnets, IAM, audit configs, Cloud SQL.

One compliant baseline per resource type (BASELINES, compliant for every rule that judges the type) and one table
of cases (tests/rule_judging.py): each case changes one property and expects exactly one violation naming it, or
makes one value unknown and expects none.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    unknown_checking_proxy,
)

from llmops_infra.policies.rules.gcp import access as gcp
from llmops_infra.policies.rules.gcp.access import GCP_EDGE_TAG
from llmops_infra.policies.runtime.gke import AUTO_PROVISIONING
from llmops_infra.policies.runtime.resources import label
from llmops_infra.policies.runtime.rule import RULES, CannotJudge, Settings
from tests.rule_judging import (
    DELETE,
    Case,
    Path,
    assert_one_violation,
    change_params,
    changed,
    resource,
    violations,
)

# ---- fixtures ----------------------------------------------------------------------------------------------

LABELS = {"owner": "ml-platform", "purpose": "model-weights", "data-classification": "phi"}
KEY = "projects/acme-kms/locations/europe-west4/keyRings/llmops/cryptoKeys/storage"
NODE_SA = "gke-nodes@acme-prod.iam.gserviceaccount.com"

BUCKET = "gcp:storage/bucket:Bucket"
CLUSTER = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
DISK = "gcp:compute/disk:Disk"
REGION_DISK = "gcp:compute/regionDisk:RegionDisk"
FIREWALL = "gcp:compute/firewall:Firewall"
SUBNET = "gcp:compute/subnetwork:Subnetwork"
SQL = "gcp:sql/databaseInstance:DatabaseInstance"
IAM_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
IAM_BINDING = "gcp:storage/bucketIAMBinding:BucketIAMBinding"
IAM_POLICY = "gcp:storage/bucketIAMPolicy:BucketIAMPolicy"
ACCESS_CONTROL = "gcp:storage/bucketAccessControl:BucketAccessControl"
BUCKET_ACL = "gcp:storage/bucketACL:BucketACL"
OBJECT_ACL = "gcp:storage/objectACL:ObjectACL"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
PROJECT_BINDING = "gcp:projects/iAMBinding:IAMBinding"
PROJECT_POLICY = "gcp:projects/iAMPolicy:IAMPolicy"
AUDIT = "gcp:projects/iAMAuditConfig:IAMAuditConfig"
CRYPTO_KEY = "gcp:kms/cryptoKey:CryptoKey"

NODE_CONFIG = {
    "machineType": "a3-highgpu-8g",
    "serviceAccount": NODE_SA,
    "bootDiskKmsKey": KEY,
    "workloadMetadataConfig": {"mode": "GKE_METADATA"},
}


def policy_data(*bindings: dict[str, Any]) -> str:
    return json.dumps({"bindings": list(bindings)})


READER_BINDING = {"role": "roles/storage.objectViewer", "members": ["group:ml@acme.example"]}
DEVELOPER_BINDING = {"role": "roles/container.developer", "members": ["group:ml@acme.example"]}
AUDIT_LOG_CONFIGS = [{"logType": "ADMIN_READ"}, {"logType": "DATA_READ"}, {"logType": "DATA_WRITE"}]

BASELINES: dict[str, dict[str, Any]] = {
    BUCKET: {
        "name": "acme-phi-data",
        "location": "EU",
        "labels": LABELS,
        "encryption": {"defaultKmsKeyName": KEY},
        "publicAccessPrevention": "enforced",
        "uniformBucketLevelAccess": True,
        "versioning": {"enabled": True},
        "lifecycleRules": [
            {"action": {"type": "SetStorageClass", "storageClass": "COLDLINE"}, "condition": {"age": 30}},
            {"action": {"type": "Delete"}, "condition": {"age": 2192}},
        ],
        "softDeletePolicy": {"retentionDurationSeconds": 604800},
    },
    CLUSTER: {
        "location": "europe-west4",
        "resourceLabels": LABELS,
        "initialNodeCount": 1,
        "removeDefaultNodePool": True,
        "databaseEncryption": {"state": "ENCRYPTED", "keyName": KEY},
        "privateClusterConfig": {"enablePrivateNodes": True, "masterIpv4CidrBlock": "172.16.0.0/28"},
        "masterAuthorizedNetworksConfig": {"cidrBlocks": [{"cidrBlock": "10.0.0.0/8", "displayName": "corp"}]},
        "loggingService": "logging.googleapis.com/kubernetes",
        "monitoringService": "monitoring.googleapis.com/kubernetes",
        "loggingConfig": {"enableComponents": ["SYSTEM_COMPONENTS", "APISERVER", "WORKLOADS"]},
        "monitoringConfig": {"enableComponents": ["SYSTEM_COMPONENTS"], "managedPrometheus": {"enabled": True}},
        "workloadIdentityConfig": {"workloadPool": "acme-prod.svc.id.goog"},
    },
    NODE_POOL: {
        "cluster": "projects/acme-prod/locations/europe-west4/clusters/llm",
        "nodeCount": 2,
        "nodeConfig": NODE_CONFIG,
        "networkConfig": {"enablePrivateNodes": True},
    },
    DISK: {"zone": "europe-west4-a", "size": 200, "labels": LABELS, "diskEncryptionKey": {"kmsKeySelfLink": KEY}},
    REGION_DISK: {
        "region": "europe-west4",
        "replicaZones": ["europe-west4-a", "europe-west4-b"],
        "diskEncryptionKey": {"kmsKeyName": KEY},
    },
    FIREWALL: {
        "network": "llm-vpc",
        "direction": "INGRESS",
        "allows": [{"protocol": "tcp", "ports": ["443", "8443"]}],
        "sourceRanges": ["10.0.0.0/8"],
        "targetTags": ["gke-nodes"],
    },
    SUBNET: {
        "network": "llm-vpc",
        "region": "europe-west4",
        "ipCidrRange": "10.10.0.0/20",
        "privateIpGoogleAccess": True,
        "logConfig": {"aggregationInterval": "INTERVAL_5_SEC", "flowSampling": 0.5, "metadata": "INCLUDE_ALL_METADATA"},
    },
    SQL: {
        "databaseVersion": "POSTGRES_16",
        "region": "europe-west4",
        "settings": {
            "tier": "db-custom-4-16384",
            "ipConfiguration": {"ipv4Enabled": False, "privateNetwork": "llm-vpc", "sslMode": "ENCRYPTED_ONLY"},
        },
    },
    IAM_MEMBER: {"bucket": "acme-phi-data", "role": "roles/storage.objectViewer", "member": "group:ml@acme.example"},
    IAM_BINDING: {
        "bucket": "acme-phi-data",
        "role": "roles/storage.objectViewer",
        "members": ["group:ml@acme.example"],
    },
    IAM_POLICY: {"bucket": "acme-phi-data", "policyData": policy_data(READER_BINDING)},
    **{
        t: {"bucket": "acme-phi-data", "entity": "group-ml@acme.example", "role": "READER"}
        for t in gcp.GCS_ACCESS_CONTROLS
    },
    **{
        t: {"bucket": "acme-phi-data", "roleEntities": ["OWNER:project-owners-123", "READER:group-ml@acme.example"]}
        for t in gcp.GCS_ACLS
    },
    OBJECT_ACL: {"bucket": "acme-phi-data", "object": "weights.bin", "predefinedAcl": "projectPrivate"},
    **{
        t: {"project": "acme-prod", "role": "roles/container.developer", "member": "group:ml@acme.example"}
        for t in gcp.IAM_MEMBERS
    },
    **{
        t: {"project": "acme-prod", "role": "roles/container.developer", "members": ["group:ml@acme.example"]}
        for t in gcp.IAM_BINDINGS
    },
    **{t: {"project": "acme-prod", "policyData": policy_data(DEVELOPER_BINDING)} for t in gcp.IAM_POLICIES},
    **{t: {"service": "allServices", "auditLogConfigs": AUDIT_LOG_CONFIGS} for t in gcp.AUDIT_CONFIGS},
    CRYPTO_KEY: {
        "name": "storage",
        "keyRing": "projects/p/locations/europe-west4/keyRings/r",
        "rotationPeriod": "7776000s",
    },
}

# The rules of gcp/access.py and gcp/data_protection.py; the data stores, instances and key destruction have their own
# test file (test_gcp_data_stores.py).
MODULES = ("llmops_infra.policies.rules.gcp.access", "llmops_infra.policies.rules.gcp.data_protection")
RULE_NAMES = sorted(n for n, r in RULES.items() if r.check.__module__ in MODULES)


def test_every_rule_of_the_package_is_registered_as_a_resource_rule_with_a_description():
    assert len(RULE_NAMES) == 21
    for name in RULE_NAMES:
        assert RULES[name].scope == "resource"
        assert RULES[name].description and not RULES[name].description.startswith(name)
        assert RULES[name].frameworks == ("hipaa", "gdpr")


def test_every_judged_type_has_a_baseline():
    assert {t for n in RULE_NAMES for t in RULES[n].resource_types} == set(BASELINES)


# ---- the cases: one per rule and type it judges, and variants that make a rule read further -----------------


def case(
    rule: str,
    type_: str,
    changes: list[Any] | None = None,
    unknowns: list[Any] | None = None,
    first: list[Any] | None = None,
    id: str = "",
    needs: list[Path] | None = None,
) -> Case:
    """The case of `rule` on the baseline of `type_` (changed by `first` before each change and unknown)."""
    return Case(
        rule, type_, BASELINES[type_], changes or [], unknowns or [], id=id, first=first or [], needs=needs or []
    )


# What the phi- and personal-scoped rules read before any verdict: the classification label.
CLASSIFIED = ("labels", "data-classification")


NO_EXPIRY = "has no lifecycleRules entry with action type Delete and an age or version condition"
OPEN_ALL_CIDRS = ["10.0.0.0/8", "0.0.0.0/0"]
OPEN_FIREWALL = [(("sourceRanges",), ["0.0.0.0/0"])]

CASES = [
    # encryption-at-rest
    case(
        "gcs-bucket-cmek-encrypted",
        BUCKET,
        [
            (("encryption",), DELETE, "has no encryption.defaultKmsKeyName"),
            (("encryption", "defaultKmsKeyName"), "", "encryption.defaultKmsKeyName"),
            (("encryption",), KEY, "encryption.defaultKmsKeyName"),
        ],
        [(("encryption",), UNKNOWN_OBJECT_VALUE), (("encryption", "defaultKmsKeyName"), UNKNOWN_STRING_VALUE)],
    ),
    case(
        "gke-database-encryption",
        CLUSTER,
        [
            (("databaseEncryption",), DELETE, "databaseEncryption.state to ENCRYPTED"),
            (("databaseEncryption",), {"state": "DECRYPTED"}, "does not set databaseEncryption.state to ENCRYPTED"),
            (("databaseEncryption", "keyName"), DELETE, "databaseEncryption has no keyName"),
            (("databaseEncryption", "keyName"), " ", "has no keyName"),
        ],
        [
            (("databaseEncryption",), UNKNOWN_OBJECT_VALUE),
            (("databaseEncryption", "state"), UNKNOWN_STRING_VALUE),
            (("databaseEncryption", "keyName"), UNKNOWN_STRING_VALUE),
        ],
        # A missing key is the violation of an ENCRYPTED state only; any other state is reported as such.
        needs=[("databaseEncryption", "state")],
    ),
    case(
        "gke-node-pool-boot-disk-cmek",
        NODE_POOL,
        [
            (("nodeConfig", "bootDiskKmsKey"), DELETE, "nodeConfig has no bootDisk"),
            (("nodeConfig",), DELETE, "nodeConfig has no bootDiskKmsKey"),
        ],
        [(("nodeConfig",), UNKNOWN_OBJECT_VALUE), (("nodeConfig", "bootDiskKmsKey"), UNKNOWN_STRING_VALUE)],
    ),
    case(
        "gke-node-pool-boot-disk-cmek",
        CLUSTER,
        [
            (("nodeConfig",), {"serviceAccount": NODE_SA}, "nodeConfig has no boot"),
            (
                ("nodePools",),
                [{"name": "gpu", "nodeConfig": NODE_CONFIG}, {"name": "cpu"}],
                "nodePools[1].nodeConfig has no bootDiskKmsKey",
            ),
            # The default node pool stays (removeDefaultNodePool unset) and has no nodeConfig: GKE's defaults.
            (("removeDefaultNodePool",), DELETE, "nodeConfig has no bootDiskKmsKey"),
            (
                ("clusterAutoscaling",),
                {"enabled": True, "autoProvisioningDefaults": {"serviceAccount": NODE_SA}},
                "clusterAutoscaling.autoProvisioningDefaults has no bootDiskKmsKey",
            ),
        ],
        [(("nodePools",), UNKNOWN_ARRAY_VALUE), (("removeDefaultNodePool",), UNKNOWN_BOOLEAN_VALUE)],
    ),
    case(
        "gke-node-pool-boot-disk-cmek",
        CLUSTER,
        unknowns=[(("clusterAutoscaling", "autoProvisioningDefaults"), UNKNOWN_OBJECT_VALUE)],
        first=[(("clusterAutoscaling",), {"enabled": True})],
        id="gke-node-pool-boot-disk-cmek-auto-provisioning",
    ),
    case(
        "gce-disk-cmek",
        DISK,
        [
            (("diskEncryptionKey",), DELETE, "has no diskEncryptionKey.kmsKeySelfLink"),
            (
                ("diskEncryptionKey",),
                {"rawKey": "c2VjcmV0LWtleS1tYXRlcmlhbC0zMi1ieXRlcy1sb25nIQ=="},
                "diskEncryptionKey uses a customer-supplied key (rawKey), not a Cloud KMS key (kmsKeySelfLink)",
            ),
            (
                ("diskEncryptionKey",),
                {"rsaEncryptedKey": "ieCx/NcW06PcT7Ep1X6LUTc/hLvUDYyzSZPPVCVPTVEohpeHASqC8uw5TzyO9U+Fka9JFH"},
                "customer-supplied key (rsaEncryptedKey)",
            ),
        ],
        [
            (("diskEncryptionKey",), UNKNOWN_OBJECT_VALUE),
            (("diskEncryptionKey", "kmsKeySelfLink"), UNKNOWN_STRING_VALUE),
        ],
    ),
    case(
        "gce-disk-cmek",
        REGION_DISK,
        [
            (("diskEncryptionKey",), {"rawKeyWo": "x"}, "customer-supplied key (rawKeyWo)"),
            (("diskEncryptionKey", "kmsKeyName"), DELETE, "diskEncryptionKey.kmsKeyName"),
            # The RegionDisk key property is kmsKeyName; the zonal disk's name does not count there.
            (("diskEncryptionKey",), {"kmsKeySelfLink": KEY}, "diskEncryptionKey.kmsKeyName"),
        ],
        [(("diskEncryptionKey", "kmsKeyName"), UNKNOWN_STRING_VALUE)],
    ),
    # key-rotation
    case(
        "gcp-kms-key-rotation-period",
        CRYPTO_KEY,
        [
            (("rotationPeriod",), "7776000.5s", "is longer than 7776000s"),
            (("rotationPeriod",), "31536000s", "is longer than 7776000s"),
            (("rotationPeriod",), DELETE, "no valid rotationPeriod"),
            (("rotationPeriod",), "90d", "no valid rotationPeriod"),
            (("rotationPeriod",), 7776000, "no valid rotationPeriod"),
        ],
        [(("rotationPeriod",), UNKNOWN_STRING_VALUE), (("purpose",), UNKNOWN_STRING_VALUE)],
    ),
    # no-public-access
    case(
        "gcs-bucket-public-access-prevention",
        BUCKET,
        [
            *[
                (("publicAccessPrevention",), value, "does not set publicAccessPrevention to enforced")
                for value in ("inherited", DELETE, True)
            ],
            *[
                (("uniformBucketLevelAccess",), value, "does not set uniformBucketLevelAccess to true")
                for value in (False, DELETE, "yes")
            ],
        ],
        [(("publicAccessPrevention",), UNKNOWN_STRING_VALUE), (("uniformBucketLevelAccess",), UNKNOWN_BOOLEAN_VALUE)],
    ),
    case(
        "gcs-iam-no-public-members",
        IAM_MEMBER,
        [(("member",), member, f"grants access to {member} (member)") for member in gcp.PUBLIC_MEMBERS],
        [(("member",), UNKNOWN_STRING_VALUE)],
    ),
    case(
        "gcs-iam-no-public-members",
        IAM_BINDING,
        [
            (("members",), ["group:ml@acme.example", "allUsers"], "grants access to allUsers (members)"),
            (("members",), "allAuthenticatedUsers", "to allAuthenticatedUsers"),
        ],
        [(("members",), UNKNOWN_ARRAY_VALUE), (("members", 0), UNKNOWN_STRING_VALUE)],
    ),
    case(
        "gcs-iam-no-public-members",
        IAM_POLICY,
        [
            (
                ("policyData",),
                policy_data(READER_BINDING, {"role": "roles/storage.objectViewer", "members": ["allUsers"]}),
                "grants access to allUsers (policyData bindings[1].members)",
            ),
            (("policyData",), "{not json", "policyData is not a JSON IAM policy, so its members cannot be checked"),
        ],
        [(("policyData",), UNKNOWN_STRING_VALUE)],
    ),
    *[
        case(
            "gcs-acl-not-public",
            t,
            [(("entity",), entity, f"grants access to {entity} (entity)") for entity in gcp.PUBLIC_MEMBERS],
            [(("entity",), UNKNOWN_STRING_VALUE)] if t == ACCESS_CONTROL else [],
        )
        for t in gcp.GCS_ACCESS_CONTROLS
    ],
    case(
        "gcs-acl-not-public",
        BUCKET_ACL,
        [
            (("roleEntities", 1), "READER:allUsers", "grants access to allUsers (roleEntities READER:allUsers)"),
            (("predefinedAcl",), "publicReadWrite", "uses the public predefinedAcl publicReadWrite"),
        ],
        [(("roleEntities",), UNKNOWN_ARRAY_VALUE), (("roleEntities", 1), UNKNOWN_STRING_VALUE)],
    ),
    case(
        "gcs-acl-not-public",
        "gcp:storage/defaultObjectACL:DefaultObjectACL",
        [(("roleEntities", 1), "READER:allUsers", "grants access to allUsers (roleEntities READER:allUsers)")],
    ),
    case(
        "gcs-acl-not-public",
        OBJECT_ACL,
        [(("predefinedAcl",), acl, f"uses the public predefinedAcl {acl}") for acl in gcp.PUBLIC_PREDEFINED_ACLS],
        [(("predefinedAcl",), UNKNOWN_STRING_VALUE)],
    ),
    case(
        "gke-private-nodes",
        CLUSTER,
        [
            (
                ("privateClusterConfig", "enablePrivateNodes"),
                False,
                "does not set privateClusterConfig.enablePrivateNodes to true",
            ),
            (("privateClusterConfig",), DELETE, "privateClusterConfig.enablePrivateNodes"),
            (
                ("nodePools",),
                [{"name": "gpu", "networkConfig": {"enablePrivateNodes": False}}],
                "nodePools[0].networkConfig.enablePrivateNodes is not true (public node IPs)",
            ),
        ],
        [
            (("privateClusterConfig",), UNKNOWN_OBJECT_VALUE),
            (("privateClusterConfig", "enablePrivateNodes"), UNKNOWN_BOOLEAN_VALUE),
        ],
    ),
    case(
        "gke-private-nodes",
        CLUSTER,
        unknowns=[(("nodePools", 0, "networkConfig", "enablePrivateNodes"), UNKNOWN_BOOLEAN_VALUE)],
        first=[(("nodePools",), [{"name": "gpu", "networkConfig": {"enablePrivateNodes": True}}])],
        id="gke-private-nodes-inline-node-pool",
    ),
    case(
        "gke-private-nodes",
        NODE_POOL,
        [
            (("networkConfig", "enablePrivateNodes"), False, "networkConfig.enablePrivateNodes is not true"),
            (("networkConfig", "enablePrivateNodes"), "false", "enablePrivateNodes is not"),
        ],
        [(("networkConfig",), UNKNOWN_OBJECT_VALUE), (("networkConfig", "enablePrivateNodes"), UNKNOWN_BOOLEAN_VALUE)],
    ),
    case(
        "gke-master-authorized-networks",
        CLUSTER,
        [
            (("masterAuthorizedNetworksConfig",), DELETE, "has no masterAuthorizedNetworksConfig"),
            *[
                (
                    ("masterAuthorizedNetworksConfig", "cidrBlocks", 0, "cidrBlock"),
                    cidr,
                    f"masterAuthorizedNetworksConfig.cidrBlocks[0] authorizes {cidr}",
                )
                for cidr in ("0.0.0.0/0", "::/0")
            ],
            (
                ("masterAuthorizedNetworksConfig", "gcpPublicCidrsAccessEnabled"),
                True,
                "sets masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled to true",
            ),
        ],
        [
            (("masterAuthorizedNetworksConfig",), UNKNOWN_OBJECT_VALUE),
            (("masterAuthorizedNetworksConfig", "cidrBlocks"), UNKNOWN_ARRAY_VALUE),
            (("masterAuthorizedNetworksConfig", "cidrBlocks", 0, "cidrBlock"), UNKNOWN_STRING_VALUE),
        ],
    ),
    # network-isolation
    case(
        "gcp-firewall-no-open-ingress",
        FIREWALL,
        [
            (("sourceRanges",), OPEN_ALL_CIDRS, "allows ingress from 0.0.0.0/0 (sourceRanges)"),
            (("sourceRanges",), ["::/0"], "allows ingress from ::/0"),
            (("sourceRanges",), "0.0.0.0/0", "allows ingress from 0.0.0.0/0"),
            (("sourceRanges",), DELETE, "allows ingress with no sourceRanges, sourceTags or sourceServiceAccounts"),
        ],
        [
            (("direction",), UNKNOWN_STRING_VALUE),
            (("allows",), UNKNOWN_ARRAY_VALUE),
            (("sourceRanges",), UNKNOWN_ARRAY_VALUE),
            (("sourceRanges", 0), UNKNOWN_STRING_VALUE),
        ],
        # An EGRESS rule, or one that allows nothing (deny-only), opens nothing inbound.
        needs=[("direction",), ("allows",)],
    ),
    case(
        "gcp-firewall-no-open-ingress",
        FIREWALL,
        # Unset direction is INGRESS.
        [(("direction",), DELETE, "allows ingress from 0.0.0.0/0")],
        # Allowing tcp 8443 besides 443 rules the edge exception out: the target tags are not read.
        [(("direction",), UNKNOWN_STRING_VALUE), (("allows",), UNKNOWN_ARRAY_VALUE)],
        first=OPEN_FIREWALL,
        id="gcp-firewall-no-open-ingress-open",
        needs=[("allows",)],
    ),
    case(
        "gcp-firewall-no-open-ingress",
        FIREWALL,
        [(("targetTags",), DELETE, "allows ingress from 0.0.0.0/0")],
        # tcp 443 only: the edge exception turns on the target tags, each of which may be the edge tag.
        [(("targetTags",), UNKNOWN_ARRAY_VALUE), (("targetTags", 0), UNKNOWN_STRING_VALUE)],
        first=[*OPEN_FIREWALL, (("allows",), [{"protocol": "tcp", "ports": ["443"]}])],
        id="gcp-firewall-no-open-ingress-open-https",
        needs=[("direction",)],
    ),
    case(
        "gcp-firewall-no-open-ingress",
        FIREWALL,
        unknowns=[(("allows", 0, "ports"), UNKNOWN_ARRAY_VALUE)],
        first=[*OPEN_FIREWALL, (("targetTags",), [GCP_EDGE_TAG])],
        id="gcp-firewall-no-open-ingress-open-edge",
    ),
    case(
        "gcp-firewall-no-open-ingress",
        FIREWALL,
        unknowns=[(("sourceTags",), UNKNOWN_ARRAY_VALUE)],
        first=[(("sourceRanges",), DELETE)],
        id="gcp-firewall-no-open-ingress-no-source-ranges",
    ),
    case(
        "gcp-subnet-flow-logs-private-access",
        SUBNET,
        [
            (("logConfig",), DELETE, "has no logConfig (VPC flow logs)"),
            (("logConfig", "flowSampling"), 0, "sets logConfig.flowSampling to 0, so no flow logs are reported"),
            *[
                (("privateIpGoogleAccess",), value, "does not set privateIpGoogleAccess to true")
                for value in (False, DELETE)
            ],
        ],
        [
            (("logConfig",), UNKNOWN_OBJECT_VALUE),
            (("logConfig", "flowSampling"), UNKNOWN_NUMBER_VALUE),
            (("privateIpGoogleAccess",), UNKNOWN_BOOLEAN_VALUE),
            (("purpose",), UNKNOWN_STRING_VALUE),
        ],
    ),
    # audit-logging
    case(
        "gke-logging-monitoring",
        CLUSTER,
        [
            *[
                ((key,), value, f"sets {key} to none")
                for key in ("loggingService", "monitoringService")
                for value in ("none", "NONE")
            ],
            (
                ("loggingConfig", "enableComponents"),
                ["SYSTEM_COMPONENTS", "WORKLOADS"],
                "loggingConfig.enableComponents lacks APISERVER",
            ),
            (
                ("loggingConfig", "enableComponents"),
                [],
                "loggingConfig.enableComponents lacks SYSTEM_COMPONENTS, APISERVER",
            ),
            (("loggingConfig", "enableComponents"), DELETE, "lacks SYSTEM_COMPONENTS, API"),
            (
                ("monitoringConfig", "enableComponents"),
                ["APISERVER"],
                "monitoringConfig.enableComponents lacks SYSTEM_COMPONENTS",
            ),
            (("monitoringConfig", "enableComponents"), [], "monitoringConfig.enableComp"),
        ],
        [
            (("loggingService",), UNKNOWN_STRING_VALUE),
            (("monitoringService",), UNKNOWN_STRING_VALUE),
            (("loggingConfig",), UNKNOWN_OBJECT_VALUE),
            (("loggingConfig", "enableComponents"), UNKNOWN_ARRAY_VALUE),
            (("monitoringConfig", "enableComponents"), UNKNOWN_ARRAY_VALUE),
        ],
    ),
    *[
        case(
            "gcp-audit-config-all-log-types",
            t,
            [(("auditLogConfigs", 1, "logType"), "ADMIN_READ", "auditLogConfigs lacks DATA_READ")],
            [(("auditLogConfigs", 1, "logType"), UNKNOWN_STRING_VALUE)] if t == AUDIT else [],
            # Whether a log type is missing turns on every config's logType: an unknown one may be it.
            needs=[("auditLogConfigs", 0, "logType"), ("auditLogConfigs", 2, "logType")],
        )
        for t in gcp.AUDIT_CONFIGS
    ],
    case(
        "gcp-audit-config-all-log-types",
        AUDIT,
        [
            (("auditLogConfigs",), AUDIT_LOG_CONFIGS[:1], "auditLogConfigs lacks DATA_READ, DATA_WRITE"),
            (("auditLogConfigs",), DELETE, "auditLogConfigs lacks ADMIN_READ, DATA_READ, DATA_WRITE"),
        ],
        [(("auditLogConfigs",), UNKNOWN_ARRAY_VALUE)],
        id="gcp-audit-config-all-log-types-configs",
    ),
    # A config's exemptions are its own: no other config's logType decides them.
    case(
        "gcp-audit-config-all-log-types",
        AUDIT,
        [
            (
                ("auditLogConfigs", 2, "exemptedMembers"),
                ["serviceAccount:etl@acme-prod.iam.gserviceaccount.com"],
                "auditLogConfigs[2] exempts serviceAccount:etl@acme-prod.iam.gserviceaccount.com (exemptedMembers)",
            )
        ],
        [(("auditLogConfigs", 2, "exemptedMembers"), UNKNOWN_ARRAY_VALUE)],
        id="gcp-audit-config-all-log-types-exempted",
    ),
    # least-privilege
    *[
        case(
            "gcp-iam-no-primitive-roles",
            t,
            [(("role",), role, f"grants {role} (role)") for role in gcp.PRIMITIVE_ROLES],
            [(("role",), UNKNOWN_STRING_VALUE)] if t in (PROJECT_MEMBER, PROJECT_BINDING) else [],
        )
        for t in (*gcp.IAM_MEMBERS, *gcp.IAM_BINDINGS)
    ],
    *[
        case(
            "gcp-iam-no-primitive-roles",
            t,
            [
                (
                    ("policyData",),
                    policy_data(DEVELOPER_BINDING, {"role": "roles/owner", "members": ["user:root@acme.example"]}),
                    "grants roles/owner (policyData bindings[1].role)",
                ),
                *(
                    [(("policyData",), "[]", "policyData is not a JSON IAM policy, so its roles cannot be checked")]
                    if t == PROJECT_POLICY
                    else []
                ),
            ],
            [(("policyData",), UNKNOWN_STRING_VALUE)] if t == PROJECT_POLICY else [],
        )
        for t in gcp.IAM_POLICIES
    ],
    case(
        "gke-nodes-not-default-service-account",
        NODE_POOL,
        [
            (
                ("nodeConfig", "serviceAccount"),
                account,
                f"nodeConfig.serviceAccount {shown}: nodes run as the default compute service account",
            )
            for account, shown in (
                (DELETE, "is unset"),
                ("", "is unset"),
                ("default", "is 'default'"),
                (
                    "123456789012-compute@developer.gserviceaccount.com",
                    "is '123456789012-compute@developer.gserviceaccount.com'",
                ),
            )
        ],
        [(("nodeConfig", "serviceAccount"), UNKNOWN_STRING_VALUE)],
    ),
    case(
        "gke-nodes-not-default-service-account",
        CLUSTER,
        [
            (
                ("nodePools",),
                [{"name": "gpu", "nodeConfig": {**NODE_CONFIG, "serviceAccount": "default"}}],
                "nodePools[0].nodeConfig.serviceAccount is 'default'",
            ),
            (("removeDefaultNodePool",), False, "nodeConfig.serviceAccount is unset"),
            (("enableAutopilot",), True, "clusterAutoscaling.autoProvisioningDefaults.serviceAccount is unset"),
        ],
        [(("enableAutopilot",), UNKNOWN_BOOLEAN_VALUE), (("clusterAutoscaling",), UNKNOWN_OBJECT_VALUE)],
    ),
    case(
        "gke-nodes-not-default-service-account",
        CLUSTER,
        unknowns=[(("clusterAutoscaling", "autoProvisioningDefaults", "serviceAccount"), UNKNOWN_STRING_VALUE)],
        first=[(("enableAutopilot",), True), (("clusterAutoscaling",), {"autoProvisioningDefaults": {}})],
        id="gke-nodes-not-default-service-account-autopilot",
    ),
    case(
        "gke-workload-identity",
        CLUSTER,
        [
            (("workloadIdentityConfig",), DELETE, "has no workloadIdentityConfig.workloadPool"),
            (("workloadIdentityConfig", "workloadPool"), "", "workloadIdentityConfig.work"),
            (
                ("nodeConfig",),
                {**NODE_CONFIG, "workloadMetadataConfig": {"mode": "GCE_METADATA"}},
                "nodeConfig.workloadMetadataConfig.mode is not GKE_METADATA",
            ),
        ],
        [
            (("workloadIdentityConfig",), UNKNOWN_OBJECT_VALUE),
            (("workloadIdentityConfig", "workloadPool"), UNKNOWN_STRING_VALUE),
        ],
    ),
    case(
        "gke-workload-identity",
        CLUSTER,
        unknowns=[(("nodePools", 0, "nodeConfig", "workloadMetadataConfig", "mode"), UNKNOWN_STRING_VALUE)],
        first=[(("nodePools",), [{"name": "gpu", "nodeConfig": NODE_CONFIG}])],
        id="gke-workload-identity-inline-node-pool",
    ),
    case(
        "gke-workload-identity",
        NODE_POOL,
        [
            *[
                (
                    ("nodeConfig", "workloadMetadataConfig", "mode"),
                    mode,
                    "nodeConfig.workloadMetadataConfig.mode is not GKE_METADATA",
                )
                for mode in ("GCE_METADATA", "MODE_UNSPECIFIED", DELETE)
            ],
            (("nodeConfig", "workloadMetadataConfig"), DELETE, "mode is not GKE_METADATA"),
            (("nodeConfig",), DELETE, "nodeConfig.workloadMetadataConfig.mode is not"),
        ],
        [
            (("nodeConfig", "workloadMetadataConfig"), UNKNOWN_OBJECT_VALUE),
            (("nodeConfig", "workloadMetadataConfig", "mode"), UNKNOWN_STRING_VALUE),
        ],
    ),
    # data-lifecycle
    case(
        "gcs-bucket-versioning-enabled",
        BUCKET,
        [
            (path, value, "does not set versioning.enabled to true")
            for path, value in ((("versioning", "enabled"), False), (("versioning",), DELETE), (("versioning",), True))
        ],
        [
            (("labels",), UNKNOWN_OBJECT_VALUE),
            (("labels", "data-classification"), UNKNOWN_STRING_VALUE),
            (("versioning",), UNKNOWN_OBJECT_VALUE),
            (("versioning", "enabled"), UNKNOWN_BOOLEAN_VALUE),
        ],
        needs=[CLASSIFIED],
    ),
    case(
        "gcs-bucket-lifecycle-expiry",
        BUCKET,
        [(path, value, NO_EXPIRY) for path, value in ((("lifecycleRules",), DELETE), (("lifecycleRules",), []))],
        [(("labels",), UNKNOWN_OBJECT_VALUE), (("lifecycleRules",), UNKNOWN_ARRAY_VALUE)],
        needs=[CLASSIFIED],
    ),
    case(
        "gcs-bucket-lifecycle-expiry",
        BUCKET,
        [
            (path, value, NO_EXPIRY)
            for path, value in (
                (("lifecycleRules", 1, "action", "type"), "SetStorageClass"),
                (("lifecycleRules", 1, "action", "type"), "AbortIncompleteMultipartUpload"),
                (("lifecycleRules", 1, "condition"), {"matchesPrefixes": ["tmp/"], "withState": "ANY"}),
                (("lifecycleRules", 1, "condition"), {}),
                # The SDK ignores a 0 unless the matching send...IfZero flag is set.
                (("lifecycleRules", 1, "condition", "age"), 0),
                (("lifecycleRules", 1, "condition", "age"), "six years"),
            )
        ],
        [
            (("lifecycleRules", 1, "action", "type"), UNKNOWN_STRING_VALUE),
            (("lifecycleRules", 1, "condition"), UNKNOWN_OBJECT_VALUE),
            (("lifecycleRules", 1, "condition", "age"), UNKNOWN_NUMBER_VALUE),
        ],
        # "No entry expires" turns on every entry: the first, with an age condition, expires if its action is Delete.
        needs=[CLASSIFIED, ("lifecycleRules", 0, "action", "type")],
        id="gcs-bucket-lifecycle-expiry-entries",
    ),
    case(
        "gcs-bucket-lifecycle-expiry",
        BUCKET,
        unknowns=[(("lifecycleRules", 1, "condition", "sendAgeIfZero"), UNKNOWN_BOOLEAN_VALUE)],
        first=[(("lifecycleRules", 1, "condition"), {"age": 0})],
        id="gcs-bucket-lifecycle-expiry-age-zero",
    ),
    # backup (the baseline's soft delete policy alone keeps it recoverable without versioning)
    case(
        "gcs-phi-bucket-recoverable",
        BUCKET,
        unknowns=[(("labels",), UNKNOWN_OBJECT_VALUE), (("versioning", "enabled"), UNKNOWN_BOOLEAN_VALUE)],
    ),
    case(
        "gcs-phi-bucket-recoverable",
        BUCKET,
        [
            (
                ("softDeletePolicy",),
                DELETE,
                "is classified phi but has neither versioning.enabled true nor a softDeletePolicy",
            )
        ],
        [(("softDeletePolicy",), UNKNOWN_OBJECT_VALUE)],
        first=[(("versioning",), DELETE)],
        id="gcs-phi-bucket-recoverable-unversioned",
        needs=[CLASSIFIED],
    ),
    case(
        "gcs-phi-bucket-recoverable",
        BUCKET,
        [(("softDeletePolicy", "retentionDurationSeconds"), 0, "is classified phi but has neither")],
        [(("softDeletePolicy", "retentionDurationSeconds"), UNKNOWN_NUMBER_VALUE)],
        first=[(("versioning", "enabled"), False)],
        id="gcs-phi-bucket-recoverable-versioning-off",
        needs=[CLASSIFIED],
    ),
    # encryption-in-transit
    case(
        "cloudsql-requires-tls",
        SQL,
        [
            *[
                (
                    ("settings", "ipConfiguration", "sslMode"),
                    mode,
                    f"settings.ipConfiguration.sslMode {shown}, so unencrypted connections are accepted",
                )
                for mode, shown in (
                    ("ALLOW_UNENCRYPTED_AND_ENCRYPTED", "is 'ALLOW_UNENCRYPTED_AND_ENCRYPTED'"),
                    (DELETE, "is unset"),
                )
            ],
            (("settings", "ipConfiguration"), DELETE, "sslMode is unset"),
            (("settings",), DELETE, "sslMode is unset"),
        ],
        [
            (("settings",), UNKNOWN_OBJECT_VALUE),
            (("settings", "ipConfiguration"), UNKNOWN_OBJECT_VALUE),
            (("settings", "ipConfiguration", "sslMode"), UNKNOWN_STRING_VALUE),
        ],
    ),
]


def test_every_rule_and_type_it_judges_has_a_case_and_every_rule_changes_and_unknowns():
    assert {(c.rule, c.type) for c in CASES} == {(n, t) for n in RULE_NAMES for t in RULES[n].resource_types}
    assert {c.rule for c in CASES if c.changes} == {c.rule for c in CASES if c.unknowns} == set(RULE_NAMES)


@pytest.mark.parametrize(("case", "path", "value", "expected"), change_params(CASES))
def test_a_violation_begins_with_the_resource_label(case: Case, path: Path, value: Any, expected: str) -> None:
    """GCP messages begin with the resource as resources.label() names it (the four tests of every table are in
    test_case_tables.py)."""
    message = assert_one_violation(case, path, value, expected)
    assert message.startswith(label(resource(case.type, {}))), message


# ---- rule-specific behaviour -------------------------------------------------------------------------------

OPEN_EDGE = {
    "network": "llm-vpc",
    "allows": [{"protocol": "tcp", "ports": ["443"]}],
    "sourceRanges": ["0.0.0.0/0", "::/0"],
    "targetTags": [GCP_EDGE_TAG, "gke-nodes"],
}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("allows", 0, "ports"), ["443-443"]),
        (("allows", 0, "ports"), [443.0]),  # numbers arrive as floats over the analyzer protocol
        (("allows", 0, "protocol"), "6"),
        (("allows", 0, "protocol"), "TCP"),
        (("allows",), [{"protocol": "tcp", "ports": ["443"]}, {"protocol": "tcp", "ports": ["443"]}]),
    ],
)
def test_edge_load_balancer_firewall_may_allow_https_from_anywhere(path, value):
    assert violations("gcp-firewall-no-open-ingress", FIREWALL, OPEN_EDGE) == []
    assert violations("gcp-firewall-no-open-ingress", FIREWALL, changed(OPEN_EDGE, path, value)) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("targetTags",), ["gke-nodes"]),
        (("targetTags",), DELETE),
        (("targetTags",), ["llmops.dev/edge-load-balancer"]),  # the AWS tag key is not a GCP network tag
        (("allows", 0, "ports"), DELETE),  # no ports: every port
        (("allows", 0, "ports"), []),
        (("allows", 0, "ports"), ["443", "80"]),
        (("allows", 0, "ports"), ["400-500"]),
        (("allows", 0, "protocol"), "all"),
        (("allows", 0, "protocol"), "udp"),
        (("allows",), [{"protocol": "tcp", "ports": ["443"]}, {"protocol": "tcp", "ports": ["22"]}]),
    ],
)
def test_edge_exception_needs_the_tag_and_tcp_443_only(path, value):
    assert violations("gcp-firewall-no-open-ingress", FIREWALL, changed(OPEN_EDGE, path, value)) == [
        "VPC firewall rule subject allows ingress from 0.0.0.0/0, ::/0 (sourceRanges)"
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"direction": "EGRESS", "destinationRanges": ["0.0.0.0/0"]},
        {"disabled": True},
        {"allows": [], "denies": [{"protocol": "all"}]},
        {"allows": DELETE, "denies": [{"protocol": "tcp", "ports": ["22"]}]},
    ],
    ids=["egress", "disabled", "deny-only", "no-allows"],
)
def test_firewalls_that_open_nothing_inbound_pass(change):
    props = {**OPEN_EDGE, "targetTags": ["gke-nodes"]}
    props = {k: v for k, v in {**props, **change}.items() if v is not DELETE}
    assert violations("gcp-firewall-no-open-ingress", FIREWALL, props) == []


@pytest.mark.parametrize(
    "sources",
    [
        {"sourceTags": ["gke-nodes"]},
        {"sourceServiceAccounts": ["lb@acme-prod.iam.gserviceaccount.com"]},
        {"sourceRanges": ["35.191.0.0/16", "130.211.0.0/22"]},
    ],
)
def test_firewall_with_a_restricted_source_passes(sources):
    props = {"network": "llm-vpc", "allows": [{"protocol": "tcp", "ports": ["8080"]}], **sources}
    assert violations("gcp-firewall-no-open-ingress", FIREWALL, props) == []


@pytest.mark.parametrize("sources", [{}, {"sourceRanges": [""]}, {"sourceRanges": [], "sourceTags": [" "]}])
def test_firewall_with_no_source_is_read_as_open_to_all(sources):
    props = {"network": "llm-vpc", "allows": [{"protocol": "tcp", "ports": ["22"]}], **sources}
    assert violations("gcp-firewall-no-open-ingress", FIREWALL, props) == [
        "VPC firewall rule subject allows ingress with no sourceRanges, sourceTags or sourceServiceAccounts, which "
        "Compute "
        "Engine reads as 0.0.0.0/0"
    ]


@pytest.mark.parametrize("purpose", ["REGIONAL_MANAGED_PROXY", "GLOBAL_MANAGED_PROXY", "INTERNAL_HTTPS_LOAD_BALANCER"])
def test_proxy_only_subnets_cannot_have_flow_logs_and_are_skipped(purpose):
    props = {"network": "llm-vpc", "ipCidrRange": "10.129.0.0/23", "purpose": purpose, "role": "ACTIVE"}
    assert violations("gcp-subnet-flow-logs-private-access", SUBNET, props) == []


@pytest.mark.parametrize("purpose", ["PRIVATE", "PRIVATE_SERVICE_CONNECT", "PRIVATE_NAT"])
def test_other_subnet_purposes_are_judged(purpose):
    props = {"network": "llm-vpc", "ipCidrRange": "10.129.0.0/23", "purpose": purpose}
    assert len(violations("gcp-subnet-flow-logs-private-access", SUBNET, props)) == 2


def test_empty_log_config_enables_flow_logs_with_defaults():
    assert violations("gcp-subnet-flow-logs-private-access", SUBNET, {**BASELINES[SUBNET], "logConfig": {}}) == []


@pytest.mark.parametrize("networks", [{}, {"cidrBlocks": []}, {"cidrBlocks": [{"cidrBlock": "203.0.113.0/24"}]}])
def test_master_authorized_networks_without_open_cidrs_pass(networks):
    props = {**BASELINES[CLUSTER], "masterAuthorizedNetworksConfig": networks}
    assert violations("gke-master-authorized-networks", CLUSTER, props) == []


AUTOPILOT = {
    "location": "europe-west4",
    "enableAutopilot": True,
    "privateClusterConfig": {"enablePrivateNodes": True},
    "clusterAutoscaling": {"autoProvisioningDefaults": {"serviceAccount": NODE_SA}},
}


@pytest.mark.parametrize(
    "rule_name", ["gke-node-pool-boot-disk-cmek", "gke-nodes-not-default-service-account", "gke-workload-identity"]
)
def test_autopilot_nodes_are_judged_by_their_auto_provisioning_defaults_only(rule_name):
    # Autopilot always runs Workload Identity, has no default node pool and takes no nodeConfig; the SDK documents
    # autoProvisioningDefaults.serviceAccount for its nodes.
    assert violations(rule_name, CLUSTER, AUTOPILOT) == []
    assert violations(rule_name, CLUSTER, {**AUTOPILOT, "nodeConfig": {"serviceAccount": "default"}}) == []


def test_autopilot_nodes_on_the_default_service_account_are_reported():
    props = changed(AUTOPILOT, ("clusterAutoscaling", "autoProvisioningDefaults", "serviceAccount"), "default")
    assert violations("gke-nodes-not-default-service-account", CLUSTER, props) == [
        f"GKE cluster subject {AUTO_PROVISIONING}.serviceAccount is 'default': nodes run as the default compute "
        "service account"
    ]


def test_node_auto_provisioning_defaults_are_judged_only_when_enabled():
    nap = {"enabled": True, "autoProvisioningDefaults": {"serviceAccount": NODE_SA, "bootDiskKmsKey": KEY}}
    for rule_name in ("gke-node-pool-boot-disk-cmek", "gke-nodes-not-default-service-account"):
        assert violations(rule_name, CLUSTER, {**BASELINES[CLUSTER], "clusterAutoscaling": nap}) == []
        off = {"enabled": False, "autoProvisioningDefaults": {}}
        assert violations(rule_name, CLUSTER, {**BASELINES[CLUSTER], "clusterAutoscaling": off}) == []
    no_sa = changed(nap, ("autoProvisioningDefaults", "serviceAccount"), DELETE)
    assert violations(
        "gke-nodes-not-default-service-account", CLUSTER, {**BASELINES[CLUSTER], "clusterAutoscaling": no_sa}
    )


def test_cluster_with_inline_node_pools_has_no_default_pool_to_violations():
    props = {**BASELINES[CLUSTER], "nodePools": [{"name": "gpu", "nodeConfig": NODE_CONFIG}]}
    del props["removeDefaultNodePool"]
    for rule_name in ("gke-node-pool-boot-disk-cmek", "gke-nodes-not-default-service-account", "gke-workload-identity"):
        assert violations(rule_name, CLUSTER, props) == []


def test_cluster_keeping_an_unconfigured_default_pool_fails_every_node_rule():
    props = {k: v for k, v in BASELINES[CLUSTER].items() if k != "removeDefaultNodePool"}
    assert violations("gke-node-pool-boot-disk-cmek", CLUSTER, props) == [
        "GKE cluster subject nodeConfig has no bootDiskKmsKey (customer-managed key)"
    ]
    assert violations("gke-workload-identity", CLUSTER, props) == [
        "GKE cluster subject nodeConfig.workloadMetadataConfig.mode is not GKE_METADATA"
    ]


def test_a_configured_default_pool_passes():
    props = {**BASELINES[CLUSTER], "removeDefaultNodePool": False, "nodeConfig": NODE_CONFIG}
    for rule_name in ("gke-node-pool-boot-disk-cmek", "gke-nodes-not-default-service-account", "gke-workload-identity"):
        assert violations(rule_name, CLUSTER, props) == []


def test_node_pool_inheriting_the_cluster_private_nodes_setting_passes():
    props = {k: v for k, v in BASELINES[NODE_POOL].items() if k != "networkConfig"}
    assert violations("gke-private-nodes", NODE_POOL, props) == []
    assert violations("gke-private-nodes", NODE_POOL, {**props, "networkConfig": {"podRange": "pods"}}) == []


@pytest.mark.parametrize(
    "change",
    [
        {"loggingConfig": DELETE},
        {"monitoringConfig": DELETE},
        {"monitoringConfig": {"managedPrometheus": {"enabled": True}}},
        {"loggingService": "logging.googleapis.com", "monitoringService": "monitoring.googleapis.com"},
        {"loggingService": DELETE, "monitoringService": DELETE},
    ],
    ids=["no-logging-config", "no-monitoring-config", "prometheus-only", "legacy-services", "default-services"],
)
def test_gke_logging_defaults_pass(change):
    props = {k: v for k, v in {**BASELINES[CLUSTER], **change}.items() if v is not DELETE}
    assert violations("gke-logging-monitoring", CLUSTER, props) == []


def test_gke_logging_and_monitoring_off_is_every_violation():
    props = {
        **BASELINES[CLUSTER],
        "loggingService": "none",
        "monitoringService": "none",
        "loggingConfig": {"enableComponents": []},
        "monitoringConfig": {"enableComponents": []},
    }
    assert len(violations("gke-logging-monitoring", CLUSTER, props)) == 4


def test_every_exempting_audit_log_config_is_reported():
    configs = [{**c, "exemptedMembers": ["user:ops@acme.example"]} for c in AUDIT_LOG_CONFIGS]
    found = violations(
        "gcp-audit-config-all-log-types", AUDIT, {"service": "storage.googleapis.com", "auditLogConfigs": configs}
    )
    assert [v.split(" exempts")[0] for v in found] == [
        f"project audit config subject auditLogConfigs[{i}]" for i in range(3)
    ]


@pytest.mark.parametrize("role", ["roles/viewer", "roles/owner.custom", "roles/iam.securityAdmin", None, 7])
def test_roles_other_than_owner_and_editor_pass(role):
    assert violations("gcp-iam-no-primitive-roles", PROJECT_MEMBER, {**BASELINES[PROJECT_MEMBER], "role": role}) == []


def test_a_conditional_owner_grant_is_still_an_owner_grant():
    condition = {"title": "until-2030", "expression": 'request.time < timestamp("2030-01-01T00:00:00Z")'}
    props = {**BASELINES[PROJECT_MEMBER], "role": "roles/owner", "condition": condition}
    assert violations("gcp-iam-no-primitive-roles", PROJECT_MEMBER, props) == [
        "project IAM member subject grants roles/owner (role)"
    ]


@pytest.mark.parametrize(
    ("rule_name", "type_"), [("gcp-iam-no-primitive-roles", PROJECT_POLICY), ("gcs-iam-no-public-members", IAM_POLICY)]
)
def test_iam_policy_documents_in_any_readable_shape(rule_name, type_):
    open_binding = {"role": "roles/owner", "members": ["allUsers"]}
    assert len(violations(rule_name, type_, {"policyData": {"bindings": [open_binding]}})) == 1
    assert violations(rule_name, type_, {"policyData": json.dumps({"etag": "BwX"})}) == []
    assert violations(rule_name, type_, {"policyData": json.dumps({"bindings": "none"})}) == []
    assert violations(rule_name, type_, {"project": "acme-prod"}) == []  # no document: GCP rejects it, nothing granted
    assert len(violations(rule_name, type_, {"policyData": 42})) == 1


@pytest.mark.parametrize(
    "entity", ["allUsersX", "user-allUsers@acme.example", "domain-acme.example", "project-viewers-123"]
)
def test_named_acl_entities_are_not_public(entity):
    assert violations("gcs-acl-not-public", ACCESS_CONTROL, {**BASELINES[ACCESS_CONTROL], "entity": entity}) == []
    assert violations("gcs-acl-not-public", BUCKET_ACL, {"roleEntities": [f"READER:{entity}"]}) == []


@pytest.mark.parametrize("acl", ["private", "projectPrivate", "bucketOwnerRead", "bucketOwnerFullControl"])
def test_private_predefined_acls_pass(acl):
    assert violations("gcs-acl-not-public", OBJECT_ACL, {**BASELINES[OBJECT_ACL], "predefinedAcl": acl}) == []


@pytest.mark.parametrize("classification", ["internal", "public", None])
@pytest.mark.parametrize(
    "rule_name", ["gcs-bucket-versioning-enabled", "gcs-bucket-lifecycle-expiry", "gcs-phi-bucket-recoverable"]
)
def test_lifecycle_and_backup_skip_buckets_without_personal_data(rule_name, classification):
    labels = {**LABELS, "data-classification": classification} if classification else {"owner": "ml-platform"}
    assert violations(rule_name, BUCKET, {"labels": labels}) == []


def test_personal_data_needs_versioning_and_expiry_but_not_backup():
    labels = {**LABELS, "data-classification": "personal"}
    assert violations("gcs-bucket-versioning-enabled", BUCKET, {"labels": labels}) == [
        "GCS bucket subject does not set versioning.enabled to true"
    ]
    assert len(violations("gcs-bucket-lifecycle-expiry", BUCKET, {"labels": labels})) == 1
    assert violations("gcs-phi-bucket-recoverable", BUCKET, {"labels": labels}) == []


def test_classification_from_provider_default_labels_counts():
    provider = {"project": "acme-prod", "defaultLabels": json.dumps(LABELS)}
    assert violations("gcs-phi-bucket-recoverable", BUCKET, {"location": "EU"}, provider=provider) == [
        "GCS bucket subject is classified phi but has neither versioning.enabled true nor a softDeletePolicy with "
        "retentionDurationSeconds above 0"
    ]


@pytest.mark.parametrize(
    "condition",
    [
        {"numNewerVersions": 3},
        {"daysSinceNoncurrentTime": 30, "withState": "ARCHIVED"},
        {"daysSinceCustomTime": 365},
        {"age": 0, "sendAgeIfZero": True},
        {"numNewerVersions": 0, "sendNumNewerVersionsIfZero": True},
        {"createdBefore": "2020-01-01"},
        {"noncurrentTimeBefore": "2024-06-13"},
        {"age": 2192.0, "matchesPrefixes": ["exports/"]},
    ],
)
def test_any_bounding_delete_condition_declares_retention(condition):
    rules = [{"action": {"type": "Delete"}, "condition": condition}]
    assert violations("gcs-bucket-lifecycle-expiry", BUCKET, {**BASELINES[BUCKET], "lifecycleRules": rules}) == []


@pytest.mark.parametrize("policy", [{}, {"retentionDurationSeconds": 7776000}, {"retentionDurationSeconds": "604800"}])
def test_declared_soft_delete_keeps_an_unversioned_phi_bucket_recoverable(policy):
    props = {**BASELINES[BUCKET], "versioning": {"enabled": False}, "softDeletePolicy": policy}
    assert violations("gcs-phi-bucket-recoverable", BUCKET, props) == []


@pytest.mark.parametrize("mode", ["TRUSTED_CLIENT_CERTIFICATE_REQUIRED", "encrypted_only"])
def test_cloud_sql_tls_modes_pass(mode):
    props = changed(BASELINES[SQL], ("settings", "ipConfiguration", "sslMode"), mode)
    assert violations("cloudsql-requires-tls", SQL, props) == []


def test_asymmetric_cloud_kms_key_cannot_rotate():
    assert violations("gcp-kms-key-rotation-period", CRYPTO_KEY, {"purpose": "ASYMMETRIC_SIGN"}) == []


def test_disk_with_a_kms_key_passes_whatever_else_it_names():
    props = {**BASELINES[DISK], "diskEncryptionKey": {"kmsKeySelfLink": KEY, "kmsKeyServiceAccount": NODE_SA}}
    assert violations("gce-disk-cmek", DISK, props) == []


def test_messages_use_the_resource_label():
    # label() falls back to the raw token for types resources.LABELS does not name yet.
    found = violations("gcp-firewall-no-open-ingress", FIREWALL, {**BASELINES[FIREWALL], "sourceRanges": ["0.0.0.0/0"]})
    assert found == [f"{label(resource(FIREWALL, {}))} allows ingress from 0.0.0.0/0 (sourceRanges)"]


# ---- issue 13: an item unknown at preview hides no violation of its siblings ---------------------------------
# (The generic test, tests/policies/test_unknowns_keep_violations.py, makes unknown what lies outside a change; these
# make unknown an item beside the one a violation is about, inside a changed list or a declared need.)

OPEN_TO_ALL = {"network": "llm-vpc", "sourceRanges": ["0.0.0.0/0"], "targetTags": ["gke-nodes"]}


def _check_directly(rule_name: str, type_: str, props: dict[str, Any]) -> list[str]:
    return list(RULES[rule_name].check(resource(type_, unknown_checking_proxy(props)), Settings()))


@pytest.mark.parametrize(
    ("rule_name", "type_", "props", "expected"),
    [
        (
            "gke-node-pool-boot-disk-cmek",
            CLUSTER,
            {**BASELINES[CLUSTER], "nodePools": [UNKNOWN_OBJECT_VALUE, {"name": "cpu"}]},
            "GKE cluster subject nodePools[1].nodeConfig has no bootDiskKmsKey",
        ),
        (
            "gke-nodes-not-default-service-account",
            CLUSTER,
            {**BASELINES[CLUSTER], "nodePools": [{"name": "cpu"}, {"nodeConfig": UNKNOWN_OBJECT_VALUE}]},
            "GKE cluster subject nodePools[0].nodeConfig.serviceAccount is unset",
        ),
        (
            "gke-private-nodes",
            CLUSTER,
            {
                **BASELINES[CLUSTER],
                "nodePools": [UNKNOWN_OBJECT_VALUE, {"networkConfig": {"enablePrivateNodes": False}}],
            },
            "nodePools[1].networkConfig.enablePrivateNodes is not true",
        ),
        (
            "gke-master-authorized-networks",
            CLUSTER,
            changed(
                BASELINES[CLUSTER],
                ("masterAuthorizedNetworksConfig", "cidrBlocks"),
                [UNKNOWN_OBJECT_VALUE, {"cidrBlock": "0.0.0.0/0"}],
            ),
            "masterAuthorizedNetworksConfig.cidrBlocks[1] authorizes 0.0.0.0/0",
        ),
        (
            "gcs-iam-no-public-members",
            IAM_BINDING,
            {**BASELINES[IAM_BINDING], "members": [UNKNOWN_STRING_VALUE, "allUsers"]},
            "grants access to allUsers (members)",
        ),
        (
            "gcs-acl-not-public",
            BUCKET_ACL,
            {"roleEntities": [UNKNOWN_STRING_VALUE], "predefinedAcl": "publicRead"},
            "uses the public predefinedAcl publicRead",
        ),
        (
            "gcp-audit-config-all-log-types",
            AUDIT,
            {"auditLogConfigs": [UNKNOWN_OBJECT_VALUE, {"logType": "DATA_READ", "exemptedMembers": ["user:a@b.c"]}]},
            "auditLogConfigs[1] exempts user:a@b.c",
        ),
    ],
    ids=[
        "boot-disk-inline-pool",
        "service-account-inline-pool",
        "private-nodes-inline-pool",
        "master-authorized-cidr-block",
        "iam-binding-member",
        "acl-role-entity-beside-predefined-acl",
        "audit-config-exemptions",
    ],
)
def test_an_unknown_item_keeps_its_siblings_violations_and_leaves_the_rest_unjudged(rule_name, type_, props, expected):
    found = violations(rule_name, type_, props)
    assert len(found) == 1 and expected in found[0], found
    with pytest.raises((UnknownValueError, CannotJudge)):
        _check_directly(rule_name, type_, props)


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        # A known open range opens the firewall whatever the unknown one is (the message names the known ones).
        ({**OPEN_TO_ALL, "sourceRanges": [UNKNOWN_STRING_VALUE, "0.0.0.0/0"], "allows": [{"protocol": "all"}]}, True),
        # Not tagged as the edge: no allow rule is read for the exception.
        ({**OPEN_TO_ALL, "allows": [UNKNOWN_OBJECT_VALUE]}, True),
        # An allow rule opening port 22 rules the exception out, whatever the other port or the tags are.
        ({**OPEN_TO_ALL, "targetTags": UNKNOWN_ARRAY_VALUE, "allows": [{"protocol": "tcp", "ports": ["22"]}]}, True),
        (
            {
                **OPEN_TO_ALL,
                "targetTags": [GCP_EDGE_TAG],
                "allows": [{"protocol": "tcp", "ports": [UNKNOWN_STRING_VALUE, "22"]}],
            },
            True,
        ),
        # No known range is open and one is unknown: it may be; or the edge's only port is unknown: not judged.
        ({**OPEN_TO_ALL, "sourceRanges": ["10.0.0.0/8", UNKNOWN_STRING_VALUE], "allows": [{"protocol": "all"}]}, None),
        (
            {
                **OPEN_TO_ALL,
                "targetTags": [GCP_EDGE_TAG],
                "allows": [{"protocol": "tcp", "ports": [UNKNOWN_STRING_VALUE]}],
            },
            None,
        ),
    ],
    ids=["unknown-range", "unknown-allow", "unknown-tags", "unknown-port-beside-22", "maybe-open", "maybe-edge"],
)
def test_firewall_decides_by_what_is_known(props, expected):
    found = violations("gcp-firewall-no-open-ingress", FIREWALL, props)
    if expected:
        assert found == ["VPC firewall rule subject allows ingress from 0.0.0.0/0 (sourceRanges)"]
        assert _check_directly("gcp-firewall-no-open-ingress", FIREWALL, props) == found
    else:
        assert found == []
        with pytest.raises((UnknownValueError, CannotJudge)):
            _check_directly("gcp-firewall-no-open-ingress", FIREWALL, props)


def test_a_lifecycle_entry_known_to_expire_is_enough_whatever_another_hides():
    props = {**BASELINES[BUCKET], "lifecycleRules": [UNKNOWN_OBJECT_VALUE, BASELINES[BUCKET]["lifecycleRules"][1]]}
    assert _check_directly("gcs-bucket-lifecycle-expiry", BUCKET, props) == []
    # An entry known to keep objects (not Delete) needs no condition read, a non-bounding condition no action.
    for entry in (
        {"action": {"type": "SetStorageClass"}, "condition": UNKNOWN_OBJECT_VALUE},
        {"action": UNKNOWN_OBJECT_VALUE, "condition": {"matchesPrefixes": ["tmp/"]}},
    ):
        assert violations("gcs-bucket-lifecycle-expiry", BUCKET, {**props, "lifecycleRules": [entry]}) == [
            f"GCS bucket subject {NO_EXPIRY}"
        ]


# ---- odd shapes never raise ----------------------------------------------------------------------------------

ODD_VALUES = [None, "odd", 7, 0.5, True, [], ["odd", None, 3], {"odd": {"deeper": [1]}}]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a baseline: mapping keys and list indexes, at every depth."""
    found: list[tuple[Any, ...]] = []
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


ODD_CASES = [(t, path) for t, base in BASELINES.items() for path in _paths(base)]


@pytest.mark.parametrize(("type_", "path"), ODD_CASES)
def test_odd_shapes_at_any_path_never_raise(type_, path):
    rules = [n for n in RULE_NAMES if type_ in RULES[n].resource_types]
    for value in ODD_VALUES:
        props = changed(BASELINES[type_], path, value)
        for rule_name in rules:
            assert isinstance(violations(rule_name, type_, props), list)


@pytest.mark.parametrize("props", [{}, {"labels": "phi"}, {"resourceLabels": ["phi"]}, {"nodePools": "gpu"}])
@pytest.mark.parametrize(("rule_name", "type_"), [(n, t) for n in RULE_NAMES for t in RULES[n].resource_types])
def test_empty_or_odd_resources_never_raise(rule_name, type_, props):
    assert isinstance(violations(rule_name, type_, props), list)
