"""The AWS accelerator catalog: facts from docs/accelerators.md, each with its source, and consistent."""

from __future__ import annotations

import pytest

from llmops_infra.components.catalog import aws

# instance type -> (accelerators, EFA interfaces), as docs/accelerators.md and the catalog's sources give them.
FACTS = {
    "g5.xlarge": (1, 0),
    "g5.8xlarge": (1, 1),
    "g5.12xlarge": (4, 1),
    "g5.48xlarge": (8, 1),
    "g6.xlarge": (1, 0),
    "g6.24xlarge": (4, 1),
    "g6e.12xlarge": (4, 1),
    "g6e.24xlarge": (4, 2),
    "g6e.48xlarge": (8, 4),
    "p4d.24xlarge": (8, 4),
    "p4de.24xlarge": (8, 4),
    "p5.48xlarge": (8, 32),
    "p5e.48xlarge": (8, 32),
    "p5en.48xlarge": (8, 16),
    "p6-b200.48xlarge": (8, 8),
    "p5.4xlarge": (1, 1),
    "p6-b300.48xlarge": (8, 16),
    "g4dn.xlarge": (1, 0),
    "g4dn.4xlarge": (1, 0),
    "g4dn.8xlarge": (1, 1),
    "g4dn.12xlarge": (4, 1),
    "g4dn.16xlarge": (1, 1),
    "g4dn.metal": (8, 1),
    "g5g.xlarge": (1, 0),
    "g5g.8xlarge": (1, 0),
    "g5g.16xlarge": (2, 0),
    "g5g.metal": (2, 0),
    "g7e.2xlarge": (1, 0),
    "g7e.4xlarge": (1, 0),
    "g7e.8xlarge": (1, 1),
    "g7e.12xlarge": (2, 1),
    "g7e.24xlarge": (4, 2),
    "g7e.48xlarge": (8, 4),
    "trn1n.32xlarge": (16, 16),
    "inf2.xlarge": (1, 0),
    "inf2.24xlarge": (6, 0),
    "inf2.48xlarge": (12, 0),
    "trn1.2xlarge": (1, 0),
    "trn1.32xlarge": (16, 8),
    "trn2.48xlarge": (16, 16),
}


@pytest.mark.parametrize(("name", "expected"), FACTS.items())
def test_accelerators_and_efa_per_size(name, expected):
    it = aws.lookup(name)
    assert it is not None
    assert (it.accelerators, it.efa_interfaces) == expected


def test_every_family_names_its_source():
    for family in aws.FAMILIES.values():
        assert family.source.startswith(("https://", "github.com/")), family.name


def test_every_aws_size_is_verified_now():
    # p5.4xlarge was the last unverified size; Karpenter's EC2 data (v1.14) gives it 1 GPU and 1 EFA interface.
    # A new unverified size must be listed here and under Verification in docs/accelerators.md.
    unverified = [name for name in aws.known_instance_types() if not aws.lookup(name).verified]
    assert unverified == []


# family -> (accelerator, arch, GPU memory per accelerator in GiB), as the catalog's sources give them
FAMILY_FACTS = {
    "g4dn": ("NVIDIA T4", "x86_64", 16),
    "g5g": ("NVIDIA T4G", "arm64", 16),
    "g7e": ("NVIDIA RTX PRO 6000 Blackwell Server Edition", "x86_64", 96),
    "p6-b300": ("NVIDIA B300", "x86_64", None),
    "trn1n": ("AWS Trainium", "x86_64", None),
}


@pytest.mark.parametrize(("name", "facts"), FAMILY_FACTS.items())
def test_new_families_accelerator_arch_and_memory(name, facts):
    family = aws.FAMILIES[name]
    assert (family.accelerator, family.arch, family.memory_gib_each) == facts


def test_g5g_is_the_only_arm_nvidia_family_and_gets_the_arm_nvidia_ami():
    assert [f.name for f in aws.FAMILIES.values() if (f.vendor, f.arch) == ("nvidia", "arm64")] == ["g5g"]
    assert aws.lookup("g5g.xlarge").default_ami == "AL2023_ARM_64_NVIDIA"
    assert aws.lookup("trn1n.32xlarge").default_ami == "AL2023_x86_64_NEURON"


def test_al2_gpu_ami_carries_its_last_kubernetes_version_end_date_and_source():
    al2 = aws.AMI_TYPES["AL2_x86_64_GPU"]
    assert (al2.last_kubernetes_version, al2.end_of_support) == ("1.32", "2025-11-26")
    assert al2.legacy and al2.support_source.startswith("https://docs.aws.amazon.com/eks/")
    assert al2.published_for("1.31") and al2.published_for("1.32")
    assert not al2.published_for("1.33") and not al2.published_for("1.40")
    # Every other AMI type is published for current versions.
    assert [a.name for a in aws.AMI_TYPES.values() if a.last_kubernetes_version] == ["AL2_x86_64_GPU"]
    assert all(a.published_for("1.35") for a in aws.AMI_TYPES.values() if not a.legacy)


def test_arm_standard_ami_has_no_accelerator_driver():
    ami = aws.AMI_TYPES["AL2023_ARM_64_STANDARD"]
    assert (ami.vendor, ami.arch, ami.data_device) == (None, "arm64", None)


def test_kubernetes_minor_compares_numerically():
    assert aws.kubernetes_minor("1.9") < aws.kubernetes_minor("1.10") < aws.kubernetes_minor("1.33")


def test_default_ami_follows_vendor():
    assert aws.lookup("p5.48xlarge").default_ami == "AL2023_x86_64_NVIDIA"
    assert aws.lookup("trn1.32xlarge").default_ami == "AL2023_x86_64_NEURON"


def test_every_default_ami_is_a_known_ami_type_of_that_vendor_and_arch():
    for (vendor, arch), name in aws.DEFAULT_AMI.items():
        ami = aws.AMI_TYPES[name]
        assert (ami.vendor, ami.arch) == (vendor, arch)


def test_scheduling_taints_per_vendor():
    assert aws.lookup("g6.xlarge").scheduling == aws.Scheduling("nvidia.com/gpu", "true", "nvidia.com/gpu")
    assert aws.lookup("inf2.xlarge").scheduling.resource == "aws.amazon.com/neuron"


@pytest.mark.parametrize("name", ["p5", "p5.", ".48xlarge", "p5.96xlarge", "m5.large", ""])
def test_lookup_of_unknown_types_is_none(name):
    assert aws.lookup(name) is None


def test_capacity_block_wants_the_instance_type_in_the_template():
    block = aws.CAPACITY_TYPES["CAPACITY_BLOCK"]
    assert block.launch_template_market == "capacity-block"
    assert block.needs_reservation and block.fixed_instance_type_in_template
    assert not aws.CAPACITY_TYPES["SPOT"].allows_reservation
