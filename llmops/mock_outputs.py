"""What the offline engine answers in place of the cloud: computed outputs of resources, and invokes.

A real preview knows an output only after the provider creates the resource. Offline, the engine answers the
few outputs programs read back to wire resources together (ids, ARNs, physical names, endpoints) with
deterministic placeholders, so the whole graph is visible; every other output stays unknown, as in preview.
The AWS account is AWS's documentation account id and the GCP project number a made-up constant, so nothing
here can be mistaken for a real one.

Ids follow the provider's own id of each type (ID_RULES), so programs that build on `resource.id` (an S3 bucket
policy on `bucket=b.id`, ARNs built from it) are judged as they would be for real. Every data source answers:
the few in INVOKES with values, any other with its SDK result type filled with values that read as unknown.
"""

from __future__ import annotations

import collections.abc
import hashlib
import importlib
import keyword
import re
import threading
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pulumi import _types as pulumi_types

from .wire import UNKNOWN, is_unknown

if TYPE_CHECKING:
    from .recording import Registration, StackSettings

ACCOUNT_ID = "123456789012"
PARTITION = "aws"
GCP_PROJECT = "offline-project"  # when the stack sets no gcp:project
GCP_PROJECT_NUMBER = "100000000001"


def _suffix(*parts: str, length: int = 7) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def physical_name(registration: Registration, key: str = "name", max_length: int = 63) -> str:
    """The name a provider would auto-assign: the logical name plus a random-looking suffix (here stable).

    As Pulumi's auto-naming: a given name is kept, a `<key>Prefix` replaces the logical name, and a name given as
    unknown stays unknown (so does everything built from it: ARNs, ids).
    """
    given = registration.inputs.get(key)
    if isinstance(given, str):
        return UNKNOWN if is_unknown(given) else given
    prefix = registration.inputs.get(f"{key}Prefix")
    if is_unknown(prefix):
        return UNKNOWN
    base = prefix if isinstance(prefix, str) else f"{registration.name}-"
    return (base + _suffix(registration.urn))[:max_length]


def _region(registration: Registration, settings: StackSettings) -> str:
    region = registration.inputs.get("region")
    return region if isinstance(region, str) else settings.get("aws:region") or "us-east-1"


Computed = Callable[["Registration", "StackSettings"], dict[str, Any]]


def _arn(service: str, resource: str, *, regional: bool = True) -> Computed:
    def computed(r: Registration, s: StackSettings) -> dict[str, Any]:
        region = _region(r, s) if regional else ""
        return {
            "arn": f"arn:{PARTITION}:{service}:{region}:{ACCOUNT_ID}:{resource.format(name=physical_name(r), id=r.id)}"
        }

    return computed


def _named(key: str = "name", max_length: int = 63) -> Computed:
    return lambda r, s: {key: physical_name(r, key, max_length)}


def _bucket(r: Registration, s: StackSettings) -> dict[str, Any]:
    name = physical_name(r, "bucket")
    return {"bucket": name, "arn": f"arn:{PARTITION}:s3:::{name}", "region": _region(r, s)}


def _iam_path(r: Registration) -> str:
    path = r.inputs.get("path")
    return path if isinstance(path, str) else "/"


def _role(r: Registration, s: StackSettings) -> dict[str, Any]:
    name = physical_name(r, "name", 64)
    return {
        "name": name,
        "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role{_iam_path(r)}{name}",
        "uniqueId": f"AROA{_suffix(r.urn, length=17).upper()}",
    }


def _policy(r: Registration, s: StackSettings) -> dict[str, Any]:
    name = physical_name(r, "name", 128)
    return {"name": name, "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:policy{_iam_path(r)}{name}"}


def _instance_profile(r: Registration, s: StackSettings) -> dict[str, Any]:
    name = physical_name(r, "name", 128)
    return {
        "name": name,
        "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:instance-profile{_iam_path(r)}{name}",
        "uniqueId": f"AIPA{_suffix(r.urn, length=17).upper()}",
    }


def _kms_key(r: Registration, s: StackSettings) -> dict[str, Any]:
    key_id = _stable_uuid(r.urn)
    return {"keyId": key_id, "arn": f"arn:{PARTITION}:kms:{_region(r, s)}:{ACCOUNT_ID}:key/{key_id}"}


