"""The policy packs this distribution ships: find them by name, and build a standalone copy for publishing.

The packs live in `llmops_infra/policies/<name>/` wherever the distribution is (a clone or site-packages), so
`llmops pack path hipaa` works from any directory. `llmops pack build` writes a pack that needs nothing of this
distribution: its own PulumiPolicy.yaml (with the installed version), its `__main__.py`, the rule library
vendored beside it under the same import root, and a requirements.txt of public packages. That directory is what
`pulumi policy publish` uploads and what Pulumi Cloud runs.
"""

from __future__ import annotations

import difflib
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import yaml

import llmops_infra
import llmops_infra.policies
from llmops_infra.cli.findings import PackSource
from llmops_infra.cli.stackfile import InputError, Stack

PACK_FILE = "PulumiPolicy.yaml"
PACKS_DIR = Path(llmops_infra.policies.__file__).resolve().parent
IMPORT_ROOT = Path(llmops_infra.__file__).resolve().parent

# What a built pack vendors: the import root's and the policies package's __init__, the rules and their runtime.
# They import only the standard library, pulumi and pulumi_policy (tests/test_pack_commands.py holds that).
_VENDORED = ("__init__.py", "policies/__init__.py", "policies/runtime", "policies/rules")


def distribution_version() -> str:
    try:
        return version("llmops-infra")
    except PackageNotFoundError:  # a clone used without installing: the version the packs carry in the tree
        return "0.0.0"


def available_packs() -> dict[str, Path]:
    """The shipped packs by name: every directory of llmops_infra.policies with a PulumiPolicy.yaml."""
    return {d.name: d for d in sorted(PACKS_DIR.iterdir()) if (d / PACK_FILE).is_file()}


def pack_dir(name: str) -> Path:
    """A pack named on the command line: a shipped pack's name, or the path of any pack directory."""
    known = available_packs()
    if name in known:
        return known[name]
    path = Path(name)
    if (path / PACK_FILE).is_file():
        return path.resolve()
    names = ", ".join(known) or "none"
    if path.is_dir():
        raise InputError(f"{name}: not a policy pack directory (it has no {PACK_FILE}); shipped packs: {names}")
    raise InputError(
        f"unknown policy pack '{name}': the shipped packs are {names} (or give a directory with {PACK_FILE})"
    )


def shipped_pack(name: str) -> Path:
    """Only a shipped pack's name (for `pack path` and `pack build`, which have no use for a directory)."""
    known = available_packs()
    if name not in known:
        raise InputError(f"unknown policy pack '{name}': the shipped packs are {', '.join(known) or 'none'}")
    return known[name]


def build(name: str, outdir: Path) -> Path:
    """Write a self-contained copy of pack NAME into OUTDIR (new, or empty) and return it."""
    source = shipped_pack(name)
    if outdir.exists() and (not outdir.is_dir() or any(outdir.iterdir())):
        raise InputError(f"{outdir}: exists and is not an empty directory; give a new or empty one")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        for part in _VENDORED:
            origin, target = IMPORT_ROOT / part, outdir / "llmops_infra" / part
            if origin.is_dir():
                shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(origin, target)
        shutil.copyfile(source / "__main__.py", outdir / "__main__.py")
        shutil.copyfile(source / "requirements.txt", outdir / "requirements.txt")
        (outdir / PACK_FILE).write_text(_standalone_project(source / PACK_FILE), encoding="utf-8")
    except OSError as error:
        raise InputError(f"{outdir}: cannot write the pack: {error.strerror or error}") from None
    return outdir


def _standalone_project(shipped: Path) -> str:
    project = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    project["version"] = distribution_version()
    # Pulumi creates this virtualenv inside the pack and installs requirements.txt into it on first use.
    project["runtime"] = {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    return yaml.safe_dump(project, sort_keys=False)


# ---- which packs judge a stack ---------------------------------------------------------------------------------

PACKS_KEY = "llmops:packs"  # any stack's declaration: `llmops:packs: [hipaa]` in Pulumi.<stack>.yaml


@dataclass(frozen=True)
class StackPacks:
    """The packs that judge one stack, and where that choice came from (the report says which)."""

    names: tuple[str, ...]
    source: PackSource


def stack_packs(stack: Stack, requested: Sequence[str]) -> StackPacks:
    """`--pack` names win; else the stack's declaration; else every shipped pack (never reported passed)."""
    if requested:
        return StackPacks(tuple(requested), "requested")
    declared = _declared(stack)
    if declared is None:
        return StackPacks(tuple(available_packs()), "default")
    return StackPacks(declared, "declared" if declared else "opted-out")


def _declared(stack: Stack) -> tuple[str, ...] | None:
    from llmops_infra.stacks.config import PLATFORM_KEY, platform_from_config  # the config models: when needed

    settings = stack.settings
    own = _packs_key(stack) if PACKS_KEY in settings.config else None
    platform = None
    if PLATFORM_KEY in settings.config:
        platform = tuple(platform_from_config(settings.get, source=stack.display_file).compliance) or None
    if own is not None and platform is not None and set(own) != set(platform):
        raise InputError(
            f"{stack.display_file}: {PACKS_KEY} = {list(own)} but {PLATFORM_KEY}.compliance = {list(platform)}: "
            f"declare the packs once (keep {PACKS_KEY})"
        )
    return own if own is not None else platform


def _packs_key(stack: Stack) -> tuple[str, ...]:
    raw = stack.settings.config[PACKS_KEY]
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw  # a single name, written without brackets
    names = [value] if isinstance(value, str) else value
    known = available_packs()
    allowed = f"a list of {', '.join(known)} or pack directories, or [] to opt out"
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise InputError(f"{stack.display_file}: {PACKS_KEY} = {raw}: give {allowed}")
    for name in names:
        if name not in known and not (stack.project.root / name / PACK_FILE).is_file():
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise InputError(f"{stack.display_file}: {PACKS_KEY} = {raw}: no pack {name!r}; {hint}allowed: {allowed}")
    # A directory is relative to the project, as the CLI's --policy-pack is relative to where it runs.
    return tuple(n if n in known else str(stack.project.root / n) for n in names)
