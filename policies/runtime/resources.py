"""How rules name and read resources of any stack: type tokens, message labels, tags/labels and classification.

Tag keys are the ones components stamp (components/tagging.py), repeated here because a pack never imports
components: it must judge stacks written by anyone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from pulumi_policy.proxy import UnknownValueError

from llmops_infra.policies.runtime.props import mapping, nested
from llmops_infra.policies.runtime.rule import CannotJudge, Resource, judge_each, with_twins
from llmops_infra.policies.runtime.stack import Stack

# ---- AWS tokens (pulumi-aws v7, with the deprecated twins the SDK still ships) --------------------------------

BUCKET = with_twins("aws:s3/bucket:Bucket")
BUCKET_ACL = with_twins("aws:s3/bucketAcl:BucketAcl")
BUCKET_LOGGING = with_twins("aws:s3/bucketLogging:BucketLogging")
SSE_CONFIG = with_twins("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
VERSIONING = with_twins("aws:s3/bucketVersioning:BucketVersioning")
LIFECYCLE = with_twins("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SUBNET = "aws:ec2/subnet:Subnet"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
TRAIL = "aws:cloudtrail/trail:Trail"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
IAM_POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
USER_POLICY_ATTACHMENT = "aws:iam/userPolicyAttachment:UserPolicyAttachment"
GROUP_POLICY_ATTACHMENT = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"
POLICY_ATTACHMENTS = (ROLE_POLICY_ATTACHMENT, USER_POLICY_ATTACHMENT, GROUP_POLICY_ATTACHMENT)
EBS_VOLUME = "aws:ebs/volume:Volume"
EFS = "aws:efs/fileSystem:FileSystem"
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
KMS_KEY = "aws:kms/key:Key"
AWS_PROVIDER = "pulumi:providers:aws"

# ---- GCP tokens (pulumi-gcp) ---------------------------------------------------------------------------------

GCS_BUCKET = "gcp:storage/bucket:Bucket"
GKE_CLUSTER = "gcp:container/cluster:Cluster"
GKE_NODE_POOL = "gcp:container/nodePool:NodePool"
GCE_DISK = "gcp:compute/disk:Disk"
GCP_LOG_BUCKET = "gcp:logging/projectBucketConfig:ProjectBucketConfig"
GCP_KMS_KEY = "gcp:kms/cryptoKey:CryptoKey"
GCP_PROVIDER = "pulumi:providers:gcp"
CLOUD_SQL = "gcp:sql/databaseInstance:DatabaseInstance"
MEMORYSTORE_REDIS = "gcp:redis/instance:Instance"
ALLOYDB_CLUSTER = "gcp:alloydb/cluster:Cluster"
FILESTORE = "gcp:filestore/instance:Instance"
ARTIFACT_REGISTRY = "gcp:artifactregistry/repository:Repository"
GCP_SECRET = "gcp:secretmanager/secret:Secret"
BIGQUERY_DATASET = "gcp:bigquery/dataset:Dataset"
PUBSUB_TOPIC = "gcp:pubsub/topic:Topic"
GCE_INSTANCE = "gcp:compute/instance:Instance"

LABELS: dict[str, str] = {
    **{t: "S3 bucket" for t in BUCKET},
    **{t: "S3 bucket ACL" for t in BUCKET_ACL},
    **{t: "S3 bucket logging" for t in BUCKET_LOGGING},
    PUBLIC_ACCESS_BLOCK: "S3 public access block",
    BUCKET_POLICY: "S3 bucket policy",
    REPLICATION: "S3 bucket replication configuration",
    SUBNET: "subnet",
    LAUNCH_TEMPLATE: "launch template",
    EKS_CLUSTER: "EKS cluster",
    SECURITY_GROUP: "security group",
    INGRESS_RULE: "security group ingress rule",
    DEFAULT_SECURITY_GROUP: "default security group",
    VPC: "VPC",
    TRAIL: "CloudTrail trail",
    LOG_GROUP: "CloudWatch log group",
    IAM_POLICY: "IAM policy",
    ROLE_POLICY: "IAM role policy",
    ROLE: "IAM role",
    ROLE_POLICY_ATTACHMENT: "IAM role policy attachment",
    USER_POLICY_ATTACHMENT: "IAM user policy attachment",
    GROUP_POLICY_ATTACHMENT: "IAM group policy attachment",
    "aws:iam/policyAttachment:PolicyAttachment": "IAM policy attachment",
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": "IAM role policy attachments (exclusive)",
    "aws:eks/accessEntry:AccessEntry": "EKS access entry",
    EBS_VOLUME: "EBS volume",
    EFS: "EFS file system",
    KMS_KEY: "KMS key",
    AWS_PROVIDER: "AWS provider",
    GCS_BUCKET: "GCS bucket",
    GKE_CLUSTER: "GKE cluster",
    GKE_NODE_POOL: "GKE node pool",
    GCE_DISK: "Compute Engine disk",
    GCP_LOG_BUCKET: "Cloud Logging bucket",
    GCP_KMS_KEY: "Cloud KMS key",
    GCP_PROVIDER: "GCP provider",
    "gcp:compute/regionDisk:RegionDisk": "Compute Engine regional disk",
    "gcp:compute/firewall:Firewall": "VPC firewall rule",
    "gcp:compute/subnetwork:Subnetwork": "VPC subnet",
    "gcp:sql/databaseInstance:DatabaseInstance": "Cloud SQL instance",
    "aws:rds/instance:Instance": "RDS instance",
    "aws:rds/cluster:Cluster": "RDS cluster",
    "aws:dynamodb/table:Table": "DynamoDB table",
    "gcp:storage/bucketIAMMember:BucketIAMMember": "GCS bucket IAM member",
    "gcp:storage/bucketIAMBinding:BucketIAMBinding": "GCS bucket IAM binding",
    "gcp:storage/bucketIAMPolicy:BucketIAMPolicy": "GCS bucket IAM policy",
    "gcp:storage/bucketAccessControl:BucketAccessControl": "GCS bucket access control",
    "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl": "GCS default object access control",
    "gcp:storage/objectAccessControl:ObjectAccessControl": "GCS object access control",
    "gcp:storage/bucketACL:BucketACL": "GCS bucket ACL",
    "gcp:storage/defaultObjectACL:DefaultObjectACL": "GCS default object ACL",
    "gcp:storage/objectACL:ObjectACL": "GCS object ACL",
    **{
        f"gcp:{module}/{token}": f"{scope} {kind}"
        for module, scope in (("projects", "project"), ("folder", "folder"), ("organizations", "organization"))
        for token, kind in (
            ("iAMMember:IAMMember", "IAM member"),
            ("iAMBinding:IAMBinding", "IAM binding"),
            ("iAMPolicy:IAMPolicy", "IAM policy"),
        )
    },
    "aws:fsx/lustreFileSystem:LustreFileSystem": "FSx for Lustre file system",
    "aws:eks/nodeGroup:NodeGroup": "EKS node group",
    "aws:rds/clusterInstance:ClusterInstance": "RDS cluster instance",
    "aws:elasticache/replicationGroup:ReplicationGroup": "ElastiCache replication group",
    "aws:opensearch/domain:Domain": "OpenSearch domain",
    "aws:kinesis/stream:Stream": "Kinesis stream",
    "aws:sqs/queue:Queue": "SQS queue",
    "aws:sns/topic:Topic": "SNS topic",
    "aws:memorydb/cluster:Cluster": "MemoryDB cluster",
    "aws:backup/vault:Vault": "Backup vault",
    "aws:backup/plan:Plan": "Backup plan",
    "aws:backup/selection:Selection": "Backup selection",
    **{t: "load balancer" for t in LOAD_BALANCERS},
    **{t: "load balancer listener" for t in LISTENERS},
    SECURITY_GROUP_RULE: "security group rule",
    "aws:ecr/repository:Repository": "ECR repository",
    "aws:sagemaker/domain:Domain": "SageMaker domain",
    "aws:sagemaker/notebookInstance:NotebookInstance": "SageMaker notebook instance",
    "aws:sagemaker/endpoint:Endpoint": "SageMaker endpoint",
    "aws:lambda/function:Function": "Lambda function",
    "aws:secretsmanager/secret:Secret": "Secrets Manager secret",
    "aws:ec2/instance:Instance": "EC2 instance",
    "gcp:compute/instance:Instance": "Compute Engine instance",
    "gcp:compute/instanceGroupManager:InstanceGroupManager": "managed instance group",
    "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager": "regional managed instance group",
    "gcp:tpu/v2Vm:V2Vm": "TPU VM",
    "gcp:tpu/v2QueuedResource:V2QueuedResource": "TPU queued resource",
    "gcp:filestore/instance:Instance": "Filestore instance",
    "gcp:parallelstore/instance:Instance": "Parallelstore instance",
    "gcp:lustre/instance:Instance": "Managed Lustre instance",
    "gcp:bigquery/dataset:Dataset": "BigQuery dataset",
    "gcp:alloydb/cluster:Cluster": "AlloyDB cluster",
    "gcp:redis/instance:Instance": "Memorystore Redis instance",
    "gcp:artifactregistry/repository:Repository": "Artifact Registry repository",
    GCP_SECRET: "Secret Manager secret",
    PUBSUB_TOPIC: "Pub/Sub topic",
    "gcp:kms/keyRing:KeyRing": "Cloud KMS key ring",
    "gcp:vertex/aiDataset:AiDataset": "Vertex AI dataset",
    "gcp:vertex/aiEndpoint:AiEndpoint": "Vertex AI endpoint",
    "gcp:vertex/aiFeatureStore:AiFeatureStore": "Vertex AI feature store",
    "gcp:workbench/instance:Instance": "Workbench instance",
    "gcp:cloudrunv2/service:Service": "Cloud Run service",
    "gcp:cloudfunctionsv2/function:Function": "Cloud Function",
    "gcp:projects/iAMAuditConfig:IAMAuditConfig": "project audit config",
    "gcp:folder/iamAuditConfig:IamAuditConfig": "folder audit config",
    "gcp:organizations/iamAuditConfig:IamAuditConfig": "organization audit config",
}

CLASSIFICATION_TAG = "data-classification"
PURPOSE_TAG = "purpose"
ACCESS_LOGS_PURPOSE = "access-logs"
PERSONAL_CLASSES = ("phi", "personal")


# Records of processing (docs/controls.md): every data store says whose it is, what for, and what data it holds.
RECORD_KEYS = ("owner", "purpose", CLASSIFICATION_TAG)
CLASSIFICATIONS = ("phi", "personal", "internal", "public")


def record_problems(subject: str, labels: Mapping[str, Any], where: str) -> Iterator[str]:
    """What a tag/label map (`where`, as messages name it) lacks of the records of processing: a key absent or
    blank, a classification not a known one. Each key is judged on its own: an unknown one hides no other's gap."""
    yield from judge_each(RECORD_KEYS, lambda _, key: _record_problem(subject, labels, where, key))


