"""The reference docs match the code, and nothing outside docs/ cites the steering documents a clone cannot follow.

The docs checked are docs/architecture.md, docs/controls.md and docs/accelerators.md. Each test reads the code
through names that survive module moves:

- the CLI through `llmops_infra.cli.main.build_parser`;
- the rules through the registry found by attribute under `llmops_infra.policies`, and through the shipped
  packs themselves (GetAnalyzerInfo; a policy's tags[0] is its control);
- the catalog through the row types found by attribute under `llmops_infra.components.catalog`.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import pkgutil
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import llmops_infra.components.catalog
import llmops_infra.policies
from llmops_infra.cli.analyzer_host import AnalyzerInfo, PolicyPackHost
from llmops_infra.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _section(text: str, heading: re.Pattern[str]) -> str | None:
    """The text under the first markdown heading matching `heading`, up to the next heading of its level or above."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        level = len(line) - len(line.lstrip("#"))
        if level and line[level : level + 1] == " " and heading.search(line):
            end = next(
                (
                    j
                    for j in range(i + 1, len(lines))
                    if (lvl := len(lines[j]) - len(lines[j].lstrip("#"))) and lvl <= level and lines[j][lvl] == " "
                ),
                len(lines),
            )
            return "\n".join(lines[i:end])
    return None


def _modules(package: ModuleType) -> list[ModuleType]:
    """The package and every module under it (pack entry points `__main__` excluded: they start a pack)."""
    found = [package]
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if info.name.rsplit(".", 1)[-1] != "__main__":
            found.append(importlib.import_module(info.name))
    return found


# ---- docs/architecture.md: the command line -------------------------------------------------------------------

