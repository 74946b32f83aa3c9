"""AWS edges (policies/rules/aws/edges.py) and managed default security groups (access.py's
vpc-default-security-group-managed): what may face the internet, judged by what a stack shows.

One table of stack cases (tests/rule_judging.py): a compliant stack, one change at a time (exactly one
violation, naming the subject and the property), one value unknown at preview at a time (none); then the
behaviour a table does not show, and small third-party stack exports (raw resources as a team writes them).
"""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_BOOLEAN_VALUE, UNKNOWN_NUMBER_VALUE, UNKNOWN_STRING_VALUE

from llmops_infra.policies.rules.aws import edges
from llmops_infra.policies.runtime.rule import RULES
from tests.policies.stack_exports import Raw, export, judged
from tests.rule_judging import (
    DELETE,
    Case,
    Path,
    resource,
    stack_violations,
)

LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
SG = "aws:ec2/securityGroup:SecurityGroup"
SGR = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
VPC = "aws:ec2/vpc:Vpc"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
EDGE_RULE = "lb-internet-facing-only-as-edge"
OPEN_RULE = "security-group-no-open-ingress"
VPC_RULE = "vpc-default-security-group-managed"

LB_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"
# Ports arrive as floats over the analyzer protocol: 443.0 is 443.
HTTPS_FROM_ANYWHERE = {"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["0.0.0.0/0"]}
EDGE_GROUP = {"vpcId": "vpc-1", "ingress": [{**HTTPS_FROM_ANYWHERE, "ipv6CidrBlocks": ["::/0"]}], "egress": []}
INTERNET_FACING = {"name": "web", "internal": False, "loadBalancerType": "application", "securityGroups": ["sg-1"]}
HTTPS_LISTENER = {
    "loadBalancerArn": LB_ARN,
    "protocol": "HTTPS",
    "port": 443,
    "certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d",
    "defaultActions": [{"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:1:tg/t/1"}],
}
NOT_AN_EDGE = "is internet-facing (internal is not true) but not an HTTPS-only edge"
NO_EDGE = "on 443, but its group fronts no internet-facing load balancer"
# Whether a load balancer is judged as an edge at all: an internal or a gateway load balancer is not.
FACING = [("subject", "internal"), ("subject", "loadBalancerType")]


# A group no load balancer uses: nothing it opens to anywhere is excused.
OWN_GROUP = {
    "vpcId": "vpc-1",
    "ingress": [
        {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/16"]},
        {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["10.0.0.0/16"]},
    ],
}


def port_443(entry: Path, protocol: str = "protocol") -> list[Path]:
    """What says an entry admits 443 alone, the only port a group fronting an edge may open to anywhere: made
    unknown, an open entry is still reported, but not as one on 443 (NO_EDGE)."""
    return [(*entry, key) for key in (protocol, "fromPort", "toPort")]


def sgr_edge_stack() -> dict[str, Any]:
    """The edge around a standalone ingress rule of its group (linked by securityGroupId)."""
    return {
        "companions": {
            "web": (LB, INTERNET_FACING),
            "web-https": (LISTENER, HTTPS_LISTENER),
            "web-sg": (SG, {"vpcId": "vpc-1", "ingress": [], "egress": []}),
        },
        "links": {
            "subject": {"securityGroupId": ["web-sg"]},
            "web": {"securityGroups": ["web-sg"]},
            "web-https": {"loadBalancerArn": ["web"]},
        },
    }


def edge_stack(subject: str) -> dict[str, Any]:
    """The other parts of an edge (load balancer, listener, group) around a subject that is one of them."""
    if subject == LB:
        return {
            "companions": {"web-https": (LISTENER, HTTPS_LISTENER), "web-sg": (SG, EDGE_GROUP)},
            "links": {"subject": {"securityGroups": ["web-sg"]}, "web-https": {"loadBalancerArn": ["subject"]}},
        }
    return {
        "companions": {"web": (LB, INTERNET_FACING), "web-https": (LISTENER, HTTPS_LISTENER)},
        "links": {"web": {"securityGroups": ["subject"]}, "web-https": {"loadBalancerArn": ["web"]}},
    }


CASES = [
    # lb-internet-facing-only-as-edge: the subject is the load balancer.
    Case(
        EDGE_RULE,
        LB,
        INTERNET_FACING,
        [
            (("web-https", "protocol"), "HTTP", f'{NOT_AN_EDGE}: its listener web-https uses protocol "HTTP"'),
            (("web-https", "protocol"), DELETE, "its listener web-https uses protocol HTTP"),
            (("web-https", "protocol"), "TCP", 'uses protocol "TCP"'),
            (("web-https",), DELETE, "it has no aws:lb/listener:Listener in the stack"),
            # The protocol and ports only describe what the entry admits ("(known after apply)" when unknown):
            # the full messages are test_what_an_entry_admits_is_shown_as_known's.
            (("web-sg", "ingress", 0, "fromPort"), 22, "security group web-sg ingress[0] admits protocol"),
            (("web-sg", "ingress", 0, "protocol"), "-1", 'security group web-sg ingress[0] admits protocol "-1"'),
            (("subject", "securityGroups"), [], "it has no securityGroups, so nothing limits it to port 443"),
            (("subject", "securityGroups"), DELETE, "it has no securityGroups"),
            (("subject", "securityGroups"), ["sg-1", "sg-elsewhere"], "1 of its securityGroups are not in the stack"),
        ],
        [
            (("subject", "internal"), UNKNOWN_BOOLEAN_VALUE),
            (("subject", "loadBalancerType"), UNKNOWN_STRING_VALUE),
            (("subject", "securityGroups"), UNKNOWN_ARRAY_VALUE),
            (("web-https", "protocol"), UNKNOWN_STRING_VALUE),
            (("web-sg", "ingress"), UNKNOWN_ARRAY_VALUE),
            (("web-sg", "ingress", 0, "toPort"), UNKNOWN_STRING_VALUE),
        ],
        id="lb-edge",
        needs=FACING,
        **edge_stack(LB),
    ),
    # security-group-no-open-ingress on a group of its own (no load balancer): nothing open.
    Case(
        OPEN_RULE,
        SG,
        OWN_GROUP,
        [
            (
                ("subject", "ingress", 1, "cidrBlocks"),
                ["10.0.0.0/16", "0.0.0.0/0"],
                "security group subject ingress[1] allows ingress from 0.0.0.0/0",
            ),
            (("subject", "ingress", 1, "ipv6CidrBlocks"), ["::/0"], "ingress[1] allows ingress from ::/0"),
            (("subject", "ingress", 1, "cidrBlocks"), "0.0.0.0/0", "ingress[1] allows ingress from 0.0.0.0/0"),
        ],
        [
            (("subject", "ingress"), UNKNOWN_ARRAY_VALUE),
            (("subject", "ingress", 0, "cidrBlocks"), UNKNOWN_ARRAY_VALUE),
            (("subject", "ingress", 1), UNKNOWN_STRING_VALUE),
        ],
        id="sg-own",
    ),
    # 443 from anywhere on that group: it fronts no edge.
    Case(
        OPEN_RULE,
        SG,
        OWN_GROUP,
        [
            (
                ("subject", "ingress", 0, "cidrBlocks"),
                ["0.0.0.0/0"],
                f"ingress[0] allows ingress from 0.0.0.0/0 {NO_EDGE}",
            ),
        ],
        id="sg-own-443",
        needs=port_443(("subject", "ingress", 0)),
    ),
    # security-group-no-open-ingress on an edge load balancer's group: 443 from anywhere is allowed. The open
    # CIDRs are both reported, or the known one when the other is unknown at preview: the expected texts leave them
    # out (the full messages are test_an_edge_group_s_open_entry_names_its_known_sources's).
    Case(
        OPEN_RULE,
        SG,
        EDGE_GROUP,
        [
            (("web-https", "protocol"), "HTTP", NO_EDGE),
            (("web", "internal"), True, NO_EDGE),
            (("web",), DELETE, NO_EDGE),
            (("web-https",), DELETE, NO_EDGE),
            (
                ("subject", "ingress"),
                [
                    *EDGE_GROUP["ingress"],
                    {"protocol": "tcp", "fromPort": 8080, "toPort": 8080, "cidrBlocks": ["10.0.0.0/16"]},
                ],
                f"ingress[0] allows ingress from 0.0.0.0/0, ::/0 {NO_EDGE}",
            ),
        ],
        [
            (("web-https", "protocol"), UNKNOWN_STRING_VALUE),
            (("web", "internal"), UNKNOWN_BOOLEAN_VALUE),
            (("subject", "ingress", 0, "fromPort"), UNKNOWN_STRING_VALUE),
        ],
        id="sg-edge",
        needs=port_443(("subject", "ingress", 0)),
        **edge_stack(SG),
    ),
    # The edge group opening more than 443 to anywhere: nothing excuses it, whatever the load balancer shows.
    Case(
        OPEN_RULE,
        SG,
        EDGE_GROUP,
        [
            (("subject", "ingress", 0, "fromPort"), 22, "security group subject ingress[0] allows ingress from"),
            (("subject", "ingress", 0, "protocol"), "-1", "security group subject ingress[0] allows ingress from"),
        ],
        id="sg-edge-ports",
        **edge_stack(SG),
    ),
    # A standalone ingress rule of the edge group (linked by securityGroupId).
    Case(
        OPEN_RULE,
        SGR,
        {"securityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0"},
        [
            (
                ("web-https", "protocol"),
                "HTTP",
                f"security group ingress rule subject allows ingress from 0.0.0.0/0 {NO_EDGE}",
            ),
        ],
        [(("subject", "cidrIpv4"), UNKNOWN_STRING_VALUE), (("web-https", "protocol"), UNKNOWN_STRING_VALUE)],
        id="sgr-edge",
        needs=[("subject", "cidrIpv4"), *port_443(("subject",), "ipProtocol")],  # its one CIDR: what is open
        **sgr_edge_stack(),
    ),
    Case(
        OPEN_RULE,
        SGR,
        {"securityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0"},
        [
            (("subject", "fromPort"), 22, "security group ingress rule subject allows ingress from 0.0.0.0/0"),
            (("subject", "toPort"), 8443, "security group ingress rule subject allows ingress from 0.0.0.0/0"),
            (("subject", "ipProtocol"), "-1", "allows ingress from 0.0.0.0/0"),
        ],
        id="sgr-edge-ports",
        needs=[("subject", "cidrIpv4")],
        **sgr_edge_stack(),
    ),
    # An aws:ec2/securityGroupRule of type ingress on a group that fronts nothing.
    Case(
        OPEN_RULE,
        SG_RULE,
        {
            "type": "ingress",
            "securityGroupId": "sg-1",
            "protocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
            "cidrBlocks": ["10.0.0.0/8"],
        },
        [
            (
                ("subject", "cidrBlocks"),
                ["0.0.0.0/0"],
                f"security group rule subject allows ingress from 0.0.0.0/0 {NO_EDGE}",
            ),
            (("subject", "ipv6CidrBlocks"), ["::/0"], f"allows ingress from ::/0 {NO_EDGE}"),
        ],
        [(("subject", "cidrBlocks"), UNKNOWN_ARRAY_VALUE), (("subject", "type"), UNKNOWN_STRING_VALUE)],
        id="sg-rule",
        needs=[("subject", "type"), *port_443(("subject",))],  # only an ingress rule is judged
    ),
    Case(
        VPC_RULE,
        VPC,
        {"cidrBlock": "10.0.0.0/16", "enableDnsSupport": True},
        [
            (
                ("subject-default",),
                DELETE,
                "VPC subject has no aws:ec2/defaultSecurityGroup:DefaultSecurityGroup with vpcId",
            ),
        ],
        companions={"subject-default": (DEFAULT_SG, {"vpcId": "vpc-1", "ingress": [], "egress": []})},
        links={"subject-default": {"vpcId": ["subject"]}},
        id="vpc-default-sg",
    ),
]


def test_every_rule_and_subject_type_has_a_case():
    mine = {n for n, r in RULES.items() if r.check.__module__ == edges.__name__} | {VPC_RULE}
    assert {(c.rule, c.type) for c in CASES} == {(n, t) for n in mine for t in RULES[n].subjects if "alb/" not in t}
    assert {c.rule for c in CASES if c.changes} == mine
    assert {c.rule for c in CASES if c.unknowns} == mine - {VPC_RULE}  # its one input is linked, never read


# ---- what a table does not show -------------------------------------------------------------------------------

[EDGE_CASE] = [c for c in CASES if c.id == "lb-edge"]


@pytest.mark.parametrize("internal", [True, "true"])
def test_internal_load_balancer_is_not_judged_as_an_edge(internal: Any) -> None:
    assert EDGE_CASE.violations((("subject", "internal"), internal), (("web-https", "protocol"), "HTTP")) == []


def test_gateway_load_balancer_takes_no_scheme_and_is_not_judged() -> None:
    assert EDGE_CASE.violations((("subject", "loadBalancerType"), "gateway"), (("web-https",), DELETE)) == []


def test_alb_alias_token_is_judged_the_same() -> None:
    found = EDGE_CASE.violations((("web-https", "protocol"), "HTTP"), type_="aws:alb/loadBalancer:LoadBalancer")
    assert found == ["load balancer subject " + NOT_AN_EDGE + ': its listener web-https uses protocol "HTTP"']


def test_every_problem_of_a_load_balancer_is_reported_and_an_unknown_listener_hides_none() -> None:
    second = {**HTTPS_LISTENER, "protocol": UNKNOWN_STRING_VALUE}
    stack = EDGE_CASE.resources((("web-sg", "ingress", 0, "fromPort"), 80), (("web-https", "protocol"), "HTTP"))
    stack.append(resource(LISTENER, second, "web-other", dependencies={"loadBalancerArn": [stack[0].urn]}))
    assert [m for _, m in stack_violations(EDGE_RULE, stack)] == [
        f'load balancer subject {NOT_AN_EDGE}: its listener web-https uses protocol "HTTP"',
        f'load balancer subject {NOT_AN_EDGE}: security group web-sg ingress[0] admits protocol "tcp" ports 80-443, '
        "not only 443",
    ]


def test_listener_of_a_hand_written_export_is_found_by_its_arn() -> None:
    stack = [
        resource(LB, INTERNET_FACING, "front"),
        resource(LISTENER, {**HTTPS_LISTENER, "protocol": "HTTP"}, "front-http"),
        resource(LISTENER, {**HTTPS_LISTENER, "loadBalancerArn": LB_ARN.replace("/web/", "/other/")}, "other"),
    ]
    found = [m for _, m in stack_violations(EDGE_RULE, stack)]
    assert f'load balancer front {NOT_AN_EDGE}: its listener front-http uses protocol "HTTP"' in found
    assert not any("listener other" in m for m in found)


def test_unknown_first_ingress_cidr_still_reports_open_ssh_in_the_second() -> None:
    group = {
        "ingress": [
            {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": UNKNOWN_ARRAY_VALUE},
            {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]},
        ]
    }
    assert stack_violations(OPEN_RULE, [resource(SG, group, "bastion")]) == [
        ("bastion", "security group bastion ingress[1] allows ingress from 0.0.0.0/0")
    ]


[SG_EDGE_CASE] = [c for c in CASES if c.id == "sg-edge"]
[SG_OWN_443_CASE] = [c for c in CASES if c.id == "sg-own-443"]
EDGE_INGRESS = ("web-sg", "ingress", 0)
ADMITS = "security group web-sg ingress[0] admits protocol"


@pytest.mark.parametrize(
    ("unknown", "admits"),
    [
        ((), f'{ADMITS} "tcp" ports 22-443, not only 443'),
        (
            ((*EDGE_INGRESS, "protocol"), UNKNOWN_STRING_VALUE),
            f"{ADMITS} (known after apply) ports 22-443, not only 443",
        ),
        (
            ((*EDGE_INGRESS, "toPort"), UNKNOWN_STRING_VALUE),
            f'{ADMITS} "tcp" ports 22-(known after apply), not only 443',
        ),
    ],
    ids=["known", "unknown-protocol", "unknown-to-port"],
)
def test_what_an_entry_admits_is_shown_as_known(unknown: tuple[Any, ...], admits: str) -> None:
    found = EDGE_CASE.violations(((*EDGE_INGRESS, "fromPort"), 22), *([unknown] if unknown else []))
    assert found == [f"load balancer subject {NOT_AN_EDGE}: {admits}"]


def test_an_unknown_security_groups_value_hides_nothing_its_linked_group_admits() -> None:
    found = EDGE_CASE.violations(
        (("subject", "securityGroups"), UNKNOWN_ARRAY_VALUE), ((*EDGE_INGRESS, "fromPort"), 80)
    )
    assert found == [f'load balancer subject {NOT_AN_EDGE}: {ADMITS} "tcp" ports 80-443, not only 443']


def test_a_gateway_load_balancer_is_no_edge_whatever_its_unknown_scheme() -> None:
    gateway = [(("subject", "loadBalancerType"), "gateway"), (("subject", "internal"), UNKNOWN_BOOLEAN_VALUE)]
    assert EDGE_CASE.violations(*gateway, (("web-https",), DELETE)) == []
    assert EDGE_CASE.check_directly(*gateway, (("web-https",), DELETE)) == []  # judged: not an edge to judge


OPEN_443 = "security group subject ingress[0] allows ingress from"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ([], f"{OPEN_443} 0.0.0.0/0, ::/0 {NO_EDGE} with only HTTPS/TLS listeners and only 443 admitted"),
        (
            [(("subject", "ingress", 0, "cidrBlocks"), UNKNOWN_ARRAY_VALUE)],
            f"{OPEN_443} ::/0 {NO_EDGE} with only HTTPS/TLS listeners and only 443 admitted",
        ),
        # Not 443: nothing on the load balancer's side can excuse it.
        ([(("subject", "ingress", 0, "fromPort"), 22)], f"{OPEN_443} 0.0.0.0/0, ::/0"),
        (
            [(("subject", "ingress", 0, "fromPort"), 22), (("web-https", "protocol"), UNKNOWN_STRING_VALUE)],
            f"{OPEN_443} 0.0.0.0/0, ::/0",
        ),
    ],
    ids=["both", "ipv6-known", "port-22", "port-22-listener-unknown"],
)
def test_an_edge_group_s_open_entry_names_its_known_sources(changes: list[Any], expected: str) -> None:
    assert SG_EDGE_CASE.violations((("web-https", "protocol"), "HTTP"), *changes) == [expected]


