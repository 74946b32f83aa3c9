"""AWS data stores and EC2 instances (policies/rules/aws/data_stores.py, compute.py).

One compliant baseline per resource type (BASELINES, compliant for every rule of these modules that judges the
type) and one table of cases (tests/rule_judging.py): each change makes exactly one violation naming the subject
and the property, each unknown value none. Then what the tables cannot say: list items judged one by one, the
defaults the SDK documents, and the SDK names.
"""

from __future__ import annotations

import pathlib
import re
from typing import Any

import pulumi_aws
import pytest
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

from llmops_infra.policies.rules.aws import compute, data_stores
from llmops_infra.policies.runtime.rule import RULES, evaluate
from llmops_infra.policies.runtime.verdicts import judge_stack
from tests.rule_judging import (
    DELETE,
    SUBJECT,
    Case,
    Path,
    changed,
    resource,
    stack_violations,
)

KEY = "arn:aws:kms:eu-central-1:123456789012:key/0f6c1d2e-1111-2222-3333-444455556666"
KEY_WEST = "arn:aws:kms:eu-west-1:123456789012:key/7a8b9c0d-1111-2222-3333-444455556666"
TAGS = {"owner": "ml-platform", "purpose": "rag-index", "data-classification": "phi"}

RDS = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
DYNAMODB = "aws:dynamodb/table:Table"
ELASTICACHE = "aws:elasticache/replicationGroup:ReplicationGroup"
MEMORYDB = "aws:memorydb/cluster:Cluster"
OPENSEARCH = "aws:opensearch/domain:Domain"
FSX = "aws:fsx/lustreFileSystem:LustreFileSystem"
ECR = "aws:ecr/repository:Repository"
SECRET = "aws:secretsmanager/secret:Secret"
SQS = "aws:sqs/queue:Queue"
SNS = "aws:sns/topic:Topic"
VAULT = "aws:backup/vault:Vault"
INSTANCE = "aws:ec2/instance:Instance"
SUBNET = "aws:ec2/subnet:Subnet"

MODULES = (data_stores.__name__, compute.__name__)
RULE_NAMES = sorted(n for n, r in RULES.items() if r.check.__module__ in MODULES)