ARCHITECTURE = "architecture.md"


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser, bool]]:
    """(command path, its parser, whether it is a leaf) for every command and subcommand of the parser."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = any(isinstance(a, argparse._SubParsersAction) for a in sub._actions)
                yield (*path, name), sub, not nested
                yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(build_parser()))
LEAVES = [(path, sub) for path, sub, leaf in COMMANDS if leaf]


def _name(path: tuple[str, ...]) -> str:
    return " ".join(("llmops", *path))


def _command_section(path: tuple[str, ...]) -> str | None:
    return _section(_doc(ARCHITECTURE), re.compile(rf"`{re.escape(_name(path))}`\s*$"))


def test_the_parser_has_commands():
    assert {path[0] for path, _, _ in COMMANDS} >= {"preview", "check", "analyze", "pack"}


@pytest.mark.parametrize("path", [p for p, _, _ in COMMANDS], ids=_name)
def test_every_command_is_in_the_architecture_doc(path: tuple[str, ...]):
    assert _name(path) in _doc(ARCHITECTURE), _name(path)


@pytest.mark.parametrize(("path", "sub"), LEAVES, ids=[_name(p) for p, _ in LEAVES])
def test_every_option_is_in_its_commands_section(path: tuple[str, ...], sub: argparse.ArgumentParser):
    section = _command_section(path)
    assert section is not None, f"docs/{ARCHITECTURE} has no section headed `{_name(path)}`"
    for action in sub._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        for option in action.option_strings:
            assert re.search(rf"{re.escape(option)}(?![\w-])", section), f"{_name(path)} {option}"
        for choice in action.choices or ():
            if action.option_strings:  # positional choices (pack names) are the shipped packs, named elsewhere
                assert str(choice) in section, f"{_name(path)} {'/'.join(action.option_strings)} {choice}"


def test_only_existing_commands_are_documented_unless_planned():
    commands = {path[0] for path, _, _ in COMMANDS}
    for line in _doc(ARCHITECTURE).splitlines():
        for word in re.findall(r"(?:`|^)llmops ([a-z][a-z-]*)", line):
            assert word in commands or re.search(r"plan", line, re.IGNORECASE), f"llmops {word}: {line}"


def test_the_architecture_doc_states_the_exit_codes():
    section = _section(_doc(ARCHITECTURE), re.compile(r"Exit codes"))
    assert section is not None
    for code in ("`0`", "`1`", "`2`"):
        assert code in section


# ---- docs/controls.md: the control catalog --------------------------------------------------------------------

CONTROLS = "controls.md"


def _rules() -> list[Any]:
    """Every registered rule: the registries (a dict RULES of objects with a control) of llmops_infra.policies."""
    rules: dict[int, Any] = {}
    for module in _modules(llmops_infra.policies):
        registry = getattr(module, "RULES", None)
        if isinstance(registry, dict):
            rules |= {id(r): r for r in registry.values() if isinstance(getattr(r, "control", None), str)}
    return list(rules.values())


RULES = _rules()


@pytest.fixture(scope="module")
def pack_infos() -> Iterator[dict[str, AnalyzerInfo]]:
    packs = sorted(p.parent for p in Path(llmops_infra.policies.__file__).parent.glob("*/PulumiPolicy.yaml"))
    assert packs, "no shipped pack found"
    infos: dict[str, AnalyzerInfo] = {}
    for pack in packs:
        with PolicyPackHost(pack) as host:
            infos[pack.name] = host.info()
    yield infos


def test_the_rule_registry_is_found():
    assert len(RULES) > 10
    assert all(getattr(r, "name", None) for r in RULES)


@pytest.mark.parametrize("control", sorted({r.control for r in RULES}))
def test_every_control_of_the_rules_has_a_section(control: str):
    assert _section(_doc(CONTROLS), re.compile(rf"^## {re.escape(control)}\s*$")), control


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_every_rule_and_the_types_it_judges_are_in_its_controls_section(rule: Any):
    section = _section(_doc(CONTROLS), re.compile(rf"^## {re.escape(rule.control)}\s*$"))
    assert section is not None, rule.control
    assert f"`{rule.name}`" in section
    for token in rule.resource_types:
        assert f"`{token}`" in section, f"{rule.name}: {token}"
    for parameter in getattr(rule, "parameters", ()):
        assert f"`{parameter}`" in _doc(CONTROLS), f"{rule.name}: {parameter}"


def test_every_policy_of_every_pack_is_in_the_controls_doc(pack_infos: dict[str, AnalyzerInfo]):
    doc = _doc(CONTROLS)
    for pack, info in pack_infos.items():
        assert info.policies, pack
        for policy in info.policies:
            assert policy.tags, f"{pack} {policy.name}: no control tag"
            control = policy.tags[0]
            section = _section(doc, re.compile(rf"^## {re.escape(control)}\s*$"))
            assert section is not None, f"{pack} {policy.name}: control {control} has no section"
            assert f"`{policy.name}`" in section, f"{pack} {policy.name} not under {control}"
            stated = next((line for line in section.splitlines() if line.startswith("Clauses:")), "")
            for clause in (c.strip() for c in policy.framework_reference.split(",")):
                assert clause in stated, f"{pack} {policy.name}: clause {clause!r} of {control} not in {stated!r}"


def _region_lists() -> dict[str, Any]:
    """The data-residency region lists, by attribute: *_REGIONS tuples of region names and adequacy dicts."""
    found: dict[str, Any] = {}
    for module in _modules(llmops_infra.policies):
        for name, value in vars(module).items():
            regions = isinstance(value, (tuple, dict)) and value and all(isinstance(r, str) for r in value)
            if name.endswith("_REGIONS") and regions:
                found[name] = value
    return found


def test_the_region_lists_are_in_the_controls_doc():
    lists = _region_lists()
    assert any("ADEQUACY" in name for name in lists) and any("EU" in name for name in lists), sorted(lists)
    section = _section(_doc(CONTROLS), re.compile(r"^## Regions"))
    assert section is not None
    for name, regions in lists.items():
        for region in regions:
            assert f"`{region}`" in section, f"{name}: {region}"
        if isinstance(regions, dict):  # adequacy region -> country
            for region, country in regions.items():
                row = next((line for line in section.splitlines() if f"`{region}`" in line and "|" in line), "")
                assert country in row, f"{name}: {region} ({country})"


def test_the_controls_doc_lists_its_differences():
    assert _section(_doc(CONTROLS), re.compile(r"^## Differences from the steering catalog\s*$"))


# ---- docs/accelerators.md: the catalog ------------------------------------------------------------------------

ACCELERATORS = "accelerators.md"


def _rows() -> list[Any]:
    """Every catalog row: dataclass instances held in the dicts of llmops_infra.components.catalog's modules."""
    rows: dict[int, Any] = {}
    for module in _modules(llmops_infra.components.catalog):
        for value in vars(module).values():
            if isinstance(value, dict):
                rows |= {id(v): v for v in value.values() if dataclasses.is_dataclass(v) and not isinstance(v, type)}
    return list(rows.values())


ROWS = _rows()
FAMILIES = [r for r in ROWS if hasattr(r, "sizes") and hasattr(r, "name")]  # EC2 instance families
MACHINES = [r for r in ROWS if hasattr(r, "name") and (hasattr(r, "chips_per_node") or hasattr(r, "count"))]
GPUS = [r for r in ROWS if hasattr(r, "label") and hasattr(r, "model")]  # GKE accelerator labels


def _family(machine_type: str) -> str:
    """A GCE machine type's family: the name less its last part (a3-highgpu-8g -> a3-highgpu)."""
    return machine_type.rsplit("-", 1)[0]


