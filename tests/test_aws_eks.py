"""EksCluster through the offline engine: the control plane is private, encrypted, fully logged and has no
implicit administrators; the kubeconfig it hands out is a secret that carries no credentials."""

from __future__ import annotations

import ipaddress
import json

import pytest

from llmops_infra.cli.recording import Recording, Registration
from llmops_infra.cli.wire import SECRET_SIG, SIG_KEY
from llmops_infra.components.aws.eks import EksCluster, RemoteNetwork
from llmops_infra.components.spec import ClusterSpec
from tests.conftest import preview
from tests.kubeconfig_checks import credential_free_exec, secret_kubeconfig

NAME = "llmops-test"
SECRETS_KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111"
LOGS_KEY = "arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222"
ADMIN_A = "arn:aws:iam::123456789012:role/platform-admin"
ADMIN_B = "arn:aws:iam::123456789012:role/break-glass"
CLUSTER = "aws:eks/cluster:Cluster"

NODE_ROLE = "arn:aws:iam::123456789012:role/nodes"
STORAGE_KEY = "arn:aws:kms:us-east-1:123456789012:key/storage"


def cluster_preview(
    spec: ClusterSpec | None = None, retention: int = 2192, remote: RemoteNetwork | None = None
) -> Recording:
    def program() -> None:
        EksCluster(
            NAME,
            spec or ClusterSpec(),
            vpc_id="vpc-0123456789abcdef0",
            subnet_ids=["subnet-a", "subnet-b"],
            secrets_key_arn=SECRETS_KEY,
            logs_key_arn=LOGS_KEY,
            log_retention_days=retention,
            node_role_arn=NODE_ROLE,
            storage_key_arn=STORAGE_KEY,
            tags={"owner": "platform", "data-classification": "phi"},
            remote_network=remote,
        )

    return preview(program)


def component(rec: Recording) -> Registration:
    return rec.one("llmops:aws:EksCluster", NAME)


