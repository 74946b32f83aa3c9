"""PrivateNetwork on the offline engine: custom-mode VPC, one logged subnet, NAT only when asked, ingress closed."""

from __future__ import annotations

import copy
import ipaddress
from typing import Any

import pytest

from llmops_infra.cli.recording import Recording, Registration
from llmops_infra.components.gcp.network import PrivateNetwork
from llmops_infra.components.spec import FirewallAllowSpec, GcpNetworkSpec
from tests.conftest import preview
from tests.rule_judging import judge

CONFIG = {"gcp:project": "llmops-test", "gcp:region": "europe-west4"}
COMPONENT = "llmops:gcp:PrivateNetwork"
NETWORK = "gcp:compute/network:Network"
SUBNET = "gcp:compute/subnetwork:Subnetwork"
ROUTER = "gcp:compute/router:Router"
NAT = "gcp:compute/routerNat:RouterNat"
FIREWALL = "gcp:compute/firewall:Firewall"

# The implied rules' priority (VPC firewall rules overview); the deny-all must sit just above it.
IMPLIED_PRIORITY = 65535

HEALTH_CHECKS = FirewallAllowSpec(
    name="lb-health-checks",
    protocol="tcp",
    ports=("8080", "10256"),
    source_ranges=(ipaddress.IPv4Network("35.191.0.0/16"), ipaddress.IPv4Network("130.211.0.0/22")),
    target_tags=("gke-llm",),
)
ICMP_FROM_CORP = FirewallAllowSpec(
    name="icmp-corp", protocol="icmp", source_ranges=(ipaddress.IPv4Network("10.0.0.0/8"),)
)


def _net(region: str = "europe-west4", **spec: Any) -> Recording:
    return preview(lambda: PrivateNetwork("net", GcpNetworkSpec(**spec), region=region), CONFIG)


def _firewalls(rec: Recording) -> dict[str, Registration]:
    return {f.name: f for f in rec.of_type(FIREWALL)}


# ---- the network ------------------------------------------------------------------------------------------


def test_network_is_custom_mode_regional_and_keeps_the_default_route() -> None:
    network = _net().one(NETWORK)
    assert network.inputs["autoCreateSubnetworks"] is False
    assert network.inputs["routingMode"] == "REGIONAL"
    # Cloud NAT and Private Google Access both need the default route to the default internet gateway.
    assert network.inputs["deleteDefaultRoutesOnCreate"] is False


# ---- the subnet -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subnet", "pods", "services"),
    [("10.60.0.0/20", "10.64.0.0/14", "10.68.0.0/20"), ("172.20.0.0/22", "172.24.0.0/16", "172.25.0.0/24")],
)
def test_subnet_and_its_secondary_ranges_follow_the_spec(subnet: str, pods: str, services: str) -> None:
    rec = _net(subnet_cidr=subnet, pods_cidr=pods, services_cidr=services, region="europe-west1")
    sub = rec.one(SUBNET)
    assert sub.inputs["network"] == rec.one(NETWORK).id
    assert sub.inputs["region"] == "europe-west1"
    assert sub.inputs["ipCidrRange"] == subnet
    assert sub.inputs["secondaryIpRanges"] == [
        {"rangeName": "pods", "ipCidrRange": pods},
        {"rangeName": "services", "ipCidrRange": services},
    ]
    outputs = rec.one(COMPONENT).outputs
    # The names GKE's ip_allocation_policy is given are the ones the subnet declares.
    assert (outputs["pods_range_name"], outputs["services_range_name"]) == ("pods", "services")


@pytest.mark.parametrize("sampling", [0.5, 1.0, 0.1])
def test_subnet_reaches_google_apis_privately_and_logs_its_flows(sampling: float) -> None:
    sub = _net(flow_log_sampling=sampling).one(SUBNET)
    assert sub.inputs["privateIpGoogleAccess"] is True
    assert sub.inputs["logConfig"] == {
        "flowSampling": sampling,
        "aggregationInterval": "INTERVAL_5_SEC",
        "metadata": "INCLUDE_ALL_METADATA",
    }


# ---- Cloud NAT --------------------------------------------------------------------------------------------


def test_cloud_nat_serves_only_this_subnet_with_google_managed_ips_and_logs_errors() -> None:
    rec = _net(cloud_nat=True)
    router, nat, sub = rec.one(ROUTER), rec.one(NAT), rec.one(SUBNET)
    assert router.inputs["network"] == rec.one(NETWORK).id
    assert router.inputs["region"] == nat.inputs["region"] == "europe-west4"
    assert nat.inputs["router"] == router.outputs["name"]
    assert nat.inputs["sourceSubnetworkIpRangesToNat"] == "LIST_OF_SUBNETWORKS"
    assert nat.inputs["subnetworks"] == [{"name": sub.id, "sourceIpRangesToNats": ["ALL_IP_RANGES"]}]
    assert nat.inputs["natIpAllocateOption"] == "AUTO_ONLY"
    assert "natIps" not in nat.inputs
    assert nat.inputs["logConfig"] == {"enable": True, "filter": "ERRORS_ONLY"}


def test_without_cloud_nat_there_is_no_router_and_no_nat() -> None:
    rec = _net(cloud_nat=False)
    assert not rec.of_type(ROUTER)
    assert not rec.of_type(NAT)


