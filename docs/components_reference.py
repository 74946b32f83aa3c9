#!/usr/bin/env python3
"""Write docs/components.md, the components reference, from the components' docstrings and the spec types' field
descriptions (pydantic `Field(description=...)`, dataclass `field(metadata={"description": ...})`).

    python docs/components_reference.py            # (re)write docs/components.md
    python docs/components_reference.py --check    # exit 1 when docs/components.md is not what it would write

What it covers: every name the packages llmops_infra.components.aws, .gcp and .k8s export (`__all__`): their
components (pulumi.ComponentResource subclasses), the argument types defined beside them, literal type aliases
and helper functions; every pydantic model of llmops_infra.components.spec; and the tagging helper.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import inspect
import ipaddress
import re
import sys
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "components.md"
# Document this checkout's code, not whatever llmops_infra an environment has installed.
sys.path.insert(0, str(ROOT))

import pulumi  # noqa: E402
from pydantic import BaseModel  # noqa: E402
from pydantic.fields import FieldInfo  # noqa: E402
from pydantic_core import PydanticUndefined  # noqa: E402

PACKAGES = (
    ("aws", "AWS", "llmops_infra.components.aws"),
    ("gcp", "GCP", "llmops_infra.components.gcp"),
    ("k8s", "Kubernetes", "llmops_infra.components.k8s"),
)
SPEC_MODULE = "llmops_infra.components.spec"
TAGGING_MODULE = "llmops_infra.components.tagging"
SECTIONS = ("Args", "Outputs", "Security", "Example")
TYPE_TOKEN = re.compile(r'super\(\).__init__\(\s*"(llmops:[a-z0-9]+:[A-Za-z0-9]+)"')


# ---- docstrings -------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Docstring:
    """A component docstring split into its intro paragraphs and its sections."""

    intro: list[str]  # paragraphs, each joined into one line
    sections: dict[str, list[tuple[str, str]]]  # Args/Outputs: (name, text); Security: ("", text); Example: lines


def _paragraphs(lines: list[str]) -> list[str]:
    out: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line.strip())
        elif current:
            out.append(" ".join(current))
            current = []
    return out


def parse_docstring(doc: str | None) -> Docstring:
    """Split a cleaned docstring (inspect.cleandoc) at its `Args:`, `Outputs:`, `Security:` and `Example:` lines.

    Args and Outputs entries are `name: text` lines indented four spaces (continuations deeper); Security entries
    are `- text` lines indented four spaces; Example keeps its lines as they are.
    """
    lines = inspect.cleandoc(doc or "").splitlines()
    intro: list[str] = []
    sections: dict[str, list[tuple[str, str]]] = {}
    current: str | None = None
    for line in lines:
        header = line.strip().removesuffix(":")
        if line.endswith(":") and not line.startswith(" ") and header in SECTIONS:
            current = header
            sections[current] = []
            continue
        if current is None:
            intro.append(line)
            continue
        entries = sections[current]
        if current == "Example":
            entries.append(("", line[4:] if line.startswith("    ") else line.strip()))
            continue
        entry = re.match(r"^    (?:- (?P<bullet>.*)|(?P<name>[A-Za-z_][A-Za-z0-9_]*): (?P<text>.*))$", line)
        if entry and (current == "Security") == (entry["bullet"] is not None):
            entries.append(("", entry["bullet"]) if entry["bullet"] is not None else (entry["name"], entry["text"]))
        elif line.strip() and entries:
            name, text = entries[-1]
            entries[-1] = (name, f"{text} {line.strip()}")
    return Docstring(_paragraphs(intro), sections)


# ---- what is documented ---------------------------------------------------------------------------------------


def package_exports(module_name: str) -> list[tuple[str, Any]]:
    """The names a package exports, in `__all__` order, with their objects."""
    package = importlib.import_module(module_name)
    return [(name, getattr(package, name)) for name in package.__all__]


def is_component(obj: Any) -> bool:
    return inspect.isclass(obj) and issubclass(obj, pulumi.ComponentResource)


def is_literal(obj: Any) -> bool:
    return typing.get_origin(obj) is typing.Literal


def spec_models() -> list[type[BaseModel]]:
    """The pydantic models the spec module exports (the base Model left out): section by section, in the order
    the spec module imports the sections, and within a section in the order they are defined."""
    module = importlib.import_module(SPEC_MODULE)
    models = [
        obj
        for name, obj in vars(module).items()
        if inspect.isclass(obj)
        and issubclass(obj, BaseModel)
        and obj.__module__.startswith("llmops_infra.components.config.")
        and name != "Model"
    ]
    sections = list(dict.fromkeys(m.__module__ for m in models))
    return sorted(models, key=lambda m: (sections.index(m.__module__), inspect.getsourcelines(m)[1]))


def argument_types(key: str, exports: list[tuple[str, Any]]) -> list[type]:
    """Dataclasses a package exports that are defined in it (KeySpec, WorkloadAccess, ...)."""
    return [
        obj
        for _, obj in exports
        if inspect.isclass(obj)
        and dataclasses.is_dataclass(obj)
        and obj.__module__.startswith(f"llmops_infra.components.{key}")
    ]


def components(key: str) -> list[type]:
    """The components a package exports, in `__all__` order."""
    _, _, module_name = next(p for p in PACKAGES if p[0] == key)
    return [obj for _, obj in package_exports(module_name) if is_component(obj)]


# ---- rendering helpers ----------------------------------------------------------------------------------------


def cell(text: str) -> str:
    """Text for a markdown table cell: one line, pipes escaped."""
    return text.replace("\n", " ").replace("|", "\\|")


def code(text: str) -> str:
    return f"`{text}`"


def anchor_of(kind: str, name: str) -> str:
    return f"{kind}-{name.lower()}"


def source_path(obj: Any) -> str:
    """The repository path of the file that defines `obj` (components/..., not the llmops_infra link)."""
    module = sys.modules[obj.__module__]
    parts = module.__name__.split(".")[1:]  # llmops_infra.components.aws.kms -> components/aws/kms.py
    return "/".join(parts) + ".py" if not hasattr(module, "__path__") else "/".join(parts) + "/__init__.py"


def type_name(tp: Any) -> str:
    """A readable name for an evaluated annotation: `tuple[str, ...]`, `'a' | 'b'`, `GpuSharingSpec | None`."""
    if tp is type(None):
        return "None"
    if tp is Ellipsis:
        return "..."
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return type_name(args[0])
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(a) for a in args)
    if origin is not None:
        return f"{getattr(origin, '__name__', str(origin))}[{', '.join(type_name(a) for a in args)}]"
    if inspect.isclass(tp):
        return tp.__name__
    return str(tp)


def _constraint_text(metadata: Iterable[Any]) -> list[str]:
    texts = []
    for item in metadata:
        if isinstance(item, FieldInfo):
            texts += _constraint_text(item.metadata)
            continue
        for attr, shown in (("ge", "≥ {}"), ("gt", "> {}"), ("le", "≤ {}"), ("lt", "< {}")):
            if getattr(item, attr, None) is not None:
                texts.append(shown.format(getattr(item, attr)))
        if getattr(item, "min_length", None) is not None:
            texts.append(f"length ≥ {item.min_length}")
        if getattr(item, "max_length", None) is not None:
            texts.append(f"length ≤ {item.max_length}")
        if getattr(item, "pattern", None) is not None:
            texts.append(f"pattern `{item.pattern}`")
    return texts


def constraints(field: FieldInfo) -> list[str]:
    """The field's own constraints, then those of the items of a tuple or the values of a dict."""
    texts = _constraint_text(field.metadata)
    annotation = field.annotation
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    inner = None
    if origin is tuple and args:
        inner, what = args[0], "each item"
    elif origin is dict and len(args) == 2:
        inner, what = args[1], "each value"
    if inner is not None and typing.get_origin(inner) is typing.Annotated:
        texts += [f"{what}: {t}" for t in _constraint_text(typing.get_args(inner)[1:])]
    return texts


