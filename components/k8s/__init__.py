"""Kubernetes components for any cluster (EKS, GKE, on-prem, K3s): the cluster baseline, bare-metal GPU pools, the
encrypted model-cache StorageClass, data placement, Cilium for hybrid nodes and edge inference sites. Each takes
the cluster's Kubernetes provider through `opts`. Reference: docs/components.md.

    from llmops_infra.components.k8s import ClusterBaseline, KubernetesSpec, Tagging
"""

from llmops_infra.components.k8s.baseline import ClusterBaseline
from llmops_infra.components.k8s.cilium import HybridCilium
from llmops_infra.components.k8s.device_plugins import AcceleratorDevicePlugins
from llmops_infra.components.k8s.edge import EdgeInferenceSite
from llmops_infra.components.k8s.gpu_software import NodeImage, Platform
from llmops_infra.components.k8s.labels import record_labels
from llmops_infra.components.k8s.nodes import BareMetalGpuPool
from llmops_infra.components.k8s.placement import DataPlacementPolicy
from llmops_infra.components.k8s.storage import EncryptedStorageClass
from llmops_infra.components.spec import (
    AcceleratorPoolSpec,
    BareMetalPoolSpec,
    EdgeSiteSpec,
    GpuSoftwareSpec,
    HybridSpec,
    InferenceServerSpec,
    KubernetesSpec,
    RbacSpec,
    StorageClassSpec,
    Taint,
    TeamSpec,
)
from llmops_infra.components.tagging import Tagging

__all__ = [
    # components
    "ClusterBaseline",
    "BareMetalGpuPool",
    "EncryptedStorageClass",
    "DataPlacementPolicy",
    "HybridCilium",
    "EdgeInferenceSite",
    "AcceleratorDevicePlugins",
    # what they are built from
    "AcceleratorPoolSpec",
    "BareMetalPoolSpec",
    "EdgeSiteSpec",
    "GpuSoftwareSpec",
    "HybridSpec",
    "InferenceServerSpec",
    "KubernetesSpec",
    "NodeImage",
    "Platform",
    "RbacSpec",
    "StorageClassSpec",
    "Tagging",
    "TeamSpec",
    "Taint",
    "record_labels",
]