def test_an_open_entry_whose_port_is_unknown_is_reported_when_its_group_fronts_no_edge() -> None:
    # Excused or not as 443, a group that fronts no edge excuses nothing: the entry is reported, not as one on 443.
    open_443 = (("subject", "ingress", 0, "cidrBlocks"), ["0.0.0.0/0"])
    unknown_port = (("subject", "ingress", 0, "fromPort"), UNKNOWN_NUMBER_VALUE)
    assert SG_OWN_443_CASE.violations(open_443, unknown_port) == [f"{OPEN_443} 0.0.0.0/0"]


def test_egress_security_group_rule_is_not_ingress() -> None:
    egress = {"type": "egress", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}
    assert stack_violations(OPEN_RULE, [resource(SG_RULE, egress, "out")]) == []


@pytest.mark.parametrize("ingress", ["0.0.0.0/0", 443, [None, "rule", 7], {"cidrBlocks": ["0.0.0.0/0"]}])
def test_odd_ingress_shapes_do_not_crash(ingress: Any) -> None:
    assert stack_violations(OPEN_RULE, [resource(SG, {"ingress": ingress})]) == []


def test_vpc_whose_default_group_is_unknown_at_preview_is_not_judged() -> None:
    net = resource(VPC, {"cidrBlock": "10.0.0.0/16"}, "net")
    unlinked = resource(DEFAULT_SG, {"vpcId": UNKNOWN_STRING_VALUE, "ingress": [], "egress": []}, "net-default")
    assert stack_violations(VPC_RULE, [net, unlinked]) == []
    assert [n for n, _ in stack_violations(VPC_RULE, [net])] == ["net"]


