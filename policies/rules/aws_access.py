"""Access, network, logging, privilege and inventory rules for AWS (and the GCP twins of two of them).

Controls: no-public-access, network-isolation, audit-logging, log-retention, least-privilege,
records-of-processing. Every rule reads engine (camelCase) property names and treats odd shapes (a string where
a list was expected, None, a number) as "not compliant" or "cannot judge", never as an exception. Values
unknown at preview are read plainly: the proxy raises UnknownValueError and `evaluate` turns it into "cannot
judge yet".
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from pulumi_policy.proxy import unknown_checking_proxy

from policies.rules.props import has_key, is_false, is_true, items, mapping, number, strings
from policies.rules.rule import Resource, Settings, rule, with_twins

# ---- tokens ------------------------------------------------------------------------------------------------

BUCKET = with_twins("aws:s3/bucket:Bucket")
BUCKET_ACL = with_twins("aws:s3/bucketAcl:BucketAcl")
BUCKET_LOGGING = with_twins("aws:s3/bucketLogging:BucketLogging")
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SUBNET = "aws:ec2/subnet:Subnet"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
TRAIL = "aws:cloudtrail/trail:Trail"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
GCP_LOG_BUCKET = "gcp:logging/projectBucketConfig:ProjectBucketConfig"
IAM_POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE = "aws:iam/role:Role"
POLICY_ATTACHMENTS = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
)
EBS_VOLUME = "aws:ebs/volume:Volume"
EFS = "aws:efs/fileSystem:FileSystem"
GCS_BUCKET = "gcp:storage/bucket:Bucket"
GKE_CLUSTER = "gcp:container/cluster:Cluster"
GCE_DISK = "gcp:compute/disk:Disk"

LABELS: dict[str, str] = {
    **{t: "S3 bucket" for t in BUCKET},
    **{t: "S3 bucket ACL" for t in BUCKET_ACL},
    **{t: "S3 bucket logging" for t in BUCKET_LOGGING},
    PUBLIC_ACCESS_BLOCK: "S3 public access block",
    SUBNET: "subnet",
    LAUNCH_TEMPLATE: "launch template",
    EKS_CLUSTER: "EKS cluster",
    SECURITY_GROUP: "security group",
    INGRESS_RULE: "security group ingress rule",
    DEFAULT_SECURITY_GROUP: "default security group",
    VPC: "VPC",
    TRAIL: "CloudTrail trail",
    LOG_GROUP: "CloudWatch log group",
    GCP_LOG_BUCKET: "Cloud Logging bucket",
    IAM_POLICY: "IAM policy",
    ROLE_POLICY: "IAM role policy",
    ROLE: "IAM role",
    POLICY_ATTACHMENTS[0]: "IAM role policy attachment",
    POLICY_ATTACHMENTS[1]: "IAM user policy attachment",
    POLICY_ATTACHMENTS[2]: "IAM group policy attachment",
    EBS_VOLUME: "EBS volume",
    EFS: "EFS file system",
    GCS_BUCKET: "GCS bucket",
    GKE_CLUSTER: "GKE cluster",
    GCE_DISK: "Compute Engine disk",
}


def label(resource: Resource) -> str:
    """The resource as a message names it: kind and logical name."""
    return f"{LABELS.get(resource.type, resource.type)} {resource.name}"


def tags_key(type_token: str) -> str:
    """Where a resource keeps its key/value metadata: AWS `tags`, GCP `labels`; a GKE cluster's `labels` field
    does not exist, its resource labels are `resourceLabels`."""
    if type_token == GKE_CLUSTER:
        return "resourceLabels"
    return "labels" if type_token.startswith("gcp:") else "tags"


def tags_of(resource: Resource) -> Mapping[str, Any]:
    """The tags (AWS) or labels (GCP) a resource carries, over its provider's defaults."""
    return {**_provider_defaults(resource), **mapping(resource.props.get(tags_key(resource.type)))}


def _provider_defaults(resource: Resource) -> Mapping[str, Any]:
    # AWS `defaultTags.tags` and GCP `defaultLabels` apply to every resource of the provider; provider config
    # objects may reach a pack JSON-encoded, as the engine passes provider inputs as strings.
    provider = resource.provider or {}
    if resource.type.startswith("gcp:"):
        return mapping(_decoded(provider.get("defaultLabels")))
    return mapping(mapping(_decoded(provider.get("defaultTags"))).get("tags"))


