"""The environment spec: what one stack config (`llmops-infra:platform`) may say, as pydantic models.

Shape and single values are checked here; rules that need the accelerator catalog live in
components/catalog/aws_rules.py. `parse_platform` runs both and raises one SpecError listing every problem
with its key path, so a config is fixed in one pass. Keys are camelCase in YAML (Pulumi's convention) and
snake_case in Python; components take these models directly, so a platform team can build them in code.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

Target = Literal["aws", "gcp", "onprem", "hybrid", "edge"]
# Targets that deploy into a cloud region (hybrid joins the aws target's EKS cluster).
REGIONAL_TARGETS: tuple[Target, ...] = ("aws", "gcp", "hybrid")
Framework = Literal["hipaa", "gdpr"]
Classification = Literal["phi", "personal", "internal", "public"]
CapacityTypeName = Literal["ON_DEMAND", "SPOT", "CAPACITY_BLOCK"]
WorkloadIdentity = Literal["pod-identity", "irsa"]
BucketPurpose = Literal["model-artifacts", "datasets", "checkpoints"]
PoolRole = Literal["training", "inference"]
# Taint effects as EKS and GKE name them, and the Kubernetes names (Node objects, autoscaler tags) they stand for.
TaintEffect = Literal["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"]
KUBERNETES_EFFECT: dict[str, str] = {
    "NO_SCHEDULE": "NoSchedule",
    "NO_EXECUTE": "NoExecute",
    "PREFER_NO_SCHEDULE": "PreferNoSchedule",
}

# CloudWatch Logs accepts only these retention periods (pulumi_aws cloudwatch.LogGroup.retention_in_days);
# 0, "never expire", is deliberately not offered: every log here has a retention.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                      3288, 3653)  # fmt: skip

# Interface endpoints private nodes need when they have no NAT: image pulls (ecr.api, ecr.dkr), IAM roles for
# pods (sts, eks-auth for Pod Identity), node bootstrap (ec2, eks), logs and Session Manager (logs, ssm, ssmmessages,
# ec2messages). S3 is always added as a gateway endpoint (ECR layers live in S3).
DEFAULT_INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "sts", "logs", "ssm", "ssmmessages", "ec2messages", "ec2",
                               "eks", "eks-auth")  # fmt: skip

DnsLabel = Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")]
KubernetesLabelValue = Annotated[str, Field(pattern=r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)


class Taint(Model):
    key: str = Field(min_length=1, max_length=253)
    value: KubernetesLabelValue = ""
    effect: TaintEffect = "NO_SCHEDULE"


class NetworkSpec(Model):
    cidr: ipaddress.IPv4Network = ipaddress.IPv4Network("10.0.0.0/16")
    availability_zones: int = Field(default=2, ge=2, le=6)
    nat_gateway: bool = True
    interface_endpoints: tuple[str, ...] = DEFAULT_INTERFACE_ENDPOINTS

    @field_validator("cidr")
    @classmethod
    def _private(cls, cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        if not cidr.is_private or not 16 <= cidr.prefixlen <= 24:
            raise ValueError("must be a private (RFC 1918) IPv4 range from /16 to /24")
        return cidr


class SystemNodesSpec(Model):
    """The small untainted node group that runs coredns and other add-ons: a cluster needs one to work."""

    instance_type: str = Field(default="m6i.large", pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
    min_size: int = Field(default=2, ge=1, le=100)
    max_size: int = Field(default=4, ge=1, le=100)
    disk_size_gib: int = Field(default=50, ge=20, le=16384)


class ClusterSpec(Model):
    version: str = Field(default="1.33", pattern=r"^1\.[0-9]{2}$")
    # Empty: the API endpoint is private only. Otherwise public too, restricted to these ranges.
    endpoint_public_access_cidrs: tuple[ipaddress.IPv4Network, ...] = ()
    admin_role_arns: tuple[Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$")], ...] = ()
    workload_identity: WorkloadIdentity = "pod-identity"
    system_nodes: SystemNodesSpec = SystemNodesSpec()
    # Kubernetes Service addresses. Set explicitly (EKS otherwise picks 10.100.0.0/16 or 172.20.0.0/16 from the
    # VPC range) so that hybrid node and pod networks can be checked against it before anything exists.
    service_cidr: ipaddress.IPv4Network = ipaddress.IPv4Network("172.20.0.0/16")

    @field_validator("endpoint_public_access_cidrs")
    @classmethod
    def _not_open(cls, cidrs: tuple[ipaddress.IPv4Network, ...]) -> tuple[ipaddress.IPv4Network, ...]:
        if any(c.prefixlen == 0 for c in cidrs):
            raise ValueError("0.0.0.0/0 opens the API to the internet; list the operator ranges instead")
        return cidrs


class BucketSpec(Model):
    name: DnsLabel
    purpose: BucketPurpose
    classification: Classification | None = None  # None: the platform's dataClassification
    noncurrent_version_expiration_days: int = Field(default=90, ge=1, le=36500)
    # Current objects expire after this many days; None keeps them (set it for GDPR storage limitation).
    expiration_days: int | None = Field(default=None, ge=1, le=36500)
    # GCS only: a region, dual-region or multi-region that holds the platform's region (EUR4 for europe-west4);
    # None: the platform's region. S3 buckets are always in the platform's region.
    location: str | None = Field(default=None, pattern=r"^[A-Za-z]+[A-Za-z0-9-]*$")


class AcceleratorPoolSpec(Model):
    name: DnsLabel
    role: PoolRole = "inference"
    instance_type: str
    ami_type: str | None = None  # None: the catalog's default for the instance family
    capacity_type: CapacityTypeName = "ON_DEMAND"
    min_size: int = Field(default=0, ge=0, le=1000)
    desired_size: int | None = Field(default=None, ge=0, le=1000)  # None: minSize
    max_size: int = Field(ge=1, le=1000)
    efa: bool = False
    placement_group: bool = False
    capacity_reservation_id: str | None = Field(default=None, pattern=r"^cr-[0-9a-f]{8,17}$")
    disk_size_gib: int = Field(default=200, ge=20, le=16384)
    labels: dict[str, KubernetesLabelValue] = Field(default_factory=dict)
    taints: tuple[Taint, ...] = ()
    # Data classes whose workloads may run here (placement, with a hybrid or on-prem cluster's admission policy).
    allowed_classifications: tuple[Classification, ...] = ()

    @property
    def desired(self) -> int:
        return self.min_size if self.desired_size is None else self.desired_size


# ---- the gcp target (GKE) -----------------------------------------------------------------------------------

GkeReleaseChannel = Literal["RAPID", "REGULAR", "STABLE", "EXTENDED"]
# pulumi_gcp guest_accelerators.gpu_driver_installation_config.gpu_driver_version (shared ACCELERATORS.md);
# GPU_DRIVER_VERSION_UNSPECIFIED is left out: it leaves the choice to GKE, and a pool should say what it runs.
GpuDriverVersion = Literal["DEFAULT", "LATEST", "INSTALLATION_DISABLED"]
GpuSharingStrategy = Literal["TIME_SHARING", "MPS"]
# pulumi_gcp reservation_affinity.consume_reservation_type, less UNSPECIFIED ("should not be used") and
# NO_RESERVATION, which is what a pool without a `reservation` gets.
ReservationConsumption = Literal["ANY_RESERVATION", "ANY_RESERVATION_THEN_FAIL", "SPECIFIC_RESERVATION"]
FirewallProtocol = Literal["tcp", "udp", "icmp", "sctp"]

GcpZone = Annotated[str, Field(pattern=r"^[a-z]+-[a-z]+[0-9]+-[a-z]$")]
GcpName = Annotated[str, Field(pattern=r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")]  # Compute Engine resource names
TpuTopology = Annotated[str, Field(pattern=r"^[1-9][0-9]*x[1-9][0-9]*(x[1-9][0-9]*)?$")]


def _private_cidr(cidr: ipaddress.IPv4Network, smallest: int = 8, largest: int = 29) -> ipaddress.IPv4Network:
    if not cidr.is_private or not smallest <= cidr.prefixlen <= largest:
        raise ValueError(f"must be a private (RFC 1918) IPv4 range from /{smallest} to /{largest}")
    return cidr


class FirewallAllowSpec(Model):
    """One explicit ingress allow; everything else is denied by the network's lowest-priority deny rule."""

    name: GcpName
    protocol: FirewallProtocol = "tcp"
    ports: tuple[Annotated[str, Field(pattern=r"^[0-9]{1,5}(-[0-9]{1,5})?$")], ...] = ()
    source_ranges: tuple[ipaddress.IPv4Network, ...] = Field(min_length=1)
    target_tags: tuple[GcpName, ...] = ()

    @field_validator("source_ranges")
    @classmethod
    def _not_open(cls, ranges: tuple[ipaddress.IPv4Network, ...]) -> tuple[ipaddress.IPv4Network, ...]:
        if any(r.prefixlen == 0 for r in ranges):
            raise ValueError("0.0.0.0/0 allows the whole internet in; list the source networks instead")
        return ranges


