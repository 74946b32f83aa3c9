"""GpuNodePool through the offline engine: hardened launch template (IMDSv2, hop limit 1, CMK-encrypted
gp3 volumes), EFA and placement in one AZ, capacity reservations and blocks, catalog-driven AMI, taints and
labels, and the autoscaler's node-template tags that let a pool scale from zero."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from llmops_infra.cli.recording import Recording, Registration
from llmops_infra.components.aws.nodepool import GpuNodePool, label_value
from llmops_infra.components.catalog import aws as catalog
from llmops_infra.components.spec import AcceleratorPoolSpec, Taint, TaintEffect
from tests.conftest import preview

STORAGE_KEY = "arn:aws:kms:us-east-1:123456789012:key/33333333-3333-3333-3333-333333333333"
CLUSTER_SG = "sg-0cluster000000000"
SUBNETS = ["subnet-a", "subnet-b", "subnet-c"]
CLUSTER_NAME = "llmops-test"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
NG = "aws:eks/nodeGroup:NodeGroup"
SG = "aws:ec2/securityGroup:SecurityGroup"
ASG_TAG = "aws:autoscaling/tag:Tag"
TEMPLATE = "k8s.io/cluster-autoscaler/node-template"


def pool_preview(cluster_version: str | None = None, **spec: Any) -> Recording:
    fields = {"name": "gpu", "instance_type": "g6e.xlarge", "max_size": 2, **spec}

    def program() -> None:
        GpuNodePool(
            fields["name"],
            AcceleratorPoolSpec(**fields),
            cluster_name=CLUSTER_NAME,
            cluster_version=cluster_version,
            node_role_arn="arn:aws:iam::123456789012:role/nodes",
            vpc_id="vpc-0123456789abcdef0",
            subnet_ids=SUBNETS,
            storage_key_arn=STORAGE_KEY,
            cluster_security_group_id=CLUSTER_SG,
            tags={"owner": "platform", "data-classification": "phi"},
        )

    return preview(program)


def lt_inputs(rec: Recording) -> dict[str, Any]:
    return rec.one(LT).inputs


def ng_inputs(rec: Recording) -> dict[str, Any]:
    return rec.one(NG).inputs


def asg_tags(rec: Recording) -> dict[str, str]:
    """Autoscaler tags on the node group's Auto Scaling group: key -> value."""
    asg = rec.one(NG).outputs["resources"][0]["autoscalingGroups"][0]["name"]
    tags = [t.inputs for t in rec.of_type(ASG_TAG)]
    assert all(t["autoscalingGroupName"] == asg for t in tags)
    assert all(t["tag"]["propagateAtLaunch"] is False for t in tags)
    return {t["tag"]["key"]: t["tag"]["value"] for t in tags}


def component(rec: Recording) -> Registration:
    return rec.one("llmops:aws:GpuNodePool")


# ---- launch template hardening -----------------------------------------------------------------------------


@pytest.mark.parametrize("instance_type", ["g6e.xlarge", "p5.48xlarge", "inf2.xlarge"])
def test_imdsv2_is_required_with_hop_limit_one(instance_type: str) -> None:
    metadata = lt_inputs(pool_preview(instance_type=instance_type))["metadataOptions"]
    assert metadata == {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1}


@pytest.mark.parametrize(
    ("ami_type", "sized_device", "devices"),
    [
        (None, "/dev/xvda", ["/dev/xvda"]),
        ("AL2023_x86_64_NVIDIA", "/dev/xvda", ["/dev/xvda"]),
        ("BOTTLEROCKET_x86_64_NVIDIA", "/dev/xvdb", ["/dev/xvda", "/dev/xvdb"]),
        ("AL2023_ARM_64_NVIDIA", "/dev/xvda", ["/dev/xvda"]),
        ("BOTTLEROCKET_ARM_64_NVIDIA", "/dev/xvdb", ["/dev/xvda", "/dev/xvdb"]),
    ],
)
def test_every_ami_volume_is_gp3_encrypted_with_the_storage_key(
    ami_type: str | None, sized_device: str, devices: list[str]
) -> None:
    instance_type = "g5g.2xlarge" if ami_type and "ARM_64" in ami_type else "g6e.xlarge"  # the Arm NVIDIA family
    rec = pool_preview(instance_type=instance_type, ami_type=ami_type, disk_size_gib=500)
    mappings = lt_inputs(rec)["blockDeviceMappings"]
    assert [m["deviceName"] for m in mappings] == devices
    for mapping in mappings:
        ebs = mapping["ebs"]
        assert ebs["encrypted"] == "true"
        assert ebs["kmsKeyId"] == STORAGE_KEY
        assert ebs["volumeType"] == "gp3"
        assert ebs["deleteOnTermination"] == "true"
    sized = {m["deviceName"]: m["ebs"].get("volumeSize") for m in mappings}
    assert sized[sized_device] == 500


