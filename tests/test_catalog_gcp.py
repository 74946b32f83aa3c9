"""The GCP accelerator catalog and its pool rules: a table of valid and invalid machine, accelerator, topology and
capacity combinations, each invalid one with the key it is reported under and what its message says."""

from __future__ import annotations

import copy
import math
import re
from typing import Any

import pytest

from llmops_infra.components.catalog import gcp
from llmops_infra.components.config.platform import parse_platform
from llmops_infra.components.spec import GpuPoolSpec, SpecError, format_path

BASE: dict[str, Any] = {
    "targets": ["gcp"],
    "region": "europe-west4",
    "owner": "ml-platform",
    "gcp": {"cluster": {"zones": ["europe-west4-a", "europe-west4-b"]}},
}


def _platform(kind: str, pool: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    defaults = {"name": "pool", "maxNodes": 2} if kind == "gpu" else {"name": "pool"}
    data["gcp"][f"{kind}Pools"] = [{**defaults, **pool}]
    return data


def _errors(data: dict[str, Any]) -> list[str]:
    try:
        parse_platform(data, "configs/Pulumi.bad.yaml")
    except SpecError as error:
        return [f"{format_path(p.path)}: {p.message}" for p in error.problems]
    return []


# (kind, pool) that the rules accept.
VALID = [
    ("gpu", {"machineType": "g2-standard-12"}),
    ("gpu", {"machineType": "a3-highgpu-8g", "accelerator": "nvidia-h100-80gb", "acceleratorCount": 8}),
    ("gpu", {"machineType": "a2-highgpu-1g", "migPartitionSize": "1g.5gb"}),
    ("gpu", {"machineType": "a2-ultragpu-1g", "migPartitionSize": "3g.40gb"}),
    ("gpu", {"machineType": "a3-highgpu-8g", "migPartitionSize": "1g.10gb"}),  # H100: sizes pattern-checked only
    ("gpu", {"machineType": "n1-standard-8", "accelerator": "nvidia-tesla-t4", "acceleratorCount": 2}),
    ("gpu", {"machineType": "g2-standard-24", "spot": True, "zones": ["europe-west4-a"]}),
    ("gpu", {"machineType": "a3-megagpu-8g", "compactPlacement": True, "zones": ["europe-west4-b"]}),
    ("gpu", {"machineType": "a3-ultragpu-8g", "queuedProvisioning": True, "minNodes": 0}),
    ("gpu", {"machineType": "a3-highgpu-8g", "flexStart": True}),
    ("gpu", {"machineType": "a3-highgpu-8g", "reservation": {"consume": "SPECIFIC_RESERVATION", "name": "h100"}}),
    ("gpu", {"machineType": "a3-highgpu-8g", "reservation": {"consume": "ANY_RESERVATION"}}),
    ("tpu", {"machineType": "ct5lp-hightpu-4t", "topology": "2x2", "maxNodes": 3}),
    ("tpu", {"machineType": "ct5lp-hightpu-4t", "topology": "2x4", "zones": ["europe-west4-a"]}),
    ("tpu", {"machineType": "ct5lp-hightpu-4t", "topology": "16x16", "zones": ["europe-west4-a"], "minNodes": 64,
             "maxNodes": 64}),
    ("tpu", {"machineType": "ct5lp-hightpu-1t", "topology": "1x1", "maxNodes": 4}),
    ("tpu", {"machineType": "ct5lp-hightpu-8t", "topology": "2x4", "maxNodes": 1}),
    ("tpu", {"machineType": "ct6e-standard-4t", "topology": "4x4", "zones": ["europe-west4-b"]}),
    ("tpu", {"machineType": "ct6e-standard-4t", "topology": "4x4", "zones": ["europe-west4-b"],
             "queuedProvisioning": True, "flexStart": True, "minNodes": 0, "maxNodes": 4}),
    ("tpu", {"machineType": "ct4p-hightpu-4t", "topology": "2x2x1", "maxNodes": 2}),
    ("tpu", {"machineType": "ct4p-hightpu-4t", "topology": "2x2x4", "zones": ["europe-west4-a"]}),
    ("tpu", {"machineType": "ct4p-hightpu-4t", "topology": "8x4x4", "zones": ["europe-west4-a"]}),  # v4: any order
    ("tpu", {"machineType": "ct5p-hightpu-4t", "topology": "4x4x8", "zones": ["europe-west4-a"]}),
    ("tpu", {"machineType": "ct5p-hightpu-4t", "topology": "16x16x24", "zones": ["europe-west4-a"]}),
    ("gpu", {"machineType": "a3-edgegpu-8g", "accelerator": "nvidia-h100-80gb", "acceleratorCount": 8}),
    ("gpu", {"machineType": "n1-standard-64", "accelerator": "nvidia-tesla-v100", "acceleratorCount": 8}),
    ("gpu", {"machineType": "g4-standard-48", "migPartitionSize": "1g.24gb"}),
    ("gpu", {"machineType": "g4-standard-96", "migPartitionSize": "4g.96gb"}),
    ("tpu", {"machineType": "ct5l-hightpu-1t", "topology": "1x1", "maxNodes": 2}),
    ("tpu", {"machineType": "ct5l-hightpu-4t", "topology": "2x2", "maxNodes": 2}),
    ("tpu", {"machineType": "ct5l-hightpu-8t", "topology": "2x4", "maxNodes": 2}),
    ("tpu", {"machineType": "tpu7x-standard-1t", "topology": "1x1x1", "maxNodes": 2}),
    ("tpu", {"machineType": "tpu7x-standard-4t", "topology": "2x2x1", "maxNodes": 2}),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "pool"), VALID, ids=[f"{k}:{p['machineType']}" for k, p in VALID])
