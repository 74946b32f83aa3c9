"""Pulumi's stack export format (`pulumi stack export`, deployment version 3): write a recording as one, and
read any export back as the engine's registrations.

Secrets are written in the export's secret envelope with the ciphertext withheld: the offline engine has no
secrets provider, and a secret must never reach a file in plain text.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from llmops_infra.cli.recording import Recording, Registration
from llmops_infra.cli.stackfile import InputError, read_input
from llmops_infra.cli.wire import SECRET_SIG, SIG_KEY, UNKNOWN, is_secret

DEPLOYMENT_VERSION = 3
WITHHELD = "[withheld: exported offline without a secrets provider]"


def _seal(value: Any) -> Any:
    if is_secret(value):
        return {SIG_KEY: SECRET_SIG, "ciphertext": WITHHELD}
    if isinstance(value, dict):
        return {k: _seal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_seal(v) for v in value]
    return value


def _resource(r: Registration) -> dict[str, Any]:
    state: dict[str, Any] = {"urn": r.urn, "custom": r.custom, "type": r.type}
    if r.id:
        state["id"] = r.id
    state["inputs"] = _seal(r.inputs)
    state["outputs"] = _seal(r.outputs)
    if r.parent:
        state["parent"] = r.parent
    if r.protect:
        state["protect"] = True
    if r.options.get("external"):
        state["external"] = True
    if r.dependencies:
        state["dependencies"] = r.dependencies
    if r.provider:
        state["provider"] = r.provider
    if r.property_dependencies:
        state["propertyDependencies"] = r.property_dependencies
    for option in ("additionalSecretOutputs", "ignoreChanges", "retainOnDelete", "deleteBeforeReplace"):
        if option in r.options:
            state[option] = r.options[option]
    # ResourceV3's sourcePosition and stackTrace (`project:///<path>#<line>`), so an analyze of the export can still
    # say which line made each resource.
    if r.source_position:
        state["sourcePosition"] = r.source_position
    if r.stack_trace:
        state["stackTrace"] = [{"sourcePosition": frame} for frame in r.stack_trace]
    return state


def to_export(recording: Recording, now: dt.datetime | None = None) -> dict[str, Any]:
    stamp = (now or dt.datetime.now(dt.timezone.utc)).isoformat()
    return {
        "version": DEPLOYMENT_VERSION,
        "deployment": {
            "manifest": {"time": stamp, "magic": "", "version": f"v{version('pulumi')}"},
            "resources": [_resource(r) for r in recording.resources],
        },
    }


# ---- reading an export ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportedStack:
    """A stack as a `pulumi stack export` file holds it: names from the URNs, resources as the engine saw them."""

    project: str
    stack: str
    resources: list[Registration]


def read_export(path: Path) -> ExportedStack:
    """Read a `pulumi stack export` file (any deployment version 3 export, ours or the CLI's).

    Secrets stay secret: an encrypted value becomes a secret whose value is unknown, so a rule that needs it
    cannot judge it rather than seeing ciphertext. Resources pending deletion are not part of the stack.
    """
    text = read_input(path, "file")
    try:
        document = json.loads(text)
    except ValueError as error:
        raise InputError(f"{path}: not JSON ({error}); expected the output of `pulumi stack export`") from None
    deployment = document.get("deployment") if isinstance(document, dict) else None
    resources = deployment.get("resources") if isinstance(deployment, dict) else None
    if not isinstance(resources, list) and isinstance(deployment, dict) and "resources" not in deployment:
        resources = []  # a stack that was never deployed exports no resources at all
    if not isinstance(resources, list):
        raise InputError(f"{path}: not a `pulumi stack export` file (expected deployment.resources to be a list)")
    version = document.get("version")
    if version not in (None, DEPLOYMENT_VERSION):
        raise InputError(f"{path}: deployment version {version!r} is not supported (only {DEPLOYMENT_VERSION})")
    registrations = [_registration(path, i, r) for i, r in enumerate(resources) if not _pending_delete(r)]
    project, stack = _names(registrations)
    return ExportedStack(project, stack, registrations)


def _pending_delete(state: Any) -> bool:
    return isinstance(state, dict) and state.get("delete") is True


def _registration(path: Path, index: int, state: Any) -> Registration:
    urn = state.get("urn") if isinstance(state, dict) else None
    if not isinstance(urn, str) or not urn.startswith("urn:pulumi:") or urn.count("::") < 3:
        raise InputError(f"{path}: deployment.resources[{index}] has no valid urn")
    for key, shape in (("inputs", dict), ("propertyDependencies", dict), ("dependencies", list)):
        if state.get(key) is not None and not isinstance(state[key], shape):
            kind = "an object" if shape is dict else "a list"
            raise InputError(f"{path}: deployment.resources[{index}] ({urn}): {key} must be {kind}")
    return Registration(
        urn=urn,
        type=str(state.get("type") or urn.split("::")[2].rsplit("$", 1)[-1]),
        name=urn.split("::", 3)[3],
        custom=bool(state.get("custom")),
        parent=str(state.get("parent") or ""),
        provider=str(state.get("provider") or ""),
        id=str(state.get("id") or ""),
        inputs=_unsealed(state.get("inputs") or {}),
        dependencies=[d for d in state.get("dependencies") or [] if isinstance(d, str)],
        property_dependencies={
            k: [d for d in v if isinstance(d, str)]
            for k, v in (state.get("propertyDependencies") or {}).items()
            if isinstance(v, list)
        },
        protect=state.get("protect") is True,
        source_position=_text(state.get("sourcePosition")),
        stack_trace=[
            frame["sourcePosition"]
            for frame in (state.get("stackTrace") if isinstance(state.get("stackTrace"), list) else [])
            if isinstance(frame, dict) and _text(frame.get("sourcePosition"))
        ],
    )


def _text(value: Any) -> str:
    # A position the export writes oddly says nothing: the finding falls back to the stack's file.
    return value if isinstance(value, str) else ""


def _unsealed(value: Any) -> Any:
    """Encrypted secrets as secrets of unknown value; plaintext secrets (--show-secrets exports) stay secrets."""
    if is_secret(value):
        inner = value["plaintext"] if "plaintext" in value else value.get("value", UNKNOWN)
        if isinstance(inner, str) and "plaintext" in value:
            with contextlib.suppress(ValueError):
                inner = json.loads(inner)  # the export writes a plaintext secret as its JSON encoding
        return {SIG_KEY: SECRET_SIG, "value": UNKNOWN if "ciphertext" in value else _unsealed(inner)}
    if isinstance(value, dict):
        return {k: _unsealed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unsealed(v) for v in value]
    return value


def _names(resources: list[Registration]) -> tuple[str, str]:
    # urn:pulumi:<stack>::<project>::<type>::<name>
    for r in resources:
        stack, project = r.urn.removeprefix("urn:pulumi:").split("::")[:2]
        return project, stack
    return "", ""
