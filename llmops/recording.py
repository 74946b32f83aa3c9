"""What a run of a stack program records: its settings and every resource it registered, as plain data.

Kept apart from engine.py (which needs pulumi) so that the command line can read, write and judge a recording
without importing the SDK, and start the program first. Standard library only: it also runs inside a project's
own interpreter, loaded with the engine under a private name (llmops/program.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STACK_TYPE = "pulumi:pulumi:Stack"
# What a program reads for a `secure:` value, which cannot be decrypted offline.
SECRET_PLACEHOLDER = "offline-secret-placeholder"


@dataclass
class Registration:
    """One resource as the engine sees it: a row of the preview and, later, of the stack export."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str = ""
    provider: str = ""  # "<provider urn>::<provider id>" for custom resources
    id: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)  # wire format: secrets and unknowns marked
    outputs: dict[str, Any] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    protect: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    # Where the program registered it, as Pulumi's state records it (ResourceV3 sourcePosition, stackTrace):
    # `project:///<path from the project directory>#<line>`, "" when the SDK sent none; the stack trace holds the
    # frames of the program's own code only, innermost first (SourcePositions).
    source_position: str = ""
    stack_trace: list[str] = field(default_factory=list)


@dataclass
class StackSettings:
    """What a run needs to know of its stack: names and config (values as Pulumi stores them: strings)."""

    project: str
    stack: str
    config: dict[str, str] = field(default_factory=dict)
    secret_keys: frozenset[str] = frozenset()
    organization: str = "organization"

    def get(self, key: str) -> str | None:
        return self.config.get(key)


@dataclass
class Recording:
    settings: StackSettings
    resources: list[Registration]
    warnings: list[str] = field(default_factory=list)  # what the run could only approximate offline

    @property
    def stack(self) -> Registration:
        return next(r for r in self.resources if r.type == STACK_TYPE)

    @property
    def stack_outputs(self) -> dict[str, Any]:
        return self.stack.outputs

    def of_type(self, token: str) -> list[Registration]:
        return [r for r in self.resources if r.type == token]

    def one(self, token: str, name: str | None = None) -> Registration:
        found = [r for r in self.of_type(token) if name is None or r.name == name]
        if len(found) != 1:
            raise LookupError(f"expected one {token}{f' named {name}' if name else ''}, found {len(found)}")
        return found[0]

    def by_urn(self, urn: str) -> Registration:
        return next(r for r in self.resources if r.urn == urn)

    def children_of(self, urn: str) -> list[Registration]:
        return [r for r in self.resources if r.parent == urn]

    def descendants_of(self, urn: str) -> list[Registration]:
        out = []
        for child in self.children_of(urn):
            out += [child, *self.descendants_of(child.urn)]
        return out