def _decoded(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


# ---- CIDR openness -----------------------------------------------------------------------------------------


def is_open_cidr(value: Any) -> bool:
    """True for a CIDR that admits every address (0.0.0.0/0, ::/0 and their spellings)."""
    if not isinstance(value, str):
        return False
    try:
        return ipaddress.ip_network(value.strip(), strict=False).prefixlen == 0
    except ValueError:
        # Not a CIDR at all: AWS rejects it at apply, and it opens nothing.
        return False


# ---- IAM policy documents ----------------------------------------------------------------------------------


class PolicyDocumentError(ValueError):
    """A policy document that cannot be read as one; rules report it rather than pass it unseen."""


def _field(statement: Mapping[str, Any], name: str) -> Any:
    # IAM JSON uses PascalCase ("NotAction"); an object-form document written from the SDK's TypedDicts may
    # arrive snake_case ("not_action"), so keys are compared without case and underscores.
    wanted = name.lower()
    for key in statement:
        if isinstance(key, str) and key.replace("_", "").lower() == wanted:
            return statement[key]
    return None


def policy_statements(document: Any) -> list[Mapping[str, Any]]:
    """The statements of a policy document given as a JSON string or an object.

    Statement may be one object or a list; elements that are not objects are skipped (they grant nothing AWS
    would accept). Raises PolicyDocumentError for a string that is not JSON or a document that is not an
    object: an unreadable policy cannot be shown to be least-privilege, so rules report it (fail closed).
    """
    if isinstance(document, str):
        try:
            parsed = json.loads(document)
        except ValueError as error:
            raise PolicyDocumentError("is not valid JSON") from error
        # A JSON string may still hold an unknown preview value; the proxy makes reading it "cannot judge".
        document = unknown_checking_proxy({"document": parsed})["document"]
    if not isinstance(document, Mapping):
        raise PolicyDocumentError("is not a JSON object")
    statement = _field(document, "Statement")
    if isinstance(statement, Mapping):
        return [statement]
    return [s for s in items(statement) if isinstance(s, Mapping)]


def is_wildcard_action(action: str) -> bool:
    """`*` or a whole service (`s3:*`); IAM action names are case-insensitive."""
    action = action.strip()
    return action == "*" or (action.count(":") == 1 and action.split(":")[1] == "*")


def wildcard_grant(statement: Mapping[str, Any]) -> str | None:
    """What a statement grants too broadly ("s3:*, iam:*"), or None when it is not an all-resources wildcard.

    Only an explicit Deny grants nothing; anything else is read as Allow (fail closed). Allow with NotAction
    grants every action but the listed ones, so it counts as `*`. Resource absent or NotResource means every
    resource.
    """
    effect = _field(statement, "Effect")
    if isinstance(effect, str) and effect.strip().lower() == "deny":
        return None
    resources = strings(_field(statement, "Resource"))
    not_resources = _field(statement, "NotResource")
    all_resources = not_resources is not None or not resources or any(r.strip() == "*" for r in resources)
    if not all_resources:
        return None
    if _field(statement, "NotAction") is not None:
        return "every action but " + ", ".join(strings(_field(statement, "NotAction")))
    broad = [a for a in strings(_field(statement, "Action")) if is_wildcard_action(a)]
    return ", ".join(broad) if broad else None


def wildcard_findings(document: Any, where: str) -> Iterator[str]:
    """Messages for a policy document: one per wildcard statement, or one if it cannot be read."""
    try:
        statements = policy_statements(document)
    except PolicyDocumentError as error:
        yield f"{where} {error}, so its grants cannot be checked"
        return
    for index, statement in enumerate(statements):
        grant = wildcard_grant(statement)
        if grant:
            sid = _field(statement, "Sid")
            name = f"statement {sid}" if isinstance(sid, str) and sid else f"statement {index}"
            yield f"{where} {name} allows {grant} on all resources"


# ---- S3 companions -----------------------------------------------------------------------------------------

# Pulumi auto-names a bucket with no `bucket` input as its logical name, "-" and 7 hex characters.
_AUTONAME_SUFFIX = "-[0-9a-f]{7}"


def refers_to(bucket: Resource, value: Any) -> bool:
    """Whether a companion's `bucket` input names this bucket.

    The companion carries the bucket's name: its `bucket` input when given, else the auto-assigned physical
    name, which starts with `bucketPrefix` or is the logical name plus Pulumi's random suffix.
    """
    if not isinstance(value, str) or not value:
        return False
    given = bucket.props.get("bucket")
    if isinstance(given, str) and given:
        return value == given
    prefix = bucket.props.get("bucketPrefix")
    if isinstance(prefix, str) and prefix:
        return value.startswith(prefix)
    return value == bucket.name or re.fullmatch(re.escape(bucket.name) + _AUTONAME_SUFFIX, value) is not None


def _companion_buckets(resources: Sequence[Resource], types: Sequence[str]) -> list[Any]:
    return [r.props.get("bucket") for r in resources if r.type in types]


def _buckets(resources: Sequence[Resource]) -> list[Resource]:
    return [r for r in resources if r.type in BUCKET]


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
)
def s3_bucket_has_public_access_block(
    resources: Sequence[Resource], settings: Settings
) -> Iterator[tuple[Resource, str]]:
    """Every S3 bucket has a public access block."""
    blocks = _companion_buckets(resources, (PUBLIC_ACCESS_BLOCK,))
    for bucket in _buckets(resources):
        if not any(refers_to(bucket, b) for b in blocks):
            yield bucket, f"{label(bucket)} has no aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"


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
)
def vpc_flow_logs_enabled(resources: Sequence[Resource], settings: Settings) -> Iterator[tuple[Resource, str]]:
    """Every VPC has a flow log that captures ALL traffic."""
    # A flow log's vpcId is the VPC's id OUTPUT, which inputs do not show (unknown at preview), so a flow log
    # cannot be tied to its VPC exactly. Heuristic: a flow log with a vpcId input (present, value not read) and
    # trafficType ALL covers one VPC, preferably one under the same parent (the component that made both);
    # each flow log covers at most one VPC, so the stack passes when there are as many such logs as VPCs, and
    # the VPCs left over (those with no flow log under their parent first) are reported.
    logs = [
        r for r in resources if r.type == FLOW_LOG and has_key(r.props, "vpcId") and r.props.get("trafficType") == "ALL"
    ]
    uncovered: list[Resource] = []
    for vpc in (r for r in resources if r.type == VPC):
        same_parent = next((log for log in logs if log.parent == vpc.parent), None)
        if same_parent is not None:
            logs.remove(same_parent)
        else:
            uncovered.append(vpc)
    for vpc in uncovered[len(logs) :]:
        yield vpc, f"{label(vpc)} has no aws:ec2/flowLog:FlowLog with vpcId and trafficType ALL"


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
)
def eks_control_plane_logging(resource: Resource, settings: Settings) -> Iterator[str]:
    """EKS clusters send api, audit and authenticator control-plane logs."""
    enabled = strings(resource.props.get("enabledClusterLogTypes"))
    missing = [t for t in EKS_LOG_TYPES if t not in enabled]
    if missing:
        yield f"{label(resource)} enabledClusterLogTypes lacks {', '.join(missing)}"


