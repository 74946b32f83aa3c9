"""AWS edges: what may face the internet, judged by what a stack shows, never by a tag of ours.

An edge load balancer is an internet-facing aws:lb/loadBalancer (`internal` not true) whose listeners
(aws:lb/listener, linked by `loadBalancerArn`) all speak HTTPS or TLS and whose security groups (its
`securityGroups`, linked by the engine's property dependency on each group) admit only port 443. Only such a
load balancer's groups may accept 443 from anywhere (network-isolation); any other internet-facing load balancer
is public access (no-public-access). A group's ingress is its inline `ingress` plus the standalone
aws:vpc/securityGroupIngressRule and aws:ec2/securityGroupRule (type ingress) resources whose `securityGroupId`
was computed from it.

Each listener, group and ingress entry is judged on its own (judge_each), and so are an entry's protocol, ports
and CIDRs and a load balancer's scheme and problems (all_of/any_of): a value unknown at preview in one leaves
that one undecided without hiding what the others show.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, NamedTuple

from pulumi_policy.proxy import UnknownValueError

from llmops_infra.policies.runtime.props import is_open_cidr, is_true, listed, mapping, number, one_or_many, shown, word
from llmops_infra.policies.runtime.resources import (
    INGRESS_RULE,
    LISTENERS,
    LOAD_BALANCERS,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    SHOWN_UNKNOWN,
    known,
    label,
)
from llmops_infra.policies.runtime.rule import (
    CannotJudge,
    Resource,
    Settings,
    all_of,
    any_of,
    judge_apart,
    judge_each,
    rule,
)
from llmops_infra.policies.runtime.stack import Stack

_NOT_YET = (UnknownValueError, CannotJudge)

ALL_PROTOCOLS = ("-1", "all")  # protocol -1 ignores the port range: every port is open
TLS_PROTOCOLS = ("HTTPS", "TLS")
EDGE_PORT = 443
# Pulumi auto-names a load balancer with no `name` as its logical name, "-" and 7 hex characters; its ARN is
# arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/<app|net|gwy>/<name>/<id>.
_LB_ARN_NAME = re.compile(r"arn:[^:]+:elasticloadbalancing:[^:]*:[^:]*:loadbalancer/[^/]+/(?P<name>[^/]+)/[^/]+")


class Entry(NamedTuple):
    """One ingress permission: where it is written, the permission, and how its protocol and CIDRs are spelled."""

    where: str
    props: Any  # a map of the permission's inputs
    protocol_key: str
    cidr_keys: tuple[str, ...]


# An entry as its judge reads it: reading it may meet a value unknown at preview (an ingress element, a rule's
# type), which then stops that judge only. None: not an ingress permission (an egress security group rule).
Reader = Callable[[], Entry | None]


def _only_edge_port(entry: Entry) -> bool:
    """Whether the entry admits port 443 alone: not every protocol, and both ports 443. Each decided on its own,
    so one known otherwise settles it whatever another hides."""
    return all_of(
        (
            lambda: not _every_protocol(entry.props.get(entry.protocol_key)),
            lambda: number(entry.props.get("fromPort")) == EDGE_PORT,
            lambda: number(entry.props.get("toPort")) == EDGE_PORT,
        )
    )


def _every_protocol(protocol: Any) -> bool:
    return isinstance(protocol, str) and protocol.strip().lower() in ALL_PROTOCOLS


def _open_sources(entry: Entry) -> list[str]:
    """The entry's CIDRs that admit every address, each read on its own: those known, unless none is known to be
    open and one is unknown at preview (then CannotJudge: it may be open)."""
    found: list[str] = []
    undecided: Exception | None = None
    for key in entry.cidr_keys:
        try:
            cidrs = one_or_many(entry.props.get(key))
        except _NOT_YET as error:
            undecided = error
            continue
        for index in range(len(cidrs)):
            try:
                cidr = cidrs[index]
            except _NOT_YET as error:
                undecided = error
                continue
            if is_open_cidr(cidr):
                found.append(cidr)
    if not found and undecided is not None:
        raise CannotJudge("a CIDR is unknown at preview") from undecided
    return found


def _ingress_entry(resource: Resource, ingress: Sequence[Any], index: int) -> Entry:
    return Entry(
        f"{label(resource)} ingress[{index}]", mapping(ingress[index]), "protocol", ("cidrBlocks", "ipv6CidrBlocks")
    )


def _rule_entry(resource: Resource) -> Entry | None:
    if resource.props.get("type") != "ingress":
        return None
    return Entry(label(resource), resource.props, "protocol", ("cidrBlocks", "ipv6CidrBlocks"))


def _own_entries(resource: Resource) -> list[Reader]:
    """The ingress permissions a group, ingress rule or security group rule writes itself, each left unread."""
    if resource.type == SECURITY_GROUP:
        ingress = listed(resource.props.get("ingress"))
        return [partial(_ingress_entry, resource, ingress, index) for index in range(len(ingress))]
    if resource.type == INGRESS_RULE:
        return [lambda: Entry(label(resource), resource.props, "ipProtocol", ("cidrIpv4", "cidrIpv6"))]
    return [partial(_rule_entry, resource)]


def _group_entries(group: Resource, stack: Stack) -> list[Reader]:
    """Every ingress permission of a group: its own and its standalone rules'."""
    entries = _own_entries(group)
    for companion in stack.companions(group, (INGRESS_RULE, SECURITY_GROUP_RULE), "securityGroupId"):
        entries += _own_entries(companion)
    return entries


