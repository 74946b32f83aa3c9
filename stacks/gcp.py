"""The GCP target: Cloud KMS keys, a private VPC, CMEK buckets, a private GKE cluster and its GPU and TPU pools."""

from __future__ import annotations

from typing import Any

import pulumi

from llmops_infra.components.catalog.gcp import kms_location
from llmops_infra.components.gcp.bucket import AccessLogBucket, EncryptedBucket
from llmops_infra.components.gcp.gke import GkeCluster
from llmops_infra.components.gcp.iam import WorkloadAccess, WorkloadServiceAccount
from llmops_infra.components.gcp.kms import CloudKmsKeys, CloudKmsKeySpec
from llmops_infra.components.gcp.network import PrivateNetwork
from llmops_infra.components.gcp.nodepool import GpuNodePool, TpuNodePool
from llmops_infra.components.spec import PlatformSpec
from llmops_infra.components.tagging import Tagging
from llmops_infra.stacks.deployed import Deployed
from llmops_infra.stacks.kubernetes import apply_baseline, cluster_provider

# The namespace and Kubernetes service account whose pods may read model artifacts (the inference servers).
MODEL_READER = ("inference", "model-reader")


def deploy_gcp(spec: PlatformSpec, deployed: Deployed) -> dict[str, Any]:
    gcp = spec.gcp_or_default
    region = spec.cloud_region
    tagging = Tagging(spec.owner, spec.data_classification, spec.tags)
    cluster_name = f"llmops-{pulumi.get_stack()}"

    # A CMEK key must sit in the location of the data it encrypts, so a bucket in a dual- or multi-region gets
    # keys there; the cluster and the regional buckets use the region's. Cloud KMS never deletes a key ring, so
    # the names carry the stack and two stacks of one project never collide.
    def key_location(bucket_location: str | None = None) -> str:
        return kms_location(bucket_location or region)

    keys = {
        location: CloudKmsKeys(
            cluster_name if location == key_location() else f"{cluster_name}-{location}",
            CloudKmsKeySpec(location=location, labels=tagging.tags("encryption")),
        )
        for location in sorted({key_location(), *(key_location(b.location) for b in spec.buckets)})
    }
    regional_keys = keys[key_location()]

    network = PrivateNetwork(cluster_name, gcp.network, region=region)

    access_logs = AccessLogBucket(
        "access-logs",
        location=region,
        kms_key_id=regional_keys.key_id("storage"),
        labels=tagging.tags("access-logs", "internal"),
        retention_days=spec.log_retention_days,
    )
    buckets = {
        b.name: EncryptedBucket(
            b.name,
            b,
            location=b.location or region,
            kms_key_id=keys[key_location(b.location)].key_id("storage"),
            log_bucket=access_logs.bucket_name,
            labels=tagging.tags(b.purpose, spec.classification_of(b)),
        )
        for b in spec.buckets
    }

    cluster = GkeCluster(
        cluster_name,
        gcp.cluster,
        region=region,
        network=network.network_id,
        subnetwork=network.subnet_id,
        pods_range_name=network.pods_range_name,
        services_range_name=network.services_range_name,
        database_key_id=regional_keys.key_id("cluster"),
        boot_disk_key_id=regional_keys.key_id("storage"),
        labels=tagging.tags("kubernetes"),
    )
    apply_baseline(cluster_name, spec, "gke", cluster_provider(cluster_name, cluster.kubeconfig))
    pools: list[GpuNodePool | TpuNodePool] = [
        GpuNodePool(pool.name, pool, cluster=cluster.pool_cluster, labels=tagging.tags(f"accelerators-{pool.role}"))
        for pool in gcp.gpu_pools
    ]
    pools += [
        TpuNodePool(pool.name, pool, cluster=cluster.pool_cluster, labels=tagging.tags(f"accelerators-{pool.role}"))
        for pool in gcp.tpu_pools
    ]

    model_buckets = [buckets[b.name].bucket_name for b in spec.buckets if b.purpose == "model-artifacts"]
    readers = {}
    if model_buckets:
        namespace, service_account = MODEL_READER
        readers[f"{namespace}/{service_account}"] = WorkloadServiceAccount(
            f"{cluster_name}-model-reader",
            WorkloadAccess(namespace, service_account, read_buckets=model_buckets),
            workload_pool=cluster.workload_pool,
        ).email

    return {
        "clusterName": cluster.cluster_name,
        "kubeconfig": cluster.kubeconfig,
        "network": network.network_name,
        "buckets": {name: b.bucket_name for name, b in buckets.items()},
        "accessLogBucket": access_logs.bucket_name,
        "nodePools": [pool.name for pool in (*gcp.gpu_pools, *gcp.tpu_pools)],
        "capacity": [p.capacity for p in pools],
        "workloadServiceAccounts": readers,
    }
