"""The library's documentation holds: every spec field is described, every component's docstring has its Args,
Outputs and Security sections and names exactly its arguments, the three packages export the real classes without
import cycles, docs/components.md is what its generator writes, and docs/tagging.md's contract is what the policy
rules check."""

from __future__ import annotations

import dataclasses
import doctest
import importlib
import importlib.util
import inspect
import pkgutil
import re
import subprocess
import sys
import typing
from pathlib import Path
from types import ModuleType
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from pydantic import BaseModel

import llmops_infra.components
import llmops_infra.policies.rules  # noqa: F401 - registers every rule
from llmops_infra.components import spec, tagging
from llmops_infra.components.tagging import Tagging
from llmops_infra.policies.runtime.resources import CLASSIFICATIONS
from llmops_infra.policies.runtime.rule import RULES
from tests.conftest import preview
from tests.rule_judging import rule_violations

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "docs" / "components_reference.py"
TAGGING_DOC = ROOT / "docs" / "tagging.md"
PACKAGES = ("aws", "gcp", "k8s")
RECORDS_RULES = ("data-store-records-of-processing", "k8s-records-of-processing")
GCP_CONFIG = {"gcp:project": "llmops-test", "gcp:region": "europe-west4"}


def _generator() -> ModuleType:
    """docs/components_reference.py as a module (it is a script, not part of the package)."""
    name = "components_reference"
    if name not in sys.modules:
        loaded = importlib.util.spec_from_file_location(name, GENERATOR)
        assert loaded is not None and loaded.loader is not None
        module = importlib.util.module_from_spec(loaded)
        sys.modules[name] = module  # dataclasses look their module up while the class is made
        loaded.loader.exec_module(module)
    return sys.modules[name]


def _modules(package: str) -> list[ModuleType]:
    root = importlib.import_module(f"llmops_infra.components.{package}")
    return [root] + [
        importlib.import_module(f"{root.__name__}.{info.name}") for info in pkgutil.iter_modules(root.__path__)
    ]


def _defined_in(module: ModuleType) -> list[tuple[str, Any]]:
    return [(n, o) for n, o in vars(module).items() if getattr(o, "__module__", None) == module.__name__]


COMPONENTS = sorted(
    {
        obj
        for package in PACKAGES
        for module in _modules(package)
        for name, obj in _defined_in(module)
        if inspect.isclass(obj) and issubclass(obj, pulumi.ComponentResource) and not name.startswith("_")
    },
    key=lambda c: (c.__module__, c.__name__),
)
MODELS = _generator().spec_models()


def _exports(package: str) -> dict[str, Any]:
    module = importlib.import_module(f"llmops_infra.components.{package}")
    return {name: getattr(module, name) for name in module.__all__}


ARGUMENT_TYPES = sorted(
    {
        obj
        for package in PACKAGES
        for obj in _exports(package).values()
        if inspect.isclass(obj) and dataclasses.is_dataclass(obj)
    }
    | {Tagging},
    key=lambda c: (c.__module__, c.__name__),
)


def _ids(classes: list[type]) -> list[str]:
    return [f"{c.__module__.removeprefix('llmops_infra.components.')}.{c.__name__}" for c in classes]


# ---- spec types ---------------------------------------------------------------------------------------------


def test_the_spec_module_has_its_models() -> None:
    assert {m.__name__ for m in MODELS} >= {"PlatformSpec", "AcceleratorPoolSpec", "TpuPoolSpec", "EdgeSiteSpec"}


@pytest.mark.parametrize("model", MODELS, ids=_ids(MODELS))
def test_every_spec_model_and_field_is_described(model: type[BaseModel]) -> None:
    assert (model.__dict__.get("__doc__") or "").strip(), f"{model.__name__} has no docstring"
    undescribed = [name for name, field in model.model_fields.items() if not (field.description or "").strip()]
    assert undescribed == []


@pytest.mark.parametrize("cls", ARGUMENT_TYPES, ids=_ids(ARGUMENT_TYPES))
def test_every_argument_type_field_is_described(cls: type) -> None:
    doc = cls.__doc__ or ""
    assert doc.strip() and not doc.startswith(f"{cls.__name__}("), f"{cls.__name__} has only dataclass's docstring"
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    assert [f.name for f in fields if not str(f.metadata.get("description", "")).strip()] == []


# ---- component docstrings -----------------------------------------------------------------------------------


def test_every_component_is_found() -> None:
    assert len(COMPONENTS) >= 24


