"""Parse a raw platform value into a PlatformSpec: its shape (the pydantic models), then every target's checks.

The models (components/spec.py) know nothing of the checks; the checks (one module per target beside this one)
read the models. This module is the one place that runs both, so the import graph has no cycle.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from llmops_infra.components.config.aws import check_platform, check_pool
from llmops_infra.components.config.gcp import check_gcp, raw_pool_problems
from llmops_infra.components.config.kubernetes import check_kubernetes
from llmops_infra.components.spec import (
    _MISSING,
    REGIONAL_TARGETS,
    AcceleratorPoolSpec,
    PlatformSpec,
    Problem,
    SpecError,
    problems_from_validation,
)


def _pool_problems(data: dict) -> list[Problem]:
    """Catalog problems of the pools that are well-formed on their own, so one run reports everything."""
    pools = data.get("acceleratorPools")
    problems: list[Problem] = []
    for i, raw in enumerate(pools if isinstance(pools, list) else []):
        try:
            pool = AcceleratorPoolSpec.model_validate(raw)
        except ValidationError:
            continue  # its shape problems are already reported with the platform's
        problems += check_pool(pool, ("acceleratorPools", i))
    return problems + raw_pool_problems(data)


def parse_platform(data: Any, source: str = "config") -> PlatformSpec:
    """Validate a raw platform value completely; raise SpecError naming every problem, or return the spec."""
    if not isinstance(data, dict):
        raise SpecError([Problem((), data, "must be a mapping of keys (targets, owner, network, ...)")], source)
    try:
        spec = PlatformSpec.model_validate(data)
    except ValidationError as error:
        raise SpecError(problems_from_validation(error, PlatformSpec) + _pool_problems(data), source) from None
    regional = [t for t in spec.targets if t in REGIONAL_TARGETS]
    if spec.region is None and regional:
        message = f"required key is missing: target {regional[0]} deploys into a cloud region"
        raise SpecError([Problem(("region",), _MISSING, message)], source)
    problems = check_platform(spec) + check_gcp(spec) + check_kubernetes(spec)
    if problems:
        raise SpecError(problems, source)
    return spec
