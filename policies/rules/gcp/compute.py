"""Compute Engine instances as third-party stacks write them (gcp:compute/instance:Instance).

Controls: encryption-at-rest (boot and attached disks), no-public-access (external IPs), least-privilege (the
service account). Every property is read from pulumi-gcp v10's SDK (compute/instance.py and compute/_inputs.py;
the quotes are its docstrings). Each disk and each network interface is judged on its own (rule.judge_each), so a
value unknown at preview in one hides no violation in another.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from llmops_infra.policies.rules.gcp.access import DEFAULT_COMPUTE_SA_SUFFIX
from llmops_infra.policies.runtime.props import has_key, listed, mapping, named, shown
from llmops_infra.policies.runtime.resources import GCE_INSTANCE, label
from llmops_infra.policies.runtime.rule import Resource, Settings, judge_each, rule

# =============================================================================================================
# encryption-at-rest
# =============================================================================================================

# The SDK (bootDisk, attachedDisks[]): "Only one of `kms_key_self_link`, `disk_encryption_key_rsa` and
# `disk_encryption_key_raw` may be set"; the last two are customer-supplied keys (CSEK), whose material is pasted
# into the stack and never held in Cloud KMS: not CMEK.
INSTANCE_CSEK_KEYS = ("diskEncryptionKeyRaw", "diskEncryptionKeyRsa")


@rule(
    "gce-instance-disks-cmek",
    control="encryption-at-rest",
    severity="high",
    types=(GCE_INSTANCE,),
    remediation="Set bootDisk.kmsKeySelfLink and every attachedDisks entry's kmsKeySelfLink to a Cloud KMS key, "
    "not a raw or RSA-wrapped customer-supplied key.",
    frameworks=("hipaa", "gdpr"),
)
def gce_instance_disks_cmek(resource: Resource, settings: Settings) -> Iterator[str]:
    """Compute Engine instances encrypt their boot and attached disks with a customer-managed Cloud KMS key."""
    yield from judge_each(("bootDisk", "attachedDisks"), lambda _, key: _disks_cmek(resource, key))


def _disks_cmek(resource: Resource, key: str) -> Iterator[str]:
    if key == "bootDisk":
        yield from _disk_cmek(resource, key, resource.props.get(key))
    else:
        disks = listed(resource.props.get(key))
        yield from judge_each(disks, lambda i, disk: _disk_cmek(resource, f"{key}[{i}]", disk))


def _disk_cmek(resource: Resource, where: str, disk: Any) -> Iterator[str]:
    disk = mapping(disk)
    # The SDK: kmsKeySelfLink is "The self_link of the encryption key that is stored in Google Cloud KMS to
    # encrypt this disk".
    if named(disk.get("kmsKeySelfLink")):
        return
    # Key names only: whether a customer-supplied key is present needs no read of the (secret) key material.
    supplied = [k for k in INSTANCE_CSEK_KEYS if has_key(disk, k)]
    if supplied:
        yield f"{label(resource)} {where} uses a customer-supplied key ({', '.join(supplied)}), not kmsKeySelfLink"
    else:
        yield f"{label(resource)} {where} has no kmsKeySelfLink (customer-managed key)"


# =============================================================================================================
# no-public-access
# =============================================================================================================

# The SDK (networkInterfaces[]): accessConfigs are "IPs via which this instance can be accessed via the Internet.
# Omit to ensure that the instance is not accessible from the Internet"; ipv6AccessConfigs: "If there is no
# ipv6AccessConfig specified, then this instance will have no external IPv6 Internet access".
EXTERNAL_ACCESS = ("accessConfigs", "ipv6AccessConfigs")


@rule(
    "gce-instance-no-external-ip",
    control="no-public-access",
    severity="high",
    types=(GCE_INSTANCE,),
    remediation="Remove accessConfigs and ipv6AccessConfigs from every network interface; reach the instance "
    "through IAP, a bastion or a load balancer, and the internet through Cloud NAT.",
    frameworks=("hipaa", "gdpr"),
)
def gce_instance_no_external_ip(resource: Resource, settings: Settings) -> Iterator[str]:
    """Compute Engine instances have no external IP address on any network interface."""
    interfaces = listed(resource.props.get("networkInterfaces"))
    yield from judge_each(interfaces, lambda i, interface: _no_external_access(resource, i, interface))


def _no_external_access(resource: Resource, index: int, interface: Any) -> Iterator[str]:
    interface = mapping(interface)
    for key in EXTERNAL_ACCESS:
        configs = listed(interface.get(key))
        if configs:
            yield f"{label(resource)} networkInterfaces[{index}] has {key} (an external IP reachable from the internet)"


# =============================================================================================================
# least-privilege
# =============================================================================================================


@rule(
    "gce-instance-not-default-service-account",
    control="least-privilege",
    severity="high",
    types=(GCE_INSTANCE,),
    remediation="Set serviceAccount.email to a dedicated least-privilege service account, or leave serviceAccount "
    "out if the instance calls no Google API.",
    frameworks=("hipaa", "gdpr"),
)
def gce_instance_not_default_service_account(resource: Resource, settings: Settings) -> Iterator[str]:
    """Compute Engine instances never run as the Compute Engine default service account."""
    account = resource.props.get("serviceAccount")
    if account is None:
        return  # no serviceAccount block: the instance runs with no service account, no Google credentials
    # A block without an email attaches the project's default service account (terraform-provider-google,
    # google_compute_instance service_account.email: "If not given, the default Google Compute Engine service
    # account is used"), as does the alias "default".
    email = mapping(account).get("email")
    if not named(email):
        yield f"{label(resource)} serviceAccount has no email: it runs as the default compute service account"
    elif email.strip().lower() == "default" or email.strip().lower().endswith(DEFAULT_COMPUTE_SA_SUFFIX):
        yield f"{label(resource)} serviceAccount.email {shown(email)} is the default compute service account"