# ---- third-party stacks: raw resources, as a team writes them ---------------------------------------------------


def _team_stack(tmp_path: FilePath, *, broken: bool) -> FilePath:
    web_ingress = [HTTPS_FROM_ANYWHERE]
    if broken:  # the team also opened 80 on the load balancer's group, with an HTTP listener
        web_ingress = [*web_ingress, {**HTTPS_FROM_ANYWHERE, "fromPort": 80, "toPort": 80}]
    resources = [
        Raw(VPC, "main", {"cidrBlock": "10.20.0.0/16"}),
        Raw(SG, "alb-sg", {"vpcId": "vpc-1", "ingress": web_ingress, "egress": []}, {"vpcId": ["main"]}),
        Raw(
            LB,
            "chat-alb",
            {"internal": False, "loadBalancerType": "application", "securityGroups": ["sg-1"], "subnets": ["s-1"]},
            {"securityGroups": ["alb-sg"]},
        ),
        Raw(LISTENER, "chat-https", HTTPS_LISTENER, {"loadBalancerArn": ["chat-alb"]}),
    ]
    if broken:
        resources.append(
            Raw(
                LISTENER,
                "chat-http",
                {**HTTPS_LISTENER, "protocol": "HTTP", "port": 80},
                {"loadBalancerArn": ["chat-alb"]},
            )
        )
    else:
        resources.append(
            Raw(DEFAULT_SG, "main-default", {"vpcId": "vpc-1", "ingress": [], "egress": []}, {"vpcId": ["main"]})
        )
    return export(tmp_path / f"edge-{'broken' if broken else 'ok'}.json", *resources)


