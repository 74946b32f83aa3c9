"""A private VPC for GKE: one subnet with VPC-native secondary ranges, flow logs, Private Google Access, and
an explicit, logged deny of all ingress.

Nodes never get external addresses (the cluster's job); they reach Google APIs through Private Google Access and
the internet only through Cloud NAT, when the spec asks for it. Every subnet flow is logged (network-isolation),
and ingress is closed except for the allows the spec names: GKE adds the rules a cluster needs itself (below).
"""

from __future__ import annotations

import re

import pulumi
import pulumi_gcp as gcp

from llmops_infra.components.spec import FirewallAllowSpec, GcpNetworkSpec

# A Compute Engine region ("europe-west4"): components/config/gcp.py GcpZone without the zone letter.
REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")

# Secondary range names only have to be unique within their subnetwork (SDK SubnetworkSecondaryIpRange.range_name).
PODS_RANGE = "pods"
SERVICES_RANGE = "services"

# The SDK (Firewall.priority): 0 to 65535, lower wins, default 1000. The implied deny-ingress and allow-egress
# rules sit at 65535 ("VPC firewall rules overview", implied rules) and cannot be logged, so an explicit deny one
# step above them changes nothing that is allowed and makes every dropped connection show up in Cloud Logging.
DENY_ALL_PRIORITY = 65534
# The SDK's default priority, and the priority of every rule GKE creates itself ("Automatically created firewall
# rules", GKE docs), so an allow here neither shadows nor is shadowed by GKE's.
ALLOW_PRIORITY = 1000
ANYWHERE = "0.0.0.0/0"

# SDK enum values (compute SubnetworkLogConfig, FirewallLogConfig, RouterNat, RouterNatLogConfig).
FLOW_LOG_INTERVAL = "INTERVAL_5_SEC"  # the finest aggregation the SDK offers (and its default)
ALL_METADATA = "INCLUDE_ALL_METADATA"


def _firewall_allow(allow: FirewallAllowSpec) -> gcp.compute.FirewallAllowArgsDict:
    rule: gcp.compute.FirewallAllowArgsDict = {"protocol": allow.protocol}
    # The SDK: ports apply to tcp/udp (and sctp) only; left out, the allow covers every port of the protocol.
    if allow.ports:
        rule["ports"] = list(allow.ports)
    return rule


def _logged_ingress_rule(
    resource_name: str,
    *,
    description: str,
    network: pulumi.Input[str],
    priority: int,
    source_ranges: list[str],
    opts: pulumi.ResourceOptions,
    allows: list[gcp.compute.FirewallAllowArgsDict] | None = None,
    denies: list[gcp.compute.FirewallDenyArgsDict] | None = None,
    target_tags: list[str] | None = None,
) -> gcp.compute.Firewall:
    """An ingress rule of this network, the deny-all and every allow alike: each one logs with all metadata, so
    whatever ingress is let in or dropped shows up in Cloud Logging (the implied rules cannot be logged)."""
    return gcp.compute.Firewall(
        resource_name,
        description=description,
        network=network,
        direction="INGRESS",
        priority=priority,
        allows=allows,
        denies=denies,
        source_ranges=source_ranges,
        target_tags=target_tags,
        log_config={"metadata": ALL_METADATA},
        opts=opts,
    )