def test_instances_and_volumes_are_tagged() -> None:
    specs = lt_inputs(pool_preview())["tagSpecifications"]
    assert sorted(s["resourceType"] for s in specs) == ["instance", "volume"]
    assert all(s["tags"]["data-classification"] == "phi" for s in specs)


# ---- networking --------------------------------------------------------------------------------------------


def test_efa_pool_gets_one_efa_interface_per_card_in_one_subnet_and_a_self_only_sg() -> None:
    rec = pool_preview(instance_type="p5.48xlarge", efa=True, max_size=4)
    lt = lt_inputs(rec)
    interfaces = lt["networkInterfaces"]
    assert len(interfaces) == 32
    assert (interfaces[0]["deviceIndex"], interfaces[0]["networkCardIndex"]) == (0, 0)
    assert [(n["deviceIndex"], n["networkCardIndex"]) for n in interfaces[1:]] == [(1, i) for i in range(1, 32)]
    efa_sg = rec.one(SG)
    assert all(n["interfaceType"] == "efa" for n in interfaces)
    assert all(n["securityGroups"] == [CLUSTER_SG, efa_sg.id] for n in interfaces)
    assert all(n["deleteOnTermination"] == "true" for n in interfaces)
    assert all(n.get("associatePublicIpAddress") != "true" for n in interfaces)
    assert "vpcSecurityGroupIds" not in lt
    assert ng_inputs(rec)["subnetIds"] == ["subnet-a"]

    rules = efa_sg.inputs["ingress"] + efa_sg.inputs["egress"]
    assert len(efa_sg.inputs["ingress"]) == len(efa_sg.inputs["egress"]) == 1
    for rule in rules:
        assert rule["self"] is True and rule["protocol"] == "-1"
        assert not rule.get("cidrBlocks") and not rule.get("ipv6CidrBlocks") and not rule.get("securityGroups")
    assert efa_sg.inputs["vpcId"] == "vpc-0123456789abcdef0"


@pytest.mark.parametrize(("instance_type", "interfaces"), [("p4d.24xlarge", 4), ("g6e.48xlarge", 4)])
def test_efa_interface_count_comes_from_the_catalog(instance_type: str, interfaces: int) -> None:
    lt = lt_inputs(pool_preview(instance_type=instance_type, efa=True))
    assert len(lt["networkInterfaces"]) == interfaces


def test_non_efa_pool_uses_the_cluster_sg_and_all_subnets() -> None:
    rec = pool_preview()
    lt = lt_inputs(rec)
    assert lt["vpcSecurityGroupIds"] == [CLUSTER_SG]
    assert "networkInterfaces" not in lt
    assert rec.of_type(SG) == []
    assert ng_inputs(rec)["subnetIds"] == SUBNETS


def test_placement_group_is_a_cluster_group_in_one_subnet() -> None:
    rec = pool_preview(instance_type="p5.48xlarge", placement_group=True)
    group = rec.one("aws:ec2/placementGroup:PlacementGroup")
    assert group.inputs["strategy"] == "cluster"
    assert lt_inputs(rec)["placement"] == {"groupName": group.outputs["name"]}
    assert ng_inputs(rec)["subnetIds"] == ["subnet-a"]


def test_no_placement_group_unless_asked() -> None:
    rec = pool_preview(instance_type="p5.48xlarge")
    assert rec.of_type("aws:ec2/placementGroup:PlacementGroup") == []
    assert "placement" not in lt_inputs(rec)


# ---- capacity ----------------------------------------------------------------------------------------------


def test_capacity_reservation_is_targeted_by_id() -> None:
    lt = lt_inputs(pool_preview(instance_type="p5.48xlarge", capacity_reservation_id="cr-0123456789abcdef0"))
    assert lt["capacityReservationSpecification"] == {
        "capacityReservationTarget": {"capacityReservationId": "cr-0123456789abcdef0"}
    }
    assert "instanceMarketOptions" not in lt


