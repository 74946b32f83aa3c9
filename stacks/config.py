"""Read the environment's platform config into a validated spec: the first step of the stack program.

The same function serves `pulumi up` (values from pulumi.Config) and `llmops` (values from the stack file),
so a bad config gets the same message either way, before any resource is registered. Each problem names the key
the user writes: `aws:region` for the region (the platform takes it from the provider), `llmops-infra:platform...`
for the rest.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

from llmops_infra.components.config.messages import CLOUDS, region_problem
from llmops_infra.components.config.platform import parse_platform
from llmops_infra.components.spec import MISSING, PlatformSpec, Problem, SpecError

NAMESPACE = "llmops-infra"  # this project's name, so its stack files may write `platform:` alone
PLATFORM_KEY = f"{NAMESPACE}:platform"
# Where each cloud target's provider reads its region; the platform's region is that value.
REGION_KEYS = {"aws": "aws:region", "gcp": "gcp:region"}
# Targets that join the aws target's EKS cluster, so they need it in the same platform.
NEEDS_AWS = ("hybrid",)
# This stack program (stacks/__main__.py): a project whose `main` it is must declare PLATFORM_KEY.
PROGRAM_DIR = Path(__file__).resolve().parent

ConfigGetter = Callable[[str], "str | None"]
SecretTest = Callable[[str], bool]


class StackConfigError(SpecError):
    """Problems in more than one config key of a stack (say `aws:region` and the platform): each line names its
    whole key, the first element of its path."""

    def render(self) -> str:
        count = len(self.problems)
        _, _, lines = super().render().partition("\n")
        return f"{self.source}: {count} problem{'s' if count != 1 else ''} in the stack's config:\n{lines}"


def runs_this_program(project: str, main: Path) -> bool:
    """Whether a Pulumi project is llmops-infra's stack program (by its name, or a `main` that is this program), so
    each of its stacks must declare PLATFORM_KEY; another project's stacks are not ours to judge."""
    return project == NAMESPACE or main.resolve() in (PROGRAM_DIR, PROGRAM_DIR / "__main__.py")


def platform_from_config(
    get: ConfigGetter, source: str, *, is_secret: SecretTest | None = None, keys: Iterable[str] = ()
) -> PlatformSpec:
    """The validated platform of a stack, or SpecError naming every problem with the key to change.

    `get` reads one config value; `is_secret` says whether a key holds a secret (`pulumi.runtime.is_config_secret`,
    or the stack file's `secure:` keys), so credentials in plain text are refused (None: not checked); `keys` are the
    stack's config keys, to name a misspelled platform key.
    """
    raw = get(PLATFORM_KEY)
    if raw is None:
        raise SpecError([Problem((), MISSING, _missing_platform(list(keys)))], source)
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        data = raw  # a plain string: parse_platform says it must be a mapping
    problems: list[tuple[str, Problem]] = []
    if isinstance(data, dict):
        targets = data.get("targets")
        targets = targets if isinstance(targets, list) else []
        problems += [(PLATFORM_KEY, p) for p in _target_problems(targets)]
        data, found = _with_provider_region(data, targets, get)
        problems += found
    try:
        spec = parse_platform(data, source)
    except SpecError as error:
        # The region and the targets are reported above, as the keys the user writes: not twice.
        said = {p.path for root, p in problems if root == PLATFORM_KEY} | ({("region",)} if problems else set())
        problems += [(PLATFORM_KEY, p) for p in error.problems if p.path not in said]
        raise _error(problems, source) from None
    if problems:
        raise _error(problems, source)
    credentials = _kubeconfig_problems(spec, get, is_secret)
    if credentials:
        raise SpecError(credentials, source)
    return spec


def _error(problems: list[tuple[str, Problem]], source: str) -> SpecError:
    roots = list(dict.fromkeys(root for root, _ in problems))
    if len(roots) == 1:
        return SpecError([p for _, p in problems], source, root=roots[0])
    return StackConfigError([Problem((root, *p.path), p.value, p.message) for root, p in problems], source, root="")


