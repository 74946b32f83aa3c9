"""The model cache's StorageClass, refused unless its parameters turn the CSI driver's encryption on.

Encryption is a parameter of each CSI driver, spelled differently by each, so it is kept as DATA: one row per
driver with the parameters that switch encryption on, each from the driver's own documentation. The config rules
(components/catalog/kubernetes_rules.py) call `encryption_problems` so a config is refused before preview; the
component raises ValueError on the same problems so a StorageClass built in code cannot skip them.

A provisioner with no row is accepted only if its parameters carry one of the known switches set on
(`encrypted: "true"` or `secure: "true"`) or a known key-reference parameter with a value: a weak signal (a driver
may ignore a parameter it does not know), which is why the message asks for a row to be added for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from llmops_infra.components.spec import StorageClassSpec


@dataclass(frozen=True)
class EncryptionRow:
    """What turns encryption on for one CSI driver."""

    driver: str
    # Parameters that must equal "true" (compared case-insensitively).
    switches: tuple[str, ...] = ()
    # Parameters that must be present with a non-empty value (a key reference, a Secret holding the key).
    required: tuple[str, ...] = ()
    # The driver matches parameter keys case-insensitively.
    case_insensitive_keys: bool = False
    source: str = ""


ENCRYPTION: dict[str, EncryptionRow] = {
    row.driver: row
    for row in (
        EncryptionRow(
            "rbd.csi.ceph.com",
            switches=("encrypted",),
            # Without a KMS ID the passphrase is not kept in an external KMS; we require one so the key never
            # lives beside the data.
            required=("encryptionKMSID",),
            source='ceph/ceph-csi examples/rbd/storageclass.yaml: encrypted "true"; encryptionKMSID names the '
            "KMS ConfigMap entry holding the passphrases",
        ),
        EncryptionRow(
            "driver.longhorn.io",
            switches=("encrypted",),
            # The Secret with CRYPTO_KEY_VALUE reaches the node through these parameters.
            required=("csi.storage.k8s.io/node-publish-secret-name", "csi.storage.k8s.io/node-stage-secret-name"),
            source="longhorn.io/docs/<version>/advanced-resources/security/volume-encryption: StorageClass "
            'longhorn-crypto-global (encrypted "true" and the node-publish/node-stage secret parameters)',
        ),
        EncryptionRow(
            "pxd.portworx.com",
            switches=("secure",),
            source='docs.portworx.com portworx-enterprise/3.1 key-management-enc-storage-class-spec: secure "true"',
        ),
        EncryptionRow(
            "ebs.csi.aws.com",
            switches=("encrypted",),
            case_insensitive_keys=True,
            source="kubernetes-sigs/aws-ebs-csi-driver docs/parameters.md: encrypted (default false), kmsKeyId "
            "optional (default aws/ebs key); parameters are case insensitive",
        ),
        EncryptionRow(
            "pd.csi.storage.gke.io",
            # Persistent disks are always encrypted at rest by Google; this makes it the platform's own CMEK.
            required=("disk-encryption-kms-key",),
            source="cloud.google.com/kubernetes-engine/docs/how-to/using-cmek: disk-encryption-kms-key",
        ),
    )
}
# Rook runs ceph-csi under a provisioner prefixed with its operator namespace (rook/rook deploy/examples/csi/rbd/
# storageclass.yaml: `rook-ceph.rbd.csi.ceph.com`, "Change "rook-ceph" provisioner prefix to match the operator
# namespace if needed").
SUFFIX_ROWS = {".rbd.csi.ceph.com": "rbd.csi.ceph.com"}
# What an unknown provisioner may carry to be accepted: the switches and key references of the known rows.
KNOWN_SWITCHES = tuple(sorted({s for row in ENCRYPTION.values() for s in row.switches}))
KNOWN_KEY_REFERENCES = ("encryptionKMSID", "kmsKeyId", "disk-encryption-kms-key")


def encryption_row(provisioner: str) -> EncryptionRow | None:
    """The encryption row of a CSI driver (Rook's prefixed Ceph RBD included), or None for one without a row."""
    row = ENCRYPTION.get(provisioner)
    if row is None:
        row = next((ENCRYPTION[d] for s, d in SUFFIX_ROWS.items() if provisioner.endswith(s)), None)
    return row


def _lookup(parameters: Mapping[str, str], key: str, case_insensitive: bool) -> str | None:
    if not case_insensitive:
        return parameters.get(key)
    return next((v for k, v in parameters.items() if k.lower() == key.lower()), None)


def encryption_problems(spec: StorageClassSpec) -> list[str]:
    """Why `spec`'s parameters do not turn encryption on (empty when they do); each message says what to set."""
    row = encryption_row(spec.provisioner)
    params = spec.parameters
    if row is None:
        switched = [s for s in KNOWN_SWITCHES if (params.get(s) or "").lower() == "true"]
        keyed = [k for k in KNOWN_KEY_REFERENCES if params.get(k)]
        if switched or keyed:
            return []
        switches = " or ".join(f'{s}: "true"' for s in KNOWN_SWITCHES)
        return [
            f"provisioner {spec.provisioner} has no encryption row (known: {', '.join(sorted(ENCRYPTION))}); "
            f"set its encryption parameter ({switches}, or a key "
            f"reference {', '.join(KNOWN_KEY_REFERENCES)}) and add a row for it to components/k8s/storage.py"
        ]
    problems = []
    for switch in row.switches:
        value = _lookup(params, switch, row.case_insensitive_keys)
        if (value or "").lower() != "true":
            shown = "missing" if value is None else f"{value!r}"
            problems.append(f'provisioner {spec.provisioner} encrypts volumes only with {switch}: "true" ({shown})')
    for key in row.required:
        if not _lookup(params, key, row.case_insensitive_keys):
            problems.append(f"provisioner {spec.provisioner} needs parameter {key} for encrypted volumes")
    return problems


class EncryptedStorageClass(pulumi.ComponentResource):
    """A StorageClass for the model cache whose volumes the CSI driver encrypts.

    Encryption is a parameter of each CSI driver, spelled differently by each: the known drivers' switches and key
    references are rows of `ENCRYPTION`, and a class whose parameters do not turn its driver's encryption on is
    refused with a message saying what to set. Volumes bind where the pod lands (WaitForFirstConsumer) and can
    be expanded in place.

    Args:
        name: Component name; the StorageClass itself is named `spec.name`.
        spec: StorageClassSpec: name, provisioner, parameters, reclaim policy. Parameters that do not turn the
            driver's encryption on raise ValueError.
        labels: Labels of the StorageClass (the records labels: owner, purpose, data-classification).
        opts: Resource options; its provider is the cluster's Kubernetes API.

    Outputs:
        storage_class: The `kubernetes.storage.v1.StorageClass` (registered outputs `name`, `provisioner`).

    Security:
        - Encryption at rest: only a class whose parameters switch the driver's encryption on is created (Ceph RBD
          also needs an external KMS id, Longhorn its key Secret, GKE PD a Cloud KMS key); an unknown driver
          passes only with a known switch or key reference set.
        - Retention: reclaim policy `spec.reclaim_policy`, Retain by default, so deleting a claim keeps the volume.
    """

    storage_class: k8s.storage.v1.StorageClass

    def __init__(
        self,
        name: str,
        spec: StorageClassSpec,
        *,
        labels: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llmops:k8s:EncryptedStorageClass", name, None, opts)
        problems = encryption_problems(spec)
        if problems:
            raise ValueError(f"storage class {spec.name}: " + "; ".join(problems))
        self.storage_class = k8s.storage.v1.StorageClass(
            name,
            metadata={"name": spec.name, "labels": dict(labels)},
            provisioner=spec.provisioner,
            parameters=dict(spec.parameters),
            reclaim_policy=spec.reclaim_policy,
            # Bind where the pod lands, so a topology-bound volume (a node's local disk, a zone) follows the GPU
            # node the scheduler picked instead of pinning the pod to wherever the volume was made.
            volume_binding_mode="WaitForFirstConsumer",
            # A growing model cache is resized in place rather than rebuilt.
            allow_volume_expansion=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"name": spec.name, "provisioner": spec.provisioner})
