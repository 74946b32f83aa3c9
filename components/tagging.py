"""Tags that make every resource answer "whose, what for, and what data" (records of processing, GDPR Art. 30).

The policy packs read these keys; components stamp them on everything they create, and `Tagging` gives the same
tags for a user's own resources (docs/tagging.md: which rules read which key, on which resource types). The node
labels every accelerator pool carries, and the placement labels, are defined here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

OWNER = "owner"
PURPOSE = "purpose"
CLASSIFICATION = "data-classification"
MANAGED_BY = "managed-by"


@dataclass(frozen=True)
class Tagging:
    """The records-of-processing tags of one platform: whose a resource is, what for, and what data it holds.

    `tags(purpose)` returns the tag map (AWS `tags`, GCP `labels`) that the HIPAA and GDPR packs'
    records-of-processing rules require: `owner`, `purpose`, `data-classification`, plus `managed-by:
    llmops-infra`, over the `extra` tags (which cannot replace those four). The components tag everything they
    create with it; tag your own resources with it too. For Kubernetes objects,
    `llmops_infra.components.k8s.record_labels(tagging, purpose)` gives the same map as valid labels.

    Tagging checks nothing itself: the classification must be one of phi, personal, internal and public
    (lowercase), and owner and purpose must not be blank, or data-store-records-of-processing fails; on GCP every
    key and value must also be a valid label (lowercase letters, digits, `_` and `-`). docs/tagging.md lists the
    rules that read each key.

    Example:
        >>> tagging = Tagging(owner="ml-platform", classification="personal", extra={"environment": "prod"})
        >>> tags = tagging.tags("datasets")
        >>> tags["owner"], tags["purpose"], tags["data-classification"], tags["managed-by"], tags["environment"]
        ('ml-platform', 'datasets', 'personal', 'llmops-infra', 'prod')
        >>> tagging.tags("checkpoints", "phi")["data-classification"]  # a resource's own class wins
        'phi'
        >>> import pulumi_aws as aws
        >>> aws.s3.Bucket("feature-store", tags=tagging.tags("datasets"))  # doctest: +SKIP
    """

    owner: str = field(metadata={"description": "The `owner` tag: the team accountable for the resources."})
    classification: str = field(
        metadata={
            "description": "The default `data-classification` tag: phi, personal, internal or public "
            "(PlatformSpec.data_classification)."
        }
    )
    extra: Mapping[str, str] = field(
        default_factory=dict,
        metadata={"description": "Further tags on every resource (PlatformSpec.tags); they cannot replace the four."},
    )

    def tags(self, purpose: str, classification: str | None = None) -> dict[str, str]:
        """Tags for one resource; a resource's own classification (a bucket's) overrides the platform's."""
        return {
            **self.extra,
            OWNER: self.owner,
            PURPOSE: purpose,
            CLASSIFICATION: classification or self.classification,
            MANAGED_BY: "llmops-infra",
        }


# Node labels every accelerator pool carries, in the cloud and on bare metal, so that a workload selects a pool
# the same way anywhere.
LABEL_PREFIX = "llmops.dev"
POOL_LABEL = f"{LABEL_PREFIX}/pool"
ROLE_LABEL = f"{LABEL_PREFIX}/role"
ACCELERATOR_LABEL = f"{LABEL_PREFIX}/accelerator"
ACCELERATOR_COUNT_LABEL = f"{LABEL_PREFIX}/accelerator-count"
# On EKS node groups with EFA interfaces (value "true"): where the EFA device plugin runs.
EFA_LABEL = f"{LABEL_PREFIX}/efa"

# Placement: a node carries `llmops.dev/allow-<class>: "true"` for each data class whose workloads may run on it;
# the admission policy (components/k8s/placement.py) admits pods of these classes only onto such nodes.
ALLOW_LABEL_PREFIX = f"{LABEL_PREFIX}/allow-"
SENSITIVE_CLASSES = ("phi", "personal")


def allow_label(classification: str) -> str:
    """The node label that admits workloads of `classification` (value "true"): llmops.dev/allow-phi, ..."""
    return f"{ALLOW_LABEL_PREFIX}{classification}"


def placement_labels(classes: Iterable[str]) -> dict[str, str]:
    """The node labels that admit workloads of each of `classes`: `{llmops.dev/allow-<class>: "true"}`."""
    return {allow_label(c): "true" for c in classes}


def pool_labels(
    role: str,
    pool: str | None = None,
    *,
    accelerator: str | None = None,
    count: int | None = None,
    allowed: Iterable[str] = (),
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """A pool's node labels: the spec's own (`extra`), then ours, which win so that selectors on them can be trusted."""
    ours = {ROLE_LABEL: role, POOL_LABEL: pool, ACCELERATOR_LABEL: accelerator, ACCELERATOR_COUNT_LABEL: count}
    return {
        **(extra or {}),
        **{key: str(value) for key, value in ours.items() if value is not None},
        **placement_labels(allowed),
    }
