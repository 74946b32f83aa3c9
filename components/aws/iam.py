"""IAM for the platform: the role GPU nodes run as, and the per-workload roles pods assume.

Nodes get only what the kubelet, the VPC CNI and image pulls need; anything a workload reads (models,
datasets, keys) is granted to that workload's own role through EKS Pod Identity or IRSA, never to the node,
so one pod's access is not every pod's access.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

# The AWS managed policies an EKS managed node group's role needs, and nothing more (least-privilege control).
NODE_MANAGED_POLICIES: tuple[str, ...] = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
)

WorkloadIdentityMode = Literal["pod-identity", "irsa"]

S3_READ_OBJECT_ACTIONS = ("s3:GetObject",)
S3_LIST_ACTIONS = ("s3:ListBucket",)
KMS_DECRYPT_ACTIONS = ("kms:Decrypt", "kms:DescribeKey")


def _trust(statement: Mapping[str, Any]) -> pulumi.Output[str]:
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": [dict(statement)]})


def _aws_managed_policy_arn(partition: pulumi.Output[str], policy: str) -> pulumi.Output[str]:
    return partition.apply(lambda p: f"arn:{p}:iam::aws:policy/{policy}")


class NodeRole(pulumi.ComponentResource):
    """The IAM role EKS worker nodes run as, with only the AWS managed policies a managed node group needs.

    The role is trusted by EC2 and holds AmazonEKSWorkerNodePolicy, AmazonEKS_CNI_Policy and
    AmazonEC2ContainerRegistryReadOnly, attached by partition-aware ARNs (GovCloud, China and the EU sovereign
    cloud alike). Give its ARN to EksCluster (system nodes), GpuNodePool and LocalZoneGpuNodes.

    Args:
        name: Component name; the role is auto-named from it.
        tags: Tags of the role.
        opts: Resource options; the provider decides the account and partition.

    Outputs:
        role: The `aws.iam.Role`.
        role_arn: Its ARN.
        role_name: Its name.

    Security:
        - Least privilege: only ec2.amazonaws.com may assume the role; it holds exactly the three managed policies
          above and no inline policy. Nothing a workload reads (models, datasets, keys) is granted to the node:
          that goes to the workload's own WorkloadRole, so one pod's access is not every pod's.
    """

    role: aws.iam.Role
    role_arn: pulumi.Output[str]
    role_name: pulumi.Output[str]

    def __init__(self, name: str, *, tags: Mapping[str, str], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:aws:NodeRole", name, None, opts)
        self.role = aws.iam.Role(
            name,
            assume_role_policy=_trust(
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ),
            tags=dict(tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The partition, not a literal "aws", so the same component works in GovCloud, China and the EU
        # sovereign cloud.
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).apply(
            lambda result: result.partition
        )
        for policy in NODE_MANAGED_POLICIES:
            aws.iam.RolePolicyAttachment(
                f"{name}-{policy}",
                role=self.role.name,
                policy_arn=_aws_managed_policy_arn(partition, policy),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.role_arn = self.role.arn
        self.role_name = self.role.name
        self.register_outputs({"role_arn": self.role_arn, "role_name": self.role_name})


@dataclass(frozen=True)
class WorkloadAccess:
    """What one Kubernetes service account may read: objects of some buckets, and decrypt with some keys."""

    namespace: str = field(metadata={"description": "The service account's Kubernetes namespace."})
    service_account: str = field(metadata={"description": "The Kubernetes service account's name."})
    read_bucket_arns: Sequence[pulumi.Input[str]] = field(
        default=(),
        metadata={
            "description": "ARNs of the S3 buckets whose objects it may read (s3:GetObject) and list "
            "(s3:ListBucket): each one bucket, no wildcards. Empty (default): none."
        },
    )
    decrypt_key_arns: Sequence[pulumi.Input[str]] = field(
        default=(),
        metadata={
            "description": "ARNs of the KMS keys it may decrypt with (kms:Decrypt, kms:DescribeKey), e.g. the "
            "buckets' SSE-KMS key: each one key, no wildcards. Empty (default): none."
        },
    )


def _checked_arn(value: str, what: str) -> str:
    """An ARN fit for a least-privilege Resource: one named resource, never a wildcard."""
    if not value.startswith("arn:") or "*" in value:
        raise ValueError(f"{what} must be the ARN of one resource, without wildcards; got {value!r}")
    return value


def _check_known_arns(spec: WorkloadAccess) -> None:
    """Refuse wildcard ARNs that are plain strings now, before any resource or Output exists."""
    for what, arns in (
        ("read_bucket_arns", spec.read_bucket_arns),
        ("decrypt_key_arns", spec.decrypt_key_arns),
    ):
        for arn in arns:
            if isinstance(arn, str):
                _checked_arn(arn, what)


def _resources(arns: Sequence[pulumi.Input[str]], what: str, suffix: str = "") -> list[pulumi.Output[str]]:
    # ARNs only known later (Outputs) are checked when they resolve; an apply that raises fails the program.
    return [pulumi.Output.from_input(arn).apply(lambda a: _checked_arn(a, what) + suffix) for arn in arns]


def access_policy_document(spec: WorkloadAccess) -> dict[str, Any] | None:
    """The workload's read-only policy (Outputs inside), or None when it is granted nothing."""
    statements: list[dict[str, Any]] = []
    if spec.read_bucket_arns:
        statements += [
            {
                "Sid": "ReadObjects",
                "Effect": "Allow",
                "Action": list(S3_READ_OBJECT_ACTIONS),
                "Resource": _resources(spec.read_bucket_arns, "read_bucket_arns", "/*"),
            },
            {
                "Sid": "ListBuckets",
                "Effect": "Allow",
                "Action": list(S3_LIST_ACTIONS),
                "Resource": _resources(spec.read_bucket_arns, "read_bucket_arns"),
            },
        ]
    if spec.decrypt_key_arns:
        # Objects under SSE-KMS can only be read by a principal that may also decrypt with the bucket's key.
        statements.append(
            {
                "Sid": "DecryptWithKeys",
                "Effect": "Allow",
                "Action": list(KMS_DECRYPT_ACTIONS),
                "Resource": _resources(spec.decrypt_key_arns, "decrypt_key_arns"),
            }
        )
    return {"Version": "2012-10-17", "Statement": statements} if statements else None


