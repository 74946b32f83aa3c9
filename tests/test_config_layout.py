"""The shape of the config layer: models, checks and catalog facts import one way, with no cycle.

components/catalog/ is data (facts with their sources): it imports neither pulumi nor a component nor the config.
components/spec.py is the models: it imports no check. components/config/ holds the checks and `parse_platform`,
which read both. A component may run the checks (to refuse what a config would refuse), never the reverse.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

COMPONENTS = Path(__file__).resolve().parents[1] / "components"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.update(f"{node.module}.{alias.name}" for alias in node.names)  # a name may be a module
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("path", sorted((COMPONENTS / "catalog").glob("*.py")), ids=lambda p: p.name)
def test_the_catalog_is_data_that_imports_no_pulumi_component_or_config(path: Path):
    for module in _imports(path):
        assert not module.startswith("pulumi"), f"{path.name} imports {module}"
        assert not module.startswith("llmops_infra.") or module.startswith("llmops_infra.components.catalog"), (
            f"{path.name} imports {module}"
        )


def _within(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_the_models_import_no_check_no_catalog_and_no_component():
    checks = [f"llmops_infra.components.config.{p.stem}" for p in (COMPONENTS / "config").glob("*.py")]
    for module in _imports(COMPONENTS / "spec.py"):  # not even the messages, which read the models
        assert not _within(module, *checks, "llmops_infra.components.catalog"), module
        assert not _within(module, "llmops_infra.components.aws", "llmops_infra.components.gcp"), module
        assert not _within(module, "llmops_infra.components.k8s"), module


@pytest.mark.parametrize("path", sorted((COMPONENTS / "config").glob("*.py")), ids=lambda p: p.name)
def test_the_checks_import_models_catalog_and_each_other_but_no_component_and_no_pulumi(path: Path):
    allowed = ("llmops_infra.components.spec", "llmops_infra.components.catalog", "llmops_infra.components.config")
    for module in _imports(path):
        assert not module.startswith("pulumi"), f"{path.name} imports {module}"
        if module.startswith("llmops_infra."):
            assert module.startswith(allowed), f"{path.name} imports {module}"
