"""Config checks of the edge section (K3s sites and EKS Local Zone sites), before any resource exists.

Where a rule comes from: docs/accelerators.md (EKS in Local Zones supports managed node groups; the control plane
stays in the parent region, so the zone must belong to the platform region); a K3s site has no cloud workload
identity, so it cannot fetch a model from the bucket and mounts a pre-provisioned claim instead. `check_site` is
what every site must be on its own: the edge components run it too.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from llmops_infra.components.catalog import aws
from llmops_infra.components.spec import EdgeSiteSpec, PlatformSpec, Problem


def check_edge(spec: PlatformSpec) -> list[Problem]:
    return list(_edge(spec)) if spec.edge is not None else []


def _edge(spec: PlatformSpec) -> Iterator[Problem]:
    assert spec.edge is not None
    names: set[str] = set()
    subnets: list[tuple[ipaddress.IPv4Network, int]] = []
    model_buckets = [b.name for b in spec.buckets if b.purpose == "model-artifacts"]
    for i, site in enumerate(spec.edge.sites):
        at = ("edge", "sites", i)
        if site.name in names:
            yield Problem((*at, "name"), site.name, "another site already has this name; site names must be unique")
        names.add(site.name)
        yield from check_site(site, at)
        if site.kind == "k3s":
            yield from _k3s_site(site, at)
        else:
            yield from _local_zone_site(spec, site, at, subnets)
        yield from _server(site, at, model_buckets)


def check_site(site: EdgeSiteSpec, at: tuple = ()) -> list[Problem]:
    """What every edge site must be, platform or not: the config runs it, and so do the edge components."""
    problems: list[Problem] = []
    server = site.server
    if (server.model_uri is None) == (server.model_claim is None):
        problems.append(
            Problem(
                (*at, "server"),
                {"modelUri": server.model_uri, "modelClaim": server.model_claim},
                "set exactly one of modelUri (fetched from the model bucket) and modelClaim (a pre-provisioned volume)",
            )
        )
    if site.kind == "k3s" and not site.nodes:
        problems.append(Problem((*at, "nodes"), [], "list the site's GPU nodes (their Kubernetes node names)"))
    if site.kind == "local-zone":
        problems += _local_zone_shape(site, at)
    return problems


def _local_zone_shape(site: EdgeSiteSpec, at: tuple) -> Iterator[Problem]:
    if site.local_zone is None:
        yield Problem((*at, "localZone"), None, "required key is missing: the Local Zone, e.g. us-east-1-bos-1a")
    if site.instance_type is None:
        yield Problem((*at, "instanceType"), None, "required key is missing: the GPU instance type of the node group")
    else:
        found = aws.lookup(site.instance_type)
        nvidia = sorted(t for t in aws.known_instance_types() if (x := aws.lookup(t)) and x.family.vendor == "nvidia")
        if found is None or found.family.vendor != "nvidia":
            why = "not an instance type in the catalog" if found is None else "has no NVIDIA GPU"
            yield Problem(
                (*at, "instanceType"), site.instance_type, f"{why}; use an NVIDIA GPU type: {', '.join(nvidia)}"
            )
        elif site.server.gpus > found.accelerators:
            yield Problem(
                (*at, "server", "gpus"),
                site.server.gpus,
                f"{site.instance_type} has {found.accelerators} GPUs; request at most that many",
            )
    if site.subnet_cidr is None:
        yield Problem((*at, "subnetCidr"), None, "required key is missing: the zone's subnet, inside the VPC CIDR")


def _k3s_site(site: EdgeSiteSpec, at: tuple) -> Iterator[Problem]:
    if not site.kubeconfig_key:
        yield Problem(
            (*at, "kubeconfigKey"),
            None,
            "required key is missing: a k3s site is reached with the kubeconfig in this secret config key",
        )
    for key, value in (
        ("localZone", site.local_zone),
        ("instanceType", site.instance_type),
        ("subnetCidr", site.subnet_cidr),
    ):
        if value is not None:
            yield Problem((*at, key), str(value), "only for kind local-zone; remove it from a k3s site")


def _local_zone_site(
    spec: PlatformSpec, site: EdgeSiteSpec, at: tuple, subnets: list[tuple[ipaddress.IPv4Network, int]]
) -> Iterator[Problem]:
    if "aws" not in spec.targets:
        yield Problem((*at, "kind"), site.kind, "a local-zone site is a node group of the aws target's EKS cluster; "
                      "add aws to targets")  # fmt: skip
    if site.local_zone is not None and spec.region is not None and not site.local_zone.startswith(spec.region + "-"):
        yield Problem(
            (*at, "localZone"),
            site.local_zone,
            f"not a Local Zone of the platform region {spec.region} (the control plane stays in the parent "
            f"region); use a zone named {spec.region}-...",
        )
    if site.subnet_cidr is not None:
        if not site.subnet_cidr.subnet_of(spec.aws_or_default.network.cidr):
            yield Problem(
                (*at, "subnetCidr"),
                str(site.subnet_cidr),
                f"must be inside the VPC CIDR aws.network.cidr ({spec.aws_or_default.network.cidr})",
            )
        for other, j in subnets:
            if site.subnet_cidr.overlaps(other):
                yield Problem(
                    (*at, "subnetCidr"), str(site.subnet_cidr), f"overlaps edge.sites[{j}].subnetCidr ({other})"
                )
        subnets.append((site.subnet_cidr, at[2]))
    for key, value in (("kubeconfigKey", site.kubeconfig_key), ("nodes", site.nodes)):
        if value:
            yield Problem((*at, key), value, "only for kind k3s; a local-zone site's nodes come from its node group")


def _server(site: EdgeSiteSpec, at: tuple, model_buckets: list[str]) -> Iterator[Problem]:
    server = site.server
    where = (*at, "server")
    if server.model_uri is not None:
        if site.kind == "k3s":
            yield Problem(
                (*where, "modelUri"),
                server.model_uri,
                "a k3s site has no cloud workload identity to read the bucket with; mount the model with modelClaim",
            )
        elif not server.model_uri.startswith("s3://"):
            yield Problem(
                (*where, "modelUri"), server.model_uri, "a local-zone site reads the aws model bucket; use s3://"
            )
        elif server.model_uri.removeprefix("s3://").split("/")[0] not in model_buckets:
            # The site's workload identity may read only the platform's model buckets, by their config names.
            yield Problem(
                (*where, "modelUri"),
                server.model_uri,
                "names no model-artifacts bucket of this platform; use s3://<bucket>/<prefix> with one of: "
                f"{', '.join(model_buckets) or 'none (add a bucket with purpose model-artifacts)'}",
            )
        if server.downloader_image is None:
            yield Problem(
                (*where, "downloaderImage"),
                None,
                "modelUri needs the digest-pinned image with the aws CLI that fetches the model",
            )
    if site.kind == "k3s" and server.gpus > site.accelerators_per_node:
        yield Problem(
            (*where, "gpus"),
            server.gpus,
            f"more than one node has (acceleratorsPerNode {site.accelerators_per_node}); lower it or raise that",
        )
