"""Customer-managed KMS keys, one per purpose, with key policies that let the AWS services using them work.

Every data store in a platform is encrypted with a CMK (encryption-at-rest) that rotates (key-rotation). A key
policy is explicit rather than the KMS default so that the two service principals that cannot rely on IAM
delegation are named with the narrowest condition AWS documents for them:
- CloudWatch Logs encrypts log groups as `logs.<region>.amazonaws.com`, limited to this account's log groups
  through the encryption context;
- EC2 Auto Scaling launches EKS managed nodes as its service-linked role; without a grant to that role, a node
  whose EBS volume uses a CMK fails to launch (Client.InternalError) and the node group never becomes ready.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

MIN_DELETION_WINDOW_DAYS = 7
MAX_DELETION_WINDOW_DAYS = 30

# Actions AWS documents for encrypting a CloudWatch Logs log group with a CMK.
LOGS_ACTIONS = ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*")
# Actions AWS documents for the Auto Scaling service-linked role on a CMK that encrypts EBS volumes.
AUTOSCALING_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
)
AUTOSCALING_SERVICE = "autoscaling.amazonaws.com"
AUTOSCALING_SLR_PATH = f"role/aws-service-role/{AUTOSCALING_SERVICE}/AWSServiceRoleForAutoScaling"

_DESCRIPTIONS = {
    "storage": "encrypts data at rest: S3 buckets, EBS volumes of GPU nodes",
    "cluster": "encrypts Kubernetes secrets in the EKS control plane",
    "logs": "encrypts CloudWatch log groups (VPC flow logs, EKS control-plane logs)",
}


@dataclass(frozen=True)
class KeySpec:
    """Which keys KmsKeys creates, how they are tagged, and how long a deleted one can still be recovered."""

    tags: Mapping[str, str] = field(metadata={"description": "Tags on every key (aliases carry no tags)."})
    purposes: tuple[str, ...] = field(
        default=("storage", "cluster", "logs"),
        metadata={
            "description": "One key per purpose, none repeated, at least one; default storage, cluster, logs. "
            "`logs` lets CloudWatch Logs of the account and region use the key; `storage` lets the EC2 Auto "
            "Scaling service-linked role use it for node volumes; any other purpose gets the root statement only."
        },
    )
    deletion_window_days: int = field(
        default=30,
        metadata={
            "description": "Days a key scheduled for deletion waits before it is deleted (and can still be "
            "restored): 7 to 30, default 30."
        },
    )
    create_autoscaling_role: bool = field(
        default=False,
        metadata={
            "description": "With a `storage` purpose: create the EC2 Auto Scaling service-linked role its key "
            "policy names, before the key (KMS refuses a policy naming a role that does not exist). For an account "
            "that has never used EC2 Auto Scaling; False (default): the role exists already, and IAM refuses to "
            "create it twice."
        },
    )


def key_policy(purpose: str, *, partition: str, account: str, region: str, dns_suffix: str) -> dict[str, Any]:
    """The key policy document for one purpose (a plain function, so it can be read and tested on its own)."""
    root = f"arn:{partition}:iam::{account}:root"
    statements: list[dict[str, Any]] = [
        {
            # Without the account root, a key policy can lock every administrator out of the key for good.
            "Sid": "AccountRootAdministersKey",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if purpose == "logs":
        log_groups = f"arn:{partition}:logs:{region}:{account}:log-group:*"
        statements.append(
            {
                "Sid": "CloudWatchLogsEncryptsThisAccountsLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.{dns_suffix}"},
                "Action": list(LOGS_ACTIONS),
                "Resource": "*",
                "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
            }
        )
    if purpose == "storage":
        slr = f"arn:{partition}:iam::{account}:{AUTOSCALING_SLR_PATH}"
        statements += [
            {
                "Sid": "AutoScalingUsesKeyForNodeVolumes",
                "Effect": "Allow",
                "Principal": {"AWS": slr},
                "Action": list(AUTOSCALING_ACTIONS),
                "Resource": "*",
            },
            {
                "Sid": "AutoScalingGrantsOnlyToAwsResources",
                "Effect": "Allow",
                "Principal": {"AWS": slr},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": True}},
            },
        ]
    return {"Version": "2012-10-17", "Statement": statements}


def _policy_json(purpose: str, args: list[str]) -> str:
    partition, account, region, dns_suffix = args
    return json.dumps(key_policy(purpose, partition=partition, account=account, region=region, dns_suffix=dns_suffix))


class KmsKeys(pulumi.ComponentResource):
    """A rotating customer-managed KMS key and alias per purpose, with a key policy for the services that use it.

    One key and one alias `alias/<name>-<purpose>` per purpose of the spec. The key policy is explicit rather than
    the KMS default: the account root administers the key (so it can never be locked out), and the two service
    principals that cannot rely on IAM delegation get the narrowest grant AWS documents: CloudWatch Logs for the
    `logs` key, the EC2 Auto Scaling service-linked role (which launches EKS nodes with encrypted volumes) for the
    `storage` key. Other components take a key by `arn(purpose)`.

    Args:
        name: Component name; keys are named `<name>-<purpose>`, aliases `alias/<name>-<purpose>`.
        spec: KeySpec: the purposes, the keys' tags and their deletion window. A window outside 7 to 30 days, an
            empty or a repeating purpose list raises ValueError before anything is registered.
        opts: Resource options; the provider decides the account and region of the keys and their policies.

    Outputs:
        keys: The `aws.kms.Key` of each purpose.
        arns: The key ARN of each purpose (registered output `arns`); `arn(purpose)` returns one, or raises
            KeyError naming the purposes there are.

    Security:
        - Encryption at rest: customer-managed keys, one per purpose, with automatic key rotation on.
        - Least privilege: no wildcard principal in any key policy; CloudWatch Logs may use the logs key only for
          log groups of this account and region (encryption-context condition), and the Auto Scaling role may
          create grants only for AWS resources (kms:GrantIsForAWSResource).
        - Recoverability: a deleted key waits `deletion_window_days` (default 30) and can be restored until then.

    With `create_autoscaling_role` it also creates the `AWSServiceRoleForAutoScaling` service-linked role the
    storage key's policy names (for an account that has never used EC2 Auto Scaling).
    """

    keys: dict[str, aws.kms.Key]
    arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, spec: KeySpec, opts: pulumi.ResourceOptions | None = None) -> None:
        if not MIN_DELETION_WINDOW_DAYS <= spec.deletion_window_days <= MAX_DELETION_WINDOW_DAYS:
            raise ValueError(
                f"KmsKeys {name!r}: deletion_window_days={spec.deletion_window_days} is outside KMS's range; "
                f"use {MIN_DELETION_WINDOW_DAYS} to {MAX_DELETION_WINDOW_DAYS} days"
            )
        if not spec.purposes:
            raise ValueError(f"KmsKeys {name!r}: purposes is empty; name at least one (storage, cluster, logs)")
        if len(set(spec.purposes)) != len(spec.purposes):
            raise ValueError(f"KmsKeys {name!r}: purposes {spec.purposes} repeat a purpose; each key is one purpose")
        super().__init__("llmops:aws:KmsKeys", name, None, opts)

        # Invokes parented to the component resolve with the component's provider (its account and region).
        invoke_opts = pulumi.InvokeOptions(parent=self)
        partition = aws.get_partition_output(opts=invoke_opts)
        account = aws.get_caller_identity_output(opts=invoke_opts).account_id
        region = aws.get_region_output(opts=invoke_opts).region

        # The storage key's policy names the Auto Scaling service-linked role; a new account has none until its
        # first Auto Scaling group, so the key waits for the role when this component creates it.
        autoscaling_role: list[pulumi.Resource] = []
        if spec.create_autoscaling_role and "storage" in spec.purposes:
            autoscaling_role.append(
                aws.iam.ServiceLinkedRole(
                    f"{name}-autoscaling",
                    aws_service_name=AUTOSCALING_SERVICE,
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )

        self.keys = {}
        self.arns = {}
        for purpose in spec.purposes:
            policy = pulumi.Output.all(partition.partition, account, region, partition.dns_suffix).apply(
                functools.partial(_policy_json, purpose)
            )
            key = aws.kms.Key(
                f"{name}-{purpose}",
                description=f"{name} {purpose}: {_DESCRIPTIONS.get(purpose, purpose)}",
                enable_key_rotation=True,
                deletion_window_in_days=spec.deletion_window_days,
                policy=policy,
                tags=dict(spec.tags),
                opts=pulumi.ResourceOptions(parent=self, depends_on=autoscaling_role if purpose == "storage" else []),
            )
            aws.kms.Alias(
                f"{name}-{purpose}",
                name=f"alias/{name}-{purpose}",
                target_key_id=key.key_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.keys[purpose] = key
            self.arns[purpose] = key.arn

        self.register_outputs({"arns": self.arns})

    def arn(self, purpose: str) -> pulumi.Output[str]:
        """The ARN of the key for `purpose`; KeyError naming the purposes there are when it has none."""
        try:
            return self.arns[purpose]
        except KeyError:
            raise KeyError(
                f"no KMS key for purpose {purpose!r}; this KmsKeys has {', '.join(sorted(self.arns))}"
            ) from None
