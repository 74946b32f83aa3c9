"""GKE accelerator node pools (GPU and TPU) and the one node configuration every GKE pool of ours shares.

`node_config_args` is the only place a node's security is decided: a dedicated service account with the
cloud-platform scope (IAM, not scopes, decides what it may do), a boot disk encrypted with a Cloud KMS key,
Shielded VM secure boot and integrity monitoring, the GKE metadata server (Workload Identity: pods never see the
node's credentials) and the legacy metadata endpoints off. The cluster's short-lived default pool, the system
pool and every accelerator pool are built from it.

Capacity (spot, reservations, queued provisioning, flex-start) follows what GKE documents for each model. A pool
the catalog rules (components/config/gcp.py) reject at config time is refused here too, with the same
messages, before anything is registered: a platform team building pools in code gets the same protection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_gcp as gcp

from llmops_infra.components.capacity import Capacity, capacity_row
from llmops_infra.components.catalog.gcp import GpuShape, TpuShape, gpu_shape, tpu_shape
from llmops_infra.components.config.gcp import Site, check_gpu_pool, check_tpu_pool
from llmops_infra.components.config.refusal import refuse
from llmops_infra.components.spec import (
    GkePoolSpec,
    GpuPoolSpec,
    ReservationSpec,
    Taint,
    TpuPoolSpec,
)
from llmops_infra.components.tagging import pool_labels

# Access is decided by the service account's IAM roles; with the cloud-platform scope the scopes add no second,
# coarser limit that would tempt someone to widen the account (terraform-provider-google container_cluster doc,
# `oauth_scopes`: use cloud-platform "and grant IAM roles to that service account for only the resources that
# it needs").
OAUTH_SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
# GKE sets this metadata itself since 1.12; a node_config that sets metadata without it would unset it
# (terraform-provider-google container_cluster doc, `metadata`).
NODE_METADATA = {"disable-legacy-endpoints": "true"}
# Only the GKE metadata server, never the VM's own metadata (and credentials), is visible to pods
# (terraform-provider-google container_cluster doc, `workload_metadata_config.mode`).
WORKLOAD_METADATA_MODE = "GKE_METADATA"

# The vendor taints keep pods that ask for no accelerator off these nodes (docs/accelerators.md; Cluster
# Toolkit modules/compute/gke-node-pool/main.tf adds the same GPU taint).
GPU_TAINT = Taint(key="nvidia.com/gpu", value="present", effect="NO_SCHEDULE")
TPU_TAINT = Taint(key="google.com/tpu", value="present", effect="NO_SCHEDULE")

# pulumi_gcp reservation_affinity.key: 'To target a SPECIFIC_RESERVATION by name, specify
# "compute.googleapis.com/reservation-name" as the key and specify the name of your reservation as its value.'
RESERVATION_KEY = "compute.googleapis.com/reservation-name"

# Accelerators are scarce: a surge node would need capacity that a reservation or a stocked-out zone does not
# have, so upgrades replace one node at a time in place (Cluster Toolkit gke-node-pool defaults: strategy SURGE,
# max_surge 0, max_unavailable 1).
ACCELERATOR_UPGRADE = {"strategy": "SURGE", "max_surge": 0, "max_unavailable": 1}
# pulumi_gcp autoscaling.location_policy ANY "prioritize[s] utilization of unused reservations, and reduce[s]
# preemption risk for Spot VMs"; GKE's queued-provisioning and flex-start node pools require it
# (cloud.google.com/kubernetes-engine/docs/how-to/provisioningrequest: --location-policy=ANY).
ACCELERATOR_LOCATION_POLICY = "ANY"


def taint_args(taints: Sequence[Taint]) -> list[dict[str, str]]:
    """Taints as a GKE node config takes them (effects keep their GKE names, NO_SCHEDULE ...)."""
    return [{"key": t.key, "value": t.value, "effect": t.effect} for t in taints]


def with_taint(first: Taint, others: Sequence[Taint]) -> list[Taint]:
    """`first`, then `others` less any taint on the same key and effect (it would be a duplicate to GKE)."""
    return [first, *(t for t in others if (t.key, t.effect) != (first.key, first.effect))]


def reservation_affinity(reservation: ReservationSpec | None) -> dict[str, Any]:
    """What reserved capacity a pool may consume: none unless the spec names a reservation."""
    if reservation is None:
        return {"consume_reservation_type": "NO_RESERVATION"}
    if reservation.consume != "SPECIFIC_RESERVATION":
        return {"consume_reservation_type": reservation.consume}
    name = reservation.name
    # A reservation shared from another project is named by its path; one in the cluster's project by its name
    # (AI Hypercomputer "Create a custom AI-optimized GKE cluster" doc: projects/PROJECT_ID/reservations/NAME,
    # "If the reservation is located in the current project, you can omit projects/PROJECT_ID/reservations/";
    # Cluster Toolkit gke-node-pool main.tf builds the same values).
    value = name if reservation.project is None else f"projects/{reservation.project}/reservations/{name}"
    return {"consume_reservation_type": "SPECIFIC_RESERVATION", "key": RESERVATION_KEY, "values": [value]}


def node_config_args(
    *,
    machine_type: str,
    service_account: pulumi.Input[str],
    boot_disk_key_id: pulumi.Input[str],
    disk_size_gib: int,
    labels: Mapping[str, str],
    resource_labels: Mapping[str, str],
    taints: Sequence[Taint] = (),
    disk_type: str | None = None,
    spot: bool = False,
    flex_start: bool = False,
    reservation: ReservationSpec | None = None,
    guest_accelerators: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The hardened node configuration, as keyword arguments of ClusterNodeConfigArgs or NodePoolNodeConfigArgs
    (the two classes take the same fields)."""
    args: dict[str, Any] = {
        "machine_type": machine_type,
        "service_account": service_account,
        "oauth_scopes": list(OAUTH_SCOPES),
        "boot_disk_kms_key": boot_disk_key_id,
        "disk_size_gb": disk_size_gib,
        "shielded_instance_config": {"enable_secure_boot": True, "enable_integrity_monitoring": True},
        "workload_metadata_config": {"mode": WORKLOAD_METADATA_MODE},
        "metadata": dict(NODE_METADATA),
        "labels": dict(labels),
        "resource_labels": dict(resource_labels),
        "reservation_affinity": reservation_affinity(reservation),
        "spot": spot,
    }
    if disk_type is not None:
        args["disk_type"] = disk_type
    if taints:
        args["taints"] = taint_args(taints)
    if flex_start:
        args["flex_start"] = True
    if guest_accelerators:
        args["guest_accelerators"] = [dict(a) for a in guest_accelerators]
    return args