BASELINES: dict[str, dict[str, Any]] = {
    RDS: {
        "engine": "postgres",
        "instanceClass": "db.r6g.large",
        "storageEncrypted": True,
        "kmsKeyId": KEY,
        "publiclyAccessible": False,
        "tags": TAGS,
    },
    RDS_CLUSTER: {"engine": "aurora-postgresql", "storageEncrypted": True, "kmsKeyId": KEY, "tags": TAGS},
    RDS_CLUSTER_INSTANCE: {
        "clusterIdentifier": "rag",
        "engine": "aurora-postgresql",
        "instanceClass": "db.r6g.large",
        "publiclyAccessible": False,
    },
    DYNAMODB: {
        "hashKey": "id",
        "attributes": [{"name": "id", "type": "S"}],
        "serverSideEncryption": {"enabled": True, "kmsKeyArn": KEY},
        "replicas": [
            {"regionName": "eu-west-1", "kmsKeyArn": KEY_WEST},
            {"regionName": "eu-north-1", "kmsKeyArn": KEY},
        ],
        "tags": TAGS,
    },
    ELASTICACHE: {
        "description": "session cache",
        "engine": "redis",
        "nodeType": "cache.r7g.large",
        "atRestEncryptionEnabled": True,
        "kmsKeyId": KEY,
        "transitEncryptionEnabled": True,
        "transitEncryptionMode": "required",
        "tags": TAGS,
    },
    MEMORYDB: {"aclName": "rag", "nodeType": "db.r7g.large", "kmsKeyArn": KEY, "tlsEnabled": True, "tags": TAGS},
    OPENSEARCH: {
        "engineVersion": "OpenSearch_2.13",
        "encryptAtRest": {"enabled": True, "kmsKeyId": KEY},
        "nodeToNodeEncryption": {"enabled": True},
        "domainEndpointOptions": {"enforceHttps": True, "tlsSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10"},
        "vpcOptions": {"subnetIds": ["subnet-a", "subnet-b"], "securityGroupIds": ["sg-search"]},
        "tags": TAGS,
    },
    FSX: {"storageCapacity": 1200, "subnetIds": "subnet-a", "deploymentType": "PERSISTENT_2", "kmsKeyId": KEY},
    ECR: {"name": "models", "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": KEY}]},
    SECRET: {"name": "hf-token", "kmsKeyId": KEY, "replicas": [{"region": "eu-west-1", "kmsKeyId": KEY_WEST}]},
    SQS: {"name": "ingest", "kmsMasterKeyId": KEY},
    SNS: {"name": "alerts", "kmsMasterKeyId": KEY},
    VAULT: {"name": "phi", "kmsKeyArn": KEY},
    INSTANCE: {
        "ami": "ami-0a1b2c3d4e5f",
        "instanceType": "g5.xlarge",
        "subnetId": "subnet-0private",
        "associatePublicIpAddress": False,
        "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required"},
        "rootBlockDevice": {"encrypted": True, "kmsKeyId": KEY, "volumeSize": 100},
        "ebsBlockDevices": [
            {"deviceName": "/dev/sdf", "encrypted": True, "kmsKeyId": KEY, "volumeSize": 500},
            {"deviceName": "/dev/sdg", "encrypted": True, "kmsKeyId": KEY, "volumeSize": 500},
        ],
        "tags": TAGS,
    },
}
PRIVATE_SUBNET = {"vpcId": "vpc-1", "cidrBlock": "10.0.1.0/24", "mapPublicIpOnLaunch": False}


def case(rule: str, type_: str, changes: list[Any], unknowns: list[Any], **more: Any) -> Case:
    return Case(rule, type_, BASELINES[type_], changes, unknowns, **more)


def at_rest(type_: str, kind: str, managed_alias: str, **more: Any) -> Case:
    """aws-data-store-kms-encrypted on `type_` (`kind`: how messages name it): its key removed or an AWS-managed
    alias, its switch off or unset, a replica without its own key; and each of them unknown."""
    spec = data_stores.AT_REST[type_]
    key = ".".join(spec.key)
    changes: list[Any] = [
        (spec.key, DELETE, f"{kind} subject has no customer-managed {key}"),
        (spec.key, managed_alias, f"has no customer-managed {key}"),
        (spec.key, f"arn:aws:kms:eu-central-1:123456789012:{managed_alias}", f"has no customer-managed {key}"),
    ]
    unknowns: list[Any] = [(spec.key, UNKNOWN_STRING_VALUE)]
    if spec.switch:
        switch = ".".join(spec.switch)
        changes += [
            (spec.switch, False, f"{kind} subject does not set {switch} to true (it is false)"),
            (spec.switch, DELETE, f"does not set {switch} to true (it is unset)"),
        ]
        unknowns += [(spec.switch, UNKNOWN_BOOLEAN_VALUE)]
        if len(spec.switch) > 1:
            unknowns += [(spec.switch[:1], UNKNOWN_OBJECT_VALUE)]
    if spec.replicas:
        last = spec.key[-1]
        changes += [
            ((spec.replicas, 0, last), DELETE, f"{kind} subject replicas[0] has no customer-managed {last}"),
            ((spec.replicas, 0, last), managed_alias, f"replicas[0] has no customer-managed {last}"),
        ]
        unknowns += [
            ((spec.replicas,), UNKNOWN_ARRAY_VALUE),
            ((spec.replicas, 0), UNKNOWN_OBJECT_VALUE),
            ((spec.replicas, 0, last), UNKNOWN_STRING_VALUE),
        ]
    return case("aws-data-store-kms-encrypted", type_, changes, unknowns, **more)


