"""The model cache's StorageClass, refused unless its parameters turn the CSI driver's encryption on.

Encryption is a parameter of each CSI driver, spelled differently by each, so it is kept as DATA: one row per
driver with the parameters that switch encryption on, each from the driver's own documentation. The config rules
(components/config/onprem.py) call `encryption_problems` so a config is refused before preview; the
component raises ValueError on the same problems so a StorageClass built in code cannot skip them.

A provisioner with no row is accepted only if its parameters carry one of the known switches set on
(`encrypted: "true"` or `secure: "true"`) or a known key-reference parameter with a value: a weak signal (a driver
may ignore a parameter it does not know), which is why the message asks for a row to be added for it.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_kubernetes as k8s

from llmops_infra.components.config.onprem import encryption_problems
from llmops_infra.components.spec import StorageClassSpec


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
