"""LocalZoneGpuNodes through the offline engine: a private subnet in the Local Zone on the given route table, and a
managed node group there on the hardened launch template (IMDSv2, CMK-encrypted volumes), the catalog's NVIDIA AMI,
the vendor taint and the pool labels; sites that are not local-zone GPU sites are refused."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from llmops_infra.cli.recording import Recording
from llmops_infra.components.aws.local_zone import LocalZoneGpuNodes
from llmops_infra.components.spec import EdgeSiteSpec
from tests.conftest import preview

STORAGE_KEY = "arn:aws:kms:us-east-1:123456789012:key/33333333-3333-3333-3333-333333333333"
CLUSTER_SG = "sg-0cluster000000000"
ROUTE_TABLE = "rtb-0private0000000"
VPC = "vpc-0123456789abcdef0"
SUBNET = "aws:ec2/subnet:Subnet"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
NG = "aws:eks/nodeGroup:NodeGroup"
TAGS = {"owner": "platform", "data-classification": "personal"}


def site(**overrides: Any) -> EdgeSiteSpec:
    fields: dict[str, Any] = {
        "name": "bos",
        "kind": "local-zone",
        "local_zone": "us-east-1-bos-1a",
        "instance_type": "g6.xlarge",
        "subnet_cidr": "10.0.200.0/24",
        "max_nodes": 3,
        "server": {"image": "registry.example.com/vllm@sha256:" + "ab" * 32, "model_claim": "weights"},
        **overrides,
    }
    return EdgeSiteSpec(**fields)


def zone_preview(spec: EdgeSiteSpec | None = None, **kwargs: Any) -> Recording:
    def program() -> None:
        nodes = LocalZoneGpuNodes(
            "edge-bos",
            spec or site(),
            cluster_name="llmops-test",
            node_role_arn="arn:aws:iam::123456789012:role/nodes",
            vpc_id=VPC,
            route_table_id=ROUTE_TABLE,
            storage_key_arn=STORAGE_KEY,
            cluster_security_group_id=CLUSTER_SG,
            tags=TAGS,
            **kwargs,
        )
        pulumi.export("capacity", nodes.capacity)

    return preview(program)


def test_subnet_is_private_in_the_local_zone() -> None:
    subnet = zone_preview().one(SUBNET).inputs
    assert subnet["availabilityZone"] == "us-east-1-bos-1a"
    assert subnet["cidrBlock"] == "10.0.200.0/24"
    assert subnet["vpcId"] == VPC
    assert subnet["mapPublicIpOnLaunch"] is False
    assert subnet["tags"]["owner"] == "platform"


def test_subnet_is_associated_with_the_given_route_table() -> None:
    rec = zone_preview()
    association = rec.one(ASSOCIATION)
    assert association.inputs["routeTableId"] == ROUTE_TABLE
    assert rec.one(SUBNET).urn in association.property_dependencies["subnetId"]


def test_node_group_runs_in_the_zone_subnet_only() -> None:
    rec = zone_preview()
    group = rec.one(NG)
    assert rec.one(SUBNET).urn in group.property_dependencies["subnetIds"]
    assert len(group.inputs["subnetIds"]) == 1


def test_launch_template_is_hardened_and_encrypted_with_the_storage_key() -> None:
    lt = zone_preview().one(LT).inputs
    assert lt["metadataOptions"] == {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1}
    [device] = lt["blockDeviceMappings"]
    assert device["ebs"]["encrypted"] == "true"
    assert device["ebs"]["kmsKeyId"] == STORAGE_KEY
    assert lt["vpcSecurityGroupIds"] == [CLUSTER_SG]


def test_node_group_is_nvidia_tainted_and_labelled() -> None:
    group = zone_preview(allowed_classifications=("personal",)).one(NG).inputs
    assert group["amiType"] == "AL2023_x86_64_NVIDIA"
    assert group["instanceTypes"] == ["g6.xlarge"]
    assert group["capacityType"] == "ON_DEMAND"
    assert group["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]
    assert group["labels"] == {
        "llmops.dev/pool": "bos",
        "llmops.dev/role": "inference",
        "llmops.dev/accelerator": "nvidia-l4",
        "llmops.dev/accelerator-count": "1",
        "llmops.dev/allow-personal": "true",
        # The AMI ships the NVIDIA driver and toolkit: the GPU Operator installs neither here.
        "nvidia.com/gpu.deploy.driver": "false",
        "nvidia.com/gpu.deploy.container-toolkit": "false",
    }
    assert group["scalingConfig"] == {"minSize": 1, "desiredSize": 1, "maxSize": 3}


def test_allow_label_defaults_to_the_sites_own_sensitive_class() -> None:
    # TAGS say personal: the site's pods select llmops.dev/allow-personal (components/k8s/edge.py).
    assert zone_preview().one(NG).inputs["labels"]["llmops.dev/allow-personal"] == "true"


def test_no_allow_label_unless_the_class_is_allowed() -> None:
    labels = zone_preview(allowed_classifications=()).one(NG).inputs["labels"]
    assert not any(k.startswith("llmops.dev/allow-") for k in labels)


def test_capacity_row() -> None:
    capacity = zone_preview().stack_outputs["capacity"]
    assert capacity["instance_type"] == "g6.xlarge"
    assert (capacity["min"], capacity["desired"], capacity["max"]) == (1, 1, 3)
    assert capacity["total_at_max"] == 3
    assert capacity["local_zone"] == "us-east-1-bos-1a"


@pytest.mark.parametrize(
    "overrides",
    [
        {"instance_type": "inf2.xlarge"},  # not NVIDIA
        {"instance_type": "m7i.large"},  # not in the catalog
        {"subnet_cidr": None},
    ],
)
def test_sites_that_are_not_local_zone_gpu_sites_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(Exception, match="edge site bos"):
        zone_preview(site(**overrides))