class GcpNetworkSpec(Model):
    """A VPC with one subnet for nodes; pods and services get the subnet's secondary ranges (VPC-native GKE)."""

    subnet_cidr: ipaddress.IPv4Network = ipaddress.IPv4Network("10.60.0.0/20")
    pods_cidr: ipaddress.IPv4Network = ipaddress.IPv4Network("10.64.0.0/14")
    services_cidr: ipaddress.IPv4Network = ipaddress.IPv4Network("10.68.0.0/20")
    # Private nodes reach the internet (image registries outside Google) only through Cloud NAT.
    cloud_nat: bool = True
    flow_log_sampling: float = Field(default=0.5, gt=0, le=1)
    ingress_allows: tuple[FirewallAllowSpec, ...] = ()

    @field_validator("subnet_cidr", "pods_cidr", "services_cidr")
    @classmethod
    def _private(cls, cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        return _private_cidr(cidr)


class GkeSystemNodesSpec(Model):
    """The untainted pool that runs kube-dns and other add-ons; sizes are per zone, as GKE counts them."""

    machine_type: str = Field(default="e2-standard-4", pattern=r"^[a-z][a-z0-9]*-[a-z0-9-]+$")
    min_nodes_per_zone: int = Field(default=1, ge=0, le=100)
    max_nodes_per_zone: int = Field(default=2, ge=1, le=100)
    disk_size_gib: int = Field(default=100, ge=10, le=65536)


class GkeClusterSpec(Model):
    release_channel: GkeReleaseChannel = "REGULAR"
    # The control plane's private range (VPC peering clusters); GKE wants exactly a /28.
    master_ipv4_cidr: ipaddress.IPv4Network = ipaddress.IPv4Network("172.16.0.0/28")
    # True: the control plane has no public endpoint at all; reach it from the VPC (or a peered/VPN network).
    private_endpoint: bool = True
    # The only networks that may reach the control plane (besides the nodes); empty: none.
    master_authorized_networks: tuple[ipaddress.IPv4Network, ...] = ()
    # Node zones of the regional cluster; empty: the zones GKE picks in the region.
    zones: tuple[GcpZone, ...] = ()
    system_nodes: GkeSystemNodesSpec = GkeSystemNodesSpec()
    deletion_protection: bool = True

    @field_validator("master_ipv4_cidr")
    @classmethod
    def _master_range(cls, cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        return _private_cidr(cidr, 28, 28)

    @field_validator("master_authorized_networks")
    @classmethod
    def _not_open(cls, cidrs: tuple[ipaddress.IPv4Network, ...]) -> tuple[ipaddress.IPv4Network, ...]:
        if any(c.prefixlen == 0 for c in cidrs):
            raise ValueError("0.0.0.0/0 opens the control plane to the internet; list the operator ranges instead")
        return cidrs


class ReservationSpec(Model):
    """Which Compute Engine reservation a pool consumes. A pool without one never consumes any (NO_RESERVATION)."""

    consume: ReservationConsumption = "SPECIFIC_RESERVATION"
    name: GcpName | None = None  # required for SPECIFIC_RESERVATION
    project: str | None = Field(default=None, pattern=r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")  # a shared reservation's


class GpuSharingSpec(Model):
    strategy: GpuSharingStrategy
    max_shared_clients_per_gpu: int = Field(ge=2, le=48)


class GkePoolSpec(Model):
    """What GPU and TPU pools share: capacity (spot, reservation, queued, flex-start), disks, labels, taints."""

    name: DnsLabel
    role: PoolRole = "inference"
    machine_type: str = Field(pattern=r"^[a-z][a-z0-9]*-[a-z0-9-]+$")
    zones: tuple[GcpZone, ...] = ()  # empty: the cluster's zones
    spot: bool = False
    reservation: ReservationSpec | None = None
    queued_provisioning: bool = False
    flex_start: bool = False
    disk_size_gib: int = Field(default=200, ge=10, le=65536)
    disk_type: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9-]+$")  # None: GKE's default for the type
    labels: dict[str, KubernetesLabelValue] = Field(default_factory=dict)
    taints: tuple[Taint, ...] = ()


class GpuPoolSpec(GkePoolSpec):
    accelerator: str | None = None  # None: the one the machine type carries (required on N1)
    accelerator_count: int | None = Field(default=None, ge=1, le=16)  # None: the machine type's count
    min_nodes: int = Field(default=0, ge=0, le=1000)  # totals across the pool's zones
    max_nodes: int = Field(ge=1, le=1000)
    driver_version: GpuDriverVersion = "DEFAULT"
    sharing: GpuSharingSpec | None = None
    mig_partition_size: str | None = Field(default=None, pattern=r"^[1-7]g\.[0-9]+gb$")
    compact_placement: bool = False


class TpuPoolSpec(GkePoolSpec):
    role: PoolRole = "training"
    topology: TpuTopology
    # Single-host pools autoscale between these (one slice per node); a multi-host slice has exactly the node
    # count its topology needs, so leave them out there (or give that number).
    min_nodes: int | None = Field(default=None, ge=0, le=1000)
    max_nodes: int | None = Field(default=None, ge=1, le=1000)


class GcpSpec(Model):
    network: GcpNetworkSpec = GcpNetworkSpec()
    cluster: GkeClusterSpec = GkeClusterSpec()
    gpu_pools: tuple[GpuPoolSpec, ...] = ()
    tpu_pools: tuple[TpuPoolSpec, ...] = ()


# ---- the Kubernetes baseline every cluster gets, and the onprem, hybrid and edge targets ----------------------

GpuSoftware = Literal["operator", "device-plugin", "none"]
MigStrategy = Literal["none", "single", "mixed"]
HybridCredentials = Literal["ssm", "iam-roles-anywhere"]
EdgeSiteKind = Literal["k3s", "local-zone"]
# A namespaced config key (`<namespace>:<key>`), as Pulumi stores it.
ConfigKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+$")]
# A container image pinned by its digest, so a site runs exactly the bytes that were reviewed.
PinnedImage = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64}$")]
KubernetesName = Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")]  # e.g. node names
GroupName = Annotated[str, Field(min_length=1, max_length=256)]


class GpuSoftwareSpec(Model):
    """How GPU nodes get their driver, container toolkit, device plugin and metrics."""

    # operator: the NVIDIA GPU Operator; device-plugin: the NVIDIA device plugin alone (the image has the driver
    # and toolkit); none: the platform does it (GKE installs drivers and its own device plugin).
    mode: GpuSoftware = "operator"
    # Install the driver with the operator; false where the node image ships one (EKS NVIDIA AMIs, Bottlerocket).
    driver: bool = True
    mig_strategy: MigStrategy = "none"
    # Time-slicing: each GPU is advertised this many times (None: no sharing).
    time_slicing_replicas: int | None = Field(default=None, ge=2, le=64)
    dcgm_exporter: bool = True


class TeamSpec(Model):
    """A team namespace: quotas on accelerators and compute, default-deny networking, restricted pods."""

    name: DnsLabel
    classification: Classification | None = None  # None: the platform's dataClassification
    gpus: int = Field(default=0, ge=0, le=100000)  # nvidia.com/gpu
    tpus: int = Field(default=0, ge=0, le=100000)  # google.com/tpu
    neuron_devices: int = Field(default=0, ge=0, le=100000)  # aws.amazon.com/neuron
    cpu: int = Field(default=64, ge=1, le=100000)  # cores requested in total
    memory_gib: int = Field(default=256, ge=1, le=1000000)
    # Namespaces whose pods may reach this team's pods (besides the team itself and DNS).
    allow_from_namespaces: tuple[DnsLabel, ...] = ()


class RbacSpec(Model):
    """Groups (as the cluster's authenticator names them) bound to the four platform roles."""

    platform_admins: tuple[GroupName, ...] = ("platform-admins",)
    ml_engineers: tuple[GroupName, ...] = ()
    data_scientists: tuple[GroupName, ...] = ()
    auditors: tuple[GroupName, ...] = ()


class KubernetesSpec(Model):
    gpu_software: GpuSoftwareSpec | None = None  # None: what the target's node images need (see the README)
    teams: tuple[TeamSpec, ...] = ()
    rbac: RbacSpec = RbacSpec()


class BareMetalPoolSpec(Model):
    """GPU machines already in a cluster, made a pool by labels and a taint on the named nodes."""

    name: DnsLabel
    role: PoolRole = "inference"
    nodes: tuple[KubernetesName, ...] = Field(min_length=1)
    accelerator: str = Field(min_length=1, max_length=63)  # a label value, e.g. nvidia-a100-80gb
    accelerators_per_node: int = Field(ge=1, le=16)
    # Data classes whose workloads may run here (placement); internal and public may run anywhere.
    allowed_classifications: tuple[Classification, ...] = ()
    labels: dict[str, KubernetesLabelValue] = Field(default_factory=dict)
    taints: tuple[Taint, ...] = ()


class StorageClassSpec(Model):
    """The model cache's StorageClass: an encrypted CSI volume type of the site's storage system."""

    name: DnsLabel = "model-cache"
    provisioner: str = Field(pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    parameters: dict[str, str] = Field(default_factory=dict)
    reclaim_policy: Literal["Retain", "Delete"] = "Retain"


class OnpremSpec(Model):
    # The secret config key holding the kubeconfig of the existing cluster (`pulumi config set --secret`).
    kubeconfig_key: ConfigKey = "llmops-infra:kubeconfig"
    pools: tuple[BareMetalPoolSpec, ...] = ()
    storage_class: StorageClassSpec | None = None


class HybridSpec(Model):
    """EKS Hybrid Nodes: on-prem machines joined to the aws target's EKS cluster."""

    remote_node_cidrs: tuple[ipaddress.IPv4Network, ...] = Field(min_length=1)
    remote_pod_cidrs: tuple[ipaddress.IPv4Network, ...] = ()
    credentials: HybridCredentials = "ssm"
    # IAM Roles Anywhere: the PEM certificate bundle of the CA that issues the nodes' certificates.
    trust_anchor_certificate: str | None = None
    pools: tuple[BareMetalPoolSpec, ...] = ()


class InferenceServerSpec(Model):
    image: PinnedImage
    port: int = Field(default=8000, ge=1024, le=65535)
    gpus: int = Field(default=1, ge=1, le=16)
    replicas: int = Field(default=1, ge=1, le=100)
    args: tuple[str, ...] = ()
    # Where the model comes from: an object prefix in the platform's model bucket (fetched with the site's
    # workload identity), or a pre-provisioned PersistentVolumeClaim.
    model_uri: str | None = Field(default=None, pattern=r"^(s3|gs)://[a-z0-9][a-z0-9.-]+(/.*)?$")
    model_claim: DnsLabel | None = None
    # With modelUri: the digest-pinned image with the cloud's CLI (aws for s3://, gcloud for gs://) that fetches it.
    downloader_image: PinnedImage | None = None
    health_path: str = Field(default="/health", pattern=r"^/[\x21-\x7e]*$")
    # The only clients admitted: CIDRs outside the cluster and namespaces inside it.
    client_cidrs: tuple[ipaddress.IPv4Network, ...] = ()
    client_namespaces: tuple[DnsLabel, ...] = ()


class EdgeSiteSpec(Model):
    name: DnsLabel
    kind: EdgeSiteKind
    # k3s: the secret config key with the site's kubeconfig, and the GPU nodes to label and taint.
    kubeconfig_key: ConfigKey | None = None
    nodes: tuple[KubernetesName, ...] = ()
    accelerator: str = Field(default="nvidia-l4", min_length=1, max_length=63)
    accelerators_per_node: int = Field(default=1, ge=1, le=16)
    # local-zone: the Local Zone (e.g. us-east-1-bos-1a) and the GPU instance type of its EKS node group.
    local_zone: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]+-[a-z0-9-]+$")
    instance_type: str | None = None
    subnet_cidr: ipaddress.IPv4Network | None = None
    max_nodes: int = Field(default=1, ge=1, le=100)
    server: InferenceServerSpec


class EdgeSpec(Model):
    sites: tuple[EdgeSiteSpec, ...] = Field(min_length=1)


class PlatformSpec(Model):
    targets: tuple[Target, ...] = Field(min_length=1)
    # AWS (us-east-1, eusc-de-east-1) and GCP (europe-west4) region names; required by the cloud targets
    # (REGIONAL_TARGETS), meaningless for a cluster that is only on-prem or at K3s sites.
    region: str | None = Field(default=None, pattern=r"^[a-z]+(-[a-z]+)+-?[0-9]+$")
    compliance: tuple[Framework, ...] = ()
    data_classification: Classification = "internal"
    owner: str = Field(min_length=1, max_length=128)
    tags: dict[str, str] = Field(default_factory=dict)
    log_retention_days: int = 365
    # The aws target's VPC, EKS cluster and node groups.
    network: NetworkSpec = NetworkSpec()
    cluster: ClusterSpec = ClusterSpec()
    accelerator_pools: tuple[AcceleratorPoolSpec, ...] = ()
    buckets: tuple[BucketSpec, ...] = ()
    # The gcp target's network, GKE cluster and pools (defaults when the target is named and this is left out).
    gcp: GcpSpec | None = None
    # What every cluster of the platform gets: GPU software, team namespaces, RBAC, priority classes.
    kubernetes: KubernetesSpec = KubernetesSpec()
    onprem: OnpremSpec | None = None
    hybrid: HybridSpec | None = None
    edge: EdgeSpec | None = None

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        if days not in LOG_RETENTION_DAYS:
            raise ValueError(f"CloudWatch Logs accepts only {', '.join(map(str, LOG_RETENTION_DAYS))}")
        return days

    def classification_of(self, bucket: BucketSpec) -> Classification:
        return bucket.classification or self.data_classification

    @property
    def gcp_or_default(self) -> GcpSpec:
        return self.gcp or GcpSpec()

    @property
    def cloud_region(self) -> str:
        """The region of a cloud target (parse_platform has made sure there is one)."""
        if self.region is None:
            raise ValueError(f"targets {', '.join(self.targets)} need a region; validate the spec with parse_platform")
        return self.region


# ---- errors -----------------------------------------------------------------------------------------------

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a config: where (key path under the platform value), the value, and what is allowed."""

    path: Path
    value: Any
    message: str


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class SpecError(Exception):
    """A config that cannot be turned into a spec. `str()` is the whole message a user sees."""

    def __init__(self, problems: Iterable[Problem], source: str = "config", root: str = "llmops-infra:platform"):
        self.problems = list(problems)
        self.source = source
        self.root = root
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        lines = [f"{self.source}: {count} problem{'s' if count != 1 else ''} in {self.root}:"]
        for p in self.problems:
            key = ".".join(x for x in (self.root, format_path(p.path)) if x)
            shown = "" if p.value is _MISSING else f" = {p.value!r}"
            lines.append(f"  {key}{shown}: {p.message}")
        return "\n".join(lines)


_MISSING: Any = object()


def _allowed_keys(model: type[BaseModel], loc: Path) -> list[str] | None:
    """The keys a model accepts at `loc` (which ends at the unknown key), for 'unknown key' messages."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = next((f for n, f in current.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            return None
        current = _model_in(field.annotation)
        if current is None:
            return None
    return sorted((f.alias or n) for n, f in current.model_fields.items())


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def problems_from_validation(error: ValidationError, model: type[BaseModel]) -> list[Problem]:
    problems = []
    for e in error.errors(include_url=False):
        loc = tuple(e["loc"])
        if e["type"] == "extra_forbidden":
            allowed = _allowed_keys(model, loc)
            message = "unknown key" + (f"; allowed keys here: {', '.join(allowed)}" if allowed else "")
        elif e["type"] == "missing":
            problems.append(Problem(loc, _MISSING, "required key is missing"))
            continue
        else:
            message = e["msg"].removeprefix("Value error, ")
        problems.append(Problem(loc, e.get("input"), message))
    return problems


def _pool_problems(data: dict) -> list[Problem]:
    """Catalog problems of the pools that are well-formed on their own, so one run reports everything."""
    from llmops_infra.components.catalog.aws_rules import check_pool
    from llmops_infra.components.catalog.gcp_rules import raw_pool_problems

    pools = data.get("acceleratorPools")
    problems: list[Problem] = []
    for i, raw in enumerate(pools if isinstance(pools, list) else []):
        try:
            pool = AcceleratorPoolSpec.model_validate(raw)
        except ValidationError:
            continue  # its shape problems are already reported with the platform's
        problems += check_pool(pool, ("acceleratorPools", i))
    return problems + raw_pool_problems(data)


def parse_platform(data: Any, source: str = "config") -> PlatformSpec:
    """Validate a raw platform value completely; raise SpecError naming every problem, or return the spec."""
    from llmops_infra.components.catalog.aws_rules import check_platform  # the rules read the spec models defined above
    from llmops_infra.components.catalog.gcp_rules import check_gcp
    from llmops_infra.components.catalog.kubernetes_rules import check_kubernetes

    if not isinstance(data, dict):
        raise SpecError([Problem((), data, "must be a mapping of keys (targets, owner, network, ...)")], source)
    try:
        spec = PlatformSpec.model_validate(data)
    except ValidationError as error:
        raise SpecError(problems_from_validation(error, PlatformSpec) + _pool_problems(data), source) from None
    regional = [t for t in spec.targets if t in REGIONAL_TARGETS]
    if spec.region is None and regional:
        message = f"required key is missing: target {regional[0]} deploys into a cloud region"
        raise SpecError([Problem(("region",), _MISSING, message)], source)
    problems = check_platform(spec) + check_gcp(spec) + check_kubernetes(spec)
    if problems:
        raise SpecError(problems, source)
    return spec
