"""The shape of the config layer: catalog facts, section models and their checks import one way, with no cycle.

components/catalog/ is data (facts with their sources): it imports neither pulumi nor a component nor the config.
components/config/ holds one module per section of the platform value, its pydantic models beside its checks;
base.py is what they share and imports nothing of the project; platform.py composes the sections. The sections
read PlatformSpec for type checking only, so at run time the imports form no cycle. components/spec.py only
re-exports. A component may run the checks (to refuse what a config would refuse), never the reverse.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

COMPONENTS = Path(__file__).resolve().parents[1] / "components"
CONFIG = "llmops_infra.components.config"
CONFIG_MODULES = sorted((COMPONENTS / "config").glob("*.py"))


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(path: Path, runtime_only: bool = False) -> set[str]:
    """Every module (or module.name) a file imports; with runtime_only, not those under `if TYPE_CHECKING:`."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if runtime_only and isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.update(f"{node.module}.{alias.name}" for alias in node.names)  # a name may be a module
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return found


def _within(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


@pytest.mark.parametrize("path", sorted((COMPONENTS / "catalog").glob("*.py")), ids=lambda p: p.name)
def test_the_catalog_is_data_that_imports_no_pulumi_component_or_config(path: Path):
    for module in _imports(path):
        assert not module.startswith("pulumi"), f"{path.name} imports {module}"
        assert not module.startswith("llmops_infra.") or module.startswith("llmops_infra.components.catalog"), (
            f"{path.name} imports {module}"
        )


@pytest.mark.parametrize("path", CONFIG_MODULES, ids=lambda p: p.name)
def test_the_config_imports_the_catalog_and_itself_but_no_component_no_facade_and_no_pulumi(path: Path):
    for module in _imports(path):
        assert not module.startswith("pulumi"), f"{path.name} imports {module}"
        if module.startswith("llmops_infra."):
            assert _within(module, CONFIG, "llmops_infra.components.catalog"), f"{path.name} imports {module}"


def test_the_shared_base_imports_nothing_of_the_project():
    assert not [m for m in _imports(COMPONENTS / "config" / "base.py") if m.startswith("llmops_infra")]


def test_the_config_modules_import_each_other_without_a_cycle():
    graph: dict[str, set[str]] = {}
    for path in CONFIG_MODULES:
        imported = {m.removeprefix(CONFIG + ".").split(".")[0] for m in _imports(path, runtime_only=True)}
        graph[path.stem] = {m for m in imported if (COMPONENTS / "config" / f"{m}.py").exists()}
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError naming the cycle


def test_the_sections_read_the_platform_model_for_type_checking_only():
    for path in CONFIG_MODULES:
        if path.stem != "platform":
            assert not _within(f"{CONFIG}.platform", *_imports(path, runtime_only=True)), path.name


def test_the_spec_module_only_re_exports_the_config():
    tree = ast.parse((COMPONENTS / "spec.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        assert isinstance(node, ast.ImportFrom), ast.dump(node)[:80]
        assert node.module == "__future__" or _within(node.module or "", CONFIG), node.module
