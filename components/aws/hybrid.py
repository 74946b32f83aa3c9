"""EKS Hybrid Nodes: the IAM identity on-prem GPU machines join an EKS cluster with, and how they get it.

The machines authenticate with temporary credentials of one IAM role, handed out either by an SSM hybrid activation
(no PKI needed) or by IAM Roles Anywhere against the site's own CA. The role is mapped into the cluster by an access
entry of type HYBRID_LINUX, which gives the nodes the node permissions and nothing else.

Source of every grant and trust below: Amazon EKS User Guide, "Prepare credentials for hybrid nodes"
(awsdocs/amazon-eks-user-guide latest/ug/nodes/hybrid-nodes-creds.adoc):
- the role needs eks:DescribeCluster (nodeadm reads the endpoint, CA and service CIDR), the managed policy
  AmazonEC2ContainerRegistryPullOnly (kubelet image pulls) and, with SSM, AmazonSSMManagedInstanceCore plus
  ssm:DescribeInstanceInformation and ssm:DeregisterManagedInstance (nodeadm uninstall), the latter limited by the
  activation's EKSClusterARN tag to the instances this cluster's activation registered;
- SSM trust: ssm.amazonaws.com, sts:AssumeRole, conditioned on aws:SourceAccount and aws:SourceArn;
- Roles Anywhere trust: rolesanywhere.amazonaws.com with sts:TagSession and sts:SetSourceIdentity, and
  sts:AssumeRole only when the role session name is the certificate's CN, both only from this trust anchor;
  the profile accepts a custom role session name (nodeadm passes the node name) and the role's maximum session
  must exceed the profile's credential duration.
The doc grants eks:DescribeCluster on "*"; here it is scoped to the one cluster. The EKS Pod Identity Agent on
hybrid nodes uses the nodes' role for eks-auth:AssumeRoleForPodIdentity ("Hybrid nodes add-ons", and the agent
prerequisites in "EKS Pod Identity", which grant it on "*").

How a machine joins: `nodeadm init -c file://nodeConfig.yaml` with the NodeConfig `node_config` writes (API
node.eks.aws/v1alpha1, aws/eks-hybrid api/v1alpha1/nodeconfig_types.go): the cluster's name and region, the
credentials (SSM activation, or the Roles Anywhere anchor, profile and role), `hybrid.enableCredentialsFile` for
the Pod Identity Agent, and kubelet flags. Hybrid nodes are named when they join (SSM: `mi-...`; Roles Anywhere:
the node name each machine is given), so a pool's labels and taints travel as kubelet flags (`--node-labels`,
`--register-with-taints`), which nodeadm appends after its own (internal/kubelet/environment.go; repeated
`--node-labels` merge, internal/api/merge.go), rather than as patches on names nobody knows yet.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws
import yaml

from llmops_infra.components.capacity import Capacity, capacity_row
from llmops_infra.components.k8s.nodes import pool_node_labels, pool_taints
from llmops_infra.components.spec import KUBERNETES_EFFECT, HybridPoolSpec, HybridSpec, Taint

ACCESS_ENTRY_TYPE = "HYBRID_LINUX"
# Attached to the role in both modes (ECR pulls), and with SSM hybrid activations only.
MANAGED_POLICIES: tuple[str, ...] = ("AmazonEC2ContainerRegistryPullOnly",)
SSM_MANAGED_POLICIES: tuple[str, ...] = ("AmazonSSMManagedInstanceCore",)
# The tag the doc's example puts on the activation; the deregister grant is conditioned on it.
CLUSTER_ARN_TAG = "EKSClusterARN"
# IAM Roles Anywhere: credential lifetime of the profile (the service default, 1 hour; at most 12 hours), and the
# role's maximum session, which the doc requires to be greater than the profile's duration.
CREDENTIAL_SECONDS = 3600
ROLE_MAX_SESSION_SECONDS = 2 * CREDENTIAL_SECONDS
# The certificate attribute the node name must equal (the doc's default: the subject CN).
SESSION_NAME_ATTRIBUTE = "${aws:PrincipalTag/x509Subject/CN}"


def ssm_trust_policy(partition: str, region: str, account: str) -> str:
    """The role's trust policy for SSM hybrid activations: SSM acting for this account and region only."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ssm.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    # Only SSM acting for this account and region (confused-deputy protection).
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account},
                        "ArnEquals": {"aws:SourceArn": f"arn:{partition}:ssm:{region}:{account}:*"},
                    },
                }
            ],
        }
    )


