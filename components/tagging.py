"""Tags that make every resource answer "whose, what for, and what data" (records of processing, GDPR Art. 30).

The policy packs read these keys; components stamp them on everything they create.
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
    owner: str
    classification: str
    extra: Mapping[str, str] = field(default_factory=dict)

    def tags(self, purpose: str, classification: str | None = None) -> dict[str, str]:
        """Tags for one resource; a resource's own classification (a bucket's) overrides the platform's."""
        return {
            **self.extra,
            OWNER: self.owner,
            PURPOSE: purpose,
            CLASSIFICATION: classification or self.classification,
            MANAGED_BY: "llmops-infra",
        }


# Placement: a node carries `llmops.dev/allow-<class>: "true"` for each data class whose workloads may run on it;
# the admission policy (components/k8s/placement.py) admits pods of these classes only onto such nodes.
ALLOW_LABEL_PREFIX = "llmops.dev/allow-"
SENSITIVE_CLASSES = ("phi", "personal")


def allow_label(classification: str) -> str:
    """The node label that admits workloads of `classification` (value "true"): llmops.dev/allow-phi, ..."""
    return f"{ALLOW_LABEL_PREFIX}{classification}"


def placement_labels(classes: Iterable[str]) -> dict[str, str]:
    return {allow_label(c): "true" for c in classes}
