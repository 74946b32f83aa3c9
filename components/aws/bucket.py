"""S3 buckets for regulated data: the encrypted data bucket and the bucket its server access logs go to.

In pulumi-aws v7 a bucket's settings are separate resources (encryption, public access block, ownership,
versioning, logging, lifecycle, policy); each component creates the full set, so that no bucket it makes is
ever missing one of them, and parents them to itself so a reader sees them as one thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from llmops_infra.components.spec import BucketSpec

# Parts of never-completed uploads are invisible in listings yet still hold (possibly personal) data.
ABORT_INCOMPLETE_UPLOADS_DAYS = 7


def _deny_insecure_transport(arn: pulumi.Output[str]) -> dict[str, Any]:
    """The statement that refuses every request not made over TLS, to the bucket and to its objects."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, arn.apply(lambda a: f"{a}/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def _private_settings(
    owner: pulumi.Resource, name: str, bucket: aws.s3.Bucket
) -> tuple[aws.s3.BucketPublicAccessBlock, aws.s3.BucketOwnershipControls, aws.s3.BucketVersioning]:
    """The settings every bucket here shares: never public, ACLs off, versioned."""
    child = pulumi.ResourceOptions(parent=owner)
    public_access_block = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access-block",
        bucket=bucket.bucket,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    # BucketOwnerEnforced disables ACLs, so access is decided by policies alone and no object can be made
    # readable by an ACL its writer attached.
    ownership = aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.bucket,
        rule={"object_ownership": "BucketOwnerEnforced"},
        opts=child,
    )
    versioning = aws.s3.BucketVersioning(
        f"{name}-versioning",
        bucket=bucket.bucket,
        versioning_configuration={"status": "Enabled"},
        opts=child,
    )
    return public_access_block, ownership, versioning


class AccessLogBucket(pulumi.ComponentResource):
    """The target bucket for the S3 server access logs of the platform's data buckets.

    A private, versioned S3 bucket whose lifecycle deletes logs, and their noncurrent versions, after
    `retention_days`, and whose bucket policy lets the S3 logging service of this account deliver to it. Hand its
    `bucket_name` to EncryptedBucket as `log_bucket`.

    Args:
        name: Component name; the bucket is auto-named from it.
        tags: Tags of the bucket. Tag it `purpose: access-logs` (Tagging.tags("access-logs", "internal")): the
            packs then accept its SSE-S3 encryption and do not ask it to log itself.
        retention_days: Days logs are kept, at least 1 (ValueError otherwise).
        opts: Resource options.

    Outputs:
        bucket: The `aws.s3.Bucket`.
        bucket_name: Its name; it resolves only once the delivery policy exists, so a data bucket's logging waits
            for it.
        arn: Its ARN.

    Security:
        - Encryption at rest: SSE-S3 (AES256) default encryption, the only default encryption S3 server access
          log delivery supports on a target bucket (SSE-KMS is not).
        - No public access: all four public access block settings on; object ownership BucketOwnerEnforced, so
          ACLs are off and policies alone decide access.
        - Encryption in transit: the bucket policy denies every request not made over TLS.
        - Least privilege: delivery is granted to logging.s3.amazonaws.com for s3:PutObject only, and only on
          behalf of this account (aws:SourceAccount).
        - Retention: versioned; current and noncurrent versions expire after `retention_days`; incomplete uploads
          are aborted after 7 days; force_destroy is off.
    """

    bucket: aws.s3.Bucket
    bucket_name: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        tags: Mapping[str, str],
        retention_days: int,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if retention_days < 1:
            raise ValueError(
                f"retention_days must be at least 1 (S3 lifecycle days are positive), got {retention_days}"
            )
        super().__init__("llmops:aws:AccessLogBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        # No object lock: the target of server access logs must not have a default retention period.
        self.bucket = aws.s3.Bucket(name, force_destroy=False, tags=dict(tags), opts=child)

        # SSE-S3 (AES256), not SSE-KMS: the Amazon S3 User Guide ("Enabling Amazon S3 server access logging")
        # states that default encryption on the target bucket may only be SSE-S3, and that SSE-KMS default
        # encryption is not supported for server access log delivery.
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-sse",
            bucket=self.bucket.bucket,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=child,
        )
        public_access_block, _, versioning = _private_settings(self, name, self.bucket)

        # Noncurrent versions are kept as long as current ones, so a log that was overwritten or deleted stays
        # available for the whole retention period.
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.bucket,
            rules=[
                {
                    "id": "log-retention",
                    "status": "Enabled",
                    "filter": {},
                    "expiration": {"days": retention_days},
                    "noncurrent_version_expiration": {"noncurrent_days": retention_days},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_INCOMPLETE_UPLOADS_DAYS},
                }
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )

        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).apply(
            lambda identity: identity.account_id
        )
        # Log delivery is granted by policy (BucketOwnerEnforced disables ACLs); aws:SourceAccount keeps the
        # logging service from writing here on behalf of buckets in any other account (confused deputy).
        policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=self.bucket.bucket,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        _deny_insecure_transport(self.bucket.arn),
                        {
                            "Sid": "AllowServerAccessLogDelivery",
                            "Effect": "Allow",
                            "Principal": {"Service": "logging.s3.amazonaws.com"},
                            "Action": "s3:PutObject",
                            "Resource": self.bucket.arn.apply(lambda a: f"{a}/*"),
                            "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                        },
                    ],
                }
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access_block]),
        )

        self.arn = self.bucket.arn
        # The name carries a dependency on the delivery policy (its URN is known at once, so the name stays
        # known in preview): a source bucket's logging configuration then waits until delivery is allowed.
        self.bucket_name = pulumi.Output.all(self.bucket.bucket, policy.urn).apply(lambda values: values[0])
        self.register_outputs({"bucket_name": self.bucket_name, "arn": self.arn})


