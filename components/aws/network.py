"""An isolated VPC for GPU nodes: private subnets only by default, AWS services through VPC endpoints.

Nodes never get public addresses (no-public-access). Egress to the internet exists only when the spec asks
for a NAT gateway; without one, the interface endpoints and the S3 gateway endpoint are the only way out,
so image pulls, node bootstrap and IAM for pods keep working with no route to the internet. Every flow is
logged to a KMS-encrypted log group with a retention (network-isolation, log-retention), and the default
security group is emptied so nothing attached to it by mistake can talk (network-isolation).
"""

from __future__ import annotations

import functools
import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from llmops_infra.components.spec import NetworkSpec

# Each subnet is 1/16 of the VPC range: enough for 6 private and 6 public subnets in a /24, and a /20 (4091
# usable addresses, pods included with the VPC CNI) per AZ in the default /16.
SUBNET_PREFIX_EXTRA = 4
HTTPS = 443


@dataclass(frozen=True)
class FlowLogSettings:
    """Where IsolatedVpc keeps its flow logs: the encryption key and retention of the flow-log group."""

    logs_key_arn: pulumi.Input[str] = field(
        metadata={"description": 'ARN of the KMS key that encrypts the flow-log group (KmsKeys.arn("logs")).'}
    )
    retention_days: int = field(
        metadata={
            "description": "Days the flow-log group keeps logs: a CloudWatch Logs retention value "
            "(PlatformSpec.log_retention_days)."
        }
    )


def subnet_cidrs(cidr: ipaddress.IPv4Network, zones: int) -> tuple[list[str], list[str]]:
    """(private, public) CIDRs, one per AZ each.

    Privates are taken from the bottom of the range and publics from the top, so adding an AZ later adds
    subnets without renumbering (and so replacing) any existing one.
    """
    blocks = list(cidr.subnets(prefixlen_diff=SUBNET_PREFIX_EXTRA))
    if 2 * zones > len(blocks):
        raise ValueError(f"{cidr} splits into {len(blocks)} subnets; {zones} AZs need {2 * zones}")
    private = [str(b) for b in blocks[:zones]]
    public = [str(b) for b in reversed(blocks[-zones:])]
    return private, public


def _zone(names: Sequence[str], index: int, wanted: int) -> str:
    if len(names) < wanted:
        raise ValueError(f"the region has {len(names)} available AZs; the network spec asks for {wanted}")
    return names[index]


