"""AWS data protection rules: encryption at rest and in transit, key rotation, S3 lifecycle and backup.

In pulumi-aws v7 a bucket's encryption, policy, versioning, lifecycle and replication are separate resources,
so the S3 rules here are stack rules that find each bucket's companions by the companion's `bucket` input.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

from llmops_infra.policies.runtime.iam_policy import PolicyDocumentError, policy_statements
from llmops_infra.policies.runtime.props import is_false, is_true, items, mapping, shown, strings
from llmops_infra.policies.runtime.resources import (
    ACCESS_LOGS_PURPOSE,
    BUCKET,
    BUCKET_POLICY,
    LIFECYCLE,
    LISTENERS,
    PERSONAL_CLASSES,
    PURPOSE_TAG,
    REPLICATION,
    SSE_CONFIG,
    VERSIONING,
    bucket_companions,
    bucket_name,
    classification,
    label,
    tag,
)
from llmops_infra.policies.runtime.rule import NotApplicable, Resource, Settings, rule
from llmops_infra.policies.runtime.stack import Stack

KMS_SSE_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
TLS_LISTENER_PROTOCOLS = ("HTTPS", "TLS")
# AWS accepts a deletion window of 7-30 days and defaults to 30; anything shorter than the default leaves too
# little time to notice a mistaken or malicious deletion before every object encrypted under the key is lost.
MIN_KEY_DELETION_WINDOW_DAYS = 30


def _is_customer_key(value: Any) -> bool:
    """A KMS key reference that is not an AWS-managed key (those are `alias/aws/<service>`)."""
    return isinstance(value, str) and bool(value.strip()) and not re.search(r"(^|:)alias/aws/", value)


def _versioned(bucket: Resource, stack: Stack) -> bool:
    return any(
        mapping(v.props.get("versioningConfiguration")).get("status") == "Enabled"
        for v in bucket_companions(stack, bucket, VERSIONING)
    )


# --- encryption-at-rest --------------------------------------------------------------------------------------------


def _sse_problem(config: Resource, access_logs: bool) -> str | None:
    """What is wrong with one encryption configuration, or None."""
    rules = items(config.props.get("rules"))
    if not rules:
        return "has no rules"
    for sse_rule in rules:
        default = mapping(mapping(sse_rule).get("applyServerSideEncryptionByDefault"))
        algorithm = default.get("sseAlgorithm")
        # S3 server access log delivery does not support SSE-KMS default encryption on the target bucket, so a
        # bucket that exists to receive access logs may use SSE-S3 (AES256) instead.
        if access_logs and algorithm == "AES256":
            continue
        if algorithm not in KMS_SSE_ALGORITHMS:
            return f"uses sseAlgorithm {shown(algorithm)}, not aws:kms"
        if not _is_customer_key(default.get("kmsMasterKeyId")):
            return "has no customer-managed kmsMasterKeyId"
        # S3 Bucket Keys are not supported with DSSE-KMS, so only plain SSE-KMS must turn them on.
        if algorithm == "aws:kms" and mapping(sse_rule).get("bucketKeyEnabled") is not True:
            return "does not set bucketKeyEnabled true"
    return None


@rule(
    "s3-bucket-kms-encrypted",
    control="encryption-at-rest",
    severity="high",
    types=BUCKET + SSE_CONFIG,
    remediation="Add a BucketServerSideEncryptionConfiguration with sseAlgorithm aws:kms, a customer-managed "
    "kmsMasterKeyId and bucketKeyEnabled true.",
    scope="stack",
    subjects=BUCKET,
    frameworks=("hipaa", "gdpr"),
)
def s3_bucket_kms_encrypted(bucket: Resource, stack: Stack, settings: Settings) -> Iterator[str]:
    """Every S3 bucket has a default SSE-KMS encryption configuration with a customer-managed key and bucket key."""
    name = bucket_name(bucket)
    found = bucket_companions(stack, bucket, SSE_CONFIG)
    if not found:
        yield f"S3 bucket {name} has no server-side encryption configuration with aws:kms"
    access_logs = tag(bucket, PURPOSE_TAG) == ACCESS_LOGS_PURPOSE
    for config in found:
        problem = _sse_problem(config, access_logs)
        if problem:
            yield f"S3 bucket {name}: server-side encryption configuration {config.name} {problem}"


@rule(
    "ebs-volume-kms-encrypted",
    control="encryption-at-rest",
    severity="high",
    types=("aws:ebs/volume:Volume",),
    remediation="Set encrypted true and kmsKeyId to a customer-managed KMS key.",
    frameworks=("hipaa", "gdpr"),
)
def ebs_volume_kms_encrypted(resource: Resource, settings: Settings) -> Iterator[str]:
    """EBS volumes are encrypted with a customer-managed KMS key."""
    return _encrypted_with_customer_key(resource)


def _encrypted_with_customer_key(resource: Resource) -> Iterator[str]:
    # EBS volumes and EFS file systems spell encryption the same way: `encrypted` and `kmsKeyId`.
    if resource.props.get("encrypted") is not True:
        yield f"{label(resource)} is not encrypted (encrypted is not true)"
    if not _is_customer_key(resource.props.get("kmsKeyId")):
        yield f"{label(resource)} has no customer-managed kmsKeyId"


@rule(
    "launch-template-ebs-kms-encrypted",
    control="encryption-at-rest",
    severity="high",
    types=("aws:ec2/launchTemplate:LaunchTemplate",),
    remediation='Set ebs.encrypted "true" and ebs.kmsKeyId to a customer-managed key on every block device mapping.',
    frameworks=("hipaa", "gdpr"),
)
def launch_template_ebs_kms_encrypted(resource: Resource, settings: Settings) -> Iterator[str]:
    """Every EBS block device of a launch template is encrypted with a customer-managed KMS key."""
    for index, device in enumerate(items(resource.props.get("blockDeviceMappings"))):
        ebs = mapping(device).get("ebs")
        if ebs is None:
            continue  # instance-store or suppressed devices carry no EBS volume
        device_name = mapping(device).get("deviceName") or f"#{index}"
        ebs = mapping(ebs)
        if not is_true(ebs.get("encrypted")):
            yield f"Launch template {resource.name} block device {device_name} is not encrypted (ebs.encrypted)"
        if not _is_customer_key(ebs.get("kmsKeyId")):
            yield f"Launch template {resource.name} block device {device_name} has no customer-managed ebs.kmsKeyId"


@rule(
    "efs-file-system-kms-encrypted",
    control="encryption-at-rest",
    severity="high",
    types=("aws:efs/fileSystem:FileSystem",),
    remediation="Set encrypted true and kmsKeyId to a customer-managed KMS key.",
    frameworks=("hipaa", "gdpr"),
)
def efs_file_system_kms_encrypted(resource: Resource, settings: Settings) -> Iterator[str]:
    """EFS file systems are encrypted with a customer-managed KMS key."""
    return _encrypted_with_customer_key(resource)


@rule(
    "eks-secrets-kms-encrypted",
    control="encryption-at-rest",
    severity="high",
    types=("aws:eks/cluster:Cluster",),
    remediation='Set encryptionConfig with provider.keyArn of a customer-managed KMS key and resources ["secrets"].',
    frameworks=("hipaa", "gdpr"),
)
def eks_secrets_kms_encrypted(resource: Resource, settings: Settings) -> Iterator[str]:
    """EKS clusters envelope-encrypt Kubernetes secrets with a customer-managed KMS key."""
    config = resource.props.get("encryptionConfig")
    if not isinstance(config, Mapping):
        yield f"EKS cluster {resource.name} has no encryptionConfig for secrets"
        return
    if not _is_customer_key(mapping(config.get("provider")).get("keyArn")):
        yield f"EKS cluster {resource.name} encryptionConfig has no customer-managed provider.keyArn"
    if "secrets" not in strings(config.get("resources")):
        yield f"EKS cluster {resource.name} encryptionConfig.resources does not include secrets"


@rule(
    "cloudwatch-log-group-kms-encrypted",
    control="encryption-at-rest",
    severity="medium",
    types=("aws:cloudwatch/logGroup:LogGroup",),
    remediation="Set kmsKeyId to the ARN of a customer-managed KMS key.",
    frameworks=("hipaa", "gdpr"),
)
def cloudwatch_log_group_kms_encrypted(resource: Resource, settings: Settings) -> Iterator[str]:
    """CloudWatch log groups are encrypted with a customer-managed KMS key."""
    if not _is_customer_key(resource.props.get("kmsKeyId")):
        yield f"CloudWatch log group {resource.name} has no customer-managed kmsKeyId"


# --- key-rotation --------------------------------------------------------------------------------------------------


@rule(
    "kms-key-rotation-enabled",
    control="key-rotation",
    severity="medium",
    types=("aws:kms/key:Key",),
    remediation="Set enableKeyRotation true.",
    frameworks=("hipaa", "gdpr"),
)
def kms_key_rotation_enabled(resource: Resource, settings: Settings) -> Iterator[str]:
    """Symmetric KMS keys rotate automatically."""
    spec = resource.props.get("customerMasterKeySpec")
    # AWS rotates only symmetric encryption keys; asymmetric and HMAC keys cannot enable rotation.
    if spec not in (None, "SYMMETRIC_DEFAULT"):
        return
    if resource.props.get("enableKeyRotation") is not True:
        yield f"KMS key {resource.name} does not set enableKeyRotation true"


@rule(
    "kms-key-deletion-window",
    control="key-rotation",
    severity="medium",
    types=("aws:kms/key:Key",),
    remediation=f"Leave deletionWindowInDays unset (30) or set it to at least {MIN_KEY_DELETION_WINDOW_DAYS}.",
    frameworks=("hipaa", "gdpr"),
)
def kms_key_deletion_window(resource: Resource, settings: Settings) -> Iterator[str]:
    """KMS keys keep the full deletion waiting period, so a scheduled deletion can be caught and cancelled."""
    days = resource.props.get("deletionWindowInDays")
    if days is None:
        return
    if isinstance(days, bool) or not isinstance(days, int | float):
        yield f"KMS key {resource.name} deletionWindowInDays {shown(days)} is not a number of days"
    elif days < MIN_KEY_DELETION_WINDOW_DAYS:
        minimum = MIN_KEY_DELETION_WINDOW_DAYS
        yield f"KMS key {resource.name} deletionWindowInDays is {shown(days)}, under {minimum} days"


# --- encryption-in-transit -----------------------------------------------------------------------------------------


def _covers(patterns: Sequence[str], target: str) -> bool:
    """Whether an IAM Resource pattern covers the S3 path (`bucket` or `bucket/*`), in any partition."""
    for pattern in patterns:
        if pattern == "*":
            return True
        _, found, path = pattern.partition(":s3:::")
        # Matching the literal "bucket/*" against the pattern accepts only patterns that cover every object.
        if found and fnmatchcase(target, path):
            return True
    return False


def _denies_insecure_transport(statement: Any, name: str) -> bool:
    statement = mapping(statement)
    if statement.get("Effect") != "Deny":
        return False
    principal = statement.get("Principal")
    if principal != "*" and "*" not in strings(mapping(principal).get("AWS")):
        return False
    if not {"*", "s3:*"} & set(strings(statement.get("Action"))):
        return False
    resources = strings(statement.get("Resource"))
    if not (_covers(resources, name) and _covers(resources, f"{name}/*")):
        return False
    condition = mapping(mapping(statement.get("Condition")).get("Bool"))
    # IAM condition keys are case-insensitive.
    values = [v for k, v in condition.items() if k.lower() == "aws:securetransport"]
    return any(is_false(v) or any(is_false(x) for x in items(v)) for v in values)


@rule(
    "s3-bucket-denies-insecure-transport",
    control="encryption-in-transit",
    severity="high",
    types=(*BUCKET, BUCKET_POLICY),
    remediation="Add a BucketPolicy statement: Effect Deny, Principal *, Action s3:*, Resource the bucket ARN and "
    "ARN/*, Condition Bool aws:SecureTransport false.",
    scope="stack",
    subjects=BUCKET,
    frameworks=("hipaa", "gdpr"),
)
def s3_bucket_denies_insecure_transport(bucket: Resource, stack: Stack, settings: Settings) -> Iterator[str]:
    """Every S3 bucket's policy denies requests not made over TLS (aws:SecureTransport false)."""
    name = bucket_name(bucket)
    found = bucket_companions(stack, bucket, (BUCKET_POLICY,))
    if not found:
        yield f"S3 bucket {name} has no bucket policy denying requests without aws:SecureTransport"
    elif not any(_denies_insecure_transport(s, _physical_name(p, name)) for p in found for s in _statements(p)):
        yield (
            f"S3 bucket {name}: bucket policy {', '.join(p.name for p in found)} has no Deny statement on s3:* "
            f"for every principal with Condition Bool aws:SecureTransport false covering the bucket and objects"
        )