ROOT = ("rootBlockDevice",)
EBS = ("ebsBlockDevices",)
TOKENS = ("metadataOptions", "httpTokens")
CASES = [
    # encryption-at-rest
    at_rest(RDS, "RDS instance", "alias/aws/rds"),
    at_rest(RDS_CLUSTER, "RDS cluster", "alias/aws/rds"),
    at_rest(DYNAMODB, "DynamoDB table", "alias/aws/dynamodb"),
    # Unset atRestEncryptionEnabled is off for engine redis, on for valkey: the engine decides it.
    at_rest(ELASTICACHE, "ElastiCache replication group", "alias/aws/elasticache", needs=[("engine",)]),
    at_rest(MEMORYDB, "MemoryDB cluster", "alias/aws/memorydb"),
    at_rest(OPENSEARCH, "OpenSearch domain", "alias/aws/es"),
    at_rest(FSX, "FSx for Lustre file system", "alias/aws/fsx"),
    at_rest(SECRET, "Secrets Manager secret", "alias/aws/secretsmanager"),
    at_rest(SQS, "SQS queue", "alias/aws/sqs"),
    at_rest(SNS, "SNS topic", "alias/aws/sns"),
    at_rest(VAULT, "Backup vault", "alias/aws/backup"),
    case(
        "ecr-repository-kms-encrypted",
        ECR,
        [
            (("encryptionConfigurations",), DELETE, "ECR repository subject has no encryptionConfigurations (AES256"),
            (("encryptionConfigurations",), [], "has no encryptionConfigurations"),
            (
                ("encryptionConfigurations", 0, "encryptionType"),
                "AES256",
                'encryptionConfigurations[0].encryptionType is "AES256", not KMS',
            ),
            (("encryptionConfigurations", 0, "encryptionType"), DELETE, "encryptionType is unset (AES256), not KMS"),
            (("encryptionConfigurations", 0, "kmsKey"), DELETE, "encryptionConfigurations[0] has no customer-managed"),
            (("encryptionConfigurations", 0, "kmsKey"), "alias/aws/ecr", "has no customer-managed kmsKey"),
        ],
        [
            (("encryptionConfigurations",), UNKNOWN_ARRAY_VALUE),
            (("encryptionConfigurations", 0), UNKNOWN_OBJECT_VALUE),
            (("encryptionConfigurations", 0, "encryptionType"), UNKNOWN_STRING_VALUE),
            (("encryptionConfigurations", 0, "kmsKey"), UNKNOWN_STRING_VALUE),
        ],
    ),
    case(
        "ec2-instance-ebs-kms-encrypted",
        INSTANCE,
        [
            (ROOT, DELETE, "EC2 instance subject has no rootBlockDevice"),
            ((*ROOT, "encrypted"), False, "rootBlockDevice is not encrypted (encrypted is not true)"),
            ((*ROOT, "encrypted"), DELETE, "rootBlockDevice is not encrypted"),
            ((*ROOT, "kmsKeyId"), "alias/aws/ebs", "rootBlockDevice has no customer-managed kmsKeyId"),
            ((*EBS, 1, "encrypted"), DELETE, "ebsBlockDevices[1] is not encrypted (encrypted is not true)"),
            ((*EBS, 0, "kmsKeyId"), DELETE, "ebsBlockDevices[0] has no customer-managed kmsKeyId"),
        ],
        [
            (ROOT, UNKNOWN_OBJECT_VALUE),
            ((*ROOT, "encrypted"), UNKNOWN_BOOLEAN_VALUE),
            ((*ROOT, "kmsKeyId"), UNKNOWN_STRING_VALUE),
            (EBS, UNKNOWN_ARRAY_VALUE),
            ((*EBS, 0), UNKNOWN_OBJECT_VALUE),
            ((*EBS, 1, "kmsKeyId"), UNKNOWN_STRING_VALUE),
        ],
    ),
    # encryption-in-transit
    case(
        "aws-data-store-transit-encryption",
        ELASTICACHE,
        [
            (("transitEncryptionEnabled",), False, "group subject transitEncryptionEnabled is false, not true"),
            (("transitEncryptionEnabled",), DELETE, "transitEncryptionEnabled is unset, not true"),
            (("transitEncryptionMode",), "preferred", 'transitEncryptionMode is "preferred", not "required"'),
        ],
        [(("transitEncryptionEnabled",), UNKNOWN_BOOLEAN_VALUE), (("transitEncryptionMode",), UNKNOWN_STRING_VALUE)],
    ),
    case(
        "aws-data-store-transit-encryption",
        MEMORYDB,
        [(("tlsEnabled",), False, "MemoryDB cluster subject tlsEnabled is false, not true (its default)")],
        [(("tlsEnabled",), UNKNOWN_BOOLEAN_VALUE)],
    ),
    case(
        "aws-data-store-transit-encryption",
        OPENSEARCH,
        [
            (("nodeToNodeEncryption", "enabled"), False, "domain subject nodeToNodeEncryption.enabled is false"),
            (("nodeToNodeEncryption",), DELETE, "nodeToNodeEncryption.enabled is unset, not true"),
            (("domainEndpointOptions", "enforceHttps"), False, "domainEndpointOptions.enforceHttps is false, not"),
            (
                ("domainEndpointOptions", "tlsSecurityPolicy"),
                "Policy-Min-TLS-1-0-2019-07",
                'tlsSecurityPolicy is "Policy-Min-TLS-1-0-2019-07", not a TLS 1.2 minimum',
            ),
        ],
        [
            (("nodeToNodeEncryption",), UNKNOWN_OBJECT_VALUE),
            (("nodeToNodeEncryption", "enabled"), UNKNOWN_BOOLEAN_VALUE),
            (("domainEndpointOptions",), UNKNOWN_OBJECT_VALUE),
            (("domainEndpointOptions", "enforceHttps"), UNKNOWN_BOOLEAN_VALUE),
            (("domainEndpointOptions", "tlsSecurityPolicy"), UNKNOWN_STRING_VALUE),
        ],
    ),
    # no-public-access
    case(
        "rds-not-publicly-accessible",
        RDS,
        [
            (("publiclyAccessible",), True, "RDS instance subject sets publiclyAccessible to true"),
            (("publiclyAccessible",), "true", "sets publiclyAccessible to true"),
        ],
        [(("publiclyAccessible",), UNKNOWN_BOOLEAN_VALUE)],
    ),
    case(
        "rds-not-publicly-accessible",
        RDS_CLUSTER_INSTANCE,
        [(("publiclyAccessible",), True, "RDS cluster instance subject sets publiclyAccessible to true")],
        [(("publiclyAccessible",), UNKNOWN_BOOLEAN_VALUE)],
    ),
    case(
        "opensearch-domain-in-vpc",
        OPENSEARCH,
        [
            (("vpcOptions",), DELETE, "OpenSearch domain subject has no vpcOptions, so its endpoint is public"),
            (("vpcOptions", "subnetIds"), [], "vpcOptions names no subnetIds, so its endpoint is not in a VPC"),
            (("vpcOptions", "subnetIds"), DELETE, "vpcOptions names no subnetIds"),
        ],
        [(("vpcOptions",), UNKNOWN_OBJECT_VALUE), (("vpcOptions", "subnetIds"), UNKNOWN_ARRAY_VALUE)],
    ),
    # An instance and the subnet of the stack its subnetId was computed from.
    case(
        "ec2-instance-no-public-ip",
        INSTANCE,
        [((SUBJECT, "associatePublicIpAddress"), True, "EC2 instance subject sets associatePublicIpAddress to true")],
        [((SUBJECT, "associatePublicIpAddress"), UNKNOWN_BOOLEAN_VALUE)],
        companions={"private": (SUBNET, PRIVATE_SUBNET)},
        links={SUBJECT: {"subnetId": ["private"]}},
    ),
    case(
        "ec2-instance-no-public-ip",
        INSTANCE,
        [
            (
                ("private", "mapPublicIpOnLaunch"),
                True,
                "subject leaves associatePublicIpAddress unset and its subnet private sets mapPublicIpOnLaunch to true",
            ),
        ],
        [(("private", "mapPublicIpOnLaunch"), UNKNOWN_BOOLEAN_VALUE)],
        first=[((SUBJECT, "associatePublicIpAddress"), DELETE)],
        companions={"private": (SUBNET, PRIVATE_SUBNET)},
        links={SUBJECT: {"subnetId": ["private"]}},
        id="ec2-instance-no-public-ip-subnet-of-the-stack",
    ),
    case(
        "ec2-instance-no-public-ip",
        INSTANCE,
        [
            (
                (SUBJECT, "subnetId"),
                "subnet-0elsewhere",
                'subnetId "subnet-0elsewhere" is not a subnet of the stack, so whether that subnet maps public IPs',
            ),
            ((SUBJECT, "subnetId"), DELETE, "leaves associatePublicIpAddress unset and names no subnetId"),
        ],
        [((SUBJECT, "subnetId"), UNKNOWN_STRING_VALUE)],
        first=[((SUBJECT, "associatePublicIpAddress"), DELETE)],
        id="ec2-instance-no-public-ip-subnet-elsewhere",
    ),
    # least-privilege
    case(
        "ec2-instance-imdsv2",
        INSTANCE,
        [
            (TOKENS, "optional", 'EC2 instance subject metadataOptions.httpTokens is "optional", not "required"'),
            (TOKENS, DELETE, 'metadataOptions.httpTokens is unset, not "required" (IMDSv1 is allowed)'),
        ],
        [(TOKENS, UNKNOWN_STRING_VALUE), (("metadataOptions",), UNKNOWN_OBJECT_VALUE)],
        # Tokens not required: only a metadata service turned off would make up for it.
        needs=[("metadataOptions", "httpEndpoint")],
    ),
    case(
        "ec2-instance-imdsv2",
        INSTANCE,
        [(("metadataOptions",), DELETE, 'metadataOptions.httpTokens is unset, not "required"')],
        [(("metadataOptions",), UNKNOWN_OBJECT_VALUE)],
        id="ec2-instance-imdsv2-no-options",
    ),
]


