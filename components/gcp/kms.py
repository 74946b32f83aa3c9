"""Cloud KMS keys, one per purpose, and the grants that let the Google services using them encrypt with them.

Every data store on the gcp target is encrypted with a customer-managed key (encryption-at-rest) that rotates at
least every 90 days (key-rotation). Google services do not encrypt as the deployer: each uses its own service agent,
which needs roles/cloudkms.cryptoKeyEncrypterDecrypter on the key before the first resource that names the key is
created (or that creation fails), so `key_id` resolves only once a key's grants exist.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_gcp as gcp

SECONDS_PER_DAY = 86400
# The provider rejects a rotation period under one day (86400s: terraform-provider-google
# validateKmsCryptoKeyRotationPeriod); docs/controls.md key-rotation allows at most 90 days.
MIN_ROTATION_DAYS = 1
MAX_ROTATION_DAYS = 90

# How long a destroyed key version stays restorable. Cloud KMS raised its default from 1 day to 30 days so that a
# mistakenly destroyed key can be noticed and restored ("Key destruction default time", Cloud KMS docs; the SDK:
# "If not specified at creation time, the default duration is 30 days"). It is set explicitly so the window is
# part of the reviewed config rather than whatever default Cloud KMS applies when a key is created.
DESTROY_SCHEDULED_DAYS = 30

# Cloud KMS ids of key rings and keys (CreateKeyRingRequest.key_ring_id, CreateCryptoKeyRequest.crypto_key_id).
KMS_ID = re.compile(r"^[a-zA-Z0-9_-]{1,63}$")
# Cloud KMS locations: a region ("europe-west4"), dual-region ("eur4"), multi-region ("europe") or "global".
LOCATION = re.compile(r"^[a-z][a-z0-9-]*$")

ProtectionLevel = Literal["SOFTWARE", "HSM"]
# The SDK (CryptoKeyVersionTemplate.protection_level): SOFTWARE (default), HSM, EXTERNAL, EXTERNAL_VPC. The
# external levels need a Cloud EKM connection this component does not create.
PROTECTION_LEVELS: tuple[ProtectionLevel, ...] = ("SOFTWARE", "HSM")

ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"


@dataclass(frozen=True)
class ServiceAgent:
    """A Google-managed identity that encrypts with the key on a service's behalf."""

    name: str  # in resource names
    # `{number}` is the project number. None: the Cloud Storage service agent, looked up (see below).
    email: str | None


# The SDK (storage.get_project_service_account): Cloud Storage uses the project's own service agent for CMEK, and
# the agent exists only once something asks for it, so it is looked up rather than spelled out.
CLOUD_STORAGE = ServiceAgent("gcs", None)
# GKE "Use customer-managed encryption keys (CMEK)": for CMEK-protected node boot disks and attached disks the
# Compute Engine service agent is the account that needs the key, even when nodes run as a custom service account
# (also the SDK, compute DiskDiskEncryptionKey.kms_key_self_link).
COMPUTE_ENGINE = ServiceAgent("compute", "service-{number}@compute-system.iam.gserviceaccount.com")
# GKE "Encrypt secrets at the application layer": the GKE service agent encrypts Secrets in the control plane.
KUBERNETES_ENGINE = ServiceAgent("gke", "service-{number}@container-engine-robot.iam.gserviceaccount.com")

# Purpose -> the service agents that must use its key. A purpose not listed gets a key and no grants.
SERVICE_AGENTS: dict[str, tuple[ServiceAgent, ...]] = {
    "storage": (CLOUD_STORAGE, COMPUTE_ENGINE),  # GCS buckets, GKE node boot disks
    "cluster": (KUBERNETES_ENGINE,),  # GKE databaseEncryption (Kubernetes Secrets)
}


