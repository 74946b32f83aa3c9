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


# Node labels every accelerator pool carries, in the cloud and on bare metal, so that a workload selects a pool
# the same way anywhere.
LABEL_PREFIX = "llmops.dev"
POOL_LABEL = f"{LABEL_PREFIX}/pool"
ROLE_LABEL = f"{LABEL_PREFIX}/role"
ACCELERATOR_LABEL = f"{LABEL_PREFIX}/accelerator"
ACCELERATOR_COUNT_LABEL = f"{LABEL_PREFIX}/accelerator-count"

# Placement: a node carries `llmops.dev/allow-<class>: "true"` for each data class whose workloads may run on it;
# the admission policy (components/k8s/placement.py) admits pods of these classes only onto such nodes.
ALLOW_LABEL_PREFIX = f"{LABEL_PREFIX}/allow-"
SENSITIVE_CLASSES = ("phi", "personal")


def allow_label(classification: str) -> str:
    """The node label that admits workloads of `classification` (value "true"): llmops.dev/allow-phi, ..."""
    return f"{ALLOW_LABEL_PREFIX}{classification}"


def placement_labels(classes: Iterable[str]) -> dict[str, str]:
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