# ---- the platform key itself ------------------------------------------------------------------------------------


def _missing_platform(keys: list[str]) -> str:
    near = near_platform_keys(keys)
    if near:
        return f"required key is missing; the stack sets {', '.join(near)}: did you mean {PLATFORM_KEY}?"
    example = f"config: {PLATFORM_KEY}: {{targets: [aws], owner: ml-platform, ...}}"
    none = " the stack file sets no config;" if not keys else ""
    return f"required key is missing:{none} every {NAMESPACE} stack declares its platform ({example})"


def near_platform_keys(keys: Iterable[str]) -> list[str]:
    """Config keys that look like a misspelled PLATFORM_KEY: `llmops-infra:platfrom`, `llmops-infr:platform`,
    `llmops:platform` (a key close to `platform` in a namespace close to ours)."""
    near = []
    for key in keys:
        namespace, _, name = key.lower().partition(":")
        if key == PLATFORM_KEY or _distance(name, "platform") > 2:
            continue
        if _distance(namespace, NAMESPACE) <= 3 or namespace == "llmops":
            near.append(key)
    return near


def _distance(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions (a swap of two letters counts two)."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


# ---- targets and region -----------------------------------------------------------------------------------------


def _target_problems(targets: list) -> list[Problem]:
    clouds = [t for t in REGION_KEYS if t in targets]
    problems = []
    if len(clouds) > 1:
        problems.append(
            Problem(
                ("targets",),
                targets,
                f"names more than one cloud ({', '.join(clouds)}); a platform has one region, so use one stack per "
                "cloud",
            )
        )
    for target in NEEDS_AWS:
        if target in targets and "aws" not in targets:
            fixed = ["aws", *(t for t in targets if t not in REGION_KEYS)]
            problems.append(
                Problem(
                    ("targets",),
                    targets,
                    f"{target} needs the aws target (targets: [{', '.join(fixed)}]): its nodes join the aws "
                    "target's EKS cluster",
                )
            )
    return problems


def _with_provider_region(data: dict, targets: list, get: ConfigGetter) -> tuple[dict, list[tuple[str, Problem]]]:
    """The platform's region is the provider's (`aws:region`, `gcp:region`), so a stack states it once, where
    Pulumi reads it; a problem with it names that key."""
    clouds = [t for t in REGION_KEYS if t in targets]
    if len(clouds) != 1:
        return data, []  # none: nothing deploys into a cloud region; more: a problem of targets
    cloud = clouds[0]
    key = REGION_KEYS[cloud]
    provider_region = get(key)
    if provider_region is None:
        if "region" in data:
            return data, []  # the platform's own region: the spec checks it
        example = CLOUDS[cloud].examples.split(" or ")[0]
        message = (
            f"required key is missing: target {cloud} deploys into {CLOUDS[cloud].a} region; set it in the "
            f"stack file ({key}: {example}) or with `pulumi config set {key} {example}`"
        )
        return data, [(key, Problem((), MISSING, message))]
    wrong = region_problem(cloud, provider_region)
    if wrong:
        return data, [(key, Problem((), provider_region, wrong))]
    if "region" in data and data["region"] != provider_region:
        message = f"differs from {key} ({provider_region}); set the region once, in {key}"
        return data, [(PLATFORM_KEY, Problem(("region",), data["region"], message))]
    return {**data, "region": provider_region}, []


# ---- credentials ------------------------------------------------------------------------------------------------


def _kubeconfig_problems(spec: PlatformSpec, get: ConfigGetter, is_secret: SecretTest | None) -> list[Problem]:
    problems = []
    for path, key in _kubeconfig_keys(spec):
        how = f"set it with `pulumi config set --secret {key} < kubeconfig`"
        if get(key) is None:
            problems.append(Problem(path, key, f"no such config value; {how}"))
        elif is_secret is not None and not is_secret(key):
            message = f"{key} is plain text, but a kubeconfig holds credentials: it must be a secure: value; {how}"
            problems.append(Problem(path, key, message))
    return problems


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