ACCESS_LOGS_PURPOSE = "access-logs"


@rule(
    "s3-bucket-access-logging",
    control="audit-logging",
    severity="medium",
    types=(*BUCKET, *BUCKET_LOGGING),
    remediation="Add an aws.s3.BucketLogging for the bucket, targeting the access-log bucket.",
    scope="stack",
)
def s3_bucket_access_logging(resources: Sequence[Resource], settings: Settings) -> Iterator[tuple[Resource, str]]:
    """Every S3 bucket except the access-log bucket has server access logging."""
    loggings = _companion_buckets(resources, BUCKET_LOGGING)
    for bucket in _buckets(resources):
        # The access-log bucket is exempt: logging it into itself loops, and into another bucket only moves
        # the question there.
        if mapping(bucket.props.get("tags")).get("purpose") == ACCESS_LOGS_PURPOSE:
            continue
        inline = mapping(bucket.props.get("logging")).get("targetBucket")
        if isinstance(inline, str) and inline:
            continue
        if not any(refers_to(bucket, b) for b in loggings):
            yield bucket, f"{label(bucket)} has no aws:s3/bucketLogging:BucketLogging (server access logging)"


@rule(
    "cloudtrail-multi-region-validated-encrypted",
    control="audit-logging",
    severity="high",
    types=(TRAIL,),
    remediation="Set is_multi_region_trail and enable_log_file_validation to true and kms_key_id to a CMK ARN.",
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
# log-retention
# =============================================================================================================

GCP_DEFAULT_RETENTION_DAYS = 30  # the SDK: unset or 0 at creation means the 30-day default
DELIVERY_RETENTION_DAYS = 2  # the SDK: log_group_class DELIVERY forces retention_in_days to 2


class Retention(NamedTuple):
    days: float | None  # None: never expires
    source: str  # the property it comes from, for messages
    unreadable: bool = False  # the property is set but is not a number of days


def retention(resource: Resource) -> Retention:
    """The effective retention of a log group (AWS) or log bucket (GCP)."""
    if resource.type != GCP_LOG_BUCKET and resource.props.get("logGroupClass") == "DELIVERY":
        return Retention(DELIVERY_RETENTION_DAYS, "logGroupClass DELIVERY")
    key = "retentionDays" if resource.type == GCP_LOG_BUCKET else "retentionInDays"
    value = resource.props.get(key)
    days = number(value) if value is not None else 0.0
    if days is None:
        return Retention(None, key, unreadable=True)
    # Unset or 0: GCP applies its 30-day default; CloudWatch keeps logs forever.
    unset = GCP_DEFAULT_RETENTION_DAYS if resource.type == GCP_LOG_BUCKET else None
    return Retention(days or unset, key)


def _days(days: float) -> str:
    return f"{days:g} days"


@rule(
    "log-retention-minimum",
    control="log-retention",
    severity="medium",
    types=(LOG_GROUP, GCP_LOG_BUCKET),
    remediation="Keep logs at least minLogRetentionDays (default 2192 days, six years).",
    parameters=("minLogRetentionDays",),
    frameworks=("hipaa",),
)
def log_retention_minimum(resource: Resource, settings: Settings) -> Iterator[str]:
    """Logs are kept at least the configured minimum (HIPAA documentation period)."""
    kept = retention(resource)
    minimum = settings.min_log_retention_days
    if kept.unreadable:
        yield f"{label(resource)} {kept.source} is not a number of days"
    elif kept.days is not None and kept.days < minimum:
        yield f"{label(resource)} keeps logs {_days(kept.days)} ({kept.source}), below the {minimum}-day minimum"


@rule(
    "log-retention-maximum",
    control="log-retention",
    severity="medium",
    types=(LOG_GROUP, GCP_LOG_BUCKET),
    remediation="Set a retention of at most maxLogRetentionDays (default 2192 days); never keep logs forever.",
    parameters=("maxLogRetentionDays",),
    frameworks=("gdpr",),
)
def log_retention_maximum(resource: Resource, settings: Settings) -> Iterator[str]:
    """Logs expire, no later than the configured maximum (GDPR storage limitation)."""
    kept = retention(resource)
    maximum = settings.max_log_retention_days
    if kept.unreadable:
        yield f"{label(resource)} {kept.source} is not a number of days"
    elif kept.days is None:
        yield f"{label(resource)} keeps logs forever ({kept.source} unset or 0)"
    elif kept.days > maximum:
        yield f"{label(resource)} keeps logs {_days(kept.days)} ({kept.source}), above the {maximum}-day maximum"


# =============================================================================================================
# least-privilege
# =============================================================================================================


@rule(
    "iam-no-wildcard-statements",
    control="least-privilege",
    severity="critical",
    types=(IAM_POLICY, ROLE_POLICY, ROLE),
    remediation="Name the actions (not * or service:*) and the resource ARNs the workload needs.",
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
)
def iam_no_admin_policy_attachment(resource: Resource, settings: Settings) -> Iterator[str]:
    """No role, user or group gets the AWS-managed admin policies."""
    arn = resource.props.get("policyArn")
    match = _AWS_MANAGED.fullmatch(arn.strip()) if isinstance(arn, str) else None
    if match and match["name"] in ADMIN_POLICIES:
        yield f"{label(resource)} attaches {match['name']} (policyArn)"


# =============================================================================================================
# records-of-processing
# =============================================================================================================

RECORD_KEYS = ("owner", "purpose", "data-classification")
CLASSIFICATIONS = ("phi", "personal", "internal", "public")
DATA_STORES = (*BUCKET, EBS_VOLUME, EFS, EKS_CLUSTER, LOG_GROUP, GCS_BUCKET, GKE_CLUSTER, GCE_DISK)


@rule(
    "data-store-records-of-processing",
    control="records-of-processing",
    severity="low",
    types=DATA_STORES,
    remediation="Tag (AWS) or label (GCP) the resource with owner, purpose and data-classification "
    "(phi, personal, internal or public).",
)
def data_store_records_of_processing(resource: Resource, settings: Settings) -> Iterator[str]:
    """Data stores and clusters say whose they are, what for, and what data they hold."""
    tags = tags_of(resource)
    where = tags_key(resource.type)
    for key in RECORD_KEYS:
        value = tags.get(key)
        if not (isinstance(value, str) and value.strip()):
            yield f"{label(resource)} has no {key} in its {where}"
    classification = tags.get("data-classification")
    if isinstance(classification, str) and classification.strip() and classification not in CLASSIFICATIONS:
        allowed = ", ".join(CLASSIFICATIONS)
        yield f"{label(resource)} {where} data-classification {classification!r} is not one of {allowed}"