def _judged_types(name: str) -> tuple[str, ...]:
    rule = RULES[name]
    return rule.subjects if rule.scope == "stack" else rule.resource_types


def test_every_rule_and_type_it_judges_has_a_case_with_changes_and_unknowns():
    assert len(RULE_NAMES) == 8
    assert {(c.rule, c.type) for c in CASES} == {(n, t) for n in RULE_NAMES for t in _judged_types(n)}
    assert {c.rule for c in CASES if c.changes} == {c.rule for c in CASES if c.unknowns} == set(RULE_NAMES)
    assert {t for n in RULE_NAMES for t in _judged_types(n)} == set(BASELINES)


def test_every_rule_is_in_both_packs_with_a_description():
    for name in RULE_NAMES:
        assert RULES[name].frameworks == ("hipaa", "gdpr")
        assert RULES[name].description and not RULES[name].description.startswith(name)


def judge(rule_name: str, type_: str, props: dict[str, Any]) -> list[str]:
    return evaluate(RULES[rule_name], resource(type_, props))


def _with(type_: str, *changes: tuple[Path, Any]) -> dict[str, Any]:
    props = BASELINES[type_]
    for path, value in changes:
        props = changed(props, path, value)
    return props


# ---- list items and properties judged one by one --------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule_name", "type_", "changes"),
    [
        (
            "aws-data-store-kms-encrypted",
            DYNAMODB,
            [(("replicas", 0), UNKNOWN_OBJECT_VALUE), (("replicas", 1, "kmsKeyArn"), DELETE)],
        ),
        (
            "aws-data-store-kms-encrypted",
            DYNAMODB,
            [(("replicas",), UNKNOWN_ARRAY_VALUE), (("serverSideEncryption", "kmsKeyArn"), DELETE)],
        ),
        (
            "aws-data-store-kms-encrypted",
            RDS,
            [(("kmsKeyId",), UNKNOWN_STRING_VALUE), (("storageEncrypted",), False)],
        ),
        (
            "aws-data-store-kms-encrypted",
            ELASTICACHE,
            [(("engine",), UNKNOWN_STRING_VALUE), (("atRestEncryptionEnabled",), DELETE), (("kmsKeyId",), DELETE)],
        ),
        (
            "ecr-repository-kms-encrypted",
            ECR,
            [(("encryptionConfigurations", 0, "encryptionType"), UNKNOWN_STRING_VALUE)]
            + [(("encryptionConfigurations", 0, "kmsKey"), DELETE)],
        ),
        (
            "ec2-instance-ebs-kms-encrypted",
            INSTANCE,
            [((*EBS, 0), UNKNOWN_OBJECT_VALUE), ((*EBS, 1, "kmsKeyId"), DELETE)],
        ),
        ("ec2-instance-ebs-kms-encrypted", INSTANCE, [(ROOT, UNKNOWN_OBJECT_VALUE), ((*EBS, 1, "encrypted"), False)]),
        (
            "aws-data-store-transit-encryption",
            OPENSEARCH,
            [(("domainEndpointOptions",), UNKNOWN_OBJECT_VALUE), (("nodeToNodeEncryption", "enabled"), False)],
        ),
        (
            "aws-data-store-transit-encryption",
            ELASTICACHE,
            [(("transitEncryptionEnabled",), UNKNOWN_BOOLEAN_VALUE), (("transitEncryptionMode",), "preferred")],
        ),
    ],
    ids=["replica", "replicas", "rds-key", "valkey-engine", "ecr-type", "ebs-device", "root-device", "tls", "mode"],
)
def test_an_unknown_value_hides_no_known_violation_elsewhere(rule_name: str, type_: str, changes: list[Any]) -> None:
    assert len(judge(rule_name, type_, _with(type_, *changes))) == 1


