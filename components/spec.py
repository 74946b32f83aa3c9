"""The environment spec's public names, in one place: every section's models, the shared types, `parse_platform`
and the errors it raises.

Each lives beside its checks in components/config/ (base.py: the base model, shared types, Problem, SpecError;
aws.py, gcp.py, onprem.py, hybrid.py, edge.py, kubernetes.py, buckets.py: one section each; platform.py: the
whole platform value and `parse_platform`). Import from here in a stack or a component; open the section's
module to read or change one.
"""

from __future__ import annotations

from llmops_infra.components.config.aws import (
    DEFAULT_INTERFACE_ENDPOINTS as DEFAULT_INTERFACE_ENDPOINTS,
    AcceleratorPoolSpec as AcceleratorPoolSpec,
    AwsSpec as AwsSpec,
    CapacityTypeName as CapacityTypeName,
    ClusterSpec as ClusterSpec,
    NetworkSpec as NetworkSpec,
    SystemNodesSpec as SystemNodesSpec,
    WorkloadIdentity as WorkloadIdentity,
)
from llmops_infra.components.config.base import (
    KUBERNETES_EFFECT as KUBERNETES_EFFECT,
    MISSING as MISSING,
    REGIONAL_TARGETS as REGIONAL_TARGETS,
    Classification as Classification,
    ConfigKey as ConfigKey,
    DnsLabel as DnsLabel,
    Framework as Framework,
    KubernetesLabelValue as KubernetesLabelValue,
    KubernetesName as KubernetesName,
    Model as Model,
    OneOf as OneOf,
    Path as Path,
    PinnedImage as PinnedImage,
    PoolRole as PoolRole,
    Problem as Problem,
    SpecError as SpecError,
    Taint as Taint,
    TaintEffect as TaintEffect,
    Target as Target,
    format_path as format_path,
)
from llmops_infra.components.config.buckets import (
    BucketPurpose as BucketPurpose,
    BucketSpec as BucketSpec,
)
from llmops_infra.components.config.edge import (
    EdgeSiteKind as EdgeSiteKind,
    EdgeSiteSpec as EdgeSiteSpec,
    EdgeSpec as EdgeSpec,
    InferenceServerSpec as InferenceServerSpec,
)
from llmops_infra.components.config.gcp import (
    FirewallAllowSpec as FirewallAllowSpec,
    FirewallProtocol as FirewallProtocol,
    GcpName as GcpName,
    GcpNetworkSpec as GcpNetworkSpec,
    GcpSpec as GcpSpec,
    GcpZone as GcpZone,
    GkeClusterSpec as GkeClusterSpec,
    GkePoolSpec as GkePoolSpec,
    GkeReleaseChannel as GkeReleaseChannel,
    GkeSystemNodesSpec as GkeSystemNodesSpec,
    GpuDriverVersion as GpuDriverVersion,
    GpuPoolSpec as GpuPoolSpec,
    GpuSharingSpec as GpuSharingSpec,
    GpuSharingStrategy as GpuSharingStrategy,
    ReservationConsumption as ReservationConsumption,
    ReservationSpec as ReservationSpec,
    TpuPoolSpec as TpuPoolSpec,
    TpuTopology as TpuTopology,
)
from llmops_infra.components.config.hybrid import (
    HybridCredentials as HybridCredentials,
    HybridGatewaySpec as HybridGatewaySpec,
    HybridPoolSpec as HybridPoolSpec,
    HybridSpec as HybridSpec,
)
from llmops_infra.components.config.kubernetes import (
    GpuSoftware as GpuSoftware,
    GpuSoftwareSpec as GpuSoftwareSpec,
    GroupName as GroupName,
    KubernetesSpec as KubernetesSpec,
    MigStrategy as MigStrategy,
    RbacSpec as RbacSpec,
    TeamSpec as TeamSpec,
)
from llmops_infra.components.config.onprem import (
    BareMetalPoolSpec as BareMetalPoolSpec,
    MachinePoolSpec as MachinePoolSpec,
    OnpremSpec as OnpremSpec,
    StorageClassSpec as StorageClassSpec,
)
from llmops_infra.components.config.platform import (
    LOG_RETENTION_DAYS as LOG_RETENTION_DAYS,
    PlatformSpec as PlatformSpec,
    parse_platform as parse_platform,
)
