"""AWS access rules: public access, network isolation, audit logging and least privilege.

Controls: no-public-access, network-isolation, audit-logging, least-privilege. Every rule reads engine
(camelCase) property names and treats odd shapes (a string where a list was expected, None, a number) as "not
compliant" or "cannot judge", never as an exception. Values unknown at preview are read plainly: the proxy raises
UnknownValueError and `evaluate` turns it into "cannot judge yet".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from typing import Any

from llmops_infra.policies.runtime.iam_policy import wildcard_findings
from llmops_infra.policies.runtime.props import is_false, is_open_cidr, is_true, listed, mapping, strings
from llmops_infra.policies.runtime.resources import (
    ACCESS_LOGS_PURPOSE,
    BUCKET,
    BUCKET_ACL,
    BUCKET_LOGGING,
    DEFAULT_SECURITY_GROUP,
    EKS_CLUSTER,
    FLOW_LOG,
    IAM_POLICY,
    LAUNCH_TEMPLATE,
    POLICY_ATTACHMENTS,
    PUBLIC_ACCESS_BLOCK,
    PURPOSE_TAG,
    ROLE,
    ROLE_POLICY,
    SUBNET,
    TRAIL,
    VPC,
    bucket_companions,
    label,
    tag,
)
from llmops_infra.policies.runtime.rule import (
    NotApplicable,
    Resource,
    Settings,
    any_of,
    judge_apart,
    judge_each,
    per_item,
    rule,
)
from llmops_infra.policies.runtime.stack import Stack

# =============================================================================================================
# no-public-access
# =============================================================================================================

PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


@rule(
    "s3-public-access-block-all-flags",
    control="no-public-access",
    severity="critical",
    types=(PUBLIC_ACCESS_BLOCK,),
    remediation="Set block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets to true.",
    frameworks=("hipaa", "gdpr"),
)
def s3_public_access_block_all_flags(resource: Resource, settings: Settings) -> Iterator[str]:
    """S3 public access blocks set all four flags to true."""
    # Each flag on its own: one unknown at preview hides no other left off.
    yield from judge_each(PUBLIC_ACCESS_FLAGS, lambda _, flag: _flag_not_true(resource, flag))


def _flag_not_true(resource: Resource, flag: str) -> Iterator[str]:
    if not is_true(resource.props.get(flag)):
        yield f"{label(resource)} does not set {flag} to true"


@rule(
    "s3-bucket-has-public-access-block",
    control="no-public-access",
    severity="critical",
    types=(*BUCKET, PUBLIC_ACCESS_BLOCK),
    remediation="Add an aws.s3.BucketPublicAccessBlock for the bucket with all four flags true.",
    scope="stack",
    subjects=BUCKET,
    frameworks=("hipaa", "gdpr"),
)
def s3_bucket_has_public_access_block(bucket: Resource, stack: Stack, settings: Settings) -> Iterator[str]:
    """Every S3 bucket has a public access block."""
    if not bucket_companions(stack, bucket, (PUBLIC_ACCESS_BLOCK,)):
        yield f"{label(bucket)} has no aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"


PUBLIC_CANNED_ACLS = ("public-read", "public-read-write", "authenticated-read")
PUBLIC_GROUPS = ("AllUsers", "AuthenticatedUsers")  # http://acs.amazonaws.com/groups/global/<group>


def _public_group(uri: Any) -> str | None:
    if not isinstance(uri, str):
        return None
    last = uri.rstrip("/").rsplit("/", 1)[-1]
    return next((g for g in PUBLIC_GROUPS if last.lower() == g.lower()), None)


@rule(
    "s3-bucket-acl-not-public",
    control="no-public-access",
    severity="critical",
    types=(*BUCKET_ACL, *BUCKET),
    remediation="Use acl private (or BucketOwnershipControls BucketOwnerEnforced) and grant no AllUsers or "
    "AuthenticatedUsers group.",
    frameworks=("hipaa", "gdpr"),
)
def s3_bucket_acl_not_public(resource: Resource, settings: Settings) -> Iterator[str]:
    """S3 ACLs (BucketAcl and a bucket's inline acl/grants) are not public and grant nothing to public groups."""
    # The canned acl and each grant on its own: an unknown one hides no other.
    yield from judge_apart(partial(_public_canned_acl, resource), partial(_public_grants, resource))


def _public_canned_acl(resource: Resource) -> Iterator[str]:
    acl = resource.props.get("acl")
    if isinstance(acl, str) and acl in PUBLIC_CANNED_ACLS:
        yield f"{label(resource)} uses the public canned acl {acl}"


def _public_grants(resource: Resource) -> Iterator[str]:
    if resource.type in BUCKET_ACL:
        grants = listed(mapping(resource.props.get("accessControlPolicy")).get("grants"))
        where = "accessControlPolicy.grants"
    else:
        grants = listed(resource.props.get("grants"))
        where = "grants"

    def judge(index: int, grant: Any) -> Iterator[str]:
        grantee = mapping(mapping(grant).get("grantee")) if resource.type in BUCKET_ACL else mapping(grant)
        group = _public_group(grantee.get("uri"))
        if group:
            yield f"{label(resource)} {where} grants access to the {group} group"

    yield from judge_each(grants, judge)


@rule(
    "ec2-subnet-no-public-ip-on-launch",
    control="no-public-access",
    severity="high",
    types=(SUBNET,),
    remediation="Set map_public_ip_on_launch to false; reach nodes through load balancers or NAT.",
    frameworks=("hipaa", "gdpr"),
)
def ec2_subnet_no_public_ip_on_launch(resource: Resource, settings: Settings) -> Iterator[str]:
    """Subnets do not give instances public IPs on launch."""
    if is_true(resource.props.get("mapPublicIpOnLaunch")):
        yield f"{label(resource)} sets mapPublicIpOnLaunch to true"


@rule(
    "launch-template-no-public-ip",
    control="no-public-access",
    severity="high",
    types=(LAUNCH_TEMPLATE,),
    remediation='Leave network_interfaces[].associate_public_ip_address unset or "false".',
    frameworks=("hipaa", "gdpr"),
)
def launch_template_no_public_ip(resource: Resource, settings: Settings) -> Iterator[str]:
    """Launch templates do not associate public IP addresses with their network interfaces."""

    def judge(index: int, interface: Any) -> Iterator[str]:
        if is_true(mapping(interface).get("associatePublicIpAddress")):
            yield f"{label(resource)} networkInterfaces[{index}] sets associatePublicIpAddress to true"

    yield from judge_each(listed(resource.props.get("networkInterfaces")), judge)


@rule(
    "eks-endpoint-not-public",
    control="no-public-access",
    severity="high",
    types=(EKS_CLUSTER,),
    remediation="Set vpc_config.endpoint_public_access false, or list restricted public_access_cidrs.",
    frameworks=("hipaa", "gdpr"),
)
def eks_endpoint_not_public(resource: Resource, settings: Settings) -> Iterator[str]:
    """EKS API endpoints are private, or public only to restricted CIDRs."""
    vpc_config = mapping(resource.props.get("vpcConfig"))
    # EKS defaults endpointPublicAccess to true and publicAccessCidrs to ["0.0.0.0/0"]: absent means open.
    if is_false(vpc_config.get("endpointPublicAccess")):
        return
    cidrs = listed(vpc_config.get("publicAccessCidrs"))
    if not cidrs:
        yield f"{label(resource)} has a public endpoint (vpcConfig.endpointPublicAccess) with no publicAccessCidrs"

    def judge(index: int, cidr: Any) -> Iterator[str]:
        if is_open_cidr(cidr):
            yield f"{label(resource)} vpcConfig.publicAccessCidrs opens the public endpoint to {cidr}"

    yield from judge_each(cidrs, judge)


# =============================================================================================================
# network-isolation
# =============================================================================================================


@rule(
    "default-security-group-closed",
    control="network-isolation",
    severity="medium",
    types=(DEFAULT_SECURITY_GROUP,),
    remediation="Manage the default security group with ingress=[] and egress=[] and use dedicated groups.",
    frameworks=("hipaa", "gdpr"),
)
def default_security_group_closed(resource: Resource, settings: Settings) -> Iterator[str]:
    """The default security group has no ingress or egress rules."""

    def judge(index: int, key: str) -> Iterator[str]:
        # A rule unknown at preview is still a rule: only the list itself must be known.
        if listed(resource.props.get(key)):
            yield f"{label(resource)} has {key} rules"

    yield from judge_each(("ingress", "egress"), judge)


@rule(
    "vpc-default-security-group-managed",
    control="network-isolation",
    severity="medium",
    types=(VPC, DEFAULT_SECURITY_GROUP),
    remediation="Add an aws.ec2.DefaultSecurityGroup with vpc_id set to the VPC and ingress=[] and egress=[].",
    scope="stack",
    subjects=(VPC,),
    frameworks=("hipaa", "gdpr"),
)
def vpc_default_security_group_managed(vpc: Resource, stack: Stack, settings: Settings) -> Iterator[str]:
    """Every VPC's default security group is managed by the stack (and so closed by default-security-group-closed)."""
    # AWS gives every VPC a default group that admits all traffic between its members and all egress; only a
    # DefaultSecurityGroup resource takes it over. It names the VPC by the VPC's id, an output, so the link is the
    # engine's property dependency of its vpcId on the VPC.
    if not stack.companions(vpc, (DEFAULT_SECURITY_GROUP,), "vpcId"):
        yield (
            f"{label(vpc)} has no aws:ec2/defaultSecurityGroup:DefaultSecurityGroup with vpcId: its default security "
            "group keeps AWS's rules (all traffic between members, all egress)"
        )


@rule(
    "vpc-flow-logs-enabled",
    control="network-isolation",
    severity="medium",
    types=(VPC, FLOW_LOG),
    remediation="Add an aws.ec2.FlowLog with vpc_id set to the VPC and traffic_type ALL.",
    scope="stack",
    subjects=(VPC,),
    frameworks=("hipaa", "gdpr"),
)
def vpc_flow_logs_enabled(vpc: Resource, stack: Stack, settings: Settings) -> Iterator[str]:
    """Every VPC has a flow log that captures ALL traffic."""
    # A flow log names its VPC by the VPC's id, an output that no input of the VPC shows, so the only link is
    # the engine's property dependency of the flow log's vpcId on the VPC.
    logs = stack.companions(vpc, (FLOW_LOG,), "vpcId")
    # One flow log of ALL traffic settles it, whatever another's unknown trafficType may be.
    if not any_of(per_item(logs, lambda log: log.props.get("trafficType") == "ALL")):
        yield f"{label(vpc)} has no aws:ec2/flowLog:FlowLog with vpcId and trafficType ALL"


# =============================================================================================================
# audit-logging
# =============================================================================================================

EKS_LOG_TYPES = ("api", "audit", "authenticator")


@rule(
    "eks-control-plane-logging",
    control="audit-logging",
    severity="high",
    types=(EKS_CLUSTER,),
    remediation="Set enabled_cluster_log_types to include api, audit and authenticator.",
    frameworks=("hipaa", "gdpr"),
)
def eks_control_plane_logging(resource: Resource, settings: Settings) -> Iterator[str]:
    """EKS clusters send api, audit and authenticator control-plane logs."""
    enabled = strings(resource.props.get("enabledClusterLogTypes"))
    missing = [t for t in EKS_LOG_TYPES if t not in enabled]
    if missing:
        yield f"{label(resource)} enabledClusterLogTypes lacks {', '.join(missing)}"


@rule(
    "s3-bucket-access-logging",
    control="audit-logging",
    severity="medium",
    types=(*BUCKET, *BUCKET_LOGGING),
    remediation="Add an aws.s3.BucketLogging for the bucket, targeting the access-log bucket.",
    scope="stack",
    subjects=BUCKET,
    frameworks=("hipaa", "gdpr"),
)
def s3_bucket_access_logging(bucket: Resource, stack: Stack, settings: Settings) -> Iterator[str]:
    """Every S3 bucket except the access-log bucket has server access logging."""
    # The access-log bucket is exempt: logging it into itself loops, and into another bucket only moves the
    # question there.
    if tag(bucket, PURPOSE_TAG) == ACCESS_LOGS_PURPOSE:
        raise NotApplicable(f"the access-log bucket itself ({PURPOSE_TAG}: {ACCESS_LOGS_PURPOSE})")
    inline = mapping(bucket.props.get("logging")).get("targetBucket")
    if isinstance(inline, str) and inline:
        return
    if not bucket_companions(stack, bucket, BUCKET_LOGGING):
        yield f"{label(bucket)} has no aws:s3/bucketLogging:BucketLogging (server access logging)"


@rule(
    "cloudtrail-multi-region-validated-encrypted",
    control="audit-logging",
    severity="high",
    types=(TRAIL,),
    remediation="Set is_multi_region_trail and enable_log_file_validation to true and kms_key_id to a CMK ARN.",
    frameworks=("hipaa", "gdpr"),
)
def cloudtrail_multi_region_validated_encrypted(resource: Resource, settings: Settings) -> Iterator[str]:
    """CloudTrail trails are multi-region, validate their log files and encrypt them with KMS."""
    # Each setting on its own: one unknown at preview hides no other left off.
    yield from judge_apart(
        partial(_flag_not_true, resource, "isMultiRegionTrail"),
        partial(_flag_not_true, resource, "enableLogFileValidation"),
        partial(_no_kms_key, resource),
    )


def _no_kms_key(resource: Resource) -> Iterator[str]:
    key = resource.props.get("kmsKeyId")
    if not (isinstance(key, str) and key):
        yield f"{label(resource)} has no kmsKeyId"


# =============================================================================================================
# least-privilege
# =============================================================================================================


@rule(
    "iam-no-wildcard-statements",
    control="least-privilege",
    severity="critical",
    types=(IAM_POLICY, ROLE_POLICY, ROLE),
    remediation="Name the actions (not * or service:*) and the resource ARNs the workload needs.",
    frameworks=("hipaa", "gdpr"),
)
def iam_no_wildcard_statements(resource: Resource, settings: Settings) -> Iterator[str]:
    """IAM policies do not allow `*` or `service:*` actions on all resources."""
    if resource.type == ROLE:

        def judge(index: int, inline: Any) -> Iterator[str]:
            document = mapping(inline).get("policy")
            if document is not None:
                yield from wildcard_findings(document, f"{label(resource)} inlinePolicies[{index}].policy")

        # Each inline policy on its own: one unknown at preview hides no other's wildcard.
        yield from judge_each(listed(resource.props.get("inlinePolicies")), judge)
        return
    document = resource.props.get("policy")
    # No document at all is a malformed resource AWS rejects; it grants nothing to judge.
    if document is not None:
        yield from wildcard_findings(document, f"{label(resource)} policy")


ADMIN_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")
# arn:<partition>:iam::aws:policy/[<path>/]<name>: AWS-managed policies live in the "aws" account.
_AWS_MANAGED = re.compile(r"arn:[^:]+:iam::aws:policy/(?:.*/)?(?P<name>[^/]+)")


@rule(
    "iam-no-admin-policy-attachment",
    control="least-privilege",
    severity="critical",
    types=POLICY_ATTACHMENTS,
    remediation="Attach a policy scoped to the workload instead of AdministratorAccess, PowerUserAccess or "
    "IAMFullAccess.",
    frameworks=("hipaa", "gdpr"),
)
def iam_no_admin_policy_attachment(resource: Resource, settings: Settings) -> Iterator[str]:
    """No role, user or group gets the AWS-managed admin policies."""
    arn = resource.props.get("policyArn")
    match = _AWS_MANAGED.fullmatch(arn.strip()) if isinstance(arn, str) else None
    if match and match["name"] in ADMIN_POLICIES:
        yield f"{label(resource)} attaches {match['name']} (policyArn)"
