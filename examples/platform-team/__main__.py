"""A platform team's program: KMS keys, an isolated VPC, encrypted buckets, a private EKS cluster and a GPU pool.

Only the installed distribution is used (`pip install llmops-infra`); nothing of the llmops-infra repository.
Every resource is tagged with the records-of-processing tags the HIPAA and GDPR packs read (docs/tagging.md).
"""

import pulumi

from llmops_infra.components import Tagging
from llmops_infra.components.aws import (
    AcceleratorPoolSpec,
    AccessLogBucket,
    BucketSpec,
    ClusterSpec,
    EksCluster,
    EncryptedBucket,
    FlowLogSettings,
    GpuNodePool,
    IsolatedVpc,
    KeySpec,
    KmsKeys,
    NetworkSpec,
    NodeRole,
)

config = pulumi.Config()
tagging = Tagging(owner=config.require("owner"), classification=config.require("dataClassification"))
retention_days = 2192  # six years: HIPAA's documentation retention (45 CFR 164.316(b)(2)(i))
cluster_name = f"inference-{pulumi.get_stack()}"

keys = KmsKeys("team", KeySpec(tags=tagging.tags("encryption")))
network = IsolatedVpc(
    "team",
    NetworkSpec(),
    flow_logs=FlowLogSettings(logs_key_arn=keys.arn("logs"), retention_days=retention_days),
    tags=tagging.tags("network"),
)
access_logs = AccessLogBucket(
    "team-access-logs", tags=tagging.tags("access-logs", "internal"), retention_days=retention_days
)
models = EncryptedBucket(
    "team-models",
    BucketSpec(name="team-models", purpose="model-artifacts"),
    kms_key_arn=keys.arn("storage"),
    log_bucket=access_logs.bucket_name,
    tags=tagging.tags("model-artifacts"),
)

node_role = NodeRole(f"{cluster_name}-nodes", tags=tagging.tags("kubernetes-nodes"))
cluster = EksCluster(
    cluster_name,
    ClusterSpec(),
    vpc_id=network.vpc_id,
    subnet_ids=network.private_subnet_ids,
    secrets_key_arn=keys.arn("cluster"),
    logs_key_arn=keys.arn("logs"),
    log_retention_days=retention_days,
    node_role_arn=node_role.role_arn,
    storage_key_arn=keys.arn("storage"),
    tags=tagging.tags("kubernetes"),
)
gpus = GpuNodePool(
    "serve",
    AcceleratorPoolSpec(name="serve", instance_type=config.require("gpuInstanceType"), max_size=2),
    cluster_name=cluster.cluster_name,
    node_role_arn=node_role.role_arn,
    vpc_id=network.vpc_id,
    subnet_ids=network.private_subnet_ids,
    storage_key_arn=keys.arn("storage"),
    cluster_security_group_id=cluster.cluster_security_group_id,
    tags=tagging.tags("accelerators-inference"),
)

pulumi.export("clusterName", cluster.cluster_name)
pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("modelBucket", models.bucket_name)
pulumi.export("capacity", gpus.capacity)
