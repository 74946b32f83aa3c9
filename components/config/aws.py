"""Preconditions that check a platform spec against the AWS catalog before any resource exists.

Each check takes one pool (or the platform) and yields Problems whose message says what to change. They run
in order; a pool whose instance type is unknown gets only that problem, since every other check needs it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator

from llmops_infra.components.catalog import aws
from llmops_infra.components.spec import AcceleratorPoolSpec, PlatformSpec, Problem

PoolCheck = Callable[[AcceleratorPoolSpec, aws.InstanceType, tuple], Iterator[Problem]]


def _instance_type(pool: AcceleratorPoolSpec, at: tuple) -> Iterator[Problem]:
    if aws.lookup(pool.instance_type) is None:
        known = aws.known_instance_types()
        close = difflib.get_close_matches(pool.instance_type, known, n=3)
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        yield Problem(
            (*at, "instanceType"),
            pool.instance_type,
            f"not an accelerated instance type in the catalog; {hint}known: {', '.join(known)}",
        )


def _ami_type(pool: AcceleratorPoolSpec, it: aws.InstanceType, at: tuple) -> Iterator[Problem]:
    if pool.ami_type is None:
        return
    ami = aws.AMI_TYPES.get(pool.ami_type)
    fits = sorted(a.name for a in aws.AMI_TYPES.values() if (a.vendor, a.arch) == (it.family.vendor, it.family.arch))
    if ami is None or (ami.vendor, ami.arch) != (it.family.vendor, it.family.arch):
        if ami is None:
            why = "not an EKS accelerator AMI type"
        else:
            why = f"an AMI for {ami.vendor or 'no accelerator'} on {ami.arch}"
        yield Problem(
            (*at, "amiType"),
            pool.ami_type,
            f"{why}, but {pool.instance_type} carries {it.family.accelerator} ({it.family.vendor}, "
            f"{it.family.arch}); allowed: {', '.join(fits)}",
        )


def _efa(pool: AcceleratorPoolSpec, it: aws.InstanceType, at: tuple) -> Iterator[Problem]:
    if pool.efa and it.efa_interfaces == 0:
        with_efa = sorted(f"{it.family.name}.{s}" for s, size in it.family.sizes.items() if size.efa_interfaces)
        alternatives = f"EFA types in this family: {', '.join(with_efa)}" if with_efa else "set efa: false"
        yield Problem((*at, "efa"), pool.efa, f"{pool.instance_type} has no EFA interfaces; {alternatives}")


def _sizes(pool: AcceleratorPoolSpec, it: aws.InstanceType, at: tuple) -> Iterator[Problem]:
    if pool.min_size > pool.max_size:
        yield Problem((*at, "minSize"), pool.min_size, f"must be at most maxSize ({pool.max_size})")
    elif not pool.min_size <= pool.desired <= pool.max_size:
        yield Problem(
            (*at, "desiredSize"),
            pool.desired_size,
            f"must lie between minSize ({pool.min_size}) and maxSize ({pool.max_size})",
        )


def _capacity(pool: AcceleratorPoolSpec, it: aws.InstanceType, at: tuple) -> Iterator[Problem]:
    capacity = aws.CAPACITY_TYPES[pool.capacity_type]
    if capacity.needs_reservation and pool.capacity_reservation_id is None:
        yield Problem(
            (*at, "capacityReservationId"),
            None,
            f"capacityType {capacity.name} needs the reservation id of the block (cr-...)",
        )
    if pool.capacity_reservation_id and not capacity.allows_reservation:
        yield Problem(
            (*at, "capacityReservationId"),
            pool.capacity_reservation_id,
            f"a capacity reservation cannot back {capacity.name} capacity; use ON_DEMAND or CAPACITY_BLOCK",
        )


def _placement_group(pool: AcceleratorPoolSpec, it: aws.InstanceType, at: tuple) -> Iterator[Problem]:
    # A reservation or capacity block fixes where instances land; a placement group on top of one makes
    # launches fail unless the reservation was made in that group, so the two are kept apart.
    if pool.placement_group and pool.capacity_reservation_id:
        yield Problem(
            (*at, "placementGroup"),
            True,
            "cannot be combined with capacityReservationId: the reservation decides placement; drop placementGroup",
        )


POOL_CHECKS: tuple[PoolCheck, ...] = (_ami_type, _efa, _sizes, _capacity, _placement_group)


def check_pool(pool: AcceleratorPoolSpec, at: tuple) -> list[Problem]:
    unknown = list(_instance_type(pool, at))
    if unknown:
        return unknown
    it = aws.lookup(pool.instance_type)
    assert it is not None
    return [problem for check in POOL_CHECKS for problem in check(pool, it, at)]


def _unique(names: list[str], *at: str) -> Iterator[Problem]:
    seen: set[str] = set()
    key = ".".join(at)
    for i, name in enumerate(names):
        if name in seen:
            yield Problem((*at, i, "name"), name, f"another entry in {key} already has this name; names must be unique")
        seen.add(name)


def _system_nodes(spec: PlatformSpec) -> Iterator[Problem]:
    nodes = spec.aws_or_default.cluster.system_nodes
    if nodes.min_size > nodes.max_size:
        yield Problem(
            ("aws", "cluster", "systemNodes", "minSize"),
            nodes.min_size,
            f"must be at most maxSize ({nodes.max_size})",
        )


def _section(spec: PlatformSpec) -> Iterator[Problem]:
    if spec.aws is not None and "aws" not in spec.targets:
        yield Problem(
            ("targets",),
            list(spec.targets),
            "does not name aws, but the aws section is set; add aws to targets or remove the aws section",
        )


def check_aws(spec: PlatformSpec) -> list[Problem]:
    problems = [*_section(spec), *_system_nodes(spec)]
    problems += _unique([p.name for p in spec.aws_or_default.accelerator_pools], "aws", "acceleratorPools")
    problems += _unique([b.name for b in spec.buckets], "buckets")
    for i, pool in enumerate(spec.aws_or_default.accelerator_pools):
        problems += check_pool(pool, ("aws", "acceleratorPools", i))
    return problems
