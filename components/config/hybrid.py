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
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from llmops_infra.components.catalog.kubernetes import CILIUM_NODE_MASK_SIZE as NODE_MASK_SIZE
from llmops_infra.components.config.base import MISSING, Model, Problem
from llmops_infra.components.config.onprem import MachinePoolSpec

if TYPE_CHECKING:
    from llmops_infra.components.config.platform import PlatformSpec


HybridCredentials = Literal["ssm", "iam-roles-anywhere"]
# EC2 resource ids: the type's prefix, then 8 (older resources) or 17 hex digits.
TransitGatewayId = Annotated[str, Field(pattern=r"^tgw-([0-9a-f]{8}|[0-9a-f]{17})$")]
VirtualPrivateGatewayId = Annotated[str, Field(pattern=r"^vgw-([0-9a-f]{8}|[0-9a-f]{17})$")]


class HybridGatewaySpec(Model):
    """The gateway between the VPC and the site: a transit gateway or a virtual private gateway, exactly one.

    The EKS User Guide, "Prepare networking for hybrid nodes" (VPC configuration): the VPC routes the on-prem node
    and pod networks to "the gateway you are using for your hybrid network connectivity, which is commonly a
    virtual private gateway (VGW) or transit gateway (TGW)", and the VPC is attached to it."""

    transit_gateway_id: TransitGatewayId | None = Field(
        default=None,
        description="A transit gateway (`tgw-` and 8 or 17 hex digits) the VPC is attached to (its private "
        "subnets); the remote networks are routed to it. Give this or virtualPrivateGatewayId.",
    )
    virtual_private_gateway_id: VirtualPrivateGatewayId | None = Field(
        default=None,
        description="A virtual private gateway (`vgw-` and 8 or 17 hex digits, of a Site-to-Site VPN or Direct "
        "Connect) attached to the VPC; the remote networks are routed to it. Give this or transitGatewayId.",
    )


class HybridPoolSpec(MachinePoolSpec):
    """On-prem GPU machines joining the EKS cluster as one pool of EKS Hybrid Nodes.

    Their node names are not known before they join (SSM gives each machine a `mi-...` id at registration; with
    IAM Roles Anywhere each machine is named after its certificate), so a pool counts its machines, and its labels
    and taints reach the nodes through the nodeadm node configuration they join with, not through patches."""

    REPLACED_KEYS = {
        "nodes": "hybrid nodes are named only when they join (SSM gives each a mi-... id), so a hybrid pool counts "
        "its machines: write nodeCount: <number of machines>"
    }

    node_count: int = Field(
        ge=1,
        description="How many machines join with this pool's node configuration, at least one: the SSM "
        "activation's registration limit, Cilium's pod address blocks and the capacity table count them.",
    )


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
    hosts_have_nvidia_driver: bool = Field(
        default=False,
        description="Whether the hybrid GPU machines already run the NVIDIA driver and the NVIDIA Container "
        "Toolkit. false (default): the cluster's GPU Operator installs both, on the hybrid machines only (the "
        "cloud node groups' NVIDIA AMIs ship them and are labelled to skip them); true: it installs neither.",
    )
    gateway: HybridGatewaySpec | None = Field(
        default=None,
        description="The transit gateway or virtual private gateway that connects the VPC to the site: the VPC "
        "is attached to it and routes remoteNodeCidrs and remotePodCidrs to it. Required by the config rules.",
    )
    pools: tuple[HybridPoolSpec, ...] = Field(
        default=(),
        description="The on-prem GPU pools joining the cluster; the config rules require at least one. Each gets "
        "a nodeadm node configuration (stack output `hybridNodeConfigs`) carrying its labels and taints.",
    )

    @property
    def node_count(self) -> int:
        """The machines of every pool: what the SSM activation registers and Cilium carves pod blocks for."""
        return sum(pool.node_count for pool in self.pools)


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
    nodes = hybrid.node_count
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
    yield from gateway_problems(hybrid.gateway, at=("hybrid",))


def gateway_problems(gateway: HybridGatewaySpec | None, at: tuple = ()) -> Iterator[Problem]:
    """Exactly one gateway: without one nothing routes the remote networks, and the VPC routes each range once.
    `at` is the key path of the hybrid section (the config's ("hybrid",); a component's spec: ())."""
    what = (
        "transitGatewayId (tgw-...) or virtualPrivateGatewayId (vgw-...): the gateway the site's VPN or Direct "
        "Connect reaches the VPC through, to which the VPC routes the remote node and pod networks"
    )
    if gateway is None:
        yield Problem((*at, "gateway"), MISSING, f"required key is missing: give {what}")
    elif (gateway.transit_gateway_id is None) == (gateway.virtual_private_gateway_id is None):
        given = "both are given" if gateway.transit_gateway_id else "neither is given"
        yield Problem((*at, "gateway"), MISSING, f"{given}; give exactly one, {what}")
