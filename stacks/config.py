"""Read the environment's platform config into a validated spec: the first step of the stack program.

The same function serves `pulumi up` (values from pulumi.Config) and `llmops` (values from the stack file),
so a bad config gets the same message either way, before any resource is registered.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from llmops_infra.components.config.platform import parse_platform
from llmops_infra.components.spec import PlatformSpec, Problem, SpecError

PLATFORM_KEY = "llmops-infra:platform"
# Where each cloud target's provider reads its region; the platform's region is that value.
REGION_KEYS = {"aws": "aws:region", "gcp": "gcp:region"}

ConfigGetter = Callable[[str], "str | None"]


def platform_from_config(get: ConfigGetter, source: str) -> PlatformSpec:
    raw = get(PLATFORM_KEY)
    if raw is None:
        raise SpecError([Problem((), None, "missing: every environment declares its platform here")], source)
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        data = raw  # a plain string: parse_platform says it must be a mapping
    if isinstance(data, dict):
        data = _with_provider_region(data, get, source)
    spec = parse_platform(data, source)
    missing = [
        Problem(path, key, f"no such config value; set it with `pulumi config set --secret {key} < kubeconfig`")
        for path, key in _kubeconfig_keys(spec)
        if get(key) is None
    ]
    if missing:
        raise SpecError(missing, source)
    return spec


def _kubeconfig_keys(spec: PlatformSpec) -> list[tuple[tuple[str | int, ...], str]]:
    """The secret config keys that hold kubeconfigs of existing clusters, with where the platform names them."""
    keys: list[tuple[tuple[str | int, ...], str]] = []
    if "onprem" in spec.targets and spec.onprem is not None:
        keys.append((("onprem", "kubeconfigKey"), spec.onprem.kubeconfig_key))
    if "edge" in spec.targets and spec.edge is not None:
        keys += [
            (("edge", "sites", i, "kubeconfigKey"), site.kubeconfig_key)
            for i, site in enumerate(spec.edge.sites)
            if site.kubeconfig_key is not None
        ]
    return keys


def _with_provider_region(data: dict, get: ConfigGetter, source: str) -> dict:
    """The platform's region is the provider's (`aws:region`, `gcp:region`), so a stack states it once, where
    Pulumi reads it. A platform has one region, so one stack deploys to one cloud."""
    targets = data.get("targets")
    targets = targets if isinstance(targets, list) else []
    clouds = [t for t in REGION_KEYS if t in targets]
    if len(clouds) > 1:
        raise SpecError(
            [
                Problem(
                    ("targets",),
                    targets,
                    f"names more than one cloud ({', '.join(clouds)}); a platform has one region, so use one stack "
                    "per cloud",
                )
            ],
            source,
        )
    for target in clouds:
        key = REGION_KEYS[target]
        provider_region = get(key)
        if provider_region is None:
            continue
        if "region" in data and data["region"] != provider_region:
            raise SpecError(
                [
                    Problem(
                        ("region",),
                        data["region"],
                        f"differs from {key} ({provider_region}); set the region once, in {key}",
                    )
                ],
                source,
            )
        return {**data, "region": provider_region}
    return data
