"""AWS edges: what may face the internet, judged by what a stack shows, never by a tag of ours.

An edge load balancer is an internet-facing aws:lb/loadBalancer (`internal` not true) whose listeners
(aws:lb/listener, linked by `loadBalancerArn`) all speak HTTPS or TLS and whose security groups (its
`securityGroups`, linked by the engine's property dependency on each group) admit only port 443. Only such a
load balancer's groups may accept 443 from anywhere (network-isolation); any other internet-facing load balancer
is public access (no-public-access). A group's ingress is its inline `ingress` plus the standalone
aws:vpc/securityGroupIngressRule and aws:ec2/securityGroupRule (type ingress) resources whose `securityGroupId`
was computed from it.

Each listener, group and ingress entry is judged on its own (judge_each): a value unknown at preview in one
leaves that one undecided without hiding what the others show.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from llmops_infra.policies.runtime.props import is_open_cidr, is_true, items, mapping, number, shown, strings, word
from llmops_infra.policies.runtime.resources import (
    INGRESS_RULE,
    LISTENERS,
    LOAD_BALANCERS,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    label,
)
from llmops_infra.policies.runtime.rule import Resource, Settings, judge_each, rule
from llmops_infra.policies.runtime.stack import Stack

ALL_PROTOCOLS = ("-1", "all")  # protocol -1 ignores the port range: every port is open
TLS_PROTOCOLS = ("HTTPS", "TLS")
EDGE_PORT = 443
# Pulumi auto-names a load balancer with no `name` as its logical name, "-" and 7 hex characters; its ARN is
# arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/<app|net|gwy>/<name>/<id>.
_LB_ARN_NAME = re.compile(r"arn:[^:]+:elasticloadbalancing:[^:]*:[^:]*:loadbalancer/[^/]+/(?P<name>[^/]+)/[^/]+")


class Entry(NamedTuple):
    """One ingress permission: where it is written, the permission, and how its protocol and CIDRs are spelled."""

    where: str
    props: Mapping[str, Any]
    protocol_key: str
    cidr_keys: tuple[str, ...]


def _only_edge_port(entry: Entry) -> bool:
    protocol = entry.props.get(entry.protocol_key)
    if isinstance(protocol, str) and protocol.strip().lower() in ALL_PROTOCOLS:
        return False
    return number(entry.props.get("fromPort")) == EDGE_PORT and number(entry.props.get("toPort")) == EDGE_PORT


def _open_sources(entry: Entry) -> list[str]:
    return [c for key in entry.cidr_keys for c in strings(entry.props.get(key)) if is_open_cidr(c)]


def _own_entries(resource: Resource) -> Sequence[Entry] | None:
    """The ingress permissions a group, ingress rule or security group rule writes itself; None for an egress rule."""
    if resource.type == SECURITY_GROUP:
        ingress = items(resource.props.get("ingress"))
        return [
            Entry(f"{label(resource)} ingress[{i}]", mapping(e), "protocol", ("cidrBlocks", "ipv6CidrBlocks"))
            for i, e in enumerate(ingress)
        ]
    if resource.type == INGRESS_RULE:
        return [Entry(label(resource), resource.props, "ipProtocol", ("cidrIpv4", "cidrIpv6"))]
    if resource.props.get("type") != "ingress":
        return None
    return [Entry(label(resource), resource.props, "protocol", ("cidrBlocks", "ipv6CidrBlocks"))]


def _group_entries(group: Resource, stack: Stack) -> list[Entry]:
    """Every ingress permission of a group: its own and its standalone rules'."""
    entries = list(_own_entries(group) or ())
    for companion in stack.companions(group, (INGRESS_RULE, SECURITY_GROUP_RULE), "securityGroupId"):
        entries += _own_entries(companion) or ()
    return entries


def _linked(stack: Stack, types: Sequence[str], resource: Resource, key: str) -> list[Resource]:
    """The resources of `types` that `resource`'s input `key` was computed from (its property dependencies)."""
    urns = set(resource.dependencies.get(key, ()))
    return [r for r in stack.of_type(types) if r.urn in urns]


def _names_load_balancer(lb: Resource, value: Any) -> bool:
    """Whether a listener's plain loadBalancerArn names this load balancer (a hand-written export has no
    property dependencies): the ARN's name part is the `name` input, else the logical name with Pulumi's suffix."""
    match = _LB_ARN_NAME.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        return False
    given, prefix = lb.props.get("name"), lb.props.get("namePrefix")
    if isinstance(given, str) and given:
        return match["name"] == given
    if isinstance(prefix, str) and prefix:
        return match["name"].startswith(prefix)
    return re.fullmatch(re.escape(lb.name) + r"(-[0-9a-f]{7})?", match["name"]) is not None


def _listener_problems(lb: Resource, stack: Stack) -> Iterator[str]:
    listeners = stack.companions(lb, LISTENERS, "loadBalancerArn", lambda value: _names_load_balancer(lb, value))
    if not listeners:
        yield "it has no aws:lb/listener:Listener in the stack"

    def judge(index: int, listener: Resource) -> Iterator[str]:
        protocol = listener.props.get("protocol")
        # An ALB listener without a protocol listens on HTTP, the API's default.
        if word(protocol) not in TLS_PROTOCOLS:
            yield f"its listener {listener.name} uses protocol {shown(protocol) if protocol is not None else 'HTTP'}"

    yield from judge_each(listeners, judge)