def _record_problem(subject: str, labels: Mapping[str, Any], where: str, key: str) -> Iterator[str]:
    value = labels.get(key)
    if not (isinstance(value, str) and value.strip()):
        yield f"{subject} has no {key} in its {where}"
    elif key == CLASSIFICATION_TAG and value not in CLASSIFICATIONS:
        yield f"{subject} {where} data-classification {value!r} is not one of {', '.join(CLASSIFICATIONS)}"


def label(resource: Resource) -> str:
    """The resource as a message names it: kind and logical name."""
    return f"{LABELS.get(resource.type, resource.type)} {resource.name}"


T = TypeVar("T")
SHOWN_UNKNOWN = "(known after apply)"  # how a message shows a value unknown at preview, as `pulumi preview` does


def known(read: Callable[[], T], fallback: T | str = SHOWN_UNKNOWN) -> T | str:
    """`read()` for a message to name or describe what it found by, or `fallback` when what it reads is unknown at
    preview: a label never withholds a verdict (never for the verdict itself, which must stop there)."""
    try:
        return read()
    except (UnknownValueError, CannotJudge):
        return fallback


# Where a GCP resource keeps its labels when not in `labels`: a GKE cluster's `labels` field does not exist, its
# resource labels are `resourceLabels`; a Cloud SQL instance's are settings.userLabels (the SDK: "A set of
# key/value user label pairs to assign to the instance").
LABELS_AT: dict[str, tuple[str, ...]] = {GKE_CLUSTER: ("resourceLabels",), CLOUD_SQL: ("settings", "userLabels")}


