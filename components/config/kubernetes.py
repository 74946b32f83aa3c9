"""Config checks of the kubernetes baseline and of what spans the Kubernetes targets, before any resource exists.

Each check yields Problems whose path is the key under the platform value and whose message says what to change.
- targets and sections: a section configures its target; one without the other is a typo or a half-made change.
- pools: names are node labels and resource names of one platform, unique across every kind of pool.
- kubernetes: NVIDIA GPU Operator "Time-Slicing GPUs in Kubernetes" shows time-slicing together with MIG (its
  a100-40gb example sets migStrategy mixed and time-slices MIG resources), so time slicing with a MIG strategy is
  NOT refused.
The onprem, hybrid and edge sections have their own modules beside this one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from llmops_infra.components.spec import PlatformSpec, Problem

# Namespaces a team may admit traffic from besides other teams: the privileged system namespaces.
SYSTEM_NAMESPACES = ("kube-system", "gpu-operator")
SECTIONS = ("onprem", "hybrid", "edge")


def check_kubernetes(spec: PlatformSpec) -> list[Problem]:
    return [*_targets(spec), *_pools(spec), *_teams(spec)]


# ---- targets and their sections -------------------------------------------------------------------------------


def _targets(spec: PlatformSpec) -> Iterator[Problem]:
    for section in SECTIONS:
        present = getattr(spec, section) is not None
        if section in spec.targets and not present:
            yield Problem(
                (section,),
                None,
                f"required key is missing: target {section} needs a {section} section (see the README)",
            )
        elif present and section not in spec.targets:
            yield Problem(
                (section,),
                "...",
                f"target {section} is not in targets, so this section would be ignored; add {section} to targets "
                "or remove the section",
            )
    if "hybrid" in spec.targets and "aws" not in spec.targets:
        yield Problem(
            ("targets",),
            list(spec.targets),
            "target hybrid joins the EKS cluster of the aws target; add aws to targets",
        )


# ---- pools --------------------------------------------------------------------------------------------------


def _pools(spec: PlatformSpec) -> Iterator[Problem]:
    # Pool names become node labels and resource names of one platform: unique across every kind of pool.
    # aws_rules already reports duplicates inside acceleratorPools, so only names seen in another list count here.
    seen: dict[str, tuple[str, tuple]] = {}
    named: list[tuple[str, tuple, str]] = [
        ("aws.acceleratorPools", ("aws", "acceleratorPools", i), p.name)
        for i, p in enumerate(spec.aws_or_default.accelerator_pools)
    ]
    for section in ("onprem", "hybrid"):
        owner = getattr(spec, section)
        if owner is None:
            continue
        named += [(f"{section}.pools", (section, "pools", i), p.name) for i, p in enumerate(owner.pools)]
        yield from _nodes(owner.pools, section)
    for listing, at, name in named:
        first = seen.get(name)
        if first is not None and (first[0] != listing or listing != "aws.acceleratorPools"):
            yield Problem(
                (*at, "name"),
                name,
                f"pool name already used by {_key(first[1])}; pool names must be unique across aws.acceleratorPools, "
                "onprem.pools and hybrid.pools",
            )
        seen.setdefault(name, (listing, at))


def _nodes(pools: Sequence, section: str) -> Iterator[Problem]:
    owner: dict[str, str] = {}
    for i, pool in enumerate(pools):
        for j, node in enumerate(pool.nodes):
            if node in owner:
                yield Problem(
                    (section, "pools", i, "nodes", j),
                    node,
                    f"node is already in {owner[node]}; a node belongs to one pool (its labels and taint are the "
                    "pool's)",
                )
            else:
                owner[node] = f"{section}.pools[{i}] ({pool.name})"


def _key(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# ---- kubernetes ---------------------------------------------------------------------------------------------


def _teams(spec: PlatformSpec) -> Iterator[Problem]:
    teams = spec.kubernetes.teams
    names = [t.name for t in teams]
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            yield Problem(("kubernetes", "teams", i, "name"), name, "another team already has this name; team "
                          "names must be unique (each is a namespace)")  # fmt: skip
        seen.add(name)
    allowed = sorted(set(names)) + list(SYSTEM_NAMESPACES)
    for i, team in enumerate(teams):
        for j, namespace in enumerate(team.allow_from_namespaces):
            if namespace not in names and namespace not in SYSTEM_NAMESPACES:
                yield Problem(
                    ("kubernetes", "teams", i, "allowFromNamespaces", j),
                    namespace,
                    f"not a team or system namespace; allowed: {', '.join(allowed)}",
                )
