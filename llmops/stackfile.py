"""Find and read a stack: Pulumi.yaml plus one Pulumi.<stack>.yaml, the way the Pulumi CLI reads them.

A STACK argument is an environment name from the project's stackConfigDir (configs/) or a path to any
Pulumi.<stack>.yaml. Config values reach the program as the CLI hands them over: strings, structured values
as JSON, keys namespaced (`key` alone means `<project>:key`). A `secure:` value cannot be decrypted offline;
its key is marked secret and the program sees a placeholder, so nothing secret is ever read or shown.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from llmops_infra.cli.recording import SECRET_PLACEHOLDER, StackSettings

PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")


class InputError(Exception):
    """Wrong input from the user (path, stack name, file content): exit 2 with this message, no traceback."""


@dataclass(frozen=True)
class Project:
    root: Path
    name: str
    main: Path
    stack_config_dir: Path
    config_defaults: dict[str, Any]
    runtime: str = "python"  # Pulumi.yaml `runtime` (a name, or `name:` of the mapping form)
    runtime_options: dict[str, Any] = field(default_factory=dict)  # `runtime.options`: virtualenv, toolchain, ...

    @property
    def file(self) -> Path:
        return self.root / "Pulumi.yaml"

    def stack_file(self, stack: str) -> Path:
        return self.stack_config_dir / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        files = sorted(self.stack_config_dir.glob("Pulumi.*.yaml"))
        return [f.name[len("Pulumi.") : -len(".yaml")] for f in files]


@dataclass(frozen=True)
class Stack:
    project: Project
    name: str
    file: Path
    settings: StackSettings

    @property
    def display_file(self) -> str:
        try:
            return str(self.file.relative_to(Path.cwd()))
        except ValueError:
            return str(self.file)


def venv_python(venv: Path) -> Path:
    """The interpreter of a virtualenv (a project's `runtime.options.virtualenv`, or a policy pack's)."""
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def read_input(path: Path, what: str) -> str:
    """A file the user named, as text; a missing or unreadable one is an InputError that says which and why."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such {what}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read the {what}: {getattr(error, 'strerror', None) or error}") from None


class _UniqueKeyLoader(yaml.SafeLoader):
    """yaml.safe_load, except that a mapping may not give a key twice: Pulumi's own reader (Go's yaml.v3) refuses
    `mapping key "x" already defined at line N`, where PyYAML would keep the later value without a word."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *defaults`: merged keys may be overridden, as YAML intends
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node.start_mark)
            except TypeError:
                continue  # an unhashable key: the constructor below says so
            if first is not key_node.start_mark:
                raise yaml.constructor.ConstructorError(
                    problem=f"key {key!r} is given twice (first at line {first.line + 1}); Pulumi refuses a "
                    "duplicate key: keep one",
                    problem_mark=key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


def _read_yaml(path: Path, what: str) -> Any:
    text = read_input(path, what)
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        at = f" (line {where.line + 1}, column {where.column + 1})" if where else ""
        raise InputError(f"{path}: not valid YAML{at}: {getattr(error, 'problem', error)}") from None


def default_project_root() -> Path:
    """The nearest folder at or above the working directory with a Pulumi.yaml; else this checkout's root."""
    here = Path.cwd().resolve()
    checkout = Path(__file__).resolve().parents[1]  # a clone of llmops-infra; site-packages holds no Pulumi.yaml
    for folder in (here, *here.parents, checkout):
        if (folder / "Pulumi.yaml").is_file():
            return folder
    raise InputError(
        f"no Pulumi project here: no Pulumi.yaml in {here} or above it; "
        "give a Pulumi.<stack>.yaml path, or a project directory with --stack NAME"
    )


def load_project(root: Path) -> Project:
    data = _read_yaml(root / "Pulumi.yaml", "project file (Pulumi.yaml)")
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise InputError(f"{root / 'Pulumi.yaml'}: a Pulumi project file needs a `name`")
    defaults = {}
    for key, declared in (data.get("config") or {}).items():
        value = declared.get("default") if isinstance(declared, dict) else declared
        if value is not None:
            defaults[_namespaced(key, data["name"])] = value
    runtime = data.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    options = runtime.get("options") if isinstance(runtime, dict) else None
    if not isinstance(runtime_name, str):
        raise InputError(f"{root / 'Pulumi.yaml'}: a Pulumi project file needs a `runtime` (python)")
    if options is not None and not isinstance(options, dict):
        raise InputError(f"{root / 'Pulumi.yaml'}: runtime.options must be a mapping, got {options!r}")
    return Project(
        root=root,
        name=data["name"],
        main=root / str(data.get("main") or "."),
        stack_config_dir=root / str(data.get("stackConfigDir") or "."),
        config_defaults=defaults,
        runtime=runtime_name,
        runtime_options=dict(options or {}),
    )