def test_capacity_block_sets_market_and_instance_type_in_the_template_not_the_node_group() -> None:
    rec = pool_preview(
        instance_type="p5.48xlarge",
        capacity_type="CAPACITY_BLOCK",
        capacity_reservation_id="cr-0123456789abcdef0",
    )
    lt = lt_inputs(rec)
    assert lt["instanceMarketOptions"] == {"marketType": "capacity-block"}
    assert lt["instanceType"] == "p5.48xlarge"
    assert lt["capacityReservationSpecification"]["capacityReservationTarget"] == {
        "capacityReservationId": "cr-0123456789abcdef0"
    }
    ng = ng_inputs(rec)
    assert "instanceTypes" not in ng
    assert ng["capacityType"] == "CAPACITY_BLOCK"


@pytest.mark.parametrize("capacity_type", ["ON_DEMAND", "SPOT"])
def test_capacity_type_passes_through_and_instance_type_stays_on_the_node_group(capacity_type: str) -> None:
    rec = pool_preview(capacity_type=capacity_type)
    ng = ng_inputs(rec)
    assert ng["capacityType"] == capacity_type
    assert ng["instanceTypes"] == ["g6e.xlarge"]
    assert "instanceType" not in lt_inputs(rec)
    assert "instanceMarketOptions" not in lt_inputs(rec)


# ---- node group --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instance_type", "ami_type", "taint_key", "resource", "count"),
    [
        ("g6e.xlarge", "AL2023_x86_64_NVIDIA", "nvidia.com/gpu", "nvidia.com/gpu", "1"),
        ("p5.48xlarge", "AL2023_x86_64_NVIDIA", "nvidia.com/gpu", "nvidia.com/gpu", "8"),
        ("inf2.xlarge", "AL2023_x86_64_NEURON", "aws.amazon.com/neuron", "aws.amazon.com/neuron", "1"),
        ("trn1.32xlarge", "AL2023_x86_64_NEURON", "aws.amazon.com/neuron", "aws.amazon.com/neuron", "16"),
    ],
)
def test_ami_taint_and_resource_default_from_the_catalog(
    instance_type: str, ami_type: str, taint_key: str, resource: str, count: str
) -> None:
    rec = pool_preview(instance_type=instance_type)
    ng = ng_inputs(rec)
    assert ng["amiType"] == ami_type
    assert ng["taints"] == [{"key": taint_key, "value": "true", "effect": "NO_SCHEDULE"}]
    assert ng["labels"]["llmops.dev/accelerator-count"] == count
    assert asg_tags(rec)[f"{TEMPLATE}/resources/{resource}"] == count


def test_explicit_ami_type_wins_over_the_catalog_default() -> None:
    assert ng_inputs(pool_preview(ami_type="BOTTLEROCKET_x86_64_NVIDIA"))["amiType"] == "BOTTLEROCKET_x86_64_NVIDIA"