def models_in(tp: Any, documented: set[type]) -> list[type]:
    """Documented classes named anywhere in an annotation, in order."""
    found: list[type] = []
    if inspect.isclass(tp) and tp in documented:
        found.append(tp)
    for arg in typing.get_args(tp):
        found += [m for m in models_in(arg, documented) if m not in found]
    return found


def value_text(value: Any) -> str:
    """A default as Python would write it (a network as its string form, which the spec accepts)."""
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return repr(str(value))
    if isinstance(value, BaseModel):
        default = type(value)()
        return f"{type(value).__name__}()" if value == default else repr(value)
    if isinstance(value, tuple):
        items = ", ".join(value_text(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    return repr(value)


def signature_text(function: Any, skip_self: bool = False) -> str:
    """`name(arg: type = default, ...) -> type`, with annotations as written in the source."""
    signature = inspect.signature(function)
    parts = []
    for parameter in list(signature.parameters.values())[1 if skip_self else 0 :]:
        text = parameter.name
        if parameter.annotation is not inspect.Parameter.empty:
            text += f": {parameter.annotation}"
        if parameter.default is not inspect.Parameter.empty:
            text += f" = {parameter.default!r}"
        parts.append(text)
    returns = "" if signature.return_annotation is inspect.Signature.empty else f" -> {signature.return_annotation}"
    return f"{function.__name__}({', '.join(parts)}){returns}"


def pydantic_default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        return code(value_text(field.default_factory()))  # type: ignore[call-arg]  # dict, no arguments
    if field.default is PydanticUndefined:
        return "required"
    return code(value_text(field.default))


def dataclass_default(field: dataclasses.Field[Any]) -> str:
    if field.default_factory is not dataclasses.MISSING:
        return code(value_text(field.default_factory()))
    if field.default is dataclasses.MISSING:
        return "required"
    return code(value_text(field.default))


# ---- the reference --------------------------------------------------------------------------------------------


class Reference:
    """Builds the markdown, knowing where each documented type lives so that it can link to it."""

    def __init__(self) -> None:
        self.models = spec_models()
        self.exports = {key: package_exports(module) for key, _, module in PACKAGES}
        self.arguments = {key: argument_types(key, exports) for key, exports in self.exports.items()}
        tagging = importlib.import_module(TAGGING_MODULE).Tagging
        # Type name -> anchor, for links. Argument types are named per package (aws and gcp both have a
        # WorkloadAccess); a component's own package decides which one its annotation means.
        self.spec_anchors = {m.__name__: anchor_of("spec", m.__name__) for m in self.models}
        self.spec_anchors["Tagging"] = "tagging"
        self.tagging = tagging
        self.used_by: dict[str, list[str]] = {}
        for key, _, _ in PACKAGES:
            for component in components(key):
                for name in self._types_named(key, component):
                    self.used_by.setdefault(name, []).append(
                        f"[{key}.{component.__name__}](#{anchor_of(key, component.__name__)})"
                    )

    def _anchors(self, key: str) -> dict[str, str]:
        return {**self.spec_anchors, **{a.__name__: anchor_of(key, a.__name__) for a in self.arguments[key]}}

    def _types_named(self, key: str, component: type) -> list[str]:
        """The documented types a component's constructor annotations name, in order, as `anchor` keys."""
        anchors = self._anchors(key)
        found: list[str] = []
        for parameter in inspect.signature(component.__init__).parameters.values():
            annotation = str(parameter.annotation)
            for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", annotation):
                target = anchors.get(word)
                if target is not None and target not in found:
                    found.append(target)
        return found

    def _link(self, key: str, name: str) -> str:
        return f"[{name}](#{self._anchors(key)[name]})"

    # -- pieces

    def header(self) -> list[str]:
        lines = [
            "# Components reference",
            "",
            "<!-- Generated by `python docs/components_reference.py` from the docstrings and field descriptions in",
            "components/; do not edit by hand (`--check` fails when this file is stale). -->",
            "",
            "Every component is a `pulumi.ComponentResource` built from `(name, spec, opts)` plus the outputs of the",
            "components it depends on; its children are parented to it. Import the components and the types that",
            "build them from their package:",
            "",
            "```python",
            "from llmops_infra.components import Tagging",
            "from llmops_infra.components.aws import AcceleratorPoolSpec, GpuNodePool",
            "from llmops_infra.components.gcp import GpuPoolSpec, TpuNodePool",
            "from llmops_infra.components.k8s import ClusterBaseline, KubernetesSpec",
            "```",
            "",
            "The spec types are pydantic models: build them with Python (snake_case) names or their config",
            "(camelCase) keys; unknown keys are refused and a spec is immutable. `parse_platform` in",
            "`llmops_infra.components.spec` validates a whole environment, catalog rules included. Tags and labels",
            "the policy packs require: [tagging.md](tagging.md).",
            "",
            "## Contents",
            "",
        ]
        for key, title, _ in PACKAGES:
            names = ", ".join(f"[{c.__name__}](#{anchor_of(key, c.__name__)})" for c in components(key))
            lines.append(f"- [{title}](#{key}): {names}")
        models = ", ".join(f"[{m.__name__}](#{anchor_of('spec', m.__name__)})" for m in self.models)
        lines.append(f"- [Spec types](#spec-types): {models}")
        lines.append("- [Tagging](#tagging)")
        return [*lines, ""]

    def package(self, key: str, title: str, module_name: str) -> list[str]:
        module = importlib.import_module(module_name)
        intro = parse_docstring(module.__doc__).intro
        summary = intro[0].replace(" Reference: docs/components.md.", "") if intro else ""
        lines = [f'<a id="{key}"></a>', "", f"## {title}: `{module_name}`", "", summary, ""]
        for component in components(key):
            lines += self.component(key, component)
        arguments = self.arguments[key]
        if arguments:
            lines += [f"### {title} argument types", ""]
            for argument in arguments:
                lines += self.dataclass_type(key, argument)
        literals = [(n, o) for n, o in self.exports[key] if is_literal(o)]
        helpers = [(n, o) for n, o in self.exports[key] if inspect.isfunction(o)]
        if literals or helpers:
            lines += [f"### {title} aliases and helpers", ""]
            lines += [f"- `{name}`: {cell(type_name(obj))}" for name, obj in literals]
            for _, obj in helpers:
                summary = parse_docstring(obj.__doc__).intro
                lines.append(f"- `{signature_text(obj)}`: {summary[0] if summary else ''}")
            lines.append("")
        return lines

    def component(self, key: str, cls: type) -> list[str]:
        doc = parse_docstring(cls.__doc__)
        token = TYPE_TOKEN.search(inspect.getsource(cls.__init__))
        where = f"`{cls.__module__}.{cls.__name__}`, type token `{token[1] if token else '?'}`"
        lines = [f'<a id="{anchor_of(key, cls.__name__)}"></a>', "", f"### {cls.__name__}", "", where, ""]
        lines += [*(p for paragraph in doc.intro for p in (paragraph, "")), "**Args**", ""]
        descriptions = dict(doc.sections.get("Args", []))
        lines += ["| argument | type | default | description |", "|---|---|---|---|"]
        for name, parameter in list(inspect.signature(cls.__init__).parameters.items())[1:]:
            default = "required" if parameter.default is inspect.Parameter.empty else code(repr(parameter.default))
            keyword = " (keyword)" if parameter.kind is inspect.Parameter.KEYWORD_ONLY else ""
            lines.append(
                f"| `{name}`{keyword} | {cell(code(str(parameter.annotation)))} | {default} "
                f"| {cell(descriptions.get(name, ''))} |"
            )
        named = self._types_named(key, cls)
        if named:
            lines += ["", f"Built from: {self._type_links(key, named)}."]
        lines += ["", "**Outputs**", ""]
        lines += [f"- `{name}`: {text}" for name, text in doc.sections.get("Outputs", [])]
        lines += ["", "**Security**", ""]
        lines += [f"- {text}" for _, text in doc.sections.get("Security", [])]
        return [*lines, ""]

    def _type_links(self, key: str, anchors: list[str]) -> str:
        names = {anchor: name for name, anchor in self._anchors(key).items()}
        return ", ".join(f"[{names[a]}](#{a})" for a in anchors)

    def dataclass_type(self, key: str, cls: type) -> list[str]:
        doc = parse_docstring(cls.__doc__)
        anchor = anchor_of(key, cls.__name__)
        lines = [f'<a id="{anchor}"></a>', "", f"#### {cls.__name__} ({key})", "", f"`{cls.__module__}.{cls.__name__}`"]
        used = self.used_by.get(anchor)
        lines += ["", *(p for paragraph in doc.intro for p in (paragraph, ""))]
        if used:
            lines += [f"Used by: {', '.join(used)}.", ""]
        lines += ["| field | type | default | description |", "|---|---|---|---|"]
        for field in dataclasses.fields(cls):
            lines.append(
                f"| `{field.name}` | {cell(code(str(field.type)))} | {cell(dataclass_default(field))} "
                f"| {cell(field.metadata.get('description', ''))} |"
            )
        return [*lines, ""]

    def spec_types(self) -> list[str]:
        lines = [
            '<a id="spec-types"></a>',
            "",
            f"## Spec types: `{SPEC_MODULE}`",
            "",
            "The environment spec, one model per config section, in the order the module defines them. `config key`",
            "is the camelCase key of a stack file; Python accepts either name.",
            "",
        ]
        documented = set(self.models)
        for model in self.models:
            anchor = anchor_of("spec", model.__name__)
            doc = parse_docstring(model.__doc__)
            lines += [f'<a id="{anchor}"></a>', "", f"### {model.__name__}", ""]
            lines += [*(p for paragraph in doc.intro for p in (paragraph, ""))]
            exported = [module for key, _, module in PACKAGES if model in (o for _, o in self.exports[key])]
            used = self.used_by.get(anchor)
            notes = []
            if exported:
                notes.append("Exported by " + ", ".join(f"`{module}`" for module in exported))
            if used:
                notes.append(("used by " if notes else "Used by ") + ", ".join(used))
            if notes:
                lines += ["; ".join(notes) + ".", ""]
            lines += ["| field | config key | type | default | description |", "|---|---|---|---|---|"]
            for name, field in model.model_fields.items():
                type_text = code(type_name(field.annotation))
                extra = constraints(field)
                links = models_in(field.annotation, documented)
                if links:
                    type_text += " " + ", ".join(f"[→ {m.__name__}](#{anchor_of('spec', m.__name__)})" for m in links)
                if extra:
                    type_text += "<br>" + ", ".join(extra)
                lines.append(
                    f"| `{name}` | `{field.alias or name}` | {cell(type_text)} | {cell(pydantic_default(field))} "
                    f"| {cell(field.description or '')} |"
                )
            lines.append("")
        return lines

    def tagging_section(self) -> list[str]:
        cls = self.tagging
        doc = parse_docstring(cls.__doc__)
        lines = ['<a id="tagging"></a>', "", "## Tagging", "", f"`{cls.__module__}.{cls.__name__}`, also"]
        lines += ["`from llmops_infra.components import Tagging`.", ""]
        lines += [*(p for paragraph in doc.intro for p in (paragraph, ""))]
        example = [text for _, text in doc.sections.get("Example", [])]
        if example:
            lines += ["```pycon", *example, "```", ""]
        lines += ["| field | type | default | description |", "|---|---|---|---|"]
        for field in dataclasses.fields(cls):
            lines.append(
                f"| `{field.name}` | {cell(code(str(field.type)))} | {cell(dataclass_default(field))} "
                f"| {cell(field.metadata.get('description', ''))} |"
            )
        tags = cls.tags
        lines += ["", f"- `{signature_text(tags, skip_self=True)}`: {parse_docstring(tags.__doc__).intro[0]}", ""]
        lines.append("Which packs read which keys, on which resource types: [tagging.md](tagging.md).")
        return [*lines, ""]

    def render(self) -> str:
        lines = self.header()
        for key, title, module in PACKAGES:
            lines += self.package(key, title, module)
        lines += self.spec_types()
        lines += self.tagging_section()
        text = "\n".join(lines)
        return re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"


def render() -> str:
    """The whole reference, as docs/components.md holds it."""
    return Reference().render()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write docs/components.md from the components' docstrings.")
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/components.md is stale")
    args = parser.parse_args(argv)
    text = render()
    shown = OUTPUT.relative_to(ROOT)
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else None
        if current != text:
            print(f"{shown} is stale; run: python docs/components_reference.py", file=sys.stderr)
            return 1
        print(f"{shown} is up to date")
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
