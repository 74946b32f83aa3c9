"""The gcp section of the platform value (`gcp:`): its models (network, GKE cluster, GPU and TPU pools) and the
checks that hold a spec against the GCP catalog before any resource exists.

Each check yields Problems whose path is the key under the platform value (("gcp", "tpuPools", 0, "topology"))
and whose message says what to change. A pool whose machine type is unknown, or of the other kind (a TPU type in
gpuPools), gets only that problem, since every other check needs the type.

Where a rule comes from, beyond components/catalog/gcp.py's tables:
- spot, reservations, flex-start: docs/accelerators.md ("Spot needs reservation affinity NO_RESERVATION",
  "Flex-start cannot be combined with spot", "COMPACT placement needs exactly one zone", multi-host slices atomic).
- queued provisioning (Dynamic Workload Scheduler): Cluster Toolkit examples/gke-dws-flex-start/README.md (minimum
  0 nodes, no reservations, no compact placement) and examples/gke-consumption-options/
  dws-flex-start-queued-provisioning/gke-tpu-v6e/README.md (a queued multi-host TPU pool scales from 0 to the
  slice's node count).
- label values: https://cloud.google.com/resource-manager/docs/labels-overview#requirements
- RBAC groups on GKE (check_gke_rbac): GKE "Configure Google Groups for RBAC"
  (https://cloud.google.com/kubernetes-engine/docs/how-to/google-groups-rbac): the groups RBAC binds are members
  of gke-security-groups@<domain>, which the cluster names (pulumi_gcp authenticator_groups_config); GKE names
  them to RBAC by their email addresses (`kubectl create rolebinding ... --group=demogroup@example.com`,
  kubernetes/kubernetes#69689; `group = "developers@DOMAIN"`, jpaovivo/terraform-google-modules
  modules/sso-rbac/README.md). The page's own binding example was not available to read here.
Not enforced, for want of a source: MIG together with time-sharing/MPS, INSTALLATION_DISABLED with sharing or MIG,
queued provisioning together with spot.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, ValidationError, field_validator

from llmops_infra.components.catalog import gcp
from llmops_infra.components.config.base import (
    MISSING,
    DnsLabel,
    KubernetesLabelValue,
    Model,
    PoolRole,
    Problem,
    Taint,
    private_cidr,
)

if TYPE_CHECKING:
    from llmops_infra.components.config.kubernetes import RbacSpec
    from llmops_infra.components.config.platform import PlatformSpec


GkeReleaseChannel = Literal["RAPID", "REGULAR", "STABLE", "EXTENDED"]
# Google Groups for RBAC: "Create a group in your domain named gke-security-groups. The gke-security-groups name
# is required", and the groups RBAC binds are added to it as members (GKE "Configure Google Groups for RBAC",
# https://cloud.google.com/kubernetes-engine/docs/how-to/google-groups-rbac). pulumi_gcp
# ClusterAuthenticatorGroupsConfigArgs.security_group: "Group name must be in format
# `gke-security-groups@yourdomain.com`".
SECURITY_GROUP_NAME = "gke-security-groups"
# A domain name: dot-separated DNS labels, at least two (example.com). Letters in either case: domains are
# case-insensitive.
_DOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$", re.IGNORECASE)
# A Google Group as GKE names it to RBAC: its email address. Only the shape <name>@<domain> is checked; what may
# stand before the @ is Google's to decide.
_GROUP_EMAIL = re.compile(r"^[^@\s]+@([^@\s]+)$")
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
        return private_cidr(cidr)


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
    security_group: str | None = Field(
        default=None,
        description="Google Groups for RBAC: `gke-security-groups@<your domain>`, the Google Workspace or Cloud "
        "Identity group whose member groups GKE passes to Kubernetes RBAC (the name gke-security-groups is "
        "required). With it, every group in `kubernetes.rbac` must be a Google Group's email address; without "
        "it GKE passes no groups, so `kubernetes.rbac` groups are refused. None (default): off.",
    )
    binary_authorization: bool = Field(
        default=False,
        description="true: Binary Authorization enforces the project's Binary Authorization policy on every pod "
        "(evaluation mode PROJECT_SINGLETON_POLICY_ENFORCE); the policy is the project's, not this stack's, and "
        "the Binary Authorization API must be enabled. false (default): evaluation mode DISABLED.",
    )
    intranode_visibility: bool = Field(
        default=False,
        description="true: traffic between pods on the same node goes through the VPC network too, so VPC "
        "firewall rules and flow logs see it (more flow-log volume). false (default): GKE Standard's default, "
        "same-node pod traffic stays on the node.",
    )

    @field_validator("security_group")
    @classmethod
    def _security_group(cls, group: str | None) -> str | None:
        if group is None:
            return group
        name, at, domain = group.partition("@")
        if not at or not _DOMAIN.match(domain):
            raise ValueError(
                "must be the email address gke-security-groups@<your domain>, e.g. gke-security-groups@example.com "
                "(your Google Workspace or Cloud Identity domain)"
            )
        if name != SECURITY_GROUP_NAME:
            raise ValueError(
                f"GKE reads Google Groups for RBAC only from the group named {SECURITY_GROUP_NAME}; write "
                f"{SECURITY_GROUP_NAME}@{domain} and make your RBAC groups its members"
            )
        return group

    @field_validator("master_ipv4_cidr")
    @classmethod
    def _master_range(cls, cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        return private_cidr(cidr, 28, 28)

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


# ---- checks --------------------------------------------------------------------------------------------------

GPU_POOLS = ("gcp", "gpuPools")
TPU_POOLS = ("gcp", "tpuPools")


@dataclass(frozen=True)
class Site:
    """Where the pools go: the platform region and the cluster's zones. None: not known (that part of the config
    did not validate), so the checks that need it are skipped rather than guessed."""

    region: str | None
    cluster_zones: tuple[str, ...] | None


def zone_region(zone: str) -> str:
    return zone.rsplit("-", 1)[0]


# ---- both pool kinds ----------------------------------------------------------------------------------------


_N1_SUMMARY = "n1-standard-*, n1-highmem-*, n1-highcpu-* with accelerator and acceleratorCount"


def _unknown_machine_type(pool: GkePoolSpec, at: tuple, wanted: str) -> Problem:
    if wanted == "GPU":
        listed, candidates = [*sorted(gcp.GPU_MACHINES), _N1_SUMMARY], [*gcp.GPU_MACHINES, *gcp.N1_MACHINE_TYPES]
        other = "TPU" if pool.machine_type in gcp.TPU_MACHINES else None
    else:
        listed = candidates = sorted(gcp.TPU_MACHINES)
        is_gpu = pool.machine_type in gcp.GPU_MACHINES or pool.machine_type in gcp.N1_MACHINE_TYPES
        other = "GPU" if is_gpu else None
    if other is not None:
        return Problem(
            (*at, "machineType"),
            pool.machine_type,
            f"a {other} machine type; move this pool to gcp.{other.lower()}Pools, or use a {wanted} machine type: "
            f"{', '.join(listed)}",
        )
    close = difflib.get_close_matches(pool.machine_type, candidates, n=3)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    return Problem(
        (*at, "machineType"),
        pool.machine_type,
        f"not a {wanted} machine type in the catalog; {hint}known: {', '.join(listed)}",
    )


def _zones(pool: GkePoolSpec, at: tuple, site: Site) -> Iterator[Problem]:
    for j, zone in enumerate(pool.zones):
        if site.region is not None and zone_region(zone) != site.region:
            yield Problem(
                (*at, "zones", j),
                zone,
                f"is in {zone_region(zone)}, not in the platform region {site.region}; use a zone of {site.region}",
            )
        elif site.cluster_zones and zone not in site.cluster_zones:
            yield Problem(
                (*at, "zones", j),
                zone,
                f"not one of the cluster's zones; allowed: {', '.join(site.cluster_zones)} (gcp.cluster.zones)",
            )


def _pool_zones(pool: GkePoolSpec, site: Site) -> tuple[str, ...] | None:
    """The zones the pool's nodes land in; None when GKE picks them (neither the pool nor the cluster lists any)
    or the cluster's zones are not known."""
    if pool.zones:
        return pool.zones
    return site.cluster_zones or None