def roles_anywhere_trust_policy(trust_anchor_arn: str) -> str:
    """The role's trust policy for IAM Roles Anywhere: this trust anchor only, session named after the CN."""
    from_anchor = {"ArnEquals": {"aws:SourceArn": trust_anchor_arn}}
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "rolesanywhere.amazonaws.com"},
                    "Action": ["sts:TagSession", "sts:SetSourceIdentity"],
                    "Condition": from_anchor,
                },
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "rolesanywhere.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    # A node may only take a session named after its own certificate, so one machine's
                    # certificate cannot register as another node.
                    "Condition": {"StringEquals": {"sts:RoleSessionName": SESSION_NAME_ATTRIBUTE}, **from_anchor},
                },
            ],
        }
    )


def node_policy(cluster_arn: str, *, partition: str, region: str, account: str, ssm: bool) -> str:
    """The role's inline policy: describe this cluster, and with SSM describe and deregister its own instances."""
    statements: list[dict[str, Any]] = [
        {"Sid": "DescribeCluster", "Effect": "Allow", "Action": "eks:DescribeCluster", "Resource": cluster_arn},
        # The EKS Pod Identity Agent on the nodes; granted on "*" as AWS's agent prerequisites show it.
        {
            "Sid": "PodIdentityAgent",
            "Effect": "Allow",
            "Action": "eks-auth:AssumeRoleForPodIdentity",
            "Resource": "*",
        },
    ]
    if ssm:
        statements += [
            # DescribeInstanceInformation has no resource-level permissions, so it can only be granted on "*".
            {
                "Sid": "DescribeInstances",
                "Effect": "Allow",
                "Action": "ssm:DescribeInstanceInformation",
                "Resource": "*",
            },
            {
                "Sid": "DeregisterOwnInstances",
                "Effect": "Allow",
                "Action": "ssm:DeregisterManagedInstance",
                "Resource": f"arn:{partition}:ssm:{region}:{account}:managed-instance/*",
                "Condition": {"StringEquals": {f"ssm:resourceTag/{CLUSTER_ARN_TAG}": cluster_arn}},
            },
        ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


class HybridNodes(pulumi.ComponentResource):
    """The IAM identity on-prem GPU machines join an EKS cluster with as EKS Hybrid Nodes, and how they get it.

    One IAM role for all the machines, its credential source (an SSM hybrid activation, or an IAM Roles Anywhere
    trust anchor and profile against the site's CA) and an EKS access entry of type HYBRID_LINUX that maps the
    role into the cluster. The cluster must have been created with the site's remote networks
    (EksCluster `remote_network`); `nodeadm init` on each machine needs the activation or the anchor and profile.

    Args:
        name: Component name, the prefix of every child; also the SSM activation's name.
        spec: HybridSpec: `credentials` and `trust_anchor_certificate` choose the credential source; the pools'
            node count is the activation's registration limit. Roles Anywhere without a certificate, or SSM with no
            node, raises ValueError before anything is registered.
        cluster_name: The EKS cluster the machines join (EksCluster.cluster_name).
        tags: Tags on the role, the activation, the trust anchor, the profile and the access entry.
        activation_expiration: RFC 3339 UTC time the SSM activation expires; None (default): SSM's default, 24
            hours after creation. Give a fixed value, never one computed from the clock, or every preview would
            replace the activation.
        opts: Resource options; the provider decides the account and region.

    Outputs:
        role: The nodes' `aws.iam.Role`.
        role_arn: Its ARN.
        access_entry: The `aws.eks.AccessEntry` of type HYBRID_LINUX.
        activation_id: The SSM activation's id (ssm); None with Roles Anywhere.
        activation_code: The activation code, a Pulumi secret (ssm); None with Roles Anywhere.
        trust_anchor_arn: The Roles Anywhere trust anchor's ARN; None with ssm.
        profile_arn: The Roles Anywhere profile's ARN; None with ssm.

    Security:
        - Least privilege: eks:DescribeCluster on this one cluster (AWS's guide grants it on "*"), eks-
          auth:AssumeRoleForPodIdentity (the Pod Identity Agent) and AmazonEC2ContainerRegistryPullOnly; with SSM also
          AmazonSSMManagedInstanceCore, ssm:DescribeInstanceInformation (it has no resource-level permissions) and
          ssm:DeregisterManagedInstance only for instances registered by an activation tagged with this cluster's ARN.
          In the cluster, the access entry gives node permissions and nothing else.
        - Trust: SSM only on behalf of this account and region (aws:SourceAccount, aws:SourceArn); Roles Anywhere
          only from this trust anchor, and sts:AssumeRole only with a session named after the certificate's CN,
          so one machine's certificate cannot register as another node; credentials last 1 hour.
        - Secrets: the activation code is secret in state and outputs, and registers at most as many machines as
          the pools list.
    """

    role: aws.iam.Role
    role_arn: pulumi.Output[str]
    access_entry: aws.eks.AccessEntry
    activation_id: pulumi.Output[str] | None
    activation_code: pulumi.Output[str] | None
    trust_anchor_arn: pulumi.Output[str] | None
    profile_arn: pulumi.Output[str] | None

    def __init__(
        self,
        name: str,
        spec: HybridSpec,
        *,
        cluster_name: pulumi.Input[str],
        tags: Mapping[str, str],
        activation_expiration: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # Checked before anything registers, so a wrong call leaves no half-built component behind.
        ssm = spec.credentials == "ssm"
        if not ssm and not spec.trust_anchor_certificate:
            raise ValueError("credentials iam-roles-anywhere needs trust_anchor_certificate (the CA's PEM bundle)")
        if ssm and spec.node_count == 0:
            raise ValueError("an SSM activation registers the nodes of spec.pools; list at least one pool")
        super().__init__("llmops:aws:HybridNodes", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        partition = aws.get_partition_output(opts=invoke).partition
        region = aws.get_region_output(opts=invoke).region
        account = aws.get_caller_identity_output(opts=invoke).account_id
        tags = dict(tags)
        cluster_arn = pulumi.Output.concat(
            "arn:", partition, ":eks:", region, ":", account, ":cluster/", pulumi.Output.from_input(cluster_name)
        )

        self.activation_id = self.activation_code = self.trust_anchor_arn = self.profile_arn = None
        anchor: aws.rolesanywhere.TrustAnchor | None = None
        if ssm:
            trust = pulumi.Output.all(partition, region, account).apply(lambda a: ssm_trust_policy(*a))
        else:
            anchor = aws.rolesanywhere.TrustAnchor(
                f"{name}-trust-anchor",
                enabled=True,
                source=aws.rolesanywhere.TrustAnchorSourceArgs(
                    source_type="CERTIFICATE_BUNDLE",
                    source_data=aws.rolesanywhere.TrustAnchorSourceSourceDataArgs(
                        x509_certificate_data=spec.trust_anchor_certificate
                    ),
                ),
                tags=tags,
                opts=child,
            )
            trust = anchor.arn.apply(roles_anywhere_trust_policy)

        self.role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=trust,
            description=f"EKS Hybrid Nodes of {name} ({spec.credentials})",
            max_session_duration=None if ssm else ROLE_MAX_SESSION_SECONDS,
            tags=tags,
            opts=child,
        )
        self.role_arn = self.role.arn
        aws.iam.RolePolicy(
            f"{name}-node",
            role=self.role.name,
            policy=pulumi.Output.all(cluster_arn, partition, region, account).apply(
                lambda a: node_policy(a[0], partition=a[1], region=a[2], account=a[3], ssm=ssm)
            ),
            opts=child,
        )
        for policy in MANAGED_POLICIES + (SSM_MANAGED_POLICIES if ssm else ()):
            aws.iam.RolePolicyAttachment(
                f"{name}-{policy}",
                role=self.role.name,
                policy_arn=pulumi.Output.concat("arn:", partition, ":iam::aws:policy/", policy),
                opts=child,
            )

        if ssm:
            activation = aws.ssm.Activation(
                f"{name}-activation",
                name=name,
                description=f"EKS Hybrid Nodes of cluster {name}",
                iam_role=self.role.name,
                # Exactly the machines the config names: a leaked code cannot register extra ones.
                registration_limit=spec.node_count,
                expiration_date=activation_expiration,
                tags={**tags, CLUSTER_ARN_TAG: cluster_arn},
                # The code registers machines as nodes of the cluster: a secret in state as well as in outputs.
                opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["activationCode"]),
            )
            self.activation_id = activation.id
            self.activation_code = pulumi.Output.secret(activation.activation_code)
        else:
            assert anchor is not None
            self.trust_anchor_arn = anchor.arn
            profile = aws.rolesanywhere.Profile(
                f"{name}-profile",
                enabled=True,
                role_arns=[self.role.arn],
                duration_seconds=CREDENTIAL_SECONDS,
                # nodeadm passes the node name as the role session name; the trust policy pins it to the CN.
                accept_role_session_name=True,
                tags=tags,
                opts=child,
            )
            self.profile_arn = profile.arn

        self.access_entry = aws.eks.AccessEntry(
            f"{name}-access",
            cluster_name=cluster_name,
            principal_arn=self.role.arn,
            type=ACCESS_ENTRY_TYPE,
            tags=tags,
            opts=child,
        )

        self.register_outputs(
            {
                "role_arn": self.role_arn,
                "activation_id": self.activation_id,
                "activation_code": self.activation_code,
                "trust_anchor_arn": self.trust_anchor_arn,
                "profile_arn": self.profile_arn,
            }
        )


NODE_CONFIG_API = "node.eks.aws/v1alpha1"


def _taint_flag(taint: Taint) -> str:
    """A taint as kubelet's --register-with-taints takes it: <key>=<value>:<effect>, or <key>:<effect>."""
    effect = KUBERNETES_EFFECT[taint.effect]
    return f"{taint.key}={taint.value}:{effect}" if taint.value else f"{taint.key}:{effect}"


def kubelet_flags(pool: HybridPoolSpec) -> list[str]:
    """The kubelet flags that give a joining machine the pool's labels and taints (the same ones NodePatch gives
    an on-prem pool: components/k8s/nodes.py)."""
    labels = ",".join(f"{key}={value}" for key, value in sorted(pool_node_labels(pool).items()))
    taints = ",".join(_taint_flag(t) for t in pool_taints(pool.taints))
    return [f"--node-labels={labels}", f"--register-with-taints={taints}"]


def node_config(pool: HybridPoolSpec, *, cluster_name: str, region: str, credentials: Mapping[str, Any]) -> str:
    """The nodeadm NodeConfig (YAML) a machine of `pool` joins with. `credentials` is the `hybrid` block's
    credential source: {"ssm": {activationCode, activationId}} or {"iamRolesAnywhere": {trustAnchorArn,
    profileArn, roleArn}}; with Roles Anywhere each machine adds its own `nodeName` (the CN of its certificate,
    which the role's trust policy requires as the session name)."""
    document = {
        "apiVersion": NODE_CONFIG_API,
        "kind": "NodeConfig",
        "spec": {
            "cluster": {"name": cluster_name, "region": region},
            "kubelet": {"flags": kubelet_flags(pool)},
            # The credentials file the Pod Identity Agent's hybrid DaemonSet reads (EksCluster turns that on).
            "hybrid": {"enableCredentialsFile": True, **credentials},
        },
    }
    return yaml.safe_dump(document, sort_keys=False)


class HybridGpuPool(pulumi.ComponentResource):
    """A pool of on-prem GPU machines that join the EKS cluster as EKS Hybrid Nodes, and the node configuration
    they join with.

    Nothing is created in the cluster: the machines are named only when they join, so the pool's labels (the
    `llmops.dev/...` labels every pool carries, one `allow-<class>` per allowed data class,
    `nvidia.com/gpu.present`) and taints (`nvidia.com/gpu=present:NoSchedule`, then the spec's) are kubelet flags
    in the nodeadm NodeConfig every machine of the pool runs `nodeadm init -c file://nodeConfig.yaml` with.

    Args:
        name: Component name.
        spec: HybridPoolSpec: node count, role, accelerator and count, allowed data classes, extra labels and
            taints.
        nodes: The HybridNodes the machines get their credentials from (its SSM activation, or its Roles Anywhere
            anchor, profile and role).
        cluster_name: The EKS cluster they join (EksCluster.cluster_name).
        opts: Resource options; the provider decides the region written into the node configuration.

    Outputs:
        node_config: The NodeConfig as YAML (registered output `node_config`); a Pulumi secret with SSM, since it
            carries the activation code. With Roles Anywhere each machine adds `nodeName` under
            `spec.hybrid.iamRolesAnywhere`.
        capacity: The pool's row of the capacity table: min, desired and max are all `spec.node_count`.

    Security:
        - Data placement: the label `llmops.dev/allow-<class>` only for `spec.allowed_classifications`. A kubelet
          sets these labels on its own Node when it registers, so a machine holding the pool's credentials and
          configuration can claim the pool's labels: the credentials are what gate it.
        - Secrets: the activation code stays secret in the output.
    """

    node_config: pulumi.Output[str]
    capacity: Capacity

    def __init__(
        self,
        name: str,
        spec: HybridPoolSpec,
        *,
        nodes: HybridNodes,
        cluster_name: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llmops:aws:HybridGpuPool", name, None, opts)
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        if nodes.activation_id is not None and nodes.activation_code is not None:
            credentials: pulumi.Output[dict[str, Any]] = pulumi.Output.all(
                nodes.activation_code, nodes.activation_id
            ).apply(lambda a: {"ssm": {"activationCode": a[0], "activationId": a[1]}})
        else:
            credentials = pulumi.Output.all(nodes.trust_anchor_arn, nodes.profile_arn, nodes.role_arn).apply(
                lambda a: {"iamRolesAnywhere": {"trustAnchorArn": a[0], "profileArn": a[1], "roleArn": a[2]}}
            )
        self.node_config = pulumi.Output.all(pulumi.Output.from_input(cluster_name), region, credentials).apply(
            lambda a: node_config(spec, cluster_name=a[0], region=a[1], credentials=a[2])
        )
        count = spec.node_count
        self.capacity = capacity_row(
            spec.name, "hybrid-node", spec.accelerator, spec.accelerators_per_node, (count, count, count)
        )
        self.register_outputs({"node_config": self.node_config, "capacity": self.capacity})
