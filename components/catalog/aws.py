"""AWS accelerated instance types and EKS AMI types, as data.

Adding an instance type is one line in FAMILIES (or one size in an existing family). Every family carries
the source its numbers came from; `verified=False` marks a number that docs/accelerators.md lists as
unverified. Such entries ship, marked, and `llmops preview` says so when a pool uses one.
Validation of pools against this data lives in components/config/aws.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Vendor = Literal["nvidia", "neuron"]
Arch = Literal["x86_64", "arm64"]

EC2_ACCELERATED_DOC = "https://docs.aws.amazon.com/ec2/latest/instancetypes/ac.html"
# EC2's instance-type data (GPU count, maximum EFA interfaces) as Karpenter publishes it, generated from the
# EC2 DescribeInstanceTypes API; used where the EC2 guide was not at hand to confirm a number.
KARPENTER_TYPES = (
    "github.com/aws/karpenter-provider-aws website/content/en/docs/reference/instance-types.md"
    " (generated from EC2 DescribeInstanceTypes)"
)
# The same file at v1.14.0-68-g1d927085d (commit 1d927085dd81a9df9301e613f371dac5b4d16bfe): the rows added from it
# record vCPUs, memory (instance-memory, MiB), GPU count and memory (instance-gpu-memory, MiB per GPU) and maximum
# EFA interfaces (vpc.amazonaws.com/efa = EfaInfo.MaximumEfaInterfaces) in a comment beside each size.
KARPENTER_V1_14 = f"{KARPENTER_TYPES} @ 1d927085dd81a9df9301e613f371dac5b4d16bfe"
# AWS Batch's table of GPU instance types (GPUs, GPU memory, vCPUs, memory), a second source for g4dn and g5g.
BATCH_GPU_DOC = "https://docs.aws.amazon.com/batch/latest/userguide/gpu-jobs.html"


@dataclass(frozen=True, kw_only=True)  # rows name every fact
class Size:
    """One instance size: how many accelerators it carries and how many EFA interfaces it has (0: none)."""

    accelerators: int
    efa_interfaces: int = 0
    verified: bool = True


@dataclass(frozen=True, kw_only=True)  # rows name every fact
class Family:
    name: str
    accelerator: str
    vendor: Vendor
    memory_gib_each: int | None
    sizes: dict[str, Size]
    source: str
    arch: Arch = "x86_64"
    notes: str = ""


def _sizes(accelerators: dict[str, int], efa: dict[str, int] | None = None, **flags: bool) -> dict[str, Size]:
    efa = efa or {}
    return {size: Size(accelerators=n, efa_interfaces=efa.get(size, 0), **flags) for size, n in accelerators.items()}


# g5 and g6 share a layout: one GPU up to 16xlarge, four on 12xlarge/24xlarge, eight on 48xlarge.
_G_LAYOUT = {
    "xlarge": 1,
    "2xlarge": 1,
    "4xlarge": 1,
    "8xlarge": 1,
    "16xlarge": 1,
    "12xlarge": 4,
    "24xlarge": 4,
    "48xlarge": 8,
}

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            name="g5",
            accelerator="NVIDIA A10G",
            vendor="nvidia",
            memory_gib_each=24,
            sizes=_sizes(_G_LAYOUT, efa={s: 1 for s in ("8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge")}),
            source=EC2_ACCELERATED_DOC,
        ),
        Family(
            name="g6",
            accelerator="NVIDIA L4",
            vendor="nvidia",
            memory_gib_each=24,
            sizes=_sizes(_G_LAYOUT, efa={s: 1 for s in ("8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge")}),
            source=f"{EC2_ACCELERATED_DOC}; EFA: {KARPENTER_TYPES}",
        ),
        Family(
            name="g6e",
            accelerator="NVIDIA L40S",
            vendor="nvidia",
            memory_gib_each=48,
            sizes=_sizes(_G_LAYOUT, efa={"8xlarge": 1, "12xlarge": 1, "16xlarge": 1, "24xlarge": 2, "48xlarge": 4}),
            source=f"{EC2_ACCELERATED_DOC}; EFA: {KARPENTER_TYPES}",
        ),
        Family(
            name="p4d",
            accelerator="NVIDIA A100",
            vendor="nvidia",
            memory_gib_each=40,
            sizes=_sizes({"24xlarge": 8}, efa={"24xlarge": 4}),
            source=EC2_ACCELERATED_DOC,
        ),
        Family(
            name="p4de",
            accelerator="NVIDIA A100",
            vendor="nvidia",
            memory_gib_each=80,
            sizes=_sizes({"24xlarge": 8}, efa={"24xlarge": 4}),
            source=EC2_ACCELERATED_DOC,
        ),
        Family(
            name="p5",
            accelerator="NVIDIA H100",
            vendor="nvidia",
            memory_gib_each=80,
            sizes={
                "48xlarge": Size(accelerators=8, efa_interfaces=32),
                # KARPENTER_V1_14: 16 vCPU, 262144 MiB, 1 H100 (81920 MiB), 1 EFA interface.
                "4xlarge": Size(accelerators=1, efa_interfaces=1),
            },
            source=f"{EC2_ACCELERATED_DOC}; {KARPENTER_TYPES}; p5.4xlarge: {KARPENTER_V1_14}",
        ),
        Family(
            name="p5e",
            accelerator="NVIDIA H200",
            vendor="nvidia",
            memory_gib_each=141,
            sizes=_sizes({"48xlarge": 8}, efa={"48xlarge": 32}),
            source=EC2_ACCELERATED_DOC,
        ),
        Family(
            name="p5en",
            accelerator="NVIDIA H200",
            vendor="nvidia",
            memory_gib_each=141,
            sizes=_sizes({"48xlarge": 8}, efa={"48xlarge": 16}),
            source=EC2_ACCELERATED_DOC,
        ),
        Family(
            name="p6-b200",
            accelerator="NVIDIA B200",
            vendor="nvidia",
            memory_gib_each=None,
            sizes=_sizes({"48xlarge": 8}, efa={"48xlarge": 8}),
            source=KARPENTER_TYPES,
            notes="GPU memory: EC2 reports 183,359 MiB per GPU; the catalog records no rounded figure",
        ),
        Family(
            name="p6-b300",
            accelerator="NVIDIA B300",
            vendor="nvidia",
            memory_gib_each=None,
            # KARPENTER_V1_14: 192 vCPU, 4194304 MiB, 8 B300 (275040 MiB each), 16 EFA interfaces.
            sizes=_sizes({"48xlarge": 8}, efa={"48xlarge": 16}),
            source=KARPENTER_V1_14,
            notes="GPU memory: EC2 reports 275,040 MiB per GPU; the catalog records no rounded figure",
        ),
        Family(
            name="g4dn",
            accelerator="NVIDIA T4",
            vendor="nvidia",
            memory_gib_each=16,  # 16384 MiB per GPU (KARPENTER_V1_14); BATCH_GPU_DOC: 16 GiB
            # KARPENTER_V1_14 (BATCH_GPU_DOC agrees on GPUs, vCPUs, memory): xlarge 4 vCPU 16 GiB, 2xlarge 8/32,
            # 4xlarge 16/64, 8xlarge 32/128, 12xlarge 48/192 (4 GPUs), 16xlarge 64/256, metal 96/384 (8 GPUs);
            # one EFA interface from 8xlarge up.
            sizes=_sizes(
                {"xlarge": 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "12xlarge": 4, "16xlarge": 1, "metal": 8},
                efa={s: 1 for s in ("8xlarge", "12xlarge", "16xlarge", "metal")},
            ),
            source=f"{KARPENTER_V1_14}; {BATCH_GPU_DOC}",
        ),
        Family(
            name="g5g",
            accelerator="NVIDIA T4G",
            vendor="nvidia",
            memory_gib_each=16,  # 16384 MiB per GPU (KARPENTER_V1_14); BATCH_GPU_DOC: 16 GB
            # KARPENTER_V1_14 (BATCH_GPU_DOC agrees): Graviton2 (arm64); xlarge 4 vCPU 8 GiB, 2xlarge 8/16,
            # 4xlarge 16/32, 8xlarge 32/64, 16xlarge 64/128 (2 GPUs), metal 64/128 (2 GPUs); no EFA.
            sizes=_sizes({"xlarge": 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "16xlarge": 2, "metal": 2}),
            source=f"{KARPENTER_V1_14}; {BATCH_GPU_DOC}",
            arch="arm64",
            notes="the only arm64 NVIDIA family in the catalog",
        ),
        Family(
            name="g7e",
            accelerator="NVIDIA RTX PRO 6000 Blackwell Server Edition",
            vendor="nvidia",
            memory_gib_each=96,  # 98304 MiB per GPU (KARPENTER_V1_14: instance-gpu-name rtx-pro-server-6000)
            # KARPENTER_V1_14: 2xlarge 8 vCPU 64 GiB, 4xlarge 16/128, 8xlarge 32/256, 12xlarge 48/512 (2 GPUs),
            # 24xlarge 96/1024 (4 GPUs), 48xlarge 192/2048 (8 GPUs); EFA: 1 on 8xlarge and 12xlarge, 2 on
            # 24xlarge, 4 on 48xlarge. These are every g7e size Karpenter lists.
            sizes=_sizes(
                {"2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "12xlarge": 2, "24xlarge": 4, "48xlarge": 8},
                efa={"8xlarge": 1, "12xlarge": 1, "24xlarge": 2, "48xlarge": 4},
            ),
            source=KARPENTER_V1_14,
        ),
        Family(
            name="inf2",
            accelerator="AWS Inferentia2",
            vendor="neuron",
            memory_gib_each=None,
            sizes=_sizes({"xlarge": 1, "8xlarge": 1, "24xlarge": 6, "48xlarge": 12}),
            source=EC2_ACCELERATED_DOC,
        ),
        Family(
            name="trn1",
            accelerator="AWS Trainium",
            vendor="neuron",
            memory_gib_each=None,
            sizes=_sizes({"2xlarge": 1, "32xlarge": 16}, efa={"32xlarge": 8}),
            source=EC2_ACCELERATED_DOC,
        ),
        Family(
            name="trn1n",
            accelerator="AWS Trainium",
            vendor="neuron",
            memory_gib_each=None,
            # KARPENTER_V1_14: 128 vCPU, 524288 MiB, 16 Trainium (aws.amazon.com/neuron 16), 16 EFA interfaces
            # (trn1.32xlarge: 8).
            sizes=_sizes({"32xlarge": 16}, efa={"32xlarge": 16}),
            source=KARPENTER_V1_14,
        ),
        Family(
            name="trn2",
            accelerator="AWS Trainium2",
            vendor="neuron",
            memory_gib_each=None,
            sizes=_sizes({"48xlarge": 16}, efa={"48xlarge": 16}),
            source=KARPENTER_TYPES,
        ),
    )
}


# EKS user guide, "Create nodes with optimized Amazon Linux AMIs": "Amazon EKS will no longer publish EKS-optimized
# Amazon Linux 2 (AL2) AMIs after November 26th, 2025. Additionally, Kubernetes version 1.32 is the last version for
# which Amazon EKS will release AL2 AMIs. From version 1.33 onwards, Amazon EKS will continue to release AL2023 and
# Bottlerocket based AMIs." The deprecation FAQ: AWS ends support for EKS AL2-optimized and AL2-accelerated AMIs
# "effective November 26, 2025".
EKS_AL2_AMIS_DOC = "https://docs.aws.amazon.com/eks/latest/userguide/eks-optimized-ami.html"
EKS_AMI_DEPRECATION_DOC = "https://docs.aws.amazon.com/eks/latest/userguide/eks-ami-deprecation-faqs.html"
# Which accelerated AMI variant supports which instance families (AL2023 ARM NVIDIA and Bottlerocket arm64
# aws-k8s-nvidia: g5g among the catalog's families; AL2023 and Bottlerocket x86_64 NVIDIA: g4dn, g5, g6, g6e, g7e,
# p4d, p4de, p5, p5e, p5en, p6-b200, p6-b300).
EKS_ACCELERATED_AMIS = "https://docs.aws.amazon.com/eks/latest/userguide/ml-eks-optimized-ami.html"


def kubernetes_minor(version: str) -> tuple[int, int]:
    """`"1.33"` as (1, 33), for comparing Kubernetes versions (ClusterSpec.version is `1.<minor>`)."""
    major, _, minor = version.partition(".")
    return int(major), int(minor)


@dataclass(frozen=True, kw_only=True)  # rows name every fact
class AmiType:
    """An EKS managed node group AMI type (https://docs.aws.amazon.com/eks/latest/APIReference/API_Nodegroup.html)."""

    name: str
    vendor: Vendor | None  # None: no accelerator driver (system nodes)
    arch: Arch
    # Block devices to encrypt: the OS volume, plus Bottlerocket's separate data volume.
    root_device: str = "/dev/xvda"
    data_device: str | None = None
    ships_device_plugin: bool = False
    # The last Kubernetes version EKS publishes this AMI type for, the day its support ended, and where that is
    # written; None: published for current versions.
    last_kubernetes_version: str | None = None
    end_of_support: str | None = None  # ISO date
    support_source: str = ""

    @property
    def legacy(self) -> bool:
        return self.last_kubernetes_version is not None

    def published_for(self, kubernetes_version: str) -> bool:
        """Whether EKS publishes this AMI type for clusters of `kubernetes_version` (`1.<minor>`)."""
        last = self.last_kubernetes_version
        return last is None or kubernetes_minor(kubernetes_version) <= kubernetes_minor(last)


AMI_TYPES: dict[str, AmiType] = {
    a.name: a
    for a in (
        AmiType(name="AL2023_x86_64_NVIDIA", vendor="nvidia", arch="x86_64"),
        AmiType(name="AL2023_ARM_64_NVIDIA", vendor="nvidia", arch="arm64"),
        AmiType(
            name="BOTTLEROCKET_x86_64_NVIDIA",
            vendor="nvidia",
            arch="x86_64",
            data_device="/dev/xvdb",
            ships_device_plugin=True,
        ),
        AmiType(
            name="BOTTLEROCKET_ARM_64_NVIDIA",
            vendor="nvidia",
            arch="arm64",
            data_device="/dev/xvdb",
            ships_device_plugin=True,
        ),
        AmiType(
            name="AL2_x86_64_GPU",
            vendor="nvidia",
            arch="x86_64",
            last_kubernetes_version="1.32",
            end_of_support="2025-11-26",
            support_source=f"{EKS_AL2_AMIS_DOC}; {EKS_AMI_DEPRECATION_DOC}",
        ),
        AmiType(name="AL2023_x86_64_NEURON", vendor="neuron", arch="x86_64"),
        AmiType(name="AL2023_x86_64_STANDARD", vendor=None, arch="x86_64"),
        # The EKS API's Nodegroup.amiType values include AL2023_ARM_64_STANDARD (the AWS CDK's NodegroupAmiType
        # enum, generated from it: "Amazon Linux 2023 (ARM-64)"); pulumi_aws passes ami_type through unchecked.
        AmiType(name="AL2023_ARM_64_STANDARD", vendor=None, arch="arm64"),
    )
}

# System nodes (coredns and other cluster add-ons that tolerate no accelerator taint) run the standard AMI.
SYSTEM_AMI = "AL2023_x86_64_STANDARD"

# The default AMI type per (vendor, arch): current, and the one the catalog notes in docs/accelerators.md name.
DEFAULT_AMI: dict[tuple[Vendor, Arch], str] = {
    ("nvidia", "x86_64"): "AL2023_x86_64_NVIDIA",
    ("nvidia", "arm64"): "AL2023_ARM_64_NVIDIA",
    ("neuron", "x86_64"): "AL2023_x86_64_NEURON",
}


@dataclass(frozen=True)
class Scheduling:
    """How nodes of a vendor are tainted and what extended resource their device plugin advertises."""

    taint_key: str
    taint_value: str
    resource: str


SCHEDULING: dict[Vendor, Scheduling] = {
    "nvidia": Scheduling("nvidia.com/gpu", "true", "nvidia.com/gpu"),
    "neuron": Scheduling("aws.amazon.com/neuron", "true", "aws.amazon.com/neuron"),
}


@dataclass(frozen=True)
class InstanceType:
    """A resolved instance type: the family's facts with the size's."""

    name: str
    family: Family
    size: Size

    @property
    def accelerators(self) -> int:
        return self.size.accelerators

    @property
    def efa_interfaces(self) -> int:
        return self.size.efa_interfaces

    @property
    def verified(self) -> bool:
        return self.size.verified

    @property
    def default_ami(self) -> str:
        return DEFAULT_AMI[(self.family.vendor, self.family.arch)]

    @property
    def scheduling(self) -> Scheduling:
        return SCHEDULING[self.family.vendor]


def split_instance_type(name: str) -> tuple[str, str] | None:
    family, dot, size = name.partition(".")
    return (family, size) if dot and family and size else None


def lookup(name: str) -> InstanceType | None:
    parts = split_instance_type(name)
    if parts is None:
        return None
    family = FAMILIES.get(parts[0])
    size = family.sizes.get(parts[1]) if family else None
    return InstanceType(name, family, size) if family and size else None


def known_instance_types() -> list[str]:
    return sorted(f"{f.name}.{s}" for f in FAMILIES.values() for s in f.sizes)


@dataclass(frozen=True, kw_only=True)  # rows name every fact
class CapacityType:
    """EKS node group capacity types (EKS API Nodegroup.capacityType) and what each needs."""

    name: str
    launch_template_market: str | None = None
    needs_reservation: bool = False
    allows_reservation: bool = True
    fixed_instance_type_in_template: bool = False
    description: str = field(default="", compare=False)


CAPACITY_TYPES: dict[str, CapacityType] = {
    c.name: c
    for c in (
        CapacityType(name="ON_DEMAND", description="on-demand, optionally in a capacity reservation"),
        CapacityType(name="SPOT", allows_reservation=False, description="spot: interruptible, no reservation"),
        CapacityType(
            name="CAPACITY_BLOCK",
            launch_template_market="capacity-block",
            needs_reservation=True,
            fixed_instance_type_in_template=True,
            description="an EC2 Capacity Block for ML, by its reservation id",
        ),
    )
}