# ---- defaults and exceptions the SDK documents ----------------------------------------------------------------


def test_elasticache_valkey_encrypts_at_rest_unless_told_not_to():
    valkey = _with(ELASTICACHE, (("engine",), "valkey"), (("atRestEncryptionEnabled",), DELETE))
    assert judge("aws-data-store-kms-encrypted", ELASTICACHE, valkey) == []
    off = changed(valkey, ("atRestEncryptionEnabled",), False)
    assert judge("aws-data-store-kms-encrypted", ELASTICACHE, off) == [
        "ElastiCache replication group subject does not set atRestEncryptionEnabled to true (it is false)"
    ]
    # No engine is redis, whose default is off.
    redis = changed(valkey, ("engine",), DELETE)
    assert len(judge("aws-data-store-kms-encrypted", ELASTICACHE, redis)) == 1


def test_an_rds_read_replica_needs_a_customer_key_but_not_storage_encrypted():
    replica = _with(RDS, (("storageEncrypted",), DELETE), (("replicateSourceDb",), "arn:aws:rds:eu-west-1:1:db:src"))
    assert judge("aws-data-store-kms-encrypted", RDS, replica) == []
    assert judge("aws-data-store-kms-encrypted", RDS, changed(replica, ("kmsKeyId",), DELETE)) == [
        "RDS instance subject has no customer-managed kmsKeyId"
    ]


