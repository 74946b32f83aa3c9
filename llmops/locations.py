"""Where a finding is in the repository: the line that made its resource, the lines that called it, and the config
key its value came from. SARIF results and GitHub annotations are located with it.

The SDK sends, with every registration, the position of the code that created the resource and the stack trace;
the offline engine keeps them as Pulumi's state does (`project:///<path>#<line>`, relative to the project directory,
engine.SourcePositions), and so does a `pulumi stack export` of a recent Pulumi. A position is made relative to the
repository root (the git top level of the project directory, or the project directory outside git), resolving
symbolic links; only files inside the repository that exist and are not installed packages (site-packages) count.
The first such frame is where the resource is created; the frames after it, up to the stack program, called it.

A finding comes from a config value when the value its policy judges is one the stack file sets. That is traced
only where it is known (CONFIG_TRACES below): a resource that names no place of its own is placed by its default
provider, which the engine builds from the `<package>:<key>` config (any program); our own platform's values
(`llmops-infra:platform`) are traced where the value the rule read equals the one the spec carries. Nothing else is
traced: a value computed by a program, or set in its code, has only its code line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from llmops_infra.cli.findings import Location
from llmops_infra.cli.recording import Registration

# The key of our own platform's value (stacks/config.py PLATFORM_KEY; not imported: that loads the spec models).
PLATFORM_KEY = "llmops-infra:platform"
PROVIDER_PREFIX = "pulumi:providers:"
# Path parts of installed code: a repository's own virtualenv is inside it, but is not its code.
INSTALLED = ("site-packages", "dist-packages")
# A resource's own location inputs, per package (engine names), and the provider inputs that place what it manages.
LOCATION_INPUTS = {"aws": ("region", "availabilityZone"), "gcp": ("location", "region", "zone")}
PROVIDER_INPUTS = {"aws": ("region",), "gcp": ("region", "zone")}

ConfigKey = tuple[str, tuple[str | int, ...]]  # a config key and a path under its value (YAML names)


def repository_root(folder: Path) -> Path:
    """The git top level of `folder` (a `.git` directory or file at or above it), else `folder` itself."""
    folder = folder.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def project_root_of(folder: Path) -> Path:
    """The Pulumi project at or above `folder` (its Pulumi.yaml), else `folder`: where an export's
    `project:///` positions start when nothing else says."""
    folder = folder.resolve()
    return next((d for d in (folder, *folder.parents) if (d / "Pulumi.yaml").is_file()), folder)


def position_path(position: str) -> tuple[str, int] | None:
    """(`path`, `line`) of a `project:///<path>#<line>[,<column>]` position (or a `file://` one); None otherwise."""
    parts = urlsplit(position)
    line_text = parts.fragment.split(",", 1)[0]
    if parts.scheme not in ("project", "file") or not parts.path or not line_text.isdigit() or int(line_text) < 1:
        return None
    path = unquote(parts.path)
    return (path.lstrip("/") if parts.scheme == "project" else path), int(line_text)


# ---- config key lines --------------------------------------------------------------------------------------------


class ConfigLines:
    """The line of each config key (and of a path under its value) in a stack file, else in the project file's
    `config:` defaults; the YAML is read once, when a line is first asked for."""

    def __init__(self, files: Sequence[Path], project: str) -> None:
        self._files = list(files)
        self._project = project
        self._roots: list[tuple[Path, yaml.Node | None]] | None = None

    def _nodes(self) -> list[tuple[Path, yaml.Node | None]]:
        if self._roots is None:
            self._roots = []
            for file in self._files:
                try:
                    root = yaml.compose(file.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
                except (OSError, UnicodeDecodeError, yaml.YAMLError):
                    root = None
                config = _child(root, "config") if isinstance(root, yaml.MappingNode) else None
                self._roots.append((file, config))
        return self._roots

    def find(self, key: str, path: Sequence[str | int] = ()) -> tuple[Path, int] | None:
        for file, config in self._nodes():
            if not isinstance(config, yaml.MappingNode):
                continue
            for key_node, value_node in config.value:
                name = str(key_node.value)
                if (name if ":" in name else f"{self._project}:{name}") != key:
                    continue
                line = _line_of(key_node, value_node, path)
                if line is not None:
                    return file, line
        return None


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if k.value == key), None)
    return None


def _line_of(key_node: yaml.Node, value_node: yaml.Node, path: Sequence[str | int]) -> int | None:
    """1-based line of the key at `path` under a config key (the config key's own line for an empty path)."""
    line = key_node.start_mark.line
    node = value_node
    for part in path:
        if isinstance(part, int) and isinstance(node, yaml.SequenceNode) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line
        elif isinstance(part, str) and isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == part), None)
            if found is None:
                return None
            line, node = found[0].start_mark.line, found[1]
        else:
            return None
    return line + 1


# ---- which config key a judged value came from -------------------------------------------------------------------


def _package(resource: Registration) -> str:
    return resource.type.removeprefix(PROVIDER_PREFIX).split(":")[0]


def _default_provider(resource: Registration | None) -> bool:
    # The engine registers default providers itself: named default[_<version>], and never from program code.
    return (
        resource is not None
        and resource.type.startswith(PROVIDER_PREFIX)
        and resource.name.split("_", 1)[0] == "default"
        and not resource.stack_trace
    )