# ---- firewall ---------------------------------------------------------------------------------------------


def test_all_ingress_is_denied_and_logged_just_above_the_implied_rules() -> None:
    rec = _net()
    deny = _firewalls(rec)["net-deny-all-ingress"]
    assert deny.inputs["network"] == rec.one(NETWORK).outputs["name"]
    assert deny.inputs["direction"] == "INGRESS"
    assert deny.inputs["denies"] == [{"protocol": "all"}]
    assert "allows" not in deny.inputs
    assert deny.inputs["sourceRanges"] == ["0.0.0.0/0"]
    assert deny.inputs["priority"] == IMPLIED_PRIORITY - 1
    assert deny.inputs["logConfig"] == {"metadata": "INCLUDE_ALL_METADATA"}
    assert "disabled" not in deny.inputs


def test_nothing_is_allowed_in_by_default() -> None:
    firewalls = _net().of_type(FIREWALL)
    assert [f.name for f in firewalls] == ["net-deny-all-ingress"]
    assert not any(f.inputs.get("allows") for f in firewalls)


def test_each_ingress_allow_is_exactly_as_specified_and_logged() -> None:
    rec = _net(ingress_allows=(HEALTH_CHECKS, ICMP_FROM_CORP))
    firewalls = _firewalls(rec)
    assert set(firewalls) == {"net-deny-all-ingress", "net-allow-lb-health-checks", "net-allow-icmp-corp"}
    deny_priority = firewalls["net-deny-all-ingress"].inputs["priority"]

    hc = firewalls["net-allow-lb-health-checks"].inputs
    assert hc["allows"] == [{"protocol": "tcp", "ports": ["8080", "10256"]}]
    assert hc["sourceRanges"] == ["35.191.0.0/16", "130.211.0.0/22"]
    assert hc["targetTags"] == ["gke-llm"]

    icmp = firewalls["net-allow-icmp-corp"].inputs
    assert icmp["allows"] == [{"protocol": "icmp"}]
    assert icmp["sourceRanges"] == ["10.0.0.0/8"]
    assert "targetTags" not in icmp

    for allow in (hc, icmp):
        assert allow["direction"] == "INGRESS"
        assert allow["network"] == rec.one(NETWORK).outputs["name"]
        assert allow["logConfig"] == {"metadata": "INCLUDE_ALL_METADATA"}
        assert "denies" not in allow
        assert allow["priority"] < deny_priority


def test_repeated_allow_names_are_rejected() -> None:
    with pytest.raises(ValueError, match="repeat the name.*lb-health-checks"):
        _net(ingress_allows=(HEALTH_CHECKS, HEALTH_CHECKS))


@pytest.mark.parametrize("region", ["europe-west4-a", "EUROPE-WEST4", "europe", "eu-central-1x", ""])
def test_region_that_is_not_a_gcp_region_is_rejected(region: str) -> None:
    with pytest.raises(ValueError, match="not a GCP region"):
        _net(region=region)


# ---- outputs and structure --------------------------------------------------------------------------------


def test_outputs_name_the_resources_the_component_created() -> None:
    rec = _net()
    network, sub = rec.one(NETWORK), rec.one(SUBNET)
    outputs = rec.one(COMPONENT, "net").outputs
    assert outputs == {
        "network_id": network.id,
        "network_self_link": network.outputs["selfLink"],
        "network_name": network.outputs["name"],
        "subnet_id": sub.id,
        "subnet_self_link": sub.outputs["selfLink"],
        "subnet_name": sub.outputs["name"],
        "pods_range_name": "pods",
        "services_range_name": "services",
    }


def test_every_resource_is_a_child_of_the_component() -> None:
    rec = _net(cloud_nat=True, ingress_allows=(HEALTH_CHECKS,))
    component = rec.one(COMPONENT, "net")
    gcp_resources = [r for r in rec.resources if r.type.startswith("gcp:")]
    assert {r.type for r in gcp_resources} == {NETWORK, SUBNET, ROUTER, NAT, FIREWALL}
    assert all(r.parent == component.urn for r in gcp_resources)


# ---- the policy rules over what was registered ------------------------------------------------------------


def test_the_network_passes_the_network_isolation_rules() -> None:
    rec = _net(cloud_nat=True, ingress_allows=(HEALTH_CHECKS, ICMP_FROM_CORP))
    judged, violations = judge(rec)
    assert {"gcp-firewall-no-open-ingress", "gcp-subnet-flow-logs-private-access"} <= judged
    assert violations == []


def test_the_rules_would_catch_a_subnet_without_private_access_or_an_open_allow() -> None:
    # The check above can fail: the same registrations, broken, are flagged.
    rec = _net(ingress_allows=(HEALTH_CHECKS,))
    sub = copy.deepcopy(rec.one(SUBNET))
    sub.inputs["privateIpGoogleAccess"] = False
    allow = copy.deepcopy(_firewalls(rec)["net-allow-lb-health-checks"])
    allow.inputs["sourceRanges"] = ["0.0.0.0/0"]
    _, violations = judge(rec, [sub, allow])
    assert any(v.startswith("gcp-subnet-flow-logs-private-access") for v in violations)
    assert any(v.startswith("gcp-firewall-no-open-ingress") for v in violations)