# Capacity that never comes from a reservation: spot needs NO_RESERVATION (docs/accelerators.md); queued
# provisioning (Dynamic Workload Scheduler) and flex-start take none (Cluster Toolkit gke-node-pool
# preconditions; GKE provisioningrequest doc: --reservation-affinity=none).
RESERVATIONLESS: dict[str, str] = {
    "spot": "spot capacity never consumes a reservation (spot needs NO_RESERVATION)",
    "queuedProvisioning": "queuedProvisioning (Dynamic Workload Scheduler) takes no reservation",
    "flexStart": "flex-start capacity takes no reservation",
}


def _capacity(pool: GkePoolSpec, at: tuple) -> Iterator[Problem]:
    reservation = pool.reservation
    if reservation is not None:
        modes = {"spot": pool.spot, "queuedProvisioning": pool.queued_provisioning, "flexStart": pool.flex_start}
        for mode, why in RESERVATIONLESS.items():
            if modes[mode]:
                yield Problem((*at, "reservation"), reservation.consume, f"{why}; drop reservation or {mode}")
        if reservation.consume == "SPECIFIC_RESERVATION" and reservation.name is None:
            yield Problem(
                (*at, "reservation", "name"),
                None,
                "SPECIFIC_RESERVATION needs the name of the reservation to consume",
            )
        elif reservation.consume != "SPECIFIC_RESERVATION":
            for key, value in (("name", reservation.name), ("project", reservation.project)):
                if value is not None:
                    yield Problem(
                        (*at, "reservation", key),
                        value,
                        f"{reservation.consume} consumes any matching reservation; {key} goes only with "
                        "consume: SPECIFIC_RESERVATION",
                    )
    if pool.flex_start and pool.spot:
        yield Problem((*at, "flexStart"), True, "flex-start cannot be combined with spot; choose one of the two")


