"""The hybrid target: on-prem GPU machines joined to the aws target's EKS cluster as EKS Hybrid Nodes.

The aws target has already created the cluster with the remote networks (stacks/aws.py: EksCluster gives the
control plane its hybrid security group) and its cloud GPU pools (the burst capacity); this adds the VPC's routes
to the site, the hybrid nodes' credentials, their CNI, their pools' node configurations and data placement.
"""

from __future__ import annotations

from typing import Any

import pulumi

from llmops_infra.components.aws.hybrid import HybridGpuPool, HybridNodes
from llmops_infra.components.aws.hybrid_network import HybridRoutes
from llmops_infra.components.k8s.cilium import HybridCilium
from llmops_infra.components.k8s.placement import DataPlacementPolicy
from llmops_infra.components.spec import PlatformSpec
from llmops_infra.stacks.deployed import Deployed


def deploy_hybrid(spec: PlatformSpec, deployed: Deployed) -> dict[str, Any]:
    aws, hybrid = deployed.aws, spec.hybrid
    if aws is None or hybrid is None:  # parse_platform requires both; a spec built in code may not
        raise ValueError("the hybrid target needs the aws target (its EKS cluster) and a hybrid section")
    name = f"llmops-{pulumi.get_stack()}"
    on_cluster = pulumi.ResourceOptions(provider=aws.provider)

    nodes = HybridNodes(
        f"{name}-hybrid", hybrid, cluster_name=aws.cluster.cluster_name, tags=aws.tagging.tags("hybrid-nodes")
    )
    HybridRoutes(
        f"{name}-hybrid-network",
        hybrid,
        vpc_id=aws.network.vpc_id,
        subnet_ids=aws.network.private_subnet_ids,
        route_table_ids=aws.network.private_route_table_ids,
        tags=aws.tagging.tags("hybrid-network"),
    )
    HybridCilium(f"{name}-cilium", hybrid, opts=on_cluster)
    # The machines get their pool's labels and taints when they join, from their node configuration.
    pools = [
        HybridGpuPool(pool.name, pool, nodes=nodes, cluster_name=aws.cluster.cluster_name) for pool in hybrid.pools
    ]
    DataPlacementPolicy(name, labels=aws.tagging.tags("data-placement"), opts=on_cluster)
    # What `nodeadm init` needs on each machine: the SSM activation (its code is a secret) or the Roles Anywhere
    # trust anchor and profile.
    credentials = {
        "activationId": nodes.activation_id,
        "activationCode": nodes.activation_code,
        "trustAnchorArn": nodes.trust_anchor_arn,
        "profileArn": nodes.profile_arn,
    }
    return {
        "hybridNodeRoleArn": nodes.role_arn,
        "hybridNodeCredentials": {k: v for k, v in credentials.items() if v is not None},
        "nodePools": [pool.name for pool in hybrid.pools],
        # `nodeadm init -c file://nodeConfig.yaml` on each machine of the pool (secret with SSM: the activation code).
        "hybridNodeConfigs": {p.name: pool.node_config for p, pool in zip(hybrid.pools, pools, strict=True)},
        "capacity": [pool.capacity for pool in pools],
    }
