"""The VPC side of the link to an EKS Hybrid Nodes site: the VPC attached to its gateway, and routes to the site.

Source: Amazon EKS User Guide, "Prepare networking for hybrid nodes" (VPC configuration,
awsdocs/amazon-eks-user-guide latest/ug/nodes/hybrid-nodes-networking.adoc): "You must configure routes in your
VPC routing table for your on-premises node and optionally pod CIDRs. These routes must be setup to route traffic
to the gateway you are using for your hybrid network connectivity, which is commonly a virtual private gateway
(VGW) or transit gateway (TGW). If you are using TGW or VGW to connect your VPC with your on-premises environment,
you must create a TGW or VGW attachment for your VPC." The guide's routes use `--transit-gateway-id` for a TGW and
`--gateway-id` for a VGW. The security group side (443 in, 10250 out) belongs to the cluster: EksCluster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from llmops_infra.components.config.hybrid import gateway_problems
from llmops_infra.components.config.refusal import refuse
from llmops_infra.components.spec import HybridSpec


def remote_cidrs(spec: HybridSpec) -> list[str]:
    """Every network the VPC routes to the site: the machines' own, then their pods'."""
    return [str(c) for c in (*spec.remote_node_cidrs, *spec.remote_pod_cidrs)]


class HybridRoutes(pulumi.ComponentResource):
    """The VPC attached to the site's gateway, and a route to it for every remote network in every route table.

    With `spec.gateway.transit_gateway_id`, a transit gateway VPC attachment in `subnet_ids` (one subnet per
    Availability Zone, the private ones); with `virtual_private_gateway_id`, the VPN gateway attached to the VPC.
    Each route table in `route_table_ids` then routes each remote node and pod network to the gateway.

    Args:
        name: Component name, the prefix of the attachment and the routes.
        spec: HybridSpec: the gateway (exactly one of a transit gateway and a virtual private gateway; otherwise
            ValueError with the config's message, before anything registers) and the remote networks.
        vpc_id: The cluster's VPC (IsolatedVpc.vpc_id).
        subnet_ids: The subnets of a transit gateway attachment (IsolatedVpc.private_subnet_ids).
        route_table_ids: The route tables that get the routes (IsolatedVpc.private_route_table_ids): where the
            control plane's network interfaces and the nodes are.
        tags: Tags on the transit gateway attachment (routes and VPN gateway attachments take none).
        opts: Resource options.

    Outputs:
        attachment: The `aws.ec2transitgateway.VpcAttachment` or `aws.ec2.VpnGatewayAttachment`.
        routes: The `aws.ec2.Route` of each (route table, remote network).

    Security:
        - Network isolation: only the remote networks the cluster declares are routed to the site; no default
          route, and the VPC's other routes are left alone.
    """

    attachment: aws.ec2transitgateway.VpcAttachment | aws.ec2.VpnGatewayAttachment
    routes: list[aws.ec2.Route]

    def __init__(
        self,
        name: str,
        spec: HybridSpec,
        *,
        vpc_id: pulumi.Input[str],
        subnet_ids: Sequence[pulumi.Input[str]],
        route_table_ids: Sequence[pulumi.Input[str]],
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        refuse(f"HybridRoutes {name}", list(gateway_problems(spec.gateway)))
        assert spec.gateway is not None  # gateway_problems refused a missing one
        super().__init__("llmops:aws:HybridRoutes", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tgw, vgw = spec.gateway.transit_gateway_id, spec.gateway.virtual_private_gateway_id
        if tgw is not None:
            self.attachment = aws.ec2transitgateway.VpcAttachment(
                f"{name}-tgw",
                transit_gateway_id=tgw,
                vpc_id=vpc_id,
                subnet_ids=list(subnet_ids),
                tags=dict(tags),
                opts=child,
            )
        else:
            self.attachment = aws.ec2.VpnGatewayAttachment(f"{name}-vgw", vpc_id=vpc_id, vpn_gateway_id=vgw, opts=child)
        # A route to a gateway the VPC is not attached to is refused, so every route waits for the attachment.
        after = pulumi.ResourceOptions(parent=self, depends_on=[self.attachment])
        self.routes = [
            aws.ec2.Route(
                f"{name}-{i}-{cidr.replace('.', '-').replace('/', '-')}",
                route_table_id=table,
                destination_cidr_block=cidr,
                transit_gateway_id=tgw,
                gateway_id=vgw,
                opts=after,
            )
            for i, table in enumerate(route_table_ids)
            for cidr in remote_cidrs(spec)
        ]
        self.register_outputs({"routes": len(self.routes)})
