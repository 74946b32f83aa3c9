"""The environment spec: what one stack config (`llmops-infra:platform`) may say, as pydantic models.

Shape and single values are checked here; rules that need the accelerator catalog live in
components/config/aws.py. `parse_platform` runs both and raises one SpecError listing every problem
with its key path, so a config is fixed in one pass. Keys are camelCase in YAML (Pulumi's convention) and
snake_case in Python; components take these models directly, so a platform team can build them in code.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
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
    """The base of every spec model: unknown keys are refused, keys are camelCase in config (snake_case in
    Python, either accepted), and a spec is immutable once built."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)


class Taint(Model):
    """A Kubernetes taint a pool's nodes carry besides the accelerator taint every pool gets."""

    key: str = Field(
        min_length=1,
        max_length=253,
        description="Taint key, 1 to 253 characters (e.g. `dedicated`). A taint with the key and effect of the "
        "pool's accelerator taint is dropped: that one is always added first.",
    )
    value: KubernetesLabelValue = Field(
        default="",
        description="Taint value: a Kubernetes label value (at most 63 of letters, digits, `-`, `_`, `.`, "
        "alphanumeric at both ends); default empty.",
    )
    effect: TaintEffect = Field(
        default="NO_SCHEDULE",
        description="`NO_SCHEDULE` (default), `NO_EXECUTE` or `PREFER_NO_SCHEDULE`, as EKS and GKE name them; "
        "Node objects and cluster-autoscaler tags get the Kubernetes names (`NoSchedule`, `NoExecute`, "
        "`PreferNoSchedule`).",
    )


