"""The edge section (`edge:`, K3s sites and EKS Local Zone sites with their model servers) and its checks, before
any resource exists.

Where a rule comes from: docs/accelerators.md (EKS in Local Zones supports managed node groups; the control plane
stays in the parent region, so the zone must belong to the platform region); a K3s site has no cloud workload
identity, so it cannot fetch a model from the bucket and mounts a pre-provisioned claim instead. `check_site` is
what every site must be on its own: the edge components run it too.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from llmops_infra.components.catalog import aws
from llmops_infra.components.config.base import (
    ConfigKey,
    DnsLabel,
    KubernetesName,
    Model,
    PinnedImage,
    Problem,
)

if TYPE_CHECKING:
    from llmops_infra.components.config.platform import PlatformSpec


EdgeSiteKind = Literal["k3s", "local-zone"]

# The server image a site runs unless it names its own: the vLLM v0.11.0 release, its linux/amd64 image.
# - Verified (public records; Docker Hub itself is out of reach here): "The linux/amd64 digest below is the v0.11.0
#   image built on CUDA 12.8.1" above `FROM vllm/vllm-openai@sha256:d8d39b59...` (github.com/JonathanRosado/
#   weinfer-pod, Dockerfile). Docker Hub's page of that image under the tag is
#   https://hub.docker.com/layers/vllm/vllm-openai/v0.11.0/images/sha256-d8d39b59e909d2378ac4feeb191f7e7b6f1342477dc66b7c47cec89e9985ad8a
#   (linked from public notes, not opened from here).
# - Not the tag's index: public records pin `vllm/vllm-openai:v0.11.0@sha256:014a95f21c9e...` (what a pull by tag
#   records), but none found says it is an index or which platforms it lists, so it is not used.
# - Hence x86_64 nodes only: the g5 and g6 Local Zone types are x86_64 (components/catalog/aws.py); a K3s site on
#   arm64 nodes must name an arm64 or multi-arch digest in `server.image`.
# - The tag stays beside the digest for readers; the container runtime pulls by the digest alone.
DEFAULT_SERVER_IMAGE = (
    "docker.io/vllm/vllm-openai:v0.11.0@sha256:d8d39b59e909d2378ac4feeb191f7e7b6f1342477dc66b7c47cec89e9985ad8a"
)
# The one architecture that digest runs on, as the well-known node label `kubernetes.io/arch` names it (set by the
# kubelet from the Go runtime's GOARCH): pods of the default image select such nodes, so an arm64 node leaves them
# Pending with a clear reason instead of crash-looping on an exec format error.
DEFAULT_SERVER_IMAGE_ARCH = "amd64"
# The server's CPU and memory per replica unless the site says otherwise: vLLM's own Kubernetes guide requests 2
# CPUs and 6G and limits 10 CPUs and 20G for a 7B model on one GPU (github.com/vllm-project/vllm
# docs/deployment/k8s.md, "Deployment with GPUs"); here in GiB, the unit of every memory setting of this config.
DEFAULT_SERVER_CPU = 2
DEFAULT_SERVER_CPU_LIMIT = 10
DEFAULT_SERVER_MEMORY_GIB = 6
DEFAULT_SERVER_MEMORY_LIMIT_GIB = 20


class InferenceServerSpec(Model):
    """The model server an edge site runs: one Deployment and Service in namespace `edge-<site>`."""

    image: PinnedImage = Field(
        default=DEFAULT_SERVER_IMAGE,
        description="The server's container image, pinned by digest (`<repository>[:tag]@sha256:<64 hex>`). "
        "Default: vLLM v0.11.0, its linux/amd64 image (`vllm/vllm-openai:v0.11.0@sha256:d8d39b59...`), for x86_64 "
        "nodes; arm64 nodes need an arm64 or multi-arch digest.",
    )
    port: int = Field(
        default=8000,
        ge=1024,
        le=65535,
        description="The server's TCP port (container and Service, named http), 1024 to 65535 (default 8000); "
        "the only port the NetworkPolicy opens to the declared clients.",
    )
    gpus: int = Field(
        default=1,
        ge=1,
        le=16,
        description="GPUs per replica (its `nvidia.com/gpu` limit), 1 to 16 (default 1); at most what one node has.",
    )
    replicas: int = Field(
        default=1,
        ge=1,
        le=100,
        description="Server replicas, 1 to 100 (default 1); more than one adds a PodDisruptionBudget with "
        "maxUnavailable 1.",
    )
    cpu: int = Field(
        default=DEFAULT_SERVER_CPU,
        ge=1,
        le=100000,
        description="CPU cores each replica requests, 1 to 100000 (default 2); at most cpuLimit.",
    )
    cpu_limit: int = Field(
        default=DEFAULT_SERVER_CPU_LIMIT,
        ge=1,
        le=100000,
        description="CPU cores each replica may use, 1 to 100000 (default 10); at least cpu.",
    )
    memory_gib: int = Field(
        default=DEFAULT_SERVER_MEMORY_GIB,
        ge=1,
        le=1000000,
        description="Memory in GiB each replica requests, 1 to 1000000 (default 6); at most memoryLimitGib.",
    )
    memory_limit_gib: int = Field(
        default=DEFAULT_SERVER_MEMORY_LIMIT_GIB,
        ge=2,
        le=1000000,
        description="Memory in GiB each replica may use, 2 (the model fetcher's own limit) to 1000000 (default "
        "20); at least memoryGib.",
    )
    args: tuple[str, ...] = Field(default=(), description="Arguments of the server container; none by default.")
    model_uri: str | None = Field(
        default=None,
        pattern=r"^(s3|gs)://[a-z0-9][a-z0-9.-]+(/.*)?$",
        description="The model prefix an init container copies into /models with the site's workload identity "
        "(`s3://` or `gs://`). In a config: local-zone sites only, `s3://<bucket>/<prefix>` with `<bucket>` the "
        "config name of one of the platform's model-artifacts buckets. Exactly one of modelUri and modelClaim.",
    )
    model_claim: DnsLabel | None = Field(
        default=None,
        description="A pre-provisioned PersistentVolumeClaim in namespace `edge-<site>`, mounted read-only at "
        "/models. Exactly one of modelUri and modelClaim.",
    )
    downloader_image: PinnedImage | None = Field(
        default=None,
        description="With modelUri (required there, unless the component's `downloader_image` argument is "
        "given): the digest-pinned image with the cloud's CLI (aws for s3://, gcloud for gs://) that fetches it.",
    )
    health_path: str = Field(
        default="/health",
        pattern=r"^/[\x21-\x7e]*$",
        description="HTTP path of the startup, readiness and liveness probes (default /health).",
    )
    client_cidrs: tuple[ipaddress.IPv4Network, ...] = Field(
        default=(),
        description="IPv4 ranges outside the cluster admitted to the server port. With no clientCidrs and no "
        "clientNamespaces (the default) nothing reaches the server.",
    )
    client_namespaces: tuple[DnsLabel, ...] = Field(
        default=(),
        description="Namespaces inside the cluster whose pods are admitted to the server port; none by default.",
    )


class EdgeSiteSpec(Model):
    """One edge inference site: a K3s cluster (`k3s`) or an EKS node group in an AWS Local Zone (`local-zone`)."""

    name: DnsLabel = Field(
        description="Site name, unique: the namespace `edge-<name>` and the site's pool label (a DNS label of 1 "
        "to 32 lowercase letters, digits and `-`).",
    )
    kind: EdgeSiteKind = Field(
        description="`k3s`: an existing K3s cluster at the site; `local-zone`: a GPU node group of the aws "
        "target's EKS cluster in an AWS Local Zone; required.",
    )
    kubeconfig_key: ConfigKey | None = Field(
        default=None,
        description="k3s only, required there: the secret config key (`<namespace>:<key>`) with the site's kubeconfig.",
    )
    nodes: tuple[KubernetesName, ...] = Field(
        default=(),
        description="k3s only, required there: the site's GPU nodes, labelled and tainted as the site's pool.",
    )
    accelerator: str = Field(
        default="nvidia-l4",
        min_length=1,
        max_length=63,
        description="k3s: the nodes' accelerator as a label value (default nvidia-l4); local-zone sites take it "
        "from the catalog.",
    )
    accelerators_per_node: int = Field(
        default=1,
        ge=1,
        le=16,
        description="k3s: GPUs per node, 1 to 16 (default 1); the server's `gpus` may not exceed it.",
    )
    local_zone: str | None = Field(
        default=None,
        pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]+-[a-z0-9-]+$",
        description="local-zone only, required there: the Local Zone (e.g. us-east-1-bos-1a), one of the platform "
        "region's.",
    )
    instance_type: str | None = Field(
        default=None,
        description="local-zone only, required there: an NVIDIA GPU instance type of the catalog.",
    )
    subnet_cidr: ipaddress.IPv4Network | None = Field(
        default=None,
        description="local-zone only, required there: the site's private subnet in the zone, inside "
        "`network.cidr` and overlapping no other site's.",
    )
    max_nodes: int = Field(
        default=1,
        ge=1,
        le=100,
        description="local-zone: the node group's maximum size, 1 to 100 (default 1); it always keeps one node.",
    )
    server: InferenceServerSpec = Field(description="The site's model server; required.")


class EdgeSpec(Model):
    """The edge target: its inference sites."""

    sites: tuple[EdgeSiteSpec, ...] = Field(min_length=1, description="The edge sites, at least one.")


# ---- checks --------------------------------------------------------------------------------------------------


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
    # Kubernetes refuses a container whose request exceeds its limit.
    for request, limit, key, limit_key in (
        (server.cpu, server.cpu_limit, "cpu", "cpuLimit"),
        (server.memory_gib, server.memory_limit_gib, "memoryGib", "memoryLimitGib"),
    ):
        if request > limit:
            problems.append(
                Problem(
                    (*at, "server", key),
                    request,
                    f"more than {limit_key} ({limit}); request at most the limit, or raise {limit_key}",
                )
            )
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
