"""What every section of the platform value shares: the base model, the types more than one section uses, and
the Problem and SpecError every check reports with.

Keys are camelCase in YAML (Pulumi's convention) and snake_case in Python. This module imports nothing of the
project, so each section's module (aws.py, gcp.py, ...) builds on it and platform.py composes them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

Target = Literal["aws", "gcp", "onprem", "hybrid", "edge"]
# Targets that deploy into a cloud region (hybrid joins the aws target's EKS cluster).
REGIONAL_TARGETS: tuple[Target, ...] = ("aws", "gcp", "hybrid")
Framework = Literal["hipaa", "gdpr"]
Classification = Literal["phi", "personal", "internal", "public"]
PoolRole = Literal["training", "inference"]
# Taint effects as EKS and GKE name them, and the Kubernetes names (Node objects, autoscaler tags) they stand for.
TaintEffect = Literal["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"]
KUBERNETES_EFFECT: dict[str, str] = {
    "NO_SCHEDULE": "NoSchedule",
    "NO_EXECUTE": "NoExecute",
    "PREFER_NO_SCHEDULE": "PreferNoSchedule",
}

DnsLabel = Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")]
KubernetesLabelValue = Annotated[str, Field(pattern=r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")]
# A namespaced config key (`<namespace>:<key>`), as Pulumi stores it.
ConfigKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+$")]
# A container image pinned by its digest, so a site runs exactly the bytes that were reviewed.
PinnedImage = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64}$")]
KubernetesName = Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")]  # e.g. node names


@dataclass(frozen=True)
class OneOf:
    """Field metadata of a number that takes only some values, so a message can suggest the nearest allowed one
    (`up`: the next larger one, for a minimum such as a retention). The field's validator enforces the values."""

    values: tuple[int, ...]
    what: str
    up: bool = False

    def nearest(self, value: int) -> int:
        if self.up:
            return next((v for v in sorted(self.values) if v >= value), max(self.values))
        return min(self.values, key=lambda v: (abs(v - value), v))


class Model(BaseModel):
    """The base of every spec model: unknown keys are refused, keys are camelCase in config (snake_case in
    Python, either accepted), and a spec is immutable once built."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)
    # Keys a model no longer takes, and what to write instead: the message for such a key says so (messages.py).
    REPLACED_KEYS: ClassVar[Mapping[str, str]] = {}


class Taint(Model):
    """A Kubernetes taint a pool's nodes carry besides the accelerator taint every pool gets."""

    key: str = Field(
        min_length=1,
        max_length=253,
        description="Taint key, 1 to 253 characters (e.g. `dedicated`). A taint with the key and effect of the "
        "pool's accelerator taint is dropped: that one is always added first.",
    )
    value: KubernetesLabelValue = Field(
        default="",
        description="Taint value: a Kubernetes label value (at most 63 of letters, digits, `-`, `_`, `.`, "
        "alphanumeric at both ends); default empty.",
    )
    effect: TaintEffect = Field(
        default="NO_SCHEDULE",
        description="`NO_SCHEDULE` (default), `NO_EXECUTE` or `PREFER_NO_SCHEDULE`, as EKS and GKE name them; "
        "Node objects and cluster-autoscaler tags get the Kubernetes names (`NoSchedule`, `NoExecute`, "
        "`PreferNoSchedule`).",
    )


def private_cidr(cidr: ipaddress.IPv4Network, smallest: int = 8, largest: int = 29) -> ipaddress.IPv4Network:
    if not cidr.is_private or not smallest <= cidr.prefixlen <= largest:
        raise ValueError(f"must be a private (RFC 1918) IPv4 range from /{smallest} to /{largest}")
    return cidr


# ---- errors -----------------------------------------------------------------------------------------------

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a config: where (key path under the platform value), the value, and what is allowed."""

    path: Path
    value: Any
    message: str


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class SpecError(Exception):
    """A config that cannot be turned into a spec. `str()` is the whole message a user sees."""

    def __init__(self, problems: Iterable[Problem], source: str = "config", root: str = "llmops-infra:platform"):
        self.problems = list(problems)
        self.source = source
        self.root = root
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        lines = [f"{self.source}: {count} problem{'s' if count != 1 else ''} in {self.root}:"]
        for p in self.problems:
            key = ".".join(x for x in (self.root, format_path(p.path)) if x)
            shown = "" if p.value is MISSING else f" = {p.value!r}"
            lines.append(f"  {key}{shown}: {p.message}")
        return "\n".join(lines)


MISSING: Any = object()  # a Problem's value when the key is absent (rendered without "= value")