class NetworkSpec(Model):
    """The aws target's VPC (components.aws.IsolatedVpc): private subnets for the nodes, AWS services through
    VPC endpoints, optional NAT, every flow logged."""

    cidr: ipaddress.IPv4Network = Field(
        default=ipaddress.IPv4Network("10.0.0.0/16"),
        description="The VPC's IPv4 range: private (RFC 1918), /16 to /24; default 10.0.0.0/16. It is cut into "
        "16 equal blocks: private subnets are taken from the bottom, public (NAT) subnets from the top, one of "
        "each per Availability Zone.",
    )
    availability_zones: int = Field(
        default=2,
        ge=2,
        le=6,
        description="How many Availability Zones get a private subnet (and, with `natGateway`, a public one): "
        "2 (default) to 6; the region must have that many available.",
    )
    nat_gateway: bool = Field(
        default=True,
        description="true (default): an internet gateway, public subnets and one NAT gateway (in the first AZ) "
        "that every private route table sends 0.0.0.0/0 to. false: no route to the internet at all; nodes reach "
        "AWS only through the VPC endpoints.",
    )
    interface_endpoints: tuple[str, ...] = Field(
        default=DEFAULT_INTERFACE_ENDPOINTS,
        description="AWS services reached through private interface endpoints (the part of the service name "
        "after `com.amazonaws.<region>.`; private DNS on, HTTPS from the VPC range only). Default: ecr.api, "
        "ecr.dkr, sts, logs, ssm, ssmmessages, ec2messages, ec2, eks, eks-auth, what private nodes need without "
        "NAT. An S3 gateway endpoint is always added.",
    )

    @field_validator("cidr")
    @classmethod
    def _private(cls, cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        if not cidr.is_private or not 16 <= cidr.prefixlen <= 24:
            raise ValueError("must be a private (RFC 1918) IPv4 range from /16 to /24")
        return cidr


class SystemNodesSpec(Model):
    """The small untainted node group that runs coredns and other add-ons: a cluster needs one to work."""

    instance_type: str = Field(
        default="m6i.large",
        pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$",
        description="EC2 instance type of the system node group (`<family>.<size>`); default m6i.large. It runs "
        "the catalog's standard AL2023 AMI and is not checked against the accelerator catalog.",
    )
    min_size: int = Field(
        default=2,
        ge=1,
        le=100,
        description="Minimum and initial node count, 1 to 100 (default 2); at most `maxSize`.",
    )
    max_size: int = Field(default=4, ge=1, le=100, description="Maximum node count, 1 to 100 (default 4).")
    disk_size_gib: int = Field(
        default=50,
        ge=20,
        le=16384,
        description="Root volume size in GiB: gp3, encrypted with the storage KMS key; 20 to 16384 (default 50).",
    )


class ClusterSpec(Model):
    """The aws target's EKS cluster (components.aws.EksCluster): private endpoint, secrets encrypted, every
    control-plane log kept, access through access entries only."""

    version: str = Field(
        default="1.33",
        pattern=r"^1\.[0-9]{2}$",
        description="EKS Kubernetes version, `1.<minor>` (default `1.33`).",
    )
    endpoint_public_access_cidrs: tuple[ipaddress.IPv4Network, ...] = Field(
        default=(),
        description="Empty (default): the API endpoint is private only. Otherwise it is public too, reachable "
        "from these IPv4 ranges only; 0.0.0.0/0 is refused.",
    )
    admin_role_arns: tuple[Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$")], ...] = Field(
        default=(),
        description="IAM role ARNs (`arn:<partition>:iam::<12-digit account>:role/<name>`) given cluster-admin "
        "(AmazonEKSClusterAdminPolicy, cluster scope) through EKS access entries. Empty (default): nobody, since "
        "the cluster's creator gets no admin rights either.",
    )
    workload_identity: WorkloadIdentity = Field(
        default="pod-identity",
        description="How pods get AWS credentials: `pod-identity` (default: EKS Pod Identity associations) or "
        "`irsa` (an IAM OIDC provider for the cluster, and roles trusting one service account's token each).",
    )
    system_nodes: SystemNodesSpec = Field(
        default=SystemNodesSpec(),
        description="The untainted system node group (SystemNodesSpec defaults: 2 to 4 m6i.large).",
    )
    # Set explicitly (EKS otherwise picks 10.100.0.0/16 or 172.20.0.0/16 from the VPC range) so that hybrid node
    # and pod networks can be checked against it before anything exists.
    service_cidr: ipaddress.IPv4Network = Field(
        default=ipaddress.IPv4Network("172.20.0.0/16"),
        description="The cluster's Kubernetes Service IPv4 range (default 172.20.0.0/16). Hybrid node and pod "
        "networks must not overlap it.",
    )

    @field_validator("endpoint_public_access_cidrs")
    @classmethod
    def _not_open(cls, cidrs: tuple[ipaddress.IPv4Network, ...]) -> tuple[ipaddress.IPv4Network, ...]:
        if any(c.prefixlen == 0 for c in cidrs):
            raise ValueError("0.0.0.0/0 opens the API to the internet; list the operator ranges instead")
        return cidrs


class BucketSpec(Model):
    """A data bucket: S3 on the aws target (components.aws.EncryptedBucket), Cloud Storage on the gcp target
    (components.gcp.EncryptedBucket). Both are encrypted with a customer-managed key, private, versioned and
    access-logged."""

    name: DnsLabel = Field(
        description="Logical name, unique among the buckets: a DNS label of 1 to 32 lowercase letters, digits "
        "and `-` (alphanumeric at both ends). The stacks name the bucket component after it, so the physical name "
        "is Pulumi's auto-name (this name and a random suffix) and its access logs go under `<name>/`.",
    )
    purpose: BucketPurpose = Field(
        description="`model-artifacts`, `datasets` or `checkpoints`: the bucket's `purpose` tag. The stacks give "
        "the model-reader workload identity (and edge sites' `modelUri`) read access to `model-artifacts` "
        "buckets only.",
    )
    classification: Classification | None = Field(
        default=None,
        description="The bucket's `data-classification` tag: `phi`, `personal`, `internal` or `public`. None "
        "(default): the platform's `dataClassification`.",
    )
    noncurrent_version_expiration_days: int = Field(
        default=90,
        ge=1,
        le=36500,
        description="Days after which noncurrent (overwritten or deleted) object versions are deleted by the "
        "lifecycle rule: 1 to 36500 (default 90).",
    )
    expiration_days: int | None = Field(
        default=None,
        ge=1,
        le=36500,
        description="Days after which current objects expire (then become noncurrent versions, removed by the "
        "noncurrent rule): 1 to 36500. None (default): current objects are kept. Set it for GDPR storage "
        "limitation.",
    )
    location: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z]+[A-Za-z0-9-]*$",
        description="GCS only: a region, dual-region or multi-region that holds the platform's region (e.g. "
        "EUR4 for europe-west4); its Cloud KMS key is created in the matching KMS location. None (default): the "
        "platform's region. Refused on the aws target: S3 buckets are always in the platform's region.",
    )

    @field_validator("name")
    @classmethod
    def _cloud_accepts(cls, name: str) -> str:
        """Refuse the names S3 and Cloud Storage reserve, as they would at `pulumi up`.

        The stacks name the bucket component after `name` and the bucket is auto-named from it: the physical name
        is `<name>-<7 random hex digits>` (components.aws/gcp.EncryptedBucket). So the rules on how a bucket name
        starts or what it contains apply to `name`; those on how it ends (S3's `-s3alias`, `--ol-s3`, `.mrap`,
        `--x-s3`, `--table-s3`) can never match a name that ends in the hex suffix. A spec serves either cloud,
        so a name must suit both.
        """
        # S3, "General purpose bucket naming rules" (docs.aws.amazon.com/AmazonS3/latest/userguide/
        # bucketnamingrules.html): must not start with xn--, sthree- (which covers sthree-configurator) or
        # amzn-s3-demo-.
        for prefix in ("xn--", "sthree-", "amzn-s3-demo-"):
            if name.startswith(prefix):
                raise ValueError(
                    f"S3 refuses bucket names that start with {prefix} (a reserved prefix in its bucket naming "
                    "rules); choose another name"
                )
        # Cloud Storage, "Bucket names" (cloud.google.com/storage/docs/buckets#naming): cannot begin with "goog",
        # cannot contain "google" or close misspellings such as "g00gle".
        if name.startswith("goog"):
            raise ValueError(
                "Cloud Storage refuses bucket names that start with goog (its naming rules); choose another name"
            )
        if "google" in name.replace("0", "o").replace("1", "l"):
            raise ValueError(
                'Cloud Storage refuses bucket names that contain "google" or a close misspelling such as "g00gle" '
                "(its naming rules); choose another name"
            )
        return name


