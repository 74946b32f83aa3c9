"""The AWS target: keys, an isolated VPC, encrypted buckets, a private EKS cluster and its accelerator pools."""

from __future__ import annotations

from typing import Any

import pulumi

from llmops_infra.components.aws.bucket import AccessLogBucket, EncryptedBucket
from llmops_infra.components.aws.eks import EksCluster, RemoteNetwork
from llmops_infra.components.aws.iam import NodeRole, WorkloadAccess, WorkloadRole
from llmops_infra.components.aws.kms import KeySpec, KmsKeys
from llmops_infra.components.aws.network import FlowLogSettings, IsolatedVpc
from llmops_infra.components.aws.nodepool import GpuNodePool
from llmops_infra.components.catalog import aws as catalog
from llmops_infra.components.k8s.device_plugins import AcceleratorDevicePlugins
from llmops_infra.components.k8s.gpu_software import EKS_NVIDIA_AMI, NodeImage, eks_node_image, own_os_image
from llmops_infra.components.spec import PlatformSpec
from llmops_infra.components.tagging import Tagging
from llmops_infra.stacks.deployed import AwsPlatform, Deployed
from llmops_infra.stacks.kubernetes import apply_baseline, cluster_provider

# The namespace and service account whose pods may read model artifacts (the inference servers).
MODEL_READER = WorkloadAccess(namespace="inference", service_account="model-reader")


def _remote_network(spec: PlatformSpec) -> RemoteNetwork | None:
    """The on-prem networks of EKS Hybrid Nodes, when the platform has the hybrid target."""
    if "hybrid" not in spec.targets or spec.hybrid is None:
        return None
    return RemoteNetwork(
        node_cidrs=tuple(str(c) for c in spec.hybrid.remote_node_cidrs),
        pod_cidrs=tuple(str(c) for c in spec.hybrid.remote_pod_cidrs),
    )


def _gpu_images(spec: PlatformSpec) -> list[NodeImage]:
    """What the EKS cluster's NVIDIA nodes run: each node group's AMI, the edge Local Zone sites' (the NVIDIA
    default AMI), and the hybrid machines' own OS, with or without the driver as the hybrid section says."""
    images: list[NodeImage] = []
    for pool in spec.aws_or_default.accelerator_pools:
        it = catalog.lookup(pool.instance_type)
        image = eks_node_image(catalog.AMI_TYPES[pool.ami_type or it.default_ami]) if it is not None else None
        if image is not None:
            images.append(image)
    if "edge" in spec.targets and spec.edge is not None and any(s.kind == "local-zone" for s in spec.edge.sites):
        images.append(EKS_NVIDIA_AMI)
    if "hybrid" in spec.targets and spec.hybrid is not None and spec.hybrid.pools:
        images.append(own_os_image(spec.hybrid.hosts_have_nvidia_driver))
    return images


def deploy_aws(spec: PlatformSpec, deployed: Deployed) -> dict[str, Any]:
    aws_spec = spec.aws_or_default
    tagging = Tagging(spec.owner, spec.data_classification, spec.tags)
    cluster_name = f"llmops-{pulumi.get_stack()}"

    keys = KmsKeys(
        "platform",
        KeySpec(tags=tagging.tags("encryption"), create_autoscaling_role=aws_spec.create_autoscaling_role),
    )
    network = IsolatedVpc(
        "platform",
        aws_spec.network,
        flow_logs=FlowLogSettings(logs_key_arn=keys.arn("logs"), retention_days=spec.log_retention_days),
        tags=tagging.tags("network"),
    )

    access_logs = AccessLogBucket(
        "access-logs", tags=tagging.tags("access-logs", "internal"), retention_days=spec.log_retention_days
    )
    buckets = {
        b.name: EncryptedBucket(
            b.name,
            b,
            kms_key_arn=keys.arn("storage"),
            log_bucket=access_logs.bucket_name,
            tags=tagging.tags(b.purpose, spec.classification_of(b)),
        )
        for b in spec.buckets
    }

    node_role = NodeRole(f"{cluster_name}-nodes", tags=tagging.tags("kubernetes-nodes"))
    cluster = EksCluster(
        cluster_name,
        aws_spec.cluster,
        vpc_id=network.vpc_id,
        subnet_ids=network.private_subnet_ids,
        secrets_key_arn=keys.arn("cluster"),
        logs_key_arn=keys.arn("logs"),
        log_retention_days=spec.log_retention_days,
        node_role_arn=node_role.role_arn,
        storage_key_arn=keys.arn("storage"),
        tags=tagging.tags("kubernetes"),
        remote_network=_remote_network(spec),
    )
    provider = cluster_provider(cluster_name, cluster.kubeconfig)
    apply_baseline(cluster_name, spec, "eks", provider, gpu_images=_gpu_images(spec))
    # EFA and Neuron pools need their device plugins; NVIDIA's comes with the baseline.
    AcceleratorDevicePlugins(cluster_name, aws_spec.accelerator_pools, opts=pulumi.ResourceOptions(provider=provider))
    pools = [
        GpuNodePool(
            pool.name,
            pool,
            cluster_name=cluster.cluster_name,
            cluster_version=aws_spec.cluster.version,
            node_role_arn=node_role.role_arn,
            vpc_id=network.vpc_id,
            subnet_ids=network.private_subnet_ids,
            storage_key_arn=keys.arn("storage"),
            cluster_security_group_id=cluster.cluster_security_group_id,
            tags=tagging.tags(f"accelerators-{pool.role}"),
        )
        for pool in aws_spec.accelerator_pools
    ]

    model_buckets = [b for b in spec.buckets if b.purpose == "model-artifacts"]
    deployed.aws = AwsPlatform(
        cluster=cluster,
        provider=provider,
        network=network,
        keys=keys,
        node_role=node_role,
        tagging=tagging,
        model_bucket_arns=[buckets[b.name].arn for b in model_buckets],
        bucket_names={name: b.bucket_name for name, b in buckets.items()},
    )
    if model_buckets:
        WorkloadRole(
            f"{cluster_name}-model-reader",
            WorkloadAccess(
                MODEL_READER.namespace,
                MODEL_READER.service_account,
                read_bucket_arns=[buckets[b.name].arn for b in model_buckets],
                decrypt_key_arns=[keys.arn("storage")],
            ),
            cluster_name=cluster.cluster_name,
            identity=aws_spec.cluster.workload_identity,
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_issuer_url=cluster.oidc_issuer_url,
            tags=tagging.tags("workload-identity"),
        )

    return {
        "clusterName": cluster.cluster_name,
        "kubeconfig": cluster.kubeconfig,
        "vpcId": network.vpc_id,
        "buckets": {name: b.bucket_name for name, b in buckets.items()},
        "accessLogBucket": access_logs.bucket_name,
        "nodePools": [pool.name for pool in aws_spec.accelerator_pools],
        "capacity": [p.capacity for p in pools],
    }
