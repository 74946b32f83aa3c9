"""Shared by the benchmarks: run a command and measure its wall time and memory, and describe the machine.

Memory is measured two ways, because `llmops` starts one process per policy pack:

- tree peak PSS: while the command runs, a sampler adds up the proportional set size (/proc/<pid>/smaps_rollup)
  of the command's process and every descendant (fork servers, the programs and packs they fork, spawned
  children) and keeps the largest sum. A page shared by n processes counts 1/n to each, so a fork server and its
  children are counted once; resident size (statm) where the kernel has no smaps_rollup, psutil when installed.
  Reading smaps_rollup costs about 0.7 ms per process, so the sampler waits at least POLL_SECONDS and at least
  SAMPLER_SHARE times its last sample's cost between samples (at most about 5 % of one core, CPU the benchmark
  itself needs on two cores); a peak shorter than that interval can be missed.
- largest process ru_maxrss: the kernel's high-water mark of the single largest process among the command and
  the descendants it waited for, from os.wait4 on the command: the same number as
  resource.getrusage(RUSAGE_CHILDREN).ru_maxrss, but for this one run only (getrusage accumulates over every
  child this benchmark ever waited for). It is a maximum, not a sum: with two packs beside the host it is the
  biggest of the three, never their total.

The time split comes from `llmops` itself: run with LLMOPS_TIMINGS=FILE (llmops/timing.py), it records when each
step started and ended (a stack's program, an export read, the encoding, each pack process's start, Analyze calls
and AnalyzeStack call, the reports). Steps of one kind overlap when they run side by side, so each kind is shown as
the time from its first start to its last end and, when there are several, the sum of their durations.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
POLL_SECONDS = 0.05
SAMPLER_SHARE = 19  # wait between two samples at least this many times what one sample took
MIB = 1024 * 1024
TIMINGS_ENV = "LLMOPS_TIMINGS"  # llmops/timing.py
# The steps of the time split, in the order they happen.
STEPS = ("program", "read", "encode", "pack start", "Analyze", "AnalyzeStack", "report")

try:  # optional: the project does not depend on psutil
    import psutil
except ImportError:  # pragma: no cover - depends on the environment
    psutil = None


# ---- process tree memory -----------------------------------------------------------------------------------


def _proc_children(pid: int) -> list[int]:
    children: list[int] = []
    with contextlib.suppress(OSError):
        for tid in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{tid}/children") as f:
                children.extend(int(c) for c in f.read().split())
    return children


def _proc_memory(pid: int) -> int:
    """The process's proportional set size: its own pages, plus each page it shares with n processes over n.

    Resident size would count a page that forked processes share (a fork server and its children) once per
    process; PSS counts it once in all. Resident size where the kernel has no smaps_rollup."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0  # exited in between


def _tree_rss_proc(root: int) -> tuple[int, int]:
    total, count, pending = 0, 0, [root]
    while pending:
        pid = pending.pop()
        memory = _proc_memory(pid)
        if memory:
            total += memory
            count += 1
        pending.extend(_proc_children(pid))
    return total, count


def _tree_rss_psutil(root: int) -> tuple[int, int]:
    total, count, pending = 0, 0, [root]
    while pending:
        pid = pending.pop()
        try:
            process = psutil.Process(pid)
            total += getattr(process.memory_full_info(), "pss", None) or process.memory_info().rss
            count += 1
            pending.extend(child.pid for child in process.children())
        except psutil.Error:
            continue
    return total, count


def tree_method() -> str:
    """How this machine samples the process tree, or "" when it cannot."""
    if psutil is not None:
        return "psutil"
    if Path("/proc/self/task").is_dir() and Path(f"/proc/self/task/{os.getpid()}/children").exists():
        return "/proc"
    return ""


class _TreeSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.stop = threading.Event()
        self.peak = 0
        self.processes_at_peak = 0
        self.method = tree_method()
        self._sample = _tree_rss_psutil if self.method == "psutil" else _tree_rss_proc

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            total, count = self._sample(self.pid)
            if total > self.peak:
                self.peak, self.processes_at_peak = total, count
            self.stop.wait(max(POLL_SECONDS, SAMPLER_SHARE * (time.perf_counter() - started)))


# ---- one measured run --------------------------------------------------------------------------------------


@dataclass
class Run:
    argv: list[str]
    exit_code: int
    wall_seconds: float
    cpu_seconds: float  # user + system time of the command and the descendants it waited for (the packs)
    largest_process_maxrss: int  # bytes (wait4 ru_maxrss)
    tree_peak_rss: int | None  # bytes; None when the tree could not be sampled
    tree_processes: int  # processes alive at the tree peak
    stdout: str
    stderr: str
    spans: list[dict[str, Any]] = field(default_factory=list)  # llmops' own steps (LLMOPS_TIMINGS)


