"""The onprem target: an existing cluster, its bare-metal GPU machines made pools, the baseline and a model cache."""

from __future__ import annotations

from typing import Any

import pulumi

from llmops_infra.components.k8s.gpu_software import own_os_image
from llmops_infra.components.k8s.nodes import BareMetalGpuPool
from llmops_infra.components.k8s.placement import DataPlacementPolicy
from llmops_infra.components.k8s.storage import EncryptedStorageClass
from llmops_infra.components.spec import OnpremSpec, PlatformSpec
from llmops_infra.components.tagging import Tagging
from llmops_infra.stacks.deployed import Deployed
from llmops_infra.stacks.kubernetes import apply_baseline, cluster_provider, secret_kubeconfig


def deploy_onprem(spec: PlatformSpec, deployed: Deployed) -> dict[str, Any]:
    onprem = spec.onprem or OnpremSpec()
    tagging = Tagging(spec.owner, spec.data_classification, spec.tags)
    name = f"llmops-{pulumi.get_stack()}"
    provider = cluster_provider(name, secret_kubeconfig(onprem.kubeconfig_key))
    on_cluster = pulumi.ResourceOptions(provider=provider)

    # The machines run their own OS: the GPU Operator installs the driver and toolkit unless the config says the
    # hosts have them.
    baseline = apply_baseline(
        name, spec, "onprem", provider, gpu_images=[own_os_image(onprem.hosts_have_nvidia_driver)]
    )
    pools = [BareMetalGpuPool(pool.name, pool, opts=on_cluster) for pool in onprem.pools]
    # Classified workloads may run only on the machines the config allows for their class.
    DataPlacementPolicy(name, labels=tagging.tags("data-placement"), opts=on_cluster)
    outputs: dict[str, Any] = {
        "nodePools": [pool.name for pool in onprem.pools],
        "capacity": [pool.capacity for pool in pools],
        "teamNamespaces": baseline.team_namespaces,
    }
    if onprem.storage_class is not None:
        EncryptedStorageClass(
            onprem.storage_class.name, onprem.storage_class, labels=tagging.tags("model-cache"), opts=on_cluster
        )
        outputs["modelCacheStorageClass"] = onprem.storage_class.name
    return outputs