def test_dynamodb_without_server_side_encryption_uses_an_aws_owned_key():
    props = _with(DYNAMODB, (("serverSideEncryption",), DELETE))
    assert judge("aws-data-store-kms-encrypted", DYNAMODB, props) == [
        "DynamoDB table subject does not set serverSideEncryption.enabled to true (it is unset)",
        "DynamoDB table subject has no customer-managed serverSideEncryption.kmsKeyArn",
    ]


def test_sqs_managed_sse_is_not_a_customer_managed_key():
    props = _with(SQS, (("kmsMasterKeyId",), DELETE), (("sqsManagedSseEnabled",), True))
    assert judge("aws-data-store-kms-encrypted", SQS, props) == [
        "SQS queue subject has no customer-managed kmsMasterKeyId"
    ]


def test_a_key_id_or_customer_alias_is_a_customer_key():
    for key in ("0f6c1d2e-1111-2222-3333-444455556666", "alias/rag-data", "arn:aws:kms:eu-central-1:1:alias/rag"):
        assert judge("aws-data-store-kms-encrypted", SNS, {"kmsMasterKeyId": key}) == []


def test_memorydb_and_opensearch_defaults_protect_data_in_transit():
    assert judge("aws-data-store-transit-encryption", MEMORYDB, _with(MEMORYDB, (("tlsEnabled",), DELETE))) == []
    defaults = _with(OPENSEARCH, (("domainEndpointOptions",), DELETE))
    assert judge("aws-data-store-transit-encryption", OPENSEARCH, defaults) == []
    unset_mode = _with(ELASTICACHE, (("transitEncryptionMode",), DELETE))
    assert judge("aws-data-store-transit-encryption", ELASTICACHE, unset_mode) == []


