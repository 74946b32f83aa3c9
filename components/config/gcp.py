"""Preconditions that check the gcp part of a platform spec against the GCP catalog before any resource exists.

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

from pydantic import ValidationError

from llmops_infra.components.catalog import gcp
from llmops_infra.components.spec import GkeClusterSpec, GkePoolSpec, GpuPoolSpec, PlatformSpec, Problem, TpuPoolSpec

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


def _site(spec: PlatformSpec) -> Site:
    return Site(spec.region, spec.gcp_or_default.cluster.zones)


def check_gcp(spec: PlatformSpec) -> list[Problem]:
    """Every gcp precondition of a spec that validated: pools, network, cluster, bucket locations and labels."""
    problems = [*_targets(spec), *_buckets(spec), *_labels(spec)]
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