def _eks_cluster(r: Registration, s: StackSettings) -> dict[str, Any]:
    name = physical_name(r, "name", 100)
    region = _region(r, s)
    issuer_id = _suffix(r.urn, length=32).upper()
    vpc_config = dict(r.inputs.get("vpcConfig") or {})
    vpc_config["clusterSecurityGroupId"] = f"sg-{_suffix(r.urn, 'cluster-sg', length=17)}"
    return {
        "name": name,
        "arn": f"arn:{PARTITION}:eks:{region}:{ACCOUNT_ID}:cluster/{name}",
        "endpoint": f"https://{issuer_id}.gr7.{region}.eks.amazonaws.com",
        # A base64 placeholder, not a certificate: kubeconfigs built offline cannot reach anything.
        "certificateAuthority": {"data": "T0ZGTElORS1QTEFDRUhPTERFUg=="},
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{issuer_id}"}]}],
        "vpcConfig": vpc_config,
    }


def _node_group(r: Registration, s: StackSettings) -> dict[str, Any]:
    asg = f"eks-{r.name}-{_stable_uuid(r.urn)}"
    return {
        "arn": f"arn:{PARTITION}:eks:{_region(r, s)}:{ACCOUNT_ID}:nodegroup/{r.name}",
        "nodeGroupName": physical_name(r, "nodeGroupName"),
        "resources": [{"autoscalingGroups": [{"name": asg}], "remoteAccessSecurityGroupId": ""}],
    }


def _launch_template(r: Registration, s: StackSettings) -> dict[str, Any]:
    return {
        "latestVersion": 1,
        "defaultVersion": 1,
        **_arn("ec2", "launch-template/{id}")(r, s),
        **_named()(r, s),
    }


def _vpc(r: Registration, s: StackSettings) -> dict[str, Any]:
    return {
        "arn": f"arn:{PARTITION}:ec2:{_region(r, s)}:{ACCOUNT_ID}:vpc/{r.id}",
        "defaultSecurityGroupId": f"sg-{_suffix(r.urn, 'default-sg', length=17)}",
        "mainRouteTableId": f"rtb-{_suffix(r.urn, 'main-rtb', length=17)}",
    }


def _oidc_provider(r: Registration, s: StackSettings) -> dict[str, Any]:
    url = str(r.inputs.get("url", "")).removeprefix("https://")
    return {"arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:oidc-provider/{url}"}


def _log_group(r: Registration, s: StackSettings) -> dict[str, Any]:
    name = physical_name(r, "name", 512)
    return {"name": name, "arn": f"arn:{PARTITION}:logs:{_region(r, s)}:{ACCOUNT_ID}:log-group:{name}"}


def _stable_uuid(seed: str) -> str:
    h = hashlib.sha256(seed.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


# ---- GCP ----------------------------------------------------------------------------------------------------


def _project(r: Registration | None, s: StackSettings) -> str:
    given = r.inputs.get("project") if r is not None else None
    return given if isinstance(given, str) else s.get("gcp:project") or GCP_PROJECT


def _gcp_location(r: Registration, s: StackSettings, key: str = "location") -> str:
    given = r.inputs.get(key)
    return given if isinstance(given, str) else s.get("gcp:region") or "us-central1"


def _gcp_fields(r: Registration, s: StackSettings) -> dict[str, Any]:
    """What a GCP resource takes from its provider when the program does not set it."""
    return {"project": _project(r, s), "location": _gcp_location(r, s), "region": _gcp_location(r, s, "region")}


# The paths GCP resources are known by: their ids (ID_RULES) and, after the API's host, their selfLinks.
NETWORK_PATH = "projects/{project}/global/networks/{name}"
SUBNETWORK_PATH = "projects/{project}/regions/{region}/subnetworks/{name}"
ROUTER_PATH = "projects/{project}/regions/{region}/routers/{name}"
FIREWALL_PATH = "projects/{project}/global/firewalls/{name}"
GKE_CLUSTER_PATH = "projects/{project}/locations/{location}/clusters/{name}"
GKE_NODE_POOL_PATH = "projects/{project}/locations/{location}/clusters/{cluster}/nodePools/{name}"
KEY_RING_PATH = "projects/{project}/locations/{location}/keyRings/{name}"


def _gcp_path(template: str, key: str = "name", max_length: int = 63) -> Computed:
    """The physical name and the `selfLink` (the compute API's URL of the resource's path)."""

    def computed(r: Registration, s: StackSettings) -> dict[str, Any]:
        name = physical_name(r, key, max_length)
        path = _fill(template, {**_gcp_fields(r, s), key: name})
        return {key: name, "selfLink": f"https://www.googleapis.com/compute/v1/{path}"}

    return computed


def _service_account(r: Registration, s: StackSettings) -> dict[str, Any]:
    project = _project(r, s)
    email = f"{r.inputs.get('accountId')}@{project}.iam.gserviceaccount.com"
    return {
        "email": email,
        "member": f"serviceAccount:{email}",
        "name": f"projects/{project}/serviceAccounts/{email}",
        "uniqueId": str(int(_suffix(r.urn, length=15), 16))[:21],
    }


def _gcs_bucket(r: Registration, s: StackSettings) -> dict[str, Any]:
    name = physical_name(r, "name")
    return {
        "name": name,
        "url": f"gs://{name}",
        "selfLink": f"https://www.googleapis.com/storage/v1/b/{name}",
        "project": _project(r, s),
    }


def _gke_cluster(r: Registration, s: StackSettings) -> dict[str, Any]:
    name = physical_name(r, "name", 40)
    path = _fill(GKE_CLUSTER_PATH, {**_gcp_fields(r, s), "name": name})
    return {
        "name": name,
        "endpoint": "172.16.0.2",  # a private control-plane address: offline kubeconfigs reach nothing
        # A base64 placeholder, not a certificate.
        "masterAuth": {"clusterCaCertificate": "T0ZGTElORS1QTEFDRUhPTERFUg==", "clientCertificateConfig": {}},
        "selfLink": f"https://container.googleapis.com/v1/{path}",
    }


# ---- Kubernetes ---------------------------------------------------------------------------------------------

# Kinds whose objects are cluster-scoped (`kubectl api-resources --namespaced=false`; the Kubernetes API reference,
# https://kubernetes.io/docs/reference/kubernetes-api/). Every other kind is namespaced, custom resources included:
# at preview the provider assumes a kind it cannot look up is namespaced (pulumi-kubernetes provider.go, Check).
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "APIService",
        "AuditSink",
        "CSIDriver",
        "CSINode",
        "CertificateSigningRequest",
        "ClusterCIDR",
        "ClusterRole",
        "ClusterRoleBinding",
        "ClusterTrustBundle",
        "CustomResourceDefinition",
        "DeviceClass",
        "DeviceTaintRule",
        "FlowSchema",
        "IPAddress",
        "IngressClass",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PodSecurityPolicy",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "ResourceClass",
        "ResourceSlice",
        "RuntimeClass",
        "ServiceCIDR",
        "StorageClass",
        "StorageVersionMigration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
        "VolumeAttributesClass",
    }
)
DEFAULT_NAMESPACE = "default"  # the provider's, when neither its `namespace` nor the kubeconfig context sets one
_KUBERNETES_OBJECT = re.compile(r"kubernetes:(?P<group>[^:/]+)/(?P<version>[^:/]+):(?P<kind>[A-Za-z0-9]+)")
_NOT_OBJECTS = frozenset({"helm.sh", "yaml", "kustomize"})  # Helm releases and charts, YAML and kustomize groups


