"""Rules over AWS and GCP types alike (policies/rules/cross_cloud.py): log retention, deletion protection, records.

One compliant baseline per resource type (BASELINES) and one table of cases (tests/rule_judging.py): each case
changes one property and expects exactly one violation naming it, or makes one value unknown and expects none.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy.proxy import (
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

from llmops_infra.policies.rules import cross_cloud
from llmops_infra.policies.runtime.resources import RECORD_KEYS, tags_key
from llmops_infra.policies.runtime.rule import RULES, Settings
from tests.rule_judging import (
    DELETE,
    Case,
    changed,
    violations,
)

TAGS = {"owner": "ml-platform", "purpose": "model-weights", "data-classification": "phi"}
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
GCP_LOGS = "gcp:logging/projectBucketConfig:ProjectBucketConfig"
RDS = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
DYNAMODB = "aws:dynamodb/table:Table"
CLOUD_SQL = "gcp:sql/databaseInstance:DatabaseInstance"
REDIS = "gcp:redis/instance:Instance"
ALLOYDB = "gcp:alloydb/cluster:Cluster"
FILESTORE = "gcp:filestore/instance:Instance"
SECRET = "gcp:secretmanager/secret:Secret"

BASELINES: dict[str, dict[str, Any]] = {
    LOG_GROUP: {"retentionInDays": 2192, "kmsKeyId": KEY_ARN, "tags": TAGS},
    GCP_LOGS: {"project": "acme", "location": "europe-west4", "bucketId": "audit", "retentionDays": 2192},
    "aws:s3/bucket:Bucket": {"bucket": "models", "acl": "private", "tags": TAGS},
    "aws:s3/bucketV2:BucketV2": {"bucket": "models", "tags": TAGS},
    "aws:ebs/volume:Volume": {"availabilityZone": "eu-west-1a", "size": 100, "tags": TAGS},
    "aws:efs/fileSystem:FileSystem": {"encrypted": True, "tags": TAGS},
    "aws:eks/cluster:Cluster": {
        "roleArn": "arn:aws:iam::123456789012:role/eks",
        "vpcConfig": {"subnetIds": ["subnet-1"], "endpointPrivateAccess": True, "endpointPublicAccess": False},
        "tags": TAGS,
    },
    "gcp:storage/bucket:Bucket": {"location": "EU", "labels": TAGS},
    "gcp:container/cluster:Cluster": {"location": "europe-west4", "resourceLabels": TAGS},
    "gcp:compute/disk:Disk": {"zone": "europe-west4-a", "labels": TAGS},
    # Protected from deletion, and tagged.
    RDS: {"deletionProtection": True, "tags": TAGS},
    RDS_CLUSTER: {"deletionProtection": True, "tags": TAGS},
    DYNAMODB: {"deletionProtectionEnabled": True, "tags": TAGS},
    # The further AWS data stores, tagged (none has a deletion-protection switch in the SDK).
    **{
        token: {"tags": TAGS}
        for token in (
            "aws:elasticache/replicationGroup:ReplicationGroup",
            "aws:memorydb/cluster:Cluster",
            "aws:opensearch/domain:Domain",
            "aws:fsx/lustreFileSystem:LustreFileSystem",
            "aws:ecr/repository:Repository",
            "aws:secretsmanager/secret:Secret",
            "aws:sqs/queue:Queue",
            "aws:sns/topic:Topic",
        )
    },
    CLOUD_SQL: {"settings": {"tier": "db-f1-micro", "deletionProtectionEnabled": True, "userLabels": TAGS}},
    # GCP data stores, labelled and protected from deletion where the SDK has the switch.
    REDIS: {"region": "europe-west4", "memorySizeGb": 1, "deletionProtection": True, "labels": TAGS},
    ALLOYDB: {"location": "europe-west4", "clusterId": "rag", "deletionProtection": True, "labels": TAGS},
    FILESTORE: {"location": "europe-west4-a", "tier": "BASIC_SSD", "deletionProtectionEnabled": True, "labels": TAGS},
    SECRET: {"replication": {"auto": {}}, "deletionProtection": True, "labels": TAGS},
    "gcp:artifactregistry/repository:Repository": {"location": "europe-west4", "format": "DOCKER", "labels": TAGS},
    "gcp:bigquery/dataset:Dataset": {"datasetId": "evals", "location": "EU", "labels": TAGS},
    "gcp:pubsub/topic:Topic": {"labels": TAGS},
}

RULE_NAMES = sorted(n for n, r in RULES.items() if r.check.__module__ == cross_cloud.__name__)


def case(rule: str, type_: str, changes: list[Any] | None = None, unknowns: list[Any] | None = None) -> Case:
    """The case of `rule` on the baseline of `type_`."""
    return Case(rule, type_, BASELINES[type_], changes or [], unknowns or [])


def records(type_: str, changes: list[Any] | None = None, unknowns: list[Any] | None = None) -> Case:
    """The data-store-records-of-processing case of `type_`: each record key missing, then `changes`."""
    where = tags_key(type_)
    missing = [((where, key), DELETE, f"has no {key} in its {where}") for key in RECORD_KEYS]
    return case("data-store-records-of-processing", type_, [*missing, *(changes or [])], unknowns)


# ---- the cases: one per rule and type it judges ----------------------------------------------------------------

CASES = [
    # log-retention (defaults: minimum 2192, maximum 2192 days)
    case(
        "log-retention-minimum",
        LOG_GROUP,
        [
            (("retentionInDays",), 365, "keeps logs 365 days (retentionInDays), below the 2192-day minimum"),
            (("retentionInDays",), 365.0, "keeps logs 365 days"),
            (("logGroupClass",), "DELIVERY", "keeps logs 2 days (logGroupClass DELIVERY)"),
            (("retentionInDays",), "a year", "retentionInDays is not a number of days"),
        ],
        [(("retentionInDays",), UNKNOWN_NUMBER_VALUE)],
    ),
    case(
        "log-retention-minimum",
        GCP_LOGS,
        [
            (("retentionDays",), 90, "Cloud Logging bucket subject keeps logs 90 days (retentionDays)"),
            # Unset or 0 on a Cloud Logging bucket is GCP's 30-day default, not "forever" as on CloudWatch.
            (("retentionDays",), DELETE, "keeps logs 30 days"),
            (("retentionDays",), 0, "keeps logs 30 days"),
        ],
        [(("retentionDays",), UNKNOWN_NUMBER_VALUE)],
    ),
    case(
        "log-retention-maximum",
        LOG_GROUP,
        [
            (("retentionInDays",), DELETE, "keeps logs forever (retentionInDays unset or 0)"),
            (("retentionInDays",), 0, "keeps logs forever"),
            (("retentionInDays",), 3653, "keeps logs 3653 days (retentionInDays), above the 2192-day maximum"),
            (("retentionInDays",), [30], "retentionInDays is not a number of days"),
        ],
        [(("retentionInDays",), UNKNOWN_NUMBER_VALUE)],
    ),
    case(
        "log-retention-maximum",
        GCP_LOGS,
        [(("retentionDays",), 3650, "keeps logs 3650 days (retentionDays), above")],
        [(("retentionDays",), UNKNOWN_NUMBER_VALUE)],
    ),
    # backup
    case(
        "stateful-store-deletion-protection",
        RDS,
        [
            (("deletionProtection",), DELETE, "RDS instance subject does not set deletionProtection to true"),
            (("deletionProtection",), False, "RDS instance subject does not set deletionProtection"),
        ],
        [(("deletionProtection",), UNKNOWN_BOOLEAN_VALUE)],
    ),
    case(
        "stateful-store-deletion-protection",
        RDS_CLUSTER,
        [(("deletionProtection",), "yes", "RDS cluster subject does not set deletionProtection")],
    ),
    case(
        "stateful-store-deletion-protection",
        DYNAMODB,
        [
            (
                ("deletionProtectionEnabled",),
                DELETE,
                "DynamoDB table subject does not set deletionProtectionEnabled to true",
            )
        ],
        [(("deletionProtectionEnabled",), UNKNOWN_BOOLEAN_VALUE)],
    ),
    case(
        "stateful-store-deletion-protection",
        CLOUD_SQL,
        [
            (("deletionProtection",), False, "Cloud SQL instance subject does not set deletionProtection to true"),
            (
                ("settings", "deletionProtectionEnabled"),
                DELETE,
                "Cloud SQL instance subject does not set settings.deletionProtectionEnabled to true",
            ),
            (
                ("settings",),
                "odd",
                "Cloud SQL instance subject does not set settings.deletionProtectionEnabled to true",
            ),
        ],
        [(("settings", "deletionProtectionEnabled"), UNKNOWN_BOOLEAN_VALUE), (("settings",), UNKNOWN_STRING_VALUE)],
    ),
    # Memorystore Redis and AlloyDB: unset protects (a Pulumi-level flag the SDK defaults on); Filestore and
    # Secret Manager protect only when set.
    case(
        "stateful-store-deletion-protection",
        REDIS,
        [(("deletionProtection",), False, "Memorystore Redis instance subject does not set deletionProtection")],
        [(("deletionProtection",), UNKNOWN_BOOLEAN_VALUE)],
    ),
    case(
        "stateful-store-deletion-protection",
        ALLOYDB,
        [(("deletionProtection",), False, "AlloyDB cluster subject does not set deletionProtection to true")],
        [(("deletionProtection",), UNKNOWN_BOOLEAN_VALUE)],
    ),
    case(
        "stateful-store-deletion-protection",
        FILESTORE,
        [
            (
                ("deletionProtectionEnabled",),
                DELETE,
                "Filestore instance subject does not set deletionProtectionEnabled",
            ),
            (("deletionProtectionEnabled",), False, "does not set deletionProtectionEnabled to true"),
        ],
        [(("deletionProtectionEnabled",), UNKNOWN_BOOLEAN_VALUE)],
    ),
    case(
        "stateful-store-deletion-protection",
        SECRET,
        [(("deletionProtection",), DELETE, "Secret Manager secret subject does not set deletionProtection to true")],
        [(("deletionProtection",), UNKNOWN_BOOLEAN_VALUE)],
    ),
    # records-of-processing
    records("aws:s3/bucket:Bucket", unknowns=[(("tags",), UNKNOWN_OBJECT_VALUE)]),
    records("aws:s3/bucketV2:BucketV2"),
    records(
        "aws:ebs/volume:Volume",
        [
            (
                ("tags", "data-classification"),
                "secret",
                "data-classification 'secret' is not one of phi, personal, internal, public",
            )
        ],
        [(("tags", "owner"), UNKNOWN_STRING_VALUE)],
    ),
    records("aws:efs/fileSystem:FileSystem", [(("tags", "owner"), "  ", "has no owner in its tags")]),
    records("aws:eks/cluster:Cluster"),
    records(LOG_GROUP),
    # AWS data stores
    records(RDS, [(("tags", "purpose"), "", "RDS instance subject has no purpose in its tags")]),
    records(RDS_CLUSTER, unknowns=[(("tags",), UNKNOWN_OBJECT_VALUE)]),
    records(DYNAMODB, unknowns=[(("tags", "owner"), UNKNOWN_STRING_VALUE)]),
    records("aws:elasticache/replicationGroup:ReplicationGroup", unknowns=[(("tags",), UNKNOWN_OBJECT_VALUE)]),
    records("aws:memorydb/cluster:Cluster", [(("tags", "owner"), 7, "MemoryDB cluster subject has no owner")]),
    records("aws:opensearch/domain:Domain", unknowns=[(("tags", "purpose"), UNKNOWN_STRING_VALUE)]),
    records("aws:fsx/lustreFileSystem:LustreFileSystem", unknowns=[(("tags",), UNKNOWN_OBJECT_VALUE)]),
    records("aws:ecr/repository:Repository", [(("tags", "data-classification"), "Secret", "is not one of")]),
    records("aws:secretsmanager/secret:Secret", unknowns=[(("tags",), UNKNOWN_OBJECT_VALUE)]),
    records("aws:sqs/queue:Queue", unknowns=[(("tags", "data-classification"), UNKNOWN_STRING_VALUE)]),
    records("aws:sns/topic:Topic", [(("tags", "owner"), None, "SNS topic subject has no owner in its tags")]),
    records("gcp:storage/bucket:Bucket"),
    records("gcp:container/cluster:Cluster", unknowns=[(("resourceLabels",), UNKNOWN_OBJECT_VALUE)]),
    records("gcp:compute/disk:Disk", [(("labels", "data-classification"), "PHI", "is not one of")]),
    # GCP data stores; a Cloud SQL instance keeps its labels in settings.userLabels.
    case(
        "data-store-records-of-processing",
        CLOUD_SQL,
        [
            *[
                (("settings", "userLabels", key), DELETE, f"has no {key} in its settings.userLabels")
                for key in RECORD_KEYS
            ],
            (
                ("settings", "userLabels", "owner"),
                " ",
                "Cloud SQL instance subject has no owner in its settings.userLabels",
            ),
        ],
        [(("settings", "userLabels"), UNKNOWN_OBJECT_VALUE), (("settings",), UNKNOWN_OBJECT_VALUE)],
    ),
    records(REDIS, unknowns=[(("labels",), UNKNOWN_OBJECT_VALUE)]),
    records(ALLOYDB, unknowns=[(("labels", "purpose"), UNKNOWN_STRING_VALUE)]),
    records(FILESTORE, unknowns=[(("labels",), UNKNOWN_OBJECT_VALUE)]),
    records("gcp:artifactregistry/repository:Repository", unknowns=[(("labels",), UNKNOWN_OBJECT_VALUE)]),
    records(SECRET, unknowns=[(("labels",), UNKNOWN_OBJECT_VALUE)]),
    records("gcp:bigquery/dataset:Dataset", unknowns=[(("labels",), UNKNOWN_OBJECT_VALUE)]),
    records("gcp:pubsub/topic:Topic", unknowns=[(("labels",), UNKNOWN_OBJECT_VALUE)]),
]


def test_every_rule_and_type_it_judges_has_a_case_with_changes_and_unknowns():
    assert {(c.rule, c.type) for c in CASES} == {(n, t) for n in RULE_NAMES for t in RULES[n].resource_types}
    assert {c.rule for c in CASES if c.changes} == {c.rule for c in CASES if c.unknowns} == set(RULE_NAMES)
    assert all(c.changes for c in CASES)


# ---- log retention -------------------------------------------------------------------------------------------


def test_log_retention_parameters_come_from_settings():
    props = {"retentionInDays": 400}
    assert violations("log-retention-minimum", LOG_GROUP, props, Settings(min_log_retention_days=365)) == []
    assert violations("log-retention-maximum", LOG_GROUP, props, Settings(max_log_retention_days=365)) == [
        "CloudWatch log group subject keeps logs 400 days (retentionInDays), above the 365-day maximum"
    ]
    assert RULES["log-retention-minimum"].parameters == ("minLogRetentionDays",)
    assert RULES["log-retention-maximum"].parameters == ("maxLogRetentionDays",)
    assert RULES["log-retention-minimum"].frameworks == ("hipaa",)
    assert RULES["log-retention-maximum"].frameworks == ("gdpr",)


@pytest.mark.parametrize("retention", [DELETE, 0])
def test_cloudwatch_logs_kept_forever_meet_the_hipaa_minimum(retention):
    props = changed(BASELINES[LOG_GROUP], ("retentionInDays",), retention)
    assert violations("log-retention-minimum", LOG_GROUP, props) == []


def test_gcp_default_retention_is_within_the_gdpr_maximum():
    props = changed(BASELINES[GCP_LOGS], ("retentionDays",), DELETE)
    assert violations("log-retention-maximum", GCP_LOGS, props) == []


# ---- records of processing -----------------------------------------------------------------------------------


def test_records_are_read_from_gke_resource_labels_not_labels():
    props = {"location": "europe-west4", "labels": TAGS}
    assert len(violations("data-store-records-of-processing", "gcp:container/cluster:Cluster", props)) == 3


@pytest.mark.parametrize("default_tags", [{"tags": TAGS}, json.dumps({"tags": TAGS})])
def test_aws_provider_default_tags_count_as_the_resource_tags(default_tags):
    provider = {"region": "eu-west-1", "defaultTags": default_tags}
    assert (
        violations("data-store-records-of-processing", "aws:ebs/volume:Volume", {"size": 10}, provider=provider) == []
    )


def test_gcp_provider_default_labels_count_as_the_resource_labels():
    provider = {"project": "acme", "defaultLabels": json.dumps(TAGS)}
    assert (
        violations("data-store-records-of-processing", "gcp:compute/disk:Disk", {"zone": "eu"}, provider=provider) == []
    )


def test_resource_tags_override_provider_default_tags():
    provider = {"defaultTags": {"tags": TAGS}}
    props = {"tags": {"data-classification": "restricted"}}
    assert violations("data-store-records-of-processing", "aws:ebs/volume:Volume", props, provider=provider) == [
        "EBS volume subject tags data-classification 'restricted' is not one of phi, personal, internal, public"
    ]
