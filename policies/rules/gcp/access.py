"""GCP access rules: public access to storage and GKE, firewalls, subnets, audit logging and IAM.

Controls: no-public-access, network-isolation, audit-logging, least-privilege.

Every property and enum value here is read from pulumi-gcp v10's SDK (the `*Args` classes and their
`@pulumi.getter(name=...)` camelCase names). Values unknown at preview are read plainly: the proxy raises
UnknownValueError and `evaluate` turns it into "cannot judge yet" for what reads them only: independent checks and
list items are judged each on its own (rule.judge_apart, judge_each), and a verdict that combines several (an
exception, "some entry expires") decides each by what is known (rule.any_of, all_of). Odd shapes (a string where
a list was expected, None, a number) count as "not compliant" where absence is itself a violation, never as an
exception.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from typing import Any

from llmops_infra.policies.runtime.gke import judge_node_configs
from llmops_infra.policies.runtime.props import (
    has_key,
    is_open_cidr,
    is_true,
    items,
    listed,
    mapping,
    named,
    number,
    one_or_many,
    strings,
    word,
)
from llmops_infra.policies.runtime.resources import GCS_BUCKET, GKE_CLUSTER, GKE_NODE_POOL, decoded, label
from llmops_infra.policies.runtime.rule import (
    Resource,
    Settings,
    all_of,
    any_of,
    judge_apart,
    judge_each,
    known_items,
    per_item,
    rule,
)

# ---- tokens (pulumi-gcp v10) that resources.py does not name ------------------------------------------------

FIREWALL = "gcp:compute/firewall:Firewall"
SUBNETWORK = "gcp:compute/subnetwork:Subnetwork"
GCS_IAM_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
GCS_IAM_BINDING = "gcp:storage/bucketIAMBinding:BucketIAMBinding"
GCS_IAM_POLICY = "gcp:storage/bucketIAMPolicy:BucketIAMPolicy"
GCS_ACCESS_CONTROLS = (
    "gcp:storage/bucketAccessControl:BucketAccessControl",
    "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl",
    "gcp:storage/objectAccessControl:ObjectAccessControl",
)
GCS_ACLS = (
    "gcp:storage/bucketACL:BucketACL",
    "gcp:storage/defaultObjectACL:DefaultObjectACL",
    "gcp:storage/objectACL:ObjectACL",
)
IAM_MEMBERS = (
    "gcp:projects/iAMMember:IAMMember",
    "gcp:folder/iAMMember:IAMMember",
    "gcp:organizations/iAMMember:IAMMember",
)
IAM_BINDINGS = (
    "gcp:projects/iAMBinding:IAMBinding",
    "gcp:folder/iAMBinding:IAMBinding",
    "gcp:organizations/iAMBinding:IAMBinding",
)
IAM_POLICIES = (
    "gcp:projects/iAMPolicy:IAMPolicy",
    "gcp:folder/iAMPolicy:IAMPolicy",
    "gcp:organizations/iAMPolicy:IAMPolicy",
)
AUDIT_CONFIGS = (
    "gcp:projects/iAMAuditConfig:IAMAuditConfig",
    "gcp:folder/iamAuditConfig:IamAuditConfig",
    "gcp:organizations/iamAuditConfig:IamAuditConfig",
)


def _iam_bindings(policy_data: Any) -> list[Mapping[str, Any]] | None:
    """The bindings of an IAM policy document (`policyData`, JSON from get_iam_policy); None when unreadable."""
    document = decoded(policy_data)
    if not isinstance(document, Mapping):
        return None
    return [mapping(b) for b in items(document.get("bindings"))]


# =============================================================================================================
# no-public-access
# =============================================================================================================

# The SDK (BucketIAMMember.member): allUsers is anyone on the internet, allAuthenticatedUsers anyone with a
# Google account; the ACL resources' `entity` accepts the same two names.
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
# The JSON API's predefined ACLs that grant all users or all authenticated users access.
PUBLIC_PREDEFINED_ACLS = ("publicRead", "publicReadWrite", "authenticatedRead")


def _public(members: list[str]) -> list[str]:
    return [m.strip() for m in members if m.strip() in PUBLIC_MEMBERS]


@rule(
    "gcs-bucket-public-access-prevention",
    control="no-public-access",
    severity="critical",
    types=(GCS_BUCKET,),
    remediation='Set public_access_prevention "enforced" and uniform_bucket_level_access true.',
    frameworks=("hipaa", "gdpr"),
)
def gcs_bucket_public_access_prevention(resource: Resource, settings: Settings) -> Iterator[str]:
    """Cloud Storage buckets enforce public access prevention and uniform bucket-level access."""
    yield from judge_apart(partial(_prevention_enforced, resource), partial(_uniform_access, resource))


def _prevention_enforced(resource: Resource) -> Iterator[str]:
    # The SDK: "inherited" (the default) applies prevention only under the org policy constraint.
    prevention = resource.props.get("publicAccessPrevention")
    if not (isinstance(prevention, str) and prevention.strip().lower() == "enforced"):
        yield f"{label(resource)} does not set publicAccessPrevention to enforced"


def _uniform_access(resource: Resource) -> Iterator[str]:
    if not is_true(resource.props.get("uniformBucketLevelAccess")):
        yield f"{label(resource)} does not set uniformBucketLevelAccess to true"


@rule(
    "gcs-iam-no-public-members",
    control="no-public-access",
    severity="critical",
    types=(GCS_IAM_MEMBER, GCS_IAM_BINDING, GCS_IAM_POLICY),
    remediation="Grant bucket roles to named users, groups or service accounts, never allUsers or "
    "allAuthenticatedUsers.",
    frameworks=("hipaa", "gdpr"),
)
def gcs_iam_no_public_members(resource: Resource, settings: Settings) -> Iterator[str]:
    """Bucket IAM never grants allUsers or allAuthenticatedUsers."""
    if resource.type == GCS_IAM_POLICY:
        policy_data = resource.props.get("policyData")
        if policy_data is None:
            return  # a policy with no document is one GCP rejects; it grants nothing to judge
        bindings = _iam_bindings(policy_data)
        if bindings is None:
            yield f"{label(resource)} policyData is not a JSON IAM policy, so its members cannot be checked"
            return
        for index, binding in enumerate(bindings):
            for member in _public(strings(binding.get("members"))):
                yield f"{label(resource)} grants access to {member} (policyData bindings[{index}].members)"
        return
    key = "member" if resource.type == GCS_IAM_MEMBER else "members"
    members = one_or_many(resource.props.get(key))
    yield from judge_each(members, lambda _, member: _public_grant(resource, member, key))


def _public_grant(resource: Resource, member: Any, key: str) -> Iterator[str]:
    if isinstance(member, str) and member.strip() in PUBLIC_MEMBERS:
        yield f"{label(resource)} grants access to {member.strip()} ({key})"


@rule(
    "gcs-acl-not-public",
    control="no-public-access",
    severity="critical",
    types=(*GCS_ACCESS_CONTROLS, *GCS_ACLS),
    remediation="Remove allUsers and allAuthenticatedUsers entities and public predefined ACLs; prefer uniform "
    "bucket-level access, which disables ACLs.",
    frameworks=("hipaa", "gdpr"),
)
def gcs_acl_not_public(resource: Resource, settings: Settings) -> Iterator[str]:
    """Cloud Storage ACLs grant nothing to allUsers or allAuthenticatedUsers."""
    if resource.type in GCS_ACCESS_CONTROLS:
        for entity in _public(strings(resource.props.get("entity"))):
            yield f"{label(resource)} grants access to {entity} (entity)"
        return
    yield from judge_apart(partial(_public_predefined_acl, resource), partial(_public_role_entities, resource))


def _public_predefined_acl(resource: Resource) -> Iterator[str]:
    acl = resource.props.get("predefinedAcl")
    if isinstance(acl, str) and acl.strip() in PUBLIC_PREDEFINED_ACLS:
        yield f"{label(resource)} uses the public predefinedAcl {acl.strip()}"


def _public_role_entities(resource: Resource) -> Iterator[str]:
    # The SDK: roleEntities are "ROLE:entity" pairs, each judged on its own.
    pairs = one_or_many(resource.props.get("roleEntities"))
    yield from judge_each(pairs, lambda _, pair: _public_role_entity(resource, pair))


def _public_role_entity(resource: Resource, pair: Any) -> Iterator[str]:
    if not isinstance(pair, str):
        return
    _, _, entity = pair.partition(":")
    for public in _public([entity]):
        yield f"{label(resource)} grants access to {public} (roleEntities {pair.strip()})"


@rule(
    "gke-private-nodes",
    control="no-public-access",
    severity="high",
    types=(GKE_CLUSTER, GKE_NODE_POOL),
    remediation="Set private_cluster_config.enable_private_nodes true and never set a node pool's "
    "network_config.enable_private_nodes false.",
    frameworks=("hipaa", "gdpr"),
)
def gke_private_nodes(resource: Resource, settings: Settings) -> Iterator[str]:
    """GKE nodes have internal IP addresses only."""
    props = resource.props
    # The SDK: a node pool's networkConfig.enablePrivateNodes ("whether nodes have internal IP addresses only")
    # overrides the cluster's setting for that pool; unset, the pool inherits it.
    if resource.type == GKE_NODE_POOL:
        yield from _pool_private_nodes(resource, "networkConfig", props.get("networkConfig"))
        return
    yield from judge_apart(partial(_cluster_private_nodes, resource), partial(_inline_pools_private_nodes, resource))


def _cluster_private_nodes(resource: Resource) -> Iterator[str]:
    if not is_true(mapping(resource.props.get("privateClusterConfig")).get("enablePrivateNodes")):
        yield f"{label(resource)} does not set privateClusterConfig.enablePrivateNodes to true"


def _inline_pools_private_nodes(resource: Resource) -> Iterator[str]:
    pools = listed(resource.props.get("nodePools"))
    yield from judge_each(
        pools,
        lambda i, pool: _pool_private_nodes(
            resource, f"nodePools[{i}].networkConfig", mapping(pool).get("networkConfig")
        ),
    )


def _pool_private_nodes(resource: Resource, where: str, network: Any) -> Iterator[str]:
    value = mapping(network).get("enablePrivateNodes")
    if value is not None and not is_true(value):
        yield f"{label(resource)} {where}.enablePrivateNodes is not true (public node IPs)"


@rule(
    "gke-master-authorized-networks",
    control="no-public-access",
    severity="high",
    types=(GKE_CLUSTER,),
    remediation="Set master_authorized_networks_config with cidr_blocks of known networks only (or none), and "
    "leave gcp_public_cidrs_access_enabled off.",
    frameworks=("hipaa", "gdpr"),
)
def gke_master_authorized_networks(resource: Resource, settings: Settings) -> Iterator[str]:
    """GKE control planes accept connections only from authorized networks, never from anywhere."""
    config = resource.props.get("masterAuthorizedNetworksConfig")
    if not isinstance(config, Mapping):
        yield f"{label(resource)} has no masterAuthorizedNetworksConfig (control plane open to any address)"
        return
    yield from judge_apart(partial(_open_cidr_blocks, resource, config), partial(_public_cidrs, resource, config))


def _open_cidr_blocks(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    # The SDK: leaving cidrBlocks out disallows external access (except node IPs) - the strictest setting.
    yield from judge_each(listed(config.get("cidrBlocks")), lambda i, block: _open_cidr_block(resource, i, block))


def _open_cidr_block(resource: Resource, index: int, block: Any) -> Iterator[str]:
    cidr = mapping(block).get("cidrBlock")
    if is_open_cidr(cidr):
        yield f"{label(resource)} masterAuthorizedNetworksConfig.cidrBlocks[{index}] authorizes {cidr}"


def _public_cidrs(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    # The SDK: this makes the control plane reachable from every Google Compute Engine public IP, anyone's.
    if is_true(config.get("gcpPublicCidrsAccessEnabled")):
        yield f"{label(resource)} sets masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled to true"


# =============================================================================================================
# network-isolation
# =============================================================================================================

# The explicit-edge marker, as aws/access.py's EDGE_TAG: only an internet-facing load balancer's firewall, carrying
# this network tag in targetTags, may accept HTTPS from anywhere. GCP network tags are lowercase and hyphens.
GCP_EDGE_TAG = "llmops-edge-load-balancer"
TCP = ("TCP", "6")  # the SDK: a protocol is a well-known name or the IP protocol number


def _port_443(port: Any) -> bool:
    if isinstance(port, str):
        first, _, last = port.strip().partition("-")
        return number(first) == 443 and (not last or number(last) == 443)
    return number(port) == 443


def _https_only(allow: Mapping[str, Any]) -> bool:
    """Whether an allow rule admits tcp 443 only; its protocol and each port decided on its own."""
    return all_of((lambda: word(allow.get("protocol")) in TCP, partial(_ports_443_only, allow)))


def _ports_443_only(allow: Mapping[str, Any]) -> bool:
    # The SDK: with no ports an allow rule "applies to connections through any port".
    ports = listed(allow.get("ports"))
    return bool(ports) and all_of(per_item(ports, _port_443))


def _open_range(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip()) and is_open_cidr(value)


def _edge_tagged(props: Mapping[str, Any]) -> bool:
    return any_of(per_item(one_or_many(props.get("targetTags")), lambda tag: tag == GCP_EDGE_TAG))


def _edge_https_only(props: Mapping[str, Any], allows: Sequence[Any]) -> bool:
    """The edge exception: tagged as the edge load balancer and every allow rule tcp 443 only, each decided on
    its own (an allow rule known to open another port needs no tag read, a missing tag no allow rule read)."""
    https = partial(all_of, per_item(allows, lambda allow: _https_only(mapping(allow))))
    return all_of((partial(_edge_tagged, props), https))


def _given(value: Any) -> list[str]:
    return [v for v in strings(value) if v.strip()]


@rule(
    "gcp-firewall-no-open-ingress",
    control="network-isolation",
    severity="high",
    types=(FIREWALL,),
    remediation="Restrict source_ranges to known networks (or use source_tags / source_service_accounts); only an "
    f'edge load balancer firewall with target tag "{GCP_EDGE_TAG}" may allow tcp 443 from anywhere.',
    frameworks=("hipaa", "gdpr"),
)
def gcp_firewall_no_open_ingress(resource: Resource, settings: Settings) -> Iterator[str]:
    """VPC firewalls allow no ingress from 0.0.0.0/0 or ::/0, except tcp 443 to the tagged edge load balancer."""
    props = resource.props
    # The SDK: direction defaults to INGRESS; a disabled rule "is not enforced"; denies never open anything.
    if word(props.get("direction")) == "EGRESS" or is_true(props.get("disabled")):
        return
    allows = listed(props.get("allows"))
    if not allows:
        return
    # Each source range decided on its own: one known to be open opens the firewall whatever another hides.
    ranges = one_or_many(props.get("sourceRanges"))
    is_open = any_of(per_item(ranges, _open_range))
    # With no source at all the provider sends none and Compute Engine applies 0.0.0.0/0
    # (hashicorp/terraform-provider-google#6789), though the SDK calls a source "required".
    if not is_open and (
        _given(ranges) or _given(props.get("sourceTags")) or _given(props.get("sourceServiceAccounts"))
    ):
        return
    if _edge_https_only(props, allows):
        return
    open_ranges = [r for r in known_items(ranges) if _open_range(r)]
    if open_ranges:
        yield f"{label(resource)} allows ingress from {', '.join(open_ranges)} (sourceRanges)"
    else:
        yield (
            f"{label(resource)} allows ingress with no sourceRanges, sourceTags or sourceServiceAccounts, which "
            "Compute Engine reads as 0.0.0.0/0"
        )


# The SDK (Subnetwork.logConfig): "Flow logging isn't supported if the subnet purpose field is set to
# REGIONAL_MANAGED_PROXY or GLOBAL_MANAGED_PROXY"; the SDK's `state` doc still names the legacy proxy-only
# purpose INTERNAL_HTTPS_LOAD_BALANCER. Proxy-only subnets host Envoy proxies, never VMs, so Private Google
# Access has nothing to serve there either.
NO_FLOW_LOG_PURPOSES = ("REGIONAL_MANAGED_PROXY", "GLOBAL_MANAGED_PROXY", "INTERNAL_HTTPS_LOAD_BALANCER")


@rule(
    "gcp-subnet-flow-logs-private-access",
    control="network-isolation",
    severity="medium",
    types=(SUBNETWORK,),
    remediation="Add log_config (VPC flow logs, flow_sampling above 0) and set private_ip_google_access true.",
    frameworks=("hipaa", "gdpr"),
)
def gcp_subnet_flow_logs_private_access(resource: Resource, settings: Settings) -> Iterator[str]:
    """VPC subnets log flows and reach Google APIs privately (Private Google Access)."""
    props = resource.props
    if word(props.get("purpose")) in NO_FLOW_LOG_PURPOSES:
        return
    yield from judge_apart(partial(_flow_logs, resource), partial(_private_google_access, resource))


def _flow_logs(resource: Resource) -> Iterator[str]:
    # The SDK: logConfig "denotes the VPC flow logging options ... If logging is enabled": the block is the switch.
    log_config = resource.props.get("logConfig")
    if not isinstance(log_config, Mapping):
        yield f"{label(resource)} has no logConfig (VPC flow logs)"
    elif number(log_config.get("flowSampling")) == 0:
        # The SDK: a sampling rate of 0.0 "means no logs are reported".
        yield f"{label(resource)} sets logConfig.flowSampling to 0, so no flow logs are reported"


def _private_google_access(resource: Resource) -> Iterator[str]:
    if not is_true(resource.props.get("privateIpGoogleAccess")):
        yield f"{label(resource)} does not set privateIpGoogleAccess to true"


# =============================================================================================================
# audit-logging
# =============================================================================================================

# The SDK (loggingConfig.enableComponents): SYSTEM_COMPONENTS, KCP_VPA, APISERVER, CONTROLLER_MANAGER,
# SCHEDULER, WORKLOADS. System components and the API server's logs are the ones an audit needs.
GKE_LOG_COMPONENTS = ("SYSTEM_COMPONENTS", "APISERVER")
GKE_METRIC_COMPONENTS = ("SYSTEM_COMPONENTS",)


@rule(
    "gke-logging-monitoring",
    control="audit-logging",
    severity="high",
    types=(GKE_CLUSTER,),
    remediation="Leave logging_service and monitoring_service at their defaults (not none); a logging_config "
    "enables SYSTEM_COMPONENTS and APISERVER, a monitoring_config SYSTEM_COMPONENTS.",
    frameworks=("hipaa", "gdpr"),
)
def gke_logging_monitoring(resource: Resource, settings: Settings) -> Iterator[str]:
    """GKE clusters send system and API server logs to Cloud Logging and metrics to Cloud Monitoring."""
    # Each service and each config judged on its own: an unknown one hides no other's violation.
    yield from judge_apart(
        partial(_service_off, resource, "loggingService"),
        partial(_service_off, resource, "monitoringService"),
        partial(_log_components, resource),
        partial(_metric_components, resource),
    )


def _service_off(resource: Resource, key: str) -> Iterator[str]:
    # The SDK: both services default to the GKE integrations (logging.googleapis.com/kubernetes ...); `none` is off.
    value = resource.props.get(key)
    if isinstance(value, str) and value.strip().lower() == "none":
        yield f"{label(resource)} sets {key} to none"


def _log_components(resource: Resource) -> Iterator[str]:
    logging_config = resource.props.get("loggingConfig")
    if logging_config is not None:
        # enableComponents is required in a loggingConfig (the SDK); absent or empty, nothing is logged.
        enabled = strings(mapping(logging_config).get("enableComponents"))
        missing = [c for c in GKE_LOG_COMPONENTS if c not in enabled]
        if missing:
            yield f"{label(resource)} loggingConfig.enableComponents lacks {', '.join(missing)}"


def _metric_components(resource: Resource) -> Iterator[str]:
    monitoring = mapping(resource.props.get("monitoringConfig"))
    # Optional in a monitoringConfig (the SDK): left out, GKE keeps its default system metrics.
    if has_key(monitoring, "enableComponents"):
        enabled = strings(monitoring.get("enableComponents"))
        missing = [c for c in GKE_METRIC_COMPONENTS if c not in enabled]
        if missing:
            yield f"{label(resource)} monitoringConfig.enableComponents lacks {', '.join(missing)}"


# The SDK (auditLogConfigs.logType): "Must be one of DATA_READ, DATA_WRITE, or ADMIN_READ".
AUDIT_LOG_TYPES = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")


@rule(
    "gcp-audit-config-all-log-types",
    control="audit-logging",
    severity="high",
    types=AUDIT_CONFIGS,
    remediation="Give the audit config audit_log_configs for ADMIN_READ, DATA_READ and DATA_WRITE, with no "
    "exempted_members.",
    frameworks=("hipaa", "gdpr"),
)
def gcp_audit_config_all_log_types(resource: Resource, settings: Settings) -> Iterator[str]:
    """IAM audit configs log admin reads, data reads and data writes, exempting no one."""
    configs = listed(resource.props.get("auditLogConfigs"))
    # Which types are logged needs every config's logType; each config's exemptions are its own.
    yield from judge_apart(
        partial(_missing_log_types, resource, configs),
        lambda: judge_each(configs, lambda i, config: _exempted_members(resource, i, config)),
    )


def _missing_log_types(resource: Resource, configs: Sequence[Any]) -> Iterator[str]:
    enabled = [word(mapping(c).get("logType")) for c in configs]
    missing = [t for t in AUDIT_LOG_TYPES if t not in enabled]
    if missing:
        yield f"{label(resource)} auditLogConfigs lacks {', '.join(missing)}"


def _exempted_members(resource: Resource, index: int, config: Any) -> Iterator[str]:
    exempted = _given(mapping(config).get("exemptedMembers"))
    if exempted:
        yield f"{label(resource)} auditLogConfigs[{index}] exempts {', '.join(exempted)} (exemptedMembers)"


# =============================================================================================================
# least-privilege
# =============================================================================================================

PRIMITIVE_ROLES = ("roles/owner", "roles/editor")


@rule(
    "gcp-iam-no-primitive-roles",
    control="least-privilege",
    severity="critical",
    types=(*IAM_MEMBERS, *IAM_BINDINGS, *IAM_POLICIES),
    remediation="Grant predefined or custom roles scoped to the task instead of roles/owner or roles/editor.",
    frameworks=("hipaa", "gdpr"),
)
def gcp_iam_no_primitive_roles(resource: Resource, settings: Settings) -> Iterator[str]:
    """Project, folder and organization IAM never grants the basic roles roles/owner or roles/editor."""
    if resource.type in IAM_POLICIES:
        policy_data = resource.props.get("policyData")
        if policy_data is None:
            return  # a policy with no document is one GCP rejects; it grants nothing to judge
        bindings = _iam_bindings(policy_data)
        if bindings is None:
            yield f"{label(resource)} policyData is not a JSON IAM policy, so its roles cannot be checked"
            return
        for index, binding in enumerate(bindings):
            role = binding.get("role")
            if isinstance(role, str) and role.strip() in PRIMITIVE_ROLES:
                yield f"{label(resource)} grants {role.strip()} (policyData bindings[{index}].role)"
        return
    role = resource.props.get("role")
    if isinstance(role, str) and role.strip() in PRIMITIVE_ROLES:
        yield f"{label(resource)} grants {role.strip()} (role)"


# The SDK: node VMs without a serviceAccount run as the project's Compute Engine default service account,
# <project-number>-compute@developer.gserviceaccount.com, which holds roles/editor unless an org policy stops it.
DEFAULT_COMPUTE_SA_SUFFIX = "-compute@developer.gserviceaccount.com"


def _default_service_account(value: Any) -> bool:
    if not named(value):
        return True
    account = value.strip().lower()
    return account == "default" or account.endswith(DEFAULT_COMPUTE_SA_SUFFIX)


@rule(
    "gke-nodes-not-default-service-account",
    control="least-privilege",
    severity="high",
    types=(GKE_CLUSTER, GKE_NODE_POOL),
    remediation="Set node_config.service_account (and cluster_autoscaling.auto_provisioning_defaults."
    "service_account with auto-provisioning or Autopilot) to a dedicated least-privilege service account.",
    frameworks=("hipaa", "gdpr"),
)
def gke_nodes_not_default_service_account(resource: Resource, settings: Settings) -> Iterator[str]:
    """GKE nodes run as a dedicated service account, never the Compute Engine default one."""
    yield from judge_node_configs(resource, partial(_node_service_account, resource), include_autopilot=True)


def _node_service_account(resource: Resource, where: str, config: Mapping[str, Any]) -> Iterator[str]:
    account = config.get("serviceAccount")
    if _default_service_account(account):
        shown = f"is {account.strip()!r}" if named(account) else "is unset"
        yield f"{label(resource)} {where}.serviceAccount {shown}: nodes run as the default compute service account"


GKE_METADATA = "GKE_METADATA"


@rule(
    "gke-workload-identity",
    control="least-privilege",
    severity="high",
    types=(GKE_CLUSTER, GKE_NODE_POOL),
    remediation='Set workload_identity_config.workload_pool ("<project>.svc.id.goog") on the cluster and '
    'node_config.workload_metadata_config.mode "GKE_METADATA" on every node pool.',
    frameworks=("hipaa", "gdpr"),
)
def gke_workload_identity(resource: Resource, settings: Settings) -> Iterator[str]:
    """GKE workloads use Workload Identity, so pods never see the node's credentials."""
    # The cluster's pool and each node config judged on its own.
    yield from judge_apart(
        partial(_workload_pool, resource), partial(judge_node_configs, resource, partial(_metadata_mode, resource))
    )


def _workload_pool(resource: Resource) -> Iterator[str]:
    if resource.type == GKE_CLUSTER:
        # Autopilot clusters always run Workload Identity Federation; GKE sets the pool itself.
        autopilot = is_true(resource.props.get("enableAutopilot"))
        pool = mapping(resource.props.get("workloadIdentityConfig")).get("workloadPool")
        if not autopilot and not named(pool):
            yield f"{label(resource)} has no workloadIdentityConfig.workloadPool"


def _metadata_mode(resource: Resource, where: str, config: Mapping[str, Any]) -> Iterator[str]:
    # The SDK: GCE_METADATA "exposes all Compute Engine metadata to pods" (the node's credentials included);
    # GKE_METADATA runs the GKE metadata server, which needs Workload Identity on the cluster.
    mode = mapping(config.get("workloadMetadataConfig")).get("mode")
    if word(mode) != GKE_METADATA:
        yield f"{label(resource)} {where}.workloadMetadataConfig.mode is not {GKE_METADATA}"
