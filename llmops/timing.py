"""Where a command's time goes, for bench/: the steps of `llmops check` and `llmops analyze`, timed when asked.

With LLMOPS_TIMINGS=FILE in the environment, every step (`span`) is recorded with its start and end on one
clock (seconds since the command started) and written to FILE as JSON when the command ends; without it, `span`
does nothing. Steps of one kind may overlap (stack programs side by side, a pack's processes): bench/measure.py
reports, per kind, the time from the first start to the last end and the sum of the steps.

Kinds: "program" (a stack's program, label the stack), "read" (an export read), "encode" (resources encoded for
the packs), "pack start" (a pack process started, up to its port; label the pack), "Analyze" (one process's
Analyze calls), "AnalyzeStack", "report" (rendering and writing the reports).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ENV = "LLMOPS_TIMINGS"

_START = time.perf_counter()
_lock = threading.Lock()
_spans: list[dict[str, object]] = []


def enabled() -> bool:
    return bool(os.environ.get(ENV))


@contextlib.contextmanager
def span(kind: str, label: str = "") -> Iterator[None]:
    if not enabled():
        yield
        return
    start = time.perf_counter() - _START
    try:
        yield
    finally:
        end = time.perf_counter() - _START
        with _lock:
            _spans.append({"kind": kind, "label": label, "start": round(start, 4), "end": round(end, 4)})


def write() -> None:
    """Write the steps recorded so far to LLMOPS_TIMINGS (when set), with the time since the first import of this
    module, and forget them (each command of a process that runs several, as the tests do, writes its own)."""
    target = os.environ.get(ENV)
    if not target:
        return
    with _lock:
        document = {"total": round(time.perf_counter() - _START, 4), "spans": list(_spans)}
        _spans.clear()
    with contextlib.suppress(OSError):
        Path(target).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
