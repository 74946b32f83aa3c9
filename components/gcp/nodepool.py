"""GKE accelerator node pools (GPU and TPU) and the one node configuration every GKE pool of ours shares.

`node_config_args` is the only place a node's security is decided: a dedicated service account with the
cloud-platform scope (IAM, not scopes, decides what it may do), a boot disk encrypted with a Cloud KMS key,
Shielded VM secure boot and integrity monitoring, the GKE metadata server (Workload Identity: pods never see the
node's credentials) and the legacy metadata endpoints off. The cluster's short-lived default pool, the system
pool and every accelerator pool are built from it.

Capacity (spot, reservations, queued provisioning, flex-start) follows what GKE documents for each model. A pool
the catalog rules (components/catalog/gcp_rules.py) reject at config time is refused here too, with the same
messages, before anything is registered: a platform team building pools in code gets the same protection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_gcp as gcp

from llmops_infra.components.catalog.gcp import GpuShape, TpuShape, gpu_shape, tpu_shape
from llmops_infra.components.catalog.gcp_rules import Site, check_gpu_pool, check_tpu_pool
from llmops_infra.components.spec import (
    GkePoolSpec,
    GpuPoolSpec,
    Problem,
    ReservationSpec,
    Taint,
    TpuPoolSpec,
    format_path,
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

# The vendor taints keep pods that ask for no accelerator off these nodes (shared ACCELERATORS.md; Cluster
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


def refuse_invalid(pool: GkePoolSpec, problems: list[Problem]) -> None:
    """Raise the catalog's config-time problems for a pool built in code, which skipped parse_platform."""
    if problems:
        found = "; ".join(f"{format_path(p.path)}: {p.message}" for p in problems)
        raise ValueError(f"pool {pool.name}: {found}")


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

    cluster_id: pulumi.Input[str]
    location: str  # the cluster's region
    zones: Sequence[str]  # the cluster's node zones; a pool without its own runs there (empty: GKE's choice)
    node_service_account: pulumi.Input[str]
    boot_disk_key_id: pulumi.Input[str]


class GpuNodePool(pulumi.ComponentResource):
    """One GPU node pool of a GKE cluster, from a spec already checked against the catalog."""

    node_pool: gcp.container.NodePool
    shape: GpuShape
    capacity: dict[str, Any]

    def __init__(
        self,
        name: str,
        spec: GpuPoolSpec,
        *,
        cluster: PoolCluster,
        labels: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        refuse_invalid(spec, check_gpu_pool(spec, (), Site(cluster.location, tuple(cluster.zones))))
        shape = gpu_shape(spec)
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

        self.capacity = {
            "pool": spec.name,
            "instance_type": spec.machine_type,
            "accelerator": shape.model,
            "accelerators_per_node": shape.count,
            "min": spec.min_nodes,
            "desired": spec.min_nodes,
            "max": spec.max_nodes,
            "total_at_max": shape.count * spec.max_nodes,
            "verified": shape.verified,
        }
        self.register_outputs({"node_pool_name": self.node_pool.name, "capacity": self.capacity})


class TpuNodePool(pulumi.ComponentResource):
    """One TPU slice node pool: a single-host pool that autoscales, or one atomic multi-host slice."""

    node_pool: gcp.container.NodePool
    shape: TpuShape
    capacity: dict[str, Any]

    def __init__(
        self,
        name: str,
        spec: TpuPoolSpec,
        *,
        cluster: PoolCluster,
        labels: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        refuse_invalid(spec, check_tpu_pool(spec, (), Site(cluster.location, tuple(cluster.zones))))
        shape = tpu_shape(spec)
        zones = list(spec.zones or cluster.zones)
        dynamic = spec.queued_provisioning or spec.flex_start
        if shape.multi_host:
            # A multi-host slice is atomic: exactly its node count, never resized (ACCELERATORS.md); queued
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

        self.capacity = {
            "pool": spec.name,
            "instance_type": spec.machine_type,
            "accelerator": f"TPU {shape.version}",
            "accelerators_per_node": shape.chips_per_node,
            "min": low,
            "desired": low,
            "max": high,
            "total_at_max": shape.chips_per_node * high,
            "topology": shape.topology,
            "verified": shape.verified,
        }
        self.register_outputs({"node_pool_name": self.node_pool.name, "capacity": self.capacity})