def test_endpoint_is_private_by_default() -> None:
    vpc = cluster_preview().one(CLUSTER).inputs["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc


def test_public_endpoint_is_restricted_to_exactly_the_listed_cidrs() -> None:
    cidrs = (ipaddress.IPv4Network("203.0.113.0/24"), ipaddress.IPv4Network("198.51.100.7/32"))
    vpc = cluster_preview(ClusterSpec(endpoint_public_access_cidrs=cidrs)).one(CLUSTER).inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24", "198.51.100.7/32"]


def test_cluster_is_named_versioned_and_placed_in_the_given_subnets() -> None:
    inputs = cluster_preview(ClusterSpec(version="1.32")).one(CLUSTER).inputs
    assert inputs["name"] == NAME
    assert inputs["version"] == "1.32"
    assert inputs["vpcConfig"]["subnetIds"] == ["subnet-a", "subnet-b"]
    assert inputs["tags"]["data-classification"] == "phi"


def test_kubernetes_secrets_are_encrypted_with_the_cluster_key() -> None:
    encryption = cluster_preview().one(CLUSTER).inputs["encryptionConfig"]
    assert encryption == {"provider": {"keyArn": SECRETS_KEY}, "resources": ["secrets"]}


def test_all_five_control_plane_log_types_are_enabled() -> None:
    types = cluster_preview().one(CLUSTER).inputs["enabledClusterLogTypes"]
    assert sorted(types) == sorted(["api", "audit", "authenticator", "controllerManager", "scheduler"])


def test_log_group_is_the_eks_name_encrypted_with_retention_and_created_before_the_cluster() -> None:
    rec = cluster_preview(retention=731)
    log_group = rec.one("aws:cloudwatch/logGroup:LogGroup")
    assert log_group.inputs["name"] == f"/aws/eks/{NAME}/cluster"
    assert log_group.inputs["kmsKeyId"] == LOGS_KEY
    assert log_group.inputs["retentionInDays"] == 731
    assert log_group.urn in rec.one(CLUSTER).dependencies


def test_authentication_is_access_entries_only_and_creator_gets_no_admin() -> None:
    access = cluster_preview().one(CLUSTER).inputs["accessConfig"]
    assert access["authenticationMode"] == "API"
    assert access["bootstrapClusterCreatorAdminPermissions"] is False


def test_cluster_role_is_trusted_by_eks_only_and_has_the_cluster_policy() -> None:
    rec = cluster_preview()
    role = rec.one("aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    [statement] = trust["Statement"]
    assert statement["Principal"] == {"Service": "eks.amazonaws.com"}
    assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    attachment = rec.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
    assert attachment.urn in rec.one(CLUSTER).dependencies


@pytest.mark.parametrize("admins", [(ADMIN_A,), (ADMIN_A, ADMIN_B)])
def test_each_admin_role_gets_an_access_entry_and_a_cluster_scoped_admin_policy(
    admins: tuple[str, ...],
) -> None:
    rec = cluster_preview(ClusterSpec(admin_role_arns=admins))
    entries = rec.of_type("aws:eks/accessEntry:AccessEntry")
    associations = rec.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert sorted(e.inputs["principalArn"] for e in entries) == sorted(admins)
    assert all(e.inputs["type"] == "STANDARD" and e.inputs["clusterName"] == NAME for e in entries)
    assert sorted(a.inputs["principalArn"] for a in associations) == sorted(admins)
    for association in associations:
        assert association.inputs["policyArn"] == ("arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy")
        assert association.inputs["accessScope"] == {"type": "cluster"}
        # The association needs its entry to exist first.
        assert any(e.urn in association.dependencies for e in entries)


def test_no_admin_roles_means_no_access_entries_or_policy_associations() -> None:
    rec = cluster_preview(ClusterSpec(admin_role_arns=()))
    assert rec.of_type("aws:eks/accessEntry:AccessEntry") == []
    assert rec.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation") == []


def test_the_four_managed_addons_are_installed_unpinned_and_take_over_self_managed_ones() -> None:
    addons = cluster_preview().of_type("aws:eks/addon:Addon")
    assert sorted(a.inputs["addonName"] for a in addons) == sorted(
        ["vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent"]
    )
    for addon in addons:
        assert addon.inputs["clusterName"] == NAME
        assert addon.inputs["resolveConflictsOnCreate"] == "OVERWRITE"
        assert "addonVersion" not in addon.inputs


def test_oidc_provider_exists_only_in_irsa_mode() -> None:
    assert (
        cluster_preview(ClusterSpec(workload_identity="pod-identity")).of_type(
            "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
        )
        == []
    )
    assert component(cluster_preview()).outputs.get("oidc_provider_arn") is None

    rec = cluster_preview(ClusterSpec(workload_identity="irsa"))
    provider = rec.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    issuer = rec.one(CLUSTER).outputs["identities"][0]["oidcs"][0]["issuer"]
    assert provider.inputs["url"] == issuer
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert component(rec).outputs["oidc_provider_arn"].endswith(issuer.removeprefix("https://"))


def test_outputs_expose_cluster_name_endpoint_security_group_and_issuer() -> None:
    rec = cluster_preview()
    outputs = component(rec).outputs
    cluster = rec.one(CLUSTER).outputs
    assert outputs["cluster_name"] == NAME
    assert outputs["endpoint"] == cluster["endpoint"]
    assert outputs["cluster_security_group_id"] == cluster["vpcConfig"]["clusterSecurityGroupId"]
    assert outputs["oidc_issuer_url"] == cluster["identities"][0]["oidcs"][0]["issuer"]


def test_kubeconfig_is_a_secret_output() -> None:
    value = component(cluster_preview()).outputs["kubeconfig"]
    assert value[SIG_KEY] == SECRET_SIG


def test_kubeconfig_authenticates_with_aws_eks_get_token_and_embeds_no_credentials() -> None:
    rec = cluster_preview()
    config = secret_kubeconfig(component(rec).outputs["kubeconfig"])
    exec_ = credential_free_exec(config)
    assert exec_["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    assert exec_["command"] == "aws"
    assert exec_["args"] == ["eks", "get-token", "--cluster-name", NAME, "--region", "us-east-1"]
    assert "env" not in exec_
    [cluster] = config["clusters"]
    assert cluster["cluster"]["server"] == rec.one(CLUSTER).outputs["endpoint"]
    text = json.dumps(config).lower()
    assert "aws_access_key_id" not in text and "aws_secret_access_key" not in text and "akia" not in text


def test_system_nodes_are_untainted_on_demand_standard_nodes_on_a_hardened_template():
    rec = cluster_preview()
    group = rec.one("aws:eks/nodeGroup:NodeGroup")
    assert group.inputs["amiType"] == "AL2023_x86_64_STANDARD"
    assert group.inputs["capacityType"] == "ON_DEMAND"
    assert group.inputs["instanceTypes"] == ["m6i.large"]
    assert group.inputs["nodeRoleArn"] == NODE_ROLE
    assert "taints" not in group.inputs
    assert group.inputs["scalingConfig"] == {"minSize": 2, "desiredSize": 2, "maxSize": 4}
    template = rec.one("aws:ec2/launchTemplate:LaunchTemplate")
    assert template.inputs["metadataOptions"]["httpTokens"] == "required"
    assert template.inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1
    (device,) = template.inputs["blockDeviceMappings"]
    assert device["ebs"]["encrypted"] == "true" and device["ebs"]["kmsKeyId"] == STORAGE_KEY


def test_coredns_waits_for_the_system_nodes_and_daemonset_addons_do_not():
    rec = cluster_preview()
    group = rec.one("aws:eks/nodeGroup:NodeGroup")
    addons = {a.inputs["addonName"]: a for a in rec.of_type("aws:eks/addon:Addon")}
    assert group.urn in addons["coredns"].dependencies
    assert all(group.urn not in a.dependencies for name, a in addons.items() if name != "coredns")


# ---- EKS Hybrid Nodes: remote networks and the service range -----------------------------------------------


def test_service_cidr_is_always_set_from_the_spec() -> None:
    inputs = cluster_preview(ClusterSpec(service_cidr=ipaddress.IPv4Network("172.21.0.0/16"))).one(CLUSTER).inputs
    assert inputs["kubernetesNetworkConfig"]["serviceIpv4Cidr"] == "172.21.0.0/16"
    assert cluster_preview().one(CLUSTER).inputs["kubernetesNetworkConfig"]["serviceIpv4Cidr"] == "172.20.0.0/16"


def test_no_remote_network_config_without_hybrid_nodes() -> None:
    assert "remoteNetworkConfig" not in cluster_preview().one(CLUSTER).inputs


def test_remote_node_and_pod_networks_are_set_for_hybrid_nodes() -> None:
    remote = RemoteNetwork(node_cidrs=("192.168.100.0/24",), pod_cidrs=("192.168.64.0/20", "192.168.80.0/20"))
    inputs = cluster_preview(remote=remote).one(CLUSTER).inputs
    assert inputs["remoteNetworkConfig"] == {
        "remoteNodeNetworks": {"cidrs": ["192.168.100.0/24"]},
        "remotePodNetworks": {"cidrs": ["192.168.64.0/20", "192.168.80.0/20"]},
    }
    # Hybrid nodes need API (or API_AND_CONFIG_MAP) authentication: access entries of type HYBRID_LINUX.
    assert inputs["accessConfig"]["authenticationMode"] == "API"


def test_remote_pod_networks_are_left_out_when_none_are_given() -> None:
    inputs = cluster_preview(remote=RemoteNetwork(node_cidrs=("10.200.0.0/16",))).one(CLUSTER).inputs
    assert inputs["remoteNetworkConfig"] == {"remoteNodeNetworks": {"cidrs": ["10.200.0.0/16"]}}


HYBRID = RemoteNetwork(node_cidrs=("192.168.100.0/24", "192.168.101.0/24"), pod_cidrs=("192.168.64.0/20",))
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"


def test_hybrid_nodes_reach_the_api_server_on_443_and_the_api_server_reaches_their_kubelets_on_10250() -> None:
    group = cluster_preview(remote=HYBRID).one(SECURITY_GROUP, f"{NAME}-hybrid").inputs
    assert group["vpcId"] == "vpc-0123456789abcdef0"
    ingress = sorted((r["protocol"], r["fromPort"], r["toPort"], tuple(r["cidrBlocks"])) for r in group["ingress"])
    assert ingress == [
        ("tcp", 443, 443, ("192.168.100.0/24",)),
        ("tcp", 443, 443, ("192.168.101.0/24",)),
        ("tcp", 443, 443, ("192.168.64.0/20",)),
    ]
    egress = sorted((r["protocol"], r["fromPort"], r["toPort"], tuple(r["cidrBlocks"])) for r in group["egress"])
    assert egress == [("tcp", 10250, 10250, ("192.168.100.0/24",)), ("tcp", 10250, 10250, ("192.168.101.0/24",))]


def test_the_hybrid_security_group_is_on_the_control_plane_only() -> None:
    rec = cluster_preview(remote=HYBRID)
    group = rec.one(SECURITY_GROUP, f"{NAME}-hybrid")
    assert group.urn in rec.one(CLUSTER).property_dependencies["vpcConfig"]
    # The system node group's launch template keeps EKS's cluster security group alone.
    template = rec.one("aws:ec2/launchTemplate:LaunchTemplate")
    assert group.urn not in template.property_dependencies.get("vpcSecurityGroupIds", [])


def test_no_hybrid_security_group_without_hybrid_nodes() -> None:
    rec = cluster_preview()
    assert rec.of_type(SECURITY_GROUP) == []
    assert "securityGroupIds" not in rec.one(CLUSTER).inputs["vpcConfig"]


def test_pod_identity_agent_runs_its_hybrid_daemonset_only_with_hybrid_nodes() -> None:
    def agent(rec: Recording) -> dict:
        return rec.one("aws:eks/addon:Addon", f"{NAME}-eks-pod-identity-agent").inputs

    assert json.loads(agent(cluster_preview(remote=HYBRID))["configurationValues"]) == {
        "daemonsets": {"hybrid": {"create": True}}
    }
    assert "configurationValues" not in agent(cluster_preview())
    addons = cluster_preview(remote=HYBRID).of_type("aws:eks/addon:Addon")
    assert [a.name for a in addons if "configurationValues" in a.inputs] == [f"{NAME}-eks-pod-identity-agent"]
