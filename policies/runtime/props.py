"""Safe reading of resource properties for rules: an odd shape means "not compliant", never an exception.

Props are pulumi_policy proxies (Mappings and Sequences, not dicts and lists), so shapes are tested on the ABCs.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard


def mapping(value: Any) -> Mapping[str, Any]:
    """A map-shaped value, or an empty map for anything else."""
    return value if isinstance(value, Mapping) else {}


def items(value: Any) -> list[Any]:
    """The elements of a list-shaped value; anything else (None, a string, a number) has none."""
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    return []


def nested(value: Any, *path: str) -> Any:
    """The value at `path` in nested mappings, or None as soon as a step is missing or not a mapping."""
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def listed(value: Any) -> Sequence[Any]:
    """A list-shaped value as it is, its items read one by one (so an item unknown at preview stops only the
    verdict that reads it); anything else has no items."""
    return value if isinstance(value, Sequence) and not isinstance(value, str | bytes) else ()


def one_or_many(value: Any) -> Sequence[Any]:
    """As `strings`, a string is a list of one, but the items are left unread (see `listed`)."""
    return (value,) if isinstance(value, str) else listed(value)


def strings(value: Any) -> list[str]:
    """IAM-style "one or many": a string is a list of one; non-string elements are dropped."""
    if isinstance(value, str):
        return [value]
    return [v for v in items(value) if isinstance(v, str)]


def named(value: Any) -> TypeGuard[str]:
    """A non-blank string: a key name, service account, workload pool."""
    return isinstance(value, str) and bool(value.strip())


def word(value: Any) -> str | None:
    """An enum-like string value, trimmed and upper-cased; None for anything else."""
    return value.strip().upper() if isinstance(value, str) else None


def is_true(value: Any) -> bool:
    # Some provider booleans are typed as strings (launch template associatePublicIpAddress, ebs.encrypted).
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def number(value: Any) -> float | None:
    """A numeric value; the analyzer protocol carries every number as a float, so 443.0 is 443."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def is_customer_key(value: Any) -> bool:
    """An AWS KMS key reference (key ARN, key id, alias) that is not an AWS-managed key: those are
    `alias/aws/<service>` (alias/aws/rds, alias/aws/s3 ...), as a bare alias or inside an alias ARN."""
    return isinstance(value, str) and bool(value.strip()) and not re.search(r"(^|:)alias/aws/", value)


def has_key(props: Mapping[str, Any], key: str) -> bool:
    # Iterating keys does not read values, so this never trips the unknown-value proxy.
    return any(k == key for k in props)


def is_open_cidr(value: Any) -> bool:
    """True for a CIDR that admits every address (0.0.0.0/0, ::/0 and their spellings)."""
    if not isinstance(value, str):
        return False
    try:
        return ipaddress.ip_network(value.strip(), strict=False).prefixlen == 0
    except ValueError:
        # Not a CIDR at all: AWS rejects it at apply, and it opens nothing.
        return False


def shown(value: Any) -> str:
    """A value for a message, as the user wrote it in JSON or YAML: true/false/null, 7 (not 7.0), "text".

    The analyzer protocol carries every number as a float and Python spells booleans and None its own way, so
    messages print values through here rather than with repr or str. Lists and maps print as JSON.
    """
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return json.dumps(value)  # 0.5, NaN, Infinity
    if isinstance(value, int | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)}: {shown(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Sequence) and not isinstance(value, bytes):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    return str(value)
