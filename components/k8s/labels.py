"""Records-of-processing labels for Kubernetes objects: the platform's tags, as valid label keys and values."""

from __future__ import annotations

import re

from llmops_infra.components.tagging import Tagging

# Label names and values (Kubernetes "Labels and Selectors"): a value is at most 63 characters of [A-Za-z0-9_.-],
# beginning and ending with an alphanumeric; a key is an optional DNS-subdomain prefix and "/" plus such a name.
_LABEL_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_LABEL_KEY = re.compile(rf"^([a-z0-9]([-a-z0-9.]{{0,251}}[a-z0-9])?/)?{_LABEL_NAME}$")


def label_value(text: str) -> str:
    """`text` as a label value: runs of other characters as one dash, at most 63, alphanumeric at both ends."""
    value = re.sub(r"[^A-Za-z0-9._-]+", "-", text)[:63]
    return re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", value)


def record_labels(tagging: Tagging, purpose: str, classification: str | None = None) -> dict[str, str]:
    """The records-of-processing tags (owner, purpose, data-classification, ...) as Kubernetes labels.

    Tags whose key cannot be a label key are left out (labels are where selectors look, a bad key would be rejected
    by the API server); owner, purpose and data-classification always are valid keys.
    """
    tags = tagging.tags(purpose, classification)
    return {key: label_value(value) for key, value in tags.items() if _LABEL_KEY.match(key)}