# ---- GPU pools ----------------------------------------------------------------------------------------------


def _gpu_machine(pool: GpuPoolSpec, at: tuple) -> Iterator[Problem]:
    machine = gcp.GPU_MACHINES.get(pool.machine_type)
    if machine is not None:
        gpu = gcp.ACCELERATORS[machine.accelerator]
        if pool.accelerator is not None and pool.accelerator != machine.accelerator:
            yield Problem(
                (*at, "accelerator"),
                pool.accelerator,
                f"{pool.machine_type} carries {gpu.model}; allowed: {machine.accelerator} (or leave accelerator out)",
            )
        if pool.accelerator_count is not None and pool.accelerator_count != machine.count:
            yield Problem(
                (*at, "acceleratorCount"),
                pool.accelerator_count,
                f"{pool.machine_type} carries {machine.count} GPUs; allowed: {machine.count} (or leave it out)",
            )
        return
    # An N1 machine type: the pool says which GPU to attach, and how many.
    n1 = gcp.n1_accelerators()
    attached = gcp.ACCELERATORS.get(pool.accelerator or "")
    if pool.accelerator is None:
        yield Problem((*at, "accelerator"), None, f"N1 machine types need a GPU to attach; allowed: {', '.join(n1)}")
    elif attached is None or not attached.n1_counts:
        yield Problem(
            (*at, "accelerator"),
            pool.accelerator,
            f"not a GPU that attaches to N1 machine types; allowed: {', '.join(n1)}",
        )
    counts = attached.n1_counts if attached is not None and attached.n1_counts else gcp.N1_COUNTS
    if pool.accelerator_count not in counts:
        yield Problem(
            (*at, "acceleratorCount"),
            pool.accelerator_count,
            f"the number of GPUs attached to each N1 node; allowed: {', '.join(map(str, counts))}",
        )