class EncryptedBucket(pulumi.ComponentResource):
    """A private, versioned, access-logged S3 bucket encrypted with a customer-managed KMS key.

    Creates the bucket and every setting pulumi-aws v7 keeps as a separate resource (encryption, public access
    block, ownership controls, versioning, policy, logging, lifecycle), all parented to the component, so no bucket
    it makes is ever missing one of them.

    Args:
        name: Component name; the bucket is auto-named from it and its access logs go under `<name>/`.
        spec: BucketSpec: noncurrent-version expiry and optional current-object expiry. Its name, purpose and
            classification are the caller's to put in `tags`; `location` does not apply to S3.
        kms_key_arn: ARN of the customer-managed KMS key for default encryption (KmsKeys.arn("storage")).
        log_bucket: Name of the bucket that receives the server access logs (AccessLogBucket.bucket_name).
        tags: Tags of the bucket: owner, purpose and data-classification (Tagging.tags).
        opts: Resource options.

    Outputs:
        bucket: The `aws.s3.Bucket`.
        bucket_name: Its name.
        arn: Its ARN.

    Security:
        - Encryption at rest: default SSE-KMS with `kms_key_arn`, and an S3 Bucket Key (one data key per bucket).
        - No public access: all four public access block settings on; object ownership BucketOwnerEnforced (ACLs
          off).
        - Encryption in transit: the bucket policy denies every request not made over TLS.
        - Audit logging: server access logs to `log_bucket`.
        - Data lifecycle: versioned; noncurrent versions expire after `spec.noncurrent_version_expiration_days`,
          current objects after `spec.expiration_days` when set; incomplete uploads are aborted after 7 days;
          force_destroy is off. The bucket grants no access to anyone: readers get it from their own role
          (WorkloadRole).
    """

    bucket: aws.s3.Bucket
    bucket_name: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        spec: BucketSpec,
        *,
        kms_key_arn: pulumi.Input[str],
        log_bucket: pulumi.Input[str],
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llmops:aws:EncryptedBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.bucket = aws.s3.Bucket(name, force_destroy=False, tags=dict(tags), opts=child)

        # The bucket key makes S3 ask KMS for a data key per bucket rather than per object: fewer KMS calls
        # (cost, throttling) with the same customer-managed key.
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-sse",
            bucket=self.bucket.bucket,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": kms_key_arn,
                    },
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        public_access_block, _, versioning = _private_settings(self, name, self.bucket)

        # A policy put while the public access block is still being applied can race it; ordering them keeps
        # an apply deterministic.
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=self.bucket.bucket,
            policy=pulumi.Output.json_dumps(
                {"Version": "2012-10-17", "Statement": [_deny_insecure_transport(self.bucket.arn)]}
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access_block]),
        )

        aws.s3.BucketLogging(
            f"{name}-logging",
            bucket=self.bucket.bucket,
            target_bucket=log_bucket,
            target_prefix=f"{name}/",
            opts=child,
        )

        rule: aws.s3.BucketLifecycleConfigurationRuleArgsDict = {
            "id": "retention",
            "status": "Enabled",
            "filter": {},
            "noncurrent_version_expiration": {"noncurrent_days": spec.noncurrent_version_expiration_days},
            "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_INCOMPLETE_UPLOADS_DAYS},
        }
        if spec.expiration_days is not None:
            rule["expiration"] = {"days": spec.expiration_days}
        # Noncurrent-version rules only take effect on a versioned bucket, so versioning goes first.
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.bucket,
            rules=[rule],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )

        self.bucket_name = self.bucket.bucket
        self.arn = self.bucket.arn
        self.register_outputs({"bucket_name": self.bucket_name, "arn": self.arn})