def _given(inputs: Mapping[str, Any], name: str) -> str | None:
    value = inputs.get(name)
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class _Stack:
    """What a trace may consult: the stack's config (values as Pulumi stores them) and the platform value."""

    config: Mapping[str, str]
    secret_keys: frozenset[str]
    by_urn: Mapping[str, Registration]

    def platform(self) -> dict[str, Any]:
        raw = self.config.get(PLATFORM_KEY)
        try:
            value = json.loads(raw) if raw is not None else None
        except ValueError:
            value = None
        return value if isinstance(value, dict) else {}


def _residency(resource: Registration, stack: _Stack) -> list[ConfigKey]:
    """A place from the default provider is the `<package>:region` (or zone) config it was built from; a place of
    its own is traced to `<cloud>:region` when that is what our platform's spec set it from (the platform's region
    is the provider's, stacks/config.py), or to the bucket's `location` when it is that bucket's."""
    package = _package(resource)
    if resource.type.startswith(PROVIDER_PREFIX):
        placed_by: Registration | None = resource
    else:
        own = [v for v in (_given(resource.inputs, k) for k in LOCATION_INPUTS.get(package, ())) if v]
        if own:
            return _own_place(resource, own[0], package, stack)
        placed_by = stack.by_urn.get(resource.provider.rsplit("::", 1)[0]) if resource.provider else None
    if placed_by is None or not _default_provider(placed_by):
        return []
    keys = [f"{package}:{name}" for name in PROVIDER_INPUTS.get(package, ()) if _given(placed_by.inputs, name)]
    return [(key, ()) for key in keys if key in stack.config]


def _own_place(resource: Registration, place: str, package: str, stack: _Stack) -> list[ConfigKey]:
    platform = stack.platform()
    if not platform:
        return []  # not our platform: a place written in code has only its code line
    for index, bucket in enumerate(platform.get("buckets") or []):
        if isinstance(bucket, dict) and bucket.get("name") == resource.name and bucket.get("location") == place:
            return [(PLATFORM_KEY, ("buckets", index, "location"))]
    region_key = f"{package}:region"
    region = stack.config.get(region_key)
    return [(region_key, ())] if region and region.lower() == place.lower() else []


def _retention(resource: Registration, stack: _Stack) -> list[ConfigKey]:
    """Log groups and log buckets keep logs `logRetentionDays` (every component takes spec.log_retention_days)."""
    days = resource.inputs.get("retentionInDays", resource.inputs.get("retentionDays"))
    written = stack.platform().get("logRetentionDays")
    if days is None or isinstance(days, bool) or written is None or days != written:
        return []
    return [(PLATFORM_KEY, ("logRetentionDays",))]


# Policy name -> how to find the config keys the value it judges came from.
CONFIG_TRACES: dict[str, Callable[[Registration, _Stack], list[ConfigKey]]] = {
    "data-residency": _residency,
    "log-retention-minimum": _retention,
    "log-retention-maximum": _retention,
}


# ---- the locator -------------------------------------------------------------------------------------------------


class Locator:
    """The locations of one stack's findings: from the positions its resources were registered at (relative to
    `project_root`), in files of `repository`, and the lines of `config_files` that set the values they judge."""

    def __init__(
        self,
        project_root: Path,
        repository: Path | None = None,
        config: Mapping[str, str] | None = None,
        secret_keys: Iterable[str] = (),
        config_files: Sequence[Path] = (),
        project: str = "",
    ) -> None:
        self.project_root = project_root.resolve()
        self.repository = (repository or repository_root(self.project_root)).resolve()
        self.config = dict(config or {})
        self.secret_keys = frozenset(secret_keys)
        self.lines = ConfigLines(config_files, project)
        self._files: dict[str, str | None] = {}

    def file(self, path: str | Path) -> str | None:
        """A file as the repository names it (forward slashes), None when it is outside it, installed or missing."""
        key = str(path)
        if key not in self._files:
            real = Path(os.path.realpath(self.project_root / path))
            try:
                relative = real.relative_to(self.repository)
            except ValueError:
                relative = None
            keep = relative is not None and not set(relative.parts) & set(INSTALLED) and real.is_file()
            self._files[key] = relative.as_posix() if keep and relative is not None else None
        return self._files[key]

    def code(self, resource: Registration) -> list[Location]:
        """Where the resource was created, then the lines that called it, up to the stack program."""
        frames = resource.stack_trace or ([resource.source_position] if resource.source_position else [])
        found: list[Location] = []
        for frame in frames:
            parsed = position_path(frame)
            file = self.file(parsed[0]) if parsed else None
            if parsed and file:
                found.append(Location(file, parsed[1], "called" if found else "created"))
        return found

    def traced(self, policy: str, resource: Registration, by_urn: Mapping[str, Registration]) -> list[Location]:
        """The config keys (and their lines) the value `policy` judges on `resource` came from."""
        trace = CONFIG_TRACES.get(policy)
        if trace is None:
            return []
        found = []
        for key, path in trace(resource, _Stack(self.config, self.secret_keys, by_urn)):
            if key in self.secret_keys:
                continue
            at = self.lines.find(key, path)
            file = self.file(at[0]) if at else None
            if at and file:
                found.append(Location(file, at[1], "config", _key_name(key, path)))
        return found

    def locate(
        self, policy: str, resource: Registration | None, by_urn: Mapping[str, Registration]
    ) -> tuple[Location, ...]:
        """Where a finding of `policy` on `resource` is: the creating line first (else the config line), then the
        lines that called it and the config keys; () when nothing is known (the report falls back to the stack file)."""
        if resource is None:
            return ()
        return (*self.code(resource), *self.traced(policy, resource, by_urn))


def _key_name(key: str, path: Sequence[str | int]) -> str:
    out = key
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