def test_valid_combinations_pass(kind, pool):
    assert _errors(_platform(kind, pool)) == []


# (id, kind, pool, key path the error names, words its message contains)
INVALID = [
    ("l4-on-a3", "gpu", {"machineType": "a3-highgpu-8g", "accelerator": "nvidia-l4"},
     "gcp.gpuPools[0].accelerator", "a3-highgpu-8g carries NVIDIA H100 80GB; allowed: nvidia-h100-80gb"),
    ("count-mismatch", "gpu", {"machineType": "g2-standard-24", "acceleratorCount": 1},
     "gcp.gpuPools[0].acceleratorCount", "g2-standard-24 carries 2 GPUs; allowed: 2"),
    ("tpu-type-in-gpu-pool", "gpu", {"machineType": "ct5lp-hightpu-4t"},
     "gcp.gpuPools[0].machineType", "a TPU machine type; move this pool to gcp.tpuPools"),
    ("unknown-gpu-type", "gpu", {"machineType": "a3-highgpu-9g"},
     "gcp.gpuPools[0].machineType", "did you mean a3-highgpu-8g"),
    ("n1-without-gpu", "gpu", {"machineType": "n1-standard-8"},
     "gcp.gpuPools[0].accelerator", "N1 machine types need a GPU to attach; allowed: nvidia-tesla-p100"),
    ("n1-without-count", "gpu", {"machineType": "n1-standard-8", "accelerator": "nvidia-tesla-t4"},
     "gcp.gpuPools[0].acceleratorCount", "allowed: 1, 2, 4"),
    ("n1-bad-count", "gpu", {"machineType": "n1-standard-8", "accelerator": "nvidia-tesla-t4", "acceleratorCount": 3},
     "gcp.gpuPools[0].acceleratorCount", "allowed: 1, 2, 4"),
    ("l4-on-n1", "gpu", {"machineType": "n1-standard-8", "accelerator": "nvidia-l4", "acceleratorCount": 1},
     "gcp.gpuPools[0].accelerator", "not a GPU that attaches to N1 machine types"),
    ("gpu-min-over-max", "gpu", {"machineType": "g2-standard-12", "minNodes": 3},
     "gcp.gpuPools[0].minNodes", "at most maxNodes (2)"),
    ("mig-on-l4", "gpu", {"machineType": "g2-standard-12", "migPartitionSize": "1g.5gb"},
     "gcp.gpuPools[0].migPartitionSize", "GKE partitions (MIG) only nvidia-a100-80gb"),
    ("mig-size-of-other-a100", "gpu", {"machineType": "a2-highgpu-1g", "migPartitionSize": "1g.20gb"},
     "gcp.gpuPools[0].migPartitionSize", "allowed: 1g.5gb, 1g.10gb, 2g.10gb, 3g.20gb, 4g.20gb, 7g.40gb"),
    ("compact-two-zones", "gpu", {"machineType": "a3-megagpu-8g", "compactPlacement": True},
     "gcp.gpuPools[0].zones", "exactly one zone"),
    ("compact-queued", "gpu", {"machineType": "a3-megagpu-8g", "compactPlacement": True, "queuedProvisioning": True,
                               "zones": ["europe-west4-a"]},
     "gcp.gpuPools[0].compactPlacement", "queuedProvisioning does not support compact placement"),
    ("spot-with-reservation", "gpu", {"machineType": "a3-highgpu-8g", "spot": True,
                                      "reservation": {"name": "h100"}},
     "gcp.gpuPools[0].reservation", "spot needs NO_RESERVATION"),
    ("queued-min-nodes", "gpu", {"machineType": "a3-highgpu-8g", "queuedProvisioning": True, "minNodes": 1},
     "gcp.gpuPools[0].minNodes", "set minNodes to 0"),
    ("queued-with-reservation", "gpu", {"machineType": "a3-highgpu-8g", "queuedProvisioning": True,
                                        "reservation": {"name": "h100"}},
     "gcp.gpuPools[0].reservation", "queuedProvisioning (Dynamic Workload Scheduler) takes no reservation"),
    ("flex-start-spot", "gpu", {"machineType": "a3-highgpu-8g", "flexStart": True, "spot": True},
     "gcp.gpuPools[0].flexStart", "cannot be combined with spot"),
    ("specific-without-name", "gpu", {"machineType": "a3-highgpu-8g", "reservation": {}},
     "gcp.gpuPools[0].reservation.name", "SPECIFIC_RESERVATION needs the name"),
    ("any-with-name", "gpu", {"machineType": "a3-highgpu-8g",
                              "reservation": {"consume": "ANY_RESERVATION", "name": "h100"}},
     "gcp.gpuPools[0].reservation.name", "name goes only with consume: SPECIFIC_RESERVATION"),
    ("zone-of-other-region", "gpu", {"machineType": "g2-standard-12", "zones": ["us-central1-a"]},
     "gcp.gpuPools[0].zones[0]", "is in us-central1, not in the platform region europe-west4"),
    ("zone-outside-cluster", "gpu", {"machineType": "g2-standard-12", "zones": ["europe-west4-c"]},
     "gcp.gpuPools[0].zones[0]", "allowed: europe-west4-a, europe-west4-b"),
    ("2x3-on-v5e-4t", "tpu", {"machineType": "ct5lp-hightpu-4t", "topology": "2x3"},
     "gcp.tpuPools[0].topology", "6 chips do not divide into the 4-chip hosts of ct5lp-hightpu-4t; allowed on "
     "ct5lp-hightpu-4t: 2x2 (single host), 2x4, 4x4, 4x8, 8x8, 8x16, 16x16"),
    ("1x1-on-v5e-4t", "tpu", {"machineType": "ct5lp-hightpu-4t", "topology": "1x1"},
     "gcp.tpuPools[0].topology", "1 chip does not divide into the 4-chip hosts"),
    ("v5e-beyond-256-chips", "tpu", {"machineType": "ct5lp-hightpu-4t", "topology": "16x32"},
     "gcp.tpuPools[0].topology", "not a TPU v5e slice shape on ct5lp-hightpu-4t"),
    ("2d-on-v5p", "tpu", {"machineType": "ct5p-hightpu-4t", "topology": "2x4"},
     "gcp.tpuPools[0].topology", "TPU v5p topologies are 3-D (AxBxC)"),
    ("3d-on-v5e", "tpu", {"machineType": "ct5lp-hightpu-4t", "topology": "2x2x2"},
     "gcp.tpuPools[0].topology", "TPU v5e topologies are 2-D (AxB)"),
    ("v4-not-whole-cubes", "tpu", {"machineType": "ct4p-hightpu-4t", "topology": "4x4x6"},
     "gcp.tpuPools[0].topology", "every dimension a multiple of 4"),
    ("v5p-descending", "tpu", {"machineType": "ct5p-hightpu-4t", "topology": "8x4x4"},
     "gcp.tpuPools[0].topology", "in ascending order"),
    ("v5p-beyond-largest", "tpu", {"machineType": "ct5p-hightpu-4t", "topology": "16x16x32"},
     "gcp.tpuPools[0].topology", "at most 6144 chips"),
    ("gpu-type-in-tpu-pool", "tpu", {"machineType": "a3-highgpu-8g", "topology": "2x2"},
     "gcp.tpuPools[0].machineType", "a GPU machine type; move this pool to gcp.gpuPools"),
    ("unknown-tpu-type", "tpu", {"machineType": "ct5lp-hightpu-2t", "topology": "2x2"},
     "gcp.tpuPools[0].machineType", "did you mean"),
    ("multi-host-two-zones", "tpu", {"machineType": "ct5lp-hightpu-4t", "topology": "2x4",
                                     "zones": ["europe-west4-a", "europe-west4-b"]},
     "gcp.tpuPools[0].zones", "(2 hosts) is placed COMPACT in one zone; give exactly one zone"),
    ("multi-host-cluster-zones", "tpu", {"machineType": "ct6e-standard-4t", "topology": "4x4"},
     "gcp.tpuPools[0].zones", "exactly one zone"),
    ("multi-host-max-3", "tpu", {"machineType": "ct5lp-hightpu-4t", "topology": "2x4", "zones": ["europe-west4-a"],
                                 "maxNodes": 3},
     "gcp.tpuPools[0].maxNodes", "is atomic: exactly 2 nodes, and it cannot be resized"),
    ("multi-host-min-1", "tpu", {"machineType": "ct5lp-hightpu-4t", "topology": "2x4", "zones": ["europe-west4-a"],
                                 "minNodes": 1},
     "gcp.tpuPools[0].minNodes", "leave minNodes out or set 2"),
    ("queued-multi-host-min", "tpu", {"machineType": "ct6e-standard-4t", "topology": "4x4",
                                      "zones": ["europe-west4-a"], "queuedProvisioning": True, "minNodes": 4},
     "gcp.tpuPools[0].minNodes", "scales from 0 to 4 nodes at once"),
    ("single-host-without-max", "tpu", {"machineType": "ct5lp-hightpu-4t", "topology": "2x2"},
     "gcp.tpuPools[0].maxNodes", "maxNodes is required"),
    ("single-host-min-over-max", "tpu", {"machineType": "ct5lp-hightpu-8t", "topology": "2x4", "minNodes": 3,
                                         "maxNodes": 2},
     "gcp.tpuPools[0].minNodes", "at most maxNodes (2)"),
    ("t4-times-eight", "gpu", {"machineType": "n1-standard-64", "accelerator": "nvidia-tesla-t4",
                               "acceleratorCount": 8},
     "gcp.gpuPools[0].acceleratorCount", "allowed: 1, 2, 4"),
    ("v100-times-three", "gpu", {"machineType": "n1-standard-64", "accelerator": "nvidia-tesla-v100",
                                 "acceleratorCount": 3},
     "gcp.gpuPools[0].acceleratorCount", "allowed: 1, 2, 4, 8"),
    ("rtx-pro-mig-of-a100", "gpu", {"machineType": "g4-standard-48", "migPartitionSize": "1g.10gb"},
     "gcp.gpuPools[0].migPartitionSize", "allowed: 1g.24gb, 2g.48gb, 4g.96gb"),
    ("a3-edge-count", "gpu", {"machineType": "a3-edgegpu-8g", "acceleratorCount": 4},
     "gcp.gpuPools[0].acceleratorCount", "a3-edgegpu-8g carries 8 GPUs; allowed: 8"),
    ("ct5l-multi-host", "tpu", {"machineType": "ct5l-hightpu-4t", "topology": "2x4", "zones": ["europe-west4-a"]},
     "gcp.tpuPools[0].topology", "not a TPU v5e slice shape on ct5l-hightpu-4t; allowed on ct5l-hightpu-4t: "
     "2x2 (single host)"),
    ("tpu7x-multi-host", "tpu", {"machineType": "tpu7x-standard-4t", "topology": "2x2x2",
                                 "zones": ["europe-west4-a"]},
     "gcp.tpuPools[0].topology", "not a TPU v7x slice shape on tpu7x-standard-4t; allowed on tpu7x-standard-4t: "
     "2x2x1 (single host) (multi-host Ironwood slices are placed by a GKE workload policy, which this toolkit does "
     "not create)"),
    ("2d-on-tpu7x", "tpu", {"machineType": "tpu7x-standard-1t", "topology": "1x1"},
     "gcp.tpuPools[0].topology", "TPU v7x topologies are 3-D (AxBxC)"),
    ("tpu-spot-with-reservation", "tpu", {"machineType": "ct5lp-hightpu-4t", "topology": "2x2", "maxNodes": 1,
                                          "spot": True, "reservation": {"name": "v5e"}},
     "gcp.tpuPools[0].reservation", "spot needs NO_RESERVATION"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "pool", "key", "words"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_combination_names_key_and_what_is_allowed(kind, pool, key, words):
    errors = _errors(_platform(kind, pool))
    assert any(e.startswith(f"{key}: ") and words in e for e in errors), errors


def test_unknown_machine_type_gets_only_that_problem():
    errors = _errors(_platform("gpu", {"machineType": "a3-highgpu-9g", "accelerator": "nvidia-l4", "minNodes": 5,
                                       "spot": True, "reservation": {"name": "x"}}))  # fmt: skip
    assert [e.split(":")[0] for e in errors] == ["gcp.gpuPools[0].machineType"]


# (machine type, topology) -> (nodes, multi-host)
SHAPES = {
    ("ct5lp-hightpu-4t", "2x4"): (2, True),
    ("ct5lp-hightpu-4t", "2x2"): (1, False),
    ("ct5lp-hightpu-4t", "16x16"): (64, True),
    ("ct5lp-hightpu-8t", "2x4"): (1, False),
    ("ct5lp-hightpu-1t", "1x1"): (1, False),
    ("ct6e-standard-4t", "4x4"): (4, True),
    ("ct4p-hightpu-4t", "2x2x1"): (1, False),
    ("ct4p-hightpu-4t", "2x2x2"): (2, True),
    ("ct4p-hightpu-4t", "2x4x4"): (8, True),
    ("ct5p-hightpu-4t", "4x4x4"): (16, True),
    ("ct5p-hightpu-4t", "16x16x24"): (1536, True),
    ("ct5l-hightpu-8t", "2x4"): (1, False),
    ("tpu7x-standard-1t", "1x1x1"): (1, False),
    ("tpu7x-standard-4t", "2x2x1"): (1, False),
}


@pytest.mark.parametrize(("machine", "topology"), SHAPES, ids=[f"{m}:{t}" for m, t in SHAPES])
def test_tpu_shape_nodes_and_hosts(machine, topology):
    shape = gcp.tpu_shape(machine, topology)
    assert (shape.nodes, shape.multi_host) == SHAPES[(machine, topology)]
    assert shape.accelerator == gcp.TPU_MACHINES[machine].accelerator
    assert shape.nodes * shape.chips_per_node == math.prod(map(int, topology.split("x")))


def test_tpu_shape_labels_v5e_for_gke():
    shape = gcp.tpu_shape("ct5lp-hightpu-4t", "2x4")
    assert shape == gcp.TpuShape("v5e", "tpu-v5-lite-podslice", "2x4", 4, 2, True, True)


@pytest.mark.parametrize(
    ("machine", "topology"),
    [("ct5lp-hightpu-4t", "2x3"), ("ct5p-hightpu-4t", "2x4"), ("ct5lp-hightpu-4t", "1x1"), ("a3-highgpu-8g", "2x2")],
)
def test_tpu_shape_refuses_what_the_rules_reject(machine, topology):
    with pytest.raises(ValueError):
        gcp.tpu_shape(machine, topology)


def test_gpu_shape_of_accelerator_optimized_and_n1_pools():
    a3 = gcp.gpu_shape("a3-highgpu-8g")
    assert a3 == gcp.GpuShape("nvidia-h100-80gb", "NVIDIA H100 80GB", 8, True)
    n1 = gcp.gpu_shape("n1-standard-8", accelerator="nvidia-tesla-t4", accelerator_count=4)
    assert n1 == gcp.GpuShape("nvidia-tesla-t4", "NVIDIA T4", 4, True)


@pytest.mark.parametrize(
    "pool",
    [
        {"machine_type": "a3-highgpu-8g", "accelerator": "nvidia-l4"},
        {"machine_type": "a3-highgpu-8g", "accelerator_count": 4},
        {"machine_type": "n1-standard-8"},
        {"machine_type": "n1-standard-8", "accelerator": "nvidia-tesla-t4", "accelerator_count": 3},
        {"machine_type": "ct5lp-hightpu-4t"},
    ],
)
def test_gpu_shape_refuses_what_the_rules_reject(pool):
    with pytest.raises(ValueError):
        gcp.gpu_shape(**pool)


# ---- the data itself --------------------------------------------------------------------------------------------

SOURCE = re.compile(r"^(https://|github\.com/|docs/[a-z-]+\.md)")


def test_every_catalog_row_names_its_source():
    rows = [*gcp.ACCELERATORS.values(), *gcp.GPU_MACHINES.values(), *gcp.TPU_MACHINES.values(),
            *gcp.BUCKET_LOCATIONS.values()]  # fmt: skip
    for row in rows:
        assert SOURCE.match(row.source), row


def test_every_gpu_machine_carries_a_known_accelerator():
    for machine in gcp.GPU_MACHINES.values():
        assert machine.accelerator in gcp.ACCELERATORS, machine.name
        assert machine.count >= 1
        assert not gcp.ACCELERATORS[machine.accelerator].n1_counts, "N1 GPUs come with N1 types, not a2/a3/g2"


def test_machine_type_tables_do_not_overlap():
    assert not set(gcp.GPU_MACHINES) & set(gcp.TPU_MACHINES)
    assert not set(gcp.N1_MACHINE_TYPES) & (set(gcp.GPU_MACHINES) | set(gcp.TPU_MACHINES))


def test_every_listed_tpu_topology_divides_exactly_into_hosts():
    for machine in gcp.TPU_MACHINES.values():
        chips_per_node = int(machine.name.rsplit("-", 1)[1].removesuffix("t"))
        assert machine.chips_per_node == chips_per_node, machine.name
        for topology in (machine.single_host, *machine.multi_host, *(machine.cube_rule.sub_cube
                                                                      if machine.cube_rule else ())):  # fmt: skip
            dims = gcp.parse_topology(topology)
            assert dims is not None and len(dims) == machine.dimensions, (machine.name, topology)
            assert math.prod(dims) % machine.chips_per_node == 0, (machine.name, topology)
            assert math.prod(dims) <= machine.max_chips
        single = gcp.parse_topology(machine.single_host)
        assert single is not None and math.prod(single) == machine.chips_per_node, machine.name


def test_cube_rule_shapes_divide_into_4_chip_hosts():
    v4 = gcp.TPU_MACHINES["ct4p-hightpu-4t"]
    for a in range(4, 17, 4):
        for b in range(4, 17, 4):
            for c in range(4, 17, 4):
                topology = f"{a}x{b}x{c}"
                if v4.topology_allowed(topology):
                    assert (a * b * c) % v4.chips_per_node == 0


def test_mig_sizes_fit_the_spec_pattern_and_their_gpu():
    pattern = re.compile(GpuPoolSpec.model_fields["mig_partition_size"].metadata[0].pattern)
    for gpu in gcp.ACCELERATORS.values():
        for size in gpu.mig_sizes or ():
            assert pattern.match(size), size
            assert gpu.memory_gb is not None and int(size.split(".")[1].removesuffix("gb")) <= gpu.memory_gb


def test_gke_node_labels_per_tpu_version():
    labels = {(t.name.split("-", 1)[0], t.version, t.accelerator) for t in gcp.TPU_MACHINES.values()}
    assert labels == {("ct4p", "v4", "tpu-v4-podslice"), ("ct5lp", "v5e", "tpu-v5-lite-podslice"),
                      ("ct5l", "v5e", "tpu-v5-lite-device"), ("ct5p", "v5p", "tpu-v5p-slice"),
                      ("ct6e", "v6e", "tpu-v6e-slice"), ("tpu7x", "v7x", "tpu7x")}  # fmt: skip


def test_new_rows_are_marked_as_their_sources_allow():
    assert gcp.gpu_shape("a3-edgegpu-8g") == gcp.GpuShape("nvidia-h100-80gb", "NVIDIA H100 80GB", 8, True)
    v100 = gcp.ACCELERATORS["nvidia-tesla-v100"]
    assert v100.n1_counts == (1, 2, 4, 8) and v100.verified is False  # the count of 8: no Google source at hand
    assert gcp.gpu_shape("n1-standard-64", "nvidia-tesla-v100", 8).verified is False
    assert [t.verified for t in gcp.TPU_MACHINES.values() if t.name.startswith("ct5l-")] == [False, False, False]
    rtx = gcp.ACCELERATORS["nvidia-rtx-pro-6000"]
    assert rtx.mig_sizes == ("1g.24gb", "2g.48gb", "4g.96gb") and rtx.mig_verified is False
    assert [a.label for a in gcp.ACCELERATORS.values() if not a.mig_verified] == ["nvidia-rtx-pro-6000"]


def test_ironwood_offers_single_host_shapes_only():
    for name in ("tpu7x-standard-1t", "tpu7x-standard-4t"):
        machine = gcp.TPU_MACHINES[name]
        assert machine.multi_host == () and machine.cube_rule is None and machine.max_chips == machine.chips_per_node
    with pytest.raises(ValueError, match="workload policy"):
        gcp.tpu_shape("tpu7x-standard-4t", "4x4x4")


# ---- bucket locations and their keys --------------------------------------------------------------------------


def test_bucket_locations_that_hold_europe_west4():
    assert gcp.bucket_locations_for("europe-west4") == ["europe-west4", "EUR4", "EU"]
    assert gcp.bucket_locations_for("us-east1") == ["us-east1", "NAM4", "US"]


@pytest.mark.parametrize(
    ("location", "region", "holds"),
    [
        ("europe-west4", "europe-west4", True),
        ("EUROPE-WEST4", "europe-west4", True),
        ("eur4", "europe-west4", True),
        ("EU", "europe-north1", True),
        ("EU", "europe-west2", False),  # London: outside the EU multi-region
        ("EU", "us-central1", False),
        ("US", "us-east4", True),
        ("ASIA", "asia-northeast1", True),
        ("NAM4", "us-west1", False),
        ("europe-west1", "europe-west4", False),
    ],
)
def test_location_holds(location, region, holds):
    assert gcp.location_holds(location, region) is holds


@pytest.mark.parametrize(
    ("location", "kms"),
    [("europe-west4", "europe-west4"), ("EUROPE-WEST4", "europe-west4"), ("EU", "europe"), ("US", "us"),
     ("ASIA", "asia"), ("EUR4", "europe"), ("nam4", "us")],
)  # fmt: skip
def test_kms_location_matches_the_bucket(location, kms):
    assert gcp.kms_location(location) == kms


@pytest.mark.parametrize("location", ["ASIA1", "EUR5", "global"])
def test_kms_location_refuses_locations_it_does_not_know(location):
    with pytest.raises(ValueError):
        gcp.kms_location(location)


def test_dual_region_key_locations_are_marked_unverified():
    assert [b.name for b in gcp.BUCKET_LOCATIONS.values() if not b.kms_verified] == ["EUR4", "NAM4"]