def _physical_name(policy: Resource, fallback: str) -> str:
    # The policy's `bucket` input is the bucket's real name (auto-named buckets get a random suffix), and that
    # is what its statements' ARNs name.
    name = policy.props.get("bucket")
    return name if isinstance(name, str) and name else fallback


def _statements(policy: Resource) -> list[Mapping[str, Any]]:
    # An unreadable document denies nothing, so it fails this rule through "no Deny statement".
    try:
        return policy_statements(policy.props.get("policy"))
    except PolicyDocumentError:
        return []


def _redirects_to_https(action: Any) -> bool:
    action = mapping(action)
    protocol = mapping(action.get("redirect")).get("protocol")
    return action.get("type") == "redirect" and isinstance(protocol, str) and protocol.upper() == "HTTPS"


@rule(
    "lb-listener-tls",
    control="encryption-in-transit",
    severity="high",
    types=LISTENERS,
    remediation="Use protocol HTTPS (ALB) or TLS (NLB), or make an HTTP listener only redirect to HTTPS.",
    frameworks=("hipaa", "gdpr"),
)
def lb_listener_tls(resource: Resource, settings: Settings) -> Iterator[str]:
    """Load balancer listeners accept only TLS, or only redirect plain HTTP to HTTPS."""
    protocol = resource.props.get("protocol")
    # An ALB listener without a protocol listens on HTTP, the API's default.
    protocol = protocol.upper() if isinstance(protocol, str) else "HTTP"
    if protocol in TLS_LISTENER_PROTOCOLS:
        return
    actions = items(resource.props.get("defaultActions"))
    if protocol != "HTTP":
        yield f"Load balancer listener {resource.name} protocol {protocol} is not HTTPS or TLS"
    elif not actions or not all(_redirects_to_https(a) for a in actions):
        yield f"Load balancer listener {resource.name} uses HTTP and its defaultActions do not all redirect to HTTPS"


