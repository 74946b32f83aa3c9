"""Cloud Storage buckets for regulated data: the CMEK-encrypted data bucket and the bucket its usage logs go to.

Unlike S3, a GCS bucket carries its encryption, access, versioning, lifecycle and logging settings itself, so each
component creates one gcp.storage.Bucket with all of them set, and the IAM grants it needs beside it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pulumi
import pulumi_gcp as gcp

from llmops_infra.components.spec import BucketSpec

# Parts of never-completed uploads are invisible in listings yet still hold (possibly personal) data.
ABORT_INCOMPLETE_UPLOADS_DAYS = 7
# The SDK (BucketSoftDeletePolicy.retention_duration_seconds): default 604800 (7 days), allowed 7 to 90 days, 0 off.
# Declared: without the block the provider keeps whatever the server has (the SDK), which may be 0.
SOFT_DELETE_SECONDS = 7 * 86400

# GCS "Usage logs & storage logs" (access-logs#delivery): Cloud Storage writes the logs as this group, which needs
# roles/storage.objectCreator on the log bucket when it uses uniform bucket-level access.
LOG_WRITER = "group:cloud-storage-analytics@google.com"
LOG_WRITER_ROLE = "roles/storage.objectCreator"

# The SDK (BucketIAMMember.member): anyone on the internet, anyone with a Google account.
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")

# A GCS location: region, dual-region or multi-region (components/config/buckets.py BucketSpec.location).
LOCATION = re.compile(r"^[A-Za-z]+[A-Za-z0-9-]*$")


def _location(owner: str, location: str) -> str:
    if not LOCATION.fullmatch(location):
        raise ValueError(f"{owner}: location {location!r} is not a GCS location like 'europe-west4' or 'EUR4'")
    # The API reports locations upper-case and the provider keeps them so in state (terraform-provider-google#117);
    # sending them that way leaves nothing for a later preview to normalise (pulumi/pulumi-gcp#1780).
    return location.upper()


def _delete_noncurrent_after(days: int) -> gcp.storage.BucketLifecycleRuleArgsDict:
    # daysSinceNoncurrentTime only ever matches noncurrent versions; ARCHIVED says so explicitly.
    return {
        "action": {"type": "Delete"},
        "condition": {"days_since_noncurrent_time": days, "with_state": "ARCHIVED"},
    }


def _delete_live_after(days: int) -> gcp.storage.BucketLifecycleRuleArgsDict:
    # On a versioned bucket this makes the live object noncurrent; the noncurrent rule then removes it.
    return {"action": {"type": "Delete"}, "condition": {"age": days, "with_state": "LIVE"}}


_ABORT_INCOMPLETE_UPLOADS: gcp.storage.BucketLifecycleRuleArgsDict = {
    "action": {"type": "AbortIncompleteMultipartUpload"},
    "condition": {"age": ABORT_INCOMPLETE_UPLOADS_DAYS},
}


def _private_bucket(
    owner: pulumi.Resource,
    name: str,
    *,
    location: str,
    kms_key_id: pulumi.Input[str],
    labels: Mapping[str, str],
    lifecycle_rules: list[gcp.storage.BucketLifecycleRuleArgsDict],
    logging: gcp.storage.BucketLoggingArgsDict | None,
) -> gcp.storage.Bucket:
    """The settings every bucket here shares: CMEK, never public, IAM only, versioned, soft delete, kept."""
    return gcp.storage.Bucket(
        name,
        location=location,
        # The key's grants to the Cloud Storage service agent must exist first (CloudKmsKeys.key_id waits for them).
        encryption={"default_kms_key_name": kms_key_id},
        # IAM alone decides access: no object ACL can make an object readable by someone else.
        uniform_bucket_level_access=True,
        # The SDK: "inherited" (its default) prevents public access only under the org policy constraint.
        public_access_prevention="enforced",
        versioning={"enabled": True},
        soft_delete_policy={"retention_duration_seconds": SOFT_DELETE_SECONDS},
        lifecycle_rules=lifecycle_rules,
        logging=logging,
        labels=dict(labels),
        force_destroy=False,
        opts=pulumi.ResourceOptions(parent=owner),
    )


def grant_on_bucket(
    owner: pulumi.Resource, name: str, *, bucket: pulumi.Input[str], role: str, member: pulumi.Input[str]
) -> gcp.storage.BucketIAMMember:
    """One bucket-scoped grant; refuses the public members outright, whatever the role. A member known only at
    deployment (a service account's `member` output) names that account, so only a literal member can be public."""
    if isinstance(member, str) and (
        member.strip() in PUBLIC_MEMBERS or member.strip().startswith(tuple(f"{m}:" for m in PUBLIC_MEMBERS))
    ):
        raise ValueError(f"{name}: {member!r} is public; a bucket here never grants anything to {PUBLIC_MEMBERS}")
    return gcp.storage.BucketIAMMember(
        name, bucket=bucket, role=role, member=member, opts=pulumi.ResourceOptions(parent=owner)
    )


class _BucketComponent(pulumi.ComponentResource):
    """What both bucket components hand a stack: one bucket, named, addressed and linked the same way, so a stack
    reads a log bucket and a data bucket alike."""

    bucket: gcp.storage.Bucket
    bucket_name: pulumi.Output[str]
    url: pulumi.Output[str]
    self_link: pulumi.Output[str]

    def _publish(self, bucket_name: pulumi.Output[str]) -> None:
        self.bucket_name = bucket_name
        self.url = self.bucket.url
        self.self_link = self.bucket.self_link
        self.register_outputs({"bucket_name": self.bucket_name, "url": self.url, "self_link": self.self_link})


class AccessLogBucket(_BucketComponent):
    """The target bucket for the usage and storage logs of the platform's data buckets.

    A private, versioned Cloud Storage bucket encrypted with a customer-managed key, whose lifecycle deletes logs
    after `retention_days`, with the one grant Cloud Storage's log writer needs. Hand its `bucket_name` to
    EncryptedBucket as `log_bucket`. It does not log itself.

    Args:
        name: Component name; the bucket is auto-named from it.
        location: The bucket's GCS location (region, dual-region or multi-region; sent upper-case); ValueError if
            it is not one.
        kms_key_id: The Cloud KMS key for default encryption, in the bucket's location
            (CloudKmsKeys.key_id("storage")).
        labels: Labels of the bucket (Tagging.tags("access-logs", "internal")).
        retention_days: Days logs are kept, at least 1 (ValueError otherwise).
        opts: Resource options.

    Outputs:
        bucket: The `gcp.storage.Bucket`.
        bucket_name: Its name; it resolves only once the log writer's grant exists, so a data bucket's logging
            waits for it.
        url: Its gs:// URL.
        self_link: Its self link.

    Security:
        - Encryption at rest: CMEK (`kms_key_id`) as the default key; Cloud Storage's own service agent encrypts,
          so the log writer needs no key access.
        - No public access: public access prevention enforced; uniform bucket-level access, so IAM alone decides.
        - Least privilege: only group cloud-storage-analytics@google.com is granted, roles/storage.objectCreator
          on this bucket.
        - Retention: versioned; live logs and noncurrent versions are deleted after `retention_days`; soft delete
          keeps deleted objects 7 days; incomplete uploads are aborted after 7 days; force_destroy is off.
    """

    def __init__(
        self,
        name: str,
        *,
        location: str,
        kms_key_id: pulumi.Input[str],
        labels: Mapping[str, str],
        retention_days: int,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if retention_days < 1:
            raise ValueError(
                f"AccessLogBucket {name!r}: retention_days must be at least 1 (GCS lifecycle ages are whole days), "
                f"got {retention_days}"
            )
        gcs_location = _location(f"AccessLogBucket {name!r}", location)
        super().__init__("llmops:gcp:AccessLogBucket", name, None, opts)

        # CMEK here too, unlike the S3 twin (S3 log delivery accepts only SSE-S3 on its target): GCS encrypts every
        # new object with the bucket's default key through the project's Cloud Storage service agent ("gcloud
        # storage service-agent --authorize-cmek": it lets the agent "write and read Cloud KMS-encrypted objects in
        # buckets associated with the service agent's project"), not as the writer, so the log writer needs no
        # access to the key.
        # Logs and their noncurrent versions are kept exactly retention_days; the bucket does not log itself.
        self.bucket = _private_bucket(
            self,
            name,
            location=gcs_location,
            kms_key_id=kms_key_id,
            labels=labels,
            lifecycle_rules=[
                _delete_live_after(retention_days),
                _delete_noncurrent_after(retention_days),
                _ABORT_INCOMPLETE_UPLOADS,
            ],
            logging=None,
        )
        writer = grant_on_bucket(
            self, f"{name}-log-writer", bucket=self.bucket.name, role=LOG_WRITER_ROLE, member=LOG_WRITER
        )

        # The name carries a dependency on the writer grant (its URN is known at once, so the name stays known in
        # preview): a data bucket's logging configuration then waits until delivery is allowed.
        self._publish(pulumi.Output.all(self.bucket.name, writer.urn).apply(lambda values: values[0]))


class EncryptedBucket(_BucketComponent):
    """A private, versioned, usage-logged Cloud Storage bucket encrypted with a customer-managed Cloud KMS key.

    One `gcp.storage.Bucket` with every setting on it (a GCS bucket carries its encryption, access, versioning,
    lifecycle and logging itself). It grants nobody anything: readers get access from their own account
    (WorkloadServiceAccount).

    Args:
        name: Component name; the bucket is auto-named from it and its usage logs go under `<name>/`.
        spec: BucketSpec: noncurrent-version expiry and optional live-object expiry. Its name, purpose and
            classification are the caller's to put in `labels`, its location the caller's to pass as `location`.
        location: The bucket's GCS location (region, dual-region or multi-region; sent upper-case); ValueError if
            it is not one.
        kms_key_id: The Cloud KMS key for default encryption, in the bucket's location
            (CloudKmsKeys.key_id("storage")).
        log_bucket: Name of the bucket that receives the usage logs (AccessLogBucket.bucket_name).
        labels: Labels of the bucket: owner, purpose and data-classification (Tagging.tags).
        opts: Resource options.

    Outputs:
        bucket: The `gcp.storage.Bucket`.
        bucket_name: Its name.
        url: Its gs:// URL.
        self_link: Its self link.

    Security:
        - Encryption at rest: CMEK (`kms_key_id`) as the default key.
        - No public access: public access prevention enforced; uniform bucket-level access (no object ACLs).
        - Audit logging: usage logs to `log_bucket`.
        - Data lifecycle: versioned; noncurrent versions deleted after `spec.noncurrent_version_expiration_days`,
          live objects after `spec.expiration_days` when set; soft delete keeps deleted objects 7 days;
          incomplete uploads are aborted after 7 days; force_destroy is off.
    """

    def __init__(
        self,
        name: str,
        spec: BucketSpec,
        *,
        location: str,
        kms_key_id: pulumi.Input[str],
        log_bucket: pulumi.Input[str],
        labels: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        gcs_location = _location(f"EncryptedBucket {name!r}", location)
        super().__init__("llmops:gcp:EncryptedBucket", name, None, opts)

        rules = [_delete_noncurrent_after(spec.noncurrent_version_expiration_days)]
        if spec.expiration_days is not None:
            rules.append(_delete_live_after(spec.expiration_days))
        rules.append(_ABORT_INCOMPLETE_UPLOADS)

        self.bucket = _private_bucket(
            self,
            name,
            location=gcs_location,
            kms_key_id=kms_key_id,
            labels=labels,
            lifecycle_rules=rules,
            logging={"log_bucket": log_bucket, "log_object_prefix": f"{name}/"},
        )
        self._publish(self.bucket.name)
