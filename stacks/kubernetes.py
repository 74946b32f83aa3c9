"""The Kubernetes side every cluster shares: a provider for its API, and the baseline on top of it."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from llmops_infra.components.k8s.baseline import ClusterBaseline, Platform
from llmops_infra.components.k8s.gpu_software import NodeImage
from llmops_infra.components.spec import PlatformSpec
from llmops_infra.components.tagging import Tagging


def cluster_provider(name: str, kubeconfig: pulumi.Input[str]) -> k8s.Provider:
    # Server-side apply is what lets NodePatch change only the fields this stack owns on existing nodes.
    return k8s.Provider(name, kubeconfig=kubeconfig, enable_server_side_apply=True)


def secret_kubeconfig(key: str) -> pulumi.Output[str]:
    """The kubeconfig held in a secret config value (`pulumi config set --secret <key> < kubeconfig`)."""
    namespace, _, name = key.partition(":")
    return pulumi.Config(namespace).require_secret(name)


def apply_baseline(
    name: str, spec: PlatformSpec, platform: Platform, provider: k8s.Provider, gpu_images: Sequence[NodeImage] = ()
) -> ClusterBaseline:
    """The baseline on one cluster; `gpu_images`: what its NVIDIA nodes run, where the stack knows it."""
    return ClusterBaseline(
        name,
        spec.kubernetes,
        platform=platform,
        tagging=Tagging(spec.owner, spec.data_classification, spec.tags),
        gpu_images=gpu_images,
        opts=pulumi.ResourceOptions(provider=provider),
    )
