"""AWS data protection rules: encryption at rest and in transit, key rotation, S3 lifecycle and backup.

In pulumi-aws v7 a bucket's encryption, policy, versioning, lifecycle and replication are separate resources,
so the S3 rules here are stack rules that find each bucket's companions by the companion's `bucket` input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from fnmatch import fnmatchcase
from functools import partial
from typing import Any

from llmops_infra.policies.runtime.iam_policy import PolicyDocumentError, statements
from llmops_infra.policies.runtime.props import (
    is_customer_key,
    is_false,
    is_true,
    items,
    listed,
    mapping,
    one_or_many,
    shown,
    strings,
)
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
    known,
    label,
    tag,
)
from llmops_infra.policies.runtime.rule import (
    NotApplicable,
    Resource,
    Settings,
    all_of,
    any_of,
    judge_apart,
    judge_each,
    per_item,
    rule,
)
from llmops_infra.policies.runtime.stack import Stack

KMS_SSE_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
TLS_LISTENER_PROTOCOLS = ("HTTPS", "TLS")
# AWS accepts a deletion window of 7-30 days and defaults to 30; anything shorter than the default leaves too
# little time to notice a mistaken or malicious deletion before every object encrypted under the key is lost.
MIN_KEY_DELETION_WINDOW_DAYS = 30


def _versioned(bucket: Resource, stack: Stack) -> bool:
    # One versioning resource Enabled settles it, whatever another's status unknown at preview may be.
    return any_of(per_item(bucket_companions(stack, bucket, VERSIONING), _versioning_enabled))


def _versioning_enabled(versioning: Resource) -> bool:
    return mapping(versioning.props.get("versioningConfiguration")).get("status") == "Enabled"


# --- encryption-at-rest --------------------------------------------------------------------------------------------


def _sse_problem(config: Resource, access_logs: Callable[[], bool]) -> str | None:
    """What is wrong with one encryption configuration (its first problem), or None. Each rule, and each problem
    of a rule, is decided on its own: one known problem is reported whatever a value unknown at preview hides."""
    rules = listed(config.props.get("rules"))
    if not rules:
        return "has no rules"
    return next(judge_each(rules, lambda _, sse_rule: _sse_rule_problems(mapping(sse_rule), access_logs)), None)


def _sse_rule_problems(sse_rule: Mapping[str, Any], access_logs: Callable[[], bool]) -> Iterator[str]:
    """The problems of one encryption rule, in the order they are reported: algorithm, key, bucket key."""
    yield from judge_apart(
        partial(_algorithm_problem, sse_rule, access_logs),
        partial(_key_problem, sse_rule, access_logs),
        partial(_bucket_key_problem, sse_rule),
    )


def _by_default(sse_rule: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping(sse_rule.get("applyServerSideEncryptionByDefault"))


def _aes256_for_access_logs(sse_rule: Mapping[str, Any], access_logs: Callable[[], bool]) -> bool:
    # S3 server access log delivery does not support SSE-KMS default encryption on the target bucket, so a
    # bucket that exists to receive access logs may use SSE-S3 (AES256) instead. Either side known false decides.
    return all_of((access_logs, lambda: _by_default(sse_rule).get("sseAlgorithm") == "AES256"))


def _algorithm_problem(sse_rule: Mapping[str, Any], access_logs: Callable[[], bool]) -> Iterator[str]:
    algorithm = _by_default(sse_rule).get("sseAlgorithm")
    if algorithm not in KMS_SSE_ALGORITHMS and not _aes256_for_access_logs(sse_rule, access_logs):
        yield f"uses sseAlgorithm {shown(algorithm)}, not aws:kms"


def _key_problem(sse_rule: Mapping[str, Any], access_logs: Callable[[], bool]) -> Iterator[str]:
    # Whatever the algorithm, only an access-log bucket's AES256 goes without a customer-managed key.
    if not is_customer_key(_by_default(sse_rule).get("kmsMasterKeyId")) and not _aes256_for_access_logs(
        sse_rule, access_logs
    ):
        yield "has no customer-managed kmsMasterKeyId"


def _bucket_key_problem(sse_rule: Mapping[str, Any]) -> Iterator[str]:
    # S3 Bucket Keys are not supported with DSSE-KMS, so only plain SSE-KMS must turn them on.
    if sse_rule.get("bucketKeyEnabled") is not True and _by_default(sse_rule).get("sseAlgorithm") == "aws:kms":
        yield "does not set bucketKeyEnabled true"


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

    def access_logs() -> bool:  # read only when an AES256 rule asks
        return tag(bucket, PURPOSE_TAG) == ACCESS_LOGS_PURPOSE

    def judge(index: int, config: Resource) -> Iterator[str]:
        problem = _sse_problem(config, access_logs)
        if problem:
            yield f"S3 bucket {name}: server-side encryption configuration {config.name} {problem}"

    yield from judge_each(found, judge)


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
    # EBS volumes and EFS file systems spell encryption the same way: `encrypted` and `kmsKeyId`, each judged on
    # its own (a key unknown at preview hides no `encrypted: false`).
    yield from judge_apart(partial(_not_encrypted, resource), partial(_no_customer_key, resource))


def _not_encrypted(resource: Resource) -> Iterator[str]:
    if resource.props.get("encrypted") is not True:
        yield f"{label(resource)} is not encrypted (encrypted is not true)"


def _no_customer_key(resource: Resource) -> Iterator[str]:
    if not is_customer_key(resource.props.get("kmsKeyId")):
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
    # Each device, and its encryption and key, on its own: a value unknown at preview hides no other finding.
    yield from judge_each(
        listed(resource.props.get("blockDeviceMappings")),
        lambda index, device: _device_problems(resource, index, mapping(device)),
    )


def _device_problems(resource: Resource, index: int, device: Mapping[str, Any]) -> Iterator[str]:
    ebs = device.get("ebs")
    if ebs is None:
        return  # instance-store or suppressed devices carry no EBS volume
    # The device name only labels the messages: absent or unknown at preview, the device is named by its index.
    device_name = known(lambda: device.get("deviceName"), None) or f"#{index}"
    where = f"Launch template {resource.name} block device {device_name}"
    ebs = mapping(ebs)

    def not_encrypted() -> Iterator[str]:
        if not is_true(ebs.get("encrypted")):
            yield f"{where} is not encrypted (ebs.encrypted)"

    def no_customer_key() -> Iterator[str]:
        if not is_customer_key(ebs.get("kmsKeyId")):
            yield f"{where} has no customer-managed ebs.kmsKeyId"

    yield from judge_apart(not_encrypted, no_customer_key)


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

    def no_customer_key() -> Iterator[str]:
        if not is_customer_key(mapping(config.get("provider")).get("keyArn")):
            yield f"EKS cluster {resource.name} encryptionConfig has no customer-managed provider.keyArn"

    def no_secrets() -> Iterator[str]:
        # One element known to be "secrets" settles it, whatever another unknown at preview may be.
        if not any_of(per_item(one_or_many(config.get("resources")), lambda kind: kind == "secrets")):
            yield f"EKS cluster {resource.name} encryptionConfig.resources does not include secrets"

    yield from judge_apart(no_customer_key, no_secrets)


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
    if not is_customer_key(resource.props.get("kmsKeyId")):
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


def _denies_insecure_transport(statement: Any, name: Callable[[], str]) -> bool:
    """Whether a statement denies every request without TLS on the bucket (`name()`, read only when needed) and its
    objects; each part decided on its own, so one known not to hold settles it whatever another hides."""
    statement = mapping(statement)
    return all_of(
        (
            lambda: statement.get("Effect") == "Deny",
            partial(_to_everyone, statement),
            lambda: bool({"*", "s3:*"} & set(strings(statement.get("Action")))),
            partial(_covers_bucket, statement, name),
            partial(_insecure_transport_condition, statement),
        )
    )


def _to_everyone(statement: Mapping[str, Any]) -> bool:
    principal = statement.get("Principal")
    return principal == "*" or "*" in strings(mapping(principal).get("AWS"))


def _covers_bucket(statement: Mapping[str, Any], name: Callable[[], str]) -> bool:
    resources = strings(statement.get("Resource"))
    bucket = name()
    return _covers(resources, bucket) and _covers(resources, f"{bucket}/*")


def _insecure_transport_condition(statement: Mapping[str, Any]) -> bool:
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
    # One statement that denies settles it, whatever a value unknown at preview hides in another.
    elif not any_of(partial(_policy_denies, p, name) for p in found):
        yield (
            f"S3 bucket {name}: bucket policy {', '.join(p.name for p in found)} has no Deny statement on s3:* "
            f"for every principal with Condition Bool aws:SecureTransport false covering the bucket and objects"
        )


def _physical_name(policy: Resource, fallback: str) -> str:
    # The policy's `bucket` input is the bucket's real name (auto-named buckets get a random suffix), and that
    # is what its statements' ARNs name.
    name = policy.props.get("bucket")
    return name if isinstance(name, str) and name else fallback


def _policy_denies(policy: Resource, fallback: str) -> bool:
    # An unreadable document denies nothing, so it fails this rule through "no Deny statement".
    try:
        found = statements(policy.props.get("policy"))
    except PolicyDocumentError:
        return False
    return any_of(
        per_item(
            found, lambda statement: _denies_insecure_transport(statement, lambda: _physical_name(policy, fallback))
        )
    )


def _redirects_to_https(action: Any) -> bool:
    action = mapping(action)
    return all_of((lambda: action.get("type") == "redirect", partial(_to_https, action)))


def _to_https(action: Mapping[str, Any]) -> bool:
    protocol = mapping(action.get("redirect")).get("protocol")
    return isinstance(protocol, str) and protocol.upper() == "HTTPS"


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
    if protocol != "HTTP":
        yield f"Load balancer listener {resource.name} protocol {protocol} is not HTTPS or TLS"
        return
    # One action known not to redirect settles it, whatever another unknown at preview may be.
    actions = listed(resource.props.get("defaultActions"))
    if not actions or not all_of(per_item(actions, _redirects_to_https)):
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
    """Whether a lifecycle rule is Enabled and expires objects or noncurrent versions, each part decided on its own."""
    lifecycle_rule = mapping(lifecycle_rule)
    return all_of((lambda: lifecycle_rule.get("status") == "Enabled", partial(_declares_expiry, lifecycle_rule)))


def _declares_expiry(lifecycle_rule: Mapping[str, Any]) -> bool:
    # expiredObjectDeleteMarker alone removes markers, not data, so it declares no retention.
    return any_of(
        (
            lambda: bool(mapping(lifecycle_rule.get("expiration")).get("days")),
            lambda: bool(mapping(lifecycle_rule.get("expiration")).get("date")),
            lambda: bool(mapping(lifecycle_rule.get("noncurrentVersionExpiration")).get("noncurrentDays")),
        )
    )


def _rules_hold(config: Resource, holds: Callable[[Any], bool]) -> bool:
    """Whether some rule of a lifecycle or replication configuration holds, each rule decided on its own."""
    return any_of(per_item(listed(config.props.get("rules")), holds))


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
    # One expiring rule settles it, whatever a value unknown at preview hides in another.
    configs = bucket_companions(stack, bucket, LIFECYCLE)
    if not any_of(partial(_rules_hold, config, _expires) for config in configs):
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
    # Either settles it: versioning Enabled, or an Enabled replication rule, whatever the other side hides.
    if not any_of((partial(_versioned, bucket, stack), partial(_replicated, bucket, stack))):
        yield f"S3 bucket {bucket_name(bucket)} is classified phi but has neither versioning Enabled nor replication"


def _replicated(bucket: Resource, stack: Stack) -> bool:
    configs = bucket_companions(stack, bucket, (REPLICATION,))
    return any_of(partial(_rules_hold, config, _replication_enabled) for config in configs)


def _replication_enabled(replication_rule: Any) -> bool:
    return mapping(replication_rule).get("status") == "Enabled"
