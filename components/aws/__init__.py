"""AWS components: KMS keys, an isolated VPC, S3 buckets, a private EKS cluster, accelerator node groups, IAM for
nodes and workloads, EKS Hybrid Nodes and Local Zone GPU nodes. Reference: docs/components.md.

    from llmops_infra.components.aws import AcceleratorPoolSpec, GpuNodePool

A pool built in code runs the config's own checks (`llmops_infra.components.config.aws.check_pool`) and raises
ValueError with the message a config would get; a whole environment is `config.platform.parse_platform`.
"""

from llmops_infra.components.aws.bucket import AccessLogBucket, EncryptedBucket
from llmops_infra.components.aws.eks import EksCluster, RemoteNetwork
from llmops_infra.components.aws.hybrid import HybridGpuPool, HybridNodes
from llmops_infra.components.aws.hybrid_network import HybridRoutes
from llmops_infra.components.aws.iam import NodeRole, WorkloadAccess, WorkloadIdentityMode, WorkloadRole
from llmops_infra.components.aws.kms import KeySpec, KmsKeys
from llmops_infra.components.aws.local_zone import LocalZoneGpuNodes
from llmops_infra.components.aws.network import FlowLogSettings, IsolatedVpc
from llmops_infra.components.aws.nodepool import GpuNodePool
from llmops_infra.components.spec import (
    AcceleratorPoolSpec,
    AwsSpec,
    BucketSpec,
    ClusterSpec,
    EdgeSiteSpec,
    HybridGatewaySpec,
    HybridPoolSpec,
    HybridSpec,
    InferenceServerSpec,
    NetworkSpec,
    SystemNodesSpec,
    Taint,
)

__all__ = [
    # components
    "KmsKeys",
    "IsolatedVpc",
    "AccessLogBucket",
    "EncryptedBucket",
    "NodeRole",
    "EksCluster",
    "GpuNodePool",
    "WorkloadRole",
    "HybridNodes",
    "HybridRoutes",
    "HybridGpuPool",
    "LocalZoneGpuNodes",
    # what they are built from
    "AcceleratorPoolSpec",
    "AwsSpec",
    "BucketSpec",
    "ClusterSpec",
    "EdgeSiteSpec",
    "FlowLogSettings",
    "HybridGatewaySpec",
    "HybridPoolSpec",
    "HybridSpec",
    "InferenceServerSpec",
    "KeySpec",
    "NetworkSpec",
    "RemoteNetwork",
    "SystemNodesSpec",
    "Taint",
    "WorkloadAccess",
    "WorkloadIdentityMode",
]
