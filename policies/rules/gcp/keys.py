"""Cloud KMS keys are not destroyed hastily (gcp:kms/cryptoKey:CryptoKey).

Control: key-rotation ("encryption keys rotate and are not deleted hastily"); the rotation period itself is judged in
data_protection.py. The property is read from pulumi-gcp v10's SDK (kms/crypto_key.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from llmops_infra.policies.rules.gcp.data_protection import _duration_seconds
from llmops_infra.policies.runtime.props import shown
from llmops_infra.policies.runtime.resources import GCP_KMS_KEY, label
from llmops_infra.policies.runtime.rule import Resource, Settings, rule

# As AWS's deletion window (aws/data_protection.py kms-key-deletion-window): at least 30 days to notice and cancel.
MIN_DESTROY_SCHEDULED_DAYS = 30
MIN_DESTROY_SCHEDULED_SECONDS = MIN_DESTROY_SCHEDULED_DAYS * 24 * 3600


@rule(
    "gcp-kms-key-destroy-scheduled-duration",
    control="key-rotation",
    severity="medium",
    types=(GCP_KMS_KEY,),
    remediation="Leave destroyScheduledDuration unset (30 days) or set it to at least "
    f'"{MIN_DESTROY_SCHEDULED_SECONDS}s".',
    frameworks=("hipaa", "gdpr"),
)
def gcp_kms_key_destroy_scheduled_duration(resource: Resource, settings: Settings) -> Iterator[str]:
    """Cloud KMS key versions stay at least 30 days scheduled for destruction, so a destroy can be caught and undone."""
    # The SDK (destroyScheduledDuration): "The period of time that versions of this key spend in the
    # DESTROY_SCHEDULED state before transitioning to DESTROYED. If not specified at creation time, the default
    # duration is 30 days." A google.protobuf.Duration string, as rotationPeriod.
    value = resource.props.get("destroyScheduledDuration")
    if value is None:
        return
    seconds = _duration_seconds(value)
    if seconds is None:
        yield f'{label(resource)} destroyScheduledDuration {shown(value)} is not a duration in seconds ("2592000s")'
    elif seconds < MIN_DESTROY_SCHEDULED_SECONDS:
        yield (
            f"{label(resource)} destroyScheduledDuration {shown(value)} is shorter than "
            f"{MIN_DESTROY_SCHEDULED_DAYS} days ({MIN_DESTROY_SCHEDULED_SECONDS}s)"
        )