class WorkloadRole(pulumi.ComponentResource):
    """The IAM role one Kubernetes service account assumes, through EKS Pod Identity or IRSA.

    The role holds one customer-managed, read-only policy built from the spec (none when it grants nothing). With
    Pod Identity a PodIdentityAssociation binds the role to the service account; with IRSA the role trusts the
    cluster's OIDC provider for that service account's tokens only (annotate the service account with
    `eks.amazonaws.com/role-arn`).

    Args:
        name: Component name; the role and its policy are auto-named from it.
        spec: WorkloadAccess: the namespace and service account, the buckets it reads and the keys it decrypts
            with. A wildcard or non-ARN value known now raises ValueError before anything is registered; one known
            only at deployment fails the program when it resolves.
        cluster_name: The EKS cluster of the Pod Identity association (EksCluster.cluster_name).
        identity: `pod-identity` or `irsa` (ClusterSpec.workload_identity); anything else raises ValueError.
        tags: Tags on the role, its policy and the association.
        oidc_provider_arn: The cluster's IAM OIDC provider (EksCluster.oidc_provider_arn); required with irsa.
        oidc_issuer_url: The cluster's OIDC issuer URL (EksCluster.oidc_issuer_url); required with irsa.
        opts: Resource options.

    Outputs:
        role: The `aws.iam.Role`.
        role_arn: Its ARN.
        policy: The read-only `aws.iam.Policy`; None when the spec grants nothing.
        association: The `aws.eks.PodIdentityAssociation` with pod-identity; None with irsa.

    Security:
        - Least privilege: s3:GetObject on the listed buckets' objects, s3:ListBucket on the buckets, kms:Decrypt
          and kms:DescribeKey on the listed keys; every Resource one named ARN, never a wildcard; a managed
          policy, no inline one.
        - Trust: pod-identity: pods.eks.amazonaws.com (sts:AssumeRole, sts:TagSession), used through the
          association for exactly `spec.namespace`/`spec.service_account` on `cluster_name`; irsa: the OIDC
          provider, only for the subject `system:serviceaccount:<namespace>:<service account>` and audience
          sts.amazonaws.com.
    """

    role: aws.iam.Role
    role_arn: pulumi.Output[str]
    policy: aws.iam.Policy | None
    association: aws.eks.PodIdentityAssociation | None

    def __init__(
        self,
        name: str,
        spec: WorkloadAccess,
        *,
        cluster_name: pulumi.Input[str],
        identity: WorkloadIdentityMode,
        tags: Mapping[str, str],
        oidc_provider_arn: pulumi.Input[str] | None = None,
        oidc_issuer_url: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # Checked before registering anything, so a wrong call leaves no half-built component behind.
        if identity not in ("pod-identity", "irsa"):
            raise ValueError(f"identity must be 'pod-identity' or 'irsa', got {identity!r}")
        if identity == "irsa" and (oidc_provider_arn is None or oidc_issuer_url is None):
            raise ValueError(
                "identity 'irsa' needs the cluster's OIDC provider: pass oidc_provider_arn and"
                " oidc_issuer_url (or use identity 'pod-identity')"
            )
        _check_known_arns(spec)
        document = access_policy_document(spec)
        super().__init__("llmops:aws:WorkloadRole", name, None, opts)

        if identity == "pod-identity":
            # The EKS Pod Identity agent assumes the role and tags the session with the cluster, namespace
            # and service account, hence sts:TagSession.
            trust = _trust(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "pods.eks.amazonaws.com"},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                }
            )
        else:
            issuer = pulumi.Output.from_input(oidc_issuer_url).apply(lambda url: str(url).removeprefix("https://"))
            subject = f"system:serviceaccount:{spec.namespace}:{spec.service_account}"
            # Without the sub condition any service account in the cluster could assume the role; aud pins
            # the token to STS.
            trust = _trust(
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": oidc_provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": issuer.apply(
                            lambda host: {
                                f"{host}:sub": subject,
                                f"{host}:aud": "sts.amazonaws.com",
                            }
                        )
                    },
                }
            )

        self.role = aws.iam.Role(
            name, assume_role_policy=trust, tags=dict(tags), opts=pulumi.ResourceOptions(parent=self)
        )

        # A managed policy plus an attachment rather than an inline policy: inline policies are what the
        # least-privilege control (IAMNoInlinePolicy) flags.
        self.policy = None
        if document is not None:
            self.policy = aws.iam.Policy(
                f"{name}-access",
                description=f"Read-only access for {spec.namespace}/{spec.service_account}",
                policy=pulumi.Output.json_dumps(document),
                tags=dict(tags),
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.iam.RolePolicyAttachment(
                f"{name}-access",
                role=self.role.name,
                policy_arn=self.policy.arn,
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.association = None
        if identity == "pod-identity":
            self.association = aws.eks.PodIdentityAssociation(
                f"{name}-association",
                cluster_name=cluster_name,
                namespace=spec.namespace,
                service_account=spec.service_account,
                role_arn=self.role.arn,
                tags=dict(tags),
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.role_arn = self.role.arn
        self.register_outputs({"role_arn": self.role_arn})