def _provisioning(spec: GkePoolSpec) -> dict[str, Any]:
    """NodePool arguments for queued provisioning and flex-start, as GKE documents those node pools:
    `--enable-autoscaling --num-nodes=0 --location-policy=ANY --reservation-affinity=none
    --no-enable-autorepair` (cloud.google.com/kubernetes-engine/docs/how-to/provisioningrequest; the flex-start
    form in the AI Hypercomputer GKE doc; Cluster Toolkit: flex-start "needs node auto_repair set to false")."""
    dynamic = spec.queued_provisioning or spec.flex_start
    args: dict[str, Any] = {
        # Auto-upgrade stays on: only a cluster outside a release channel may turn it off for a pool (GKE
        # "Release channels" doc), and ours is always on one.
        "management": {"auto_repair": not dynamic, "auto_upgrade": True},
        "upgrade_settings": dict(ACCELERATOR_UPGRADE),
    }
    if dynamic:
        args["initial_node_count"] = 0
    if spec.queued_provisioning:
        args["queued_provisioning"] = {"enabled": True}
    return args


def _accelerator_node_config(
    spec: GkePoolSpec,
    *,
    taint: Taint,
    node_service_account: pulumi.Input[str],
    boot_disk_key_id: pulumi.Input[str],
    labels: Mapping[str, str],
    guest_accelerators: Sequence[Mapping[str, Any]] = (),
) -> gcp.container.NodePoolNodeConfigArgs:
    return gcp.container.NodePoolNodeConfigArgs(
        **node_config_args(
            machine_type=spec.machine_type,
            service_account=node_service_account,
            boot_disk_key_id=boot_disk_key_id,
            disk_size_gib=spec.disk_size_gib,
            disk_type=spec.disk_type,
            labels=pool_labels(spec.role, spec.name, extra=spec.labels),
            resource_labels=labels,
            taints=with_taint(taint, spec.taints),
            spot=spec.spot,
            flex_start=spec.flex_start,
            reservation=spec.reservation,
            guest_accelerators=guest_accelerators,
        )
    )


