"""AWS access rules: public access, network isolation, audit logging and least privilege.

Controls: no-public-access, network-isolation, audit-logging, least-privilege. Every rule reads engine
(camelCase) property names and treats odd shapes (a string where a list was expected, None, a number) as "not
compliant" or "cannot judge", never as an exception. Values unknown at preview are read plainly: the proxy raises
UnknownValueError and `evaluate` turns it into "cannot judge yet".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from llmops_infra.policies.runtime.iam_policy import wildcard_findings
from llmops_infra.policies.runtime.props import is_false, is_open_cidr, is_true, items, mapping, number, strings
from llmops_infra.policies.runtime.resources import (
    ACCESS_LOGS_PURPOSE,
    BUCKET,
    BUCKET_ACL,
    BUCKET_LOGGING,
    DEFAULT_SECURITY_GROUP,
    EKS_CLUSTER,
    FLOW_LOG,
    IAM_POLICY,
    INGRESS_RULE,
    LAUNCH_TEMPLATE,
    POLICY_ATTACHMENTS,
    PUBLIC_ACCESS_BLOCK,
    PURPOSE_TAG,
    ROLE,
    ROLE_POLICY,
    SECURITY_GROUP,
    SUBNET,
    TRAIL,
    VPC,
    bucket_companions,
    label,
    tag,
)
from llmops_infra.policies.runtime.rule import Resource, Settings, rule
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
    for flag in PUBLIC_ACCESS_FLAGS:
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
    acl = resource.props.get("acl")
    if isinstance(acl, str) and acl in PUBLIC_CANNED_ACLS:
        yield f"{label(resource)} uses the public canned acl {acl}"
    if resource.type in BUCKET_ACL:
        policy = mapping(resource.props.get("accessControlPolicy"))
        grantees = [mapping(mapping(g).get("grantee")) for g in items(policy.get("grants"))]
        where = "accessControlPolicy.grants"
    else:
        grantees = [mapping(g) for g in items(resource.props.get("grants"))]
        where = "grants"
    for grantee in grantees:
        group = _public_group(grantee.get("uri"))
        if group:
            yield f"{label(resource)} {where} grants access to the {group} group"


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
    for index, interface in enumerate(items(resource.props.get("networkInterfaces"))):
        if is_true(mapping(interface).get("associatePublicIpAddress")):
            yield f"{label(resource)} networkInterfaces[{index}] sets associatePublicIpAddress to true"


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
    cidrs = items(vpc_config.get("publicAccessCidrs"))
    if not cidrs:
        yield f"{label(resource)} has a public endpoint (vpcConfig.endpointPublicAccess) with no publicAccessCidrs"
    for cidr in cidrs:
        if is_open_cidr(cidr):
            yield f"{label(resource)} vpcConfig.publicAccessCidrs opens the public endpoint to {cidr}"


# =============================================================================================================
# network-isolation
# =============================================================================================================

# The explicit-edge marker: an internet-facing load balancer's group must say so with this tag, so that HTTPS
# from anywhere is a reviewed decision on one named group, never an accident on any group.
EDGE_TAG = "llmops.dev/edge-load-balancer"
ALL_PROTOCOLS = ("-1", "all")  # protocol -1 ignores the port range: every port is open


def _https_only(entry: Mapping[str, Any], protocol_key: str) -> bool:
    protocol = entry.get(protocol_key)
    if isinstance(protocol, str) and protocol.strip().lower() in ALL_PROTOCOLS:
        return False
    return number(entry.get("fromPort")) == 443 and number(entry.get("toPort")) == 443


def _is_edge(resource: Resource) -> bool:
    return mapping(resource.props.get("tags")).get(EDGE_TAG) == "true"


def _open_sources(entry: Mapping[str, Any], keys: Sequence[str]) -> list[str]:
    return [c for key in keys for c in strings(entry.get(key)) if is_open_cidr(c)]


@rule(
    "security-group-no-open-ingress",
    control="network-isolation",
    severity="high",
    types=(SECURITY_GROUP, INGRESS_RULE),
    remediation="Restrict ingress to known CIDRs or security groups; only an edge load balancer's group, tagged "
    f'{EDGE_TAG}: "true", may accept 443 from anywhere.',
    frameworks=("hipaa", "gdpr"),
)
def security_group_no_open_ingress(resource: Resource, settings: Settings) -> Iterator[str]:
    """No ingress from 0.0.0.0/0 or ::/0, except port 443 on a group tagged as the edge load balancer."""
    # A standalone ingress rule cannot see its group (securityGroupId is the group's id output), so the rule
    # resource itself carries the edge tag.
    edge = _is_edge(resource)
    if resource.type == INGRESS_RULE:
        entries = [("", resource.props, "ipProtocol", ("cidrIpv4", "cidrIpv6"))]
    else:
        entries = [
            (f" ingress[{i}]", mapping(e), "protocol", ("cidrBlocks", "ipv6CidrBlocks"))
            for i, e in enumerate(items(resource.props.get("ingress")))
        ]
    for where, entry, protocol_key, cidr_keys in entries:
        sources = _open_sources(entry, cidr_keys)
        if sources and not (edge and _https_only(entry, protocol_key)):
            yield f"{label(resource)}{where} allows ingress from {', '.join(sources)}"


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
    for key in ("ingress", "egress"):
        if items(resource.props.get(key)):
            yield f"{label(resource)} has {key} rules"


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
    if not any(log.props.get("trafficType") == "ALL" for log in logs):
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
        return
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
    for flag in ("isMultiRegionTrail", "enableLogFileValidation"):
        if not is_true(resource.props.get(flag)):
            yield f"{label(resource)} does not set {flag} to true"
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
        for index, inline in enumerate(items(resource.props.get("inlinePolicies"))):
            document = mapping(inline).get("policy")
            if document is not None:
                yield from wildcard_findings(document, f"{label(resource)} inlinePolicies[{index}].policy")
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
