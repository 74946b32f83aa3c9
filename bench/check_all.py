"""Benchmark `llmops check`: wall time, CPU, peak memory and time split of checking stacks, programs included.

Three cases, each one `llmops` process (run as `python -m llmops_infra.cli`, as the console script would) that runs
the stack programs offline (side by side, one process each) and starts one process per policy pack per stack:

- `check prod-hipaa` (its declared pack, hipaa), the program run included;
- both packs: `check --all --pack hipaa --pack gdpr` (every stack judged by both);
- declared packs: `check --all` (each stack's own `compliance` list; a stack that declares none is not judged).

    python bench/check_all.py [--repeat K] [--no-identical] [--spawned]

Each case gets a fork-server cache of its own (XDG_CACHE_HOME, see docs/architecture.md): its first run starts with
nothing learned and is reported apart as the cold run; the K runs after it are the ones timed. --spawned adds each
case once more with LLMOPS_FORK_SERVER=0 (every program in an interpreter of its own), for comparison.

Targets (issue 15, 2 cores): `check prod-hipaa` at most 1.5 s, `check --all` at most 4 s, reported as information.
Unless --no-identical, each --all case runs once more with --jobs 1 (one stack after the other) and its reports
and output must be byte-identical. Exit code 1 of `llmops check` (mandatory violations found) is a result, not a
failure; exit code 2 is.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import measure

CASES: dict[str, list[str]] = {
    "check prod-hipaa": ["prod-hipaa"],
    "check --all, both packs": ["--all", "--pack", "hipaa", "--pack", "gdpr"],
    "check --all, declared packs": ["--all"],
}
TARGETS = {"check prod-hipaa": 1.5, "check --all, declared packs": 4.0}
FORMATS = ("json", "sarif", "markdown")


@dataclass
class Result:
    series: measure.Series
    stacks: int
    resources: int  # resources analyzed, over all stacks (0 for a stack no pack judged)
    mandatory: int
    advisory: int
    identical: bool | None = None  # a --jobs 1 run wrote the same reports and output (None: not compared)
    cold: measure.Run | None = None  # the first run, before the fork server had learned anything (not timed)

    @property
    def violations(self) -> int:
        return self.mandatory + self.advisory

    @property
    def resources_per_second(self) -> float:
        return self.resources / self.series.median_wall


def _argv(arguments: Sequence[str], folder: Path, *extra: str) -> list[str]:
    argv = [sys.executable, "-m", "llmops_infra.cli", "check", *arguments, *extra]
    for fmt in FORMATS:
        argv += ["--format", fmt, "--output", str(folder / f"report.{fmt}")]
    return argv


def _written(run: measure.Run, folder: Path) -> tuple[str, str, dict[str, bytes]]:
    reports = {fmt: (folder / f"report.{fmt}").read_bytes() for fmt in FORMATS}
    return run.stdout.replace(str(folder), "DIR"), run.stderr, reports


def check_all(
    name: str, arguments: Sequence[str], repeat: int = 1, identical: bool = False, spawned: bool = False
) -> Result:
    series = measure.Series(name + (", spawned" if spawned else ""))
    report: dict = {}
    same = cold = None
    with tempfile.TemporaryDirectory(prefix="llmops-bench-") as tmp:
        folder, sequential = Path(tmp, "side-by-side"), Path(tmp, "jobs-1")
        folder.mkdir()
        sequential.mkdir()
        env = {"XDG_CACHE_HOME": str(Path(tmp, "cache"))}
        if spawned:
            env["LLMOPS_FORK_SERVER"] = "0"
        else:
            cold = measure.run(_argv(arguments, folder), ok_codes=(0, 1), env=env)
        for _ in range(repeat):
            series.runs.append(measure.run(_argv(arguments, folder), ok_codes=(0, 1), env=env))
            report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
        if identical:  # the sequential run, not timed
            one = measure.run(_argv(arguments, sequential, "--jobs", "1"), ok_codes=(0, 1), env=env)
            same = _written(one, sequential) == _written(series.runs[-1], folder)
    stacks = report["stacks"]
    return Result(
        series=series,
        stacks=len(stacks),
        # A stack no pack judged still counts its resources in the report; only judged stacks count here.
        resources=sum(s["resources"] for s in stacks if s["packs"]),
        mandatory=report["summary"]["mandatory"],
        advisory=report["summary"]["advisory"],
        identical=same,
        cold=cold,
    )


def run_cases(repeat: int = 1, identical: bool = True, spawned: bool = False) -> list[Result]:
    variants = (False, True) if spawned else (False,)
    return [
        check_all(name, args, repeat, identical and "--all" in args, spawn)
        for spawn in variants
        for name, args in CASES.items()
    ]


def target_lines(results: Sequence[Result]) -> list[str]:
    lines = []
    for result in results:
        limit = TARGETS.get(result.series.name)
        if limit is not None:
            wall = result.series.median_wall
            verdict = "met" if wall <= limit else "NOT met"
            lines.append(f"target: {result.series.name} at most {limit:g} s: {verdict} (median {wall:.2f} s)")
        if result.identical is not None:
            verdict = "met" if result.identical else "NOT met"
            lines.append(f"target: {result.series.name}, reports and output identical to --jobs 1: {verdict}")
    return lines


def print_result(result: Result) -> None:
    series = result.series
    print(series.name)
    print(f"  command          python {' '.join(series.runs[0].argv[1:])}")
    print(f"  wall time        {measure.seconds(series)}")
    if result.cold is not None:
        cold = result.cold
        print(f"  cold cache       {cold.wall_seconds:.2f} s wall, {cold.cpu_seconds:.2f} s cpu (first run, untimed)")
    print(f"  cpu time         {series.median_cpu:.2f} s (user + system, llmops and its packs; median)")
    print(f"  stacks           {result.stacks} ({result.resources} resources judged by at least one pack)")
    print(f"  resources/s      {result.resources_per_second:.0f} (judged resources / median wall time)")
    print(f"  violations       {result.mandatory} mandatory, {result.advisory} advisory")
    print(f"  time split       {measure.split_line(series)}")
    tree = series.tree_peak_rss
    processes = max(r.tree_processes for r in series.runs)
    print(f"  peak tree PSS    {measure.mib(tree)} (llmops and every process under it, up to {processes} at once)")
    print(f"  largest process  {measure.mib(series.largest_process_maxrss)} (ru_maxrss from wait4)")
    print()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Wall time and peak memory of `llmops check --all`.")
    parser.add_argument("--repeat", type=int, default=1, metavar="K", help="runs per case; min and median reported")
    parser.add_argument("--no-identical", action="store_true", help="skip comparing with a --jobs 1 run")
    parser.add_argument("--spawned", action="store_true", help="each case also with LLMOPS_FORK_SERVER=0")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    measure.print_machine_facts()
    results = run_cases(args.repeat, not args.no_identical, args.spawned)
    for result in results:
        print_result(result)
    for line in target_lines(results):
        print(line)
    print(
        f"all children (getrusage RUSAGE_CHILDREN ru_maxrss, largest process of every run): "
        f"{measure.mib(measure.children_maxrss())}"
    )
    print(f"at the end: {measure.conditions()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
