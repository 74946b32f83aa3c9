"""Reusable Pulumi components for GPU and TPU platforms, and the tags that make them compliant.

The components live in the subpackages, each exporting them with the spec types that build them:
`llmops_infra.components.aws`, `llmops_infra.components.gcp` and `llmops_infra.components.k8s`; the environment
spec is `llmops_infra.components.spec`. Reference: docs/components.md; the tagging contract: docs/tagging.md.

Kept light on purpose: this package exports only the tagging helper, which needs no cloud SDK and no pydantic.
"""

from llmops_infra.components.tagging import CLASSIFICATION, MANAGED_BY, OWNER, PURPOSE, Tagging

__all__ = ["CLASSIFICATION", "MANAGED_BY", "OWNER", "PURPOSE", "Tagging"]