def tags_path(type_token: str) -> tuple[str, ...]:
    """The input path of a resource's key/value metadata: AWS `tags`, GCP `labels` (or LABELS_AT)."""
    if type_token in LABELS_AT:
        return LABELS_AT[type_token]
    return ("labels",) if type_token.startswith("gcp:") else ("tags",)


def tags_key(type_token: str) -> str:
    """Where a resource keeps its key/value metadata, as messages name it ("labels", "settings.userLabels")."""
    return ".".join(tags_path(type_token))


class Layered(Mapping[str, Any]):
    """Maps read as one, the first that has a key deciding it; a value is read only when asked for."""

    def __init__(self, *layers: Mapping[str, Any]) -> None:
        self._layers = layers

    def __getitem__(self, key: str) -> Any:
        for layer in self._layers:
            if key in layer:
                return layer[key]
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(key for layer in self._layers for key in layer))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def tags_of(resource: Resource) -> Mapping[str, Any]:
    """The tags (AWS) or labels (GCP) a resource carries, over its provider's defaults.

    A view, not a copy: a key is read when asked for, so a tag unknown at preview withholds only the verdicts
    that read it (a phi rule reads data-classification, not owner)."""
    return Layered(mapping(nested(resource.props, *tags_path(resource.type))), _provider_defaults(resource))


