"""How a component built in code refuses a spec the config path would refuse: the same checks, the same words."""

from __future__ import annotations

from collections.abc import Sequence

from llmops_infra.components.config.base import Problem, format_path


def refuse(what: str, problems: Sequence[Problem]) -> None:
    """Raise ValueError naming `what` (e.g. "pool h100") and each problem's key and message; nothing if none.

    The problems come from the same check functions `parse_platform` runs, so a team that builds a pool in code
    reads the message a config author would, with the key relative to the spec it passed.
    """
    if problems:
        found = "; ".join(f"{format_path(p.path)}: {p.message}" if p.path else p.message for p in problems)
        raise ValueError(f"{what}: {found}")