def test_an_instance_without_imds_needs_no_tokens():
    props = _with(INSTANCE, (TOKENS, "optional"), (("metadataOptions", "httpEndpoint"), "disabled"))
    assert judge("ec2-instance-imdsv2", INSTANCE, props) == []
    unknown_tokens = _with(INSTANCE, (TOKENS, UNKNOWN_STRING_VALUE), (("metadataOptions", "httpEndpoint"), "disabled"))
    assert judge("ec2-instance-imdsv2", INSTANCE, unknown_tokens) == []


def test_an_instance_on_its_own_network_interface_is_not_judged_for_a_public_ip():
    props = _with(INSTANCE, (("associatePublicIpAddress",), DELETE), (("subnetId",), DELETE))
    props["primaryNetworkInterface"] = {"networkInterfaceId": "eni-0abc"}
    instance = resource(INSTANCE, props)
    assert stack_violations("ec2-instance-no-public-ip", [instance]) == []
    [(_, judgement)] = judge_stack(RULES["ec2-instance-no-public-ip"], [instance])
    assert judgement.verdict == "not-applicable"
    assert "primaryNetworkInterface" in judgement.reason


def test_an_instance_sees_only_the_subnet_its_subnet_id_depends_on():
    public = resource(SUBNET, {**PRIVATE_SUBNET, "mapPublicIpOnLaunch": True}, "public")
    private = resource(SUBNET, PRIVATE_SUBNET, "private")
    props = _with(INSTANCE, (("associatePublicIpAddress",), DELETE))
    instance = resource(INSTANCE, props, dependencies={"subnetId": [private.urn]})
    assert stack_violations("ec2-instance-no-public-ip", [instance, public, private]) == []
    instance = resource(INSTANCE, props, dependencies={"subnetId": [public.urn]})
    assert stack_violations("ec2-instance-no-public-ip", [instance, public, private]) == [
        (
            SUBJECT,
            "EC2 instance subject leaves associatePublicIpAddress unset and its subnet public sets mapPublicIpOnLaunch "
            "to true",
        )
    ]


# ---- every property the rules read is one the SDK declares ------------------------------------------------------

SDK = pathlib.Path(pulumi_aws.__file__).parent