class PrivateNetwork(pulumi.ComponentResource):
    """A custom-mode VPC with one regional subnet for GKE nodes, pods and services, closed to ingress.

    The subnet's secondary ranges `pods` and `services` make a VPC-native cluster (GkeCluster takes
    `pods_range_name` and `services_range_name`). With `spec.cloud_nat` a Cloud Router and Cloud NAT serve the node
    subnet. The default route to the internet gateway stays (Cloud NAT and Private Google Access need it); a node
    without an external address or NAT still cannot reach the internet through it. GKE adds the firewall rules the
    cluster itself needs.

    Args:
        name: Component name, the prefix of every child.
        spec: GcpNetworkSpec: subnet, pod and service ranges, Cloud NAT, flow-log sampling, ingress allows;
            ingress allows repeating a name raise ValueError.
        region: The subnet's region, a Compute Engine region such as europe-west4 (ValueError otherwise).
        opts: Resource options; the provider decides the project.

    Outputs:
        network_id: The VPC's id.
        network_self_link: Its self link.
        network_name: Its name.
        subnet_id: The node subnet's id.
        subnet_self_link: Its self link.
        subnet_name: Its name.
        pods_range_name: The pods secondary range's name (`pods`).
        services_range_name: The services secondary range's name (`services`).

    Security:
        - Private networking: custom mode, one subnet; Private Google Access on, so nodes with internal addresses
          only reach Google APIs; the internet only through Cloud NAT, when `spec.cloud_nat`.
        - Network isolation: an explicit deny-all ingress rule at priority 65534, and each `spec.ingress_allows`
          entry as an allow at priority 1000 from its own source ranges (never 0.0.0.0/0).
        - Logging: every ingress rule logs with all metadata (the implied rules cannot log); subnet flow logs at
          5-second aggregation with `spec.flow_log_sampling` and all metadata; Cloud NAT logs its errors.
    """

    network_id: pulumi.Output[str]
    network_self_link: pulumi.Output[str]
    network_name: pulumi.Output[str]
    subnet_id: pulumi.Output[str]
    subnet_self_link: pulumi.Output[str]
    subnet_name: pulumi.Output[str]
    pods_range_name: str
    services_range_name: str

    def __init__(
        self,
        name: str,
        spec: GcpNetworkSpec,
        *,
        region: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if not REGION.fullmatch(region):
            raise ValueError(f"PrivateNetwork {name!r}: region {region!r} is not a GCP region like 'europe-west4'")
        names = [allow.name for allow in spec.ingress_allows]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"PrivateNetwork {name!r}: ingress_allows repeat the name(s) {', '.join(repeated)}")
        super().__init__("llmops:gcp:PrivateNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        network = gcp.compute.Network(
            f"{name}-vpc",
            description=f"{name}: private network for GKE",
            # Custom mode: only the subnet below exists, no auto subnet in every region.
            auto_create_subnetworks=False,
            routing_mode="REGIONAL",
            # The default 0.0.0.0/0 route to the default internet gateway stays: Cloud NAT can only use routes
            # whose next hop is the default internet gateway ("Cloud NAT product interactions"), and Private
            # Google Access to the default API domains needs a route to Google's API addresses ("Configure
            # Private Google Access", routing), which this route is. A node without an external address or NAT
            # still cannot reach the internet through it.
            delete_default_routes_on_create=False,
            opts=child,
        )

        subnet = gcp.compute.Subnetwork(
            f"{name}-nodes",
            description=f"{name}: GKE nodes, with the pod and service ranges of a VPC-native cluster",
            network=network.id,
            region=region,
            ip_cidr_range=str(spec.subnet_cidr),
            secondary_ip_ranges=[
                {"range_name": PODS_RANGE, "ip_cidr_range": str(spec.pods_cidr)},
                {"range_name": SERVICES_RANGE, "ip_cidr_range": str(spec.services_cidr)},
            ],
            # Nodes have internal addresses only; this is how they reach Artifact Registry, GCS and the other APIs.
            private_ip_google_access=True,
            log_config={
                "aggregation_interval": FLOW_LOG_INTERVAL,
                "flow_sampling": spec.flow_log_sampling,
                "metadata": ALL_METADATA,
            },
            opts=child,
        )

        if spec.cloud_nat:
            router = gcp.compute.Router(
                f"{name}-nat",
                description=f"{name}: Cloud Router for the node subnet's Cloud NAT",
                network=network.id,
                region=region,
                opts=child,
            )
            gcp.compute.RouterNat(
                f"{name}-nat",
                router=router.name,
                region=region,
                # The SDK: only NAT IPs allocated by Google Cloud; no static address to reserve and look after here.
                nat_ip_allocate_option="AUTO_ONLY",
                # This subnet only (not every subnet of the network in the region), all of its ranges: the nodes'
                # primary range and the pods' secondary range, whichever source address pod traffic leaves with.
                source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
                subnetworks=[{"name": subnet.id, "source_ip_ranges_to_nats": ["ALL_IP_RANGES"]}],
                # Errors (connections NAT dropped) are what an operator needs; logging every translation would
                # record each outbound connection of every pod.
                log_config={"enable": True, "filter": "ERRORS_ONLY"},
                opts=child,
            )

        # GKE creates its own ingress allows, at priority 1000 unless its docs say otherwise, for the cluster
        # (control plane to kubelet on private clusters, node and pod ranges) and for every LoadBalancer Service
        # and Ingress (clients and health checks), so a private cluster needs nothing opened here ("Automatically
        # created firewall rules", GKE docs); those rules precede this deny.
        # Anything else, such as Google's health-check ranges for a load balancer GKE does not manage, goes in
        # spec.ingress_allows.
        _logged_ingress_rule(
            f"{name}-deny-all-ingress",
            description=f"{name}: deny and log all ingress not allowed by a higher-priority rule",
            network=network.name,
            priority=DENY_ALL_PRIORITY,
            denies=[{"protocol": "all"}],
            source_ranges=[ANYWHERE],
            opts=child,
        )
        for allow in spec.ingress_allows:
            _logged_ingress_rule(
                f"{name}-allow-{allow.name}",
                description=f"{name}: allow {allow.protocol} {','.join(allow.ports) or 'all ports'} ({allow.name})",
                network=network.name,
                priority=ALLOW_PRIORITY,
                allows=[_firewall_allow(allow)],
                source_ranges=[str(r) for r in allow.source_ranges],
                # Left out, the SDK applies the rule to every instance in the network.
                target_tags=list(allow.target_tags) or None,
                opts=child,
            )

        self.network_id = network.id
        self.network_self_link = network.self_link
        self.network_name = network.name
        self.subnet_id = subnet.id
        self.subnet_self_link = subnet.self_link
        self.subnet_name = subnet.name
        self.pods_range_name = PODS_RANGE
        self.services_range_name = SERVICES_RANGE
        self.register_outputs(
            {
                "network_id": self.network_id,
                "network_self_link": self.network_self_link,
                "network_name": self.network_name,
                "subnet_id": self.subnet_id,
                "subnet_self_link": self.subnet_self_link,
                "subnet_name": self.subnet_name,
                "pods_range_name": self.pods_range_name,
                "services_range_name": self.services_range_name,
            }
        )
