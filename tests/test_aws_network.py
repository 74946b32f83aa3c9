"""IsolatedVpc on the offline engine: private, logged, default SG closed, AWS services via endpoints."""

from __future__ import annotations

import ipaddress
import itertools
import json
from typing import Any

import pytest

from llmops_infra.cli.recording import Recording, Registration
from llmops_infra.components.aws.network import FlowLogSettings, IsolatedVpc, subnet_cidrs
from llmops_infra.components.spec import DEFAULT_INTERFACE_ENDPOINTS, NetworkSpec
from tests.conftest import preview

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
IGW = "aws:ec2/internetGateway:InternetGateway"
NAT = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SG = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"

LOGS_KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
TAGS = {"owner": "ml-platform", "purpose": "network", "data-classification": "phi"}


def _vpc(retention: int = 2192, **spec: Any) -> Recording:
    return preview(
        lambda: IsolatedVpc(
            "net",
            NetworkSpec(**spec),
            flow_logs=FlowLogSettings(logs_key_arn=LOGS_KEY, retention_days=retention),
            tags=TAGS,
        )
    )


def _subnets(rec: Recording, kind: str) -> list[Registration]:
    return sorted((s for s in rec.of_type(SUBNET) if s.name.startswith(f"net-{kind}-")), key=lambda s: s.name)


def _default_routes(rec: Recording) -> list[Registration]:
    return [r for r in rec.of_type(ROUTE) if r.inputs.get("destinationCidrBlock") == "0.0.0.0/0"]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("nat", [True, False])
def test_no_subnet_assigns_public_ips(nat: bool) -> None:
    subnets = _vpc(nat_gateway=nat).of_type(SUBNET)
    assert len(subnets) == (4 if nat else 2)
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)


def test_without_nat_there_is_no_way_to_the_internet() -> None:
    rec = _vpc(nat_gateway=False)
    assert not _subnets(rec, "public")
    assert not rec.of_type(IGW) and not rec.of_type(NAT) and not rec.of_type(EIP)
    assert not _default_routes(rec)
    assert rec.one("llmops:aws:IsolatedVpc").outputs["public_subnet_ids"] == []


def test_with_nat_one_gateway_serves_every_private_subnet() -> None:
    rec = _vpc(nat_gateway=True, availability_zones=3)
    igw, nat, eip = rec.one(IGW), rec.one(NAT), rec.one(EIP)
    public = _subnets(rec, "public")
    assert nat.inputs["subnetId"] == public[0].id
    assert nat.inputs["allocationId"] == eip.id
    assert eip.inputs["domain"] == "vpc"

    table_of = {a.inputs["subnetId"]: a.inputs["routeTableId"] for a in rec.of_type(ASSOCIATION)}
    routes = {r.inputs["routeTableId"]: r.inputs for r in _default_routes(rec)}
    for subnet in _subnets(rec, "private"):
        route = routes[table_of[subnet.id]]
        assert route.get("natGatewayId") == nat.id and "gatewayId" not in route
    for subnet in public:
        assert routes[table_of[subnet.id]].get("gatewayId") == igw.id
    # Every default route goes through the NAT (private) or the IGW (public): nothing else reaches out.
    assert len(routes) == 3 + 1


def test_subnet_tags_let_kubernetes_place_load_balancers() -> None:
    rec = _vpc(nat_gateway=True)
    for s in _subnets(rec, "private"):
        assert s.inputs["tags"]["kubernetes.io/role/internal-elb"] == "1"
        assert "kubernetes.io/role/elb" not in s.inputs["tags"]
        assert s.inputs["tags"]["data-classification"] == "phi"
    for s in _subnets(rec, "public"):
        assert s.inputs["tags"]["kubernetes.io/role/elb"] == "1"


@pytest.mark.parametrize(("cidr", "zones"), [("10.0.0.0/16", 2), ("10.20.0.0/16", 3), ("192.168.4.0/24", 6)])
def test_subnets_span_distinct_azs_inside_the_vpc_without_overlap(cidr: str, zones: int) -> None:
    rec = _vpc(cidr=cidr, availability_zones=zones, nat_gateway=True)
    vpc_cidr = ipaddress.ip_network(rec.one(VPC).inputs["cidrBlock"])
    assert str(vpc_cidr) == cidr
    private, public = _subnets(rec, "private"), _subnets(rec, "public")
    for group in (private, public):
        azs = [s.inputs["availabilityZone"] for s in group]
        assert len(group) == zones and len(set(azs)) == zones
        assert all(az.startswith("us-east-1") for az in azs)
    networks = [ipaddress.ip_network(s.inputs["cidrBlock"]) for s in private + public]
    assert all(n.subnet_of(vpc_cidr) for n in networks)
    assert not any(a.overlaps(b) for a, b in itertools.combinations(networks, 2))


def test_adding_an_az_does_not_renumber_existing_subnets() -> None:
    cidr = ipaddress.IPv4Network("10.0.0.0/16")
    for zones in range(2, 6):
        private, public = subnet_cidrs(cidr, zones)
        more_private, more_public = subnet_cidrs(cidr, zones + 1)
        assert more_private[:zones] == private and more_public[:zones] == public


def test_vpc_resolves_names_for_private_endpoints() -> None:
    vpc = _vpc().one(VPC)
    assert vpc.inputs["enableDnsSupport"] is True and vpc.inputs["enableDnsHostnames"] is True


