"""GDPR data residency (Art. 44-49): personal data stays in allowed regions, EU/EEA unless the pack config widens it.

A resource's place is read in the order the provider resolves it: the resource's own location inputs, else its
provider's `region` (pulumi-aws v7 gives every resource a `region` that "defaults to the Region set in the provider
configuration"; pulumi-gcp resources fall back to the provider's region or zone), else the stack config the
Pulumi CLI hands the pack. With no place anywhere, or an unknown one at preview, the rule cannot judge.

Further places a resource's data goes (GKE node zones, Cloud SQL backups, Secret Manager replicas, Pub/Sub storage
regions, DynamoDB and Secrets Manager replicas: DataType.more) are judged too, each on its own, so an unknown one
hides no other's violation. Global resources (GCP secrets, topics) have no place of their own and never take their
provider's; when nothing confines them (UNBOUNDED) their data may be stored in any region.

S3 replication (s3-replication-destination-residency, a stack rule) sends copies to a bucket named by an ARN, which
carries no region: the destination bucket is found in the stack and its place read as this rule reads a bucket's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from typing import Any, NamedTuple

from pulumi_policy.proxy import UnknownValueError

from llmops_infra.policies.runtime.props import listed, mapping, one_or_many, shown as shown_value
from llmops_infra.policies.runtime.regions import ADEQUACY_REGIONS, EU_REGIONS, adequacy_country, region_of_zone
from llmops_infra.policies.runtime.resources import (
    AWS_PROVIDER,
    BUCKET,
    GCP_PROVIDER,
    GCP_SECRET,
    GCS_BUCKET,
    PUBSUB_TOPIC,
    REPLICATION,
    classification,
    label,
    names_bucket,
)
from llmops_infra.policies.runtime.rule import CannotJudge, NotApplicable, Resource, Settings, judge_each, rule
from llmops_infra.policies.runtime.stack import Stack


class DataType(NamedTuple):
    token: str
    inputs: tuple[str, ...]  # its own location inputs (engine names), in the order they decide; () for a global
    # resource, which has no location of its own and does not follow its provider's (see UNBOUNDED)
    # Further places its data goes, each judged on its own, whatever the own location says (node zones, replicas,
    # backups): input paths, "[]" standing for every item of a list. A zone counts as its region.
    more: tuple[str, ...] = ()


# Every resource type that stores or processes data, with the inputs that say where. Tokens and input names are
# read from the installed SDKs (tests/policies/test_residency.py checks both against the SDK sources). AWS (v7):
# every resource's `region`; an Availability Zone input must lie in that region, so it is read after it.
# GCP: `location` may be a region, a multi-region or a zone; zonal resources take `zone`.
DATA_TYPES: tuple[DataType, ...] = (
    DataType("aws:s3/bucket:Bucket", ("region",)),
    DataType("aws:s3/bucketV2:BucketV2", ("region",)),
    DataType("aws:ebs/volume:Volume", ("region", "availabilityZone")),
    DataType("aws:efs/fileSystem:FileSystem", ("region",)),
    DataType("aws:fsx/lustreFileSystem:LustreFileSystem", ("region",)),
    DataType("aws:eks/cluster:Cluster", ("region",)),
    DataType("aws:eks/nodeGroup:NodeGroup", ("region",)),
    DataType("aws:cloudwatch/logGroup:LogGroup", ("region",)),
    DataType("aws:rds/instance:Instance", ("region", "availabilityZone")),
    DataType("aws:rds/cluster:Cluster", ("region",)),
    DataType("aws:rds/clusterInstance:ClusterInstance", ("region", "availabilityZone")),
    # A global table's replicas: "Region name of the replica" (replicas[].regionName).
    DataType("aws:dynamodb/table:Table", ("region",), ("replicas.[].regionName",)),
    DataType("aws:elasticache/replicationGroup:ReplicationGroup", ("region",)),
    DataType("aws:memorydb/cluster:Cluster", ("region",)),
    DataType("aws:opensearch/domain:Domain", ("region",)),
    DataType("aws:kinesis/stream:Stream", ("region",)),
    DataType("aws:sqs/queue:Queue", ("region",)),
    DataType("aws:sns/topic:Topic", ("region",)),
    DataType("aws:backup/vault:Vault", ("region",)),
    DataType("aws:ecr/repository:Repository", ("region",)),
    DataType("aws:sagemaker/domain:Domain", ("region",)),
    DataType("aws:sagemaker/notebookInstance:NotebookInstance", ("region",)),
    DataType("aws:sagemaker/endpoint:Endpoint", ("region",)),
    DataType("aws:lambda/function:Function", ("region",)),
    # A replicated secret: "Region for replicating the secret" (replicas[].region).
    DataType("aws:secretsmanager/secret:Secret", ("region",), ("replicas.[].region",)),
    # KMS Encrypt/Decrypt receive the plaintext (up to 4 KB) and data keys in the key's region.
    DataType("aws:kms/key:Key", ("region",)),
    DataType("aws:ec2/instance:Instance", ("region", "availabilityZone")),
    DataType("aws:ec2/launchTemplate:LaunchTemplate", ("region",)),
    DataType(GCS_BUCKET, ("location",)),
    # The SDK (nodeLocations): "The list of zones in which the cluster's nodes are located" (a node pool's own
    # list overrides the cluster's).
    DataType("gcp:container/cluster:Cluster", ("location",), ("nodeLocations.[]",)),
    DataType("gcp:container/nodePool:NodePool", ("location",), ("nodeLocations.[]",)),
    DataType("gcp:compute/disk:Disk", ("zone",)),
    DataType("gcp:compute/regionDisk:RegionDisk", ("region",)),
    DataType("gcp:compute/instance:Instance", ("zone",)),
    DataType("gcp:compute/instanceGroupManager:InstanceGroupManager", ("zone",)),
    DataType(
        "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager",
        ("region",),
    ),
    DataType("gcp:tpu/v2Vm:V2Vm", ("zone",)),
    DataType("gcp:tpu/v2QueuedResource:V2QueuedResource", ("zone",)),
    # Filestore `zone` is deprecated in favour of `location`; either places the instance.
    DataType("gcp:filestore/instance:Instance", ("location", "zone")),
    DataType("gcp:parallelstore/instance:Instance", ("location",)),
    DataType("gcp:lustre/instance:Instance", ("location",)),
    DataType("gcp:bigquery/dataset:Dataset", ("location",)),
    # Cloud SQL backupConfiguration.location: "The region where the backup will be stored"; the preferred zones
    # of the instance and of its failover.
    DataType(
        "gcp:sql/databaseInstance:DatabaseInstance",
        ("region",),
        (
            "settings.backupConfiguration.location",
            "settings.locationPreference.zone",
            "settings.locationPreference.secondaryZone",
        ),
    ),
    # AlloyDB automatedBackupPolicy.location: "The location where the backup will be stored".
    DataType("gcp:alloydb/cluster:Cluster", ("location",), ("automatedBackupPolicy.location",)),
    # Redis `locationId` is the zone inside `region`; a STANDARD_HA instance's replica is in alternativeLocationId.
    DataType("gcp:redis/instance:Instance", ("region", "locationId"), ("alternativeLocationId",)),
    DataType("gcp:artifactregistry/repository:Repository", ("location",)),
    DataType("gcp:logging/projectBucketConfig:ProjectBucketConfig", ("location",)),
    DataType("gcp:kms/keyRing:KeyRing", ("location",)),
    DataType("gcp:vertex/aiDataset:AiDataset", ("region",)),
    DataType("gcp:vertex/aiEndpoint:AiEndpoint", ("location", "region")),
    DataType("gcp:vertex/aiFeatureStore:AiFeatureStore", ("region",)),
    DataType("gcp:workbench/instance:Instance", ("location",)),
    DataType("gcp:cloudrunv2/service:Service", ("location",)),
    DataType("gcp:cloudfunctionsv2/function:Function", ("location",)),
    # Global resources: a user-managed secret is stored in each replica's location; a topic's messages in the
    # regions of its message storage policy.
    DataType(GCP_SECRET, (), ("replication.userManaged.replicas.[].location",)),
    DataType(PUBSUB_TOPIC, (), ("messageStoragePolicy.allowedPersistenceRegions.[]",)),
)
DATA = {t.token: t for t in DATA_TYPES}

# Inputs that name a zone inside the region input before them (an AWS Availability Zone lies in the resource's
# region; a Redis locationId is "the zone where the instance will be provisioned" in its region): with that region
# unknown at preview, a known zone places the resource all the same.
ZONES_IN_REGION = ("availabilityZone", "locationId")


class Unbounded(NamedTuple):
    path: tuple[str, ...]  # the input that decides
    when_given: bool  # True: stored anywhere when the input is given; False: when it is left out
    why: str  # for messages


# Global resources whose data may be stored in any region, by the SDK: Secret Manager automatic replication ("The
# Secret will automatically be replicated without any restrictions"); a Pub/Sub topic's messageStoragePolicy ("If
# not present, then no constraints are in effect").
UNBOUNDED: dict[str, Unbounded] = {
    GCP_SECRET: Unbounded(("replication", "auto"), True, "replication.auto replicates it without restrictions"),
    PUBSUB_TOPIC: Unbounded(("messageStoragePolicy",), False, "no messageStoragePolicy constrains its regions"),
}

# Where a resource goes when it names no location itself and does not follow its provider. pulumi-gcp
# bigquery Dataset `location`: "The default value is multi-regional location `US`."
DEFAULT_LOCATIONS: dict[str, str] = {"gcp:bigquery/dataset:Dataset": "US"}

# A provider's inputs that place the resources it manages (pulumi-aws Provider `region`; pulumi-gcp Provider
# `region` and `zone`), and the stack config keys the default provider is built from.
PROVIDER_INPUTS: dict[str, tuple[str, ...]] = {"aws": ("region",), "gcp": ("region", "zone")}
STACK_CONFIG_KEYS: dict[str, tuple[str, ...]] = {"aws": ("aws:region",), "gcp": ("gcp:region", "gcp:zone")}

# Classifications that hold no personal data; anything else, absence included, might (fail closed).
EXEMPT_CLASSES = ("internal", "public")

DATA_RESIDENCY_TYPES = (*DATA, AWS_PROVIDER, GCP_PROVIDER)


class Place(NamedTuple):
    location: str  # as written: a region, multi-region or zone
    source: str  # where it was read


def _cloud(type_token: str) -> str:
    return type_token.removeprefix("pulumi:providers:").split(":")[0]


def _given(props: Mapping[str, Any], name: str) -> str | None:
    # An odd shape (a number, a list) names no place: the next source decides.
    value = props.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _first(props: Mapping[str, Any], names: tuple[str, ...], where: str) -> Place | None:
    for index, name in enumerate(names):
        try:
            value = _given(props, name)
        except UnknownValueError:
            # An unknown region decides nothing about a zone given inside it: that zone places the resource.
            zone = _first(props, tuple(n for n in names[index + 1 :] if n in ZONES_IN_REGION), where)
            if zone is None:
                raise
            return zone
        if value is not None:
            return Place(value, f"{where} {name}" if where else f"{name} input")
    return None


def places(resource: Resource, settings: Settings) -> list[Place]:
    """Where the resource puts its data: one place or none (a dual-region bucket's data locations: _own_places)."""
    cloud = _cloud(resource.type)
    if resource.type in (AWS_PROVIDER, GCP_PROVIDER):
        own = _first(resource.props, PROVIDER_INPUTS[cloud], "")
    else:
        inputs = DATA[resource.type].inputs
        if not inputs:
            return []  # a global resource: placed by its further places (DataType.more) only
        own = _first(resource.props, inputs, "")
        if own is None and resource.type in DEFAULT_LOCATIONS:
            own = Place(DEFAULT_LOCATIONS[resource.type], "default location, no location input")
        if own is None:
            own = _first(resource.provider or {}, PROVIDER_INPUTS[cloud], "provider")
    if own is None:
        own = _first(settings.stack_config, STACK_CONFIG_KEYS[cloud], "stack config")
    return [own] if own is not None else []


def _allowed(settings: Settings) -> set[str]:
    allowed = {r.strip().lower() for r in settings.allowed_regions or EU_REGIONS if isinstance(r, str)}
    if settings.allow_adequacy_regions:
        allowed |= {r.lower() for r in ADEQUACY_REGIONS}
    return allowed


@rule(
    "data-residency",
    control="data-residency",
    severity="high",
    types=DATA_RESIDENCY_TYPES,
    remediation="Move the resource to an EU/EEA region, or allow adequacy regions (allowAdequacyRegions) or list "
    "the allowed regions (allowedRegions) in the pack config.",
    parameters=("allowedRegions", "allowAdequacyRegions"),
    frameworks=("gdpr",),
)
def data_residency(resource: Resource, settings: Settings) -> Iterator[str]:
    """Data stores, compute and providers that may hold personal data are in an allowed region (EU/EEA by default)."""
    if resource.type in DATA and (kind := classification(resource)) in EXEMPT_CLASSES:
        raise NotApplicable(f"classified {kind}: no personal data")
    # Each place is judged on its own: an unknown replica or node zone hides no other place's violation.
    more = DATA[resource.type].more if resource.type in DATA else ()
    parts = [
        partial(_own_places, resource, settings),
        partial(_unbounded, resource),
        *(partial(_further, resource, resource.props, path.split("."), "", settings) for path in more),
    ]
    yield from judge_each(parts, lambda _, part: part())


def _own_places(resource: Resource, settings: Settings) -> Iterator[str]:
    if resource.type == GCS_BUCKET:
        # A configurable dual-region bucket stores its data in exactly these regions, each judged on its own; only
        # when it names none (all known) does the bucket's own location decide.
        config = mapping(resource.props.get("customPlacementConfig"))
        data_locations = one_or_many(config.get("dataLocations"))
        named: list[str] = []
        yield from judge_each(data_locations, lambda _, d: _data_location(resource, d, named, settings))
        if named:
            return
    for place in places(resource, settings):
        message = _outside(resource, place, settings)
        if message:
            yield message


def _data_location(resource: Resource, value: Any, named: list[str], settings: Settings) -> Iterator[str]:
    if isinstance(value, str) and value.strip():
        named.append(value.strip())
        message = _outside(resource, Place(value.strip(), "customPlacementConfig.dataLocations"), settings)
        if message:
            yield message


def _unbounded(resource: Resource) -> Iterator[str]:
    unbounded = UNBOUNDED.get(resource.type)
    if unbounded is None:
        return
    value: Any = resource.props
    for key in unbounded.path:
        value = mapping(value).get(key)
    if (value is not None) == unbounded.when_given:
        yield (
            f"{label(resource)} may store data in any region ({unbounded.why}), outside the allowed regions for "
            "personal data"
        )


def _further(resource: Resource, value: Any, steps: list[str], shown: str, settings: Settings) -> Iterator[str]:
    """The violations of the places at `steps` under `value`, each list item judged on its own."""
    if not steps:
        if isinstance(value, str) and value.strip():
            message = _outside(resource, Place(value.strip(), shown), settings)
            if message:
                yield message
        return
    head, rest = steps[0], steps[1:]
    if head == "[]":
        # Only a list has items; each is judged on its own (an unknown one hides no other).
        things = value if isinstance(value, Sequence) and not isinstance(value, str | bytes) else ()
        yield from judge_each(things, lambda i, item: _further(resource, item, rest, f"{shown}[{i}]", settings))
    else:
        yield from _further(resource, mapping(value).get(head), rest, f"{shown}.{head}" if shown else head, settings)


def _outside(resource: Resource, place: Place, settings: Settings, lead: str = "") -> str | None:
    """The violation of one place, or None when it is allowed; `lead` says whose place it is (default: the
    resource's own, "<label> is in")."""
    region = region_of_zone(place.location)
    if region in _allowed(settings):
        return None
    is_zone = region != place.location.lower()
    shown = region if is_zone else place.location
    source = f"{place.source} {place.location}" if is_zone else place.source
    lead = lead or f"{label(resource)} is in"
    message = f"{lead} {shown} ({source}), outside the allowed regions for personal data"
    country = adequacy_country(region)
    if country and not settings.allow_adequacy_regions:
        message += (
            f"; {region} is in an adequacy-decision country ({country}): setting allowAdequacyRegions would allow it"
        )
    return message


# =============================================================================================================
# S3 replication: where the copies go
# =============================================================================================================

# The SDK (rules[].destination.bucket): "ARN of the bucket where you want Amazon S3 to store the results" - an S3 ARN
# names a bucket, not its region (arn:<partition>:s3:::<name>), so the region is the destination bucket's, read as
# the data-residency rule reads it; rules[].status: "The rule is ignored if status is not "Enabled"".
_S3_BUCKET_ARN = re.compile(r"arn:[^:]+:s3:::(?P<name>[^/]+)")


def _linked_buckets(config: Resource, stack: Stack, key: str) -> list[Resource]:
    """The buckets of the stack the config's input `key` was computed from (the engine's property dependency)."""
    urns = set(config.dependencies.get(key, ()))
    return [bucket for bucket in stack.of_type(BUCKET) if bucket.urn in urns]


def _names(bucket: Resource, name: str) -> bool:
    # A bucket whose own name is unknown at preview is not taken for a match.
    try:
        return names_bucket(bucket, name)
    except UnknownValueError:
        return False


def _source_exempt(config: Resource, stack: Stack) -> str | None:
    """The classification of the replicated (source) bucket when it holds no personal data (internal, public); None
    when it may, or when the source is not in the stack (its data is judged as personal: fail closed)."""
    sources = _linked_buckets(config, stack, "bucket")
    if not sources:
        name = config.props.get("bucket")
        sources = [b for b in stack.of_type(BUCKET) if isinstance(name, str) and _names(b, name)]
    for source in sources:
        if (kind := classification(source)) in EXEMPT_CLASSES:
            return kind
    return None


def _destination(config: Resource, stack: Stack, rules: Sequence[Any], replication_rule: Mapping[str, Any]) -> Resource:
    """The bucket of the stack a replication rule sends its copies to: the one its destination ARN names, or, for a
    configuration of one rule, the one bucket its `rules` were computed from (an ARN unknown at preview, an
    auto-named bucket). CannotJudge when there is none: a bucket outside the stack shows no region."""
    linked = _linked_buckets(config, stack, "rules")
    only = linked[0] if len(rules) == 1 and len(linked) == 1 else None
    try:
        arn = mapping(replication_rule.get("destination")).get("bucket")
    except UnknownValueError:
        if only is None:
            raise
        return only
    match = _S3_BUCKET_ARN.fullmatch(arn.strip()) if isinstance(arn, str) else None
    if match is not None:
        for bucket in linked or stack.of_type(BUCKET):
            if _names(bucket, match["name"]):
                return bucket
    if only is not None:
        return only
    raise CannotJudge(f"its destination bucket {shown_value(arn)} is not in the stack: its region cannot be seen")


@rule(
    "s3-replication-destination-residency",
    control="data-residency",
    severity="high",
    types=(REPLICATION, *BUCKET),
    remediation="Replicate only to buckets in EU/EEA regions (or the regions the pack config allows), defined in the "
    "same stack so their region can be seen.",
    scope="stack",
    subjects=(REPLICATION,),
    parameters=("allowedRegions", "allowAdequacyRegions"),
    frameworks=("gdpr",),
)
def s3_replication_destination_residency(config: Resource, stack: Stack, settings: Settings) -> Iterator[str]:
    """S3 replication copies personal data only to buckets in allowed regions (EU/EEA by default)."""
    if (kind := _source_exempt(config, stack)) is not None:
        raise NotApplicable(f"its source bucket is classified {kind}: no personal data")
    rules = listed(config.props.get("rules"))
    # Each rule on its own: an unknown destination hides no other rule's violation.
    yield from judge_each(rules, lambda i, r: _replicates_outside(config, stack, rules, i, mapping(r), settings))


def _replicates_outside(
    config: Resource,
    stack: Stack,
    rules: Sequence[Any],
    index: int,
    replication_rule: Mapping[str, Any],
    settings: Settings,
) -> Iterator[str]:
    if replication_rule.get("status") != "Enabled":
        return
    destination = _destination(config, stack, rules, replication_rule)
    found = places(destination, settings)
    if not found:
        raise CannotJudge(f"its destination {label(destination)} has no region anywhere")
    lead = f"{label(config)} rules[{index}] replicates to {label(destination)}, which is in"
    for place in found:
        message = _outside(destination, place, settings, lead)
        if message:
            yield message