def _group_problems(lb: Resource, stack: Stack) -> Iterator[str]:
    given = items(lb.props.get("securityGroups"))
    groups = _linked(stack, (SECURITY_GROUP,), lb, "securityGroups")
    if not given:
        yield "it has no securityGroups, so nothing limits it to port 443"
    elif len(groups) < len(given):
        yield (
            f"{len(given) - len(groups)} of its securityGroups are not in the stack, so what they admit cannot be seen"
        )

    def judge(index: int, entry: Entry) -> Iterator[str]:
        if not _only_edge_port(entry):
            ports = f"{shown(entry.props.get('fromPort'))}-{shown(entry.props.get('toPort'))}"
            protocol = shown(entry.props.get(entry.protocol_key))
            yield f"{entry.where} admits protocol {protocol} ports {ports}, not only 443"

    for group in groups:
        yield from judge_each(_group_entries(group, stack), judge)


def edge_problems(lb: Resource, stack: Stack) -> Iterator[str]:
    """Why an internet-facing load balancer is not an edge (none: it is one). Each listener and each ingress
    entry is judged on its own; one whose values are unknown leaves the answer undecided (CannotJudge)."""
    yield from judge_each([_listener_problems, _group_problems], lambda _, part: part(lb, stack))


def _internet_facing(lb: Resource) -> bool:
    # `internal` defaults to false: a load balancer that does not say it is internal faces the internet. Gateway
    # load balancers take no scheme and receive traffic only through their VPC endpoints.
    return not is_true(lb.props.get("internal")) and word(lb.props.get("loadBalancerType")) != "GATEWAY"


COMPANIONS = (*LISTENERS, SECURITY_GROUP, INGRESS_RULE, SECURITY_GROUP_RULE)


@rule(
    "lb-internet-facing-only-as-edge",
    control="no-public-access",
    severity="high",
    types=(*LOAD_BALANCERS, *COMPANIONS),
    remediation="Set internal true, or make the load balancer an edge: only HTTPS (ALB) or TLS (NLB) listeners and "
    "security groups that admit only tcp 443.",
    scope="stack",
    subjects=LOAD_BALANCERS,
    frameworks=("hipaa", "gdpr"),
)
def lb_internet_facing_only_as_edge(lb: Resource, stack: Stack, settings: Settings) -> Iterator[str]:
    """Internet-facing load balancers are HTTPS-only edges (TLS listeners, security groups admitting only 443)."""
    if not _internet_facing(lb):
        return
    for problem in edge_problems(lb, stack):
        yield f"{label(lb)} is internet-facing (internal is not true) but not an HTTPS-only edge: {problem}"


def _fronts_an_edge(group: Resource, stack: Stack) -> bool:
    """Whether an internet-facing edge load balancer uses the group (its securityGroups depend on it)."""
    fronted = [lb for lb in stack.of_type(LOAD_BALANCERS) if group.urn in lb.dependencies.get("securityGroups", ())]
    # One known problem settles it (not an edge) even when another part is still unknown.
    return any(_internet_facing(lb) and next(edge_problems(lb, stack), None) is None for lb in fronted)


@rule(
    "security-group-no-open-ingress",
    control="network-isolation",
    severity="high",
    types=(SECURITY_GROUP, INGRESS_RULE, SECURITY_GROUP_RULE, *LOAD_BALANCERS, *LISTENERS),
    remediation="Restrict ingress to known CIDRs or security groups; only the group of an internet-facing load "
    "balancer with HTTPS/TLS listeners only, admitting only tcp 443, may accept 443 from anywhere.",
    scope="stack",
    subjects=(SECURITY_GROUP, INGRESS_RULE, SECURITY_GROUP_RULE),
    frameworks=("hipaa", "gdpr"),
)
def security_group_no_open_ingress(resource: Resource, stack: Stack, settings: Settings) -> Iterator[str]:
    """No ingress from 0.0.0.0/0 or ::/0, except port 443 on the group of an HTTPS-only edge load balancer."""
    entries = _own_entries(resource)
    if entries is None:
        return
    # A standalone rule's group is the one its securityGroupId was computed from.
    groups = (
        [resource]
        if resource.type == SECURITY_GROUP
        else _linked(stack, (SECURITY_GROUP,), resource, "securityGroupId")
    )

    def judge(index: int, entry: Entry) -> Iterator[str]:
        sources = _open_sources(entry)
        if not sources:
            return
        if not _only_edge_port(entry):
            yield f"{entry.where} allows ingress from {', '.join(sources)}"
        elif not any(_fronts_an_edge(group, stack) for group in groups):
            yield (
                f"{entry.where} allows ingress from {', '.join(sources)} on 443, but its group fronts no "
                "internet-facing load balancer with only HTTPS/TLS listeners and only 443 admitted"
            )

    yield from judge_each(entries, judge)
