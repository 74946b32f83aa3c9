"""The aws section of the platform value (`aws:`): its models (VPC, EKS cluster, accelerator node groups)
and the checks that hold a spec against the AWS catalog before any resource exists.

Each check takes one pool (or the platform) and yields Problems whose message says what to change. They run
in order; a pool whose instance type is unknown gets only that problem, since every other check needs it.
"""

from __future__ import annotations

import difflib
import ipaddress
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, field_validator

from llmops_infra.components.catalog import aws
from llmops_infra.components.config.base import (
    Classification,
    DnsLabel,
    KubernetesLabelValue,
    Model,
    PoolRole,
    Problem,
    Taint,
)

if TYPE_CHECKING:
    from llmops_infra.components.config.platform import PlatformSpec


CapacityTypeName = Literal["ON_DEMAND", "SPOT", "CAPACITY_BLOCK"]
WorkloadIdentity = Literal["pod-identity", "irsa"]

# ec2messages). S3 is always added as a gateway endpoint (ECR layers live in S3).
DEFAULT_INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "sts", "logs", "ssm", "ssmmessages", "ec2messages", "ec2",
                               "eks", "eks-auth")  # fmt: skip


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
        "architecture (NVIDIA AMIs on NVIDIA types, AL2023_x86_64_NEURON on Inferentia and Trainium), and EKS "
        "must still publish it for `cluster.version` (AL2_x86_64_GPU: up to 1.32 only; use an AL2023 or "
        "Bottlerocket type). None (default): the catalog's default for the instance type (AL2023).",
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


class AwsSpec(Model):
    """The aws target (`aws:` in the platform value): its VPC, EKS cluster and accelerator node groups."""

    network: NetworkSpec = Field(default=NetworkSpec(), description="The VPC (NetworkSpec defaults).")
    cluster: ClusterSpec = Field(default=ClusterSpec(), description="The EKS cluster (ClusterSpec defaults).")
    accelerator_pools: tuple[AcceleratorPoolSpec, ...] = Field(
        default=(), description="The accelerator node groups (EKS managed node groups); none by default."
    )
    create_autoscaling_role: bool = Field(
        default=False,
        description="Create the EC2 Auto Scaling service-linked role `AWSServiceRoleForAutoScaling` before the "
        "storage key, whose key policy lets it encrypt the node groups' volumes: KMS refuses a key policy that "
        "names a role that does not exist. Set true in an account that has never used EC2 Auto Scaling; false "
        "(default): the role exists (IAM refuses to create it a second time). `aws iam get-role --role-name "
        "AWSServiceRoleForAutoScaling` tells which.",
    )


# ---- checks --------------------------------------------------------------------------------------------------

PoolCheck = Callable[[AcceleratorPoolSpec, aws.InstanceType, tuple], Iterator[Problem]]


def _instance_type(pool: AcceleratorPoolSpec, at: tuple) -> Iterator[Problem]:
    if aws.lookup(pool.instance_type) is None:
        known = aws.known_instance_types()
        close = difflib.get_close_matches(pool.instance_type, known, n=3)
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        yield Problem(
            (*at, "instanceType"),
            pool.instance_type,
            f"not an accelerated instance type in the catalog; {hint}known: {', '.join(known)}",
        )


def _ami_type(
    pool: AcceleratorPoolSpec, it: aws.InstanceType, at: tuple, cluster_version: str | None
) -> Iterator[Problem]:
    """The AMI type fits the accelerator and architecture, and EKS still publishes it for the cluster's version
    (None: not known, e.g. a pool checked without its cluster; only the fit is checked then)."""
    if pool.ami_type is None:
        return
    ami = aws.AMI_TYPES.get(pool.ami_type)
    fit = [a for a in aws.AMI_TYPES.values() if (a.vendor, a.arch) == (it.family.vendor, it.family.arch)]
    current = sorted(a.name for a in fit if cluster_version is None or a.published_for(cluster_version))
    if ami is None or (ami.vendor, ami.arch) != (it.family.vendor, it.family.arch):
        if ami is None:
            why = "not an EKS accelerator AMI type"
        else:
            why = f"an AMI for {ami.vendor or 'no accelerator'} on {ami.arch}"
        yield Problem(
            (*at, "amiType"),
            pool.ami_type,
            f"{why}, but {pool.instance_type} carries {it.family.accelerator} ({it.family.vendor}, "
            f"{it.family.arch}); allowed: {', '.join(current)}",
        )
    elif cluster_version is not None and not ami.published_for(cluster_version):
        # The last version and the end date are the catalog row's (AmiType.last_kubernetes_version, end_of_support).
        yield Problem(
            (*at, "amiType"),
            pool.ami_type,
            f"EKS publishes {ami.name} AMIs up to Kubernetes {ami.last_kubernetes_version} only (support ended "
            f"{ami.end_of_support}), but the cluster runs Kubernetes {cluster_version}; use "
            f"{' or '.join(current)}, which fit {pool.instance_type}",
        )