def _kubernetes_kind(token: str) -> str | None:
    """The kind of a Kubernetes object type (`...Patch` resources patch that kind), None for other types."""
    match = _KUBERNETES_OBJECT.fullmatch(token)
    if match is None or match["group"] in _NOT_OBJECTS or match["kind"].endswith("List"):
        return None
    return match["kind"].removesuffix("Patch")


def _kubernetes_object(r: Registration, s: StackSettings) -> dict[str, Any]:
    """`metadata.name` and `metadata.namespace` as the provider's Check sets them before the object is created.

    A missing name is auto-named (the logical name, `-`, 8 random hex characters: metadata.AssignNameIfAutonamable)
    unless `generateName` leaves it to the API server (unknown at preview); a namespaced object without a namespace
    gets the provider's default namespace (provider.go, Check).
    """
    metadata = r.inputs.get("metadata", {})
    if not isinstance(metadata, dict):
        return {}  # the whole metadata is unknown
    metadata = dict(metadata)
    if metadata.get("name") is None and not r.type.endswith("Patch"):
        generated = metadata.get("generateName") is not None
        metadata["name"] = UNKNOWN if generated else f"{r.name}-{_suffix(r.urn, length=8)}"
    if _kubernetes_kind(r.type) not in CLUSTER_SCOPED_KINDS and not metadata.get("namespace"):
        metadata["namespace"] = s.get("kubernetes:namespace") or DEFAULT_NAMESPACE
    return {"metadata": metadata}