@pytest.mark.parametrize("component", COMPONENTS, ids=_ids(COMPONENTS))
def test_component_docstring_has_its_sections(component: type) -> None:
    doc_text = inspect.getdoc(component) or ""
    headers = [line[:-1] for line in doc_text.splitlines() if line in ("Args:", "Outputs:", "Security:")]
    assert headers == ["Args", "Outputs", "Security"], f"{component.__name__}: sections {headers}"
    doc = _generator().parse_docstring(component.__doc__)
    assert len(doc.intro) >= 2, f"{component.__name__}: a summary line and a purpose paragraph"
    assert doc.sections["Security"] and all(text for _, text in doc.sections["Security"])


@pytest.mark.parametrize("component", COMPONENTS, ids=_ids(COMPONENTS))
def test_component_args_are_exactly_its_parameters(component: type) -> None:
    doc = _generator().parse_docstring(component.__doc__)
    documented = [name for name, _ in doc.sections["Args"]]
    parameters = list(inspect.signature(component.__init__).parameters)[1:]
    assert documented == parameters
    assert all(text.strip() for _, text in doc.sections["Args"])


@pytest.mark.parametrize("component", COMPONENTS, ids=_ids(COMPONENTS))
def test_component_outputs_name_every_declared_attribute(component: type) -> None:
    doc = _generator().parse_docstring(component.__doc__)
    outputs = {name for name, _ in doc.sections["Outputs"]}
    declared = {
        name
        for cls in component.__mro__
        if issubclass(cls, pulumi.ComponentResource) and cls is not pulumi.ComponentResource
        for name in cls.__dict__.get("__annotations__", {})
        if not name.startswith("_")
    }
    assert declared and declared <= outputs


def _public_functions() -> list[tuple[str, Any]]:
    found = []
    for package in PACKAGES:
        for module in _modules(package):
            for name, obj in _defined_in(module):
                if name.startswith("_"):
                    continue
                if inspect.isfunction(obj):
                    found.append((f"{module.__name__}.{name}", obj))
                elif inspect.isclass(obj) and issubclass(obj, pulumi.ComponentResource):
                    found += [
                        (f"{module.__name__}.{name}.{m}", f)
                        for m, f in vars(obj).items()
                        if inspect.isfunction(f) and not m.startswith("_")
                    ]
    return found


def test_public_helpers_have_a_docstring() -> None:
    functions = _public_functions()
    assert len(functions) > 30
    assert [name for name, function in functions if not (function.__doc__ or "").strip()] == []


# ---- exports ------------------------------------------------------------------------------------------------


def test_the_documented_import_works() -> None:
    from llmops_infra.components.aws import AcceleratorPoolSpec, GpuNodePool
    from llmops_infra.components.aws.nodepool import GpuNodePool as defined

    assert GpuNodePool is defined
    assert AcceleratorPoolSpec is spec.AcceleratorPoolSpec
    assert llmops_infra.components.Tagging is tagging.Tagging


@pytest.mark.parametrize("package", PACKAGES)
def test_exports_are_the_real_objects(package: str) -> None:
    for name, obj in _exports(package).items():
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__name__ == name
            assert getattr(importlib.import_module(obj.__module__), name) is obj
            assert obj.__module__.startswith("llmops_infra.components.")
        else:
            assert typing.get_origin(obj) is typing.Literal, f"{name} is neither a class, a function nor a Literal"


@pytest.mark.parametrize("package", PACKAGES)
def test_every_component_is_exported_with_the_types_that_build_it(package: str) -> None:
    exported = _exports(package)
    mine = [c for c in COMPONENTS if c.__module__.startswith(f"llmops_infra.components.{package}.")]
    assert sorted(c.__name__ for c in mine) == sorted(n for n, o in exported.items() if o in mine)
    for component in mine:
        home = sys.modules[component.__module__]
        for parameter in list(inspect.signature(component.__init__).parameters.values())[1:]:
            for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", str(parameter.annotation)):
                obj = getattr(home, word, None)
                if inspect.isclass(obj) and (issubclass(obj, BaseModel) or dataclasses.is_dataclass(obj)):
                    assert exported.get(word) is obj, f"{component.__name__}({parameter.name}: {word}) not exported"


