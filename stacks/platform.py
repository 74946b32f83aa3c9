"""Compose the platform for each target an environment names; each target adds its stack outputs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from components.spec import PlatformSpec, Problem, SpecError
from stacks.aws import deploy_aws
from stacks.gcp import deploy_gcp

Deployer = Callable[[PlatformSpec], dict[str, Any]]

DEPLOYERS: dict[str, Deployer] = {"aws": deploy_aws, "gcp": deploy_gcp}


def deploy(spec: PlatformSpec, source: str = "config") -> dict[str, Any]:
    missing = [
        Problem(("targets", i), target, f"no deployer for this target yet; available: {', '.join(DEPLOYERS)}")
        for i, target in enumerate(spec.targets)
        if target not in DEPLOYERS
    ]
    if missing:
        raise SpecError(missing, source)
    outputs: dict[str, Any] = {"region": spec.region, "compliance": list(spec.compliance)}
    for target in spec.targets:
        outputs.update(DEPLOYERS[target](spec))
    return outputs