# Resource type -> the computed outputs a program may read back. Types not listed get only `id` (and Kubernetes
# objects their name and namespace).
COMPUTED: dict[str, Computed] = {
    "gcp:serviceaccount/account:Account": _service_account,
    "gcp:storage/bucket:Bucket": _gcs_bucket,
    "gcp:compute/network:Network": _gcp_path(NETWORK_PATH),
    "gcp:compute/subnetwork:Subnetwork": _gcp_path(SUBNETWORK_PATH),
    "gcp:compute/router:Router": _gcp_path(ROUTER_PATH),
    "gcp:compute/firewall:Firewall": _gcp_path(FIREWALL_PATH),
    "gcp:container/cluster:Cluster": _gke_cluster,
    "gcp:container/nodePool:NodePool": _named("name", 40),
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketV2:BucketV2": _bucket,
    "aws:iam/role:Role": _role,
    "aws:iam/policy:Policy": _policy,
    "aws:iam/rolePolicy:RolePolicy": _named("name", 128),
    "aws:iam/instanceProfile:InstanceProfile": _instance_profile,
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _arn("kms", "{name}"),
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "aws:eks/addon:Addon": _arn("eks", "addon/{name}"),
    "aws:eks/accessEntry:AccessEntry": _arn("eks", "access-entry/{id}"),
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/subnet:Subnet": _arn("ec2", "subnet/{id}"),
    "aws:ec2/securityGroup:SecurityGroup": _arn("ec2", "security-group/{id}"),
    "aws:ec2/placementGroup:PlacementGroup": lambda r, s: {
        **_arn("ec2", "placement-group/{name}")(r, s),
        **_named()(r, s),
    },
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
}

# Id prefixes of the types whose ids the cloud assigns, so that ids read like the real ones in reports and exports.
ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/natGateway:NatGateway": "nat-",
    "aws:ec2/eip:Eip": "eipalloc-",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
    "aws:ec2/flowLog:FlowLog": "fl-",
}


# ---- ids ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdRule:
    """How the provider forms a resource's id from the resource's own values.

    `templates` name fields of the resource's outputs (its inputs and the computed values above, `a.b` for a nested
    one), then of what its provider supplies (a GCP project, location, region); the first template whose fields are
    all set is the id, and an id built from an unknown value is unknown. `parse` reads a field given as a path (a
    node pool's `cluster` given as the cluster's id) into the fields it is made of. `source` is where the rule is
    documented: the SDK docstring's "## Import" section (the id `pulumi import` takes, which is the id the provider
    sets) or the provider's source where the docstring says nothing.
    """

    templates: tuple[str, ...]
    source: str
    parse: tuple[tuple[str, str], ...] = ()


_AWS_IMPORT = "pulumi_aws {} docstring, ## Import: {}"
_GCP_IMPORT = "pulumi_gcp {} docstring, ## Import: {}"


def _bucket_part(resource: str) -> IdRule:
    """An S3 bucket's configuration resource: the bucket, with `,<expected owner>` when one is given."""
    return IdRule(
        ("{bucket},{expectedBucketOwner}", "{bucket}"),
        _AWS_IMPORT.format(resource, "using the `bucket` or `bucket` and `expected_bucket_owner` separated by `,`"),
    )


