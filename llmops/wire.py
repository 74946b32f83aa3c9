"""Pulumi's wire format for property values, as the engine and the analyzer protocol carry them.

A secret is a map `{SIG_KEY: SECRET_SIG, "value": ...}`, a resource reference a map with RESOURCE_SIG, an
unknown (a value not computed yet at preview) the string UNKNOWN. Everything that shows a value to a person
goes through `redact`, so a secret is never printed or written in plain text.
"""

from __future__ import annotations

from typing import Any

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

REDACTED = "[secret]"
SHOWN_UNKNOWN = "(known after apply)"


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def is_unknown(value: Any) -> bool:
    return value == UNKNOWN


def redact(value: Any) -> Any:
    """The value as a person may see it: secrets replaced, unknowns spelled out, references as their URN."""
    if is_secret(value):
        return REDACTED
    if is_unknown(value):
        return SHOWN_UNKNOWN
    if isinstance(value, dict):
        if value.get(SIG_KEY) == RESOURCE_SIG:
            return value.get("urn", "")
        if value.get(SIG_KEY) == OUTPUT_SIG:
            return REDACTED if value.get("secret") else redact(value.get("value", UNKNOWN))
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def contains_secret(value: Any) -> bool:
    if is_secret(value):
        return True
    if isinstance(value, dict):
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_secret(v) for v in value)
    return False