def test_flow_log_captures_all_traffic_into_an_encrypted_log_group_with_retention() -> None:
    rec = _vpc(retention=731)
    flow, group, vpc = rec.one(FLOW_LOG), rec.one(LOG_GROUP), rec.one(VPC)
    assert flow.inputs["trafficType"] == "ALL"
    assert flow.inputs["vpcId"] == vpc.id
    assert flow.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow.inputs["logDestination"] == group.outputs["arn"]
    assert group.inputs["kmsKeyId"] == LOGS_KEY
    assert group.inputs["retentionInDays"] == 731
    assert flow.inputs["iamRoleArn"] == rec.one(ROLE, "net-flow-logs").outputs["arn"]


def test_flow_log_waits_for_its_role_policy() -> None:
    rec = _vpc()
    assert rec.one(ROLE_POLICY).urn in rec.one(FLOW_LOG).dependencies


def test_flow_log_role_is_assumable_only_by_this_accounts_flow_logs() -> None:
    trust = json.loads(_vpc().one(ROLE, "net-flow-logs").inputs["assumeRolePolicy"])
    [statement] = trust["Statement"]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}


def test_flow_log_role_policy_is_scoped_to_its_log_group() -> None:
    rec = _vpc()
    policy_input = rec.one(ROLE_POLICY)
    assert policy_input.inputs["role"] == rec.one(ROLE, "net-flow-logs").id
    policy = json.loads(policy_input.inputs["policy"])
    arn = rec.one(LOG_GROUP).outputs["arn"]
    actions = {a for s in policy["Statement"] for a in _as_list(s["Action"])}
    resources = {r for s in policy["Statement"] for r in _as_list(s["Resource"])}
    assert actions == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "logs:DescribeLogGroups",
        "logs:DescribeLogStreams",
    }
    assert not any(a == "*" or a.endswith(":*") for a in actions)
    assert resources == {arn, f"{arn}:*"}
    assert "*" not in resources
    assert all(s["Effect"] == "Allow" for s in policy["Statement"])


def test_default_security_group_has_no_rules() -> None:
    rec = _vpc()
    default = rec.one(DEFAULT_SG)
    assert default.inputs["vpcId"] == rec.one(VPC).id
    # Present and empty, not absent: an explicit empty list is what makes the provider strip the rules.
    assert default.inputs["ingress"] == []
    assert default.inputs["egress"] == []


def test_interface_endpoints_use_private_dns_in_the_private_subnets() -> None:
    rec = _vpc()
    sg = rec.one(SG, "net-endpoints")
    private_ids = [s.id for s in _subnets(rec, "private")]
    interface = [e for e in rec.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Interface"]
    services = sorted(e.inputs["serviceName"] for e in interface)
    assert services == sorted(f"com.amazonaws.us-east-1.{s}" for s in DEFAULT_INTERFACE_ENDPOINTS)
    for endpoint in interface:
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert sorted(endpoint.inputs["subnetIds"]) == sorted(private_ids)
        assert endpoint.inputs["securityGroupIds"] == [sg.id]


def test_interface_endpoints_follow_the_spec() -> None:
    rec = _vpc(interface_endpoints=("sts",))
    interface = [e for e in rec.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Interface"]
    assert [e.inputs["serviceName"] for e in interface] == ["com.amazonaws.us-east-1.sts"]


def test_endpoint_security_group_allows_only_https_from_the_vpc() -> None:
    rec = _vpc(cidr="10.42.0.0/16")
    sg = rec.one(SG, "net-endpoints")
    assert sg.inputs["vpcId"] == rec.one(VPC).id
    [rule] = sg.inputs["ingress"]
    assert (rule["protocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 443, 443)
    assert rule["cidrBlocks"] == ["10.42.0.0/16"]
    assert not rule.get("ipv6CidrBlocks") and not rule.get("securityGroups") and not rule.get("self")
    assert sg.inputs["egress"] == []


def test_s3_gateway_endpoint_is_on_every_private_route_table() -> None:
    rec = _vpc(nat_gateway=False, availability_zones=3)
    [s3] = [e for e in rec.of_type(ENDPOINT) if e.inputs["serviceName"] == "com.amazonaws.us-east-1.s3"]
    assert s3.inputs["vpcEndpointType"] == "Gateway"
    table_of = {a.inputs["subnetId"]: a.inputs["routeTableId"] for a in rec.of_type(ASSOCIATION)}
    private_tables = {table_of[s.id] for s in _subnets(rec, "private")}
    assert len(private_tables) == 3
    assert set(s3.inputs["routeTableIds"]) == private_tables


def test_component_outputs_name_the_resources_it_created() -> None:
    rec = _vpc(nat_gateway=True, availability_zones=2, cidr="10.9.0.0/16")
    component = rec.one("llmops:aws:IsolatedVpc", "net")
    outputs = component.outputs
    assert outputs["vpc_id"] == rec.one(VPC).id
    assert outputs["vpc_cidr"] == "10.9.0.0/16"
    assert outputs["private_subnet_ids"] == [s.id for s in _subnets(rec, "private")]
    assert outputs["public_subnet_ids"] == [s.id for s in _subnets(rec, "public")]
    assert outputs["availability_zones"] == ["us-east-1a", "us-east-1b"]
    assert outputs["endpoint_security_group_id"] == rec.one(SG, "net-endpoints").id


def test_every_child_is_parented_to_the_component_and_tagged() -> None:
    rec = _vpc(nat_gateway=True)
    component = rec.one("llmops:aws:IsolatedVpc", "net")
    children = rec.children_of(component.urn)
    assert len(children) == len([r for r in rec.resources if r.type.startswith("aws:")])
    untaggable = {ROUTE, ASSOCIATION, ROLE_POLICY}
    for child in children:
        if child.type not in untaggable:
            assert child.inputs["tags"]["data-classification"] == "phi", child.name
