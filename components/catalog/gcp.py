"""GCP accelerators for GKE (GPU and TPU machine types) and GCS bucket locations, as data.

Adding a machine type is one line in GPU_MACHINES or TPU_MACHINES. Every row carries the source its numbers came
from; `verified=False` marks a row that docs/accelerators.md lists and no source at hand confirmed. Such rows
ship, marked, and `llmops preview` says so when a pool uses one.
Validation of pools against this data lives in components/config/gcp.py; `gpu_shape` and `tpu_shape` are
for pools those rules accepted.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

Arch = Literal["x86_64", "arm64"]

# Sources. GitHub files are named by repository and path (as the AWS catalog does); pages by address.
SHARED_DOC = "docs/accelerators.md"  # gathered from the GCE GPU docs; its rows marked (unverified) are here too
GCE_GPU_DOC = "https://cloud.google.com/compute/docs/gpus"
# Cluster Toolkit's machine type -> accelerator table: its GKE node pool module fills guest_accelerator from it.
TOOLKIT_GPUS = "github.com/GoogleCloudPlatform/cluster-toolkit modules/compute/gke-node-pool/gpu_definition.tf"
XPK_SYSTEMS = "github.com/AI-Hypercomputer/xpk src/xpk/core/system_characteristics.py"
PKB_GKE = (
    "github.com/GoogleCloudPlatform/PerfKitBenchmarker perfkitbenchmarker/providers/gcp/google_kubernetes_engine.py"
)
# Machine types as `gcloud compute machine-types list` reports them (the N1 predefined types come from here).
GCE_MACHINE_TYPES = "github.com/Cyclenerd/google-cloud-pricing-cost-calculator tools/machinetypes.csv"
NVIDIA_MIG_GPUS = "https://docs.nvidia.com/datacenter/tesla/mig-user-guide/supported-gpus.html"
NVIDIA_MIG_PROFILES = "https://docs.nvidia.com/datacenter/tesla/mig-user-guide/supported-mig-profiles.html"
GKE_MIG_DOC = "https://cloud.google.com/kubernetes-engine/docs/how-to/gpus-multi"
TPU_V5E_DOC = "https://cloud.google.com/tpu/docs/v5e"
TPU_V5P_DOC = "https://cloud.google.com/tpu/docs/v5p"
TPU7X_DOC = "https://cloud.google.com/tpu/docs/tpu7x"  # "a 9,216-chip footprint per Pod"
GKE_IRONWOOD_DOC = "https://cloud.google.com/kubernetes-engine/docs/concepts/tpu-ironwood"
# GKE's cluster autoscaler, machinetypes: fixedTpuCount and singleHostTopologyMap per TPU machine type (ct5l-hightpu-1t
# "1x1", -4t "2x2", -8t "2x4"; tpu7x-standard-1t "1x1x1", -4t "2x2x1"), machine family CT5L for the label
# TpuV5LiteDeviceValue = "tpu-v5-lite-device". Read through the code search index, which does not name the repository.
GKE_AUTOSCALER_TPUS = (
    "k8s.io/gke-autoscaling/cluster-autoscaler pkg/cloudprovider/gke/machinetypes (repository not named)"
)
GKE_AUTOPILOT_GPUS = "https://cloud.google.com/kubernetes-engine/docs/how-to/autopilot-gpus"
# GKE's ComputeClass CRD reference: gpuSharing.gpuPartitionSize "Example values for nvidia-rtx-pro-6000: "1g.24gb",
# "2g.48gb", "4g.96gb"" (GKE 1.35.2-gke.1485000 or later), as github.com/kcl-lang/modules pull 358 transcribes it.
GKE_COMPUTECLASS_CRD = "https://cloud.google.com/kubernetes-engine/docs/reference/crds/computeclass"


# ---- GPUs ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)  # rows name every fact
class GpuAccelerator:
    """A GPU model by its GKE accelerator label (`nodeConfig.guestAccelerators[].type`)."""

    label: str
    model: str
    memory_gb: int | None  # per GPU, as the source states it (GB); None: no figure sourced
    source: str
    # MIG: None: GKE cannot partition it. () : GKE partitions it, sizes not sourced (only the size pattern is
    # checked). Otherwise the partition sizes of the NVIDIA MIG guide (without the `+me` media-extension profiles,
    # which a GKE partition size cannot name).
    mig_sizes: tuple[str, ...] | None = None
    # Attached to N1 machine types in these counts; empty: comes only with its accelerator-optimized machine type.
    n1_counts: tuple[int, ...] = ()
    verified: bool = True
    # False: the partition sizes come from sources other than GKE's MIG guide (GKE_MIG_DOC), which was not at hand.
    mig_verified: bool = True

    @property
    def mig(self) -> bool:
        return self.mig_sizes is not None


# GKE runs MIG on A100 40GB/80GB and H100 80GB (every version of GKE_MIG_DOC); later versions add H200 and B200.
# The NVIDIA MIG guide lists A100 40GB profiles and renames them for A100 80GB "1g.10gb, 1g.10gb+me, 1g.20gb,
# 2g.20gb, 3g.40gb, 4g.40gb, 7g.80gb respectively"; the H100/H200/B200 profile lists were not at hand.
_A100_40_MIG = ("1g.5gb", "1g.10gb", "2g.10gb", "3g.20gb", "4g.20gb", "7g.40gb")
_A100_80_MIG = ("1g.10gb", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb")
N1_COUNTS = (1, 2, 4)  # SHARED_DOC: "attached to N1 machine types (1, 2 or 4 per VM)"

ACCELERATORS: dict[str, GpuAccelerator] = {
    a.label: a
    for a in (
        GpuAccelerator(
            label="nvidia-tesla-t4",
            model="NVIDIA T4",
            memory_gb=None,
            source=f"{GCE_GPU_DOC}; {SHARED_DOC}",
            n1_counts=N1_COUNTS,
        ),
        # V100 also attaches 8 to a VM: only a third-party gcloud example (count=8 on n1-standard-64,
        # gist.github.com/jlebar/1a37e0dc99c96b29d0610ba970b0e3f6) says so here; GCE_GPU_DOC's V100 table was not at
        # hand, nor which N1 sizes take 8. Hence verified=False.
        GpuAccelerator(
            label="nvidia-tesla-v100",
            model="NVIDIA V100",
            memory_gb=None,
            source=f"{GCE_GPU_DOC}; {SHARED_DOC}",
            n1_counts=(*N1_COUNTS, 8),
            verified=False,
        ),
        GpuAccelerator(
            label="nvidia-tesla-p100",
            model="NVIDIA P100",
            memory_gb=None,
            source=f"{GCE_GPU_DOC}; {SHARED_DOC}",
            n1_counts=N1_COUNTS,
        ),
        GpuAccelerator(
            label="nvidia-tesla-p4",
            model="NVIDIA P4",
            memory_gb=None,
            source=f"{GCE_GPU_DOC}; {SHARED_DOC}",
            n1_counts=N1_COUNTS,
        ),
        GpuAccelerator(label="nvidia-l4", model="NVIDIA L4", memory_gb=24, source=GCE_GPU_DOC),  # "24 GB GDDR6"
        GpuAccelerator(
            label="nvidia-tesla-a100",
            model="NVIDIA A100 40GB",
            memory_gb=40,
            source=f"{GCE_GPU_DOC}; MIG: {GKE_MIG_DOC}, {NVIDIA_MIG_PROFILES}",
            mig_sizes=_A100_40_MIG,
        ),
        GpuAccelerator(
            label="nvidia-a100-80gb",
            model="NVIDIA A100 80GB",
            memory_gb=80,
            source=f"{GCE_GPU_DOC}; MIG: {GKE_MIG_DOC}, {NVIDIA_MIG_PROFILES}",
            mig_sizes=_A100_80_MIG,
        ),
        GpuAccelerator(
            label="nvidia-h100-80gb",
            model="NVIDIA H100 80GB",
            memory_gb=80,
            source=f"{GCE_GPU_DOC}; MIG: {GKE_MIG_DOC}",
            mig_sizes=(),
        ),
        GpuAccelerator(label="nvidia-h100-mega-80gb", model="NVIDIA H100 Mega 80GB", memory_gb=80, source=GCE_GPU_DOC),
        GpuAccelerator(
            label="nvidia-h200-141gb",
            model="NVIDIA H200 141GB",
            memory_gb=141,
            source=f"{GCE_GPU_DOC}; MIG: {GKE_MIG_DOC}",
            mig_sizes=(),
        ),
        GpuAccelerator(
            label="nvidia-b200",
            model="NVIDIA B200",
            memory_gb=180,
            source=f"{GCE_GPU_DOC}; memory: {NVIDIA_MIG_GPUS}; MIG: {GKE_MIG_DOC}",
            mig_sizes=(),
        ),
        GpuAccelerator(
            label="nvidia-gb200",
            model="NVIDIA GB200",
            memory_gb=186,
            source=f"{GCE_GPU_DOC}; memory: {NVIDIA_MIG_GPUS}",
        ),
        # MIG: GKE_COMPUTECLASS_CRD's example values, the same three profiles NVIDIA's GPU Operator configures for RTX
        # PRO 6000 Blackwell (1g.24gb x4, 2g.48gb x2, 4g.96gb x1: github.com/aws/sagemaker-hyperpod-cli pull 403).
        GpuAccelerator(
            label="nvidia-rtx-pro-6000",
            model="NVIDIA RTX PRO 6000",
            memory_gb=96,
            source=f"{SHARED_DOC}; memory: {NVIDIA_MIG_GPUS}; MIG: {GKE_COMPUTECLASS_CRD}",
            mig_sizes=("1g.24gb", "2g.48gb", "4g.96gb"),
            mig_verified=False,
        ),
    )
}


@dataclass(frozen=True, kw_only=True)  # rows name every fact
class GpuMachine:
    """An accelerator-optimized machine type: Compute Engine attaches its GPUs, in a fixed count."""

    name: str
    accelerator: str
    count: int
    source: str
    verified: bool = True
    arch: Arch = "x86_64"


def _family(accelerator: str, counts: dict[str, int], source: str) -> list[GpuMachine]:
    return [GpuMachine(name=name, accelerator=accelerator, count=n, source=source) for name, n in counts.items()]


GPU_MACHINES: dict[str, GpuMachine] = {
    m.name: m
    for m in (
        *_family(
            "nvidia-tesla-a100",
            {"a2-highgpu-1g": 1, "a2-highgpu-2g": 2, "a2-highgpu-4g": 4, "a2-highgpu-8g": 8, "a2-megagpu-16g": 16},
            TOOLKIT_GPUS,
        ),
        *_family(
            "nvidia-a100-80gb",
            {"a2-ultragpu-1g": 1, "a2-ultragpu-2g": 2, "a2-ultragpu-4g": 4, "a2-ultragpu-8g": 8},
            TOOLKIT_GPUS,
        ),
        GpuMachine(
            name="a3-highgpu-8g", accelerator="nvidia-h100-80gb", count=8, source=f"{TOOLKIT_GPUS}; {XPK_SYSTEMS}"
        ),
        # The smaller A3 High types exist (GCE_MACHINE_TYPES); their GPU counts come from SHARED_DOC alone.
        *_family("nvidia-h100-80gb", {"a3-highgpu-1g": 1, "a3-highgpu-2g": 2, "a3-highgpu-4g": 4}, SHARED_DOC),
        GpuMachine(
            name="a3-megagpu-8g", accelerator="nvidia-h100-mega-80gb", count=8, source=f"{TOOLKIT_GPUS}; {XPK_SYSTEMS}"
        ),
        # A3 Edge: GKE_AUTOPILOT_GPUS's ComputeClass example gives a3-edgegpu-8g-nolssd "gpu: count: 8, type:
        # nvidia-h100-80gb"; GCE_GPU_DOC: "A3 High, A3 Edge | NVIDIA H100 SXM GPUs".
        GpuMachine(
            name="a3-edgegpu-8g", accelerator="nvidia-h100-80gb", count=8, source=f"{GKE_AUTOPILOT_GPUS}; {GCE_GPU_DOC}"
        ),
        GpuMachine(
            name="a3-ultragpu-8g", accelerator="nvidia-h200-141gb", count=8, source=f"{TOOLKIT_GPUS}; {XPK_SYSTEMS}"
        ),
        GpuMachine(name="a4-highgpu-8g", accelerator="nvidia-b200", count=8, source=XPK_SYSTEMS),
        GpuMachine(
            name="a4x-highgpu-4g", accelerator="nvidia-gb200", count=4, source=XPK_SYSTEMS, arch="arm64"
        ),  # SHARED_DOC: "4, Arm"
        # SHARED_DOC marks the small G2 types unverified; the toolkit's table and GCE_GPU_DOC give 1 GPU each.
        *_family(
            "nvidia-l4",
            {
                "g2-standard-4": 1,
                "g2-standard-8": 1,
                "g2-standard-12": 1,
                "g2-standard-16": 1,
                "g2-standard-24": 2,
                "g2-standard-32": 1,
                "g2-standard-48": 4,
                "g2-standard-96": 8,
            },
            f"{TOOLKIT_GPUS}; {GCE_GPU_DOC}",
        ),
        *_family(
            "nvidia-rtx-pro-6000",
            {"g4-standard-48": 1, "g4-standard-96": 2, "g4-standard-192": 4, "g4-standard-384": 8},
            SHARED_DOC,
        ),
    )
}

# General-purpose N1 machine types take attached GPUs (`guestAccelerators` with a count); the shared-core
# f1-micro and g1-small do not (GCE_GPU_DOC).
N1_MACHINE_TYPES: frozenset[str] = frozenset(
    [f"n1-standard-{n}" for n in (1, 2, 4, 8, 16, 32, 64, 96)]
    + [f"n1-highmem-{n}" for n in (2, 4, 8, 16, 32, 64, 96)]
    + [f"n1-highcpu-{n}" for n in (2, 4, 8, 16, 32, 64, 96)]
)  # GCE_MACHINE_TYPES


def n1_accelerators() -> list[str]:
    return sorted(label for label, a in ACCELERATORS.items() if a.n1_counts)


def mig_accelerators() -> list[str]:
    return sorted(label for label, a in ACCELERATORS.items() if a.mig)


# ---- TPUs ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)  # rows name every fact
class CubeRule:
    """Multi-host v4/v5p shapes: three sub-cube shapes, then shapes made of whole 4x4x4 cubes.

    xpk encodes Google's rule (`generate_tpu_topologies`, XPK_SYSTEMS): every dimension a multiple of 4, in
    ascending order for v5p (not required for v4), plus 2x2x2, 2x2x4 and 2x4x4; capped by the largest slice.
    """

    sub_cube: tuple[str, ...]
    ascending: bool

    def allows(self, dims: tuple[int, ...], max_chips: int) -> bool:
        if "x".join(map(str, dims)) in self.sub_cube:
            return True
        if len(dims) != 3 or any(d % 4 for d in dims) or math.prod(dims) > max_chips:
            return False
        return not self.ascending or list(dims) == sorted(dims)

    def describe(self, max_chips: int) -> str:
        order = ", in ascending order" if self.ascending else ""
        return (
            f"{', '.join(self.sub_cube)}, or whole 4x4x4 cubes (every dimension a multiple of 4{order}, at most "
            f"{max_chips} chips, e.g. 4x4x4, 4x4x8, 4x8x8, 8x8x8)"
        )


@dataclass(frozen=True, kw_only=True)  # rows name every fact
class TpuMachine:
    name: str
    version: str
    accelerator: str  # the GKE node label `cloud.google.com/gke-tpu-accelerator`
    chips_per_node: int  # the -Nt suffix
    dimensions: int
    single_host: str  # the topology one VM of this type forms on its own
    multi_host: tuple[str, ...]  # listed multi-host topologies (v5e, v6e)
    cube_rule: CubeRule | None  # or the rule for them (v4, v5p)
    max_chips: int
    source: str
    verified: bool = True
    # Said after the allowed topologies: why a machine type offers fewer shapes than its TPU version has.
    note: str = ""

    def topology_allowed(self, topology: str) -> bool:
        if topology == self.single_host or topology in self.multi_host:
            return True
        dims = parse_topology(topology)
        return self.cube_rule is not None and dims is not None and self.cube_rule.allows(dims, self.max_chips)

    def allowed_topologies(self) -> str:
        listed = ", ".join((f"{self.single_host} (single host)", *self.multi_host))
        listed = listed if self.cube_rule is None else f"{listed}, {self.cube_rule.describe(self.max_chips)}"
        return f"{listed} ({self.note})" if self.note else listed


# v5e and v6e multi-host slices on 4-chip hosts (XPK_SYSTEMS; TPU_V5E_DOC: v5e trains on up to 256 chips, 16x16).
_LITE_MULTI_HOST = ("2x4", "4x4", "4x8", "8x8", "8x16", "16x16")
_SUB_CUBE = ("2x2x2", "2x2x4", "2x4x4")

TPU_MACHINES: dict[str, TpuMachine] = {
    t.name: t
    for t in (
        # v4: xpk's rule with at most 64 cubes (4096 chips), no ordering required.
        TpuMachine(
            name="ct4p-hightpu-4t",
            version="v4",
            accelerator="tpu-v4-podslice",
            chips_per_node=4,
            dimensions=3,
            single_host="2x2x1",
            multi_host=(),
            cube_rule=CubeRule(sub_cube=_SUB_CUBE, ascending=False),
            max_chips=4096,
            source=f"{XPK_SYSTEMS}; {PKB_GKE}",
        ),
        # v5e serving types (TPU_V5E_DOC: v5litepod-1/-4/-8 are ct5lp-hightpu-1t/-4t/-8t; 1x1, 2x2, 2x4).
        TpuMachine(
            name="ct5lp-hightpu-1t",
            version="v5e",
            accelerator="tpu-v5-lite-podslice",
            chips_per_node=1,
            dimensions=2,
            single_host="1x1",
            multi_host=(),
            cube_rule=None,
            max_chips=1,
            source=f"{TPU_V5E_DOC}; {PKB_GKE}",
        ),
        TpuMachine(
            name="ct5lp-hightpu-4t",
            version="v5e",
            accelerator="tpu-v5-lite-podslice",
            chips_per_node=4,
            dimensions=2,
            single_host="2x2",
            multi_host=_LITE_MULTI_HOST,
            cube_rule=None,
            max_chips=256,
            source=f"{TPU_V5E_DOC}; {XPK_SYSTEMS}; {PKB_GKE}",
        ),
        TpuMachine(
            name="ct5lp-hightpu-8t",
            version="v5e",
            accelerator="tpu-v5-lite-podslice",
            chips_per_node=8,
            dimensions=2,
            single_host="2x4",
            multi_host=(),
            cube_rule=None,
            max_chips=8,
            source=f"{TPU_V5E_DOC}; {PKB_GKE}",
        ),
        # v5p: TPU_V5P_DOC "the largest job that can be scheduled is a 96 cube (6144 chip) job" (16x16x24).
        # v5e single-host types (GKE_AUTOSCALER_TPUS: machine family CT5L, label tpu-v5-lite-device; one VM each;
        # the same code, and gcsfuse's machine-type tables, list ct5l-hightpu-1t/-4t/-8t as GKE machine types).
        *(
            TpuMachine(
                name=f"ct5l-hightpu-{chips}t",
                version="v5e",
                accelerator="tpu-v5-lite-device",
                chips_per_node=chips,
                dimensions=2,
                single_host=topology,
                multi_host=(),
                cube_rule=None,
                max_chips=chips,
                source=f"{TPU_V5E_DOC}; {GKE_AUTOSCALER_TPUS}",
                verified=False,  # GKE_AUTOSCALER_TPUS cannot be cited by repository; TPU_V5E_DOC not re-read for ct5l
            )
            for chips, topology in ((1, "1x1"), (4, "2x2"), (8, "2x4"))
        ),
        TpuMachine(
            name="ct5p-hightpu-4t",
            version="v5p",
            accelerator="tpu-v5p-slice",
            chips_per_node=4,
            dimensions=3,
            single_host="2x2x1",
            multi_host=(),
            cube_rule=CubeRule(sub_cube=_SUB_CUBE, ascending=True),
            max_chips=6144,
            source=f"{TPU_V5P_DOC}; {XPK_SYSTEMS}; {PKB_GKE}",
        ),
        TpuMachine(
            name="ct6e-standard-1t",
            version="v6e",
            accelerator="tpu-v6e-slice",
            chips_per_node=1,
            dimensions=2,
            single_host="1x1",
            multi_host=(),
            cube_rule=None,
            max_chips=1,
            source=f"{XPK_SYSTEMS}; {PKB_GKE}",
        ),
        TpuMachine(
            name="ct6e-standard-4t",
            version="v6e",
            accelerator="tpu-v6e-slice",
            chips_per_node=4,
            dimensions=2,
            single_host="2x2",
            multi_host=_LITE_MULTI_HOST,
            cube_rule=None,
            max_chips=256,
            source=f"{XPK_SYSTEMS}; {PKB_GKE}",
        ),
        TpuMachine(
            name="ct6e-standard-8t",
            version="v6e",
            accelerator="tpu-v6e-slice",
            chips_per_node=8,
            dimensions=2,
            single_host="2x4",
            multi_host=(),
            cube_rule=None,
            max_chips=8,
            source=f"{SHARED_DOC}; {PKB_GKE}",
        ),
        # Ironwood (TPU7x): GKE label tpu7x (XPK_SYSTEMS gke_accelerator="tpu7x"), 3-D topologies, 1x1x1 on the 1-chip
        # and 2x2x1 on the 4-chip host (GKE_AUTOSCALER_TPUS singleHostTopologyMap). Multi-host slices exist (xpk:
        # 2x2x2, 2x2x4, 2x4x4, then whole 4x4x4 cubes in ascending order, up to 144 cubes, the 9,216 chips of
        # TPU7X_DOC), but GKE places them with a workload policy (--placement-policy, "This policy replaces the
        # --tpu-topology flag used by other TPU versions": GKE_IRONWOOD_DOC), which TpuNodePool does not create: it
        # sets placement_policy.tpu_topology. So the catalog offers the single-host shapes only.
        TpuMachine(
            name="tpu7x-standard-1t",
            version="v7x",
            accelerator="tpu7x",
            chips_per_node=1,
            dimensions=3,
            single_host="1x1x1",
            multi_host=(),
            cube_rule=None,
            max_chips=1,
            source=f"{XPK_SYSTEMS}; {GKE_AUTOSCALER_TPUS}; {GKE_IRONWOOD_DOC}",
        ),
        TpuMachine(
            name="tpu7x-standard-4t",
            version="v7x",
            accelerator="tpu7x",
            chips_per_node=4,
            dimensions=3,
            single_host="2x2x1",
            multi_host=(),
            cube_rule=None,
            max_chips=4,
            source=f"{XPK_SYSTEMS}; {GKE_AUTOSCALER_TPUS}; {TPU7X_DOC}; {GKE_IRONWOOD_DOC}",
            note="multi-host Ironwood slices are placed by a GKE workload policy, which this toolkit does not create",
        ),
    )
}

_TOPOLOGY = re.compile(r"^[1-9][0-9]*(x[1-9][0-9]*)+$")


def parse_topology(topology: str) -> tuple[int, ...] | None:
    return tuple(int(d) for d in topology.split("x")) if _TOPOLOGY.match(topology) else None


def known_machine_types() -> list[str]:
    return sorted([*GPU_MACHINES, *TPU_MACHINES, *N1_MACHINE_TYPES])


# ---- what a pool the rules accepted resolves to --------------------------------------------------------------


@dataclass(frozen=True)
class GpuShape:
    accelerator: str  # GKE label, e.g. "nvidia-h100-80gb"
    model: str  # e.g. "NVIDIA H100 80GB"
    count: int  # per node
    verified: bool


@dataclass(frozen=True)
class TpuShape:
    version: str  # "v5e"
    accelerator: str  # GKE node label value, e.g. "tpu-v5-lite-podslice"
    topology: str  # "2x4"
    chips_per_node: int
    nodes: int  # product of topology / chips per node, exact
    multi_host: bool
    verified: bool


def gpu_shape(machine_type: str, accelerator: str | None = None, accelerator_count: int | None = None) -> GpuShape:
    """The GPUs one node of a machine type carries (N1: the attached ones). ValueError where the checks refuse."""
    machine = GPU_MACHINES.get(machine_type)
    if machine is not None:
        if accelerator not in (None, machine.accelerator):
            raise ValueError(f"{machine_type} carries {machine.accelerator}, not {accelerator}")
        if accelerator_count not in (None, machine.count):
            raise ValueError(f"{machine_type} carries {machine.count} GPUs, not {accelerator_count}")
        gpu = ACCELERATORS[machine.accelerator]
        return GpuShape(gpu.label, gpu.model, machine.count, machine.verified and gpu.verified)
    if machine_type in N1_MACHINE_TYPES:
        attached = ACCELERATORS.get(accelerator or "")
        if attached is None or accelerator_count is None or accelerator_count not in attached.n1_counts:
            raise ValueError(f"{machine_type} needs an N1 accelerator ({', '.join(n1_accelerators())}) and count")
        return GpuShape(attached.label, attached.model, accelerator_count, attached.verified)
    raise ValueError(f"{machine_type} is not a GPU machine type in the catalog")


def tpu_shape(machine_type: str, topology: str) -> TpuShape:
    """The slice a machine type forms in a topology. ValueError where the checks refuse."""
    machine = TPU_MACHINES.get(machine_type)
    if machine is None:
        raise ValueError(f"{machine_type} is not a TPU machine type in the catalog")
    dims = parse_topology(topology)
    if dims is None or len(dims) != machine.dimensions or not machine.topology_allowed(topology):
        raise ValueError(f"topology {topology} is not one of {machine.allowed_topologies()}")
    chips = math.prod(dims)
    if chips % machine.chips_per_node:
        raise ValueError(f"{chips} chips do not divide into {machine.chips_per_node}-chip hosts")
    nodes = chips // machine.chips_per_node
    return TpuShape(
        machine.version,
        machine.accelerator,
        topology,
        machine.chips_per_node,
        nodes,
        topology != machine.single_host,
        machine.verified,
    )


# ---- GCS bucket locations and the Cloud KMS location of their keys ---------------------------------------------

GCS_LOCATIONS_DOC = "https://cloud.google.com/storage/docs/locations"
GCS_CMEK_DOC = "https://cloud.google.com/storage/docs/encryption/customer-managed-keys"
KMS_LOCATIONS_DOC = "https://cloud.google.com/kms/docs/locations"
# Google's own table of which regions a multi- or dual-region spans (its EU entry predates the footnote below).
IMAGE_TOOLS = (
    "github.com/GoogleCloudPlatform/compute-image-tools cli_tools/common/utils/storage/resource_location_retriever.go"
)
CONTROLS_DOC = "docs/controls.md (Regions)"


@dataclass(frozen=True, kw_only=True)  # rows name every fact
class BucketLocation:
    """A GCS dual- or multi-region: which regions it holds, and where a CMEK key for its buckets lives."""

    name: str  # as GCS spells it
    kind: Literal["dual-region", "multi-region"]
    regions: tuple[str, ...]  # the regions it spans
    region_prefix: str | None  # or, for a multi-region named by geography, every region whose name starts so
    kms_location: str
    source: str
    kms_verified: bool = True

    def holds(self, region: str) -> bool:
        return region in self.regions or (self.region_prefix is not None and region.startswith(self.region_prefix))


# The EU multi-region keeps data in EU member states (GCS_LOCATIONS_DOC; KMS_LOCATIONS_DOC: the europe
# multi-region does not store in europe-west2 London or europe-west6 Zurich); its regions are CONTROLS_DOC's EU list.
EU_REGIONS = ("europe-central2", "europe-north1", "europe-north2", "europe-southwest1", "europe-west1", "europe-west3",
              "europe-west4", "europe-west8", "europe-west9", "europe-west10", "europe-west12")  # fmt: skip

BUCKET_LOCATIONS: dict[str, BucketLocation] = {
    b.name: b
    for b in (
        BucketLocation(
            name="EU",
            kind="multi-region",
            regions=EU_REGIONS,
            region_prefix=None,
            kms_location="europe",
            source=f"{GCS_LOCATIONS_DOC}; {CONTROLS_DOC}; KMS: {KMS_LOCATIONS_DOC}",
        ),
        BucketLocation(
            name="US",
            kind="multi-region",
            regions=(),
            region_prefix="us-",
            kms_location="us",
            source=f"{GCS_LOCATIONS_DOC}; {IMAGE_TOOLS}; KMS: {KMS_LOCATIONS_DOC}",
        ),
        BucketLocation(
            name="ASIA",
            kind="multi-region",
            regions=(),
            region_prefix="asia-",
            kms_location="asia",
            source=f"{GCS_LOCATIONS_DOC}; {IMAGE_TOOLS}; KMS: {KMS_LOCATIONS_DOC}",
        ),
        # Dual-regions: Cloud KMS has no location of the same span (its nam4 is Iowa, South Carolina and Oklahoma),
        # so the key goes to the multi-region that holds both regions; no source at hand confirms GCS accepts
        # that pairing, hence kms_verified=False.
        BucketLocation(
            name="EUR4",
            kind="dual-region",
            regions=("europe-north1", "europe-west4"),
            region_prefix=None,
            kms_location="europe",
            source=f"{CONTROLS_DOC}; {IMAGE_TOOLS}",
            kms_verified=False,
        ),
        BucketLocation(
            name="NAM4",
            kind="dual-region",
            regions=("us-central1", "us-east1"),
            region_prefix=None,
            kms_location="us",
            source=IMAGE_TOOLS,
            kms_verified=False,
        ),
    )
}


def bucket_locations_for(region: str) -> list[str]:
    """The bucket locations that hold `region`: the region itself first, then dual-, then multi-regions."""
    spans = sorted(BUCKET_LOCATIONS.values(), key=lambda b: (b.kind != "dual-region", b.name))
    return [region, *(b.name for b in spans if b.holds(region))]


def location_holds(location: str, region: str) -> bool:
    """Whether a bucket in `location` (any case, as GCS accepts it) keeps its data in `region`, among others."""
    span = BUCKET_LOCATIONS.get(location.upper())
    return location.lower() == region if span is None else span.holds(region)


_REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")


def kms_location(bucket_location: str) -> str:
    """The Cloud KMS location a CMEK key for a bucket in `bucket_location` must be in (GCS_CMEK_DOC: the key's
    location matches the bucket's). A region maps to itself; dual- and multi-regions by BUCKET_LOCATIONS.
    ValueError for a dual- or multi-region the catalog does not know."""
    span = BUCKET_LOCATIONS.get(bucket_location.upper())
    if span is not None:
        return span.kms_location
    if not _REGION.match(bucket_location.lower()):
        raise ValueError(f"{bucket_location} is neither a region nor a bucket location in the catalog")
    return bucket_location.lower()