class AcceleratorPoolSpec(Model):
    """One accelerator pool of the EKS cluster (components.aws.GpuNodePool): a managed node group of one
    accelerated instance type from the catalog, able to scale from zero."""

    name: DnsLabel = Field(
        description="Pool name, unique across acceleratorPools, onprem.pools and hybrid.pools: a DNS label of 1 "
        "to 32 lowercase letters, digits and `-`. It is the `llmops.dev/pool` node label; the stacks also name "
        "the node group after it.",
    )
    role: PoolRole = Field(
        default="inference",
        description="`training` or `inference` (default): the `llmops.dev/role` node label; the stacks tag the "
        "pool's resources with purpose `accelerators-<role>`.",
    )
    instance_type: str = Field(
        description="An accelerated EC2 instance type of the catalog (components/catalog/aws.py), e.g. "
        "p5.48xlarge, g6e.12xlarge, inf2.xlarge. It decides the accelerator and its count per node, the vendor "
        "taint, the EFA interfaces and the default AMI type.",
    )
    ami_type: str | None = Field(
        default=None,
        description="EKS AMI type of the node group; it must fit the instance's accelerator vendor and "
        "architecture (NVIDIA AMIs on NVIDIA types, AL2023_x86_64_NEURON on Inferentia and Trainium). None "
        "(default): the catalog's default for the instance type.",
    )
    capacity_type: CapacityTypeName = Field(
        default="ON_DEMAND",
        description="`ON_DEMAND` (default, optionally in a capacity reservation), `SPOT` (no reservation) or "
        "`CAPACITY_BLOCK` (needs `capacityReservationId`; the instance type is then set in the launch template).",
    )
    min_size: int = Field(
        default=0,
        ge=0,
        le=1000,
        description="Minimum node count, 0 (default) to 1000; at most `maxSize`. A pool at 0 scales up through "
        "the cluster-autoscaler node-template tags on its Auto Scaling group.",
    )
    desired_size: int | None = Field(
        default=None,
        ge=0,
        le=1000,
        description="Initial node count, between `minSize` and `maxSize`. None (default): `minSize`. Later "
        "changes are ignored: the cluster autoscaler owns the size once the pool exists.",
    )
    max_size: int = Field(ge=1, le=1000, description="Maximum node count, 1 to 1000 (required).")
    efa: bool = Field(
        default=False,
        description="Attach every EFA interface the instance type has (one per network card), with a security "
        "group that passes traffic only between the pool's own interfaces; the pool then runs in the first "
        "private subnet (one AZ). Refused on types without EFA. Default false.",
    )
    placement_group: bool = Field(
        default=False,
        description="Launch the nodes into a cluster placement group; the pool then runs in one AZ. Not with "
        "`capacityReservationId`. Default false.",
    )
    capacity_reservation_id: str | None = Field(
        default=None,
        pattern=r"^cr-[0-9a-f]{8,17}$",
        description="`cr-` and 8 to 17 hex digits: the On-Demand Capacity Reservation (ON_DEMAND) or the "
        "Capacity Block (CAPACITY_BLOCK, required there) the launch template targets. Refused with SPOT. None "
        "(default): no reservation.",
    )
    disk_size_gib: int = Field(
        default=200,
        ge=20,
        le=16384,
        description="Size in GiB of the volume that holds images and scratch data (the root volume, or the data "
        "volume on AMIs that have one, such as Bottlerocket): gp3, encrypted with the storage KMS key; 20 to "
        "16384 (default 200).",
    )
    labels: dict[str, KubernetesLabelValue] = Field(
        default_factory=dict,
        description="Extra Kubernetes node labels (values are label values). The pool's own `llmops.dev/...` "
        "labels win over keys they share.",
    )
    taints: tuple[Taint, ...] = Field(
        default=(),
        description="Extra node taints; the accelerator's vendor taint (`nvidia.com/gpu` or "
        "`aws.amazon.com/neuron`, NoSchedule) is always added first.",
    )
    allowed_classifications: tuple[Classification, ...] = Field(
        default=(),
        description="Data classes whose workloads may run on this pool: each adds the node label "
        '`llmops.dev/allow-<class>: "true"`, which the data placement admission policy (onprem and hybrid '
        "targets) requires of pods in namespaces of that class. Empty (default): none.",
    )

    @property
    def desired(self) -> int:
        """The initial node count: `desired_size`, or `min_size` when it is not set."""
        return self.min_size if self.desired_size is None else self.desired_size


# ---- the gcp target (GKE) -----------------------------------------------------------------------------------

GkeReleaseChannel = Literal["RAPID", "REGULAR", "STABLE", "EXTENDED"]
# pulumi_gcp guest_accelerators.gpu_driver_installation_config.gpu_driver_version (docs/accelerators.md);
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


class AwsSpec(Model):
    """The aws target (`aws:` in the platform value): its VPC, EKS cluster and accelerator node groups."""

    network: NetworkSpec = Field(default=NetworkSpec(), description="The VPC (NetworkSpec defaults).")
    cluster: ClusterSpec = Field(default=ClusterSpec(), description="The EKS cluster (ClusterSpec defaults).")
    accelerator_pools: tuple[AcceleratorPoolSpec, ...] = Field(
        default=(), description="The accelerator node groups (EKS managed node groups); none by default."
    )


def _private_cidr(cidr: ipaddress.IPv4Network, smallest: int = 8, largest: int = 29) -> ipaddress.IPv4Network:
    if not cidr.is_private or not smallest <= cidr.prefixlen <= largest:
        raise ValueError(f"must be a private (RFC 1918) IPv4 range from /{smallest} to /{largest}")
    return cidr


