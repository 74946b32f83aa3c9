"""EC2 instances as third-party stacks write them (aws:ec2/instance:Instance).

Controls: encryption-at-rest (root and EBS block devices), no-public-access (a public IP on launch), least-privilege
(IMDSv2). Every property is read from pulumi-aws v7's SDK (ec2/instance.py and ec2/_inputs.py; the quotes are its
docstrings). Each block device is judged on its own (rule.judge_each), its encryption and key apart: a value unknown
at preview in one hides no violation in another.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from llmops_infra.policies.runtime.controls import EC2_INSTANCE
from llmops_infra.policies.runtime.props import (
    has_key,
    is_customer_key,
    is_false,
    is_true,
    listed,
    mapping,
    shown,
    word,
)
from llmops_infra.policies.runtime.resources import SUBNET, label
from llmops_infra.policies.runtime.rule import (
    NotApplicable,
    Resource,
    Settings,
    any_of,
    judge_apart,
    judge_each,
    rule,
)
from llmops_infra.policies.runtime.stack import Stack

# =============================================================================================================
# encryption-at-rest
# =============================================================================================================


@rule(
    "ec2-instance-ebs-kms-encrypted",
    control="encryption-at-rest",
    severity="high",
    types=(EC2_INSTANCE,),
    remediation="Give the instance a rootBlockDevice and every ebsBlockDevices entry encrypted true and kmsKeyId a "
    "customer-managed KMS key (or attach aws.ebs.Volume resources that are).",
    frameworks=("hipaa", "gdpr"),
)
def ec2_instance_ebs_kms_encrypted(resource: Resource, settings: Settings) -> Iterator[str]:
    """EC2 instances encrypt their root and EBS block devices with a customer-managed KMS key."""
    yield from judge_apart(lambda: _root_device(resource), lambda: _ebs_devices(resource))


def _root_device(resource: Resource) -> Iterator[str]:
    device = resource.props.get("rootBlockDevice")
    if device is None:
        # Without one the root volume is the AMI's (or the launch template's), encrypted as its snapshot is: the
        # instance does not say.
        yield f"{label(resource)} has no rootBlockDevice, so nothing encrypts its root volume with a customer key"
        return
    yield from _device(resource, "rootBlockDevice", mapping(device))


def _ebs_devices(resource: Resource) -> Iterator[str]:
    devices = listed(resource.props.get("ebsBlockDevices"))
    yield from judge_each(devices, lambda i, device: _device(resource, f"ebsBlockDevices[{i}]", mapping(device)))


def _device(resource: Resource, where: str, device: Mapping[str, Any]) -> Iterator[str]:
    # The SDK (rootBlockDevice, ebsBlockDevices[]): encrypted "Defaults to `false`"; kmsKeyId: "ARN of the KMS Key to
    # use when encrypting the volume".
    def not_encrypted() -> Iterator[str]:
        if device.get("encrypted") is not True:
            yield f"{label(resource)} {where} is not encrypted (encrypted is not true)"

    def no_customer_key() -> Iterator[str]:
        if not is_customer_key(device.get("kmsKeyId")):
            yield f"{label(resource)} {where} has no customer-managed kmsKeyId"

    yield from judge_apart(not_encrypted, no_customer_key)


# =============================================================================================================
# no-public-access
# =============================================================================================================

# An instance launched on a network interface of its own (primaryNetworkInterface, or the deprecated
# networkInterfaces) takes that interface's addresses: the SDK has associatePublicIpAddress for the interface the
# instance creates.
OWN_INTERFACES = ("primaryNetworkInterface", "networkInterfaces")


def _subnets(instance: Resource, stack: Stack) -> list[Resource]:
    """The subnets of the stack the instance's subnetId was computed from (the engine's property dependency)."""
    urns = set(instance.dependencies.get("subnetId", ()))
    return [subnet for subnet in stack.of_type((SUBNET,)) if subnet.urn in urns]


@rule(
    "ec2-instance-no-public-ip",
    control="no-public-access",
    severity="high",
    types=(EC2_INSTANCE, SUBNET),
    remediation="Set associatePublicIpAddress false (or launch in a subnet of the stack whose mapPublicIpOnLaunch is "
    "false); reach the instance through SSM Session Manager, a bastion or a load balancer.",
    scope="stack",
    subjects=(EC2_INSTANCE,),
    frameworks=("hipaa", "gdpr"),
)
def ec2_instance_no_public_ip(instance: Resource, stack: Stack, settings: Settings) -> Iterator[str]:
    """EC2 instances get no public IP address on launch, by their own setting or their subnet's."""
    # The SDK: associatePublicIpAddress is "Whether to associate a public IP address with an instance in a VPC";
    # unset, EC2 follows the subnet's mapPublicIpOnLaunch ("Default is `false`" on aws.ec2.Subnet; true on the
    # default VPC's default subnets, where an instance without a subnetId launches).
    associate = instance.props.get("associatePublicIpAddress")
    if is_true(associate):
        yield f"{label(instance)} sets associatePublicIpAddress to true"
        return
    if is_false(associate):
        return
    given = [key for key in OWN_INTERFACES if has_key(instance.props, key)]
    if given:
        raise NotApplicable(f"launched on a network interface of its own ({given[0]}), whose addresses it takes")
    subnets = _subnets(instance, stack)
    if subnets:
        yield from judge_each(subnets, lambda _, subnet: _maps_public_ips(instance, subnet))
        return
    subnet_id = instance.props.get("subnetId")
    if subnet_id is None:
        yield (
            f"{label(instance)} leaves associatePublicIpAddress unset and names no subnetId, so it launches in a "
            "default subnet (which maps public IPs on launch) or its launch template's"
        )
    else:
        yield (
            f"{label(instance)} leaves associatePublicIpAddress unset and its subnetId {shown(subnet_id)} is not a "
            "subnet of the stack, so whether that subnet maps public IPs on launch cannot be seen"
        )


