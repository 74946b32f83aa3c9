"""The onprem section (`onprem:`, GPU machines already in a cluster, and the model cache's StorageClass) and its
check: the StorageClass must turn its CSI driver's encryption on.

The drivers' encryption parameters are data (components/catalog/kubernetes.py, one row per driver with its
source); `encryption_problems` is also what EncryptedStorageClass runs for a class built in code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from llmops_infra.components.catalog.kubernetes import (
    ENCRYPTION,
    KNOWN_KEY_REFERENCES,
    KNOWN_SWITCHES,
    encryption_row,
    lookup_parameter,
)
from llmops_infra.components.config.base import (
    Classification,
    ConfigKey,
    DnsLabel,
    KubernetesLabelValue,
    KubernetesName,
    Model,
    PoolRole,
    Problem,
    Taint,
)

if TYPE_CHECKING:
    from llmops_infra.components.config.platform import PlatformSpec


class MachinePoolSpec(Model):
    """What every pool of the operator's own GPU machines says: its name, role, accelerators, data classes,
    labels and taints (BareMetalPoolSpec names the nodes of an existing cluster; HybridPoolSpec counts the
    machines that join as EKS Hybrid Nodes)."""

    name: DnsLabel = Field(
        description="Pool name, unique across aws.acceleratorPools, onprem.pools and hybrid.pools: a DNS label of 1 "
        "to 32 lowercase letters, digits and `-`; the `llmops.dev/pool` node label.",
    )
    role: PoolRole = Field(
        default="inference", description="`training` or `inference` (default): the `llmops.dev/role` node label."
    )
    accelerator: str = Field(
        min_length=1,
        max_length=63,
        description="The accelerator as a label value (1 to 63 characters, e.g. nvidia-a100-80gb): the "
        "`llmops.dev/accelerator` label and the capacity table.",
    )
    accelerators_per_node: int = Field(
        ge=1,
        le=16,
        description="Accelerators per machine, 1 to 16 (required): the `llmops.dev/accelerator-count` label and "
        "the capacity table.",
    )
    allowed_classifications: tuple[Classification, ...] = Field(
        default=(),
        description="Data classes whose workloads may run here: each adds the node label "
        '`llmops.dev/allow-<class>: "true"` that the data placement policy requires of pods in namespaces of '
        "that class (internal and public workloads run anywhere). Empty (default): none.",
    )
    labels: dict[str, KubernetesLabelValue] = Field(
        default_factory=dict,
        description="Extra node labels; the pool's own `llmops.dev/...` labels and `nvidia.com/gpu.present` win "
        "over keys they share.",
    )
    taints: tuple[Taint, ...] = Field(
        default=(),
        description="Extra node taints; `nvidia.com/gpu=present:NoSchedule` is always added first.",
    )


class BareMetalPoolSpec(MachinePoolSpec):
    """GPU machines already in a cluster, made a pool by labels and a taint on the named nodes."""

    nodes: tuple[KubernetesName, ...] = Field(
        min_length=1,
        description="The Kubernetes node names of the machines, at least one; a node belongs to one pool. Each "
        "gets a NodePatch (server-side apply) with the pool's labels and taints.",
    )


class StorageClassSpec(Model):
    """The model cache's StorageClass: an encrypted CSI volume type of the site's storage system."""

    name: DnsLabel = Field(default="model-cache", description="The StorageClass name (default model-cache).")
    provisioner: str = Field(
        pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
        description="The CSI driver, e.g. rbd.csi.ceph.com (or Rook's `<namespace>.rbd.csi.ceph.com`), "
        "driver.longhorn.io, pxd.portworx.com, ebs.csi.aws.com, pd.csi.storage.gke.io; required.",
    )
    parameters: dict[str, str] = Field(
        default_factory=dict,
        description="The driver's StorageClass parameters. They must turn its encryption on (e.g. Ceph RBD "
        '`encrypted: "true"` with `encryptionKMSID`), or the class is refused '
        "(components/k8s/storage.py lists what each driver needs).",
    )
    reclaim_policy: Literal["Retain", "Delete"] = Field(
        default="Retain",
        description="What happens to a volume when its claim is deleted: `Retain` (default) or `Delete`.",
    )


class OnpremSpec(Model):
    """The onprem target: an existing Kubernetes cluster, its bare-metal GPU pools and the model cache class."""

    kubeconfig_key: ConfigKey = Field(
        default="llmops-infra:kubeconfig",
        description="The secret config key (`<namespace>:<key>`) holding the existing cluster's kubeconfig "
        "(`pulumi config set --secret`); default llmops-infra:kubeconfig. The stack refuses to run without it.",
    )
    pools: tuple[BareMetalPoolSpec, ...] = Field(default=(), description="Bare-metal GPU pools; none by default.")
    storage_class: StorageClassSpec | None = Field(
        default=None,
        description="The model cache's encrypted StorageClass. None (default): none is created.",
    )
    hosts_have_nvidia_driver: bool = Field(
        default=False,
        description="Whether the GPU machines already run the NVIDIA driver and the NVIDIA Container Toolkit "
        "(installed with their OS). false (default): the GPU Operator installs both on them; true: it installs "
        "neither, and `kubernetes.gpuSoftware.driver: true` is refused.",
    )


# ---- checks --------------------------------------------------------------------------------------------------


def check_onprem(spec: PlatformSpec) -> list[Problem]:
    storage_class = spec.onprem.storage_class if spec.onprem is not None else None
    if storage_class is None:
        return []
    where, parameters = ("onprem", "storageClass", "parameters"), dict(storage_class.parameters)
    return [Problem(where, parameters, message) for message in encryption_problems(storage_class)]


def encryption_problems(spec: StorageClassSpec) -> list[str]:
    """Why `spec`'s parameters do not turn encryption on (empty when they do); each message says what to set."""
    row = encryption_row(spec.provisioner)
    params = spec.parameters
    if row is None:
        switched = [s for s in KNOWN_SWITCHES if (params.get(s) or "").lower() == "true"]
        keyed = [k for k in KNOWN_KEY_REFERENCES if params.get(k)]
        if switched or keyed:
            return []
        switches = " or ".join(f'{s}: "true"' for s in KNOWN_SWITCHES)
        return [
            f"provisioner {spec.provisioner} has no encryption row (known: {', '.join(sorted(ENCRYPTION))}); "
            f"set its encryption parameter ({switches}, or a key "
            f"reference {', '.join(KNOWN_KEY_REFERENCES)}) and add a row for it to components/catalog/kubernetes.py"
        ]
    problems = []
    for switch in row.switches:
        value = lookup_parameter(params, switch, row.case_insensitive_keys)
        if (value or "").lower() != "true":
            shown = "missing" if value is None else f"{value!r}"
            problems.append(f'provisioner {spec.provisioner} encrypts volumes only with {switch}: "true" ({shown})')
    for key in row.required:
        if not lookup_parameter(params, key, row.case_insensitive_keys):
            problems.append(f"provisioner {spec.provisioner} needs parameter {key} for encrypted volumes")
    return problems