class FirewallAllowSpec(Model):
    """One explicit ingress allow; everything else is denied by the network's lowest-priority deny rule."""

    name: GcpName = Field(
        description="Names the allow (its firewall rule resource is `<network>-allow-<name>`), unique within "
        "ingressAllows: a Compute Engine name (a lowercase letter, then up to 62 of a-z, 0-9 and `-`, not ending "
        "in `-`).",
    )
    protocol: FirewallProtocol = Field(default="tcp", description="`tcp` (default), `udp`, `icmp` or `sctp`.")
    ports: tuple[Annotated[str, Field(pattern=r"^[0-9]{1,5}(-[0-9]{1,5})?$")], ...] = Field(
        default=(),
        description="Ports or port ranges (`443`, `8000-8100`) for tcp, udp and sctp. Empty (default): every port "
        "of the protocol.",
    )
    source_ranges: tuple[ipaddress.IPv4Network, ...] = Field(
        min_length=1,
        description="The IPv4 ranges let in (at least one); 0.0.0.0/0 is refused.",
    )
    target_tags: tuple[GcpName, ...] = Field(
        default=(),
        description="Network tags of the instances the allow applies to. Empty (default): every instance in the "
        "network.",
    )

    @field_validator("source_ranges")
    @classmethod
    def _not_open(cls, ranges: tuple[ipaddress.IPv4Network, ...]) -> tuple[ipaddress.IPv4Network, ...]:
        if any(r.prefixlen == 0 for r in ranges):
            raise ValueError("0.0.0.0/0 allows the whole internet in; list the source networks instead")
        return ranges


