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


def test_unverified_sizes_are_marked():
    assert aws.lookup("p5.4xlarge").verified is False
    assert aws.lookup("p5.48xlarge").verified is True


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