@pytest.mark.parametrize(
    "module",
    [
        "llmops_infra.components.aws",
        "llmops_infra.components.gcp",
        "llmops_infra.components.k8s",
        "llmops_infra.components.aws.local_zone",
        "llmops_infra.components.gcp.iam",
        "llmops_infra.components.k8s.cilium",
        "llmops_infra.components.config.kubernetes",
        "llmops_infra.components.spec",
    ],
)
def test_imports_first_in_a_fresh_interpreter(module: str) -> None:
    """No import cycle, whichever module a program imports first (pytest has imported them all already)."""
    done = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_components_package_stays_light() -> None:
    probe = (
        "import sys, llmops_infra.components\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pydantic') or m.startswith('pulumi_')]\n"
        "print(heavy)"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# ---- the generated reference --------------------------------------------------------------------------------


def test_components_reference_is_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, str(GENERATOR), "--check"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr + "\n(run: python docs/components_reference.py)"


def test_the_reference_documents_every_component_and_model() -> None:
    text = (ROOT / "docs" / "components.md").read_text(encoding="utf-8")
    for component in COMPONENTS:
        assert f"### {component.__name__}\n" in text
    for model in MODELS:
        assert f'<a id="spec-{model.__name__.lower()}"></a>' in text
        for name, field in model.model_fields.items():
            assert f"| `{name}` | `{field.alias}` |" in text


# ---- the tagging contract -----------------------------------------------------------------------------------


def test_the_tagging_docstring_example_holds() -> None:
    result = doctest.testmod(tagging, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 4 and result.failed == 0


def test_classifications_are_the_ones_the_rules_accept() -> None:
    assert typing.get_args(spec.Classification) == CLASSIFICATIONS


@pytest.mark.parametrize("classification", CLASSIFICATIONS)
def test_tagging_satisfies_the_records_rule(classification: str) -> None:
    def program() -> None:
        aws.s3.Bucket("data", tags=Tagging("ml-platform", classification, {"environment": "prod"}).tags("datasets"))

    assert rule_violations(preview(program), "data-store-records-of-processing") == []


def test_the_records_rule_fails_without_the_tags() -> None:
    """The rule judges what the helper's tags fix: untagged, and tagged with a class it does not know."""

    def program() -> None:
        aws.s3.Bucket("untagged")
        aws.s3.Bucket("unknown-class", tags=Tagging("ml-platform", "secret").tags("datasets"))

    violations = rule_violations(preview(program), "data-store-records-of-processing")
    assert sorted(violations) == [
        "S3 bucket unknown-class tags data-classification 'secret' is not one of phi, personal, internal, public",
        "S3 bucket untagged has no data-classification in its tags",
        "S3 bucket untagged has no owner in its tags",
        "S3 bucket untagged has no purpose in its tags",
    ]


def _doc_example() -> str:
    text = TAGGING_DOC.read_text(encoding="utf-8")
    section = text.split("## Tagging your own resources", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found is not None, "docs/tagging.md has no example under 'Tagging your own resources'"
    return found[1]


def test_the_tagging_docs_example_passes_the_records_rules() -> None:
    source = compile(_doc_example(), str(TAGGING_DOC), "exec")

    def program() -> None:
        exec(source, {"__name__": "tagging_example"})

    rec = preview(program, GCP_CONFIG)
    types = {r.type for r in rec.resources}
    assert {"aws:s3/bucket:Bucket", "gcp:storage/bucket:Bucket", "kubernetes:core/v1:Namespace"} <= types
    for rule in RECORDS_RULES:
        assert rule_violations(rec, rule) == [], rule


def _table_rows(text: str, heading: str) -> list[list[str]]:
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]


def test_the_tagging_docs_name_what_the_records_rules_judge() -> None:
    rows = {row[0].strip("`"): row for row in _table_rows(TAGGING_DOC.read_text(), "## Rules that fail without")}
    assert set(rows) == set(RECORDS_RULES)
    for name, row in rows.items():
        rule = RULES[name]
        assert rule.frameworks == ("hipaa", "gdpr") and rule.severity == "low"
        assert set(re.findall(r"`([a-z0-9]+:[^`]+)`", row[1])) == set(rule.resource_types), name


def test_the_tagging_docs_describe_the_value_dependent_rules_as_they_are() -> None:
    rows = _table_rows(TAGGING_DOC.read_text(), "## Rules whose verdict depends")
    assert len(rows) >= 9
    packs = {"HIPAA": "hipaa", "GDPR": "gdpr"}
    for row in rows:
        rule = RULES[row[0].strip("`")]
        assert tuple(packs[p] for p in row[1].split(", ")) == rule.frameworks, rule.name
        assert row[2] == rule.severity, rule.name
