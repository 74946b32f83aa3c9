"""GpuNodePool and TpuNodePool through the offline engine: every pool's node hardening, the GPU accelerator with
its driver, sharing and MIG settings from the catalog, capacity (spot, reservations, queued provisioning,
flex-start, compact placement), TPU slices (a multi-host slice is one fixed, compactly placed set of nodes),
vendor taints and labels, the capacity row `llmops preview` shows, the combinations refused, and the GCP policy
rules passing over every pool."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest

from llmops_infra.cli.recording import Recording, Registration
from llmops_infra.components.aws.nodepool import GpuNodePool as AwsGpuNodePool
from llmops_infra.components.catalog.gcp import GpuShape
from llmops_infra.components.gcp import nodepool
from llmops_infra.components.gcp.nodepool import GpuNodePool, PoolCluster, TpuNodePool
from llmops_infra.components.spec import (
    AcceleratorPoolSpec,
    GpuPoolSpec,
    GpuSharingSpec,
    ReservationSpec,
    Taint,
    TpuPoolSpec,
)
from llmops_infra.policies.runtime.rule import RULES, evaluate
from tests.conftest import preview
from tests.rule_judging import DELETE, as_resource, changed, rule_violations
from tests.test_gcp_gke import assert_hardened_node_config

CONFIG = {"gcp:project": "llmops-test", "gcp:region": "europe-west4"}
CLUSTER_ID = "projects/llmops-test/locations/europe-west4/clusters/llm"
NODE_SA = "llm-nodes@llmops-test.iam.gserviceaccount.com"
BOOT_DISK_KEY = "projects/llmops-test/locations/europe-west4/keyRings/llm/cryptoKeys/storage"
LABELS = {"owner": "ml-platform", "purpose": "llm-serving", "data-classification": "phi"}
CLUSTER_ZONES = ("europe-west4-a", "europe-west4-b", "europe-west4-c")
NODE_POOL = "gcp:container/nodePool:NodePool"

GPU_TAINT = {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}
TPU_TAINT = {"key": "google.com/tpu", "value": "present", "effect": "NO_SCHEDULE"}


def pool_preview(
    component: Callable[..., object], spec: GpuPoolSpec | TpuPoolSpec, default_zones: tuple[str, ...]
) -> Recording:
    """`component` (GpuNodePool or TpuNodePool) for `spec`, on the one cluster, account and key every test uses."""

    def program() -> None:
        cluster = PoolCluster(
            cluster_id=CLUSTER_ID,
            location="europe-west4",
            zones=default_zones,
            node_service_account=NODE_SA,
            boot_disk_key_id=BOOT_DISK_KEY,
        )
        component(spec.name, spec, cluster=cluster, labels=LABELS)

    return preview(program, CONFIG)


def gpu_preview(default_zones: tuple[str, ...] = CLUSTER_ZONES, **fields: Any) -> Recording:
    spec = GpuPoolSpec(**{"name": "h100", "machine_type": "a3-highgpu-8g", "max_nodes": 2, **fields})
    return pool_preview(GpuNodePool, spec, default_zones)


def tpu_preview(default_zones: tuple[str, ...] = CLUSTER_ZONES, **fields: Any) -> Recording:
    spec = TpuPoolSpec(
        **{"name": "v5e", "machine_type": "ct5lp-hightpu-4t", "topology": "2x4", "zones": ("europe-west4-b",), **fields}
    )
    return pool_preview(TpuNodePool, spec, default_zones)


def pool(rec: Recording) -> dict[str, Any]:
    return rec.one(NODE_POOL).inputs


def node_config(rec: Recording) -> dict[str, Any]:
    return pool(rec)["nodeConfig"]


def accelerator(rec: Recording) -> dict[str, Any]:
    [only] = node_config(rec)["guestAccelerators"]
    return only


def capacity(rec: Recording, token: str = "llmops:gcp:GpuNodePool") -> dict[str, Any]:
    return rec.one(token).outputs["capacity"]


# ---- every pool's nodes -----------------------------------------------------------------------------------

SPECS = {
    "gpu": lambda: gpu_preview(),
    "gpu-spot-n1": lambda: gpu_preview(
        machine_type="n1-standard-8", accelerator="nvidia-tesla-t4", accelerator_count=2, spot=True
    ),
    "gpu-queued": lambda: gpu_preview(queued_provisioning=True),
    "tpu-multi-host": lambda: tpu_preview(),
    "tpu-single-host": lambda: tpu_preview(topology="2x2", max_nodes=4),
    "tpu-flex-start": lambda: tpu_preview(flex_start=True),
}


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_every_pool_runs_hardened_nodes_as_the_dedicated_account(kind: str) -> None:
    rec = SPECS[kind]()
    config = node_config(rec)
    assert_hardened_node_config(config, NODE_SA, BOOT_DISK_KEY)
    assert config["resourceLabels"] == LABELS
    inputs = pool(rec)
    assert inputs["cluster"] == CLUSTER_ID
    assert inputs["location"] == "europe-west4"
    # Auto-upgrade is never off (the release channel keeps every pool patched).
    assert inputs["management"]["autoUpgrade"] is True


POOL_RULES = {
    "gke-node-pool-boot-disk-cmek": (("nodeConfig", "bootDiskKmsKey"), DELETE),
    "gke-private-nodes": (("networkConfig",), {"enablePrivateNodes": False}),
    "gke-nodes-not-default-service-account": (("nodeConfig", "serviceAccount"), DELETE),
    "gke-workload-identity": (("nodeConfig", "workloadMetadataConfig"), DELETE),
}


@pytest.mark.parametrize("kind", sorted(SPECS))
@pytest.mark.parametrize("rule_name", sorted(POOL_RULES))
def test_policy_rules_pass_over_every_pool_and_fail_when_its_property_breaks(kind: str, rule_name: str) -> None:
    rec = SPECS[kind]()
    assert rule_violations(rec, rule_name) == []
    path, value = POOL_RULES[rule_name]
    registration = rec.one(NODE_POOL)
    assert evaluate(RULES[rule_name], as_resource(registration, changed(registration.inputs, path, value))) != []


# ---- GPU accelerators -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "label", "count"),
    [
        ({"machine_type": "a3-highgpu-8g"}, "nvidia-h100-80gb", 8),
        ({"machine_type": "g2-standard-24"}, "nvidia-l4", 2),
        ({"machine_type": "a2-ultragpu-1g"}, "nvidia-a100-80gb", 1),
        (
            {"machine_type": "n1-standard-8", "accelerator": "nvidia-tesla-t4", "accelerator_count": 4},
            "nvidia-tesla-t4",
            4,
        ),
    ],
)
def test_guest_accelerator_is_the_catalogs_for_the_machine_type(fields: dict[str, Any], label: str, count: int) -> None:
    rec = gpu_preview(**fields)
    assert accelerator(rec)["type"] == label
    assert accelerator(rec)["count"] == count
    assert node_config(rec)["machineType"] == fields["machine_type"]


@pytest.mark.parametrize("driver", ["DEFAULT", "LATEST", "INSTALLATION_DISABLED"])
def test_gpu_driver_installation_follows_the_spec(driver: str) -> None:
    gpu = accelerator(gpu_preview(driver_version=driver))
    assert gpu["gpuDriverInstallationConfig"] == {"gpuDriverVersion": driver}


@pytest.mark.parametrize(("strategy", "clients"), [("TIME_SHARING", 4), ("MPS", 8)])
def test_gpu_sharing_follows_the_spec(strategy: Any, clients: int) -> None:
    sharing = GpuSharingSpec(strategy=strategy, max_shared_clients_per_gpu=clients)
    gpu = accelerator(gpu_preview(machine_type="g2-standard-8", sharing=sharing))
    assert gpu["gpuSharingConfig"] == {"gpuSharingStrategy": strategy, "maxSharedClientsPerGpu": clients}


def test_mig_partitions_follow_the_spec() -> None:
    gpu = accelerator(gpu_preview(machine_type="a2-highgpu-1g", mig_partition_size="1g.5gb"))
    assert gpu["gpuPartitionSize"] == "1g.5gb"


def test_no_sharing_or_mig_unless_asked() -> None:
    gpu = accelerator(gpu_preview())
    assert "gpuSharingConfig" not in gpu and "gpuPartitionSize" not in gpu


def test_disk_size_and_type_follow_the_spec() -> None:
    config = node_config(gpu_preview(disk_size_gib=500, disk_type="hyperdisk-balanced"))
    assert config["diskSizeGb"] == 500
    assert config["diskType"] == "hyperdisk-balanced"
    assert "diskType" not in node_config(gpu_preview())


# ---- capacity ---------------------------------------------------------------------------------------------


def test_on_demand_pool_consumes_no_reservation_and_autoscales_from_zero() -> None:
    inputs = pool(gpu_preview(min_nodes=0, max_nodes=3))
    assert inputs["nodeConfig"]["reservationAffinity"] == {"consumeReservationType": "NO_RESERVATION"}
    assert inputs["nodeConfig"]["spot"] is False
    assert inputs["autoscaling"] == {"totalMinNodeCount": 0, "totalMaxNodeCount": 3, "locationPolicy": "ANY"}
    assert "nodeCount" not in inputs and "initialNodeCount" not in inputs
    assert inputs["management"] == {"autoRepair": True, "autoUpgrade": True}
    assert "queuedProvisioning" not in inputs and "flexStart" not in inputs["nodeConfig"]


def test_specific_reservation_in_the_clusters_project_is_named() -> None:
    config = node_config(gpu_preview(reservation=ReservationSpec(name="h100-block")))
    assert config["reservationAffinity"] == {
        "consumeReservationType": "SPECIFIC_RESERVATION",
        "key": "compute.googleapis.com/reservation-name",
        "values": ["h100-block"],
    }


def test_shared_reservation_is_named_by_its_project_path() -> None:
    reservation = ReservationSpec(name="h100-block", project="capacity-hub")
    config = node_config(gpu_preview(reservation=reservation))
    assert config["reservationAffinity"]["values"] == ["projects/capacity-hub/reservations/h100-block"]
    assert config["reservationAffinity"]["key"] == "compute.googleapis.com/reservation-name"


@pytest.mark.parametrize("consume", ["ANY_RESERVATION", "ANY_RESERVATION_THEN_FAIL"])
def test_non_specific_reservations_name_none(consume: Any) -> None:
    config = node_config(gpu_preview(reservation=ReservationSpec(consume=consume)))
    assert config["reservationAffinity"] == {"consumeReservationType": consume}


def test_spot_pool_uses_spot_vms_and_no_reservation() -> None:
    inputs = pool(gpu_preview(spot=True))
    assert inputs["nodeConfig"]["spot"] is True
    assert inputs["nodeConfig"]["reservationAffinity"] == {"consumeReservationType": "NO_RESERVATION"}
    assert inputs["autoscaling"]["locationPolicy"] == "ANY"


def test_queued_provisioning_pool_is_built_as_gke_documents_it() -> None:
    inputs = pool(gpu_preview(queued_provisioning=True, max_nodes=4))
    assert inputs["queuedProvisioning"] == {"enabled": True}
    assert inputs["initialNodeCount"] == 0
    assert inputs["autoscaling"] == {"totalMinNodeCount": 0, "totalMaxNodeCount": 4, "locationPolicy": "ANY"}
    assert inputs["nodeConfig"]["reservationAffinity"] == {"consumeReservationType": "NO_RESERVATION"}
    assert inputs["management"] == {"autoRepair": False, "autoUpgrade": True}


def test_flex_start_pool_turns_auto_repair_off() -> None:
    inputs = pool(gpu_preview(flex_start=True))
    assert inputs["nodeConfig"]["flexStart"] is True
    assert inputs["nodeConfig"]["spot"] is False
    assert inputs["initialNodeCount"] == 0
    assert inputs["management"] == {"autoRepair": False, "autoUpgrade": True}
    assert "queuedProvisioning" not in inputs


def test_compact_placement_in_one_zone() -> None:
    inputs = pool(gpu_preview(compact_placement=True, zones=("europe-west4-b",)))
    assert inputs["placementPolicy"] == {"type": "COMPACT"}
    assert inputs["nodeLocations"] == ["europe-west4-b"]
    assert "placementPolicy" not in pool(gpu_preview())


@pytest.mark.parametrize(
    ("zones", "default_zones", "expected"),
    [
        (("europe-west4-c",), CLUSTER_ZONES, ["europe-west4-c"]),
        ((), CLUSTER_ZONES, list(CLUSTER_ZONES)),
    ],
)
def test_pool_zones_default_to_the_clusters(
    zones: tuple[str, ...], default_zones: tuple[str, ...], expected: Any
) -> None:
    assert pool(gpu_preview(zones=zones, default_zones=default_zones))["nodeLocations"] == expected


def test_no_zones_anywhere_leaves_them_to_the_cluster() -> None:
    assert "nodeLocations" not in pool(gpu_preview(default_zones=()))


def test_accelerator_upgrades_replace_one_node_at_a_time_without_surge() -> None:
    for rec in (gpu_preview(), tpu_preview()):
        assert pool(rec)["upgradeSettings"] == {"strategy": "SURGE", "maxSurge": 0, "maxUnavailable": 1}


# ---- taints and labels ------------------------------------------------------------------------------------


def test_gpu_nodes_carry_the_gpu_taint_then_the_specs() -> None:
    extra = Taint(key="team", value="research", effect="NO_EXECUTE")
    config = node_config(gpu_preview(taints=(extra,)))
    assert config["taints"] == [GPU_TAINT, {"key": "team", "value": "research", "effect": "NO_EXECUTE"}]


def test_a_spec_taint_on_the_gpu_key_and_effect_does_not_duplicate_it() -> None:
    same = Taint(key="nvidia.com/gpu", value="true", effect="NO_SCHEDULE")
    assert node_config(gpu_preview(taints=(same,)))["taints"] == [GPU_TAINT]


def test_labels_name_role_and_pool_over_the_specs() -> None:
    config = node_config(gpu_preview(role="training", labels={"team": "research", "llmops.dev/pool": "other"}))
    assert config["labels"] == {"team": "research", "llmops.dev/role": "training", "llmops.dev/pool": "h100"}


# ---- TPU slices -------------------------------------------------------------------------------------------


def test_multi_host_v5e_2x4_is_one_fixed_compact_slice_of_two_nodes() -> None:
    rec = tpu_preview(machine_type="ct5lp-hightpu-4t", topology="2x4")
    inputs = pool(rec)
    assert inputs["nodeCount"] == 2
    assert "autoscaling" not in inputs and "initialNodeCount" not in inputs
    assert inputs["placementPolicy"] == {"type": "COMPACT", "tpuTopology": "2x4"}
    assert inputs["nodeLocations"] == ["europe-west4-b"]
    assert inputs["nodeConfig"]["machineType"] == "ct5lp-hightpu-4t"
    assert inputs["nodeConfig"]["taints"] == [TPU_TAINT]
    assert "guestAccelerators" not in inputs["nodeConfig"]


def test_multi_host_v5p_cube_is_sized_by_its_topology() -> None:
    inputs = pool(tpu_preview(machine_type="ct5p-hightpu-4t", topology="2x2x4"))
    assert inputs["nodeCount"] == 4
    assert inputs["placementPolicy"] == {"type": "COMPACT", "tpuTopology": "2x2x4"}


def test_multi_host_slice_may_state_its_own_node_count() -> None:
    assert pool(tpu_preview(min_nodes=2, max_nodes=2))["nodeCount"] == 2


def test_single_host_pool_autoscales_without_placement() -> None:
    inputs = pool(tpu_preview(topology="2x2", min_nodes=1, max_nodes=4, zones=()))
    assert inputs["autoscaling"] == {"totalMinNodeCount": 1, "totalMaxNodeCount": 4, "locationPolicy": "ANY"}
    assert "nodeCount" not in inputs and "placementPolicy" not in inputs
    assert inputs["nodeLocations"] == list(CLUSTER_ZONES)


@pytest.mark.parametrize("mode", ["queued_provisioning", "flex_start"])
def test_multi_host_slice_with_dynamic_capacity_comes_up_whole_through_the_autoscaler(mode: str) -> None:
    inputs = pool(tpu_preview(**{mode: True}))
    assert inputs["autoscaling"] == {"totalMinNodeCount": 0, "totalMaxNodeCount": 2, "locationPolicy": "ANY"}
    assert inputs["initialNodeCount"] == 0
    assert "nodeCount" not in inputs
    assert inputs["placementPolicy"] == {"type": "COMPACT", "tpuTopology": "2x4"}
    assert inputs["management"]["autoRepair"] is False


def test_tpu_spot_and_reservation() -> None:
    assert node_config(tpu_preview(spot=True))["spot"] is True
    reserved = node_config(tpu_preview(reservation=ReservationSpec(name="v5e-block")))
    assert reserved["reservationAffinity"]["values"] == ["v5e-block"]


# ---- capacity rows ----------------------------------------------------------------------------------------


@cache
def aws_capacity_keys() -> frozenset[str]:
    def program() -> None:
        AwsGpuNodePool(
            "gpu",
            AcceleratorPoolSpec(name="gpu", instance_type="g6e.xlarge", max_size=2),
            cluster_name="c",
            node_role_arn="arn:aws:iam::123456789012:role/nodes",
            vpc_id="vpc-0123456789abcdef0",
            subnet_ids=["subnet-a"],
            storage_key_arn="arn:aws:kms:us-east-1:123456789012:key/k",
            cluster_security_group_id="sg-0",
            tags={},
        )

    return frozenset(preview(program).one("llmops:aws:GpuNodePool").outputs["capacity"])


def test_gpu_capacity_row_has_the_aws_keys_and_the_pools_numbers() -> None:
    row = capacity(gpu_preview(min_nodes=1, max_nodes=3))
    assert set(row) == aws_capacity_keys()
    assert row == {
        "pool": "h100",
        "instance_type": "a3-highgpu-8g",
        "accelerator": "NVIDIA H100 80GB",
        "accelerators_per_node": 8,
        "min": 1,
        "desired": 1,
        "max": 3,
        "total_at_max": 24,
        "verified": True,
    }


def test_multi_host_tpu_capacity_row_is_the_whole_slice() -> None:
    row = capacity(tpu_preview(), "llmops:gcp:TpuNodePool")
    assert set(row) == aws_capacity_keys() | {"topology"}
    assert row == {
        "pool": "v5e",
        "instance_type": "ct5lp-hightpu-4t",
        "accelerator": "TPU v5e",
        "accelerators_per_node": 4,
        "min": 2,
        "desired": 2,
        "max": 2,
        "total_at_max": 8,
        "topology": "2x4",
        "verified": True,
    }


def test_single_host_tpu_capacity_row_follows_its_autoscaling() -> None:
    row = capacity(tpu_preview(topology="2x2", max_nodes=5), "llmops:gcp:TpuNodePool")
    assert (row["min"], row["max"], row["accelerators_per_node"], row["total_at_max"]) == (0, 5, 4, 20)


def test_unverified_catalog_rows_are_marked_in_the_capacity_row(monkeypatch: pytest.MonkeyPatch) -> None:
    unverified = GpuShape("nvidia-h100-80gb", "NVIDIA H100 80GB", 8, verified=False)
    monkeypatch.setattr(nodepool, "gpu_shape", lambda *args: unverified)
    assert capacity(gpu_preview())["verified"] is False


def test_node_pool_name_is_an_output() -> None:
    rec = gpu_preview()
    component: Registration = rec.one("llmops:gcp:GpuNodePool")
    assert component.outputs["node_pool_name"] == rec.one(NODE_POOL).outputs["name"]


# ---- refused combinations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"spot": True, "reservation": ReservationSpec(name="r")},
            "reservation: spot capacity never consumes a reservation",
        ),
        (
            {"queued_provisioning": True, "reservation": ReservationSpec(consume="ANY_RESERVATION")},
            "reservation: queuedProvisioning (Dynamic Workload Scheduler) takes no reservation",
        ),
        (
            {"flex_start": True, "reservation": ReservationSpec(name="r")},
            "reservation: flex-start capacity takes no reservation",
        ),
        ({"flex_start": True, "spot": True}, "flexStart: flex-start cannot be combined with spot"),
        (
            {"queued_provisioning": True, "min_nodes": 1},
            "minNodes: queuedProvisioning creates nodes only for admitted requests",
        ),
        ({"min_nodes": 3, "max_nodes": 2}, "minNodes: must be at most maxNodes (2)"),
        ({"compact_placement": True}, "zones: compactPlacement puts the nodes close together in one zone"),
        (
            {"compact_placement": True, "queued_provisioning": True, "zones": ("europe-west4-a",)},
            "compactPlacement: queuedProvisioning does not support compact placement",
        ),
        ({"reservation": ReservationSpec()}, "reservation.name: SPECIFIC_RESERVATION needs the name"),
        (
            {"reservation": ReservationSpec(consume="ANY_RESERVATION", name="r")},
            "name goes only with consume: SPECIFIC_RESERVATION",
        ),
        (
            {"machine_type": "a3-highgpu-8g", "accelerator": "nvidia-l4"},
            "accelerator: a3-highgpu-8g carries NVIDIA H100 80GB; allowed: nvidia-h100-80gb",
        ),
        ({"machine_type": "ct5lp-hightpu-4t"}, "machineType: a TPU machine type; move this pool to gcp.tpuPools"),
    ],
)
def test_gpu_pools_gke_would_reject_are_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        gpu_preview(**fields)


@pytest.mark.parametrize(
    ("fields", "default_zones", "message"),
    [
        ({"zones": ()}, CLUSTER_ZONES, "zones: a multi-host 2x4 slice (2 hosts) is placed COMPACT in one zone"),
        (
            {"zones": ("europe-west4-a", "europe-west4-b")},
            (),
            "zones: a multi-host 2x4 slice (2 hosts) is placed COMPACT in one zone",
        ),
        ({"max_nodes": 3}, CLUSTER_ZONES, "maxNodes: a multi-host 2x4 slice is atomic: exactly 2 nodes"),
        ({"min_nodes": 1}, CLUSTER_ZONES, "minNodes: a multi-host 2x4 slice is atomic: exactly 2 nodes"),
        (
            {"topology": "2x2"},
            CLUSTER_ZONES,
            "maxNodes: a single-host 2x2 pool autoscales, one slice per node; maxNodes is required",
        ),
        ({"topology": "2x2", "min_nodes": 3, "max_nodes": 2}, CLUSTER_ZONES, "minNodes: must be at most maxNodes (2)"),
        (
            {"spot": True, "reservation": ReservationSpec(name="r")},
            CLUSTER_ZONES,
            "reservation: spot capacity never consumes",
        ),
        ({"topology": "2x3"}, CLUSTER_ZONES, "topology: 6 chips do not divide into the 4-chip hosts"),
        (
            {"machine_type": "a3-highgpu-8g"},
            CLUSTER_ZONES,
            "machineType: a GPU machine type; move this pool to gcp.gpuPools",
        ),
    ],
)
def test_tpu_pools_gke_would_reject_are_refused(
    fields: dict[str, Any], default_zones: tuple[str, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        tpu_preview(default_zones=default_zones, **fields)


# ---- catalog rows added for issue 12: A3 Edge, V100 x8, RTX PRO 6000 MIG, v5e single-host, Ironwood -------------


def test_a3_edge_pool_attaches_its_eight_h100() -> None:
    gpu = accelerator(gpu_preview(machine_type="a3-edgegpu-8g"))
    assert (gpu["type"], gpu["count"]) == ("nvidia-h100-80gb", 8)
    assert capacity(gpu_preview(machine_type="a3-edgegpu-8g"))["verified"] is True


def test_eight_v100_on_n1_attach_and_are_reported_unverified() -> None:
    rec = gpu_preview(machine_type="n1-standard-64", accelerator="nvidia-tesla-v100", accelerator_count=8)
    assert (accelerator(rec)["type"], accelerator(rec)["count"]) == ("nvidia-tesla-v100", 8)
    assert capacity(rec)["verified"] is False  # the count of 8 has no Google source at hand


def test_rtx_pro_6000_mig_partition_follows_the_spec() -> None:
    gpu = accelerator(gpu_preview(machine_type="g4-standard-48", mig_partition_size="2g.48gb"))
    assert (gpu["type"], gpu["gpuPartitionSize"]) == ("nvidia-rtx-pro-6000", "2g.48gb")


@pytest.mark.parametrize(
    ("machine_type", "topology"),
    [("ct5l-hightpu-4t", "2x2"), ("tpu7x-standard-1t", "1x1x1"), ("tpu7x-standard-4t", "2x2x1")],
)
def test_single_host_v5e_and_ironwood_pools_autoscale_tainted_without_placement(machine_type: str, topology: str):
    rec = tpu_preview(machine_type=machine_type, topology=topology, min_nodes=0, max_nodes=3, zones=())
    inputs = pool(rec)
    assert inputs["nodeConfig"]["machineType"] == machine_type
    assert inputs["nodeConfig"]["taints"] == [TPU_TAINT]
    assert "placementPolicy" not in inputs and "nodeCount" not in inputs
    assert inputs["autoscaling"]["totalMaxNodeCount"] == 3


def test_multi_host_ironwood_is_refused_in_code_as_the_catalog_offers_no_workload_policy() -> None:
    with pytest.raises(ValueError, match="placed by a GKE workload policy, which this toolkit does not create"):
        tpu_preview(machine_type="tpu7x-standard-4t", topology="2x2x2")
