"""A namespace's ResourceQuota and LimitRange: the team namespaces (components/k8s/baseline.py) and the edge site
namespaces (components/k8s/edge.py) register them through this one helper.

The quota caps accelerators, CPU and memory (requests and limits) in the namespace; once a quota covers CPU and
memory, the API server rejects a pod that states no request or limit for them, so the LimitRange gives every
container that says nothing modest defaults.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_kubernetes as k8s

# Quota keys. Extended resources take only the `requests.` prefix: "As overcommit is not allowed for extended
# resources, it makes no sense to specify both requests and limits for the same extended resource in a quota. So
# for extended resources, only quota items with prefix requests. is allowed" (Kubernetes "Resource Quotas").
ACCELERATOR_QUOTA_KEYS = {
    "gpus": "requests.nvidia.com/gpu",
    "tpus": "requests.google.com/tpu",
    "neuron_devices": "requests.aws.amazon.com/neuron",
}

# Container defaults where a pod says nothing (the quota makes requests and limits mandatory, so without defaults
# every such pod would be rejected). Modest on purpose: a real workload states what it needs.
DEFAULT_REQUEST = {"cpu": "250m", "memory": "512Mi"}
DEFAULT_LIMIT_CPU = "1"
DEFAULT_LIMIT_MEMORY_GIB = 2


def compute_quota(
    accelerators: Mapping[str, int], *, requests_cpu: int, requests_memory_gib: int, limits_cpu: int,
    limits_memory_gib: int,
) -> dict[str, str]:  # fmt: skip
    """A ResourceQuota `hard`: each accelerator of ACCELERATOR_QUOTA_KEYS (absent: 0, which forbids it), CPU cores
    and GiB of memory requested and limited in total."""
    unknown = set(accelerators) - set(ACCELERATOR_QUOTA_KEYS)
    if unknown:
        raise ValueError(f"no quota key for {', '.join(sorted(unknown))}; use {', '.join(ACCELERATOR_QUOTA_KEYS)}")
    return {
        **{key: str(accelerators.get(field, 0)) for field, key in ACCELERATOR_QUOTA_KEYS.items()},
        "requests.cpu": str(requests_cpu),
        "requests.memory": f"{requests_memory_gib}Gi",
        "limits.cpu": str(limits_cpu),
        "limits.memory": f"{limits_memory_gib}Gi",
    }


def container_defaults(memory_quota_gib: int) -> dict[str, dict[str, str]]:
    """LimitRange defaults: 250m CPU and 512Mi requested, 1 CPU and up to 2Gi limit per container."""
    # The default limit never exceeds the namespace's whole memory quota, or a defaulted pod could never be admitted.
    memory_limit = f"{min(DEFAULT_LIMIT_MEMORY_GIB, memory_quota_gib)}Gi"
    return {"default": {"cpu": DEFAULT_LIMIT_CPU, "memory": memory_limit}, "defaultRequest": dict(DEFAULT_REQUEST)}


def namespace_quota(
    prefix: str,
    *,
    namespace: pulumi.Input[str],
    labels: Mapping[str, str],
    quota_name: str,
    hard: Mapping[str, str],
    defaults: Mapping[str, Mapping[str, str]],
    opts: pulumi.ResourceOptions,
) -> tuple[k8s.core.v1.ResourceQuota, k8s.core.v1.LimitRange]:
    """Register the namespace's ResourceQuota `quota_name` (`<prefix>-quota`) and its LimitRange
    `container-defaults` (`<prefix>-limits`) of Container defaults."""
    quota = k8s.core.v1.ResourceQuota(
        f"{prefix}-quota",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=quota_name, namespace=namespace, labels=dict(labels)),
        spec=k8s.core.v1.ResourceQuotaSpecArgs(hard=dict(hard)),
        opts=opts,
    )
    limits = k8s.core.v1.LimitRange(
        f"{prefix}-limits",
        metadata=k8s.meta.v1.ObjectMetaArgs(name="container-defaults", namespace=namespace, labels=dict(labels)),
        spec=k8s.core.v1.LimitRangeSpecArgs(
            limits=[
                k8s.core.v1.LimitRangeItemArgs(
                    type="Container",
                    default=dict(defaults["default"]),
                    default_request=dict(defaults["defaultRequest"]),
                )
            ]
        ),
        opts=opts,
    )
    return quota, limits
