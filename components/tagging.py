"""Tags that make every resource answer "whose, what for, and what data" (records of processing, GDPR Art. 30).

The policy packs read these keys; components stamp them on everything they create.
"""

from __future__ import annotations

from collections.abc import Mapping
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