def _shown(entry: Entry, key: str) -> str:
    # What an entry admits, as a message describes it: a value unknown at preview is shown as such.
    return known(lambda: shown(entry.props.get(key)), SHOWN_UNKNOWN)


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
    # The groups it names and what the groups in the stack admit, apart: the groups are linked by the engine's
    # property dependencies, so an unknown securityGroups value hides nothing they admit.
    yield from judge_apart(partial(_groups_unseen, lb, stack), partial(_groups_admit_more, lb, stack))


def _groups_unseen(lb: Resource, stack: Stack) -> Iterator[str]:
    given = listed(lb.props.get("securityGroups"))
    groups = _linked(stack, (SECURITY_GROUP,), lb, "securityGroups")
    if not given:
        yield "it has no securityGroups, so nothing limits it to port 443"
    elif len(groups) < len(given):
        yield (
            f"{len(given) - len(groups)} of its securityGroups are not in the stack, so what they admit cannot be seen"
        )


def _groups_admit_more(lb: Resource, stack: Stack) -> Iterator[str]:
    def judge(index: int, read: Reader) -> Iterator[str]:
        entry = read()
        if entry is not None and not _only_edge_port(entry):
            ports = f"{_shown(entry, 'fromPort')}-{_shown(entry, 'toPort')}"
            yield f"{entry.where} admits protocol {_shown(entry, entry.protocol_key)} ports {ports}, not only 443"

    groups = _linked(stack, (SECURITY_GROUP,), lb, "securityGroups")
    yield from judge_each(groups, lambda _, group: judge_each(_group_entries(group, stack), judge))


def edge_problems(lb: Resource, stack: Stack) -> Iterator[str]:
    """Why an internet-facing load balancer is not an edge (none: it is one). Each listener and each ingress
    entry is judged on its own; one whose values are unknown leaves the answer undecided (CannotJudge)."""
    yield from judge_each([_listener_problems, _group_problems], lambda _, part: part(lb, stack))


def _internet_facing(lb: Resource) -> bool:
    # `internal` defaults to false: a load balancer that does not say it is internal faces the internet. Gateway
    # load balancers take no scheme and receive traffic only through their VPC endpoints. Either known otherwise
    # settles it.
    return all_of(
        (lambda: not is_true(lb.props.get("internal")), lambda: word(lb.props.get("loadBalancerType")) != "GATEWAY")
    )


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
    return any_of(partial(_is_an_edge, lb, stack) for lb in fronted)


def _is_an_edge(lb: Resource, stack: Stack) -> bool:
    # One known problem settles it (not an edge) even when another part, or the scheme, is still unknown.
    return all_of((partial(_internet_facing, lb), lambda: next(edge_problems(lb, stack), None) is None))


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
    # A standalone rule's group is the one its securityGroupId was computed from.
    groups = (
        [resource]
        if resource.type == SECURITY_GROUP
        else _linked(stack, (SECURITY_GROUP,), resource, "securityGroupId")
    )

    def judge(index: int, read: Reader) -> Iterator[str]:
        entry = read()
        if entry is None:
            return
        sources = ", ".join(_open_sources(entry))
        if not sources:
            return
        try:
            edge_port: bool | None = _only_edge_port(entry)
        except _NOT_YET:
            edge_port = None  # undecided: only a group that fronts an edge would need it decided
        # Only 443 may be excused, by a group that fronts an edge; a port not known to be 443 is reported
        # without saying it is 443.
        if edge_port is not False and any_of(partial(_fronts_an_edge, group, stack) for group in groups):
            if edge_port is None:
                raise CannotJudge("whether the entry admits only 443 is unknown at preview")
            return
        if edge_port:
            yield (
                f"{entry.where} allows ingress from {sources} on 443, but its group fronts no internet-facing load "
                "balancer with only HTTPS/TLS listeners and only 443 admitted"
            )
        else:
            yield f"{entry.where} allows ingress from {sources}"

    yield from judge_each(_own_entries(resource), judge)