def _gpu_sizes(pool: GpuPoolSpec, at: tuple) -> Iterator[Problem]:
    if pool.min_nodes > pool.max_nodes:
        yield Problem((*at, "minNodes"), pool.min_nodes, f"must be at most maxNodes ({pool.max_nodes})")
    if pool.queued_provisioning and pool.min_nodes != 0:
        yield Problem(
            (*at, "minNodes"),
            pool.min_nodes,
            "queuedProvisioning creates nodes only for admitted requests, so the pool starts from zero; set minNodes "
            "to 0",
        )


def _gpu_mig(pool: GpuPoolSpec, at: tuple) -> Iterator[Problem]:
    if pool.mig_partition_size is None:
        return
    label = gpu_label(pool)
    gpu = gcp.ACCELERATORS.get(label or "")
    if gpu is None:
        return  # the accelerator problem is reported already
    if not gpu.mig:
        yield Problem(
            (*at, "migPartitionSize"),
            pool.mig_partition_size,
            f"GKE partitions (MIG) only {', '.join(gcp.mig_accelerators())}, not {label}; drop migPartitionSize",
        )
    elif gpu.mig_sizes and pool.mig_partition_size not in gpu.mig_sizes:
        yield Problem(
            (*at, "migPartitionSize"),
            pool.mig_partition_size,
            f"not a MIG partition size of {gpu.model}; allowed: {', '.join(gpu.mig_sizes)}",
        )


def _gpu_placement(pool: GpuPoolSpec, at: tuple, site: Site) -> Iterator[Problem]:
    if not pool.compact_placement:
        return
    if pool.queued_provisioning:
        yield Problem(
            (*at, "compactPlacement"),
            True,
            "queuedProvisioning does not support compact placement; drop compactPlacement or queuedProvisioning",
        )
    zones = _pool_zones(pool, site)
    if site.cluster_zones is None and not pool.zones:
        return  # the cluster's zones did not validate; their problem is reported
    if zones is None or len(zones) != 1:
        yield Problem(
            (*at, "zones"),
            list(zones or ()),
            "compactPlacement puts the nodes close together in one zone; give exactly one zone",
        )


def gpu_label(pool: GpuPoolSpec) -> str | None:
    machine = gcp.GPU_MACHINES.get(pool.machine_type)
    return machine.accelerator if machine is not None else pool.accelerator


def check_gpu_pool(pool: GpuPoolSpec, at: tuple, site: Site) -> list[Problem]:
    if pool.machine_type not in gcp.GPU_MACHINES and pool.machine_type not in gcp.N1_MACHINE_TYPES:
        return [_unknown_machine_type(pool, at, "GPU")]
    return [
        *_gpu_machine(pool, at),
        *_gpu_sizes(pool, at),
        *_gpu_mig(pool, at),
        *_gpu_placement(pool, at, site),
        *_capacity(pool, at),
        *_zones(pool, at, site),
    ]


# ---- TPU pools ----------------------------------------------------------------------------------------------


def _topology(pool: TpuPoolSpec, machine: gcp.TpuMachine, at: tuple) -> Iterator[Problem]:
    dims = gcp.parse_topology(pool.topology)
    key = (*at, "topology")
    allowed = f"allowed on {machine.name}: {machine.allowed_topologies()}"
    if dims is None or len(dims) != machine.dimensions:
        shape = "AxB" if machine.dimensions == 2 else "AxBxC"
        yield Problem(
            key, pool.topology, f"TPU {machine.version} topologies are {machine.dimensions}-D ({shape}); {allowed}"
        )
        return
    chips = math.prod(dims)
    if chips % machine.chips_per_node:
        yield Problem(
            key,
            pool.topology,
            f"{chips} chip{'s do' if chips != 1 else ' does'} not divide into the {machine.chips_per_node}-chip hosts "
            f"of {machine.name}; {allowed}",
        )
    elif not machine.topology_allowed(pool.topology):
        yield Problem(key, pool.topology, f"not a TPU {machine.version} slice shape on {machine.name}; {allowed}")


