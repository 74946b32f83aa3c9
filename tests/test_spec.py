"""Config validation: every bad config gets a message naming its key path, value and what is allowed."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from llmops_infra.components.config.platform import parse_platform
from llmops_infra.components.spec import SpecError, format_path
from llmops_infra.stacks.config import platform_from_config

BASE: dict[str, Any] = {
    "targets": ["aws"],
    "region": "us-east-1",
    "owner": "ml-platform",
    "aws": {"acceleratorPools": [{"name": "gpu", "instanceType": "g6.xlarge", "maxSize": 2}]},
    "buckets": [{"name": "models", "purpose": "model-artifacts"}],
}


def _with(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node: Any = data
    for part in parents:
        node = node.setdefault(part, {}) if isinstance(part, str) else node[part]
    node[last] = value
    return data


def _errors(data: Any) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_platform(data, "configs/Pulumi.bad.yaml")
    return [f"{format_path(p.path)}: {p.message}" for p in caught.value.problems]


def test_baseline_is_valid_and_defaults_are_the_secure_ones():
    spec = parse_platform(BASE)
    assert spec.aws_or_default.cluster.endpoint_public_access_cidrs == ()
    assert spec.aws_or_default.accelerator_pools[0].capacity_type == "ON_DEMAND"
    assert spec.aws_or_default.accelerator_pools[0].desired == 0
    assert spec.classification_of(spec.buckets[0]) == "internal"


# (key path to change, bad value, key path the error must name, words the message must contain)
BAD_CONFIGS = [
    ("aws.acceleratorPools.0.amiType", "AL2023_x86_64_NVIDIA", "aws.acceleratorPools[0].amiType", "allowed: "),
    (
        "aws.acceleratorPools.0.instanceType",
        "g6.huge",
        "aws.acceleratorPools[0].instanceType",
        "not an accelerated instance",
    ),
    (
        "aws.acceleratorPools.0.capacityType",
        "RESERVED",
        "aws.acceleratorPools[0].capacityType",
        "allowed: ON_DEMAND, SPOT, CAPACITY_BLOCK",
    ),
    ("aws.acceleratorPools.0.minSize", 5, "aws.acceleratorPools[0].minSize", "at most maxSize (2)"),
    (
        "aws.acceleratorPools.0.desiredSize",
        3,
        "aws.acceleratorPools[0].desiredSize",
        "between minSize (0) and maxSize (2)",
    ),
    ("aws.acceleratorPools.0.efa", True, "aws.acceleratorPools[0].efa", "g6.xlarge has no EFA interfaces"),
    (
        "aws.acceleratorPools.0.capacityReservationId",
        "res-1",
        "aws.acceleratorPools[0].capacityReservationId",
        "cr- and 8 to 17 hex digits",
    ),
    ("aws.acceleratorPools.0.name", "GPU_Pool", "aws.acceleratorPools[0].name", "digits and hyphens, a letter"),
    (
        "aws.acceleratorPools.0.gpus",
        4,
        "aws.acceleratorPools[0].gpus",
        "unknown key; allowed keys here: allowedClassifications, amiType",
    ),
    ("targets", ["azure"], "targets[0]", "allowed: aws, gcp, onprem, hybrid, edge"),
    ("targets", "aws", "targets", "must be a list, e.g. [aws]"),
    ("targets", [], "targets", "at least 1"),
    ("logRetentionDays", 2000, "logRetentionDays", "2192"),
    ("dataClassification", "secret", "dataClassification", "allowed: phi, personal, internal, public"),
    ("aws.network.cidr", "8.8.0.0/16", "aws.network.cidr", "private (RFC 1918)"),
    ("aws.network.availabilityZones", 1, "aws.network.availabilityZones", "must be 2 to 6"),
    ("aws.cluster.endpointPublicAccessCidrs", ["0.0.0.0/0"], "aws.cluster.endpointPublicAccessCidrs", "internet"),
    ("aws.cluster.adminRoleArns", ["admin"], "aws.cluster.adminRoleArns[0]", "arn:aws:iam::<12-digit account>"),
    ("aws.cluster.workloadIdentity", "node", "aws.cluster.workloadIdentity", "allowed: pod-identity, irsa"),
    ("buckets.0.purpose", "backups", "buckets[0].purpose", "allowed: model-artifacts, datasets"),
    (
        "buckets.0.noncurrentVersionExpirationDays",
        0,
        "buckets[0].noncurrentVersionExpirationDays",
        "must be 1 to 36500",
    ),
    ("owner", "", "owner", "must not be empty"),
]


@pytest.mark.parametrize(("path", "value", "key", "words"), BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_names_key_and_what_is_allowed(path, value, key, words):
    data = _with(path, value)
    if path == "aws.acceleratorPools.0.amiType":
        data["aws"]["acceleratorPools"][0]["instanceType"] = "inf2.xlarge"
    errors = _errors(data)
    assert any(e.startswith(f"{key}: ") and words in e for e in errors), errors


def test_nvidia_ami_on_inferentia_names_the_neuron_ami():
    errors = _errors(_with("aws.acceleratorPools.0", {"name": "x", "instanceType": "inf2.xlarge", "maxSize": 1,
                                                  "amiType": "BOTTLEROCKET_x86_64_NVIDIA"}))  # fmt: skip
    assert errors == [
        "aws.acceleratorPools[0].amiType: an AMI for nvidia on x86_64, but inf2.xlarge carries AWS Inferentia2 "
        "(neuron, x86_64); allowed: AL2023_x86_64_NEURON"
    ]


def test_neuron_ami_on_nvidia_lists_the_nvidia_amis_published_for_the_cluster_version():
    (error,) = _errors(_with("aws.acceleratorPools.0.amiType", "AL2023_x86_64_NEURON"))
    assert error.endswith("allowed: AL2023_x86_64_NVIDIA, BOTTLEROCKET_x86_64_NVIDIA")  # 1.33: no AL2
    data = _with("aws.acceleratorPools.0.amiType", "AL2023_x86_64_NEURON")
    data["aws"]["cluster"] = {"version": "1.32"}
    (error,) = _errors(data)
    assert error.endswith("allowed: AL2023_x86_64_NVIDIA, AL2_x86_64_GPU, BOTTLEROCKET_x86_64_NVIDIA")


AL2_AFTER_1_32 = (
    "aws.acceleratorPools[0].amiType: EKS publishes AL2_x86_64_GPU AMIs up to Kubernetes 1.32 only (support ended "
    "2025-11-26), but the cluster runs Kubernetes {version}; use AL2023_x86_64_NVIDIA or BOTTLEROCKET_x86_64_NVIDIA, "
    "which fit g6.xlarge"
)


def _al2_pool(version: str | None) -> dict[str, Any]:
    data = _with("aws.acceleratorPools.0.amiType", "AL2_x86_64_GPU")
    if version is not None:
        data["aws"]["cluster"] = {"version": version}
    return data


def test_al2_gpu_ami_passes_on_1_32_the_last_version_eks_published_it_for():
    spec = parse_platform(_al2_pool("1.32"))
    assert spec.aws_or_default.accelerator_pools[0].ami_type == "AL2_x86_64_GPU"


@pytest.mark.parametrize("version", ["1.33", "1.34", None])  # None: the default cluster version, 1.33
def test_al2_gpu_ami_is_refused_after_1_32_naming_the_al2023_and_bottlerocket_types(version: str | None):
    assert _errors(_al2_pool(version)) == [AL2_AFTER_1_32.format(version=version or "1.33")]


def test_al2_refusal_is_reported_with_the_platform_s_shape_problems():
    data = _al2_pool("1.33")
    data["owner"] = ""
    assert _errors(data) == ["owner: must not be empty", AL2_AFTER_1_32.format(version="1.33")]


@pytest.mark.parametrize("ami_type", [None, "AL2023_ARM_64_NVIDIA", "BOTTLEROCKET_ARM_64_NVIDIA"])
def test_g5g_takes_the_arm_nvidia_amis(ami_type: str | None):
    pool = {"name": "arm", "instanceType": "g5g.2xlarge", "maxSize": 1, "amiType": ami_type}
    spec = parse_platform(_with("aws.acceleratorPools.0", {k: v for k, v in pool.items() if v is not None}))
    assert spec.aws_or_default.accelerator_pools[0].instance_type == "g5g.2xlarge"


def test_x86_nvidia_ami_on_g5g_lists_the_arm_ones():
    pool = {"name": "arm", "instanceType": "g5g.xlarge", "maxSize": 1, "amiType": "BOTTLEROCKET_x86_64_NVIDIA"}
    assert _errors(_with("aws.acceleratorPools.0", pool)) == [
        "aws.acceleratorPools[0].amiType: an AMI for nvidia on x86_64, but g5g.xlarge carries NVIDIA T4G (nvidia, "
        "arm64); allowed: AL2023_ARM_64_NVIDIA, BOTTLEROCKET_ARM_64_NVIDIA"
    ]


def test_arm_ami_on_x86_gpu_is_rejected():
    (error,) = _errors(_with("aws.acceleratorPools.0.amiType", "AL2023_ARM_64_NVIDIA"))
    assert error.startswith("aws.acceleratorPools[0].amiType: an AMI for nvidia on arm64")


def test_efa_error_suggests_efa_capable_sizes_of_the_family():
    (error,) = _errors(
        _with("aws.acceleratorPools.0", {"name": "x", "instanceType": "g6e.xlarge", "maxSize": 1, "efa": True})
    )
    assert "EFA types in this family: g6e.12xlarge, g6e.16xlarge, g6e.24xlarge, g6e.48xlarge, g6e.8xlarge" in error


def test_misspelt_instance_type_gets_a_suggestion():
    (error,) = _errors(_with("aws.acceleratorPools.0.instanceType", "p5.48xlrge"))
    assert "did you mean p5.48xlarge" in error


def test_capacity_block_needs_a_reservation_and_spot_refuses_one():
    pools = [
        {"name": "block", "instanceType": "p5.48xlarge", "maxSize": 1, "capacityType": "CAPACITY_BLOCK"},
        {"name": "spot", "instanceType": "g6.xlarge", "maxSize": 1, "capacityType": "SPOT",
         "capacityReservationId": "cr-0123456789abcdef0"},
        {"name": "pg", "instanceType": "p5.48xlarge", "maxSize": 1, "placementGroup": True,
         "capacityReservationId": "cr-0123456789abcdef0"},
    ]  # fmt: skip
    errors = _errors(_with("aws.acceleratorPools", pools))
    assert errors == [
        "aws.acceleratorPools[0].capacityReservationId: "
        "capacityType CAPACITY_BLOCK needs the reservation id of the block (cr-...)",
        "aws.acceleratorPools[1].capacityReservationId: a capacity reservation cannot back SPOT capacity; "
        "use ON_DEMAND or CAPACITY_BLOCK",
        "aws.acceleratorPools[2].placementGroup: cannot be combined with capacityReservationId: "
        "the reservation decides placement; drop placementGroup",
    ]


def test_duplicate_names_are_rejected():
    errors = _errors(_with("buckets", [{"name": "m", "purpose": "datasets"}, {"name": "m", "purpose": "checkpoints"}]))
    assert errors == ["buckets[1].name: another entry in buckets already has this name; names must be unique"]


def test_shape_and_catalog_problems_are_reported_together():
    data = _with("owner", "")
    data["aws"]["acceleratorPools"][0]["efa"] = True
    errors = _errors(data)
    assert [e.split(":")[0] for e in errors] == ["owner", "aws.acceleratorPools[0].efa"]


def test_message_names_file_root_key_and_value():
    with pytest.raises(SpecError) as caught:
        parse_platform(_with("aws.acceleratorPools.0.minSize", 5), "configs/Pulumi.bad.yaml")
    text = str(caught.value)
    assert text.splitlines()[0] == "configs/Pulumi.bad.yaml: 1 problem in llmops-infra:platform:"
    assert "llmops-infra:platform.aws.acceleratorPools[0].minSize = 5: must be at most maxSize (2)" in text


def test_platform_must_be_a_mapping():
    assert _errors(["aws"]) == [": must be a mapping of keys (targets, owner, aws, gcp, ...)"]


class TestPlatformFromConfig:
    def _config(self, platform: Any, region: str | None = "eu-west-1") -> dict[str, str]:
        config = {"llmops-infra:platform": json.dumps(platform)}
        if region:
            config["aws:region"] = region
        return config

    def test_region_comes_from_aws_region(self):
        data = {k: v for k, v in BASE.items() if k != "region"}
        spec = platform_from_config(self._config(data).get, "f.yaml")
        assert spec.region == "eu-west-1"

    def test_conflicting_region_is_an_error(self):
        with pytest.raises(SpecError) as caught:
            platform_from_config(self._config(BASE).get, "f.yaml")
        assert "differs from aws:region (eu-west-1)" in str(caught.value)

    def test_missing_platform_key_is_an_error(self):
        with pytest.raises(SpecError) as caught:
            platform_from_config({}.get, "f.yaml")
        assert "llmops-infra:platform: required key is missing: the stack file sets no config" in str(caught.value)

    def test_missing_region_is_reported_as_the_region_key(self):
        data = {k: v for k, v in BASE.items() if k != "region"}
        with pytest.raises(SpecError) as caught:
            platform_from_config(self._config(data, region=None).get, "f.yaml")
        assert "aws:region: required key is missing: target aws deploys into an AWS region" in str(caught.value)


def test_every_target_has_its_own_key_and_a_section_without_its_target_is_refused():
    gcp_only = {**BASE, "targets": ["gcp"], "region": "europe-west4", "buckets": []}
    errors = _errors(gcp_only)
    assert (
        "targets: does not name aws, but the aws section is set; add aws to targets or remove the aws section" in errors
    )
    errors = _errors({**BASE, "acceleratorPools": BASE["aws"]["acceleratorPools"]})
    assert any(e.startswith("acceleratorPools: unknown key") for e in errors)  # the old root key is not read
