"""AWS backup: every PHI data store is in a backup plan of the stack, or backs itself up.

A store is in a backup plan when an aws:backup/selection:Selection whose plan (`planId`, computed from an
aws:backup/plan:Plan of the stack) exists selects it: `resources` names it (a value computed from the store: the
engine's property dependency; or "*", everything), or a `selectionTags` entry of type STRINGEQUALS matches one of
its tags; and `notResources` does not name it. A selection with `conditions` other than `stringEquals` on
aws:ResourceTag/<key> narrows its resources in a way this rule does not evaluate, so it counts for no store.

A store backs itself up when the service keeps restorable copies without AWS Backup:
- aws:rds/instance:Instance: `backupRetentionPeriod` above 0 (the SDK: "Default is `0`");
- aws:rds/cluster:Cluster: `backupRetentionPeriod` above 0, unset being 1 (the SDK: "Default `1`");
- aws:dynamodb/table:Table: `pointInTimeRecovery.enabled` true (the SDK: unset "defaults to `false`");
- aws:efs/fileSystem:FileSystem: an aws:efs/backupPolicy:BackupPolicy on it with `backupPolicy.status` ENABLED;
- S3 buckets: an aws:s3/bucketVersioning with `versioningConfiguration.status` Enabled.
EBS volumes and EC2 instances have no self-backup property: only a backup plan covers them.

Stores are judged when classified phi (tag data-classification, provider default tags included). The vault a
plan writes to is judged on its own (its encryption, by the encryption-at-rest rules).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from llmops_infra.policies.runtime.controls import (
    DYNAMODB_TABLE,
    EBS_VOLUME,
    EC2_INSTANCE,
    EFS,
    RDS_CLUSTER,
    RDS_INSTANCE,
)
from llmops_infra.policies.runtime.props import items, mapping, number, strings, word
from llmops_infra.policies.runtime.resources import (
    BUCKET,
    VERSIONING,
    bucket_companions,
    classification,
    label,
    tags_of,
)
from llmops_infra.policies.runtime.rule import (
    CannotJudge,
    NotApplicable,
    Resource,
    Settings,
    any_of,
    judge_each,
    per_item,
    rule,
)
from llmops_infra.policies.runtime.stack import Stack

BACKUP_PLAN = "aws:backup/plan:Plan"
BACKUP_SELECTION = "aws:backup/selection:Selection"
EFS_BACKUP_POLICY = "aws:efs/backupPolicy:BackupPolicy"
RESOURCE_TAG = "aws:resourcetag/"
UNDECIDED = "undecided"  # condition keys name a tag as aws:ResourceTag/<key>


def _rds_instance(store: Resource, stack: Stack) -> str | None:
    days = number(store.props.get("backupRetentionPeriod"))
    return None if days and days > 0 else "backupRetentionPeriod is not above 0 (unset is 0)"


def _rds_cluster(store: Resource, stack: Stack) -> str | None:
    value = store.props.get("backupRetentionPeriod")
    days = 1.0 if value is None else number(value)
    return None if days and days > 0 else "backupRetentionPeriod is not above 0"


def _dynamodb(store: Resource, stack: Stack) -> str | None:
    enabled = mapping(store.props.get("pointInTimeRecovery")).get("enabled")
    return None if enabled is True else "pointInTimeRecovery.enabled is not true"


def _efs(store: Resource, stack: Stack) -> str | None:
    # One ENABLED policy settles it, whatever another's status unknown at preview may be.
    policies = stack.companions(store, (EFS_BACKUP_POLICY,), "fileSystemId")
    if any_of(per_item(policies, lambda p: word(mapping(p.props.get("backupPolicy")).get("status")) == "ENABLED")):
        return None
    return "it has no aws:efs/backupPolicy:BackupPolicy with backupPolicy.status ENABLED"


def _bucket(store: Resource, stack: Stack) -> str | None:
    versions = bucket_companions(stack, store, VERSIONING)
    if any_of(per_item(versions, lambda v: mapping(v.props.get("versioningConfiguration")).get("status") == "Enabled")):
        return None
    return "it has no BucketVersioning with status Enabled"


def _no_self_backup(store: Resource, stack: Stack) -> str | None:
    return "it has no backup of its own"


# Store type -> why it does not back itself up (None: it does).
SELF_BACKUP: dict[str, Callable[[Resource, Stack], str | None]] = {
    RDS_INSTANCE: _rds_instance,
    RDS_CLUSTER: _rds_cluster,
    DYNAMODB_TABLE: _dynamodb,
    EFS: _efs,
    EBS_VOLUME: _no_self_backup,
    EC2_INSTANCE: _no_self_backup,
    **{token: _bucket for token in BUCKET},
}
STORES = tuple(SELF_BACKUP)


def _tag_matches(store: Resource, key: Any, value: Any) -> bool:
    tags = tags_of(store)
    return isinstance(key, str) and isinstance(value, str) and tags.get(key) == value


def _condition_filters(selection: Resource) -> list[tuple[Any, Any]] | None:
    """The (tag key, value) pairs a selection's conditions require, or None if it has conditions this rule does
    not evaluate (so the selection counts for no store)."""
    pairs: list[tuple[Any, Any]] = []
    for condition in items(selection.props.get("conditions")):
        condition = mapping(condition)
        if any(items(condition.get(k)) for k in ("stringLikes", "stringNotEquals", "stringNotLikes")):
            return None
        for entry in items(condition.get("stringEquals")):
            key = mapping(entry).get("key")
            if not (isinstance(key, str) and key.lower().startswith(RESOURCE_TAG)):
                return None
            pairs.append((key[len(RESOURCE_TAG) :], mapping(entry).get("value")))
    return pairs


def _selects(selection: Resource, store: Resource) -> bool:
    """Whether a selection assigns the store to its plan."""
    if store.urn in selection.dependencies.get("notResources", ()):
        return False
    filters = _condition_filters(selection)
    if filters is None or not all(_tag_matches(store, k, v) for k, v in filters):
        return False
    named = store.urn in selection.dependencies.get("resources", ()) or "*" in strings(selection.props.get("resources"))
    tagged = any(
        word(mapping(t).get("type")) == "STRINGEQUALS"
        and _tag_matches(store, mapping(t).get("key"), mapping(t).get("value"))
        for t in items(selection.props.get("selectionTags"))
    )
    return named or tagged


def _in_a_plan(store: Resource, stack: Stack) -> bool:
    plans = {p.urn for p in stack.of_type((BACKUP_PLAN,))}

    def judge(index: int, selection: Resource) -> Iterator[str]:
        if plans & set(selection.dependencies.get("planId", ())) and _selects(selection, store):
            yield selection.name

    # One selection that covers the store settles it, even when another's values are unknown.
    return next(judge_each(stack.of_type((BACKUP_SELECTION,)), judge), None) is not None


@rule(
    "phi-store-backed-up",
    control="backup",
    severity="high",
    types=(*STORES, BACKUP_PLAN, BACKUP_SELECTION, EFS_BACKUP_POLICY, *VERSIONING),
    remediation="Add the store to an aws.backup.Selection (resources=[store.arn]) of an aws.backup.Plan, or turn on "
    "its own backups: RDS backupRetentionPeriod above 0, DynamoDB pointInTimeRecovery.enabled, an EFS BackupPolicy "
    "ENABLED, S3 BucketVersioning Enabled.",
    scope="stack",
    subjects=STORES,
    frameworks=("hipaa", "gdpr"),
)
def phi_store_backed_up(store: Resource, stack: Stack, settings: Settings) -> Iterator[str]:
    """PHI data stores are in a backup plan (a Backup selection of a plan in the stack) or back themselves up."""
    if (kind := classification(store)) != "phi":
        raise NotApplicable(f"classified {kind}, not phi" if kind else "not classified phi")
    # Either way settles it: a store that backs itself up needs no plan, and one in a plan needs no own backups,
    # so an unknown value on one side is no reason to leave the other unjudged.
    try:
        missing = SELF_BACKUP[store.type](store, stack)
    except (UnknownValueError, CannotJudge):
        missing = UNDECIDED
    if missing is None or _in_a_plan(store, stack):
        return
    if missing is UNDECIDED:
        raise CannotJudge(f"whether {label(store)} backs itself up is unknown at preview")
    yield (
        f"{label(store)} is classified phi but is in no backup plan (no aws:backup/selection:Selection of a plan in "
        f"the stack selects it) and does not back itself up: {missing}"
    )
