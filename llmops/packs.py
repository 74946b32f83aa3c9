"""The policy packs this distribution ships: find them by name, and build a standalone copy for publishing.

The packs live in `llmops_infra/policies/<name>/` wherever the distribution is (a clone or site-packages), so
`llmops pack path hipaa` works from any directory. `llmops pack build` writes a pack that needs nothing of this
distribution: its own PulumiPolicy.yaml (with the installed version), its `__main__.py`, the rule library
vendored beside it under the same import root, and a requirements.txt of public packages. That directory is what
`pulumi policy publish` uploads and what Pulumi Cloud runs.
"""

from __future__ import annotations

import shutil
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import yaml

import llmops_infra
import llmops_infra.policies
from llmops_infra.cli.stackfile import InputError

PACK_FILE = "PulumiPolicy.yaml"
PACKS_DIR = Path(llmops_infra.policies.__file__).resolve().parent
IMPORT_ROOT = Path(llmops_infra.__file__).resolve().parent

# What a built pack vendors: the import root's and the policies package's __init__ and the whole rule library.
# The rules import only the standard library, pulumi and pulumi_policy (tests/policies/test_standalone_pack.py).
_VENDORED = ("__init__.py", "policies/__init__.py", "policies/rules")


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