def _namespaced(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _as_config_string(value: Any) -> str:
    """How the CLI passes a config value to a program: scalars as text, structures as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value)


def _contains_secure(value: Any) -> bool:
    if isinstance(value, dict):
        return "secure" in value and len(value) == 1 or any(_contains_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_secure(v) for v in value)
    return False


def _without_secure(value: Any, placeholder: str) -> Any:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return placeholder
        return {k: _without_secure(v, placeholder) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_secure(v, placeholder) for v in value]
    return value


def _is_stack_path(arg: str) -> bool:
    return arg.endswith((".yaml", ".yml")) or os.sep in arg or "/" in arg


def resolve(arg: str, project_root: Path | None = None, stack: str | None = None) -> Stack:
    """Turn a STACK argument into a readable stack, or raise InputError saying what exists.

    STACK is a stack name of the current project, a path to a Pulumi.<stack>.yaml, or a project directory
    (then `stack` names the stack, as `pulumi --cwd DIR --stack NAME` would).
    """
    if Path(arg).is_dir():
        project = load_project(Path(arg).resolve())
        if not stack:
            known = ", ".join(project.stacks()) or "none"
            raise InputError(f"{arg}: a project directory; name its stack with --stack NAME (stacks there: {known})")
        return _named_stack(project, stack)
    if stack:
        raise InputError(f"--stack {stack}: only for a project directory; {arg} is a stack name or file already")
    if _is_stack_path(arg):
        file = Path(arg).resolve()
        if not file.is_file():
            raise InputError(f"{arg}: no such stack file")
        if not (file.name.startswith("Pulumi.") and file.name.endswith((".yaml", ".yml"))):
            raise InputError(f"{arg}: a stack file is named Pulumi.<stack>.yaml")
        if file.name in PROJECT_FILES:
            project = load_project(file.parent)
            known = ", ".join(project.stacks()) or "none"
            raise InputError(
                f"{arg}: the project file, not a stack file; give a Pulumi.<stack>.yaml, or the project directory "
                f"with --stack NAME (stacks there: {known})"
            )
        name = file.name[len("Pulumi.") :].rsplit(".", 1)[0]
        root = next((d for d in file.parents if (d / "Pulumi.yaml").is_file()), None)
        project = load_project(root or default_project_root())  # a loose stack file: the current project's
        return Stack(project, name, file, _settings(project, name, file))
    return _named_stack(load_project(project_root or default_project_root()), arg)


def _named_stack(project: Project, name: str) -> Stack:
    file = project.stack_file(name)
    if not file.is_file():
        known = ", ".join(project.stacks()) or "none"
        raise InputError(f"unknown stack '{name}': there is no {file}; stacks here: {known}")
    return Stack(project, name, file, _settings(project, name, file))


def _settings(project: Project, name: str, file: Path) -> StackSettings:
    data = _read_yaml(file, "stack file") or {}
    if not isinstance(data, dict):
        raise InputError(f"{file}: a stack file is a mapping with a `config:` key")
    raw = data.get("config") or {}
    if not isinstance(raw, dict):
        raise InputError(f"{file}: `config` must be a mapping of key: value")
    values: dict[str, Any] = dict(project.config_defaults)
    values.update({_namespaced(str(k), project.name): v for k, v in raw.items()})
    secret_keys = frozenset(k for k, v in values.items() if _contains_secure(v))
    config = {k: _as_config_string(_without_secure(v, SECRET_PLACEHOLDER)) for k, v in values.items()}
    return StackSettings(project.name, name, config, secret_keys)


def all_stacks(project_root: Path | None = None) -> list[Stack]:
    project = load_project(project_root or default_project_root())
    return [resolve(name, project.root) for name in project.stacks()]