def run(
    argv: Sequence[str], ok_codes: Sequence[int] = (0,), cwd: Path = REPO, env: Mapping[str, str] | None = None
) -> Run:
    """Run `argv` to the end, measuring it; raise when it exits with a code outside `ok_codes`. `env` is added to
    this process's environment."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory(prefix="llmops-timings-") as scratch,
    ):
        timings = Path(scratch, "timings.json")
        env = {**os.environ, **(env or {}), TIMINGS_ENV: str(timings)}
        start = time.perf_counter()
        process = subprocess.Popen(list(argv), cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
        sampler = _TreeSampler(process.pid)
        if sampler.method:
            sampler.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            sampler.stop.set()
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here; Popen must not wait again
        if sampler.method:
            sampler.join()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        spans: list[dict[str, Any]] = []
        with contextlib.suppress(OSError, ValueError, KeyError):
            spans = list(json.loads(timings.read_text(encoding="utf-8"))["spans"])
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    maxrss = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    result = Run(
        argv=list(argv),
        exit_code=process.returncode,
        wall_seconds=wall,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        largest_process_maxrss=maxrss,
        tree_peak_rss=sampler.peak if sampler.method else None,
        tree_processes=sampler.processes_at_peak,
        stdout=stdout,
        stderr=stderr,
        spans=spans,
    )
    if result.exit_code not in ok_codes:
        raise RuntimeError(
            f"{' '.join(argv)} exited {result.exit_code} (expected {', '.join(map(str, ok_codes))}):\n"
            f"{stderr.strip() or stdout.strip()}"
        )
    return result


@dataclass
class Series:
    """Repeated runs of one benchmark case."""

    name: str
    runs: list[Run] = field(default_factory=list)

    @property
    def walls(self) -> list[float]:
        return [r.wall_seconds for r in self.runs]

    @property
    def min_wall(self) -> float:
        return min(self.walls)

    @property
    def median_wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def median_cpu(self) -> float:
        return statistics.median(r.cpu_seconds for r in self.runs)

    @property
    def tree_peak_rss(self) -> int | None:
        peaks = [r.tree_peak_rss for r in self.runs if r.tree_peak_rss is not None]
        return max(peaks) if peaks else None

    @property
    def largest_process_maxrss(self) -> int:
        return max(r.largest_process_maxrss for r in self.runs)

    def split(self) -> dict[str, Step]:
        """Each step kind's median window, median sum and how many there were, over the runs."""
        steps: dict[str, Step] = {}
        for kind in STEPS:
            per_run = [[s for s in r.spans if s["kind"] == kind] for r in self.runs]
            per_run = [spans for spans in per_run if spans]
            if per_run:
                steps[kind] = Step(
                    window=statistics.median(max(s["end"] for s in sp) - min(s["start"] for s in sp) for sp in per_run),
                    total=statistics.median(sum(s["end"] - s["start"] for s in sp) for sp in per_run),
                    count=max(len(sp) for sp in per_run),
                )
        return steps


@dataclass(frozen=True)
class Step:
    window: float  # first start to last end, seconds
    total: float  # the steps' durations added up
    count: int


def split_line(series: Series) -> str:
    """`program 2.35 s, pack start 0.37 s (2: 0.74 s summed), ...`: the time split of a series, median run."""
    parts = []
    for kind, step in series.split().items():
        text = f"{kind} {step.window:.2f} s"
        if step.count > 1:
            text += f" ({step.count}: {step.total:.2f} s summed)"
        parts.append(text)
    return ", ".join(parts) or "n/a (this llmops records no timings)"


def mib(value: int | None) -> str:
    return "n/a" if value is None else f"{value / MIB:.0f} MiB"


def seconds(series: Series) -> str:
    if len(series.runs) == 1:
        return f"{series.min_wall:.2f} s"
    return f"min {series.min_wall:.2f} s, median {series.median_wall:.2f} s ({len(series.runs)} runs)"


# ---- the machine -------------------------------------------------------------------------------------------


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_total() -> str:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "unknown"


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def cpu_check_ms() -> float:
    """A fixed Python workload, best of five, in ms: how fast this machine runs Python right now.

    It builds small dicts and lists, as decoding and encoding resources does, so it feels memory as well as
    the core. On a shared virtual machine the same code can take much longer when neighbours are busy, with
    no sign in the load average; a slower check beside a slower benchmark says the machine changed, not the code.
    """

    def once() -> float:
        start = time.perf_counter()
        values = [{"key": i, "value": [i, str(i)]} for i in range(200_000)]
        values.clear()
        return time.perf_counter() - start

    return min(once() for _ in range(5)) * 1000


def conditions() -> str:
    """Load average and CPU check, for the start and the end of a benchmark."""
    return f"load average {load_average()} (1, 5, 15 min); cpu check {cpu_check_ms():.0f} ms"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine slows every benchmark down."""
    return ", ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


def machine_facts() -> list[tuple[str, str]]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = " (uncommitted changes)" if _git("status", "--porcelain", "--untracked-files=no") else ""
    method = tree_method()
    return [
        ("cpus", f"{os.cpu_count()} (usable by this process: {usable}); {_cpu_model()}"),
        ("memory", _memory_total()),
        ("python", f"{platform.python_version()} ({sys.executable})"),
        ("platform", platform.platform()),
        ("packages", ", ".join(f"{p} {_version(p)}" for p in ("pulumi", "pulumi-policy", "grpcio", "protobuf"))),
        ("commit", f"{commit or 'unknown'}{dirty}"),
        ("load average", f"{load_average()} (1, 5, 15 min) at start"),
        ("cpu check", f"{cpu_check_ms():.0f} ms at start (a fixed Python workload, best of 5; lower is faster)"),
        ("tree memory", f"PSS sampled with {method} every {POLL_SECONDS:g} s or more" if method else "not available"),
    ]


def print_machine_facts() -> list[tuple[str, str]]:
    facts = machine_facts()
    print("machine")
    for key, value in facts:
        print(f"  {key:<13} {value}")
    print()
    return facts


def children_maxrss() -> int:
    """resource.getrusage(RUSAGE_CHILDREN).ru_maxrss in bytes: the largest child process of this whole run."""
    value = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return value * (1 if sys.platform == "darwin" else 1024)