def test_gpu_taint_is_nvidia_gpu_true_no_schedule_and_user_taints_follow() -> None:
    rec = pool_preview(taints=(Taint(key="dedicated", value="training", effect="NO_EXECUTE"),))
    assert ng_inputs(rec)["taints"] == [
        {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"},
        {"key": "dedicated", "value": "training", "effect": "NO_EXECUTE"},
    ]


def test_labels_carry_pool_role_accelerator_and_count_next_to_user_labels() -> None:
    rec = pool_preview(name="serve", role="inference", labels={"team": "nlp"})
    assert ng_inputs(rec)["labels"] == {
        "team": "nlp",
        "llmops.dev/pool": "serve",
        "llmops.dev/role": "inference",
        "llmops.dev/accelerator": "nvidia-l40s",
        "llmops.dev/accelerator-count": "1",
        # The AMI ships the NVIDIA driver and toolkit: the GPU Operator installs neither here.
        "nvidia.com/gpu.deploy.driver": "false",
        "nvidia.com/gpu.deploy.container-toolkit": "false",
    }


def test_user_labels_cannot_override_the_platform_labels() -> None:
    labels = ng_inputs(pool_preview(labels={"llmops.dev/accelerator-count": "99"}))["labels"]
    assert labels["llmops.dev/accelerator-count"] == "1"


@pytest.mark.parametrize(
    ("text", "value"),
    [("NVIDIA H100", "nvidia-h100"), ("AWS Inferentia2", "aws-inferentia2"), ("a/b  c", "a-b-c")],
)
def test_accelerator_names_become_valid_label_values(text: str, value: str) -> None:
    assert label_value(text) == value


def test_node_group_scaling_update_launch_template_and_autoscaler_ownership() -> None:
    rec = pool_preview(min_size=1, desired_size=2, max_size=3)
    ng = ng_inputs(rec)
    lt = rec.one(LT)
    assert ng["scalingConfig"] == {"minSize": 1, "desiredSize": 2, "maxSize": 3}
    assert ng["updateConfig"] == {"maxUnavailable": 1}
    assert ng["launchTemplate"] == {"id": lt.id, "version": str(lt.outputs["latestVersion"])}
    assert ng["clusterName"] == CLUSTER_NAME
    assert ng["tags"]["k8s.io/cluster-autoscaler/enabled"] == "true"
    assert ng["tags"][f"k8s.io/cluster-autoscaler/{CLUSTER_NAME}"] == "owned"
    assert ng["tags"]["data-classification"] == "phi"
    assert rec.one(NG).options["ignoreChanges"] == ["scalingConfig.desiredSize"]


def test_desired_size_defaults_to_min_size() -> None:
    assert ng_inputs(pool_preview(min_size=1, max_size=3))["scalingConfig"]["desiredSize"] == 1


# ---- scale from zero ---------------------------------------------------------------------------------------


def test_autoscaler_template_tags_on_the_asg_describe_labels_taints_and_gpus() -> None:
    rec = pool_preview(
        name="train",
        instance_type="p5.48xlarge",
        role="training",
        labels={"team": "nlp"},
        taints=(Taint(key="dedicated", value="training"),),
    )
    tags = asg_tags(rec)
    assert tags == {
        f"{TEMPLATE}/label/team": "nlp",
        f"{TEMPLATE}/label/llmops.dev/pool": "train",
        f"{TEMPLATE}/label/llmops.dev/role": "training",
        f"{TEMPLATE}/label/llmops.dev/accelerator": "nvidia-h100",
        f"{TEMPLATE}/label/llmops.dev/accelerator-count": "8",
        f"{TEMPLATE}/label/nvidia.com/gpu.deploy.driver": "false",
        f"{TEMPLATE}/label/nvidia.com/gpu.deploy.container-toolkit": "false",
        f"{TEMPLATE}/taint/nvidia.com/gpu": "true:NoSchedule",
        f"{TEMPLATE}/taint/dedicated": "training:NoSchedule",
        f"{TEMPLATE}/resources/nvidia.com/gpu": "8",
    }


@pytest.mark.parametrize(
    ("effect", "kubernetes"),
    [("NO_SCHEDULE", "NoSchedule"), ("NO_EXECUTE", "NoExecute"), ("PREFER_NO_SCHEDULE", "PreferNoSchedule")],
)
def test_autoscaler_taint_tags_use_kubernetes_effect_names(effect: TaintEffect, kubernetes: str) -> None:
    tags = asg_tags(pool_preview(taints=(Taint(key="dedicated", value="x", effect=effect),)))
    assert tags[f"{TEMPLATE}/taint/dedicated"] == f"x:{kubernetes}"


# ---- capacity summary --------------------------------------------------------------------------------------


def test_capacity_summary_for_p5_max_four_is_thirty_two_gpus() -> None:
    expected = {
        "pool": "train",
        "instance_type": "p5.48xlarge",
        "accelerator": "NVIDIA H100",
        "accelerators_per_node": 8,
        "min": 0,
        "desired": 1,
        "max": 4,
        "total_at_max": 32,
        "verified": True,
    }
    captured: dict[str, Any] = {}

    def program() -> None:
        pool = GpuNodePool(
            "train",
            AcceleratorPoolSpec(name="train", instance_type="p5.48xlarge", desired_size=1, max_size=4),
            cluster_name=CLUSTER_NAME,
            node_role_arn="arn:aws:iam::123456789012:role/nodes",
            vpc_id="vpc-0123456789abcdef0",
            subnet_ids=SUBNETS,
            storage_key_arn=STORAGE_KEY,
            cluster_security_group_id=CLUSTER_SG,
            tags={"owner": "platform"},
        )
        captured.update(pool.capacity)

    rec = preview(program)
    assert captured == expected
    assert component(rec).outputs["capacity"] == expected


def test_unverified_catalog_size_is_reported_unverified(monkeypatch: pytest.MonkeyPatch) -> None:
    # No AWS size is unverified today (p5.4xlarge was, until Karpenter's EC2 data confirmed it): mark one.
    family = catalog.FAMILIES["p5"]
    sizes = {**family.sizes, "4xlarge": dataclasses.replace(family.sizes["4xlarge"], verified=False)}
    monkeypatch.setitem(catalog.FAMILIES, "p5", dataclasses.replace(family, sizes=sizes))
    assert component(pool_preview(instance_type="p5.4xlarge")).outputs["capacity"]["verified"] is False
    assert component(pool_preview(instance_type="p5.48xlarge")).outputs["capacity"]["verified"] is True


# ---- AMI types: the Arm NVIDIA family, and AL2 only up to its last Kubernetes version -------------------------


@pytest.mark.parametrize("ami_type", [None, "AL2023_ARM_64_NVIDIA", "BOTTLEROCKET_ARM_64_NVIDIA"])
def test_a_g5g_pool_runs_an_arm_nvidia_ami(ami_type: str | None) -> None:
    rec = pool_preview(instance_type="g5g.xlarge", ami_type=ami_type)
    assert ng_inputs(rec)["amiType"] == (ami_type or "AL2023_ARM_64_NVIDIA")
    assert ng_inputs(rec)["instanceTypes"] == ["g5g.xlarge"]
    assert lt_inputs(rec)["metadataOptions"]["httpTokens"] == "required"


def test_al2_gpu_ami_is_accepted_on_the_last_kubernetes_version_it_was_published_for() -> None:
    rec = pool_preview(cluster_version="1.32", ami_type="AL2_x86_64_GPU")
    assert ng_inputs(rec)["amiType"] == "AL2_x86_64_GPU"


@pytest.mark.parametrize("cluster_version", [None, "1.33", "1.34"])
def test_al2_gpu_ami_after_its_last_version_is_refused_as_the_config_refuses_it(cluster_version: str | None):
    from llmops_infra.components.config.platform import parse_platform
    from llmops_infra.components.spec import SpecError

    cluster = {"cluster": {"version": cluster_version}} if cluster_version else {}  # None: both use the default
    pool = {"name": "gpu", "instanceType": "g6e.xlarge", "maxSize": 2, "amiType": "AL2_x86_64_GPU"}
    with pytest.raises(SpecError) as config_error:
        parse_platform(
            {"targets": ["aws"], "region": "us-east-1", "owner": "t", "aws": {**cluster, "acceleratorPools": [pool]}}
        )
    [problem] = config_error.value.problems
    assert problem.path == ("aws", "acceleratorPools", 0, "amiType")
    assert f"but the cluster runs Kubernetes {cluster_version or '1.33'}" in problem.message
    with pytest.raises(ValueError) as code_error:
        pool_preview(cluster_version=cluster_version, ami_type="AL2_x86_64_GPU")
    assert str(code_error.value) == f"pool gpu: amiType: {problem.message}"


# ---- a pool built in code is refused as its config would be ----------------------------------------------------


REFUSED = {
    "efa on a type without EFA": ({"instance_type": "inf2.xlarge", "efa": True}, "efa"),
    "an AMI for another accelerator": ({"instance_type": "inf2.xlarge", "ami_type": "AL2023_x86_64_NVIDIA"}, "amiType"),
    "an unknown instance type": ({"instance_type": "p9.96xlarge"}, "instanceType"),
    "min above max": ({"min_size": 3, "max_size": 2}, "minSize"),
    "an AL2 AMI past its last Kubernetes version": ({"ami_type": "AL2_x86_64_GPU"}, "amiType"),
    "an x86 AMI on the Arm NVIDIA family": (
        {"instance_type": "g5g.xlarge", "ami_type": "AL2023_x86_64_NVIDIA"},
        "amiType",
    ),
}


@pytest.mark.parametrize(("fields", "key"), REFUSED.values(), ids=REFUSED.keys())
def test_a_pool_built_in_code_raises_the_message_the_config_path_gives(fields: dict[str, Any], key: str):
    from llmops_infra.components.config.platform import parse_platform
    from llmops_infra.components.spec import SpecError

    config_pool = {"name": "gpu", "maxSize": 2, **{_camel(k): v for k, v in fields.items()}}
    config_pool.setdefault("instanceType", "g6e.xlarge")
    with pytest.raises(SpecError) as config_error:
        parse_platform(
            {"targets": ["aws"], "region": "us-east-1", "owner": "t", "aws": {"acceleratorPools": [config_pool]}}
        )
    [problem] = [p for p in config_error.value.problems if p.path[-1] == key]
    with pytest.raises(ValueError) as code_error:
        pool_preview(**fields)
    assert f"pool gpu: {key}: {problem.message}" in str(code_error.value)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
