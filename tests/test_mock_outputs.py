"""What the offline engine answers in place of the cloud (llmops/mock_outputs.py), driven through the engine.

Ids are the provider's own (ID_RULES: a bucket's id is its name, a GKE node pool's a path), so a correct program
that builds on `resource.id` is judged correct. Every data source answers: the built-in ones with values, any
other with its SDK result type, whose values read as unknown wherever the program passes them, plus one warning.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s
import pytest

import llmops_infra.policies.rules.aws.data_protection  # noqa: F401  (registers the rules)
from llmops_infra.cli.mock_outputs import (
    ACCOUNT_ID,
    GCP_PROJECT_NUMBER,
    ID_RULES,
    OFFLINE_UNKNOWN,
    id_rule,
    result_type,
)
from llmops_infra.cli.recording import Registration
from llmops_infra.cli.wire import UNKNOWN
from llmops_infra.policies.runtime.rule import RULES, Resource, evaluate_stack
from tests.conftest import preview

PROJECT = "acme-ml"
GCP_CONFIG = {"gcp:project": PROJECT, "gcp:region": "europe-west4"}
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/ops"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
VIEW_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
AMI = "aws:ec2/getAmi:getAmi"


def _as_resource(r: Registration) -> Resource:
    return Resource(r.type, r.name, r.urn, r.inputs, r.parent)


def _unknown() -> pulumi.Output[str]:
    """A value unknown at preview: an output the engine does not compute."""
    return aws.ec2.Instance("source", ami="ami-0123456789abcdef0", instance_type="t3.micro").private_dns


# ---- ids -----------------------------------------------------------------------------------------------------


def test_a_bucket_policy_on_the_bucket_id_names_the_bucket_and_its_tls_rule_passes():
    def program():
        bucket = aws.s3.Bucket("data")
        policy = bucket.id.apply(
            lambda name: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "DenyInsecureTransport",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                }
            )
        )
        aws.s3.BucketPolicy("data-tls", bucket=bucket.id, policy=policy)

    rec = preview(program)
    bucket, policy = rec.one("aws:s3/bucket:Bucket"), rec.one("aws:s3/bucketPolicy:BucketPolicy")
    name = bucket.outputs["bucket"]
    assert name.startswith("data-") and bucket.id == name == policy.inputs["bucket"] == policy.id
    assert f"arn:aws:s3:::{name}/*" in policy.inputs["policy"] and bucket.outputs["arn"] == f"arn:aws:s3:::{name}"
    rule = RULES["s3-bucket-denies-insecure-transport"]
    assert evaluate_stack(rule, [_as_resource(r) for r in rec.resources if r.custom]) == []


@dataclass(frozen=True)
class IdCase:
    """A program, the type of the one resource of it whose id is checked, and that id (or how to read it)."""

    name: str
    program: Callable[[], Any]
    token: str
    expected: str | Callable[[Registration], str]
    config: dict[str, str] | None = None


def _cluster() -> aws.eks.Cluster:
    return aws.eks.Cluster("gpu", name="gpu", role_arn=ROLE_ARN, vpc_config={"subnet_ids": ["subnet-1"]})


def _bucket_part(resource: Callable[..., Any], token: str, **args: Any) -> IdCase:
    return IdCase(token.split(":")[-1], lambda: resource("part", bucket="acme-logs", **args), token, "acme-logs")


def _gke() -> gcp.container.Cluster:
    return gcp.container.Cluster("gke", name="gke", location="europe-west4", initial_node_count=1)


GKE_ID = f"projects/{PROJECT}/locations/europe-west4/clusters/gke"
RING_ID = f"projects/{PROJECT}/locations/europe-west4/keyRings/ring"

ID_CASES = [
    IdCase("bucket named", lambda: aws.s3.Bucket("b", bucket="acme-logs"), "aws:s3/bucket:Bucket", "acme-logs"),
    IdCase(
        "bucket auto-named: its physical name",
        lambda: aws.s3.Bucket("logs"),
        "aws:s3/bucket:Bucket",
        lambda r: r.outputs["bucket"],
    ),
    IdCase(
        "bucket with a prefix",
        lambda: aws.s3.Bucket("logs", bucket_prefix="acme-"),
        "aws:s3/bucket:Bucket",
        lambda r: r.outputs["bucket"],
    ),
    IdCase("BucketV2", lambda: aws.s3.BucketV2("b", bucket="acme-logs"), "aws:s3/bucketV2:BucketV2", "acme-logs"),
    _bucket_part(aws.s3.BucketPolicy, "aws:s3/bucketPolicy:BucketPolicy", policy="{}"),
    _bucket_part(aws.s3.BucketPublicAccessBlock, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"),
    IdCase(
        "BucketOwnershipControls",
        lambda: aws.s3.BucketOwnershipControls(
            "part", bucket="acme-logs", rule={"object_ownership": "BucketOwnerEnforced"}
        ),
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "acme-logs",
    ),
    IdCase(
        "BucketReplicationConfig",
        lambda: aws.s3.BucketReplicationConfig("part", bucket="acme-logs", role=ROLE_ARN, rules=[]),
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        "acme-logs",
    ),
    IdCase(
        "BucketServerSideEncryptionConfiguration",
        lambda: aws.s3.BucketServerSideEncryptionConfiguration("part", bucket="acme-logs", rules=[]),
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "acme-logs",
    ),
    IdCase(
        "BucketServerSideEncryptionConfiguration with an expected owner",
        lambda: aws.s3.BucketServerSideEncryptionConfiguration(
            "part", bucket="acme-logs", expected_bucket_owner="111122223333", rules=[]
        ),
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "acme-logs,111122223333",
    ),
    IdCase(
        "BucketServerSideEncryptionConfigurationV2",
        lambda: aws.s3.BucketServerSideEncryptionConfigurationV2("part", bucket="acme-logs", rules=[]),
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
        "acme-logs",
    ),
    IdCase(
        "BucketVersioning",
        lambda: aws.s3.BucketVersioning("part", bucket="acme-logs", versioning_configuration={"status": "Enabled"}),
        "aws:s3/bucketVersioning:BucketVersioning",
        "acme-logs",
    ),
    IdCase(
        "BucketVersioningV2",
        lambda: aws.s3.BucketVersioningV2("part", bucket="acme-logs", versioning_configuration={"status": "Enabled"}),
        "aws:s3/bucketVersioningV2:BucketVersioningV2",
        "acme-logs",
    ),
    IdCase(
        "BucketLogging",
        lambda: aws.s3.BucketLogging("part", bucket="acme-logs", target_bucket="acme-audit", target_prefix="s3/"),
        "aws:s3/bucketLogging:BucketLogging",
        "acme-logs",
    ),
    IdCase(
        "BucketLoggingV2",
        lambda: aws.s3.BucketLoggingV2("part", bucket="acme-logs", target_bucket="acme-audit", target_prefix="s3/"),
        "aws:s3/bucketLoggingV2:BucketLoggingV2",
        "acme-logs",
    ),
    IdCase(
        "BucketLifecycleConfiguration",
        lambda: aws.s3.BucketLifecycleConfiguration("part", bucket="acme-logs", rules=[]),
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "acme-logs",
    ),
    IdCase(
        "BucketLifecycleConfigurationV2",
        lambda: aws.s3.BucketLifecycleConfigurationV2("part", bucket="acme-logs", rules=[]),
        "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
        "acme-logs",
    ),
    IdCase("Role", lambda: aws.iam.Role("r", name="ops", assume_role_policy="{}"), "aws:iam/role:Role", "ops"),
    IdCase(
        "Role auto-named",
        lambda: aws.iam.Role("ops", assume_role_policy="{}"),
        "aws:iam/role:Role",
        lambda r: r.outputs["name"],
    ),
    IdCase(
        "Policy: its arn",
        lambda: aws.iam.Policy("p", name="ops-read", path="/team/", policy="{}"),
        "aws:iam/policy:Policy",
        f"arn:aws:iam::{ACCOUNT_ID}:policy/team/ops-read",
    ),
    IdCase(
        "RolePolicy",
        lambda: aws.iam.RolePolicy("rp", role="ops", name="inline", policy="{}"),
        "aws:iam/rolePolicy:RolePolicy",
        "ops:inline",
    ),
    IdCase(
        "RolePolicy on a role's id, auto-named",
        lambda: aws.iam.RolePolicy(
            "inline", role=aws.iam.Role("r", name="ops", assume_role_policy="{}").id, policy="{}"
        ),
        "aws:iam/rolePolicy:RolePolicy",
        lambda r: f"ops:{r.outputs['name']}",
    ),
    IdCase(
        "RolePolicyAttachment",
        lambda: aws.iam.RolePolicyAttachment("rpa", role="ops", policy_arn=READ_ONLY),
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        f"ops/{READ_ONLY}",
    ),
    IdCase(
        "InstanceProfile",
        lambda: aws.iam.InstanceProfile("ip", name="nodes", role="ops"),
        "aws:iam/instanceProfile:InstanceProfile",
        "nodes",
    ),
    IdCase(
        "OpenIdConnectProvider: its arn",
        lambda: aws.iam.OpenIdConnectProvider("oidc", url="https://oidc.example.com", client_id_lists=["sts"]),
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/oidc.example.com",
    ),
    IdCase("kms Key: its key id", lambda: aws.kms.Key("k"), "aws:kms/key:Key", lambda r: r.outputs["keyId"]),
    IdCase(
        "kms Alias",
        lambda: aws.kms.Alias("a", name="alias/data", target_key_id=aws.kms.Key("k").key_id),
        "aws:kms/alias:Alias",
        "alias/data",
    ),
    IdCase(
        "LogGroup",
        lambda: aws.cloudwatch.LogGroup("lg", name="/aws/eks/gpu/cluster"),
        "aws:cloudwatch/logGroup:LogGroup",
        "/aws/eks/gpu/cluster",
    ),
    IdCase("eks Cluster", _cluster, "aws:eks/cluster:Cluster", "gpu"),
    IdCase(
        "eks NodeGroup",
        lambda: aws.eks.NodeGroup(
            "ng",
            cluster_name=_cluster().name,
            node_group_name="a100",
            node_role_arn=ROLE_ARN,
            subnet_ids=["subnet-1"],
            scaling_config={"desired_size": 1, "min_size": 1, "max_size": 2},
        ),
        "aws:eks/nodeGroup:NodeGroup",
        "gpu:a100",
    ),
    IdCase(
        "eks Addon",
        lambda: aws.eks.Addon("cni", cluster_name="gpu", addon_name="vpc-cni"),
        "aws:eks/addon:Addon",
        "gpu:vpc-cni",
    ),
    IdCase(
        "eks AccessEntry",
        lambda: aws.eks.AccessEntry("admin", cluster_name="gpu", principal_arn=ROLE_ARN),
        "aws:eks/accessEntry:AccessEntry",
        f"gpu:{ROLE_ARN}",
    ),
    IdCase(
        "eks AccessPolicyAssociation",
        lambda: aws.eks.AccessPolicyAssociation(
            "view", cluster_name="gpu", principal_arn=ROLE_ARN, policy_arn=VIEW_POLICY, access_scope={"type": "cluster"}
        ),
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
        f"gpu#{ROLE_ARN}#{VIEW_POLICY}",
    ),
    IdCase(
        "ec2 PlacementGroup",
        lambda: aws.ec2.PlacementGroup("pg", name="gpu-cluster", strategy="cluster"),
        "aws:ec2/placementGroup:PlacementGroup",
        "gpu-cluster",
    ),
    IdCase(
        "ec2 Vpc keeps its prefixed id",
        lambda: aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16"),
        "aws:ec2/vpc:Vpc",
        lambda r: r.id if r.id.startswith("vpc-") and len(r.id) == 21 else f"not a vpc id: {r.id}",
    ),
    IdCase(
        "gcp storage Bucket",
        lambda: gcp.storage.Bucket("b", name="acme-models", location="EU"),
        "gcp:storage/bucket:Bucket",
        "acme-models",
        GCP_CONFIG,
    ),
    IdCase(
        "gcp KeyRing",
        lambda: gcp.kms.KeyRing("ring", name="ring", location="europe-west4"),
        "gcp:kms/keyRing:KeyRing",
        RING_ID,
        GCP_CONFIG,
    ),
    IdCase(
        "gcp CryptoKey on the key ring's id",
        lambda: gcp.kms.CryptoKey(
            "key", name="data", key_ring=gcp.kms.KeyRing("ring", name="ring", location="europe-west4").id
        ),
        "gcp:kms/cryptoKey:CryptoKey",
        f"{RING_ID}/cryptoKeys/data",
        GCP_CONFIG,
    ),
    IdCase(
        "gcp service account",
        lambda: gcp.serviceaccount.Account("sa", account_id="reader"),
        "gcp:serviceaccount/account:Account",
        f"projects/{PROJECT}/serviceAccounts/reader@{PROJECT}.iam.gserviceaccount.com",
        GCP_CONFIG,
    ),
    IdCase("gcp GKE cluster", _gke, "gcp:container/cluster:Cluster", GKE_ID, GCP_CONFIG),
    IdCase(
        "gcp node pool on the cluster's id",
        lambda: gcp.container.NodePool("pool", name="tpu", cluster=_gke().id, node_count=1),
        "gcp:container/nodePool:NodePool",
        f"{GKE_ID}/nodePools/tpu",
        GCP_CONFIG,
    ),
    IdCase(
        "gcp node pool on the cluster's name",
        lambda: gcp.container.NodePool("pool", name="tpu", cluster="gke", location="europe-west4", node_count=1),
        "gcp:container/nodePool:NodePool",
        f"{GKE_ID}/nodePools/tpu",
        GCP_CONFIG,
    ),
    IdCase(
        "gcp network",
        lambda: gcp.compute.Network("net", name="vpc", auto_create_subnetworks=False),
        "gcp:compute/network:Network",
        f"projects/{PROJECT}/global/networks/vpc",
        GCP_CONFIG,
    ),
    IdCase(
        "gcp subnetwork",
        lambda: gcp.compute.Subnetwork("sub", name="nodes", network="vpc", ip_cidr_range="10.0.0.0/20"),
        "gcp:compute/subnetwork:Subnetwork",
        f"projects/{PROJECT}/regions/europe-west4/subnetworks/nodes",
        GCP_CONFIG,
    ),
    IdCase(
        "gcp router",
        lambda: gcp.compute.Router("router", name="nat", network="vpc", region="europe-west1"),
        "gcp:compute/router:Router",
        f"projects/{PROJECT}/regions/europe-west1/routers/nat",
        GCP_CONFIG,
    ),
    IdCase(
        "gcp firewall",
        lambda: gcp.compute.Firewall("fw", name="deny-all", network="vpc", denies=[{"protocol": "all"}]),
        "gcp:compute/firewall:Firewall",
        f"projects/{PROJECT}/global/firewalls/deny-all",
        GCP_CONFIG,
    ),
    IdCase(
        "kubernetes cluster-scoped object: its name",
        lambda: k8s.core.v1.Namespace("ns", metadata={"name": "inference"}),
        "kubernetes:core/v1:Namespace",
        "inference",
    ),
    IdCase(
        "kubernetes namespaced object: namespace/name",
        lambda: k8s.core.v1.ConfigMap("cm", metadata={"name": "model", "namespace": "inference"}, data={}),
        "kubernetes:core/v1:ConfigMap",
        "inference/model",
    ),
    IdCase(
        "kubernetes object without a namespace: the default namespace",
        lambda: k8s.core.v1.ConfigMap("cm", metadata={"name": "model"}, data={}),
        "kubernetes:core/v1:ConfigMap",
        "default/model",
    ),
    IdCase(
        "kubernetes object without a namespace, the provider's namespace set",
        lambda: k8s.core.v1.ConfigMap("cm", metadata={"name": "model"}, data={}),
        "kubernetes:core/v1:ConfigMap",
        "team-a/model",
        {"kubernetes:namespace": "team-a"},
    ),
    IdCase(
        "kubernetes object auto-named",
        lambda: k8s.core.v1.ServiceAccount("reader"),
        "kubernetes:core/v1:ServiceAccount",
        lambda r: f"default/{r.outputs['metadata']['name']}",
    ),
    IdCase(
        "kubernetes ClusterRole",
        lambda: k8s.rbac.v1.ClusterRole("cr", metadata={"name": "reader"}, rules=[]),
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
        "reader",
    ),
    IdCase(
        "kubernetes custom resource: namespaced, as the provider assumes at preview",
        lambda: k8s.apiextensions.CustomResource(
            "policy", api_version="cilium.io/v2", kind="CiliumNetworkPolicy", metadata={"name": "deny"}, spec={}
        ),
        "kubernetes:cilium.io/v2:CiliumNetworkPolicy",
        "default/deny",
    ),
]


@pytest.mark.parametrize("case", ID_CASES, ids=[c.name for c in ID_CASES])
def test_ids_are_the_providers(case: IdCase):
    rec = preview(case.program, case.config)
    registration = rec.one(case.token) if case.token != "aws:kms/key:Key" else rec.of_type(case.token)[0]
    expected = case.expected(registration) if callable(case.expected) else case.expected
    assert registration.id == expected
    assert registration.outputs["id"] == expected


def test_every_id_rule_has_a_case_and_a_source():
    covered = {case.token for case in ID_CASES}
    assert set(ID_RULES) <= covered, sorted(set(ID_RULES) - covered)
    assert all(rule.source for rule in ID_RULES.values())
    assert id_rule("kubernetes:apps/v1:Deployment") is not None and id_rule("kubernetes:helm.sh/v3:Release") is None


def test_auto_names_are_the_same_in_the_id_and_the_name_outputs():
    rec = preview(lambda: (aws.s3.Bucket("logs"), k8s.apps.v1.Deployment("api", spec={"selector": {}, "template": {}})))
    bucket = rec.one("aws:s3/bucket:Bucket")
    assert bucket.id == bucket.outputs["bucket"] == bucket.outputs["arn"].removeprefix("arn:aws:s3:::")
    assert bucket.id.startswith("logs-")
    deployment = rec.one("kubernetes:apps/v1:Deployment")
    metadata = deployment.outputs["metadata"]
    assert metadata["name"].startswith("api-") and len(metadata["name"]) == len("api-") + 8
    assert deployment.id == f"default/{metadata['name']}"


def test_the_kms_key_arn_ends_in_its_id():
    rec = preview(lambda: aws.kms.Key("k"))
    key = rec.one("aws:kms/key:Key")
    assert key.outputs["arn"] == f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/{key.id}" and key.id == key.outputs["keyId"]


def test_ids_built_from_unknown_values_stay_unknown():
    def program():
        bucket = aws.s3.Bucket("b", bucket=_unknown())
        aws.s3.BucketPolicy("p", bucket=bucket.id, policy="{}")
        k8s.core.v1.ConfigMap("cm", metadata={"name": _unknown()}, data={})
        k8s.core.v1.ConfigMap("generated", metadata={"generate_name": "job-"}, data={})

    rec = preview(program)
    bucket, policy = rec.one("aws:s3/bucket:Bucket"), rec.one("aws:s3/bucketPolicy:BucketPolicy")
    assert bucket.id == "" and bucket.outputs["bucket"] == bucket.outputs["arn"] == UNKNOWN
    assert policy.inputs["bucket"] == UNKNOWN and policy.id == ""
    for config_map in rec.of_type("kubernetes:core/v1:ConfigMap"):
        assert config_map.id == "" and config_map.outputs["metadata"]["name"] == UNKNOWN


# ---- data sources --------------------------------------------------------------------------------------------


def test_get_ami_in_an_instance_reads_unknown_in_both_forms_with_one_warning():
    seen: dict[str, Any] = {}

    def program():
        plain = aws.ec2.get_ami(most_recent=True, owners=["amazon"], filters=[{"name": "name", "values": ["al2023-*"]}])
        again = aws.ec2.get_ami(most_recent=True, owners=["amazon"])
        output = aws.ec2.get_ami_output(most_recent=True, owners=["amazon"])
        seen.update(owners=plain.owners, most_recent=plain.most_recent, filters=plain.filters)
        # String operations on a result string run, and what they build stays unknown.
        seen["parts"] = plain.name.split("-")
        aws.ec2.Instance("plain", ami=plain.id, instance_type="t3.micro", tags={"Name": f"{plain.name}-node"})
        aws.ec2.Instance("again", ami=again.image_id, instance_type="t3.micro", tags={"Name": again.name.upper()})
        aws.ec2.Instance(
            "output", ami=output.id, instance_type="t3.micro", tags={"Name": output.name.apply(lambda n: n.upper())}
        )
        pulumi.export("ami", output.id)

    rec = preview(program)
    for name in ("plain", "again", "output"):
        instance = rec.one("aws:ec2/instance:Instance", name)
        assert instance.inputs["ami"] == UNKNOWN
        assert instance.inputs["tags"]["Name"] == UNKNOWN
    assert rec.stack_outputs["ami"] == UNKNOWN
    assert [w for w in rec.warnings if AMI in w] == [
        f"data source {AMI} has no offline answer: its result reads as unknown at preview"
    ]
    # The invoke's own arguments come back where the result has a field of that name.
    assert seen["owners"] == ["amazon"] and seen["most_recent"] is True
    assert seen["filters"][0].name == "name" and seen["filters"][0].values == ["al2023-*"]
    assert len(seen["parts"]) > 1


def test_every_field_of_the_result_type_is_there():
    seen: dict[str, Any] = {}

    def program():
        cluster = aws.eks.get_cluster(name="gpu")
        seen.update(
            name=cluster.name,
            endpoint=cluster.endpoint,
            vpc=cluster.vpc_config.vpc_id,
            issuer=cluster.identities[0].oidcs[0].issuer,
            tags=cluster.tags,
            version=cluster.version,
        )

    rec = preview(program)
    assert seen["name"] == "gpu"
    assert seen["endpoint"] == seen["vpc"] == seen["issuer"] == seen["version"] == OFFLINE_UNKNOWN
    assert seen["tags"] == {}
    assert rec.warnings == [
        "data source aws:eks/getCluster:getCluster has no offline answer: its result reads as unknown at preview"
    ]


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (AMI, aws.ec2.GetAmiResult),
        ("aws:index/getArn:getArn", aws.GetArnResult),
        ("aws:lambda/getFunction:getFunction", aws.lambda_.GetFunctionResult),  # a keyword module
        ("aws:iam/getPolicyDocument:getPolicyDocument", aws.iam.GetPolicyDocumentResult),
        ("gcp:compute/getNetwork:getNetwork", gcp.compute.GetNetworkResult),
        ("gcp:kms/getKMSSecret:getKMSSecret", gcp.kms.GetKMSSecretResult),
        ("gcp:container/getEngineVersions:getEngineVersions", gcp.container.GetEngineVersionsResult),
    ],
)
def test_a_token_names_the_sdk_result_type(token: str, expected: type):
    assert result_type(token) == (expected, "")


def test_a_gcp_data_source_outside_the_table():
    seen: dict[str, Any] = {}

    def program():
        network = gcp.compute.get_network(name="shared")
        seen["name"] = network.name
        gcp.compute.Subnetwork("nodes", name="nodes", network=network.self_link, ip_cidr_range="10.0.0.0/20")
        later = gcp.compute.get_network_output(name="shared")
        gcp.compute.Subnetwork("pods", name="pods", network=later.id, ip_cidr_range="10.1.0.0/20")

    rec = preview(program, GCP_CONFIG)
    assert seen["name"] == "shared"
    assert {s.name: s.inputs["network"] for s in rec.of_type("gcp:compute/subnetwork:Subnetwork")} == {
        "nodes": UNKNOWN,
        "pods": UNKNOWN,
    }
    assert rec.warnings == [
        "data source gcp:compute/getNetwork:getNetwork has no offline answer: its result reads as unknown at preview"
    ]


def test_a_kubernetes_data_source_outside_the_table():
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata: {}\n"
    rec = preview(lambda: k8s.yaml.ConfigGroup("manifests", yaml=[manifest]))
    assert rec.one("kubernetes:yaml:ConfigGroup")
    assert rec.warnings == [
        "data source kubernetes:yaml:decode has no offline answer: its result is empty offline "
        "(pulumi_kubernetes.yaml has no DecodeResult)"
    ]


def test_a_data_source_whose_sdk_is_not_installed_answers_empty_with_a_warning():
    seen: dict[str, Any] = {}

    def program():
        seen["result"] = pulumi.runtime.invoke("nosuchcloud:things/getThing:getThing", {"name": "x"}).value

    rec = preview(program)
    assert seen["result"] == {}
    assert rec.warnings == [
        "data source nosuchcloud:things/getThing:getThing has no offline answer: its result is empty offline "
        "(pulumi_nosuchcloud.things is not importable)"
    ]


def test_the_built_in_data_sources_answer_as_before():
    seen: dict[str, Any] = {}

    def program():
        seen["account"] = aws.get_caller_identity().account_id
        seen["partition"] = aws.get_partition().dns_suffix
        seen["region"] = aws.get_region().region
        seen["zones"] = aws.get_availability_zones().names[:2]
        seen["project"] = gcp.organizations.get_project().number
        seen["client"] = gcp.organizations.get_client_config().project
        seen["gcs"] = gcp.storage.get_project_service_account().email_address

    rec = preview(program, {"aws:region": "eu-central-1", **GCP_CONFIG})
    assert seen == {
        "account": ACCOUNT_ID,
        "partition": "amazonaws.com",
        "region": "eu-central-1",
        "zones": ["eu-central-1a", "eu-central-1b"],
        "project": GCP_PROJECT_NUMBER,
        "client": PROJECT,
        "gcs": f"service-{GCP_PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com",
    }
    assert rec.warnings == []


def test_the_run_records_warnings_per_run():
    first = preview(lambda: aws.ec2.get_ami(owners=["amazon"]), stack="one")
    second = preview(lambda: aws.s3.Bucket("b"), stack="two")
    assert len(first.warnings) == 1 and second.warnings == []


def test_an_imported_resource_keeps_the_id_it_was_imported_with():
    def program() -> None:
        aws.s3.Bucket("legacy", bucket="legacy-bucket", opts=pulumi.ResourceOptions(import_="legacy-bucket-import-id"))
        aws.ec2.Vpc("old", cidr_block="10.0.0.0/16", opts=pulumi.ResourceOptions(import_="vpc-0123456789abcdef0"))

    recording = preview(program)
    assert recording.one("aws:s3/bucket:Bucket").id == "legacy-bucket-import-id"
    assert recording.one("aws:ec2/vpc:Vpc").id == "vpc-0123456789abcdef0"