def _tpu_nodes(pool: TpuPoolSpec, shape: gcp.TpuShape, at: tuple, site: Site) -> Iterator[Problem]:
    if shape.multi_host:
        zones = _pool_zones(pool, site)
        if (pool.zones or site.cluster_zones is not None) and (zones is None or len(zones) != 1):
            yield Problem(
                (*at, "zones"),
                list(zones or ()),
                f"a multi-host {shape.topology} slice ({shape.nodes} hosts) is placed COMPACT in one zone; give "
                "exactly one zone",
            )
        if pool.queued_provisioning:
            # Queued: the pool scales from 0 to the slice's hosts, all at once.
            if pool.min_nodes not in (None, 0):
                yield Problem(
                    (*at, "minNodes"),
                    pool.min_nodes,
                    f"with queuedProvisioning a multi-host slice scales from 0 to {shape.nodes} nodes at once; leave "
                    "minNodes out or set 0",
                )
            if pool.max_nodes not in (None, shape.nodes):
                yield Problem(
                    (*at, "maxNodes"),
                    pool.max_nodes,
                    f"with queuedProvisioning a multi-host {shape.topology} slice scales to exactly {shape.nodes} "
                    f"nodes; leave maxNodes out or set {shape.nodes}",
                )
            return
        for key, value in (("minNodes", pool.min_nodes), ("maxNodes", pool.max_nodes)):
            if value not in (None, shape.nodes):
                yield Problem(
                    (*at, key),
                    value,
                    f"a multi-host {shape.topology} slice is atomic: exactly {shape.nodes} nodes, and it cannot be "
                    f"resized; leave {key} out or set {shape.nodes}",
                )
        return
    if pool.max_nodes is None:
        yield Problem(
            (*at, "maxNodes"),
            None,
            f"a single-host {shape.topology} pool autoscales, one slice per node; maxNodes is required",
        )
    elif pool.min_nodes is not None and pool.min_nodes > pool.max_nodes:
        yield Problem((*at, "minNodes"), pool.min_nodes, f"must be at most maxNodes ({pool.max_nodes})")
    if pool.queued_provisioning and pool.min_nodes not in (None, 0):
        yield Problem(
            (*at, "minNodes"),
            pool.min_nodes,
            "queuedProvisioning creates nodes only for admitted requests, so the pool starts from zero; set minNodes "
            "to 0",
        )


def check_tpu_pool(pool: TpuPoolSpec, at: tuple, site: Site) -> list[Problem]:
    machine = gcp.TPU_MACHINES.get(pool.machine_type)
    if machine is None:
        return [_unknown_machine_type(pool, at, "TPU")]
    problems = list(_topology(pool, machine, at))
    if not problems:
        problems += _tpu_nodes(pool, gcp.tpu_shape(pool.machine_type, pool.topology), at, site)
    return [*problems, *_capacity(pool, at), *_zones(pool, at, site)]


# ---- the platform -------------------------------------------------------------------------------------------

_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
_LABEL_RULE = "lowercase letters, digits, '_' and '-', at most 63 characters"


def _targets(spec: PlatformSpec) -> Iterator[Problem]:
    if spec.gcp is not None and "gcp" not in spec.targets:
        yield Problem(
            ("targets",),
            list(spec.targets),
            "does not name gcp, but the gcp section is set; add gcp to targets or remove the gcp section",
        )


def _unique_pools(gpu_pools: Sequence[GkePoolSpec], tpu_pools: Sequence[GkePoolSpec]) -> Iterator[Problem]:
    seen: set[str] = set()
    for key, pools in (("gpuPools", gpu_pools), ("tpuPools", tpu_pools)):
        for i, pool in enumerate(pools):
            if pool.name in seen:
                yield Problem(
                    ("gcp", key, i, "name"),
                    pool.name,
                    "another pool in gcp.gpuPools or gcp.tpuPools already has this name; node pool names must be "
                    "unique in the cluster",
                )
            seen.add(pool.name)


