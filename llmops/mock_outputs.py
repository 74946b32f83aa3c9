"""What the offline engine answers in place of the cloud: computed outputs of resources, and invokes.

A real preview knows an output only after the provider creates the resource. Offline, the engine answers the
few outputs programs read back to wire resources together (ids, ARNs, physical names, endpoints) with
deterministic placeholders, so the whole graph is visible; every other output stays unknown, as in preview.
The AWS account is AWS's documentation account id and the GCP project number a made-up constant, so nothing
here can be mistaken for a real one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .wire import is_unknown

if TYPE_CHECKING:
    from .engine import Registration, StackSettings

ACCOUNT_ID = "123456789012"
PARTITION = "aws"
GCP_PROJECT = "offline-project"  # when the stack sets no gcp:project
GCP_PROJECT_NUMBER = "100000000001"


def _suffix(*parts: str, length: int = 7) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def physical_name(registration: Registration, key: str = "name", max_length: int = 63) -> str:
    """The name a provider would auto-assign: the logical name plus a random-looking suffix (here stable)."""
    given = registration.inputs.get(key)
    if isinstance(given, str) and not is_unknown(given):
        return given
    prefix = registration.inputs.get(f"{key}Prefix")
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


def _role(r: Registration, s: StackSettings) -> dict[str, Any]:
    name = physical_name(r, "name", 64)
    return {
        "name": name,
        "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/{name}",
        "uniqueId": f"AROA{_suffix(r.urn, length=17).upper()}",
    }


def _policy(r: Registration, s: StackSettings) -> dict[str, Any]:
    name = physical_name(r, "name", 128)
    return {"name": name, "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:policy/{name}"}


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


def _gcp_path(template: str, key: str = "name") -> Computed:
    """`id` and `selfLink` as the provider writes them; `template` fills {project}, {location}, {name}."""

    def computed(r: Registration, s: StackSettings) -> dict[str, Any]:
        name = physical_name(r, key)
        path = template.format(
            project=_project(r, s), location=_gcp_location(r, s), region=_gcp_location(r, s, "region"), name=name
        )
        return {"id": path, key: name, "selfLink": f"https://www.googleapis.com/compute/v1/{path}"}

    return computed


def _service_account(r: Registration, s: StackSettings) -> dict[str, Any]:
    project = _project(r, s)
    email = f"{r.inputs.get('accountId')}@{project}.iam.gserviceaccount.com"
    path = f"projects/{project}/serviceAccounts/{email}"
    return {
        "id": path,
        "email": email,
        "member": f"serviceAccount:{email}",
        "name": path,
        "uniqueId": str(int(_suffix(r.urn, length=15), 16))[:21],
    }


def _key_ring(r: Registration, s: StackSettings) -> dict[str, Any]:
    return {"id": f"projects/{_project(r, s)}/locations/{_gcp_location(r, s)}/keyRings/{r.inputs.get('name')}"}


def _crypto_key(r: Registration, s: StackSettings) -> dict[str, Any]:
    return {"id": f"{r.inputs.get('keyRing')}/cryptoKeys/{r.inputs.get('name')}"}


def _gcs_bucket(r: Registration, s: StackSettings) -> dict[str, Any]:
    name = physical_name(r, "name")
    return {
        "id": name,
        "name": name,
        "url": f"gs://{name}",
        "selfLink": f"https://www.googleapis.com/storage/v1/b/{name}",
        "project": _project(r, s),
    }


def _gke_cluster(r: Registration, s: StackSettings) -> dict[str, Any]:
    name = physical_name(r, "name", 40)
    path = f"projects/{_project(r, s)}/locations/{_gcp_location(r, s)}/clusters/{name}"
    return {
        "id": path,
        "name": name,
        "endpoint": "172.16.0.2",  # a private control-plane address: offline kubeconfigs reach nothing
        # A base64 placeholder, not a certificate.
        "masterAuth": {"clusterCaCertificate": "T0ZGTElORS1QTEFDRUhPTERFUg==", "clientCertificateConfig": {}},
        "selfLink": f"https://container.googleapis.com/v1/{path}",
    }


def _gke_node_pool(r: Registration, s: StackSettings) -> dict[str, Any]:
    name = physical_name(r, "name", 40)
    return {"id": f"{r.inputs.get('cluster')}/nodePools/{name}", "name": name}


# Resource type -> the computed outputs a program may read back. Types not listed get only `id`; an `id` among the
# computed values replaces the engine's (GCP ids are paths that other resources are given).
COMPUTED: dict[str, Computed] = {
    "gcp:serviceaccount/account:Account": _service_account,
    "gcp:kms/keyRing:KeyRing": _key_ring,
    "gcp:kms/cryptoKey:CryptoKey": _crypto_key,
    "gcp:storage/bucket:Bucket": _gcs_bucket,
    "gcp:compute/network:Network": _gcp_path("projects/{project}/global/networks/{name}"),
    "gcp:compute/subnetwork:Subnetwork": _gcp_path("projects/{project}/regions/{region}/subnetworks/{name}"),
    "gcp:compute/router:Router": _gcp_path("projects/{project}/regions/{region}/routers/{name}"),
    "gcp:container/cluster:Cluster": _gke_cluster,
    "gcp:container/nodePool:NodePool": _gke_node_pool,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketV2:BucketV2": _bucket,
    "aws:iam/role:Role": _role,
    "aws:iam/policy:Policy": _policy,
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

# Id prefixes, so that ids read like the real ones in reports and exports.
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


def outputs_for(registration: Registration, settings: StackSettings) -> dict[str, Any]:
    """Inputs echoed back, plus the computed values for this type. `registration.id` is set by the engine."""
    prefix = ID_PREFIX.get(registration.type)
    if prefix and not registration.options.get("external"):
        registration.id = prefix + _suffix(registration.urn, length=17)
    computed = COMPUTED.get(registration.type)
    extra = computed(registration, settings) if computed else {}
    computed_id = extra.pop("id", None)
    if computed_id is not None and not registration.options.get("external"):
        registration.id = computed_id
    return {**registration.inputs, "id": registration.id, **extra}


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


class UnsupportedInvoke(Exception):
    """A data source the offline engine has no answer for: it must be added to INVOKES."""


def invoke(token: str, args: dict[str, Any], settings: StackSettings) -> dict[str, Any]:
    answer = INVOKES.get(token)
    if answer is None:
        raise UnsupportedInvoke(
            f"the offline engine cannot answer the data source {token}; add it to llmops/mock_outputs.py INVOKES"
        )
    return answer(args, settings)
