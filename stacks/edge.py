"""The edge target: inference sites on K3s clusters and in AWS Local Zones next to the aws target's EKS cluster."""

from __future__ import annotations

from typing import Any

import pulumi

from llmops_infra.components.aws.iam import WorkloadAccess, WorkloadRole
from llmops_infra.components.aws.local_zone import LocalZoneGpuNodes
from llmops_infra.components.k8s.edge import SERVICE_ACCOUNT, EdgeInferenceSite, namespace_name
from llmops_infra.components.spec import EdgeSiteSpec, PlatformSpec
from llmops_infra.components.tagging import Tagging
from llmops_infra.stacks.deployed import AwsPlatform, Deployed
from llmops_infra.stacks.kubernetes import apply_baseline, cluster_provider, secret_kubeconfig

# The service account annotation IAM roles for service accounts reads (EKS user guide, "IAM roles for service
# accounts": eks.amazonaws.com/role-arn).
IRSA_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"


def deploy_edge(spec: PlatformSpec, deployed: Deployed) -> dict[str, Any]:
    if spec.edge is None:  # parse_platform requires it; a spec built in code may not
        raise ValueError("the edge target needs an edge section")
    tagging = Tagging(spec.owner, spec.data_classification, spec.tags)
    capacity = []
    for site in spec.edge.sites:
        if site.kind == "k3s":
            _k3s_site(spec, site, tagging)
        else:
            if deployed.aws is None:
                raise ValueError(f"edge site {site.name}: a local-zone site needs the aws target's EKS cluster")
            capacity.append(_local_zone_site(spec, site, deployed.aws).capacity)
    return {"edgeSites": [site.name for site in spec.edge.sites], "capacity": capacity}


def _k3s_site(spec: PlatformSpec, site: EdgeSiteSpec, tagging: Tagging) -> EdgeInferenceSite:
    assert site.kubeconfig_key is not None  # parse_platform: k3s sites name their kubeconfig
    name = f"edge-{site.name}"
    provider = cluster_provider(name, secret_kubeconfig(site.kubeconfig_key))
    # Each K3s site is a cluster of its own: it gets the baseline (the device plugin, tenancy, RBAC) too.
    apply_baseline(name, spec, "k3s", provider)
    return EdgeInferenceSite(site.name, site, tagging=tagging, opts=pulumi.ResourceOptions(provider=provider))


def _physical_uri(model_uri: str | None, aws: AwsPlatform) -> pulumi.Output[str] | None:
    """`s3://<bucket>/<prefix>` with the platform bucket's logical name (as in the config) made its physical one."""
    if model_uri is None:
        return None
    bucket, _, prefix = model_uri.removeprefix("s3://").partition("/")
    return aws.bucket_names[bucket].apply(lambda physical: f"s3://{physical}/{prefix}")


def _local_zone_site(spec: PlatformSpec, site: EdgeSiteSpec, aws: AwsPlatform) -> LocalZoneGpuNodes:
    nodes = LocalZoneGpuNodes(
        site.name,
        site,
        cluster_name=aws.cluster.cluster_name,
        node_role_arn=aws.node_role.role_arn,
        vpc_id=aws.network.vpc_id,
        route_table_id=aws.network.private_route_table_ids[0],
        storage_key_arn=aws.keys.arn("storage"),
        cluster_security_group_id=aws.cluster.cluster_security_group_id,
        tags=aws.tagging.tags("edge-inference"),
    )
    annotations: dict[str, pulumi.Input[str]] | None = None
    if site.server.model_uri is not None:
        # The server's service account reads the platform's model buckets, nothing else.
        reader = WorkloadRole(
            f"edge-{site.name}-model-reader",
            WorkloadAccess(
                namespace_name(site),
                SERVICE_ACCOUNT,
                read_bucket_arns=aws.model_bucket_arns,
                decrypt_key_arns=[aws.keys.arn("storage")],
            ),
            cluster_name=aws.cluster.cluster_name,
            identity=spec.aws_or_default.cluster.workload_identity,
            oidc_provider_arn=aws.cluster.oidc_provider_arn,
            oidc_issuer_url=aws.cluster.oidc_issuer_url,
            tags=aws.tagging.tags("workload-identity"),
        )
        # IRSA finds the role through this annotation; EKS Pod Identity binds by namespace and name alone.
        if spec.aws_or_default.cluster.workload_identity == "irsa":
            annotations = {IRSA_ROLE_ANNOTATION: reader.role_arn}
    EdgeInferenceSite(
        site.name,
        site,
        tagging=aws.tagging,
        service_account_annotations=annotations,
        downloader_image=site.server.downloader_image,
        model_source=_physical_uri(site.server.model_uri, aws),
        opts=pulumi.ResourceOptions(provider=aws.provider, depends_on=[nodes]),
    )
    return nodes