@dataclass(frozen=True)
class PoolCluster:
    """The GKE cluster an accelerator pool joins, and what all its nodes share (GkeCluster.pool_cluster)."""

    cluster_id: pulumi.Input[str] = field(metadata={"description": "The cluster's id (GkeCluster.cluster_id)."})
    location: str = field(metadata={"description": "The cluster's region; the pools are regional node pools there."})
    zones: Sequence[str] = field(
        metadata={
            "description": "The cluster's node zones, where a pool without zones of its own runs; empty: GKE's "
            "choice in the region."
        }
    )
    node_service_account: pulumi.Input[str] = field(
        metadata={"description": "Email of the service account every node runs as (the cluster's node account)."}
    )
    boot_disk_key_id: pulumi.Input[str] = field(
        metadata={"description": "The Cloud KMS key that encrypts every node's boot disk."}
    )


class GpuNodePool(pulumi.ComponentResource):
    """One GPU node pool of a GKE cluster, autoscaled in total across its zones.

    The spec is checked here with the same catalog rules as a config (components/config/gcp.py), so a pool
    built in code is refused with the same messages before anything is registered. GKE installs the driver
    (`spec.driver_version`); MIG partitions and GPU sharing are set on the accelerator when the spec asks.
    Capacity follows GKE's documented forms: spot, a named reservation, queued provisioning or flex-start (which
    start from zero nodes with auto-repair off); upgrades replace one node at a time without surge.

    Args:
        name: Component name; the node pool is auto-named from it.
        spec: GpuPoolSpec: machine type, GPU and count, zones, node range, capacity, driver, MIG, sharing,
            placement, disk, labels, taints. A pool the catalog rules reject raises ValueError naming the key.
        cluster: PoolCluster of the cluster it joins (GkeCluster.pool_cluster).
        labels: Resource labels of the nodes (Tagging.tags).
        opts: Resource options.

    Outputs:
        node_pool: The `gcp.container.NodePool` (registered output `node_pool_name`).
        shape: The GpuShape the catalog gives the pool: GPU, model, count per node, verified.
        capacity: The pool's row of the capacity table (as the AWS GpuNodePool's).

    Security:
        - Node hardening (the node configuration every pool here shares): nodes run as the cluster's node service
          account with the cloud-platform scope, so IAM alone decides what they may do; the boot disk is
          encrypted with `cluster.boot_disk_key_id`; Shielded VM secure boot and integrity monitoring; the GKE
          metadata server, so pods never see the node's credentials; legacy metadata endpoints off.
        - Scheduling: the `nvidia.com/gpu=present:NoSchedule` taint keeps pods that ask for no GPU off the nodes.
        - Capacity: the pool never consumes a reservation unless `spec.reservation` names one (NO_RESERVATION).
    """

    node_pool: gcp.container.NodePool
    shape: GpuShape
    capacity: Capacity

    def __init__(
        self,
        name: str,
        spec: GpuPoolSpec,
        *,
        cluster: PoolCluster,
        labels: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        refuse(f"pool {spec.name}", check_gpu_pool(spec, (), Site(cluster.location, tuple(cluster.zones))))
        shape = gpu_shape(spec.machine_type, spec.accelerator, spec.accelerator_count)
        zones = list(spec.zones or cluster.zones)
        super().__init__("llmops:gcp:GpuNodePool", name, None, opts)
        self.shape = shape

        accelerator: dict[str, Any] = {
            "type": shape.accelerator,
            "count": shape.count,
            "gpu_driver_installation_config": {"gpu_driver_version": spec.driver_version},
        }
        if spec.mig_partition_size is not None:
            accelerator["gpu_partition_size"] = spec.mig_partition_size
        if spec.sharing is not None:
            accelerator["gpu_sharing_config"] = {
                "gpu_sharing_strategy": spec.sharing.strategy,
                "max_shared_clients_per_gpu": spec.sharing.max_shared_clients_per_gpu,
            }

        self.node_pool = gcp.container.NodePool(
            name,
            cluster=cluster.cluster_id,
            location=cluster.location,
            node_locations=zones or None,
            node_config=_accelerator_node_config(
                spec,
                taint=GPU_TAINT,
                node_service_account=cluster.node_service_account,
                boot_disk_key_id=cluster.boot_disk_key_id,
                labels=labels,
                guest_accelerators=[accelerator],
            ),
            # Totals across the pool's zones, so a pool can scale to zero and back.
            autoscaling=gcp.container.NodePoolAutoscalingArgs(
                total_min_node_count=spec.min_nodes,
                total_max_node_count=spec.max_nodes,
                location_policy=ACCELERATOR_LOCATION_POLICY,
            ),
            placement_policy=gcp.container.NodePoolPlacementPolicyArgs(type="COMPACT")
            if spec.compact_placement
            else None,
            **_provisioning(spec),
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.capacity = capacity_row(
            spec.name,
            spec.machine_type,
            shape.model,
            shape.count,
            (spec.min_nodes, spec.min_nodes, spec.max_nodes),
            verified=shape.verified,
        )
        self.register_outputs({"node_pool_name": self.node_pool.name, "capacity": self.capacity})


class TpuNodePool(pulumi.ComponentResource):
    """One TPU slice node pool: a single-host pool that autoscales, or one atomic multi-host slice.

    A multi-host slice has exactly the node count its topology needs, placed COMPACT with that TPU topology, and is
    never resized (with queued provisioning or flex-start it scales from 0 to the whole slice at once). The spec is
    checked here with the same catalog rules as a config, so a pool built in code is refused with the same
    messages before anything is registered.

    Args:
        name: Component name; the node pool is auto-named from it.
        spec: TpuPoolSpec: machine type, topology, zones, node range (single-host), capacity, disk, labels,
            taints. A pool the catalog rules reject raises ValueError naming the key.
        cluster: PoolCluster of the cluster it joins (GkeCluster.pool_cluster).
        labels: Resource labels of the nodes (Tagging.tags).
        opts: Resource options.

    Outputs:
        node_pool: The `gcp.container.NodePool` (registered output `node_pool_name`).
        shape: The TpuShape the catalog gives the slice: version, topology, chips per node, nodes, multi-host.
        capacity: The pool's row of the capacity table (as the AWS GpuNodePool's, plus topology).

    Security:
        - Node hardening (the node configuration every pool here shares): nodes run as the cluster's node service
          account with the cloud-platform scope, so IAM alone decides what they may do; the boot disk is
          encrypted with `cluster.boot_disk_key_id`; Shielded VM secure boot and integrity monitoring; the GKE
          metadata server, so pods never see the node's credentials; legacy metadata endpoints off.
        - Scheduling: the `google.com/tpu=present:NoSchedule` taint keeps pods that ask for no TPU off the nodes.
        - Capacity: the pool never consumes a reservation unless `spec.reservation` names one (NO_RESERVATION).
    """

    node_pool: gcp.container.NodePool
    shape: TpuShape
    capacity: Capacity

    def __init__(
        self,
        name: str,
        spec: TpuPoolSpec,
        *,
        cluster: PoolCluster,
        labels: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        refuse(f"pool {spec.name}", check_tpu_pool(spec, (), Site(cluster.location, tuple(cluster.zones))))
        shape = tpu_shape(spec.machine_type, spec.topology)
        zones = list(spec.zones or cluster.zones)
        dynamic = spec.queued_provisioning or spec.flex_start
        if shape.multi_host:
            # A multi-host slice is atomic: exactly its node count, never resized (docs/accelerators.md); queued
            # provisioning and flex-start bring the whole slice up from none.
            low, high = (0 if dynamic else shape.nodes), shape.nodes
        else:
            low, high = spec.min_nodes or 0, spec.max_nodes or 0
        super().__init__("llmops:gcp:TpuNodePool", name, None, opts)
        self.shape = shape

        scaling: dict[str, Any]
        if shape.multi_host and not dynamic:
            scaling = {"node_count": shape.nodes}
        else:
            # Queued provisioning and flex-start create even a multi-host slice through the autoscaler, from 0
            # to the slice's size at once (GKE provisioningrequest doc: --enable-autoscaling --num-nodes=0).
            scaling = {
                "autoscaling": gcp.container.NodePoolAutoscalingArgs(
                    total_min_node_count=low,
                    total_max_node_count=high,
                    location_policy=ACCELERATOR_LOCATION_POLICY,
                )
            }
        # pulumi_gcp placement_policy.tpu_topology names the slice's shape; only a multi-host slice spans VMs
        # that must be placed together.
        placement = (
            gcp.container.NodePoolPlacementPolicyArgs(type="COMPACT", tpu_topology=shape.topology)
            if shape.multi_host
            else None
        )

        self.node_pool = gcp.container.NodePool(
            name,
            cluster=cluster.cluster_id,
            location=cluster.location,
            node_locations=zones or None,
            node_config=_accelerator_node_config(
                spec,
                taint=TPU_TAINT,
                node_service_account=cluster.node_service_account,
                boot_disk_key_id=cluster.boot_disk_key_id,
                labels=labels,
            ),
            placement_policy=placement,
            **scaling,
            **_provisioning(spec),
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.capacity = capacity_row(
            spec.name,
            spec.machine_type,
            f"TPU {shape.version}",
            shape.chips_per_node,
            (low, low, high),
            topology=shape.topology,
            verified=shape.verified,
        )
        self.register_outputs({"node_pool_name": self.node_pool.name, "capacity": self.capacity})
