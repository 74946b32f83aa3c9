"""AWS data stores beyond buckets, volumes and file systems: RDS, DynamoDB, ElastiCache, MemoryDB, OpenSearch, FSx for
Lustre, ECR, Secrets Manager, SQS, SNS and Backup vaults.

Controls: encryption-at-rest, encryption-in-transit, no-public-access. (Their records of processing and deletion
protection are judged with the GCP stores in cross_cloud.py, their region in residency.py, RDS and DynamoDB backups
in backup.py; EC2 instances in compute.py.)

Every property and enum value here is read from pulumi-aws v7's SDK (the resource's `*Args` and its module's
`_inputs.py`; the quotes are the SDK's docstrings). Independent properties, and the items of a list, are judged each
on its own (rule.judge_apart, rule.judge_each): a value unknown at preview in one hides no violation in another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any, NamedTuple

from llmops_infra.policies.runtime.controls import (
    AWS_SECRET,
    BACKUP_VAULT,
    DYNAMODB_TABLE,
    ECR,
    ELASTICACHE,
    FSX_LUSTRE,
    MEMORYDB,
    OPENSEARCH,
    RDS_CLUSTER,
    RDS_INSTANCE,
    SNS,
    SQS,
)
from llmops_infra.policies.runtime.props import is_customer_key, is_true, listed, mapping, named, nested, shown, word
from llmops_infra.policies.runtime.resources import label
from llmops_infra.policies.runtime.rule import Resource, Settings, judge_apart, judge_each, rule

RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"


def _state(value: Any) -> str:
    """A value for a message: as written, or "unset"."""
    return "unset" if value is None else shown(value)


# =============================================================================================================
# encryption-at-rest
# =============================================================================================================


class AtRest(NamedTuple):
    key: tuple[str, ...]  # the input path of the store's KMS key
    switch: tuple[str, ...] = ()  # the input path of the flag that turns KMS encryption on, when it has one
    replicas: str = ""  # a list of replicas (an input), each naming its own key under the key's last name


# Where each store turns KMS encryption on and names its key; an AWS-managed key (alias/aws/<service>) or none at
# all is not a customer-managed key. From the SDK:
# - RDS instance storageEncrypted: "The default is `false` if not specified"; kmsKeyId: "ARN for the KMS encryption
#   key". RDS cluster storageEncrypted: "The default is `false` for `provisioned` `engine_mode` and `true` for
#   `serverless`", and "When specifying `kms_key_id`, `storage_encrypted` needs to be set to true".
# - DynamoDB serverSideEncryption: "AWS DynamoDB tables are automatically encrypted at rest with an AWS-owned
#   Customer Master Key if this argument isn't specified"; with `enabled` true and no kmsKeyArn, "the _default_
#   KMS-_managed_ key"; each replica's kmsKeyArn likewise ("different from the default KMS-managed DynamoDB key,
#   `alias/aws/dynamodb`").
# - ElastiCache atRestEncryptionEnabled: "When `engine` is `redis`, default is `false`. When `engine` is `valkey`,
#   default is `true`"; kmsKeyId: "If not supplied, uses service managed encryption."
# - MemoryDB kmsKeyArn: "ARN of the KMS key used to encrypt the cluster at rest."
# - OpenSearch encryptAtRest.enabled: "If the `encrypt_at_rest` block is not provided then this defaults to
#   `false`"; kmsKeyId: "If not specified then it defaults to using the `aws/es` service KMS key."
# - FSx for Lustre kmsKeyId: "applicable for `PERSISTENT_1` and `PERSISTENT_2` deployment_type. Defaults to an AWS
#   managed KMS Key" (a SCRATCH file system cannot take one).
# - Secrets Manager kmsKeyId: "If you don't specify this value, then Secrets Manager defaults to using the AWS
#   account's default KMS key (the one named `aws/secretsmanager`)"; each replica's kmsKeyId the same "in the region".
# - SQS and SNS kmsMasterKeyId: "ID of an AWS-managed customer master key (CMK) for Amazon SQS or a custom CMK" (the
#   AWS-managed one is alias/aws/sqs, alias/aws/sns); SQS sqsManagedSseEnabled encrypts "with SQS-owned encryption
#   keys", not a customer-managed key, so it does not count.
# - Backup vault kmsKeyArn: "Server-side encryption key that is used to protect your backups."
AT_REST: dict[str, AtRest] = {
    RDS_INSTANCE: AtRest(("kmsKeyId",), ("storageEncrypted",)),
    RDS_CLUSTER: AtRest(("kmsKeyId",), ("storageEncrypted",)),
    DYNAMODB_TABLE: AtRest(("serverSideEncryption", "kmsKeyArn"), ("serverSideEncryption", "enabled"), "replicas"),
    ELASTICACHE: AtRest(("kmsKeyId",), ("atRestEncryptionEnabled",)),
    MEMORYDB: AtRest(("kmsKeyArn",)),
    OPENSEARCH: AtRest(("encryptAtRest", "kmsKeyId"), ("encryptAtRest", "enabled")),
    FSX_LUSTRE: AtRest(("kmsKeyId",)),
    AWS_SECRET: AtRest(("kmsKeyId",), replicas="replicas"),
    SQS: AtRest(("kmsMasterKeyId",)),
    SNS: AtRest(("kmsMasterKeyId",)),
    BACKUP_VAULT: AtRest(("kmsKeyArn",)),
}


def _rds_replica(props: Mapping[str, Any], value: Any) -> bool:
    # The SDK (storageEncrypted): "if you are creating a cross-region read replica this field is ignored and you
    # should instead declare `kms_key_id`"; a replica in the source's region is encrypted as its source is.
    return named(props.get("replicateSourceDb"))


def _valkey(props: Mapping[str, Any], value: Any) -> bool:
    # Unset atRestEncryptionEnabled is true for engine valkey (the SDK; engine: "Default is `redis`").
    return value is None and word(props.get("engine")) == "VALKEY"


# A switch that is not true, and still encrypts or does not apply: read only then.
SWITCH_NEEDLESS: dict[str, Callable[[Mapping[str, Any], Any], bool]] = {
    RDS_INSTANCE: _rds_replica,
    ELASTICACHE: _valkey,
}


@rule(
    "aws-data-store-kms-encrypted",
    control="encryption-at-rest",
    severity="high",
    types=tuple(AT_REST),
    remediation="Encrypt the store with a customer-managed KMS key: storageEncrypted true and kmsKeyId (RDS), "
    "serverSideEncryption enabled with kmsKeyArn and every replica's kmsKeyArn (DynamoDB), atRestEncryptionEnabled "
    "true and kmsKeyId (ElastiCache), kmsKeyArn (MemoryDB, Backup vault), encryptAtRest enabled with kmsKeyId "
    "(OpenSearch), kmsKeyId (FSx for Lustre, PERSISTENT deployment types; Secrets Manager and every replica's), "
    "kmsMasterKeyId (SQS, SNS); never an alias/aws/... key.",
    frameworks=("hipaa", "gdpr"),
)
def aws_data_store_kms_encrypted(resource: Resource, settings: Settings) -> Iterator[str]:
    """AWS data stores are encrypted at rest with a customer-managed KMS key (their replicas too)."""
    spec = AT_REST[resource.type]
    yield from judge_apart(
        partial(_switch_off, resource, spec),
        partial(_no_customer_key, resource, spec),
        partial(_replica_keys, resource, spec),
    )


def _switch_off(resource: Resource, spec: AtRest) -> Iterator[str]:
    if not spec.switch:
        return
    value = nested(resource.props, *spec.switch)
    if value is True:
        return
    needless = SWITCH_NEEDLESS.get(resource.type)
    if needless is None or not needless(resource.props, value):
        yield f"{label(resource)} does not set {'.'.join(spec.switch)} to true (it is {_state(value)})"


def _no_customer_key(resource: Resource, spec: AtRest) -> Iterator[str]:
    if not is_customer_key(nested(resource.props, *spec.key)):
        yield f"{label(resource)} has no customer-managed {'.'.join(spec.key)}"


def _replica_keys(resource: Resource, spec: AtRest) -> Iterator[str]:
    if not spec.replicas:
        return
    key = spec.key[-1]

    def judge(index: int, replica: Any) -> Iterator[str]:
        if not is_customer_key(mapping(replica).get(key)):
            yield f"{label(resource)} {spec.replicas}[{index}] has no customer-managed {key}"

    yield from judge_each(listed(resource.props.get(spec.replicas)), judge)


# ECR encryptionConfigurations[].encryptionType: "Valid values are `AES256` or `KMS`. Defaults to `AES256`"; kmsKey:
# "The ARN of the KMS key to use when `encryption_type` is `KMS`. If not specified, uses the default AWS managed key
# for ECR."
ECR_KMS = "KMS"


@rule(
    "ecr-repository-kms-encrypted",
    control="encryption-at-rest",
    severity="high",
    types=(ECR,),
    remediation='Set encryptionConfigurations to [{encryptionType: "KMS", kmsKey: <customer-managed key ARN>}].',
    frameworks=("hipaa", "gdpr"),
)
def ecr_repository_kms_encrypted(resource: Resource, settings: Settings) -> Iterator[str]:
    """ECR repositories encrypt their images with a customer-managed KMS key."""
    configurations = listed(resource.props.get("encryptionConfigurations"))
    if not configurations:
        yield f"{label(resource)} has no encryptionConfigurations (AES256 by default), not KMS with a customer key"
    yield from judge_each(configurations, lambda i, c: _ecr_configuration(resource, i, mapping(c)))


def _ecr_configuration(resource: Resource, index: int, configuration: Mapping[str, Any]) -> Iterator[str]:
    where = f"{label(resource)} encryptionConfigurations[{index}]"

    def not_kms() -> Iterator[str]:
        kind = configuration.get("encryptionType")
        if word(kind) != ECR_KMS:
            state = f"is {shown(kind)}" if kind is not None else "is unset (AES256)"
            yield f"{where}.encryptionType {state}, not {ECR_KMS}"

    def no_customer_key() -> Iterator[str]:
        if not is_customer_key(configuration.get("kmsKey")):
            yield f"{where} has no customer-managed kmsKey"

    yield from judge_apart(not_kms, no_customer_key)


# =============================================================================================================
# encryption-in-transit
# =============================================================================================================


class InTransit(NamedTuple):
    path: tuple[str, ...]  # an input path
    holds: Callable[[Any], bool]  # whether its value (None: unset) protects data in transit
    wanted: str  # what it must be, for messages


def _true(value: Any) -> bool:
    return value is True


def _true_or_unset(value: Any) -> bool:
    return value is None or value is True


# OpenSearch: a policy with TLS 1.0 as its minimum. pulumi-aws's elasticsearch module (the same service API) lists
# the valid values: "`Policy-Min-TLS-1-0-2019-07`, `Policy-Min-TLS-1-2-2019-07`, and `Policy-Min-TLS-1-2-PFS-2023-10`".
TLS_1_0_POLICY = "Policy-Min-TLS-1-0-2019-07"

# What each store must set so data in transit is encrypted. From the SDK:
# - ElastiCache transitEncryptionEnabled: "Whether to enable encryption in transit"; transitEncryptionMode: "A
#   setting that enables clients to migrate to in-transit encryption with no downtime. Valid values are `preferred`
#   and `required`" (preferred also accepts clients without TLS: not enforced).
# - MemoryDB tlsEnabled: "Whether to enable in-transit encryption on the cluster. [...] Defaults to `true`."
# - OpenSearch nodeToNodeEncryption.enabled: "If the `node_to_node_encryption` block is not provided then this
#   defaults to `false`"; domainEndpointOptions.enforceHttps: "Whether or not to require HTTPS. Defaults to `true`";
#   domainEndpointOptions.tlsSecurityPolicy: the TLS policy of the HTTPS endpoint (TLS_1_0_POLICY admits TLS 1.0).
IN_TRANSIT: dict[str, tuple[InTransit, ...]] = {
    ELASTICACHE: (
        InTransit(("transitEncryptionEnabled",), _true, "true"),
        InTransit(
            ("transitEncryptionMode",),
            lambda value: value is None or word(value) == "REQUIRED",
            '"required" (preferred also accepts clients without TLS)',
        ),
    ),
    MEMORYDB: (InTransit(("tlsEnabled",), _true_or_unset, "true (its default)"),),
    OPENSEARCH: (
        InTransit(("nodeToNodeEncryption", "enabled"), _true, "true"),
        InTransit(("domainEndpointOptions", "enforceHttps"), _true_or_unset, "true (its default)"),
        InTransit(
            ("domainEndpointOptions", "tlsSecurityPolicy"),
            lambda value: word(value) != TLS_1_0_POLICY.upper(),
            "a TLS 1.2 minimum (Policy-Min-TLS-1-2-2019-07 or Policy-Min-TLS-1-2-PFS-2023-10)",
        ),
    ),
}


@rule(
    "aws-data-store-transit-encryption",
    control="encryption-in-transit",
    severity="high",
    types=tuple(IN_TRANSIT),
    remediation='Set transitEncryptionEnabled true with transitEncryptionMode "required" or unset (ElastiCache), '
    "leave tlsEnabled true (MemoryDB), set nodeToNodeEncryption.enabled true, leave "
    "domainEndpointOptions.enforceHttps true and use a TLS 1.2 tlsSecurityPolicy (OpenSearch).",
    frameworks=("hipaa", "gdpr"),
)
def aws_data_store_transit_encryption(resource: Resource, settings: Settings) -> Iterator[str]:
    """ElastiCache, MemoryDB and OpenSearch accept connections over TLS only and encrypt traffic between nodes."""
    # Each setting on its own: an unknown one hides no other's violation.
    yield from judge_each(IN_TRANSIT[resource.type], lambda _, need: _in_transit(resource, need))


def _in_transit(resource: Resource, need: InTransit) -> Iterator[str]:
    value = nested(resource.props, *need.path)
    if not need.holds(value):
        yield f"{label(resource)} {'.'.join(need.path)} is {_state(value)}, not {need.wanted}"


# =============================================================================================================
# no-public-access
# =============================================================================================================


@rule(
    "rds-not-publicly-accessible",
    control="no-public-access",
    severity="critical",
    types=(RDS_INSTANCE, RDS_CLUSTER_INSTANCE),
    remediation="Leave publiclyAccessible unset or false; reach the database from inside the VPC.",
    frameworks=("hipaa", "gdpr"),
)
def rds_not_publicly_accessible(resource: Resource, settings: Settings) -> Iterator[str]:
    """RDS instances (Aurora cluster instances too) have no publicly accessible endpoint."""
    # The SDK (publiclyAccessible): "Bool to control if instance is publicly accessible. Default is `false`."
    if is_true(resource.props.get("publiclyAccessible")):
        yield f"{label(resource)} sets publiclyAccessible to true"


@rule(
    "opensearch-domain-in-vpc",
    control="no-public-access",
    severity="high",
    types=(OPENSEARCH,),
    remediation="Give the domain vpcOptions with the subnetIds (and securityGroupIds) of private subnets; a domain "
    "without them has a public endpoint.",
    frameworks=("hipaa", "gdpr"),
)
def opensearch_domain_in_vpc(resource: Resource, settings: Settings) -> Iterator[str]:
    """OpenSearch domains are reachable only inside a VPC, not from a public endpoint."""
    # The SDK (vpcOptions.subnetIds): "List of VPC Subnet IDs for the OpenSearch domain endpoints to be created in";
    # without vpcOptions the domain endpoint is public, guarded only by its access policy.
    options = resource.props.get("vpcOptions")
    if options is None:
        yield f"{label(resource)} has no vpcOptions, so its endpoint is public"
    elif not listed(mapping(options).get("subnetIds")):
        yield f"{label(resource)} vpcOptions names no subnetIds, so its endpoint is not in a VPC"