def _maps_public_ips(instance: Resource, subnet: Resource) -> Iterator[str]:
    if is_true(subnet.props.get("mapPublicIpOnLaunch")):
        yield (
            f"{label(instance)} leaves associatePublicIpAddress unset and its {label(subnet)} sets "
            "mapPublicIpOnLaunch to true"
        )


# =============================================================================================================
# least-privilege
# =============================================================================================================

# The SDK (metadataOptions): httpTokens "Whether or not the metadata service requires session tokens, also referred
# to as _Instance Metadata Service Version 2 (IMDSv2)_. Valid values include `optional` or `required`"; httpEndpoint
# "Whether the metadata service is available. Valid values include `enabled` or `disabled`. Defaults to `enabled`."
IMDS_V2 = "required"


@rule(
    "ec2-instance-imdsv2",
    control="least-privilege",
    severity="high",
    types=(EC2_INSTANCE,),
    remediation=f'Set metadataOptions.httpTokens "{IMDS_V2}" (or metadataOptions.httpEndpoint "disabled").',
    frameworks=("hipaa", "gdpr"),
)
def ec2_instance_imdsv2(resource: Resource, settings: Settings) -> Iterator[str]:
    """EC2 instances require IMDSv2 session tokens before their metadata service hands out role credentials."""
    options = mapping(resource.props.get("metadataOptions"))
    # Either settles it: tokens required, or no metadata service at all.
    if any_of(
        (
            lambda: word(options.get("httpTokens")) == IMDS_V2.upper(),
            lambda: word(options.get("httpEndpoint")) == "DISABLED",
        )
    ):
        return
    tokens = options.get("httpTokens")
    state = shown(tokens) if tokens is not None else "unset"
    yield f'{label(resource)} metadataOptions.httpTokens is {state}, not "{IMDS_V2}" (IMDSv1 is allowed)'