def _n1_types() -> list[str]:
    types: set[str] = set()
    for module in _modules(llmops_infra.components.catalog):
        for value in vars(module).values():
            if isinstance(value, frozenset) and value and all(isinstance(t, str) for t in value):
                types |= {t for t in value if re.fullmatch(r"[a-z][a-z0-9]*-[a-z]+-\d+", t)}
    return sorted(types)


def _row_line(doc: str, name: str) -> str:
    return next((line for line in doc.splitlines() if line.startswith(f"| `{name}` |")), "")


def test_the_catalog_rows_are_found():
    assert len(FAMILIES) > 5 and len(MACHINES) > 10 and len(GPUS) > 5


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_every_instance_family_and_its_sizes_are_in_the_accelerators_doc(family: Any):
    line = _row_line(_doc(ACCELERATORS), family.name)
    assert line, f"no table row for {family.name}"
    for size, facts in family.sizes.items():
        assert f"`{size}`" in line, f"{family.name}.{size}"
        if not getattr(facts, "verified", True):
            assert "unverified" in line.split(f"`{size}`", 1)[1].split(";", 1)[0], f"{family.name}.{size}"


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.name)
def test_every_machine_type_and_its_family_are_in_the_accelerators_doc(machine: Any):
    doc = _doc(ACCELERATORS)
    line = _row_line(doc, machine.name)
    assert line, f"no table row for {machine.name}"
    assert f"`{_family(machine.name)}" in doc
    if not getattr(machine, "verified", True):
        assert "**no**" in line or "unverified" in line, machine.name


@pytest.mark.parametrize("family", sorted({_family(t) for t in _n1_types()}))
def test_every_n1_family_is_in_the_accelerators_doc(family: str):
    assert f"`{family}`" in _doc(ACCELERATORS)


@pytest.mark.parametrize("gpu", GPUS, ids=lambda g: g.label)
def test_every_gke_accelerator_is_in_the_accelerators_doc(gpu: Any):
    line = _row_line(_doc(ACCELERATORS), gpu.label)
    assert line, gpu.label
    if not getattr(gpu, "verified", True):
        assert "**no**" in line, gpu.label


def test_every_other_catalog_row_is_named_in_the_accelerators_doc():
    """AMI types, capacity types, bucket locations, CSI drivers: every row with a name is in the doc."""
    doc = _doc(ACCELERATORS)
    for row in ROWS:
        if row in FAMILIES or row in MACHINES or row in GPUS:
            continue
        name = getattr(row, "name", None) or getattr(row, "driver", None)
        if isinstance(name, str):
            assert f"`{name}`" in doc, row


def test_every_catalog_source_is_in_the_accelerators_doc():
    doc = _doc(ACCELERATORS)
    for module in _modules(llmops_infra.components.catalog):
        for name, value in vars(module).items():
            if isinstance(value, str) and value.startswith(("https://", "github.com/")):
                assert value in doc, f"{module.__name__}.{name}: {value}"


# ---- no citations of the steering documents outside docs/ -----------------------------------------------------

# The steering documents lived in a folder beside the repository, which a clone does not have. The patterns are
# written so that this file does not match itself (an escaped dot is not the text it matches).
STEERING = re.compile(
    r"\.\./shared\b"
    r"|\bshared[ /](?:DESIGN|CONTROLS|ACCELERATORS)\.md"
    r"|\b(?:DESIGN|CONTROLS|ACCELERATORS)\.md"  # upper case: the repository's own docs are lower case
)


def _tracked_files() -> list[str]:
    try:
        done = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        pytest.skip("not a git checkout")
    return [p for p in done.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def _citations() -> list[str]:
    found = []
    for name in _tracked_files():
        if name.startswith("docs/"):
            continue
        path = ROOT / name
        if path.is_symlink() or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary, or unreadable: cites nothing
        for number, line in enumerate(text.splitlines(), 1):
            if STEERING.search(line):
                found.append(f"{name}:{number}: {line.strip()}")
    return found


def test_the_citation_pattern_matches_what_it_must():
    for cited in (
        ".." + "/shared/x",
        "shared " + "CONTROLS" + ".md",
        "(ACCELERATORS" + ".md)",
        "shared/" + "DESIGN" + ".md",
    ):
        assert STEERING.search(cited), cited
    for fine in ("docs/controls.md", "docs/accelerators.md", "a shared reservation", "shared [A-Z]+\\.md"):
        assert not STEERING.search(fine), fine


def test_nothing_outside_docs_cites_the_steering_documents():
    citations = _citations()
    assert not citations, "cite docs/architecture.md, docs/controls.md or docs/accelerators.md instead:\n" + "\n".join(
        citations
    )
