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
)
from llmops_infra.components.config.aws import (
    AcceleratorPoolSpec as AcceleratorPoolSpec,
)
from llmops_infra.components.config.aws import (
    AwsSpec as AwsSpec,
)
from llmops_infra.components.config.aws import (
    CapacityTypeName as CapacityTypeName,
)
from llmops_infra.components.config.aws import (
    ClusterSpec as ClusterSpec,
)
from llmops_infra.components.config.aws import (
    NetworkSpec as NetworkSpec,
)
from llmops_infra.components.config.aws import (
    SystemNodesSpec as SystemNodesSpec,
)
from llmops_infra.components.config.aws import (
    WorkloadIdentity as WorkloadIdentity,
)
from llmops_infra.components.config.base import (
    KUBERNETES_EFFECT as KUBERNETES_EFFECT,
)
from llmops_infra.components.config.base import (
    MISSING as MISSING,
)
from llmops_infra.components.config.base import (
    REGIONAL_TARGETS as REGIONAL_TARGETS,
)
from llmops_infra.components.config.base import (
    Classification as Classification,
)
from llmops_infra.components.config.base import (
    ConfigKey as ConfigKey,
)
from llmops_infra.components.config.base import (
    DnsLabel as DnsLabel,
)
from llmops_infra.components.config.base import (
    Framework as Framework,
)
from llmops_infra.components.config.base import (
    KubernetesLabelValue as KubernetesLabelValue,
)
from llmops_infra.components.config.base import (
    KubernetesName as KubernetesName,
)
from llmops_infra.components.config.base import (
    Model as Model,
)
from llmops_infra.components.config.base import (
    OneOf as OneOf,
)
from llmops_infra.components.config.base import (
    Path as Path,
)
from llmops_infra.components.config.base import (
    PinnedImage as PinnedImage,
)
from llmops_infra.components.config.base import (
    PoolRole as PoolRole,
)
from llmops_infra.components.config.base import (
    Problem as Problem,
)
from llmops_infra.components.config.base import (
    SpecError as SpecError,
)
from llmops_infra.components.config.base import (
    Taint as Taint,
)
from llmops_infra.components.config.base import (
    TaintEffect as TaintEffect,
)
from llmops_infra.components.config.base import (
    Target as Target,
)
from llmops_infra.components.config.base import (
    format_path as format_path,
)
from llmops_infra.components.config.buckets import (
    BucketPurpose as BucketPurpose,
)
from llmops_infra.components.config.buckets import (
    BucketSpec as BucketSpec,
)
from llmops_infra.components.config.edge import (
    EdgeSiteKind as EdgeSiteKind,
)
from llmops_infra.components.config.edge import (
    EdgeSiteSpec as EdgeSiteSpec,
)
from llmops_infra.components.config.edge import (
    EdgeSpec as EdgeSpec,
)
from llmops_infra.components.config.edge import (
    InferenceServerSpec as InferenceServerSpec,
)
from llmops_infra.components.config.gcp import (
    FirewallAllowSpec as FirewallAllowSpec,
)
from llmops_infra.components.config.gcp import (
    FirewallProtocol as FirewallProtocol,
)
from llmops_infra.components.config.gcp import (
    GcpName as GcpName,
)
from llmops_infra.components.config.gcp import (
    GcpNetworkSpec as GcpNetworkSpec,
)
from llmops_infra.components.config.gcp import (
    GcpSpec as GcpSpec,
)
from llmops_infra.components.config.gcp import (
    GcpZone as GcpZone,
)
from llmops_infra.components.config.gcp import (
    GkeClusterSpec as GkeClusterSpec,
)
from llmops_infra.components.config.gcp import (
    GkePoolSpec as GkePoolSpec,
)
from llmops_infra.components.config.gcp import (
    GkeReleaseChannel as GkeReleaseChannel,
)
from llmops_infra.components.config.gcp import (
    GkeSystemNodesSpec as GkeSystemNodesSpec,
)
from llmops_infra.components.config.gcp import (
    GpuDriverVersion as GpuDriverVersion,
)
from llmops_infra.components.config.gcp import (
    GpuPoolSpec as GpuPoolSpec,
)
from llmops_infra.components.config.gcp import (
    GpuSharingSpec as GpuSharingSpec,
)
from llmops_infra.components.config.gcp import (
    GpuSharingStrategy as GpuSharingStrategy,
)
from llmops_infra.components.config.gcp import (
    ReservationConsumption as ReservationConsumption,
)
from llmops_infra.components.config.gcp import (
    ReservationSpec as ReservationSpec,
)
from llmops_infra.components.config.gcp import (
    TpuPoolSpec as TpuPoolSpec,
)
from llmops_infra.components.config.gcp import (
    TpuTopology as TpuTopology,
)
from llmops_infra.components.config.hybrid import (
    HybridCredentials as HybridCredentials,
)
from llmops_infra.components.config.hybrid import (
    HybridSpec as HybridSpec,
)
from llmops_infra.components.config.kubernetes import (
    GpuSoftware as GpuSoftware,
)
from llmops_infra.components.config.kubernetes import (
    GpuSoftwareSpec as GpuSoftwareSpec,
)
from llmops_infra.components.config.kubernetes import (
    GroupName as GroupName,
)
from llmops_infra.components.config.kubernetes import (
    KubernetesSpec as KubernetesSpec,
)
from llmops_infra.components.config.kubernetes import (
    MigStrategy as MigStrategy,
)
from llmops_infra.components.config.kubernetes import (
    RbacSpec as RbacSpec,
)
from llmops_infra.components.config.kubernetes import (
    TeamSpec as TeamSpec,
)
from llmops_infra.components.config.onprem import (
    BareMetalPoolSpec as BareMetalPoolSpec,
)
from llmops_infra.components.config.onprem import (
    OnpremSpec as OnpremSpec,
)
from llmops_infra.components.config.onprem import (
    StorageClassSpec as StorageClassSpec,
)
from llmops_infra.components.config.platform import (
    LOG_RETENTION_DAYS as LOG_RETENTION_DAYS,
)
from llmops_infra.components.config.platform import (
    PlatformSpec as PlatformSpec,
)
from llmops_infra.components.config.platform import (
    parse_platform as parse_platform,
)