class GcpNetworkSpec(Model):
    """A VPC with one subnet for nodes; pods and services get the subnet's secondary ranges (VPC-native GKE)."""

    subnet_cidr: ipaddress.IPv4Network = Field(
        default=ipaddress.IPv4Network("10.60.0.0/20"),
        description="The node subnet's primary range: private (RFC 1918), /8 to /29 (default 10.60.0.0/20). The "
        "node, pod, service and control-plane ranges must not overlap.",
    )
    pods_cidr: ipaddress.IPv4Network = Field(
        default=ipaddress.IPv4Network("10.64.0.0/14"),
        description="The subnet's secondary range `pods`, for pod addresses: private, /8 to /29 (default "
        "10.64.0.0/14).",
    )
    services_cidr: ipaddress.IPv4Network = Field(
        default=ipaddress.IPv4Network("10.68.0.0/20"),
        description="The subnet's secondary range `services`, for Service addresses: private, /8 to /29 (default "
        "10.68.0.0/20).",
    )
    cloud_nat: bool = Field(
        default=True,
        description="true (default): a Cloud Router and Cloud NAT for the node subnet (all its ranges, "
        "Google-allocated addresses, errors logged), the only way private nodes reach the internet. false: no "
        "NAT; nodes reach only Google APIs (Private Google Access).",
    )
    flow_log_sampling: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="Share of the subnet's flows recorded in VPC flow logs (5-second aggregation, all metadata): "
        "above 0, at most 1 (default 0.5).",
    )
    ingress_allows: tuple[FirewallAllowSpec, ...] = Field(
        default=(),
        description="Explicit ingress allows (logged, priority 1000). Everything else is denied by a logged "
        "deny-all rule at priority 65534; GKE adds the rules the cluster itself needs.",
    )

    @field_validator("subnet_cidr", "pods_cidr", "services_cidr")
    @classmethod
    def _private(cls, cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        return _private_cidr(cidr)


class GkeSystemNodesSpec(Model):
    """The untainted pool that runs kube-dns and other add-ons; sizes are per zone, as GKE counts them."""

    machine_type: str = Field(
        default="e2-standard-4",
        pattern=r"^[a-z][a-z0-9]*-[a-z0-9-]+$",
        description="Compute Engine machine type of the system pool (default e2-standard-4).",
    )
    min_nodes_per_zone: int = Field(
        default=1,
        ge=0,
        le=100,
        description="Autoscaler minimum per zone, 0 to 100 (default 1); at most `maxNodesPerZone`. The pool "
        "starts with at least one node per zone.",
    )
    max_nodes_per_zone: int = Field(
        default=2, ge=1, le=100, description="Autoscaler maximum per zone, 1 to 100 (default 2)."
    )
    disk_size_gib: int = Field(
        default=100,
        ge=10,
        le=65536,
        description="Boot disk size in GiB, encrypted with the boot-disk Cloud KMS key: 10 to 65536 (default 100).",
    )


class GkeClusterSpec(Model):
    """The gcp target's GKE Standard cluster (components.gcp.GkeCluster): regional, private nodes, private
    endpoint by default, Workload Identity, Dataplane V2, Kubernetes secrets encrypted with Cloud KMS."""

    release_channel: GkeReleaseChannel = Field(
        default="REGULAR",
        description="GKE release channel: `RAPID`, `REGULAR` (default), `STABLE` or `EXTENDED`.",
    )
    master_ipv4_cidr: ipaddress.IPv4Network = Field(
        default=ipaddress.IPv4Network("172.16.0.0/28"),
        description="The control plane's private range: exactly a private /28 (default 172.16.0.0/28), "
        "overlapping none of the network's ranges.",
    )
    private_endpoint: bool = Field(
        default=True,
        description="true (default): the control plane has no public endpoint; reach it from the VPC or a "
        "peered or VPN network. false: it has a public endpoint too. Either way only the nodes and "
        "`masterAuthorizedNetworks` may reach it.",
    )
    master_authorized_networks: tuple[ipaddress.IPv4Network, ...] = Field(
        default=(),
        description="The only networks besides the cluster's nodes that may reach the control plane (enforced on "
        "the private endpoint too). Empty (default): none; 0.0.0.0/0 is refused.",
    )
    zones: tuple[GcpZone, ...] = Field(
        default=(),
        description="Node zones of the regional cluster (`<region>-<letter>`, in the platform region); pools "
        "without zones of their own use them. Empty (default): the zones GKE picks in the region.",
    )
    system_nodes: GkeSystemNodesSpec = Field(
        default=GkeSystemNodesSpec(),
        description="The untainted system pool (GkeSystemNodesSpec defaults: 1 to 2 e2-standard-4 per zone).",
    )
    deletion_protection: bool = Field(
        default=True,
        description="The cluster's deletion protection (default true): the cluster cannot be destroyed until "
        "this is set false and applied.",
    )

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

    consume: ReservationConsumption = Field(
        default="SPECIFIC_RESERVATION",
        description="The node pool's reservation affinity: `SPECIFIC_RESERVATION` (default: the one named by "
        "`name`), `ANY_RESERVATION` or `ANY_RESERVATION_THEN_FAIL` (any matching reservation).",
    )
    name: GcpName | None = Field(
        default=None,
        description="The reservation's name: required with SPECIFIC_RESERVATION, refused with the other values.",
    )
    project: str | None = Field(
        default=None,
        pattern=r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$",
        description="The project of a shared reservation (consumed as `projects/<project>/reservations/<name>`); "
        "only with SPECIFIC_RESERVATION. None (default): the cluster's project.",
    )


class GpuSharingSpec(Model):
    """How containers share each GPU of a GKE pool (GKE GPU sharing)."""

    strategy: GpuSharingStrategy = Field(description="GKE's GPU sharing strategy: `TIME_SHARING` or `MPS`.")
    max_shared_clients_per_gpu: int = Field(
        ge=2, le=48, description="How many containers may share one GPU: 2 to 48 (required)."
    )


class GkePoolSpec(Model):
    """What GPU and TPU pools share: capacity (spot, reservation, queued, flex-start), disks, labels, taints."""

    name: DnsLabel = Field(
        description="Node pool name, unique across gpuPools and tpuPools: a DNS label of 1 to 32 lowercase "
        "letters, digits and `-`. It is the `llmops.dev/pool` node label; the stacks also name the node pool "
        "after it.",
    )
    role: PoolRole = Field(
        default="inference",
        description="`training` or `inference` (default): the `llmops.dev/role` node label; the stacks label the "
        "pool with purpose `accelerators-<role>`.",
    )
    machine_type: str = Field(
        pattern=r"^[a-z][a-z0-9]*-[a-z0-9-]+$",
        description="A Compute Engine machine type of the catalog (components/catalog/gcp.py): a GPU type in "
        "gpuPools (e.g. a3-highgpu-8g, g2-standard-8, or an N1 type with `accelerator`), a TPU type in tpuPools "
        "(e.g. ct5lp-hightpu-4t); required.",
    )
    zones: tuple[GcpZone, ...] = Field(
        default=(),
        description="Zones of this pool, each one of the cluster's zones in the platform region. Empty (default): "
        "the cluster's zones.",
    )
    spot: bool = Field(
        default=False,
        description="Run on Spot VMs (default false); not with `reservation` or `flexStart`.",
    )
    reservation: ReservationSpec | None = Field(
        default=None,
        description="The Compute Engine reservation the pool consumes; not with spot, queuedProvisioning or "
        "flexStart. None (default): none (NO_RESERVATION).",
    )
    queued_provisioning: bool = Field(
        default=False,
        description="Dynamic Workload Scheduler queued provisioning (default false): nodes are created only for "
        "admitted provisioning requests, so the pool starts with no nodes and node auto-repair is off; no "
        "reservation, no compact placement.",
    )
    flex_start: bool = Field(
        default=False,
        description="Flex-start VMs (default false): the pool starts with no nodes and node auto-repair is off; "
        "not with spot or a reservation.",
    )
    disk_size_gib: int = Field(
        default=200,
        ge=10,
        le=65536,
        description="Boot disk size in GiB, encrypted with the cluster's boot-disk Cloud KMS key: 10 to 65536 "
        "(default 200).",
    )
    disk_type: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9-]+$",
        description="Boot disk type (e.g. pd-ssd, hyperdisk-balanced). None (default): GKE's default for the "
        "machine type.",
    )
    labels: dict[str, KubernetesLabelValue] = Field(
        default_factory=dict,
        description="Extra Kubernetes node labels. The pool's own `llmops.dev/role` and `llmops.dev/pool` win "
        "over keys they share.",
    )
    taints: tuple[Taint, ...] = Field(
        default=(),
        description="Extra node taints; the vendor taint (`nvidia.com/gpu=present` or `google.com/tpu=present`, "
        "NO_SCHEDULE) is always added first.",
    )


