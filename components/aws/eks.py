"""A private EKS control plane: secrets encrypted with a CMK, every control-plane log kept in an encrypted log
group with a retention, access through EKS access entries only, and the managed add-ons nodes need.

Controls it satisfies by default: encryption-at-rest (secrets `encryptionConfig`, log group `kmsKeyId`),
no-public-access (private endpoint unless operator CIDRs are listed), audit-logging (all five log types),
log-retention (the log group exists before the cluster, so EKS never creates its own never-expiring one) and
least-privilege (no implicit admin for whoever ran `pulumi up`; named admin roles get access entries).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from llmops_infra.components.aws.launch_template import hardened_launch_template_args
from llmops_infra.components.catalog import aws as catalog
from llmops_infra.components.spec import ClusterSpec, SystemNodesSpec

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
# Add-ons that run as Deployments and so need schedulable nodes before EKS reports them active.
NEEDS_NODES = frozenset({"coredns"})
CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
KUBECONFIG_EXEC_API = "client.authentication.k8s.io/v1beta1"
HTTPS = 443
KUBELET = 10250
# EKS User Guide, "Hybrid nodes add-ons" (EKS Pod Identity Agent): IMDS is not available on hybrid nodes, so the
# add-on (v1.3.3-eksbuild.1 and later) deploys a second DaemonSet for them when configured so; the nodes' nodeadm
# configuration turns on the credentials file it reads (components/aws/hybrid.py node_config).
POD_IDENTITY_ADDON = "eks-pod-identity-agent"
POD_IDENTITY_HYBRID_CONFIG = json.dumps({"daemonsets": {"hybrid": {"create": True}}})
ADDONS = ("vpc-cni", "coredns", "kube-proxy", POD_IDENTITY_ADDON)

# EKS needs sts:TagSession as well as AssumeRole for features that pass session tags (e.g. EKS Auto Mode).
CLUSTER_TRUST_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ],
    }
)


@dataclass(frozen=True)
class RemoteNetwork:
    """The on-prem networks of EKS Hybrid Nodes: the machines' own addresses and, optionally, their pods'.

    Both must be routable between the VPC and the site (VPN or Direct Connect): the control plane reaches the
    kubelets on the node networks, and webhooks running on hybrid nodes on the pod networks (docs/accelerators.md;
    components/config/hybrid.py checks that they are RFC 1918 and overlap nothing)."""

    node_cidrs: tuple[str, ...] = field(
        metadata={"description": "The on-prem machines' IPv4 networks (HybridSpec.remote_node_cidrs), as strings."}
    )
    pod_cidrs: tuple[str, ...] = field(
        default=(),
        metadata={
            "description": "The hybrid nodes' pod networks; empty (default): none, and pods on hybrid nodes are "
            "masqueraded to their node's address."
        },
    )


def _first_issuer(identities: Sequence[Any] | None) -> str:
    oidcs = identities[0].oidcs if identities else None
    issuer = oidcs[0].issuer if oidcs else None
    return issuer or ""


def kubeconfig(name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig (JSON, which is also YAML) that gets a short-lived token from the caller's own AWS
    credentials at use time, so nothing in it grants access by itself."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
            "preferences": {},
            "users": [
                {
                    "name": name,
                    "user": {
                        "exec": {
                            "apiVersion": KUBECONFIG_EXEC_API,
                            "command": "aws",
                            "args": ["eks", "get-token", "--cluster-name", name, "--region", region],
                        }
                    },
                }
            ],
        },
        indent=2,
    )


def hybrid_security_group_rules(
    remote: RemoteNetwork,
) -> tuple[list[aws.ec2.SecurityGroupIngressArgs], list[aws.ec2.SecurityGroupEgressArgs]]:
    """(ingress, egress) of the control plane's hybrid security group.

    EKS User Guide, "Prepare networking for hybrid nodes" (cluster security group configuration): inbound HTTPS
    from the remote node networks (kubelet to API server) and the remote pod networks (pods reaching the API
    server when the CNI does not masquerade them); outbound 10250 to the remote node networks (API server to
    kubelet: logs, exec, port-forward). Outbound to webhooks on the pod networks uses ports only the webhooks
    know; EKS's own cluster security group allows all outbound traffic, so those are left to it.
    """
    ingress = [
        aws.ec2.SecurityGroupIngressArgs(
            description=f"HTTPS to the API server from hybrid {kind} {cidr}",
            protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            cidr_blocks=[cidr],
        )
        for kind, cidrs in (("nodes", remote.node_cidrs), ("pods", remote.pod_cidrs))
        for cidr in cidrs
    ]
    egress = [
        aws.ec2.SecurityGroupEgressArgs(
            description=f"API server to the kubelets of hybrid nodes {cidr}",
            protocol="tcp",
            from_port=KUBELET,
            to_port=KUBELET,
            cidr_blocks=[cidr],
        )
        for cidr in remote.node_cidrs
    ]
    return ingress, egress


def _remote_network_config(remote: RemoteNetwork | None) -> aws.eks.ClusterRemoteNetworkConfigArgs | None:
    if remote is None:
        return None
    return aws.eks.ClusterRemoteNetworkConfigArgs(
        remote_node_networks=aws.eks.ClusterRemoteNetworkConfigRemoteNodeNetworksArgs(cidrs=list(remote.node_cidrs)),
        # Left out without pod networks: pods on hybrid nodes are then masqueraded to their node's address.
        remote_pod_networks=(
            aws.eks.ClusterRemoteNetworkConfigRemotePodNetworksArgs(cidrs=list(remote.pod_cidrs))
            if remote.pod_cidrs
            else None
        ),
    )


class EksCluster(pulumi.ComponentResource):
    """A private EKS cluster named `name`, its untainted system node group and the managed add-ons nodes need.

    The control plane runs in `subnet_ids` as a role that trusts only EKS. Its log group is created first, under
    the exact name EKS writes to, so EKS never creates its own. The managed add-ons vpc-cni, coredns, kube-proxy
    and eks-pod-identity-agent are installed; the untainted system node group (`spec.system_nodes`) is where
    coredns and other pods without accelerator tolerations run. Accelerator pools are separate components
    (GpuNodePool) given `cluster_name` and `cluster_security_group_id`.

    Args:
        name: The EKS cluster's name, fixed (not auto-named) so its log group `/aws/eks/<name>/cluster` can exist
            before it; also the prefix of every child.
        spec: ClusterSpec: version, public endpoint ranges, admin roles, workload identity mode, system nodes,
            service range.
        vpc_id: The VPC of `subnet_ids`: with `remote_network`, where the control plane's hybrid security group
            is created.
        subnet_ids: Private subnets for the control plane's network interfaces and the system nodes
            (IsolatedVpc.private_subnet_ids).
        secrets_key_arn: ARN of the KMS key that encrypts Kubernetes secrets (KmsKeys.arn("cluster")).
        logs_key_arn: ARN of the KMS key that encrypts the control-plane log group (KmsKeys.arn("logs")).
        log_retention_days: Days the control-plane log group keeps logs (a CloudWatch Logs value).
        node_role_arn: The IAM role the system nodes run as (NodeRole.role_arn).
        storage_key_arn: ARN of the KMS key that encrypts the system nodes' volumes (KmsKeys.arn("storage")).
        tags: Tags on the cluster, its role, log group, access entries, add-ons, OIDC provider, system node group
            and its launch template.
        remote_network: RemoteNetwork of EKS Hybrid Nodes. With it the control plane gets a second security group
            that admits the remote node and pod networks on 443 and reaches the kubelets on 10250, and the Pod
            Identity Agent add-on its DaemonSet for hybrid nodes. None (default): no hybrid nodes.
        opts: Resource options; the provider decides the account and region.

    Outputs:
        cluster: The `aws.eks.Cluster`.
        cluster_name: Its name.
        endpoint: The API server endpoint.
        cluster_security_group_id: The security group EKS creates for the control plane and nodes.
        hybrid_security_group: The control plane's `aws.ec2.SecurityGroup` for hybrid nodes; None without
            `remote_network`.
        oidc_provider_arn: The IAM OIDC provider's ARN with `spec.workload_identity` irsa; None with pod-identity.
        oidc_issuer_url: The cluster's OIDC issuer URL.
        kubeconfig: A secret kubeconfig whose user runs `aws eks get-token` with the caller's own credentials.
        system_nodes: The system `aws.eks.NodeGroup` (registered output `system_node_group_name`).
        addons: The `aws.eks.Addon` of each managed add-on; versions are EKS's default for the cluster version.

    Security:
        - Private networking: the API endpoint is private; it is public too only for
          `spec.endpoint_public_access_cidrs` (never 0.0.0.0/0).
        - Encryption at rest: Kubernetes secrets envelope-encrypted with `secrets_key_arn`; the control-plane log
          group with `logs_key_arn`; system node volumes with `storage_key_arn` (hardened launch template: IMDSv2
          only, hop limit 1).
        - Audit logging: all five control-plane log types (api, audit, authenticator, controllerManager,
          scheduler), kept `log_retention_days`.
        - Least privilege: authentication mode API (access entries only, no aws-auth ConfigMap); the creator gets no
          admin rights; cluster-admin only for `spec.admin_role_arns`; the cluster role holds
          AmazonEKSClusterPolicy only.
        - The kubeconfig holds no credential of its own, and is a Pulumi secret.
    """

    cluster: aws.eks.Cluster
    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    cluster_security_group_id: pulumi.Output[str]
    hybrid_security_group: aws.ec2.SecurityGroup | None
    oidc_provider_arn: pulumi.Output[str] | None
    oidc_issuer_url: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    system_nodes: aws.eks.NodeGroup
    addons: dict[str, aws.eks.Addon]

    def __init__(
        self,
        name: str,
        spec: ClusterSpec,
        *,
        vpc_id: pulumi.Input[str],
        subnet_ids: Sequence[pulumi.Input[str]],
        secrets_key_arn: pulumi.Input[str],
        logs_key_arn: pulumi.Input[str],
        log_retention_days: int,
        node_role_arn: pulumi.Input[str],
        storage_key_arn: pulumi.Input[str],
        tags: Mapping[str, str],
        remote_network: RemoteNetwork | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llmops:aws:EksCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region
        tags = dict(tags)

        role = aws.iam.Role(
            f"{name}-cluster-role",
            assume_role_policy=CLUSTER_TRUST_POLICY,
            description=f"EKS control plane of {name}",
            tags=tags,
            opts=child,
        )
        role_policy = aws.iam.RolePolicyAttachment(
            f"{name}-cluster-policy",
            role=role.name,
            policy_arn=pulumi.Output.concat("arn:", partition, ":iam::aws:policy/AmazonEKSClusterPolicy"),
            opts=child,
        )

        # EKS writes to exactly this name; if it does not exist, EKS creates it unencrypted, never expiring.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            name=f"/aws/eks/{name}/cluster",
            kms_key_id=logs_key_arn,
            retention_in_days=log_retention_days,
            tags=tags,
            opts=child,
        )

        # Hybrid nodes reach the API server through the control plane's network interfaces. The guide passes
        # this group at cluster creation: EKS puts it on those interfaces only, not on the node groups, so the
        # remote networks reach the API server and nothing else in the VPC.
        self.hybrid_security_group = None
        if remote_network is not None:
            ingress, egress = hybrid_security_group_rules(remote_network)
            self.hybrid_security_group = aws.ec2.SecurityGroup(
                f"{name}-hybrid",
                vpc_id=vpc_id,
                description=f"EKS control plane of {name}: API server access from EKS Hybrid Nodes",
                ingress=ingress,
                egress=egress,
                tags=tags,
                opts=child,
            )

        cidrs = [str(c) for c in spec.endpoint_public_access_cidrs]
        vpc_config = aws.eks.ClusterVpcConfigArgs(
            subnet_ids=list(subnet_ids),
            security_group_ids=[self.hybrid_security_group.id] if self.hybrid_security_group else None,
            endpoint_private_access=True,
            endpoint_public_access=bool(cidrs),
            # Left unset when private: EKS would otherwise record its default, 0.0.0.0/0.
            public_access_cidrs=cidrs or None,
        )

        self.cluster = aws.eks.Cluster(
            f"{name}-cluster",
            name=name,
            version=spec.version,
            role_arn=role.arn,
            vpc_config=vpc_config,
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=secrets_key_arn),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=list(LOG_TYPES),
            # Set, not left to EKS (10.100.0.0/16 or 172.20.0.0/16 depending on the VPC): the config rules check
            # hybrid node and pod networks against exactly this range before anything exists.
            kubernetes_network_config=aws.eks.ClusterKubernetesNetworkConfigArgs(
                service_ipv4_cidr=str(spec.service_cidr)
            ),
            # EKS Hybrid Nodes: on-prem machines join through this cluster's endpoint, so it has to be reachable
            # from the site. With the private endpoint (the default here) that means the VPN / Direct Connect
            # routes the node networks into the VPC; remote networks can only be set when the cluster is created.
            remote_network_config=_remote_network_config(remote_network),
            # Access only through access entries: no aws-auth ConfigMap, and whoever runs `pulumi up` gets
            # no hidden, permanent cluster-admin.
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API", bootstrap_cluster_creator_admin_permissions=False
            ),
            tags=tags,
            # The policy must be attached before EKS uses the role, and stay until the cluster is gone, or
            # EKS cannot clean up its network interfaces on delete.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, role_policy]),
        )
        self.cluster_name = self.cluster.name
        self.endpoint = self.cluster.endpoint
        self.cluster_security_group_id = self.cluster.vpc_config.apply(lambda v: v.cluster_security_group_id or "")
        self.oidc_issuer_url = self.cluster.identities.apply(_first_issuer)

        admin_policy_arn = pulumi.Output.concat(
            "arn:", partition, ":eks::aws:cluster-access-policy/", CLUSTER_ADMIN_POLICY
        )
        for i, role_arn in enumerate(spec.admin_role_arns):
            entry = aws.eks.AccessEntry(
                f"{name}-admin-{i}",
                cluster_name=self.cluster.name,
                principal_arn=role_arn,
                type="STANDARD",
                tags=tags,
                opts=child,
            )
            aws.eks.AccessPolicyAssociation(
                f"{name}-admin-{i}-cluster-admin",
                cluster_name=self.cluster.name,
                principal_arn=entry.principal_arn,
                policy_arn=admin_policy_arn,
                access_scope={"type": "cluster"},
                opts=child,
            )

        self.system_nodes = self._system_node_group(
            name, spec.system_nodes, list(subnet_ids), node_role_arn, storage_key_arn, tags
        )

        # Versions are left to EKS (its default for the cluster version), so upgrades never pin a stale one.
        # Deployments among the add-ons (coredns) need a node without an accelerator taint: they wait for the
        # system nodes, or `pulumi up` would wait on an add-on that cannot become active.
        self.addons = {
            addon: aws.eks.Addon(
                f"{name}-{addon}",
                cluster_name=self.cluster.name,
                addon_name=addon,
                configuration_values=(
                    POD_IDENTITY_HYBRID_CONFIG if addon == POD_IDENTITY_ADDON and remote_network is not None else None
                ),
                resolve_conflicts_on_create="OVERWRITE",
                tags=tags,
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[self.system_nodes] if addon in NEEDS_NODES else []
                ),
            )
            for addon in ADDONS
        }

        self.oidc_provider_arn = None
        if spec.workload_identity == "irsa":
            # No thumbprint_lists: it is optional in pulumi-aws v7, and IAM trusts the EKS issuer through its
            # own root CAs instead of a pinned thumbprint that would break on certificate rotation.
            oidc = aws.iam.OpenIdConnectProvider(
                f"{name}-oidc",
                url=self.oidc_issuer_url,
                client_id_lists=["sts.amazonaws.com"],
                tags=tags,
                opts=child,
            )
            self.oidc_provider_arn = oidc.arn

        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(
                self.cluster.name,
                self.cluster.endpoint,
                self.cluster.certificate_authority.apply(lambda ca: ca.data or ""),
                region,
            ).apply(lambda args: kubeconfig(*args))
        )

        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "system_node_group_name": self.system_nodes.node_group_name,
                "endpoint": self.endpoint,
                "cluster_security_group_id": self.cluster_security_group_id,
                "oidc_provider_arn": self.oidc_provider_arn,
                "oidc_issuer_url": self.oidc_issuer_url,
                "kubeconfig": self.kubeconfig,
            }
        )

    def _system_node_group(
        self,
        name: str,
        spec: SystemNodesSpec,
        subnet_ids: list[pulumi.Input[str]],
        node_role_arn: pulumi.Input[str],
        storage_key_arn: pulumi.Input[str],
        tags: dict[str, str],
    ) -> aws.eks.NodeGroup:
        ami = catalog.AMI_TYPES[catalog.SYSTEM_AMI]
        template = aws.ec2.LaunchTemplate(
            f"{name}-system-lt",
            **hardened_launch_template_args(ami, spec.disk_size_gib, storage_key_arn, tags),
            vpc_security_group_ids=[self.cluster_security_group_id],
            opts=pulumi.ResourceOptions(parent=self),
        )
        return aws.eks.NodeGroup(
            f"{name}-system",
            cluster_name=self.cluster.name,
            node_role_arn=node_role_arn,
            subnet_ids=subnet_ids,
            capacity_type="ON_DEMAND",
            ami_type=ami.name,
            instance_types=[spec.instance_type],
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=spec.min_size, desired_size=spec.min_size, max_size=spec.max_size
            ),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            labels={"llmops.dev/role": "system"},
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["scalingConfig.desiredSize"]),
        )
