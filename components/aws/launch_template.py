"""The hardened launch template every EKS node group here starts from.

IMDSv2 only, with a hop limit of 1, so a pod cannot reach the node's instance credentials (workloads get AWS
access through Pod Identity or IRSA); every EBS volume the AMI boots with is gp3, encrypted with the storage
CMK and deleted with the instance; instances and volumes carry the pool's tags.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from llmops_infra.components.catalog import aws as catalog


def block_devices(ami: catalog.AmiType, disk_size_gib: int, key_arn: pulumi.Input[str]) -> list[dict[str, Any]]:
    """Encrypted gp3 mappings for the AMI's devices. Images and scratch data live on the data device when the
    AMI has one (Bottlerocket), so that one gets the disk size and the OS volume keeps the AMI's own size;
    otherwise the root volume holds both and gets the disk size."""

    def ebs(size: int | None) -> dict[str, Any]:
        volume: dict[str, Any] = {
            "volume_type": "gp3",
            "encrypted": "true",
            "kms_key_id": key_arn,
            "delete_on_termination": "true",
        }
        if size is not None:
            volume["volume_size"] = size
        return volume

    if ami.data_device is None:
        return [{"device_name": ami.root_device, "ebs": ebs(disk_size_gib)}]
    return [
        {"device_name": ami.root_device, "ebs": ebs(None)},
        {"device_name": ami.data_device, "ebs": ebs(disk_size_gib)},
    ]


def hardened_launch_template_args(
    ami: catalog.AmiType, disk_size_gib: int, storage_key_arn: pulumi.Input[str], tags: Mapping[str, str]
) -> dict[str, Any]:
    """Arguments of aws.ec2.LaunchTemplate shared by all node groups; callers add networking and capacity."""
    return {
        "metadata_options": {
            "http_endpoint": "enabled",
            "http_tokens": "required",
            "http_put_response_hop_limit": 1,
        },
        "block_device_mappings": block_devices(ami, disk_size_gib, storage_key_arn),
        "tag_specifications": [
            {"resource_type": "instance", "tags": dict(tags)},
            {"resource_type": "volume", "tags": dict(tags)},
        ],
        "tags": dict(tags),
    }