class GpuPoolSpec(GkePoolSpec):
    """One GKE GPU node pool (components.gcp.GpuNodePool), autoscaled across its zones."""

    accelerator: str | None = Field(
        default=None,
        description="The GPU to attach, by its GKE accelerator name (e.g. nvidia-tesla-t4): required on N1 machine "
        "types; on the others it may only repeat the GPU the machine type carries. None (default): the machine "
        "type's GPU.",
    )
    accelerator_count: int | None = Field(
        default=None,
        ge=1,
        le=16,
        description="GPUs per node, 1 to 16: on N1 machine types one of the counts the GPU attaches in "
        "(required there); on the others only the machine type's count. None (default): the machine type's count.",
    )
    min_nodes: int = Field(
        default=0,
        ge=0,
        le=1000,
        description="Autoscaler minimum, in total across the pool's zones: 0 (default) to 1000, at most "
        "`maxNodes`; 0 with queuedProvisioning.",
    )
    max_nodes: int = Field(
        ge=1,
        le=1000,
        description="Autoscaler maximum, in total across the pool's zones: 1 to 1000 (required).",
    )
    driver_version: GpuDriverVersion = Field(
        default="DEFAULT",
        description="The GPU driver GKE installs: `DEFAULT` (default), `LATEST`, or `INSTALLATION_DISABLED` "
        "(install it yourself).",
    )
    sharing: GpuSharingSpec | None = Field(
        default=None,
        description="GPU sharing (time-sharing or MPS) for each GPU. None (default): no sharing.",
    )
    mig_partition_size: str | None = Field(
        default=None,
        pattern=r"^[1-7]g\.[0-9]+gb$",
        description="Multi-Instance GPU partition size (`<1-7>g.<N>gb`, e.g. 1g.10gb), on a GPU GKE partitions "
        "and, where the catalog lists its sizes, one of them. None (default): whole GPUs.",
    )
    compact_placement: bool = Field(
        default=False,
        description="A COMPACT placement policy: nodes close together (default false); needs exactly one zone "
        "and is refused with queuedProvisioning.",
    )


class TpuPoolSpec(GkePoolSpec):
    """One GKE TPU slice node pool (components.gcp.TpuNodePool): a single-host pool that autoscales, or one
    atomic multi-host slice."""

    role: PoolRole = Field(
        default="training",
        description="`training` (default) or `inference`: the `llmops.dev/role` node label; the stacks label the "
        "pool with purpose `accelerators-<role>`.",
    )
    topology: TpuTopology = Field(
        description="The slice shape in chips, `AxB` or `AxBxC` as the TPU version counts them (e.g. 2x4), one "
        "the catalog allows for the machine type; required. A shape larger than one host is a multi-host slice: "
        "one atomic pool of exactly the hosts it needs, placed COMPACT in one zone.",
    )
    # Single-host pools autoscale between these (one slice per node); a multi-host slice has exactly the node
    # count its topology needs, so leave them out there (or give that number).
    min_nodes: int | None = Field(
        default=None,
        ge=0,
        le=1000,
        description="Single-host pools: the autoscaler minimum, 0 to 1000 (None, the default: 0). Multi-host "
        "slices: leave it out or give the slice's node count (0 with queuedProvisioning).",
    )
    max_nodes: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="Single-host pools: the autoscaler maximum, 1 to 1000, required. Multi-host slices: leave it "
        "out or give the slice's node count.",
    )


class GcpSpec(Model):
    """The gcp target: its network, GKE cluster and accelerator pools."""

    network: GcpNetworkSpec = Field(
        default=GcpNetworkSpec(), description="The VPC and node subnet (GcpNetworkSpec defaults)."
    )
    cluster: GkeClusterSpec = Field(default=GkeClusterSpec(), description="The GKE cluster (GkeClusterSpec defaults).")
    gpu_pools: tuple[GpuPoolSpec, ...] = Field(default=(), description="GPU node pools; none by default.")
    tpu_pools: tuple[TpuPoolSpec, ...] = Field(default=(), description="TPU slice node pools; none by default.")


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