def _declared(module: str, name: str) -> bool:
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    getter = "@pulumi.getter" if snake == name else f'@pulumi.getter(name="{name}")'
    text = "".join(p.read_text() for p in (SDK / module).glob("*.py"))
    return re.search(rf"{re.escape(getter)}\n(?:\s+@.*\n)*\s+def {snake}\(self\)", text) is not None


def _module(token: str) -> str:
    return token.split(":")[1].split("/")[0]


@pytest.mark.parametrize(("type_", "spec"), list(data_stores.AT_REST.items()), ids=list(data_stores.AT_REST))
def test_the_at_rest_table_names_sdk_properties(type_: str, spec: data_stores.AtRest) -> None:
    names = [*spec.key, *spec.switch, *([spec.replicas] if spec.replicas else [])]
    assert [n for n in names if not _declared(_module(type_), n)] == []


@pytest.mark.parametrize(("type_", "needs"), list(data_stores.IN_TRANSIT.items()), ids=list(data_stores.IN_TRANSIT))
def test_the_in_transit_table_names_sdk_properties(type_: str, needs: tuple[data_stores.InTransit, ...]) -> None:
    assert [n for need in needs for n in need.path if not _declared(_module(type_), n)] == []


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("rds", ("publiclyAccessible", "replicateSourceDb")),
        ("elasticache", ("engine",)),
        ("opensearch", ("vpcOptions", "subnetIds")),
        ("ecr", ("encryptionConfigurations", "encryptionType", "kmsKey")),
        ("sqs", ("sqsManagedSseEnabled",)),
        (
            "ec2",
            (
                "rootBlockDevice",
                "ebsBlockDevices",
                "encrypted",
                "kmsKeyId",
                "associatePublicIpAddress",
                "subnetId",
                "mapPublicIpOnLaunch",
                *compute.OWN_INTERFACES,
                "metadataOptions",
                "httpTokens",
                "httpEndpoint",
            ),
        ),
    ],
)
def test_every_property_read_is_declared_by_the_sdk(module: str, names: tuple[str, ...]) -> None:
    assert [n for n in names if not _declared(module, n)] == []
    assert not _declared(module, "noSuchProperty")


def test_the_sdk_enums_and_defaults_the_rules_rely_on():
    def source(path: str) -> str:
        return " ".join((SDK / path).read_text().split())

    rds = source("rds/instance.py")
    assert "The default is `false` if not specified" in rds
    assert "if you are creating a cross-region read replica this field is ignored" in rds
    assert "Bool to control if instance is publicly accessible. Default is `false`." in rds
    elasticache = source("elasticache/replication_group.py")
    assert "When `engine` is `redis`, default is `false`. When `engine` is `valkey`, default is `true`." in elasticache
    assert "Valid values are `preferred` and `required`" in elasticache
    assert "Defaults to `true`." in source("memorydb/cluster.py")
    opensearch = source("opensearch/_inputs.py")
    assert "If the `node_to_node_encryption` block is not provided then this defaults to `false`" in opensearch
    assert "Whether or not to require HTTPS. Defaults to `true`." in opensearch
    assert "it defaults to using the `aws/es` service KMS key" in opensearch
    assert f"`{data_stores.TLS_1_0_POLICY}`" in source("elasticsearch/_inputs.py")
    assert "encrypted at rest with an AWS-owned Customer Master Key if this argument isn't specified" in source(
        "dynamodb/table.py"
    )
    assert "Valid values are `AES256` or `KMS`. Defaults to `AES256`." in source("ecr/_inputs.py")
    assert "the AWS account's default KMS key (the one named `aws/secretsmanager`)" in source(
        "secretsmanager/secret.py"
    )
    assert "Valid values include `optional` or `required`." in source("ec2/_inputs.py")
    assert "Whether the metadata service is available. Valid values include `enabled` or `disabled`." in source(
        "ec2/_inputs.py"
    )
    assert "Default is `false`." in source("ec2/subnet.py")
