"""Benchmark `llmops check --all`: wall time and peak memory of checking every stack in configs/.

Two cases, each one `llmops` process (run as `python -m llmops_infra.cli`, as the console script would) that runs
every stack program offline and starts one process per policy pack per stack:

- both packs: `check --all --pack hipaa --pack gdpr` (every stack judged by both);
- declared packs: `check --all` (each stack's own `compliance` list; a stack that declares none is not judged).

    python bench/check_all.py [--repeat K]

Exit code 1 of `llmops check` (mandatory violations found) is a result, not a failure; exit code 2 is.
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
    "check --all, both packs": ["--pack", "hipaa", "--pack", "gdpr"],
    "check --all, declared packs": [],
}


@dataclass
class Result:
    series: measure.Series
    stacks: int
    resources: int  # resources analyzed, over all stacks (0 for a stack no pack judged)
    mandatory: int
    advisory: int

    @property
    def violations(self) -> int:
        return self.mandatory + self.advisory

    @property
    def resources_per_second(self) -> float:
        return self.resources / self.series.median_wall


def check_all(name: str, packs: Sequence[str], repeat: int = 1) -> Result:
    series = measure.Series(name)
    report: dict = {}
    with tempfile.TemporaryDirectory(prefix="llmops-bench-") as tmp:
        output = str(Path(tmp) / "report.json")
        argv = [
            sys.executable,
            "-m",
            "llmops_infra.cli",
            "check",
            "--all",
            *packs,
            "--format",
            "json",
            "--output",
            output,
        ]
        for _ in range(repeat):
            series.runs.append(measure.run(argv, ok_codes=(0, 1)))
            report = json.loads(Path(output).read_text(encoding="utf-8"))
    stacks = report["stacks"]
    return Result(
        series=series,
        stacks=len(stacks),
        # A stack no pack judged still counts its resources in the report; only judged stacks count here.
        resources=sum(s["resources"] for s in stacks if s["packs"]),
        mandatory=report["summary"]["mandatory"],
        advisory=report["summary"]["advisory"],
    )


def run_cases(repeat: int = 1) -> list[Result]:
    return [check_all(name, packs, repeat) for name, packs in CASES.items()]


def print_result(result: Result) -> None:
    series = result.series
    print(series.name)
    print(f"  command          python {' '.join(series.runs[0].argv[1:])}")
    print(f"  wall time        {measure.seconds(series)}")
    print(f"  cpu time         {series.median_cpu:.2f} s (user + system, llmops and its packs; median)")
    print(f"  stacks           {result.stacks} ({result.resources} resources judged by at least one pack)")
    print(f"  resources/s      {result.resources_per_second:.0f} (judged resources / median wall time)")
    print(f"  violations       {result.mandatory} mandatory, {result.advisory} advisory")
    tree = series.tree_peak_rss
    processes = max(r.tree_processes for r in series.runs)
    print(f"  peak tree RSS    {measure.mib(tree)} (llmops and its pack processes, up to {processes} at once)")
    print(f"  largest process  {measure.mib(series.largest_process_maxrss)} (ru_maxrss from wait4)")
    print()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Wall time and peak memory of `llmops check --all`.")
    parser.add_argument("--repeat", type=int, default=1, metavar="K", help="runs per case; min and median reported")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    measure.print_machine_facts()
    for result in run_cases(args.repeat):
        print_result(result)
    print(
        f"all children (getrusage RUSAGE_CHILDREN ru_maxrss, largest process of every run): "
        f"{measure.mib(measure.children_maxrss())}"
    )
    print(f"at the end: {measure.conditions()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