class BareMetalPoolSpec(Model):
    """GPU machines already in a cluster, made a pool by labels and a taint on the named nodes."""

    name: DnsLabel = Field(
        description="Pool name, unique across acceleratorPools, onprem.pools and hybrid.pools: a DNS label of 1 "
        "to 32 lowercase letters, digits and `-`; the `llmops.dev/pool` node label.",
    )
    role: PoolRole = Field(
        default="inference", description="`training` or `inference` (default): the `llmops.dev/role` node label."
    )
    nodes: tuple[KubernetesName, ...] = Field(
        min_length=1,
        description="The Kubernetes node names of the machines, at least one; a node belongs to one pool. Each "
        "gets a NodePatch (server-side apply) with the pool's labels and taints.",
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


class HybridSpec(Model):
    """EKS Hybrid Nodes: on-prem machines joined to the aws target's EKS cluster."""

    remote_node_cidrs: tuple[ipaddress.IPv4Network, ...] = Field(
        min_length=1,
        description="The on-prem machines' networks (at least one), set as the cluster's remote node networks: "
        "RFC 1918, /8 to /32, overlapping neither `network.cidr`, `cluster.serviceCidr` nor each other.",
    )
    remote_pod_cidrs: tuple[ipaddress.IPv4Network, ...] = Field(
        default=(),
        description="The hybrid nodes' pod networks, set as the cluster's remote pod networks and Cilium's pod "
        "address pool (a /25 per node): the same range rules as remoteNodeCidrs, each /25 or larger, together "
        "enough /25 blocks for every node. Required by the config rules and by HybridCilium, though the model "
        "defaults to empty.",
    )
    credentials: HybridCredentials = Field(
        default="ssm",
        description="How the machines get the hybrid nodes' IAM role: `ssm` (default: an SSM hybrid activation "
        "limited to as many registrations as the pools have nodes; its code is a secret output) or "
        "`iam-roles-anywhere` (a trust anchor for `trustAnchorCertificate` and a profile).",
    )
    trust_anchor_certificate: str | None = Field(
        default=None,
        description="The PEM certificate bundle of the CA that issues the nodes' certificates: required with "
        "`iam-roles-anywhere`, refused with `ssm`.",
    )
    pools: tuple[BareMetalPoolSpec, ...] = Field(
        default=(),
        description="The on-prem GPU pools joining the cluster; the config rules require at least one.",
    )


class InferenceServerSpec(Model):
    """The model server an edge site runs: one Deployment and Service in namespace `edge-<site>`."""

    image: PinnedImage = Field(
        description="The server's container image, pinned by digest (`<repository>[:tag]@sha256:<64 hex>`); required.",
    )
    port: int = Field(
        default=8000,
        ge=1024,
        le=65535,
        description="The server's TCP port (container and Service, named http), 1024 to 65535 (default 8000); "
        "the only port the NetworkPolicy opens to the declared clients.",
    )
    gpus: int = Field(
        default=1,
        ge=1,
        le=16,
        description="GPUs per replica (its `nvidia.com/gpu` limit), 1 to 16 (default 1); at most what one node has.",
    )
    replicas: int = Field(
        default=1,
        ge=1,
        le=100,
        description="Server replicas, 1 to 100 (default 1); more than one adds a PodDisruptionBudget with "
        "maxUnavailable 1.",
    )
    args: tuple[str, ...] = Field(default=(), description="Arguments of the server container; none by default.")
    model_uri: str | None = Field(
        default=None,
        pattern=r"^(s3|gs)://[a-z0-9][a-z0-9.-]+(/.*)?$",
        description="The model prefix an init container copies into /models with the site's workload identity "
        "(`s3://` or `gs://`). In a config: local-zone sites only, `s3://<bucket>/<prefix>` with `<bucket>` the "
        "config name of one of the platform's model-artifacts buckets. Exactly one of modelUri and modelClaim.",
    )
    model_claim: DnsLabel | None = Field(
        default=None,
        description="A pre-provisioned PersistentVolumeClaim in namespace `edge-<site>`, mounted read-only at "
        "/models. Exactly one of modelUri and modelClaim.",
    )
    downloader_image: PinnedImage | None = Field(
        default=None,
        description="With modelUri (required there, unless the component's `downloader_image` argument is "
        "given): the digest-pinned image with the cloud's CLI (aws for s3://, gcloud for gs://) that fetches it.",
    )
    health_path: str = Field(
        default="/health",
        pattern=r"^/[\x21-\x7e]*$",
        description="HTTP path of the startup, readiness and liveness probes (default /health).",
    )
    client_cidrs: tuple[ipaddress.IPv4Network, ...] = Field(
        default=(),
        description="IPv4 ranges outside the cluster admitted to the server port. With no clientCidrs and no "
        "clientNamespaces (the default) nothing reaches the server.",
    )
    client_namespaces: tuple[DnsLabel, ...] = Field(
        default=(),
        description="Namespaces inside the cluster whose pods are admitted to the server port; none by default.",
    )


class EdgeSiteSpec(Model):
    """One edge inference site: a K3s cluster (`k3s`) or an EKS node group in an AWS Local Zone (`local-zone`)."""

    name: DnsLabel = Field(
        description="Site name, unique: the namespace `edge-<name>` and the site's pool label (a DNS label of 1 "
        "to 32 lowercase letters, digits and `-`).",
    )
    kind: EdgeSiteKind = Field(
        description="`k3s`: an existing K3s cluster at the site; `local-zone`: a GPU node group of the aws "
        "target's EKS cluster in an AWS Local Zone; required.",
    )
    kubeconfig_key: ConfigKey | None = Field(
        default=None,
        description="k3s only, required there: the secret config key (`<namespace>:<key>`) with the site's kubeconfig.",
    )
    nodes: tuple[KubernetesName, ...] = Field(
        default=(),
        description="k3s only, required there: the site's GPU nodes, labelled and tainted as the site's pool.",
    )
    accelerator: str = Field(
        default="nvidia-l4",
        min_length=1,
        max_length=63,
        description="k3s: the nodes' accelerator as a label value (default nvidia-l4); local-zone sites take it "
        "from the catalog.",
    )
    accelerators_per_node: int = Field(
        default=1,
        ge=1,
        le=16,
        description="k3s: GPUs per node, 1 to 16 (default 1); the server's `gpus` may not exceed it.",
    )
    local_zone: str | None = Field(
        default=None,
        pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]+-[a-z0-9-]+$",
        description="local-zone only, required there: the Local Zone (e.g. us-east-1-bos-1a), one of the platform "
        "region's.",
    )
    instance_type: str | None = Field(
        default=None,
        description="local-zone only, required there: an NVIDIA GPU instance type of the catalog.",
    )
    subnet_cidr: ipaddress.IPv4Network | None = Field(
        default=None,
        description="local-zone only, required there: the site's private subnet in the zone, inside "
        "`network.cidr` and overlapping no other site's.",
    )
    max_nodes: int = Field(
        default=1,
        ge=1,
        le=100,
        description="local-zone: the node group's maximum size, 1 to 100 (default 1); it always keeps one node.",
    )
    server: InferenceServerSpec = Field(description="The site's model server; required.")