def _network(spec: PlatformSpec) -> Iterator[Problem]:
    assert spec.gcp is not None
    net, cluster = spec.gcp.network, spec.gcp.cluster
    ranges: list[tuple[tuple, ipaddress.IPv4Network]] = [
        (("gcp", "network", "subnetCidr"), net.subnet_cidr),
        (("gcp", "network", "podsCidr"), net.pods_cidr),
        (("gcp", "network", "servicesCidr"), net.services_cidr),
        (("gcp", "cluster", "masterIpv4Cidr"), cluster.master_ipv4_cidr),
    ]
    for i, (path, cidr) in enumerate(ranges):
        for other_path, other in ranges[:i]:
            if cidr.overlaps(other):
                yield Problem(
                    path,
                    str(cidr),
                    f"overlaps {'.'.join(map(str, other_path))} ({other}); the node, pod, service and control-plane "
                    "ranges must not overlap",
                )


def _cluster(spec: PlatformSpec) -> Iterator[Problem]:
    assert spec.gcp is not None
    cluster = spec.gcp.cluster
    nodes = cluster.system_nodes
    if nodes.min_nodes_per_zone > nodes.max_nodes_per_zone:
        yield Problem(
            ("gcp", "cluster", "systemNodes", "minNodesPerZone"),
            nodes.min_nodes_per_zone,
            f"must be at most maxNodesPerZone ({nodes.max_nodes_per_zone})",
        )
    for j, zone in enumerate(cluster.zones):
        if zone_region(zone) != spec.region:
            yield Problem(
                ("gcp", "cluster", "zones", j),
                zone,
                f"is in {zone_region(zone)}, not in the platform region {spec.region}; use a zone of {spec.region}",
            )


def _buckets(spec: PlatformSpec) -> Iterator[Problem]:
    for i, bucket in enumerate(spec.buckets):
        if bucket.location is None:
            continue
        if "aws" in spec.targets:
            yield Problem(
                ("buckets", i, "location"),
                bucket.location,
                "S3 buckets are always in the platform's region; location is for GCS buckets only, leave it out",
            )
        elif "gcp" in spec.targets and not gcp.location_holds(bucket.location, spec.cloud_region):
            yield Problem(
                ("buckets", i, "location"),
                bucket.location,
                f"does not hold the platform region {spec.cloud_region}; allowed: "
                f"{', '.join(gcp.bucket_locations_for(spec.cloud_region))}",
            )


def _labels(spec: PlatformSpec) -> Iterator[Problem]:
    """Platform tags and the owner become labels on every GCP resource, so they must be valid label values."""
    if "gcp" not in spec.targets:
        return
    if not _LABEL_VALUE.match(spec.owner):
        yield Problem(("owner",), spec.owner, f"becomes the GCP label owner, whose values allow only {_LABEL_RULE}")
    for key, value in spec.tags.items():
        if not _LABEL_KEY.match(key):
            yield Problem(
                ("tags", key),
                key,
                f"not a valid GCP label key: keys start with a lowercase letter and allow only {_LABEL_RULE}",
            )
        elif not _LABEL_VALUE.match(value):
            yield Problem(("tags", key), value, f"not a valid GCP label value: values allow only {_LABEL_RULE}")


# kubernetes.rbac's group lists (RbacSpec fields) and their config keys.
RBAC_GROUPS = {
    "platform_admins": "platformAdmins",
    "ml_engineers": "mlEngineers",
    "data_scientists": "dataScientists",
    "auditors": "auditors",
}
RBAC_AT = ("kubernetes", "rbac")


