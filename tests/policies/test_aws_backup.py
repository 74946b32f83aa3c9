"""PHI stores in a backup plan or backing themselves up (policies/rules/aws/backup.py: phi-store-backed-up).

Two tables of stack cases (tests/rule_judging.py): every store type in a Backup selection of a plan in the stack,
and the stores that back themselves up; then how selections select, and small third-party stack exports.
"""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Any

from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_BOOLEAN_VALUE, UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

from llmops_infra.policies.rules.aws import backup
from llmops_infra.policies.runtime.rule import RULES
from tests.policies.stack_exports import Raw, export, judged
from tests.rule_judging import (
    DELETE,
    Case,
    Path,
    resource,
    stack_violations,
)

RULE = "phi-store-backed-up"
PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
PHI = {"owner": "clinical-data", "purpose": "patient-records", "data-classification": "phi"}
NO_PLAN = "is classified phi but is in no backup plan (no aws:backup/selection:Selection of a plan in the stack"

STORES: dict[str, tuple[str, dict[str, Any]]] = {
    "aws:rds/instance:Instance": ("RDS instance", {"engine": "postgres", "instanceClass": "db.r6g.large"}),
    "aws:rds/cluster:Cluster": ("RDS cluster", {"engine": "aurora-postgresql", "backupRetentionPeriod": 0}),
    "aws:dynamodb/table:Table": ("DynamoDB table", {"hashKey": "id", "attributes": [{"name": "id", "type": "S"}]}),
    "aws:efs/fileSystem:FileSystem": ("EFS file system", {"encrypted": True}),
    "aws:ebs/volume:Volume": ("EBS volume", {"availabilityZone": "eu-west-1a", "size": 100, "encrypted": True}),
    "aws:ec2/instance:Instance": ("EC2 instance", {"ami": "ami-0a1b2c3d", "instanceType": "g5.xlarge"}),
    "aws:s3/bucket:Bucket": ("S3 bucket", {"bucket": "records"}),
    "aws:s3/bucketV2:BucketV2": ("S3 bucket", {"bucket": "records"}),
}
PLAN_PROPS = {
    "name": "phi-daily",
    "rules": [{"ruleName": "daily", "targetVaultName": "phi-vault", "schedule": "cron(0 5 * * ? *)"}],
}
SELECTION_PROPS = {
    "planId": "plan-1",
    "iamRoleArn": "arn:aws:iam::123456789012:role/backup",
    "resources": ["arn:aws:rds:eu-west-1:123456789012:db:records"],
}
IN_A_PLAN = {"plan": (PLAN, PLAN_PROPS), "selection": (SELECTION, SELECTION_PROPS)}
PLAN_LINKS = {"selection": {"planId": ["plan"], "resources": ["subject"]}}
# What every verdict turns on: only stores classified phi are judged.
CLASSIFIED = ("subject", "tags", "data-classification")
# A store that backs itself up needs no plan: whether it does is what a plan-less verdict turns on.
SELF_BACKUP = {"aws:rds/cluster:Cluster": [("subject", "backupRetentionPeriod")]}

PLAN_CASES = [
    Case(
        RULE,
        type_,
        {**props, "tags": PHI},
        [
            (("selection",), DELETE, f"{kind} subject {NO_PLAN}"),
            (("plan",), DELETE, NO_PLAN),
            (("selection", "notResources"), [], None),
            (
                ("selection", "conditions"),
                [{"stringLikes": [{"key": "aws:ResourceTag/team", "value": "ml*"}]}],
                NO_PLAN,
            ),
        ],
        [
            (("subject", "tags"), UNKNOWN_OBJECT_VALUE),
            (("selection", "conditions"), UNKNOWN_ARRAY_VALUE),
        ],
        id=f"in-a-plan[{type_}]",
        companions=IN_A_PLAN,
        links=PLAN_LINKS,
        label=f"{kind} subject",
        needs=[CLASSIFIED, *SELF_BACKUP.get(type_, [])],
    )
    for type_, (kind, props) in STORES.items()
]
for case in PLAN_CASES:  # an empty notResources excludes nothing: not a change
    case.changes = [c for c in case.changes if c[2] is not None]

VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
SELF_CASES = [
    Case(
        RULE,
        "aws:rds/instance:Instance",
        {"engine": "postgres", "backupRetentionPeriod": 7, "tags": PHI},
        [
            (("subject", "backupRetentionPeriod"), 0, "backupRetentionPeriod is not above 0 (unset is 0)"),
            (("subject", "backupRetentionPeriod"), DELETE, f"RDS instance subject {NO_PLAN}"),
        ],
        [(("subject", "backupRetentionPeriod"), UNKNOWN_STRING_VALUE)],
        id="self-rds-instance",
        needs=[CLASSIFIED],
    ),
    Case(
        RULE,
        "aws:rds/cluster:Cluster",
        {"engine": "aurora-postgresql", "tags": PHI},  # unset: 1 day
        [(("subject", "backupRetentionPeriod"), 0.0, "RDS cluster subject is classified phi but")],
        [(("subject", "backupRetentionPeriod"), UNKNOWN_STRING_VALUE)],
        id="self-rds-cluster",
        needs=[CLASSIFIED],
    ),
    Case(
        RULE,
        "aws:dynamodb/table:Table",
        {"hashKey": "id", "pointInTimeRecovery": {"enabled": True}, "tags": PHI},
        [
            (("subject", "pointInTimeRecovery", "enabled"), False, "pointInTimeRecovery.enabled is not true"),
            (("subject", "pointInTimeRecovery"), DELETE, "pointInTimeRecovery.enabled is not true"),
        ],
        [(("subject", "pointInTimeRecovery", "enabled"), UNKNOWN_BOOLEAN_VALUE)],
        id="self-dynamodb",
        needs=[CLASSIFIED],
    ),
    Case(
        RULE,
        "aws:efs/fileSystem:FileSystem",
        {"encrypted": True, "tags": PHI},
        [
            (("backups", "backupPolicy", "status"), "DISABLED", "no aws:efs/backupPolicy:BackupPolicy with"),
            (("backups",), DELETE, "backupPolicy.status ENABLED"),
        ],
        [(("backups", "backupPolicy", "status"), UNKNOWN_STRING_VALUE)],
        id="self-efs",
        needs=[CLASSIFIED],
        companions={
            "backups": (
                "aws:efs/backupPolicy:BackupPolicy",
                {"fileSystemId": "fs-1", "backupPolicy": {"status": "ENABLED"}},
            )
        },
        links={"backups": {"fileSystemId": ["subject"]}},
    ),
    Case(
        RULE,
        "aws:s3/bucket:Bucket",
        {"bucket": "records", "tags": PHI},
        [
            (
                ("records-versioning", "versioningConfiguration", "status"),
                "Suspended",
                "no BucketVersioning with status Enabled",
            ),
            (("subject", "tags", "data-classification"), "phi ", None),
        ],
        [(("records-versioning", "versioningConfiguration", "status"), UNKNOWN_STRING_VALUE)],
        id="self-s3",
        # The versioning names the bucket by value (no dependency): either name unknown, it may be another's.
        needs=[CLASSIFIED, ("subject", "bucket"), ("records-versioning", "bucket")],
        companions={
            "records-versioning": (VERSIONING, {"bucket": "records", "versioningConfiguration": {"status": "Enabled"}})
        },
    ),
]
for case in SELF_CASES:
    case.changes = [c for c in case.changes if c[2] is not None]
CASES = PLAN_CASES + SELF_CASES


def test_every_store_type_has_a_case_and_the_rule_is_the_module_s_only_one():
    assert {n for n, r in RULES.items() if r.check.__module__ == backup.__name__} == {RULE}
    assert {c.type for c in PLAN_CASES} == set(RULES[RULE].subjects)


# ---- how selections select ------------------------------------------------------------------------------------

[EBS_CASE] = [c for c in PLAN_CASES if c.type == "aws:ebs/volume:Volume"]
UNLINKED = {"selection": {"planId": ["plan"]}}


def _ebs(*changes: tuple[Path, Any], links: dict[str, dict[str, list[str]]] | None = None) -> list[str]:
    case = Case(RULE, EBS_CASE.type, EBS_CASE.props, companions=IN_A_PLAN, links=links or UNLINKED)
    return case.violations(*changes)


def test_stores_not_classified_phi_are_not_judged() -> None:
    for value in ("personal", "internal", DELETE):
        assert EBS_CASE.violations((("subject", "tags", "data-classification"), value), (("selection",), DELETE)) == []


def test_provider_default_tags_classify_a_store() -> None:
    volume = resource("aws:ebs/volume:Volume", {"size": 10}, "scratch", provider={"defaultTags": {"tags": PHI}})
    assert [n for n, _ in stack_violations(RULE, [volume])] == ["scratch"]


def test_a_selection_of_everything_or_by_tag_selects_the_store() -> None:
    assert _ebs((("selection", "resources"), ["*"])) == []
    by_tag = [{"type": "STRINGEQUALS", "key": "data-classification", "value": "phi"}]
    assert _ebs((("selection", "resources"), []), (("selection", "selectionTags"), by_tag)) == []
    assert len(_ebs((("selection", "selectionTags"), [{**by_tag[0], "value": "personal"}]))) == 1