ID_RULES: dict[str, IdRule] = {
    "aws:s3/bucket:Bucket": IdRule(
        ("{bucket}",), _AWS_IMPORT.format("s3.Bucket", "import S3 bucket using the `bucket`")
    ),
    "aws:s3/bucketV2:BucketV2": IdRule(
        ("{bucket}",), _AWS_IMPORT.format("s3.BucketV2", "import S3 bucket using the `bucket`")
    ),
    "aws:s3/bucketPolicy:BucketPolicy": IdRule(
        ("{bucket}",), _AWS_IMPORT.format("s3.BucketPolicy", "import S3 bucket policies using the bucket name")
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": IdRule(
        ("{bucket}",), _AWS_IMPORT.format("s3.BucketPublicAccessBlock", "using the bucket name")
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": IdRule(
        ("{bucket}",), _AWS_IMPORT.format("s3.BucketOwnershipControls", "using S3 Bucket name")
    ),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": IdRule(
        ("{bucket}",), _AWS_IMPORT.format("s3.BucketReplicationConfig", "using the `bucket`")
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _bucket_part(
        "s3.BucketServerSideEncryptionConfiguration"
    ),
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": _bucket_part(
        "s3.BucketServerSideEncryptionConfigurationV2"
    ),
    "aws:s3/bucketVersioning:BucketVersioning": _bucket_part("s3.BucketVersioning"),
    "aws:s3/bucketVersioningV2:BucketVersioningV2": _bucket_part("s3.BucketVersioningV2"),
    "aws:s3/bucketLogging:BucketLogging": _bucket_part("s3.BucketLogging"),
    "aws:s3/bucketLoggingV2:BucketLoggingV2": _bucket_part("s3.BucketLoggingV2"),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _bucket_part("s3.BucketLifecycleConfiguration"),
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2": _bucket_part(
        "s3.BucketLifecycleConfigurationV2"
    ),
    "aws:iam/role:Role": IdRule(("{name}",), _AWS_IMPORT.format("iam.Role", "import IAM Roles using the `name`")),
    "aws:iam/policy:Policy": IdRule(
        ("{arn}",), _AWS_IMPORT.format("iam.Policy", "import IAM Policies using the `arn`")
    ),
    "aws:iam/rolePolicy:RolePolicy": IdRule(
        ("{role}:{name}",), _AWS_IMPORT.format("iam.RolePolicy", "using the `role_name:role_policy_name`")
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": IdRule(
        ("{role}/{policyArn}",),
        _AWS_IMPORT.format("iam.RolePolicyAttachment", "the role name and policy ARN separated by `/`")
        + '; terraform-provider-aws role_policy_attachment.go @IdAttrFormat("{role}/{policy_arn}")',
    ),
    "aws:iam/instanceProfile:InstanceProfile": IdRule(
        ("{name}",), _AWS_IMPORT.format("iam.InstanceProfile", "import Instance Profiles using the `name`")
    ),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": IdRule(
        ("{arn}",), _AWS_IMPORT.format("iam.OpenIdConnectProvider", "using the `arn`")
    ),
    "aws:kms/key:Key": IdRule(("{keyId}",), _AWS_IMPORT.format("kms.Key", "import KMS Keys using the `id`")),
    "aws:kms/alias:Alias": IdRule(("{name}",), _AWS_IMPORT.format("kms.Alias", "import KMS aliases using the `name`")),
    "aws:cloudwatch/logGroup:LogGroup": IdRule(
        ("{name}",), _AWS_IMPORT.format("cloudwatch.LogGroup", "import CloudWatch Log Groups using the `name`")
    ),
    "aws:eks/cluster:Cluster": IdRule(
        ("{name}",), _AWS_IMPORT.format("eks.Cluster", "import EKS Clusters using the `name`")
    ),
    "aws:eks/nodeGroup:NodeGroup": IdRule(
        ("{clusterName}:{nodeGroupName}",),
        _AWS_IMPORT.format("eks.NodeGroup", "the `cluster_name` and `node_group_name` separated by a colon"),
    ),
    "aws:eks/addon:Addon": IdRule(
        ("{clusterName}:{addonName}",),
        _AWS_IMPORT.format("eks.Addon", "`cluster_name` and `addon_name` separated by a colon"),
    ),
    "aws:eks/accessEntry:AccessEntry": IdRule(
        ("{clusterName}:{principalArn}",),
        _AWS_IMPORT.format("eks.AccessEntry", "`cluster_name` and `principal_arn` separated by a colon"),
    ),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": IdRule(
        ("{clusterName}#{principalArn}#{policyArn}",),
        _AWS_IMPORT.format(
            "eks.AccessPolicyAssociation", "`cluster_name`, `principal_arn`, `policy_arn` separated by `#`"
        ),
    ),
    "aws:ec2/placementGroup:PlacementGroup": IdRule(
        ("{name}",), _AWS_IMPORT.format("ec2.PlacementGroup", "import placement groups using the `name`")
    ),
    "gcp:storage/bucket:Bucket": IdRule(
        ("{name}",),
        "terraform-provider-google resource_storage_bucket.go: d.SetId(res.Id), the bucket's name (the importer takes "
        "name or project/name; the SDK docstring has no Import section)",
    ),
    "gcp:kms/keyRing:KeyRing": IdRule((KEY_RING_PATH,), _GCP_IMPORT.format("kms.KeyRing", KEY_RING_PATH)),
    "gcp:kms/cryptoKey:CryptoKey": IdRule(
        ("{keyRing}/cryptoKeys/{name}",), _GCP_IMPORT.format("kms.CryptoKey", "{{key_ring}}/cryptoKeys/{{name}}")
    ),
    "gcp:serviceaccount/account:Account": IdRule(
        ("projects/{project}/serviceAccounts/{email}",),
        "terraform-provider-google resource_google_service_account.go: d.SetId(sa.Name), "
        "projects/{project}/serviceAccounts/{email} (the SDK docstring has no Import section)",
    ),
    "gcp:container/cluster:Cluster": IdRule(
        (GKE_CLUSTER_PATH,), _GCP_IMPORT.format("container.Cluster", "projects/{{project_id}}/locations/...")
    ),
    "gcp:container/nodePool:NodePool": IdRule(
        (GKE_NODE_POOL_PATH,),
        "terraform-provider-google resource_container_node_pool.go: NodePoolInformation.fullyQualifiedName; a "
        "`cluster` given as the cluster's id supplies project and location (extractNodePoolInformation)",
        parse=(("cluster", r"projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/clusters/(?P<cluster>[^/]+)"),),
    ),
    "gcp:compute/network:Network": IdRule((NETWORK_PATH,), _GCP_IMPORT.format("compute.Network", NETWORK_PATH)),
    "gcp:compute/subnetwork:Subnetwork": IdRule(
        (SUBNETWORK_PATH,), _GCP_IMPORT.format("compute.Subnetwork", SUBNETWORK_PATH)
    ),
    "gcp:compute/router:Router": IdRule((ROUTER_PATH,), _GCP_IMPORT.format("compute.Router", ROUTER_PATH)),
    "gcp:compute/firewall:Firewall": IdRule((FIREWALL_PATH,), _GCP_IMPORT.format("compute.Firewall", FIREWALL_PATH)),
}

