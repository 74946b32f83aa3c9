"""Kubernetes facts the config checks and components read: CNI addressing and CSI-driver encryption parameters.

Data only (no pulumi, no components): each fact carries the document it comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Cilium in EKS Hybrid Nodes' cluster-pool mode carves the remote pod networks into one block per node of this
# prefix length (clusterPoolIPv4MaskSize; Amazon EKS User Guide, "Configure CNI for hybrid nodes": /25 in its
# example values). The checks size the pod networks by it and components/k8s/cilium.py sets it.
CILIUM_NODE_MASK_SIZE = 25


# Encryption is a parameter of each CSI driver, spelled differently by each, so it is kept as data: one row per
# driver with the parameters that switch encryption on, each from the driver's own documentation.
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


def lookup_parameter(parameters: Mapping[str, str], key: str, case_insensitive: bool) -> str | None:
    if not case_insensitive:
        return parameters.get(key)
    return next((v for k, v in parameters.items() if k.lower() == key.lower()), None)