class EdgeSpec(Model):
    """The edge target: its inference sites."""

    sites: tuple[EdgeSiteSpec, ...] = Field(min_length=1, description="The edge sites, at least one.")


class PlatformSpec(Model):
    """One environment: the whole `llmops-infra:platform` config value of a stack."""

    targets: tuple[Target, ...] = Field(
        min_length=1,
        description="What the stack deploys, at least one of `aws`, `gcp` (one cloud per platform), `onprem`, "
        "`hybrid` (needs aws) and `edge`.",
    )
    # AWS (us-east-1, eusc-de-east-1) and GCP (europe-west4) region names; required by the cloud targets
    # (REGIONAL_TARGETS), meaningless for a cluster that is only on-prem or at K3s sites.
    region: str | None = Field(
        default=None,
        pattern=r"^[a-z]+(-[a-z]+)+-?[0-9]+$",
        description="The AWS or GCP region (e.g. us-east-1, europe-west4); in a stack file it comes from "
        "`aws:region` or `gcp:region`. Required by the aws, gcp and hybrid targets; None (default) for a platform "
        "that is only on-prem or at K3s sites.",
    )
    compliance: tuple[Framework, ...] = Field(
        default=(),
        description="The policy packs this environment must pass, `hipaa` and/or `gdpr`: what `llmops check` runs "
        "for the stack. Empty (default): none declared.",
    )
    data_classification: Classification = Field(
        default="internal",
        description="The default `data-classification` tag and label of the platform's resources: `phi`, "
        "`personal`, `internal` (default) or `public`. Buckets and teams may set their own; access-log buckets "
        "and the clusters' system objects are always internal.",
    )
    owner: str = Field(
        min_length=1,
        max_length=128,
        description="The `owner` tag and label of every resource, 1 to 128 characters (required); with the gcp "
        "target a valid GCP label value (lowercase letters, digits, `_` and `-`, at most 63).",
    )
    tags: dict[str, str] = Field(
        default_factory=dict,
        description="Extra tags (AWS) and labels (GCP; Kubernetes objects get those whose keys are valid label "
        "keys) on every resource the platform tags; they cannot replace owner, purpose, data-classification or "
        "managed-by. With the gcp target, keys and values must be valid GCP labels.",
    )
    log_retention_days: int = Field(
        default=365,
        description="Days the aws target's flow-log and EKS control-plane log groups and the access-log bucket "
        "(S3 or GCS) keep logs: "
        "one of the CloudWatch Logs values 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365 (default), 400, 545, "
        "731, 1096, 1827, 2192, 2557, 2922, 3288, 3653.",
    )
    aws: AwsSpec | None = Field(
        default=None,
        description="The aws target's VPC, EKS cluster and accelerator node groups. None (default): AwsSpec "
        "defaults when aws is a target; refused when it is not.",
    )
    buckets: tuple[BucketSpec, ...] = Field(
        default=(), description="Data buckets (S3 on aws, Cloud Storage on gcp); none by default."
    )
    gcp: GcpSpec | None = Field(
        default=None,
        description="The gcp target's network, GKE cluster and pools. None (default): GcpSpec defaults when gcp "
        "is a target; refused when it is not.",
    )
    kubernetes: KubernetesSpec = Field(
        default=KubernetesSpec(),
        description="What every cluster of the platform gets: GPU software, team namespaces, RBAC, priority "
        "classes (KubernetesSpec defaults).",
    )
    onprem: OnpremSpec | None = Field(
        default=None, description="The onprem target: required with it, refused without it."
    )
    hybrid: HybridSpec | None = Field(
        default=None, description="The hybrid target (EKS Hybrid Nodes): required with it, refused without it."
    )
    edge: EdgeSpec | None = Field(default=None, description="The edge target: required with it, refused without it.")

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        if days not in LOG_RETENTION_DAYS:
            raise ValueError(f"CloudWatch Logs accepts only {', '.join(map(str, LOG_RETENTION_DAYS))}")
        return days

    def classification_of(self, bucket: BucketSpec) -> Classification:
        """A bucket's data classification: its own, else the platform's."""
        return bucket.classification or self.data_classification

    @property
    def aws_or_default(self) -> AwsSpec:
        """The aws section, or its defaults when the config leaves it out."""
        return self.aws or AwsSpec()

    @property
    def gcp_or_default(self) -> GcpSpec:
        """The gcp section, or its defaults when the config leaves it out."""
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
            shown = "" if p.value is MISSING else f" = {p.value!r}"
            lines.append(f"  {key}{shown}: {p.message}")
        return "\n".join(lines)


MISSING: Any = object()  # a Problem's value when the key is absent (rendered without "= value")
