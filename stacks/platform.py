"""Compose the platform for each target an environment names; each target adds its stack outputs.

Targets deploy in a fixed order, because later ones build on earlier ones: hybrid nodes join the aws target's
EKS cluster and a Local Zone edge site is a node group of it. What a target leaves for the next is in `Deployed`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llmops_infra.components.spec import PlatformSpec, Problem, SpecError
from llmops_infra.stacks.aws import deploy_aws
from llmops_infra.stacks.deployed import Deployed
from llmops_infra.stacks.edge import deploy_edge
from llmops_infra.stacks.gcp import deploy_gcp
from llmops_infra.stacks.hybrid import deploy_hybrid
from llmops_infra.stacks.onprem import deploy_onprem

Deployer = Callable[[PlatformSpec, Deployed], dict[str, Any]]

# In deployment order.
DEPLOYERS: dict[str, Deployer] = {
    "aws": deploy_aws,
    "gcp": deploy_gcp,
    "onprem": deploy_onprem,
    "hybrid": deploy_hybrid,
    "edge": deploy_edge,
}


def deploy(spec: PlatformSpec, source: str = "config") -> dict[str, Any]:
    missing = [
        Problem(("targets", i), target, f"no deployer for this target yet; available: {', '.join(DEPLOYERS)}")
        for i, target in enumerate(spec.targets)
        if target not in DEPLOYERS
    ]
    if missing:
        raise SpecError(missing, source)
    deployed = Deployed()
    outputs: dict[str, Any] = {"region": spec.region, "compliance": list(spec.compliance)}
    for target, deployer in DEPLOYERS.items():
        if target not in spec.targets:
            continue
        for key, value in deployer(spec, deployed).items():
            # Pools and capacity accumulate over targets (a hybrid stack has cloud and on-prem pools).
            earlier = outputs.get(key)
            outputs[key] = earlier + value if isinstance(earlier, list) and isinstance(value, list) else value
    return outputs