def test_third_party_stack_exposed_load_balancer_and_its_group_are_reported_on_them(tmp_path: FilePath) -> None:
    path = _team_stack(tmp_path, broken=True)
    assert judged(EDGE_RULE, path) == [
        ("chat-alb", f'load balancer chat-alb {NOT_AN_EDGE}: its listener chat-http uses protocol "HTTP"'),
        (
            "chat-alb",
            f"load balancer chat-alb {NOT_AN_EDGE}: security group alb-sg ingress[1] admits protocol "
            '"tcp" ports 80-80, not only 443',
        ),
    ]
    assert judged(OPEN_RULE, path) == [
        (
            "alb-sg",
            f"security group alb-sg ingress[0] allows ingress from 0.0.0.0/0 {NO_EDGE} with only HTTPS/TLS "
            "listeners and only 443 admitted",
        ),
        ("alb-sg", "security group alb-sg ingress[1] allows ingress from 0.0.0.0/0"),
    ]
    assert judged(VPC_RULE, path) == [
        (
            "main",
            "VPC main has no aws:ec2/defaultSecurityGroup:DefaultSecurityGroup with vpcId: its default security "
            "group keeps AWS's rules (all traffic between members, all egress)",
        )
    ]


def test_third_party_stack_compliant_twin_passes(tmp_path: FilePath) -> None:
    path = _team_stack(tmp_path, broken=False)
    assert judged(EDGE_RULE, path) == [] and judged(OPEN_RULE, path) == [] and judged(VPC_RULE, path) == []
