"""The hybrid section (`hybrid:`, EKS Hybrid Nodes joined to the aws target's cluster) and its checks, before any
resource exists.

Where a rule comes from: docs/accelerators.md (EKS Hybrid Nodes: remote node CIDRs RFC 1918, /8 to /32, not
overlapping the VPC or the service CIDR) and the Amazon EKS User Guide, "Prepare networking for hybrid nodes"
(node and pod networks must not overlap each other), "Configure CNI for hybrid nodes" (Cilium's
clusterPoolIPv4PodCIDRList is the remote pod networks, carved into per-node blocks of clusterPoolIPv4MaskSize:
components/catalog/kubernetes.py) and "Prepare credentials for hybrid nodes" (SSM hybrid activations or IAM Roles
Anywhere, not both; Roles Anywhere needs the CA bundle of a trust anchor). Pod CIDRs are required because Cilium
takes its pool from them; without them it would use a pool nothing here checked.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from llmops_infra.components.catalog.kubernetes import CILIUM_NODE_MASK_SIZE as NODE_MASK_SIZE
from llmops_infra.components.config.base import (
    Model,
    Problem,
)
from llmops_infra.components.config.onprem import BareMetalPoolSpec

if TYPE_CHECKING:
    from llmops_infra.components.config.platform import PlatformSpec


HybridCredentials = Literal["ssm", "iam-roles-anywhere"]


class HybridSpec(Model):
    """EKS Hybrid Nodes: on-prem machines joined to the aws target's EKS cluster."""

    remote_node_cidrs: tuple[ipaddress.IPv4Network, ...] = Field(
        min_length=1,
        description="The on-prem machines' networks (at least one), set as the cluster's remote node networks: "
        "RFC 1918, /8 to /32, overlapping neither `network.cidr`, `cluster.serviceCidr` nor each other.",
    )
    remote_pod_cidrs: tuple[ipaddress.IPv4Network, ...] = Field(
        default=(),
        description="The hybrid nodes' pod networks, set as the cluster's remote pod networks and Cilium's pod "
        "address pool (a /25 per node): the same range rules as remoteNodeCidrs, each /25 or larger, together "
        "enough /25 blocks for every node. Required by the config rules and by HybridCilium, though the model "
        "defaults to empty.",
    )
    credentials: HybridCredentials = Field(
        default="ssm",
        description="How the machines get the hybrid nodes' IAM role: `ssm` (default: an SSM hybrid activation "
        "limited to as many registrations as the pools have nodes; its code is a secret output) or "
        "`iam-roles-anywhere` (a trust anchor for `trustAnchorCertificate` and a profile).",
    )
    trust_anchor_certificate: str | None = Field(
        default=None,
        description="The PEM certificate bundle of the CA that issues the nodes' certificates: required with "
        "`iam-roles-anywhere`, refused with `ssm`.",
    )
    pools: tuple[BareMetalPoolSpec, ...] = Field(
        default=(),
        description="The on-prem GPU pools joining the cluster; the config rules require at least one.",
    )


# ---- checks --------------------------------------------------------------------------------------------------

RFC1918 = tuple(ipaddress.IPv4Network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"

Cidrs = Sequence[ipaddress.IPv4Network]


def check_hybrid(spec: PlatformSpec) -> list[Problem]:
    return list(_hybrid(spec, spec.hybrid)) if spec.hybrid is not None else []


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