def check_gke_rbac(rbac: RbacSpec, security_group: str | None) -> list[Problem]:
    """The RBAC groups a GKE cluster can bind: GKE hands Kubernetes RBAC a user's Google Groups, by their email
    addresses, only when the cluster has Google Groups for RBAC (`gcp.cluster.securityGroup`); without it a
    group binding matches nobody.

    Checked: every group list the config writes, and every list (the default `platformAdmins` too) once
    securityGroup is set. The default `platformAdmins: [platform-admins]` of a config that sets neither is left
    alone: it names no Google Group, so on GKE it binds nobody (README, the gcp target).
    """
    written = rbac.model_fields_set
    problems: list[Problem] = []
    named = False
    domain = security_group.partition("@")[2] if security_group else "<your domain>"
    for field, key in RBAC_GROUPS.items():
        if field not in written and security_group is None:
            continue
        groups: tuple[str, ...] = getattr(rbac, field)
        named = named or (field in written and bool(groups))
        for i, group in enumerate(groups):
            address = _GROUP_EMAIL.match(group)
            if address is not None and _DOMAIN.match(address.group(1)):
                continue
            if field not in written:  # the default, which Google Groups for RBAC makes meaningless
                fix = (
                    f"the default {group} is no Google Group; write {key} as your admin group's address, e.g. "
                    f"{key}: [{group}@{domain}], or {key}: [] for no binding"
                )
            elif "@" not in group:
                fix = f"write the group's address, e.g. {group}@{domain}"
            else:
                fix = "write the group's whole address, <name>@<domain>, e.g. ml-engineers@example.com"
            problems.append(
                Problem(
                    (*RBAC_AT, key, i),
                    group,
                    f"on GKE an RBAC group is a Google Group, named by its email address; {fix}",
                )
            )
    if named and security_group is None:
        problems.append(
            Problem(
                ("gcp", "cluster", "securityGroup"),
                MISSING,
                "required key is missing: kubernetes.rbac binds Google Groups, and GKE passes a user's groups to RBAC "
                f"only with Google Groups for RBAC; set securityGroup: {SECURITY_GROUP_NAME}@<your domain> (with the "
                "groups you bind as its members), or leave the kubernetes.rbac groups empty",
            )
        )
    return problems


def _site(spec: PlatformSpec) -> Site:
    return Site(spec.region, spec.gcp_or_default.cluster.zones)


def check_gcp(spec: PlatformSpec) -> list[Problem]:
    """Every gcp precondition of a spec that validated: pools, network, cluster, RBAC groups, bucket locations and
    labels."""
    problems = [*_targets(spec), *_buckets(spec), *_labels(spec)]
    if "gcp" in spec.targets:
        problems += check_gke_rbac(spec.kubernetes.rbac, spec.gcp_or_default.cluster.security_group)
    if spec.gcp is None or "gcp" not in spec.targets:
        return problems  # a gcp section without the target is reported by _targets; its zones have no region
    problems += [*_cluster(spec), *_network(spec)]
    problems += _unique_pools(spec.gcp.gpu_pools, spec.gcp.tpu_pools)
    site = _site(spec)
    for i, gpu_pool in enumerate(spec.gcp.gpu_pools):
        problems += check_gpu_pool(gpu_pool, (*GPU_POOLS, i), site)
    for i, tpu_pool in enumerate(spec.gcp.tpu_pools):
        problems += check_tpu_pool(tpu_pool, (*TPU_POOLS, i), site)
    return problems


# ---- a config that did not validate: the pools that did ------------------------------------------------------


def _raw_site(data: dict, section: dict) -> Site:
    region = data.get("region")
    region = region if isinstance(region, str) else None
    raw_cluster = section.get("cluster", {})
    try:
        zones: tuple[str, ...] | None = GkeClusterSpec.model_validate(raw_cluster).zones
    except ValidationError:
        zones = None
    return Site(region, zones)


def raw_pool_problems(data: dict) -> list[Problem]:
    """Catalog problems of the gcp pools that are well-formed on their own, so a config with shape problems
    elsewhere still gets its pool problems in the same run."""
    section = data.get("gcp")
    if not isinstance(section, dict):
        return []
    site = _raw_site(data, section)
    problems: list[Problem] = []
    for i, raw in _raw_pools(section, "gpuPools"):
        try:
            gpu_pool = GpuPoolSpec.model_validate(raw)
        except ValidationError:
            continue  # its shape problems are already reported with the platform's
        problems += check_gpu_pool(gpu_pool, (*GPU_POOLS, i), site)
    for i, raw in _raw_pools(section, "tpuPools"):
        try:
            tpu_pool = TpuPoolSpec.model_validate(raw)
        except ValidationError:
            continue
        problems += check_tpu_pool(tpu_pool, (*TPU_POOLS, i), site)
    return problems


def _raw_pools(section: dict, key: str) -> list[tuple[int, object]]:
    pools = section.get(key)
    return list(enumerate(pools)) if isinstance(pools, list) else []