def _efa(pool: AcceleratorPoolSpec, it: aws.InstanceType, at: tuple) -> Iterator[Problem]:
    if pool.efa and it.efa_interfaces == 0:
        with_efa = sorted(f"{it.family.name}.{s}" for s, size in it.family.sizes.items() if size.efa_interfaces)
        alternatives = f"EFA types in this family: {', '.join(with_efa)}" if with_efa else "set efa: false"
        yield Problem((*at, "efa"), pool.efa, f"{pool.instance_type} has no EFA interfaces; {alternatives}")


def _sizes(pool: AcceleratorPoolSpec, it: aws.InstanceType, at: tuple) -> Iterator[Problem]:
    if pool.min_size > pool.max_size:
        yield Problem((*at, "minSize"), pool.min_size, f"must be at most maxSize ({pool.max_size})")
    elif not pool.min_size <= pool.desired <= pool.max_size:
        yield Problem(
            (*at, "desiredSize"),
            pool.desired_size,
            f"must lie between minSize ({pool.min_size}) and maxSize ({pool.max_size})",
        )


def _capacity(pool: AcceleratorPoolSpec, it: aws.InstanceType, at: tuple) -> Iterator[Problem]:
    capacity = aws.CAPACITY_TYPES[pool.capacity_type]
    if capacity.needs_reservation and pool.capacity_reservation_id is None:
        yield Problem(
            (*at, "capacityReservationId"),
            None,
            f"capacityType {capacity.name} needs the reservation id of the block (cr-...)",
        )
    if pool.capacity_reservation_id and not capacity.allows_reservation:
        yield Problem(
            (*at, "capacityReservationId"),
            pool.capacity_reservation_id,
            f"a capacity reservation cannot back {capacity.name} capacity; use ON_DEMAND or CAPACITY_BLOCK",
        )


def _placement_group(pool: AcceleratorPoolSpec, it: aws.InstanceType, at: tuple) -> Iterator[Problem]:
    # A reservation or capacity block fixes where instances land; a placement group on top of one makes
    # launches fail unless the reservation was made in that group, so the two are kept apart.
    if pool.placement_group and pool.capacity_reservation_id:
        yield Problem(
            (*at, "placementGroup"),
            True,
            "cannot be combined with capacityReservationId: the reservation decides placement; drop placementGroup",
        )


POOL_CHECKS: tuple[PoolCheck, ...] = (_efa, _sizes, _capacity, _placement_group)


def check_pool(pool: AcceleratorPoolSpec, at: tuple, *, cluster_version: str | None = None) -> list[Problem]:
    """The pool's problems against the catalog. `cluster_version` is the EKS cluster's Kubernetes version
    (ClusterSpec.version), which decides the AMI types EKS still publishes; None: not known, so that is not checked
    (the config always passes its cluster's; GpuNodePool passes the one it is given, ClusterSpec's default if none)."""
    unknown = list(_instance_type(pool, at))
    if unknown:
        return unknown
    it = aws.lookup(pool.instance_type)
    assert it is not None
    problems = list(_ami_type(pool, it, at, cluster_version))
    return problems + [problem for check in POOL_CHECKS for problem in check(pool, it, at)]


def _unique(names: list[str], *at: str) -> Iterator[Problem]:
    seen: set[str] = set()
    key = ".".join(at)
    for i, name in enumerate(names):
        if name in seen:
            yield Problem((*at, i, "name"), name, f"another entry in {key} already has this name; names must be unique")
        seen.add(name)


def _system_nodes(spec: PlatformSpec) -> Iterator[Problem]:
    nodes = spec.aws_or_default.cluster.system_nodes
    if nodes.min_size > nodes.max_size:
        yield Problem(
            ("aws", "cluster", "systemNodes", "minSize"),
            nodes.min_size,
            f"must be at most maxSize ({nodes.max_size})",
        )


def _section(spec: PlatformSpec) -> Iterator[Problem]:
    if spec.aws is not None and "aws" not in spec.targets:
        yield Problem(
            ("targets",),
            list(spec.targets),
            "does not name aws, but the aws section is set; add aws to targets or remove the aws section",
        )


def check_aws(spec: PlatformSpec) -> list[Problem]:
    problems = [*_section(spec), *_system_nodes(spec)]
    problems += _unique([p.name for p in spec.aws_or_default.accelerator_pools], "aws", "acceleratorPools")
    problems += _unique([b.name for b in spec.buckets], "buckets")
    version = spec.aws_or_default.cluster.version
    for i, pool in enumerate(spec.aws_or_default.accelerator_pools):
        problems += check_pool(pool, ("aws", "acceleratorPools", i), cluster_version=version)
    return problems
