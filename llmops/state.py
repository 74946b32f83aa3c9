"""Pulumi's stack export format (`pulumi stack export`, deployment version 3): write a recording as one.

Secrets are written in the export's secret envelope with the ciphertext withheld: the offline engine has no
secrets provider, and a secret must never reach a file in plain text.
"""

from __future__ import annotations

import datetime as dt
from importlib.metadata import version
from typing import Any

from llmops.engine import Recording, Registration
from llmops.wire import SECRET_SIG, SIG_KEY, is_secret

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