@dataclass(frozen=True)
class CloudKmsKeySpec:
    """Where CloudKmsKeys creates its key ring, which keys it holds, and how they rotate."""

    location: str = field(
        metadata={
            "description": "Cloud KMS location of the key ring: a region (europe-west4), dual-region (eur4), "
            "multi-region (europe) or global. A CMEK key must be in the location of the data it encrypts."
        }
    )
    labels: Mapping[str, str] = field(metadata={"description": "Labels on every key (the key ring gets none)."})
    purposes: tuple[str, ...] = field(
        default=("storage", "cluster"),
        metadata={
            "description": "One key per purpose, each a Cloud KMS key id, none repeated, at least one; default "
            "storage (granted to the Cloud Storage and Compute Engine service agents) and cluster (granted to the "
            "GKE service agent). Other purposes get a key and no grants."
        },
    )
    rotation_days: int = field(
        default=90,
        metadata={"description": "Days between automatic key rotations: 1 to 90 (default 90)."},
    )
    protection_level: ProtectionLevel = field(
        default="SOFTWARE",
        metadata={"description": "Where key material lives: `SOFTWARE` (default) or `HSM` (Cloud HSM)."},
    )


def rotation_period(days: int) -> str:
    """The SDK's rotation_period format: a number of seconds followed by `s`."""
    return f"{days * SECONDS_PER_DAY}s"


def _validate(name: str, spec: CloudKmsKeySpec) -> None:
    where = f"CloudKmsKeys {name!r}"
    if not MIN_ROTATION_DAYS <= spec.rotation_days <= MAX_ROTATION_DAYS:
        raise ValueError(
            f"{where}: rotation_days={spec.rotation_days}; key-rotation needs {MIN_ROTATION_DAYS} to "
            f"{MAX_ROTATION_DAYS} days (Cloud KMS rotates no more often than daily)"
        )
    if not KMS_ID.fullmatch(name):
        raise ValueError(f"{where}: the name is the key ring id and must match {KMS_ID.pattern}")
    if not LOCATION.fullmatch(spec.location):
        raise ValueError(f"{where}: location {spec.location!r} is not a Cloud KMS location like 'europe-west4'")
    if spec.protection_level not in PROTECTION_LEVELS:
        raise ValueError(
            f"{where}: protection_level {spec.protection_level!r}; use one of {', '.join(PROTECTION_LEVELS)}"
        )
    if not spec.purposes:
        raise ValueError(f"{where}: purposes is empty; name at least one (storage, cluster)")
    if len(set(spec.purposes)) != len(spec.purposes):
        raise ValueError(f"{where}: purposes {spec.purposes} repeat a purpose; each key is one purpose")
    bad = [p for p in spec.purposes if not KMS_ID.fullmatch(p)]
    if bad:
        raise ValueError(f"{where}: purposes {bad} are not Cloud KMS key ids ({KMS_ID.pattern})")