def test_conditions_on_resource_tags_narrow_the_selection() -> None:
    team = [{"stringEquals": [{"key": "aws:ResourceTag/owner", "value": "clinical-data"}]}]
    assert EBS_CASE.violations((("selection", "conditions"), team)) == []
    other = [{"stringEquals": [{"key": "aws:ResourceTag/owner", "value": "ml-platform"}]}]
    assert len(EBS_CASE.violations((("selection", "conditions"), other))) == 1


def test_a_store_in_not_resources_is_not_selected() -> None:
    excluded = {"selection": {"planId": ["plan"], "resources": ["subject"], "notResources": ["subject"]}}
    assert len(_ebs((("selection", "resources"), ["*"]), links=excluded)) == 1


def test_a_selection_whose_plan_is_not_in_the_stack_does_not_count() -> None:
    assert len(_ebs((("selection", "resources"), ["*"]), links={"selection": {}})) == 1


def test_a_plan_settles_it_when_the_store_s_own_backup_is_unknown() -> None:
    [rds] = [c for c in PLAN_CASES if c.type == "aws:rds/instance:Instance"]
    assert rds.violations((("subject", "backupRetentionPeriod"), UNKNOWN_STRING_VALUE)) == []
    without_plan = rds.violations((("subject", "backupRetentionPeriod"), UNKNOWN_STRING_VALUE), (("plan",), DELETE))
    assert without_plan == []  # cannot judge


def test_one_enabled_backup_policy_settles_it_whatever_another_hides() -> None:
    [efs] = [c for c in SELF_CASES if c.id == "self-efs"]
    unknown = ("aws:efs/backupPolicy:BackupPolicy", {"fileSystemId": "fs-1", "backupPolicy": UNKNOWN_OBJECT_VALUE})
    both = Case(
        RULE,
        efs.type,
        efs.props,
        companions={"unknown-backups": unknown, **efs.companions},
        links={"unknown-backups": {"fileSystemId": ["subject"]}, **efs.links},
    )
    assert both.check_directly() == []  # judged compliant, not left unjudged


def test_message_in_full() -> None:
    assert EBS_CASE.violations((("plan",), DELETE)) == [
        "EBS volume subject is classified phi but is in no backup plan (no aws:backup/selection:Selection of a plan "
        "in the stack selects it) and does not back itself up: it has no backup of its own"
    ]


# ---- third-party stacks: raw resources, as a team writes them ---------------------------------------------------


def _team_stack(tmp_path: FilePath, *, covered: bool) -> FilePath:
    resources = [
        Raw("aws:rds/instance:Instance", "records-db", {"engine": "postgres", "backupRetentionPeriod": 0, "tags": PHI}),
        Raw("aws:ebs/volume:Volume", "scratch", {"availabilityZone": "eu-west-1a", "size": 500, "tags": PHI}),
        Raw(
            "aws:dynamodb/table:Table",
            "sessions",
            {"hashKey": "id", "pointInTimeRecovery": {"enabled": True}, "tags": PHI},
        ),
        Raw(
            "aws:ebs/volume:Volume",
            "cache",
            {"availabilityZone": "eu-west-1a", "size": 50, "tags": {**PHI, "data-classification": "internal"}},
        ),  # fmt: skip
        Raw("aws:backup/vault:Vault", "phi-vault", {"name": "phi-vault", "kmsKeyArn": "arn:aws:kms:eu-west-1:1:key/k"}),
        Raw(PLAN, "daily", PLAN_PROPS),
        Raw(
            SELECTION,
            "daily-selection",
            {**SELECTION_PROPS, "resources": ["arn:aws:rds:eu-west-1:1:db:records-db"]},
            {"planId": ["daily"], "resources": ["records-db"]},
        ),
    ]
    if covered:
        resources.append(
            Raw(
                SELECTION,
                "volumes",
                {**SELECTION_PROPS, "resources": ["arn:aws:ec2:eu-west-1:1:volume/vol-1"]},
                {"planId": ["daily"], "resources": ["scratch"]},
            )  # fmt: skip
        )
    return export(tmp_path / f"backup-{'covered' if covered else 'gap'}.json", *resources)


def test_third_party_stack_phi_volume_outside_every_plan_is_reported_on_it(tmp_path: FilePath) -> None:
    assert judged(RULE, _team_stack(tmp_path, covered=False)) == [
        (
            "scratch",
            "EBS volume scratch is classified phi but is in no backup plan (no aws:backup/selection:Selection of a "
            "plan in the stack selects it) and does not back itself up: it has no backup of its own",
        )
    ]


def test_third_party_stack_compliant_twin_passes(tmp_path: FilePath) -> None:
    assert judged(RULE, _team_stack(tmp_path, covered=True)) == []
