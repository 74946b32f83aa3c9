"""Parse a raw platform value into a PlatformSpec: its shape (the pydantic models), then every target's checks.

The models (components/spec.py) know nothing of the checks; the checks (one module per target beside this one)
read the models. This module is the one place that runs both, so the import graph has no cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from llmops_infra.components.config.aws import check_aws, check_pool
from llmops_infra.components.config.edge import check_edge
from llmops_infra.components.config.gcp import check_gcp, raw_pool_problems
from llmops_infra.components.config.hybrid import check_hybrid
from llmops_infra.components.config.kubernetes import check_kubernetes
from llmops_infra.components.config.messages import problems_from_validation
from llmops_infra.components.config.onprem import check_onprem
from llmops_infra.components.spec import (
    MISSING,
    REGIONAL_TARGETS,
    AcceleratorPoolSpec,
    PlatformSpec,
    Problem,
    SpecError,
)

# Each section's checks, in the order of the deployers (stacks/platform.py DEPLOYERS), then the kubernetes
# baseline every cluster gets (and what spans the sections: targets, pool names). Adding a target adds its row.
CHECKS: dict[str, Callable[[PlatformSpec], list[Problem]]] = {
    "aws": check_aws,
    "gcp": check_gcp,
    "onprem": check_onprem,
    "hybrid": check_hybrid,
    "edge": check_edge,
    "kubernetes": check_kubernetes,
}


def _pool_problems(data: dict) -> list[Problem]:
    """Catalog problems of the pools that are well-formed on their own, so one run reports everything."""
    section = data.get("aws")
    pools = section.get("acceleratorPools") if isinstance(section, dict) else None
    problems: list[Problem] = []
    for i, raw in enumerate(pools if isinstance(pools, list) else []):
        try:
            pool = AcceleratorPoolSpec.model_validate(raw)
        except ValidationError:
            continue  # its shape problems are already reported with the platform's
        problems += check_pool(pool, ("aws", "acceleratorPools", i))
    return problems + raw_pool_problems(data)


def parse_platform(data: Any, source: str = "config") -> PlatformSpec:
    """Validate a raw platform value completely; raise SpecError naming every problem, or return the spec."""
    if not isinstance(data, dict):
        raise SpecError([Problem((), data, "must be a mapping of keys (targets, owner, aws, gcp, ...)")], source)
    try:
        spec = PlatformSpec.model_validate(data)
    except ValidationError as error:
        raise SpecError(problems_from_validation(error, PlatformSpec) + _pool_problems(data), source) from None
    regional = [t for t in spec.targets if t in REGIONAL_TARGETS]
    if spec.region is None and regional:
        message = f"required key is missing: target {regional[0]} deploys into a cloud region"
        raise SpecError([Problem(("region",), MISSING, message)], source)
    problems = [problem for check in CHECKS.values() for problem in check(spec)]
    if problems:
        raise SpecError(problems, source)
    return spec