class CloudKmsKeys(pulumi.ComponentResource):
    """A Cloud KMS key ring with one rotating key per purpose, and the grants its Google service agents need.

    Google services encrypt as their own service agents, not as the deployer: each agent that uses a key gets
    roles/cloudkms.cryptoKeyEncrypterDecrypter on that key, and `key_id(purpose)` resolves only once those grants
    exist, so a bucket, disk or cluster given the id is created after them. Cloud KMS never deletes key rings or
    keys: the keys are `protect`ed, and a re-created stack must import its key ring.

    Args:
        name: Component name and the key ring's id (`[a-zA-Z0-9_-]{1,63}`); keys are named after their purpose.
        spec: CloudKmsKeySpec: location, labels, purposes, rotation period and protection level. A rotation outside
            1 to 90 days, a bad name or location, an empty or repeating purpose list raises ValueError before
            anything is registered.
        opts: Resource options; the provider decides the project.

    Outputs:
        key_ring: The `gcp.kms.KeyRing`.
        key_ring_id: Its id.
        keys: The `gcp.kms.CryptoKey` of each purpose.
        grants: The `gcp.kms.CryptoKeyIAMMember` grants of each purpose's key.
        key_ids: The key id of each purpose, resolving after its grants; `key_id(purpose)` returns one, or raises
            KeyError naming the purposes there are.

    Security:
        - Encryption at rest: customer-managed symmetric ENCRYPT_DECRYPT keys (GOOGLE_SYMMETRIC_ENCRYPTION) at
          `spec.protection_level`, rotated every `spec.rotation_days` (at most 90).
        - Least privilege: the encrypter/decrypter role is granted on each key, not on the ring or the project,
          and only to the agents its purpose needs (storage: Cloud Storage and Compute Engine; cluster: GKE).
        - Recoverability: keys are protected in Pulumi, and a destroyed key version stays restorable for 30 days.
    """

    key_ring: gcp.kms.KeyRing
    keys: dict[str, gcp.kms.CryptoKey]
    grants: dict[str, list[gcp.kms.CryptoKeyIAMMember]]
    key_ids: dict[str, pulumi.Output[str]]
    key_ring_id: pulumi.Output[str]

    def __init__(self, name: str, spec: CloudKmsKeySpec, opts: pulumi.ResourceOptions | None = None) -> None:
        _validate(name, spec)
        super().__init__("llmops:gcp:CloudKmsKeys", name, None, opts)

        # Invokes parented to the component resolve with its provider (its project).
        invoke_opts = pulumi.InvokeOutputOptions(parent=self)
        members: dict[str, pulumi.Output[str]] = {}

        def member(agent: ServiceAgent) -> pulumi.Output[str]:
            if agent.name not in members:
                if agent.email is None:
                    members[agent.name] = gcp.storage.get_project_service_account_output(opts=invoke_opts).member
                else:
                    template = agent.email
                    number = gcp.organizations.get_project_output(opts=invoke_opts).number
                    members[agent.name] = number.apply(lambda n: f"serviceAccount:{template.format(number=n)}")
            return members[agent.name]

        # Key rings cannot be deleted in Cloud KMS (the SDK, KeyRing): destroying one only forgets it.
        self.key_ring = gcp.kms.KeyRing(
            name, name=name, location=spec.location, opts=pulumi.ResourceOptions(parent=self)
        )
        self.keys = {}
        self.grants = {}
        self.key_ids = {}
        for purpose in spec.purposes:
            key = gcp.kms.CryptoKey(
                f"{name}-{purpose}",
                name=purpose,
                key_ring=self.key_ring.id,
                purpose="ENCRYPT_DECRYPT",
                rotation_period=rotation_period(spec.rotation_days),
                destroy_scheduled_duration=f"{DESTROY_SCHEDULED_DAYS * SECONDS_PER_DAY}s",
                version_template={
                    "algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION",
                    "protection_level": spec.protection_level,
                },
                labels=dict(spec.labels),
                # The SDK: a CryptoKey cannot be deleted from GCP; destroying it destroys every key version,
                # which makes all data encrypted with it unrecoverable, and the SDK strongly recommends `protect`.
                # Unprotecting is then a deliberate, reviewed change, never a side effect of a destroy.
                opts=pulumi.ResourceOptions(parent=self, protect=True),
            )
            grants = [
                gcp.kms.CryptoKeyIAMMember(
                    f"{name}-{purpose}-{agent.name}",
                    crypto_key_id=key.id,
                    role=ENCRYPTER_DECRYPTER,
                    member=member(agent),
                    opts=pulumi.ResourceOptions(parent=self),
                )
                for agent in SERVICE_AGENTS.get(purpose, ())
            ]
            self.keys[purpose] = key
            self.grants[purpose] = grants
            # The grants' URNs are known at once, so the id stays known in preview while a bucket, disk or cluster
            # given it waits for the grants (the SDK, storage.get_project_service_account: "take care for race
            # conditions between the establishment of the IAM policy and creation of the ... resource").
            self.key_ids[purpose] = pulumi.Output.all(key.id, *[g.urn for g in grants]).apply(lambda v: v[0])

        self.key_ring_id = self.key_ring.id
        self.register_outputs({"key_ring_id": self.key_ring_id, "key_ids": self.key_ids})

    def key_id(self, purpose: str) -> pulumi.Output[str]:
        """The key's id (projects/.../cryptoKeys/<purpose>), resolving after its service agents may use it."""
        try:
            return self.key_ids[purpose]
        except KeyError:
            raise KeyError(
                f"no Cloud KMS key for purpose {purpose!r}; this CloudKmsKeys has {', '.join(sorted(self.key_ids))}"
            ) from None