# --- data-lifecycle and backup -------------------------------------------------------------------------------------


@rule(
    "s3-bucket-versioning-enabled",
    control="data-lifecycle",
    severity="medium",
    types=BUCKET + VERSIONING,
    remediation="Add a BucketVersioning with versioningConfiguration.status Enabled.",
    scope="stack",
    subjects=BUCKET,
    frameworks=("hipaa", "gdpr"),
)
def s3_bucket_versioning_enabled(bucket: Resource, stack: Stack, settings: Settings) -> Iterator[str]:
    """S3 buckets classified phi or personal are versioned."""
    if classification(bucket) in PERSONAL_CLASSES and not _versioned(bucket, stack):
        yield f"S3 bucket {bucket_name(bucket)} has no BucketVersioning with status Enabled"


def _expires(lifecycle_rule: Any) -> bool:
    lifecycle_rule = mapping(lifecycle_rule)
    if lifecycle_rule.get("status") != "Enabled":
        return False
    expiration = mapping(lifecycle_rule.get("expiration"))
    noncurrent = mapping(lifecycle_rule.get("noncurrentVersionExpiration"))
    # expiredObjectDeleteMarker alone removes markers, not data, so it declares no retention.
    return bool(expiration.get("days") or expiration.get("date") or noncurrent.get("noncurrentDays"))