def tag(resource: Resource, key: str) -> str | None:
    """One tag or label value, trimmed and lower-cased; None when absent or not a string."""
    value = tags_of(resource).get(key)
    return value.strip().lower() if isinstance(value, str) else None


def classification(resource: Resource) -> str | None:
    """The resource's data classification (phi | personal | internal | public), lower-cased."""
    return tag(resource, CLASSIFICATION_TAG)


def _provider_defaults(resource: Resource) -> Mapping[str, Any]:
    # AWS `defaultTags.tags` and GCP `defaultLabels` apply to every resource of the provider; provider config
    # objects may reach a pack JSON-encoded, as the engine passes provider inputs as strings.
    provider = resource.provider or {}
    if resource.type.startswith("gcp:"):
        return mapping(decoded(provider.get("defaultLabels")))
    return mapping(mapping(decoded(provider.get("defaultTags"))).get("tags"))


def decoded(value: Any) -> Any:
    """A value that may arrive JSON-encoded (provider inputs, policy documents); None when it is not JSON."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


# ---- S3 buckets and their companions --------------------------------------------------------------------------

# Pulumi auto-names a bucket with no `bucket` input as its logical name, "-" and 7 hex characters.
_AUTONAME_SUFFIX = "-[0-9a-f]{7}"


def bucket_name(bucket: Resource) -> str:
    """The bucket's name for messages: its `bucket` input, else (absent, or unknown at preview) its logical name."""
    name = known(lambda: bucket.props.get("bucket"), None)
    return name if isinstance(name, str) and name else bucket.name


def names_bucket(bucket: Resource, value: Any) -> bool:
    """Whether a companion's plain `bucket` value names this bucket.

    The companion carries the bucket's name: its `bucket` input when given, else the auto-assigned physical
    name, which starts with `bucketPrefix` or is the logical name plus Pulumi's random suffix.
    """
    if not isinstance(value, str) or not value:
        return False
    given = bucket.props.get("bucket")
    if isinstance(given, str) and given:
        return value == given
    prefix = bucket.props.get("bucketPrefix")
    if isinstance(prefix, str) and prefix:
        return value.startswith(prefix)
    return value == bucket.name or re.fullmatch(re.escape(bucket.name) + _AUTONAME_SUFFIX, value) is not None


def bucket_companions(stack: Stack, bucket: Resource, types: Sequence[str]) -> list[Resource]:
    """The bucket's companion resources of `types` (encryption, policy, versioning ...), by their `bucket` input."""
    return stack.companions(bucket, types, "bucket", lambda value: names_bucket(bucket, value))
