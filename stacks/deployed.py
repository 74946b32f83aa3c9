"""What one target leaves for the targets deployed after it."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from llmops_infra.components.aws.eks import EksCluster
from llmops_infra.components.aws.iam import NodeRole
from llmops_infra.components.aws.kms import KmsKeys
from llmops_infra.components.aws.network import IsolatedVpc
from llmops_infra.components.tagging import Tagging


@dataclass
class AwsPlatform:
    """The aws target's cluster and what a node group joining it needs."""

    cluster: EksCluster
    provider: k8s.Provider  # the cluster's Kubernetes API
    network: IsolatedVpc
    keys: KmsKeys
    node_role: NodeRole
    tagging: Tagging
    model_bucket_arns: list[pulumi.Output[str]]
    bucket_names: dict[str, pulumi.Output[str]]  # logical name (config) -> physical name


@dataclass
class Deployed:
    aws: AwsPlatform | None = None