@rule(
    "s3-bucket-lifecycle-expiry",
    control="data-lifecycle",
    severity="medium",
    types=BUCKET + LIFECYCLE,
    remediation="Add a BucketLifecycleConfiguration with an Enabled rule that sets expiration or "
    "noncurrentVersionExpiration to the declared retention.",
    scope="stack",
    subjects=BUCKET,
    frameworks=("hipaa", "gdpr"),
)
def s3_bucket_lifecycle_expiry(bucket: Resource, stack: Stack, settings: Settings) -> Iterator[str]:
    """S3 buckets classified phi or personal expire objects or noncurrent versions after a declared retention."""
    if (kind := classification(bucket)) not in PERSONAL_CLASSES:
        raise NotApplicable(f"classified {kind}, not phi or personal" if kind else "not classified phi or personal")
    rules = [r for lc in bucket_companions(stack, bucket, LIFECYCLE) for r in items(lc.props.get("rules"))]
    if not any(_expires(r) for r in rules):
        yield (
            f"S3 bucket {bucket_name(bucket)} has no Enabled lifecycle rule with expiration or "
            "noncurrentVersionExpiration"
        )


@rule(
    "s3-phi-bucket-recoverable",
    control="backup",
    severity="high",
    types=(*BUCKET, *VERSIONING, REPLICATION),
    remediation="Enable versioning (BucketVersioning status Enabled) or add a BucketReplicationConfig with an "
    "Enabled rule.",
    scope="stack",
    subjects=BUCKET,
    frameworks=("hipaa", "gdpr"),
)
def s3_phi_bucket_recoverable(bucket: Resource, stack: Stack, settings: Settings) -> Iterator[str]:
    """S3 buckets classified phi are versioned or replicated, so deleted or overwritten objects can be recovered."""
    if (kind := classification(bucket)) != "phi":
        raise NotApplicable(f"classified {kind}, not phi" if kind else "not classified phi")
    if _versioned(bucket, stack):
        return
    replicated = any(
        mapping(r).get("status") == "Enabled"
        for config in bucket_companions(stack, bucket, (REPLICATION,))
        for r in items(config.props.get("rules"))
    )
    if not replicated:
        yield f"S3 bucket {bucket_name(bucket)} is classified phi but has neither versioning Enabled nor replication"