# Every Kubernetes object: the provider's id is fqObjName, "<namespace>/<name>", or "<name>" for a cluster-scoped
# object (pulumi-kubernetes provider/pkg/provider/util.go fqName; Create returns `fqObjName(initialized)`).
KUBERNETES_NAMESPACED = IdRule(("{metadata.namespace}/{metadata.name}",), "pulumi-kubernetes util.go fqName")
KUBERNETES_CLUSTER_SCOPED = IdRule(("{metadata.name}",), "pulumi-kubernetes util.go fqName (no namespace)")

# What a resource takes from its provider's settings when the program leaves it out.
PROVIDER_DEFAULTS: dict[str, Computed] = {"gcp": _gcp_fields}

_FIELD = re.compile(r"\{([A-Za-z0-9_.]+)\}")


def _lookup(values: dict[str, Any], path: str) -> Any:
    value: Any = values
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _fill(template: str, values: dict[str, Any]) -> str | None:
    """The template with its fields filled: None if one is not set, UNKNOWN if one is unknown."""
    parts: dict[str, str] = {}
    for field in _FIELD.findall(template):
        value = _lookup(values, field)
        if isinstance(value, bool) or not isinstance(value, (str, int, float)) or value == "":
            return None
        parts[field] = str(value)
    if any(contains_unknown(part) for part in parts.values()):
        return UNKNOWN
    return _FIELD.sub(lambda match: parts[match.group(1)], template)


def id_rule(token: str) -> IdRule | None:
    if token in ID_RULES:
        return ID_RULES[token]
    kind = _kubernetes_kind(token)
    if kind is None:
        return None
    return KUBERNETES_CLUSTER_SCOPED if kind in CLUSTER_SCOPED_KINDS else KUBERNETES_NAMESPACED


def _resource_id(r: Registration, outputs: dict[str, Any], s: StackSettings) -> str | None:
    """The provider's id of the resource (UNKNOWN if built from an unknown), None where no rule applies."""
    rule = id_rule(r.type)
    if rule is None:
        return None
    defaults = PROVIDER_DEFAULTS.get(r.type.split(":")[0])
    values = {**(defaults(r, s) if defaults else {}), **outputs}
    for field, pattern in rule.parse:
        given = values.get(field)
        match = re.fullmatch(pattern, given) if isinstance(given, str) else None
        if match:
            values.update(match.groupdict())
    for template in rule.templates:
        filled = _fill(template, values)
        if filled is not None:
            return filled
    return None


_UNKNOWN_TEXT = re.compile(re.escape(UNKNOWN), re.IGNORECASE)


def contains_unknown(value: Any) -> bool:
    return isinstance(value, str) and _UNKNOWN_TEXT.search(value) is not None


