"""The control catalog (docs/controls.md) as data: what each control is, the clauses it implements and the resource
types it applies to.

A rule names its control; its clauses come from here, so a clause is stated once for every rule of a control.
`resource_types` is what the catalog says the control covers: tests/policies/test_coverage.py fails for every
(control, type) pair no rule of that control judges, so adding a type here asks for its rule.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Control:
    id: str
    title: str
    hipaa: tuple[str, ...]  # 45 CFR Part 164 sections
    gdpr: tuple[str, ...]  # Regulation (EU) 2016/679 articles
    resource_types: tuple[str, ...]  # Pulumi type tokens the control applies to (pulumi-aws v7 names)


# Type tokens shared by several controls, each read from the installed SDKs.
S3_BUCKET = "aws:s3/bucket:Bucket"
RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
DYNAMODB_TABLE = "aws:dynamodb/table:Table"
ELASTICACHE = "aws:elasticache/replicationGroup:ReplicationGroup"
MEMORYDB = "aws:memorydb/cluster:Cluster"
OPENSEARCH = "aws:opensearch/domain:Domain"
FSX_LUSTRE = "aws:fsx/lustreFileSystem:LustreFileSystem"
ECR = "aws:ecr/repository:Repository"
AWS_SECRET = "aws:secretsmanager/secret:Secret"
SQS = "aws:sqs/queue:Queue"
SNS = "aws:sns/topic:Topic"
EC2_INSTANCE = "aws:ec2/instance:Instance"
EBS_VOLUME = "aws:ebs/volume:Volume"
EFS = "aws:efs/fileSystem:FileSystem"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
BACKUP_VAULT = "aws:backup/vault:Vault"
BACKUP_PLAN = "aws:backup/plan:Plan"
GCS_BUCKET = "gcp:storage/bucket:Bucket"
GKE_CLUSTER = "gcp:container/cluster:Cluster"
GKE_NODE_POOL = "gcp:container/nodePool:NodePool"
CLOUD_SQL = "gcp:sql/databaseInstance:DatabaseInstance"
MEMORYSTORE = "gcp:redis/instance:Instance"
ALLOYDB = "gcp:alloydb/cluster:Cluster"
FILESTORE = "gcp:filestore/instance:Instance"
ARTIFACT_REGISTRY = "gcp:artifactregistry/repository:Repository"
GCP_SECRET = "gcp:secretmanager/secret:Secret"
BIGQUERY = "gcp:bigquery/dataset:Dataset"
PUBSUB = "gcp:pubsub/topic:Topic"
GCE_INSTANCE = "gcp:compute/instance:Instance"

# The data stores an LLM platform holds beyond buckets and clusters (docs/controls.md, each control's "Applies to"):
# Each needs a customer-managed key, residency and records of processing.
AWS_DATA_STORES = (RDS_INSTANCE, RDS_CLUSTER, DYNAMODB_TABLE, ELASTICACHE, MEMORYDB, OPENSEARCH, FSX_LUSTRE, ECR,
                   AWS_SECRET, SQS, SNS)  # fmt: skip
GCP_DATA_STORES = (CLOUD_SQL, MEMORYSTORE, ALLOYDB, FILESTORE, ARTIFACT_REGISTRY, GCP_SECRET, BIGQUERY, PUBSUB)

CONTROLS: dict[str, Control] = {
    c.id: c
    for c in (
        Control(
            id="encryption-at-rest",
            title="Data stores encrypted with a customer-managed key",
            hipaa=("164.312(a)(2)(iv)", "164.312(e)(2)(ii)"),
            gdpr=("Art. 32(1)(a)",),
            resource_types=(
                S3_BUCKET,
                EBS_VOLUME,
                "aws:ec2/launchTemplate:LaunchTemplate",
                EFS,
                "aws:eks/cluster:Cluster",
                "aws:cloudwatch/logGroup:LogGroup",
                *AWS_DATA_STORES,
                EC2_INSTANCE,
                BACKUP_VAULT,
                GCS_BUCKET,
                GKE_CLUSTER,
                GKE_NODE_POOL,
                "gcp:compute/disk:Disk",
                *GCP_DATA_STORES,
                GCE_INSTANCE,
            ),
        ),
        Control(
            id="key-rotation",
            title="Encryption keys rotate and are not deleted hastily",
            hipaa=("164.312(a)(2)(iv)",),
            gdpr=("Art. 32(1)(a)",),
            resource_types=("aws:kms/key:Key", "gcp:kms/cryptoKey:CryptoKey"),
        ),
        Control(
            id="encryption-in-transit",
            title="Data in transit protected with TLS",
            hipaa=("164.312(e)(1)", "164.312(e)(2)(i)"),
            gdpr=("Art. 32(1)(a)",),
            resource_types=(
                "aws:s3/bucketPolicy:BucketPolicy",
                "aws:lb/listener:Listener",
                ELASTICACHE,
                MEMORYDB,
                OPENSEARCH,
                MEMORYSTORE,
                CLOUD_SQL,
                "kubernetes:networking.k8s.io/v1:Ingress",
            ),
        ),
        Control(
            id="no-public-access",
            title="No public access to data or nodes",
            hipaa=("164.312(a)(1)", "164.312(e)(1)"),
            gdpr=("Art. 25", "Art. 32"),
            resource_types=(
                "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                "aws:s3/bucketAcl:BucketAcl",
                "aws:s3/bucketPolicy:BucketPolicy",
                "aws:ec2/subnet:Subnet",
                "aws:eks/cluster:Cluster",
                RDS_INSTANCE,
                OPENSEARCH,
                EC2_INSTANCE,
                LOAD_BALANCER,
                GCS_BUCKET,
                "gcp:storage/bucketIAMMember:BucketIAMMember",
                "gcp:storage/bucketIAMBinding:BucketIAMBinding",
                GKE_CLUSTER,
                CLOUD_SQL,
                GCE_INSTANCE,
                "kubernetes:core/v1:Service",
            ),
        ),
        Control(
            id="network-isolation",
            title="Networks closed by default, flows logged",
            hipaa=("164.312(e)(1)", "164.312(b)"),
            gdpr=("Art. 32",),
            resource_types=(
                "aws:ec2/securityGroup:SecurityGroup",
                "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
                "aws:ec2/vpc:Vpc",
                "aws:ec2/flowLog:FlowLog",
                "gcp:compute/firewall:Firewall",
                "gcp:compute/subnetwork:Subnetwork",
                "kubernetes:core/v1:Namespace",
                "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            ),
        ),
        Control(
            id="audit-logging",
            title="Control-plane and data access is logged",
            hipaa=("164.312(b)", "164.308(a)(1)(ii)(D)"),
            gdpr=("Art. 30", "Art. 33"),
            resource_types=(
                "aws:eks/cluster:Cluster",
                "aws:s3/bucketLogging:BucketLogging",
                "aws:cloudtrail/trail:Trail",
                GKE_CLUSTER,
                "gcp:projects/iAMAuditConfig:IAMAuditConfig",
            ),
        ),
        Control(
            id="log-retention",
            title="Logs kept long enough, and not forever",
            hipaa=("164.316(b)(2)(i)",),
            gdpr=("Art. 5(1)(e)",),
            resource_types=("aws:cloudwatch/logGroup:LogGroup", "gcp:logging/projectBucketConfig:ProjectBucketConfig"),
        ),
        Control(
            id="data-lifecycle",
            title="Versioned data with declared expiry",
            hipaa=("164.312(c)(1)", "164.308(a)(7)(ii)(A)"),
            gdpr=("Art. 5(1)(e)", "Art. 32(1)(c)"),
            resource_types=(
                "aws:s3/bucketVersioning:BucketVersioning",
                "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                GCS_BUCKET,
            ),
        ),
        Control(
            id="least-privilege",
            title="No wildcard or admin grants",
            hipaa=("164.312(a)(1)", "164.308(a)(4)"),
            gdpr=("Art. 25", "Art. 32"),
            resource_types=(
                "aws:iam/policy:Policy",
                "aws:iam/rolePolicy:RolePolicy",
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                EC2_INSTANCE,
                "gcp:projects/iAMMember:IAMMember",
                "gcp:projects/iAMBinding:IAMBinding",
                GKE_NODE_POOL,
                GCE_INSTANCE,
            ),
        ),
        Control(
            id="k8s-rbac",
            title="Kubernetes RBAC without escalation paths",
            hipaa=("164.308(a)(4)", "164.312(a)(1)"),
            gdpr=("Art. 25",),
            resource_types=tuple(
                f"kubernetes:rbac.authorization.k8s.io/v1:{kind}"
                for kind in ("ClusterRoleBinding", "RoleBinding", "ClusterRole", "Role")
            ),
        ),
        Control(
            id="k8s-pod-security",
            title="Workloads meet Pod Security Standards restricted",
            hipaa=("164.312(a)(1)",),
            gdpr=("Art. 32",),
            resource_types=(
                "kubernetes:apps/v1:Deployment",
                "kubernetes:apps/v1:StatefulSet",
                "kubernetes:apps/v1:DaemonSet",
                "kubernetes:batch/v1:Job",
                "kubernetes:batch/v1:CronJob",
            ),
        ),
        Control(
            id="backup",
            title="PHI stores recoverable and protected from deletion",
            hipaa=("164.308(a)(7)(ii)(A)", "164.308(a)(7)(ii)(B)"),
            gdpr=("Art. 32(1)(c)",),
            resource_types=(
                "aws:s3/bucketVersioning:BucketVersioning",
                "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
                BACKUP_PLAN,
                RDS_INSTANCE,
                RDS_CLUSTER,
                DYNAMODB_TABLE,
                EC2_INSTANCE,
                EBS_VOLUME,
                GCS_BUCKET,
                CLOUD_SQL,
                ALLOYDB,
            ),
        ),
        Control(
            id="data-residency",
            title="Personal data stays in allowed regions",
            hipaa=(),
            gdpr=("Art. 44-49",),
            resource_types=(
                S3_BUCKET,
                *AWS_DATA_STORES,
                "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
                GCS_BUCKET,
                GKE_CLUSTER,
                *GCP_DATA_STORES,
            ),
        ),
        Control(
            id="records-of-processing",
            title="Data stores and clusters say whose, what for and what data",
            hipaa=("164.308(a)(1)(ii)(A)",),
            gdpr=("Art. 30",),
            resource_types=(
                S3_BUCKET,
                "aws:eks/cluster:Cluster",
                *AWS_DATA_STORES,
                GCS_BUCKET,
                GKE_CLUSTER,
                *GCP_DATA_STORES,
            ),  # fmt: skip
        ),
    )
}
