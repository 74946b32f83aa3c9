"""The kubernetes section (`kubernetes:`, what every cluster gets: GPU software, teams, RBAC), its checks, and the
checks of what spans the Kubernetes targets, before any resource exists.

Each check yields Problems whose path is the key under the platform value and whose message says what to change.
- targets and sections: a section configures its target; one without the other is a typo or a half-made change.
- pools: names are node labels and resource names of one platform, unique across every kind of pool.
- kubernetes: NVIDIA GPU Operator "Time-Slicing GPUs in Kubernetes" shows time-slicing together with MIG (its
  a100-40gb example sets migStrategy mixed and time-slices MIG resources), so time slicing with a MIG strategy is
  NOT refused.
The onprem, hybrid and edge sections have their own modules beside this one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from llmops_infra.components.config.base import (
    Classification,
    DnsLabel,
    Model,
    Problem,
    format_path,
)

if TYPE_CHECKING:
    from llmops_infra.components.config.onprem import BareMetalPoolSpec
    from llmops_infra.components.config.platform import PlatformSpec


GpuSoftware = Literal["operator", "device-plugin", "none"]
MigStrategy = Literal["none", "single", "mixed"]
GroupName = Annotated[str, Field(min_length=1, max_length=256)]


class GpuSoftwareSpec(Model):
    """How GPU nodes get their driver, container toolkit, device plugin and metrics."""

    mode: GpuSoftware = Field(
        default="operator",
        description="`operator` (default): the NVIDIA GPU Operator chart, in namespace gpu-operator; "
        "`device-plugin`: the NVIDIA device plugin chart alone, in kube-system (the node image has the driver "
        "and toolkit); `none`: the platform does it (GKE installs drivers and its own device plugin). The "
        "operator installs the container toolkit only where the node image lacks it.",
    )
    driver: bool = Field(
        default=True,
        description="With mode operator: the operator installs the NVIDIA driver (default true). Must be false "
        "where the node image ships one (EKS, GKE, K3s); other modes ignore it.",
    )
    mig_strategy: MigStrategy = Field(
        default="none",
        description="The MIG strategy of the operator or device plugin: `none` (default), `single` or `mixed`; "
        "the operator's MIG manager runs only when it is not none.",
    )
    time_slicing_replicas: int | None = Field(
        default=None,
        ge=2,
        le=64,
        description="Time-slicing: each GPU is advertised this many times, 2 to 64 (a device plugin config in a "
        "ConfigMap). None (default): no sharing.",
    )
    dcgm_exporter: bool = Field(
        default=True,
        description="With mode operator: run the DCGM exporter (default true); its metrics port 9400 is open to "
        "pods of every namespace.",
    )


class TeamSpec(Model):
    """A team namespace: quotas on accelerators and compute, default-deny networking, restricted pods."""

    name: DnsLabel = Field(
        description="Team name, unique: the namespace's name (a DNS label of 1 to 32 lowercase letters, digits "
        "and `-`; not default, kube-system, kube-public, kube-node-lease or gpu-operator).",
    )
    classification: Classification | None = Field(
        default=None,
        description="The namespace's `data-classification` label: `phi`, `personal`, `internal` or `public`. "
        "None (default): the platform's `dataClassification`.",
    )
    gpus: int = Field(
        default=0,
        ge=0,
        le=100000,
        description="ResourceQuota on `requests.nvidia.com/gpu`: 0 (default) to 100000; 0 forbids GPUs.",
    )
    tpus: int = Field(
        default=0,
        ge=0,
        le=100000,
        description="ResourceQuota on `requests.google.com/tpu`: 0 (default) to 100000; 0 forbids TPUs.",
    )
    neuron_devices: int = Field(
        default=0,
        ge=0,
        le=100000,
        description="ResourceQuota on `requests.aws.amazon.com/neuron`: 0 (default) to 100000; 0 forbids them.",
    )
    cpu: int = Field(
        default=64,
        ge=1,
        le=100000,
        description="CPU cores the team's pods may request, and limit, in total: 1 to 100000 (default 64).",
    )
    memory_gib: int = Field(
        default=256,
        ge=1,
        le=1000000,
        description="Memory in GiB the team's pods may request, and limit, in total: 1 to 1000000 (default 256).",
    )
    allow_from_namespaces: tuple[DnsLabel, ...] = Field(
        default=(),
        description="Namespaces (other teams, kube-system or gpu-operator) whose pods may reach this team's pods; "
        "the team's own namespace is always allowed. Empty (default): no other namespace.",
    )


class RbacSpec(Model):
    """Groups (as the cluster's authenticator names them) bound to the four platform roles."""

    platform_admins: tuple[GroupName, ...] = Field(
        default=("platform-admins",),
        description="Groups bound to cluster-admin (ClusterRoleBinding llmops-platform-admins); default "
        "[platform-admins]; empty: no binding. The packs' k8s-rbac-no-cluster-admin-binding allows cluster-admin "
        "only for their `platformAdminGroup`, so set it to the group named here.",
    )
    ml_engineers: tuple[GroupName, ...] = Field(
        default=(),
        description="Groups bound to llmops-ml-engineer in every team namespace: manage pods, services, "
        "configmaps, claims, deployments, statefulsets, jobs and cronjobs, read logs and events; no secrets, "
        "exec, attach or port-forward. Empty (default): nobody.",
    )
    data_scientists: tuple[GroupName, ...] = Field(
        default=(),
        description="Groups bound to llmops-data-scientist in every team namespace: create and read jobs, read "
        "pods, logs and events. Empty (default): nobody.",
    )
    auditors: tuple[GroupName, ...] = Field(
        default=(),
        description="Groups bound to llmops-auditor cluster-wide: read how the cluster is configured (workloads, "
        "RBAC, policies, quotas, storage and admission objects), never secrets or pod logs. Empty (default): "
        "nobody.",
    )


class KubernetesSpec(Model):
    """What every cluster of the platform gets (components.k8s.ClusterBaseline): GPU software, team namespaces,
    RBAC and priority classes."""

    gpu_software: GpuSoftwareSpec | None = Field(
        default=None,
        description="None (default): what the platform's node images need: the operator without driver and "
        "toolkit on EKS, nothing on GKE, the operator with driver and toolkit on-prem, the device plugin on K3s.",
    )
    teams: tuple[TeamSpec, ...] = Field(default=(), description="Team namespaces; none by default.")
    rbac: RbacSpec = Field(
        default=RbacSpec(), description="Groups bound to the platform roles (RbacSpec defaults: platform-admins)."
    )


# ---- checks --------------------------------------------------------------------------------------------------

# Namespaces a team may admit traffic from besides other teams: the privileged system namespaces.
SYSTEM_NAMESPACES = ("kube-system", "gpu-operator")
SECTIONS = ("onprem", "hybrid", "edge")


def check_kubernetes(spec: PlatformSpec) -> list[Problem]:
    return [*_targets(spec), *_pools(spec), *_teams(spec), *_gpu_driver(spec)]


# ---- targets and their sections -------------------------------------------------------------------------------


def _targets(spec: PlatformSpec) -> Iterator[Problem]:
    for section in SECTIONS:
        present = getattr(spec, section) is not None
        if section in spec.targets and not present:
            yield Problem(
                (section,),
                None,
                f"required key is missing: target {section} needs a {section} section (see the README)",
            )
        elif present and section not in spec.targets:
            yield Problem(
                (section,),
                "...",
                f"target {section} is not in targets, so this section would be ignored; add {section} to targets "
                "or remove the section",
            )
    if "hybrid" in spec.targets and "aws" not in spec.targets:
        yield Problem(
            ("targets",),
            list(spec.targets),
            "target hybrid joins the EKS cluster of the aws target; add aws to targets",
        )


# ---- pools --------------------------------------------------------------------------------------------------


def _pools(spec: PlatformSpec) -> Iterator[Problem]:
    # Pool names become node labels and resource names of one platform: unique across every kind of pool.
    # config/aws.py already reports duplicates inside acceleratorPools, so only names seen in another list count here.
    seen: dict[str, tuple[str, tuple]] = {}
    named: list[tuple[str, tuple, str]] = [
        ("aws.acceleratorPools", ("aws", "acceleratorPools", i), p.name)
        for i, p in enumerate(spec.aws_or_default.accelerator_pools)
    ]
    for section in ("onprem", "hybrid"):
        owner = getattr(spec, section)
        if owner is None:
            continue
        named += [(f"{section}.pools", (section, "pools", i), p.name) for i, p in enumerate(owner.pools)]
    if spec.onprem is not None:  # hybrid pools name no nodes: their machines are named when they join
        yield from _nodes(spec.onprem.pools, "onprem")
    for listing, at, name in named:
        first = seen.get(name)
        if first is not None and (first[0] != listing or listing != "aws.acceleratorPools"):
            yield Problem(
                (*at, "name"),
                name,
                f"pool name already used by {format_path(first[1])}; pool names must be unique across "
                "aws.acceleratorPools, onprem.pools and hybrid.pools",
            )
        seen.setdefault(name, (listing, at))


def _nodes(pools: Sequence[BareMetalPoolSpec], section: str) -> Iterator[Problem]:
    owner: dict[str, str] = {}
    for i, pool in enumerate(pools):
        for j, node in enumerate(pool.nodes):
            if node in owner:
                yield Problem(
                    (section, "pools", i, "nodes", j),
                    node,
                    f"node is already in {owner[node]}; a node belongs to one pool (its labels and taint are the "
                    "pool's)",
                )
            else:
                owner[node] = f"{section}.pools[{i}] ({pool.name})"


# ---- kubernetes ---------------------------------------------------------------------------------------------


def gpu_driver_problems(
    gpu: GpuSoftwareSpec | None, cluster: str, every_node_has_driver: bool, at: tuple = ("kubernetes", "gpuSoftware")
) -> list[Problem]:
    """The operator's driver on a cluster whose GPU nodes all have one already: a second driver does not load, and
    the operator's validator then holds every GPU operand back. Also what ClusterBaseline runs (`at` relative)."""
    if gpu is None or gpu.mode != "operator" or not gpu.driver or not every_node_has_driver:
        return []
    return [
        Problem(
            (*at, "driver"),
            True,
            f"every GPU node of {cluster} already ships the NVIDIA driver (a second one does not load); set "
            "driver: false",
        )
    ]


def _gpu_driver(spec: PlatformSpec) -> Iterator[Problem]:
    # kubernetes.gpuSoftware applies to every cluster of the platform; each cluster whose GPU nodes all have the
    # driver refuses the operator's. EKS node images and K3s/GKE nodes always have it; hybrid and on-prem machines
    # have it when their section says so.
    gpu = spec.kubernetes.gpu_software
    clusters: list[tuple[str, bool]] = []
    if "aws" in spec.targets:
        hybrid = spec.hybrid if "hybrid" in spec.targets else None
        clusters.append(("the EKS cluster", hybrid is None or hybrid.hosts_have_nvidia_driver))
    if "gcp" in spec.targets:
        clusters.append(("the GKE cluster", True))
    if "onprem" in spec.targets and spec.onprem is not None:
        clusters.append(("the onprem cluster (onprem.hostsHaveNvidiaDriver)", spec.onprem.hosts_have_nvidia_driver))
    if "edge" in spec.targets and spec.edge is not None and any(s.kind == "k3s" for s in spec.edge.sites):
        clusters.append(("the K3s edge sites", True))
    for cluster, every_node_has_driver in clusters:
        problems = gpu_driver_problems(gpu, cluster, every_node_has_driver)
        if problems:
            yield from problems
            return


def _teams(spec: PlatformSpec) -> Iterator[Problem]:
    teams = spec.kubernetes.teams
    names = [t.name for t in teams]
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            yield Problem(("kubernetes", "teams", i, "name"), name, "another team already has this name; team "
                          "names must be unique (each is a namespace)")  # fmt: skip
        seen.add(name)
    allowed = sorted(set(names)) + list(SYSTEM_NAMESPACES)
    for i, team in enumerate(teams):
        for j, namespace in enumerate(team.allow_from_namespaces):
            if namespace not in names and namespace not in SYSTEM_NAMESPACES:
                yield Problem(
                    ("kubernetes", "teams", i, "allowFromNamespaces", j),
                    namespace,
                    f"not a team or system namespace; allowed: {', '.join(allowed)}",
                )