def settle_unknowns(value: Any) -> Any:
    """`value` with every text built from an unknown (one that contains the sentinel) unknown itself.

    The engine reads every value it is given through this, so a placeholder of a data source (OFFLINE_UNKNOWN, see
    below) reads as unknown wherever the program passes it on, whole or within a longer text.
    """
    if isinstance(value, str):
        return UNKNOWN if contains_unknown(value) else value
    if isinstance(value, dict):
        return {k: settle_unknowns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [settle_unknowns(v) for v in value]
    return value


def _computed_for(token: str) -> Computed | None:
    if token in COMPUTED:
        return COMPUTED[token]
    return _kubernetes_object if _kubernetes_kind(token) else None


def outputs_for(registration: Registration, settings: StackSettings) -> dict[str, Any]:
    """Inputs echoed back, plus the computed values for this type; sets `registration.id` as the provider would.

    The engine sets a stable placeholder id first; a type with an id prefix gets a cloud-style one, a type with an id
    rule the provider's (empty, which is unknown at preview, when built from an unknown). A read or imported
    resource keeps the id it was given.
    """
    external = registration.options.get("external") or registration.options.get("import")
    prefix = ID_PREFIX.get(registration.type)
    if prefix and not external:
        registration.id = prefix + _suffix(registration.urn, length=17)
    computed = _computed_for(registration.type)
    outputs = {**registration.inputs, **(settle_unknowns(computed(registration, settings)) if computed else {})}
    if not external:
        resource_id = _resource_id(registration, outputs, settings)
        if resource_id is not None:
            registration.id = "" if is_unknown(resource_id) else resource_id
    return {**outputs, "id": registration.id or UNKNOWN}


# ---- invokes ----------------------------------------------------------------------------------------------


def _availability_zones(args: dict[str, Any], settings: StackSettings) -> dict[str, Any]:
    region = settings.get("aws:region") or "us-east-1"
    letters = "abcdef"
    return {
        "id": region,
        "names": [f"{region}{c}" for c in letters],
        "zoneIds": [f"{region[:3]}{region.split('-')[-1]}-az{i + 1}" for i in range(len(letters))],
        "groupNames": [region] * len(letters),
    }


def _caller_identity(args: dict[str, Any], settings: StackSettings) -> dict[str, Any]:
    return {
        "id": ACCOUNT_ID,
        "accountId": ACCOUNT_ID,
        "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:user/offline",
        "userId": "AIDAOFFLINEPLACEHOLDER",
    }


def _partition(args: dict[str, Any], settings: StackSettings) -> dict[str, Any]:
    return {
        "id": PARTITION,
        "partition": PARTITION,
        "dnsSuffix": "amazonaws.com",
        "reverseDnsPrefix": "com.amazonaws",
    }


def _region_info(args: dict[str, Any], settings: StackSettings) -> dict[str, Any]:
    region = settings.get("aws:region") or "us-east-1"
    return {"id": region, "name": region, "region": region, "endpoint": f"ec2.{region}.amazonaws.com"}


def _gcp_project(args: dict[str, Any], settings: StackSettings) -> dict[str, Any]:
    project = args.get("projectId") or settings.get("gcp:project") or GCP_PROJECT
    return {"id": f"projects/{project}", "projectId": project, "number": GCP_PROJECT_NUMBER, "name": project}


def _gcp_client_config(args: dict[str, Any], settings: StackSettings) -> dict[str, Any]:
    # accessToken is left out: a program that reads it offline gets nothing to leak.
    project = settings.get("gcp:project") or GCP_PROJECT
    return {
        "id": f"projects/{project}/regions/{settings.get('gcp:region')}/zones/{settings.get('gcp:zone')}",
        "project": project,
        "region": settings.get("gcp:region") or "",
        "zone": settings.get("gcp:zone") or "",
    }


def _gcs_service_account(args: dict[str, Any], settings: StackSettings) -> dict[str, Any]:
    email = f"service-{GCP_PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com"
    return {"id": email, "emailAddress": email, "member": f"serviceAccount:{email}"}


INVOKES: dict[str, Callable[[dict[str, Any], StackSettings], dict[str, Any]]] = {
    "gcp:organizations/getProject:getProject": _gcp_project,
    "gcp:organizations/getClientConfig:getClientConfig": _gcp_client_config,
    "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": _gcs_service_account,
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getPartition:getPartition": _partition,
    "aws:index/getRegion:getRegion": _region_info,
}

# ---- every other data source ----------------------------------------------------------------------------------
#
# A data source outside INVOKES is answered with its SDK result type (`aws:ec2/getAmi:getAmi` -> pulumi_aws.ec2
# GetAmiResult), every field present under the name the SDK reads (the camelCase wire name), so that the program
# runs on; the invoke's own arguments are echoed where the result has a field of that name.
#
# Why the fields are not simply UNKNOWN (pulumi runtime/invoke.py and rpc.py): the SDK deserializes the result
# with rpc.deserialize_properties, which at preview turns the UNKNOWN sentinel, at any depth, into a
# pulumi.output.Unknown object, in the plain form (get_ami) and in the output form (get_ami_output) alike: the
# output form's Output is still known, its value holding that object. The SDK then builds the result type, whose
# constructor checks every argument (`if arn and not isinstance(arn, str): raise TypeError`): an Unknown is truthy
# and of no such type, so both forms fail before the program sees the result. A response marked `unknown` would
# make the output form wholly unknown, but gives the plain form None, and `pulumi.get(None, ...)` fails too.
#
# So the answer holds ordinary values of the declared types. A text is OFFLINE_UNKNOWN: a str, so string
# operations (f-strings, split, upper, startswith) run; the engine reads it back as unknown wherever the program
# passes it, in a resource's inputs (`ami=get_ami(...).id`), a stack output or another invoke's arguments, whole or
# within a longer text, upper-cased or not (settle_unknowns). A text cut out of it (`.split("-")[0]`, a slice) no
# longer holds the sentinel and reads as the known text it is. A list has one element of its element type (`[0]`
# works, a loop runs once), a map is empty, an object has every field. Numbers and bools are left out (None): no
# number or bool can read as unknown, and a made-up one would be judged.
OFFLINE_UNKNOWN = f"offline-unknown-{UNKNOWN}"
_MAX_DEPTH = 4  # nested result types deeper than this are left out (lists empty)
_warnings_lock = threading.Lock()


def _unwrap(typ: Any) -> Any:
    """Optional[T] (and T | None) -> T; another union -> its first member."""
    if typing.get_origin(typ) is typing.Union or type(typ).__name__ == "UnionType":
        members = [t for t in typing.get_args(typ) if t is not type(None)]
        return _unwrap(members[0]) if members else None
    return typ


def _is_output_type(typ: Any) -> bool:
    return isinstance(typ, type) and pulumi_types.is_output_type(typ)


def _is_sequence(typ: Any) -> bool:
    return typing.get_origin(typ) in (list, collections.abc.Sequence) or typ in (list, collections.abc.Sequence)


def _is_mapping(typ: Any) -> bool:
    return typing.get_origin(typ) in (dict, collections.abc.Mapping) or typ in (dict, collections.abc.Mapping)


def _unknown_like(typ: Any, depth: int) -> Any:
    """A value of type `typ` that reads as unknown (see above), None where there is none."""
    typ = _unwrap(typ)
    if isinstance(typ, type) and issubclass(typ, str):
        return OFFLINE_UNKNOWN
    if _is_sequence(typ):
        element = _unknown_like((typing.get_args(typ) or (None,))[0], depth + 1) if depth < _MAX_DEPTH else None
        return [] if element is None else [element]
    if _is_mapping(typ):
        return {}
    if _is_output_type(typ) and depth < _MAX_DEPTH:
        return _unknown_result(typ, {}, depth + 1)
    return None


def _fits(value: Any, typ: Any) -> bool:
    """Whether an invoke argument can stand as a result field of type `typ` (the result type checks its fields)."""
    typ = _unwrap(typ)
    if _is_sequence(typ):
        return isinstance(value, list)
    if _is_mapping(typ) or _is_output_type(typ):
        return isinstance(value, dict)
    if typ is bool:
        return isinstance(value, bool)
    if typ is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if typ is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(typ, type) and issubclass(typ, str) and isinstance(value, str)


def _unknown_result(result_type: type, args: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    try:
        fields = pulumi_types.output_type_types(result_type)
    except Exception:  # an SDK this runtime cannot read the types of
        return {}
    result: dict[str, Any] = {}
    for name, typ in fields.items():
        given = args.get(name)
        value = given if given is not None and _fits(given, typ) else _unknown_like(typ, depth)
        if value is not None:
            result[name] = value
    return result


def result_type(token: str) -> tuple[type | None, str]:
    """The SDK's result type of a data source token, or None and why not.

    `pkg:module/getThing:getThing` -> `pulumi_pkg.module.GetThingResult` (`index` is the package itself; a module
    named after a Python keyword has a trailing `_`, as pulumi_aws.lambda_), imported only now: the SDK may not be
    installed in the program's interpreter.
    """
    parts = token.split(":")
    if len(parts) != 3 or not parts[2]:
        return None, "not a data source token"
    package, module_path, function = parts
    module = module_path.split("/")[0]
    if keyword.iskeyword(module):
        module += "_"
    sdk = "pulumi_" + package.replace("-", "_")
    module_name = sdk if module == "index" else f"{sdk}.{module}"
    class_name = function[0].upper() + function[1:] + "Result"
    try:
        sdk_module = importlib.import_module(module_name)
    except Exception:  # not installed, or it failed to import: either way there is no type to read
        return None, f"{module_name} is not importable"
    found = getattr(sdk_module, class_name, None)
    if not _is_output_type(found):
        return None, f"{module_name} has no {class_name}"
    return found, ""


def _for_the_sdk(value: Any) -> Any:
    """An answer as the SDK must get it: an unknown text as OFFLINE_UNKNOWN, never the bare sentinel (see above)."""
    if isinstance(value, str):
        return OFFLINE_UNKNOWN if contains_unknown(value) else value
    if isinstance(value, dict):
        return {k: _for_the_sdk(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_for_the_sdk(v) for v in value]
    return value


def invoke(token: str, args: dict[str, Any], settings: StackSettings, warnings: list[str]) -> dict[str, Any]:
    """The answer to a data source; one line in `warnings` (once per token) for a data source outside INVOKES."""
    answer = INVOKES.get(token)
    if answer is not None:
        return _for_the_sdk(answer(args, settings))
    found, why_not = result_type(token)
    if found is not None:
        result = _unknown_result(found, args)
        warning = f"data source {token} has no offline answer: its result reads as unknown at preview"
    else:
        result = {}
        warning = f"data source {token} has no offline answer: its result is empty offline ({why_not})"
    with _warnings_lock:
        if warning not in warnings:
            warnings.append(warning)
    return _for_the_sdk(result)
