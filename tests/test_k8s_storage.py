"""EncryptedStorageClass and encryption_problems: each known CSI driver's encryption parameters accepted, every
way of leaving encryption off refused (by the function the config rules reuse, and by the component), unknown
provisioners accepted only with a known encryption switch, and the StorageClass valid against upstream schemas."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from llmops_infra.cli.recording import Recording
from llmops_infra.components.k8s.storage import EncryptedStorageClass, encryption_problems
from llmops_infra.components.spec import StorageClassSpec
from tests.conftest import preview
from tests.k8s_schema import kubernetes_objects, schema_errors

STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
LABELS = {"owner": "platform", "purpose": "model-cache", "data-classification": "phi"}

ENCRYPTED: dict[str, dict[str, str]] = {
    "rbd.csi.ceph.com": {"clusterID": "ceph-1", "pool": "models", "encrypted": "true", "encryptionKMSID": "vault"},
    "rook-ceph.rbd.csi.ceph.com": {"clusterID": "rook-ceph", "encrypted": "true", "encryptionKMSID": "vault"},
    "driver.longhorn.io": {
        "encrypted": "true",
        "csi.storage.k8s.io/node-publish-secret-name": "longhorn-crypto",
        "csi.storage.k8s.io/node-publish-secret-namespace": "longhorn-system",
        "csi.storage.k8s.io/node-stage-secret-name": "longhorn-crypto",
        "csi.storage.k8s.io/node-stage-secret-namespace": "longhorn-system",
    },
    "pxd.portworx.com": {"repl": "3", "secure": "true"},
    "ebs.csi.aws.com": {"type": "gp3", "encrypted": "true"},
    "pd.csi.storage.gke.io": {
        "type": "pd-balanced",
        "disk-encryption-kms-key": "projects/p/locations/l/keyRings/r/cryptoKeys/k",
    },
}


def spec(provisioner: str, parameters: dict[str, str], **extra: Any) -> StorageClassSpec:
    return StorageClassSpec(provisioner=provisioner, parameters=parameters, **extra)


def without(params: dict[str, str], key: str) -> dict[str, str]:
    return {k: v for k, v in params.items() if k != key}


def sc_preview(storage: StorageClassSpec) -> Recording:
    def program() -> None:
        provider = k8s.Provider("cluster", kubeconfig="{}")
        EncryptedStorageClass("cache", storage, labels=LABELS, opts=pulumi.ResourceOptions(provider=provider))

    return preview(program)


@pytest.mark.parametrize("provisioner", sorted(ENCRYPTED))
def test_known_drivers_with_encryption_on_pass(provisioner: str) -> None:
    assert encryption_problems(spec(provisioner, ENCRYPTED[provisioner])) == []


@pytest.mark.parametrize(
    ("provisioner", "removed", "words"),
    [
        ("rbd.csi.ceph.com", "encrypted", 'encrypted: "true"'),
        ("rbd.csi.ceph.com", "encryptionKMSID", "encryptionKMSID"),
        ("rook-ceph.rbd.csi.ceph.com", "encryptionKMSID", "encryptionKMSID"),
        ("driver.longhorn.io", "encrypted", 'encrypted: "true"'),
        ("driver.longhorn.io", "csi.storage.k8s.io/node-stage-secret-name", "node-stage-secret-name"),
        ("driver.longhorn.io", "csi.storage.k8s.io/node-publish-secret-name", "node-publish-secret-name"),
        ("pxd.portworx.com", "secure", 'secure: "true"'),
        ("ebs.csi.aws.com", "encrypted", 'encrypted: "true"'),
        ("pd.csi.storage.gke.io", "disk-encryption-kms-key", "disk-encryption-kms-key"),
    ],
)
def test_known_drivers_without_their_encryption_parameter_are_refused(
    provisioner: str, removed: str, words: str
) -> None:
    problems = encryption_problems(spec(provisioner, without(ENCRYPTED[provisioner], removed)))
    assert len(problems) == 1
    assert provisioner in problems[0] and words in problems[0]


@pytest.mark.parametrize("value", ["false", "no", "", "1"])
def test_a_switch_set_to_anything_but_true_is_refused(value: str) -> None:
    params = {**ENCRYPTED["ebs.csi.aws.com"], "encrypted": value}
    assert encryption_problems(spec("ebs.csi.aws.com", params))


def test_true_is_case_insensitive_and_ebs_keys_are_too() -> None:
    assert encryption_problems(spec("ebs.csi.aws.com", {"Encrypted": "True"})) == []
    # Ceph matches keys exactly, so a differently spelt key does not count there.
    assert encryption_problems(spec("rbd.csi.ceph.com", {"Encrypted": "true", "encryptionKMSID": "v"}))


def test_unknown_provisioner_needs_a_known_encryption_parameter() -> None:
    problems = encryption_problems(spec("nfs.csi.k8s.io", {"server": "nas", "share": "/models"}))
    assert len(problems) == 1
    assert "nfs.csi.k8s.io has no encryption row" in problems[0]
    assert "components/catalog/kubernetes.py" in problems[0]
    assert encryption_problems(spec("csi.vendor.example", {"encrypted": "true"})) == []
    assert encryption_problems(spec("csi.vendor.example", {"secure": "true"})) == []
    assert encryption_problems(spec("csi.vendor.example", {"kmsKeyId": "arn:aws:kms:..."})) == []
    assert encryption_problems(spec("csi.vendor.example", {"encrypted": "false"}))


def test_component_refuses_an_unencrypted_class() -> None:
    with pytest.raises(Exception, match="encryptionKMSID"):
        sc_preview(spec("rbd.csi.ceph.com", without(ENCRYPTED["rbd.csi.ceph.com"], "encryptionKMSID")))


def test_storage_class_properties() -> None:
    params = ENCRYPTED["rbd.csi.ceph.com"]
    rec = sc_preview(spec("rbd.csi.ceph.com", params, name="model-cache", reclaim_policy="Retain"))
    sc = rec.one(STORAGE_CLASS).inputs
    assert sc["metadata"] == {"name": "model-cache", "labels": LABELS}
    assert sc["provisioner"] == "rbd.csi.ceph.com"
    assert sc["parameters"] == params
    assert sc["reclaimPolicy"] == "Retain"
    assert sc["volumeBindingMode"] == "WaitForFirstConsumer"
    assert sc["allowVolumeExpansion"] is True


@pytest.mark.parametrize("provisioner", sorted(ENCRYPTED))
def test_storage_class_validates_against_upstream_schemas(provisioner: str) -> None:
    rec = sc_preview(spec(provisioner, ENCRYPTED[provisioner], reclaim_policy="Delete"))
    objects = kubernetes_objects(rec)
    assert [r.type for r in objects] == [STORAGE_CLASS]
    assert schema_errors(objects[0]) == []
