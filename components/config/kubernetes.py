"""Config-time checks of the kubernetes, onprem, hybrid and edge sections, before any resource exists.

Each check yields Problems whose path is the key under the platform value (("hybrid", "remoteNodeCidrs", 0)) and
whose message says what to change. Where a rule comes from:
- targets and sections: a section configures its target; one without the other is a typo or a half-made change.
- hybrid networks: docs/accelerators.md (EKS Hybrid Nodes: remote node CIDRs RFC 1918, /8 to /32, not
  overlapping the VPC or the service CIDR; optional remote pod CIDRs) and the Amazon EKS User Guide, "Prepare
  networking for hybrid nodes" (node and pod networks must not overlap each other) and "Configure CNI for hybrid
  nodes" (Cilium's clusterPoolIPv4PodCIDRList is the remote pod networks, carved into per-node blocks of
  clusterPoolIPv4MaskSize, /25 here: components/k8s/cilium.py). Pod CIDRs are required because Cilium takes its pool
  from them; without them it would use a pool nothing here checked.
- hybrid credentials: "Prepare credentials for hybrid nodes" (SSM hybrid activations or IAM Roles Anywhere, not
  both; Roles Anywhere needs the CA bundle of a trust anchor).
- storage class encryption: components/k8s/storage.py `encryption_problems` (one row per CSI driver).
- edge: docs/accelerators.md (EKS in Local Zones supports managed node groups; the control plane stays in the parent
  region, so the zone must belong to the platform region); a K3s site has no cloud workload identity, so it cannot
  fetch a model from the bucket and mounts a pre-provisioned claim instead.
- kubernetes: NVIDIA GPU Operator "Time-Slicing GPUs in Kubernetes" shows time-slicing together with MIG (its
  a100-40gb example sets migStrategy mixed and time-slices MIG resources), so time slicing with a MIG strategy is
  NOT refused.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence

from llmops_infra.components.catalog import aws
from llmops_infra.components.catalog.kubernetes import CILIUM_NODE_MASK_SIZE as NODE_MASK_SIZE
from llmops_infra.components.catalog.kubernetes import (
    ENCRYPTION,
    KNOWN_KEY_REFERENCES,
    KNOWN_SWITCHES,
    encryption_row,
    lookup_parameter,
)
from llmops_infra.components.spec import EdgeSiteSpec, HybridSpec, PlatformSpec, Problem, StorageClassSpec

RFC1918 = tuple(ipaddress.IPv4Network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
# Namespaces a team may admit traffic from besides other teams: the privileged system namespaces.
SYSTEM_NAMESPACES = ("kube-system", "gpu-operator")
SECTIONS = ("onprem", "hybrid", "edge")
PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"

Cidrs = Sequence[ipaddress.IPv4Network]


def check_kubernetes(spec: PlatformSpec) -> list[Problem]:
    problems = list(_targets(spec))
    if spec.hybrid is not None:
        problems += _hybrid(spec, spec.hybrid)
    problems += _pools(spec)
    if spec.onprem is not None and spec.onprem.storage_class is not None:
        for message in encryption_problems(spec.onprem.storage_class):
            problems.append(
                Problem(("onprem", "storageClass", "parameters"), dict(spec.onprem.storage_class.parameters), message)
            )
    if spec.edge is not None:
        problems += _edge(spec)
    problems += _teams(spec)
    return problems


# ---- targets and their sections -------------------------------------------------------------------------------


def _targets(spec: PlatformSpec) -> Iterator[Problem]:
    for section in SECTIONS:
        present = getattr(spec, section) is not None
        if section in spec.targets and not present:
            yield Problem(
                (section,),
                None,
                f"required key is missing: target {section} needs a {section} section (see the README)",
            )
        elif present and section not in spec.targets:
            yield Problem(
                (section,),
                "...",
                f"target {section} is not in targets, so this section would be ignored; add {section} to targets "
                "or remove the section",
            )
    if "hybrid" in spec.targets and "aws" not in spec.targets:
        yield Problem(
            ("targets",),
            list(spec.targets),
            "target hybrid joins the EKS cluster of the aws target; add aws to targets",
        )


# ---- hybrid -------------------------------------------------------------------------------------------------


def _not_private(cidr: ipaddress.IPv4Network) -> str | None:
    if not 8 <= cidr.prefixlen <= 32 or not any(cidr.subnet_of(block) for block in RFC1918):
        return "must be a private RFC 1918 range (inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16), /8 to /32"
    return None


def _hybrid(spec: PlatformSpec, hybrid: HybridSpec) -> Iterator[Problem]:
    # Every range the remote networks must stay clear of, with the key that names it.
    fixed = [
        (spec.aws_or_default.network.cidr, "the VPC CIDR aws.network.cidr"),
        (spec.aws_or_default.cluster.service_cidr, "the Kubernetes service CIDR aws.cluster.serviceCidr"),
    ]
    listed: list[tuple[ipaddress.IPv4Network, str]] = []
    for key, cidrs in (("remoteNodeCidrs", hybrid.remote_node_cidrs), ("remotePodCidrs", hybrid.remote_pod_cidrs)):
        for i, cidr in enumerate(cidrs):
            at = ("hybrid", key, i)
            why = _not_private(cidr)
            if why:
                yield Problem(at, str(cidr), why)
            for other, name in fixed + listed:
                if cidr.overlaps(other):
                    yield Problem(at, str(cidr), f"overlaps {name} ({other}); pick a range outside it")
            listed.append((cidr, f"hybrid.{key}[{i}]"))

    if not hybrid.remote_pod_cidrs:
        yield Problem(
            ("hybrid", "remotePodCidrs"),
            [],
            "list the pod ranges of the hybrid nodes: Cilium allocates their pod addresses from them "
            "(clusterPoolIPv4PodCIDRList) and EKS routes webhooks to them",
        )
    for i, cidr in enumerate(hybrid.remote_pod_cidrs):
        if cidr.prefixlen > NODE_MASK_SIZE:
            yield Problem(
                ("hybrid", "remotePodCidrs", i),
                str(cidr),
                f"too small: Cilium gives each node a /{NODE_MASK_SIZE} from it; use a /{NODE_MASK_SIZE} or larger",
            )
    nodes = sum(len(pool.nodes) for pool in hybrid.pools)
    blocks = sum(2 ** (NODE_MASK_SIZE - c.prefixlen) for c in hybrid.remote_pod_cidrs if c.prefixlen <= NODE_MASK_SIZE)
    if hybrid.remote_pod_cidrs and blocks < nodes:
        yield Problem(
            ("hybrid", "remotePodCidrs"),
            [str(c) for c in hybrid.remote_pod_cidrs],
            f"hold {blocks} per-node /{NODE_MASK_SIZE} blocks for {nodes} nodes; add or widen a range",
        )

    if not hybrid.pools:
        yield Problem(
            ("hybrid", "pools"),
            [],
            "list the on-prem machines that join the cluster (at least one pool); the SSM activation and Cilium "
            "are sized from them",
        )
    certificate = hybrid.trust_anchor_certificate
    if hybrid.credentials == "iam-roles-anywhere":
        if not certificate:
            yield Problem(
                ("hybrid", "trustAnchorCertificate"),
                None,
                "required key is missing: credentials iam-roles-anywhere needs the PEM bundle of the CA that "
                "issues the nodes' certificates",
            )
        elif PEM_CERTIFICATE not in certificate:
            yield Problem(
                ("hybrid", "trustAnchorCertificate"),
                certificate[:40] + ("..." if len(certificate) > 40 else ""),
                f"must be a PEM certificate bundle ({PEM_CERTIFICATE} ...)",
            )
    elif certificate:
        yield Problem(
            ("hybrid", "trustAnchorCertificate"),
            "...",
            "only used with credentials iam-roles-anywhere; remove it, or set credentials: iam-roles-anywhere "
            "(SSM hybrid activations and Roles Anywhere must not be combined)",
        )


# ---- pools --------------------------------------------------------------------------------------------------


def _pools(spec: PlatformSpec) -> Iterator[Problem]:
    # Pool names become node labels and resource names of one platform: unique across every kind of pool.
    # aws_rules already reports duplicates inside acceleratorPools, so only names seen in another list count here.
    seen: dict[str, tuple[str, tuple]] = {}
    named: list[tuple[str, tuple, str]] = [
        ("aws.acceleratorPools", ("aws", "acceleratorPools", i), p.name)
        for i, p in enumerate(spec.aws_or_default.accelerator_pools)
    ]
    for section in ("onprem", "hybrid"):
        owner = getattr(spec, section)
        if owner is None:
            continue
        named += [(f"{section}.pools", (section, "pools", i), p.name) for i, p in enumerate(owner.pools)]
        yield from _nodes(owner.pools, section)
    for listing, at, name in named:
        first = seen.get(name)
        if first is not None and (first[0] != listing or listing != "aws.acceleratorPools"):
            yield Problem(
                (*at, "name"),
                name,
                f"pool name already used by {_key(first[1])}; pool names must be unique across aws.acceleratorPools, "
                "onprem.pools and hybrid.pools",
            )
        seen.setdefault(name, (listing, at))


def _nodes(pools: Sequence, section: str) -> Iterator[Problem]:
    owner: dict[str, str] = {}
    for i, pool in enumerate(pools):
        for j, node in enumerate(pool.nodes):
            if node in owner:
                yield Problem(
                    (section, "pools", i, "nodes", j),
                    node,
                    f"node is already in {owner[node]}; a node belongs to one pool (its labels and taint are the "
                    "pool's)",
                )
            else:
                owner[node] = f"{section}.pools[{i}] ({pool.name})"


def _key(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# ---- edge ---------------------------------------------------------------------------------------------------


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


# ---- kubernetes ---------------------------------------------------------------------------------------------


def _teams(spec: PlatformSpec) -> Iterator[Problem]:
    teams = spec.kubernetes.teams
    names = [t.name for t in teams]
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            yield Problem(("kubernetes", "teams", i, "name"), name, "another team already has this name; team "
                          "names must be unique (each is a namespace)")  # fmt: skip
        seen.add(name)
    allowed = sorted(set(names)) + list(SYSTEM_NAMESPACES)
    for i, team in enumerate(teams):
        for j, namespace in enumerate(team.allow_from_namespaces):
            if namespace not in names and namespace not in SYSTEM_NAMESPACES:
                yield Problem(
                    ("kubernetes", "teams", i, "allowFromNamespaces", j),
                    namespace,
                    f"not a team or system namespace; allowed: {', '.join(allowed)}",
                )


# ---- storage class encryption ----------------------------------------------------------------------------------


def encryption_problems(spec: StorageClassSpec) -> list[str]:
    """Why `spec`'s parameters do not turn encryption on (empty when they do); each message says what to set."""
    row = encryption_row(spec.provisioner)
    params = spec.parameters
    if row is None:
        switched = [s for s in KNOWN_SWITCHES if (params.get(s) or "").lower() == "true"]
        keyed = [k for k in KNOWN_KEY_REFERENCES if params.get(k)]
        if switched or keyed:
            return []
        switches = " or ".join(f'{s}: "true"' for s in KNOWN_SWITCHES)
        return [
            f"provisioner {spec.provisioner} has no encryption row (known: {', '.join(sorted(ENCRYPTION))}); "
            f"set its encryption parameter ({switches}, or a key "
            f"reference {', '.join(KNOWN_KEY_REFERENCES)}) and add a row for it to components/catalog/kubernetes.py"
        ]
    problems = []
    for switch in row.switches:
        value = lookup_parameter(params, switch, row.case_insensitive_keys)
        if (value or "").lower() != "true":
            shown = "missing" if value is None else f"{value!r}"
            problems.append(f'provisioner {spec.provisioner} encrypts volumes only with {switch}: "true" ({shown})')
    for key in row.required:
        if not lookup_parameter(params, key, row.case_insensitive_keys):
            problems.append(f"provisioner {spec.provisioner} needs parameter {key} for encrypted volumes")
    return problems