class IsolatedVpc(pulumi.ComponentResource):
    """An isolated VPC for accelerator nodes: private subnets, AWS services through VPC endpoints, optional NAT,
    every flow logged.

    One private subnet per Availability Zone, each with its own route table and, with `spec.nat_gateway`, a route
    to one NAT gateway that sits in a public subnet (one public subnet per AZ, behind an internet gateway). An S3
    gateway endpoint on the private route tables and one interface endpoint per `spec.interface_endpoints` service
    keep image pulls, node bootstrap and IAM for pods inside the VPC. Subnets carry the
    `kubernetes.io/role/internal-elb` (private) and `kubernetes.io/role/elb` (public) tags that load balancer
    controllers select by.

    Args:
        name: Component name, the prefix of every child's name and of its `Name` tag.
        spec: NetworkSpec: the VPC range, the number of AZs, NAT, the interface endpoints. The region must have
            that many AZs available (ValueError when its AZ list resolves otherwise).
        flow_logs: FlowLogSettings: the KMS key and the retention of the flow-log group.
        tags: Tags on every taggable child, which also gets a `Name` tag.
        opts: Resource options; the provider decides the account and region.

    Outputs:
        vpc_id: The VPC's id.
        vpc_cidr: The VPC's range, as a string.
        private_subnet_ids: The private subnets, one per AZ, in AZ order.
        private_route_table_ids: Their route tables; a subnet added later (a Local Zone's) can join the first.
        public_subnet_ids: The public subnets, one per AZ with NAT; empty without.
        availability_zones: The AZ names used: the region's first available ones.
        endpoint_security_group_id: The security group of the interface endpoints.

    Security:
        - Private networking: no subnet assigns public addresses; without NAT the VPC has no route to the internet.
        - Network isolation: the VPC's default security group has no rules at all; the endpoints' security group
          admits HTTPS from the VPC range only and allows no egress.
        - Logging: flow logs of ALL traffic to a CloudWatch log group encrypted with `flow_logs.logs_key_arn` and
          kept `flow_logs.retention_days`.
        - Least privilege: the flow-log role can be assumed only by VPC Flow Logs on behalf of this account's flow
          logs (aws:SourceAccount, aws:SourceArn) and may write only to that one log group.
    """

    vpc_id: pulumi.Output[str]
    vpc_cidr: str
    private_subnet_ids: list[pulumi.Output[str]]
    private_route_table_ids: list[pulumi.Output[str]]
    public_subnet_ids: list[pulumi.Output[str]]
    availability_zones: list[pulumi.Output[str]]
    endpoint_security_group_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        spec: NetworkSpec,
        *,
        flow_logs: FlowLogSettings,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llmops:aws:IsolatedVpc", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke_opts = pulumi.InvokeOptions(parent=self)
        zones = spec.availability_zones
        private_cidrs, public_cidrs = subnet_cidrs(spec.cidr, zones)
        self.vpc_cidr = str(spec.cidr)

        def tagged(role: str, **extra: str) -> dict[str, str]:
            return {**tags, "Name": f"{name}-{role}", **extra}

        region = aws.get_region_output(opts=invoke_opts).region
        partition = aws.get_partition_output(opts=invoke_opts).partition
        account = aws.get_caller_identity_output(opts=invoke_opts).account_id
        az_names = aws.get_availability_zones_output(state="available", opts=invoke_opts).names
        self.availability_zones = [
            az_names.apply(functools.partial(_zone, index=i, wanted=zones)) for i in range(zones)
        ]

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=self.vpc_cidr,
            # Private DNS of interface endpoints and EKS node registration both need DNS on in the VPC.
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=tagged("vpc"),
            opts=child,
        )
        self.vpc_id = vpc.id

        # Empty rule lists: the provider strips AWS's allow-all defaults and flags re-added rules as drift.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg", vpc_id=vpc.id, ingress=[], egress=[], tags=tagged("default-sg"), opts=child
        )

        def subnets(kind: str, cidrs: list[str], elb_role: str) -> list[aws.ec2.Subnet]:
            # No subnet hands out public IPs: public subnets hold only the NAT gateway and load balancers.
            return [
                aws.ec2.Subnet(
                    f"{name}-{kind}-{i}",
                    vpc_id=vpc.id,
                    cidr_block=cidrs[i],
                    availability_zone=self.availability_zones[i],
                    map_public_ip_on_launch=False,
                    tags=tagged(f"{kind}-{i}", **{f"kubernetes.io/role/{elb_role}": "1"}),
                    opts=child,
                )
                for i in range(zones)
            ]

        private_subnets = subnets("private", private_cidrs, "internal-elb")
        self.private_subnet_ids = [s.id for s in private_subnets]

        nat: aws.ec2.NatGateway | None = None
        self.public_subnet_ids = []
        if spec.nat_gateway:
            igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=tagged("igw"), opts=child)
            public_subnets = subnets("public", public_cidrs, "elb")
            self.public_subnet_ids = [s.id for s in public_subnets]
            public_rt = aws.ec2.RouteTable(f"{name}-public", vpc_id=vpc.id, tags=tagged("public"), opts=child)
            aws.ec2.Route(
                f"{name}-public-default",
                route_table_id=public_rt.id,
                destination_cidr_block="0.0.0.0/0",
                gateway_id=igw.id,
                opts=child,
            )
            for i, subnet in enumerate(public_subnets):
                aws.ec2.RouteTableAssociation(
                    f"{name}-public-{i}", route_table_id=public_rt.id, subnet_id=subnet.id, opts=child
                )
            # The EIP can only be associated once the VPC has an internet gateway.
            eip = aws.ec2.Eip(
                f"{name}-nat",
                domain="vpc",
                tags=tagged("nat"),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            )
            nat = aws.ec2.NatGateway(
                f"{name}-nat",
                allocation_id=eip.id,
                subnet_id=public_subnets[0].id,
                connectivity_type="public",
                tags=tagged("nat"),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            )

        # One private route table per AZ, so a per-AZ NAT can be added later without moving subnets.
        private_route_tables = []
        for i, subnet in enumerate(private_subnets):
            rt = aws.ec2.RouteTable(f"{name}-private-{i}", vpc_id=vpc.id, tags=tagged(f"private-{i}"), opts=child)
            aws.ec2.RouteTableAssociation(f"{name}-private-{i}", route_table_id=rt.id, subnet_id=subnet.id, opts=child)
            if nat is not None:
                aws.ec2.Route(
                    f"{name}-private-{i}-default",
                    route_table_id=rt.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=nat.id,
                    opts=child,
                )
            private_route_tables.append(rt)
        # Subnets added later in this VPC (a Local Zone's) route through the first AZ's table: the same NAT.
        self.private_route_table_ids = [rt.id for rt in private_route_tables]

        # ECR image layers live in S3: the gateway endpoint keeps image pulls inside the VPC, at no cost.
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=pulumi.Output.concat("com.amazonaws.", region, ".s3"),
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in private_route_tables],
            tags=tagged("s3"),
            opts=child,
        )

        # Endpoints only answer; they never open connections, so the group has no egress.
        endpoint_sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints",
            vpc_id=vpc.id,
            description=f"HTTPS from {self.vpc_cidr} to the VPC interface endpoints of {name}",
            ingress=[
                {
                    "description": "HTTPS from inside the VPC",
                    "protocol": "tcp",
                    "from_port": HTTPS,
                    "to_port": HTTPS,
                    "cidr_blocks": [self.vpc_cidr],
                }
            ],
            egress=[],
            tags=tagged("endpoints"),
            opts=child,
        )
        self.endpoint_security_group_id = endpoint_sg.id
        for service in spec.interface_endpoints:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=vpc.id,
                service_name=pulumi.Output.concat("com.amazonaws.", region, f".{service}"),
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=self.private_subnet_ids,
                security_group_ids=[endpoint_sg.id],
                tags=tagged(service),
                opts=child,
            )

        self._flow_logs(name, vpc, flow_logs, tagged("flow-logs"), partition, account, region)

        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "vpc_cidr": self.vpc_cidr,
                "private_subnet_ids": self.private_subnet_ids,
                "private_route_table_ids": self.private_route_table_ids,
                "public_subnet_ids": self.public_subnet_ids,
                "availability_zones": self.availability_zones,
                "endpoint_security_group_id": self.endpoint_security_group_id,
            }
        )

    def _flow_logs(
        self,
        name: str,
        vpc: aws.ec2.Vpc,
        settings: FlowLogSettings,
        tags: dict[str, str],
        partition: pulumi.Output[str],
        account: pulumi.Output[str],
        region: pulumi.Output[str],
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            kms_key_id=settings.logs_key_arn,
            retention_in_days=settings.retention_days,
            tags=tags,
            opts=child,
        )
        # SourceAccount/SourceArn stop another account's flow logs from using this role (confused deputy).
        assume = pulumi.Output.all(partition, account, region).apply(
            lambda a: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": a[1]},
                                "ArnLike": {"aws:SourceArn": f"arn:{a[0]}:ec2:{a[2]}:{a[1]}:vpc-flow-log/*"},
                            },
                        }
                    ],
                }
            )
        )
        role = aws.iam.Role(f"{name}-flow-logs", assume_role_policy=assume, tags=tags, opts=child)
        policy = aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=role.id,
            policy=log_group.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "DeliverToThisLogGroupOnly",
                                "Effect": "Allow",
                                "Action": [
                                    "logs:CreateLogStream",
                                    "logs:PutLogEvents",
                                    "logs:DescribeLogGroups",
                                    "logs:DescribeLogStreams",
                                ],
                                "Resource": [arn, f"{arn}:*"],
                            }
                        ],
                    }
                )
            ),
            opts=child,
        )
        # The role must hold its policy before the first delivery, or the flow log starts in an access error.
        aws.ec2.FlowLog(
            f"{name}-flow-logs",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
