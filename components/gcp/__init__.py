"""GCP components: Cloud KMS keys, a private VPC, Cloud Storage buckets, a private GKE cluster, GPU and TPU node
pools, and Workload Identity service accounts. Reference: docs/components.md.

    from llmops_infra.components.gcp import GpuNodePool, GpuPoolSpec

The GKE pools check their spec against the catalog themselves and raise ValueError naming the key.
"""

from llmops_infra.components.gcp.bucket import AccessLogBucket, EncryptedBucket
from llmops_infra.components.gcp.gke import GkeCluster
from llmops_infra.components.gcp.iam import WorkloadAccess, WorkloadServiceAccount
from llmops_infra.components.gcp.kms import CloudKmsKeys, CloudKmsKeySpec, ProtectionLevel
from llmops_infra.components.gcp.network import PrivateNetwork
from llmops_infra.components.gcp.nodepool import GpuNodePool, PoolCluster, TpuNodePool
from llmops_infra.components.spec import (
    BucketSpec,
    FirewallAllowSpec,
    GcpNetworkSpec,
    GkeClusterSpec,
    GkeSystemNodesSpec,
    GpuPoolSpec,
    GpuSharingSpec,
    ReservationSpec,
    Taint,
    TpuPoolSpec,
)

__all__ = [
    # components
    "CloudKmsKeys",
    "PrivateNetwork",
    "AccessLogBucket",
    "EncryptedBucket",
    "GkeCluster",
    "GpuNodePool",
    "TpuNodePool",
    "WorkloadServiceAccount",
    # what they are built from
    "BucketSpec",
    "CloudKmsKeySpec",
    "FirewallAllowSpec",
    "GcpNetworkSpec",
    "GkeClusterSpec",
    "GkeSystemNodesSpec",
    "GpuPoolSpec",
    "GpuSharingSpec",
    "PoolCluster",
    "ProtectionLevel",
    "ReservationSpec",
    "Taint",
    "TpuPoolSpec",
    "WorkloadAccess",
]
