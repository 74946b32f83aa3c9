"""Benchmark `llmops analyze` on synthetic stack exports of 1,000 and 10,000 resources, with both packs.

For each size the export is generated first (bench/synthetic_export.py, not timed), then analyzed by one
`python -m llmops_infra.cli analyze --state FILE --pack hipaa --pack gdpr --format json --output FILE` per repeat.
That command reads the export, starts both packs, sends every resource to each (Analyze) and the stack once
(AnalyzeStack), and writes the JSON report: the wall time covers all of it, interpreter start included.

    python bench/analyze_synthetic.py [--repeat K] [--sizes 1000 10000 100000] [--region eu-west-1] [--no-identical]

The targets (issue 15, on a 2-core machine): 10,000 resources by both packs in at most 4 s wall and 8 CPU-seconds
with the process tree under 500 MiB; 100,000 in at most 10 times the 10,000 time. They are reported as
information; the benchmark never fails on them. Unless --no-identical, the largest size is analyzed once more
with --jobs 1 (everything one after the other, one process per pack) and its reports must be byte-identical.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import measure
import synthetic_export

SIZES = (1000, 10000)
TARGET_RESOURCES = 10000
TARGET_SECONDS = 4.0
TARGET_CPU_SECONDS = 8.0
TARGET_TREE_MIB = 500
LINEAR_RESOURCES = 100000  # at most LINEAR_FACTOR times the TARGET_RESOURCES time
LINEAR_FACTOR = 10
FORMATS = ("json", "sarif", "text")


@dataclass
class Result:
    size: int
    series: measure.Series
    analyzed: int  # resources the report says were analyzed
    mandatory: int
    advisory: int
    export_mib: float
    generate_seconds: float
    identical: bool | None = None  # the reports of a --jobs 1 run are the same bytes (None: not compared)

    @property
    def violations(self) -> int:
        return self.mandatory + self.advisory

    @property
    def resources_per_second(self) -> float:
        return self.analyzed / self.series.median_wall

    @property
    def best_resources_per_second(self) -> float:
        return self.analyzed / self.series.min_wall


def _argv(state: Path, folder: Path, *extra: str) -> list[str]:
    argv = [sys.executable, "-m", "llmops_infra.cli", "analyze", "--state", str(state), "--pack", "hipaa"]
    argv += ["--pack", "gdpr", *extra]
    for fmt in FORMATS:
        argv += ["--format", fmt, "--output", str(folder / f"report.{fmt}")]
    return argv


def _reports(folder: Path) -> dict[str, bytes]:
    return {fmt: (folder / f"report.{fmt}").read_bytes() for fmt in FORMATS}


def analyze(
    size: int, repeat: int = 1, region: str = "eu-west-1", keep: Path | None = None, identical: bool = False
) -> Result:
    with tempfile.TemporaryDirectory(prefix="llmops-bench-") as tmp:
        folder = keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        state = folder / f"synthetic-{size}.json"
        reports = folder / f"reports-{size}"
        reports.mkdir(exist_ok=True)
        start = time.perf_counter()
        synthetic_export.write(synthetic_export.generate(size, region=region), state)
        generate_seconds = time.perf_counter() - start
        series = measure.Series(f"analyze {size:,} resources, both packs")
        counts: set[tuple[int, int, int]] = set()
        for _ in range(repeat):
            series.runs.append(measure.run(_argv(state, reports), ok_codes=(0, 1)))
            report = json.loads((reports / "report.json").read_text(encoding="utf-8"))
            counts.add(
                (report["stacks"][0]["resources"], report["summary"]["mandatory"], report["summary"]["advisory"])
            )
        if len(counts) != 1:
            raise RuntimeError(f"the runs over the same export disagree: (resources, mandatory, advisory) {counts}")
        same = None
        if identical:  # the sequential run: --jobs 1, one process per pack, not timed
            sequential = folder / f"reports-{size}-jobs-1"
            sequential.mkdir(exist_ok=True)
            measure.run(_argv(state, sequential, "--jobs", "1"), ok_codes=(0, 1))
            same = _reports(sequential) == _reports(reports)
        analyzed, mandatory, advisory = counts.pop()
        return Result(
            size=size,
            series=series,
            analyzed=analyzed,
            mandatory=mandatory,
            advisory=advisory,
            export_mib=state.stat().st_size / measure.MIB,
            generate_seconds=generate_seconds,
            identical=same,
        )


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def target_lines(results: Sequence[Result]) -> list[str]:
    by_size = {r.size: r for r in results}
    lines = []
    at_target = by_size.get(TARGET_RESOURCES)
    if at_target is not None:
        series = at_target.series
        wall, cpu, tree = series.median_wall, series.median_cpu, series.tree_peak_rss
        tree_ok = tree is not None and tree < TARGET_TREE_MIB * measure.MIB
        lines.append(
            f"target: {TARGET_RESOURCES:,} resources, both packs, at most {TARGET_SECONDS:g} s wall: "
            f"{_met(wall <= TARGET_SECONDS)} (median {wall:.2f} s, min {series.min_wall:.2f} s); "
            f"at most {TARGET_CPU_SECONDS:g} CPU-seconds: {_met(cpu <= TARGET_CPU_SECONDS)} ({cpu:.2f} s); "
            f"tree under {TARGET_TREE_MIB} MiB: {_met(tree_ok)} ({measure.mib(tree)})"
        )
    large = by_size.get(LINEAR_RESOURCES)
    if large is not None and at_target is not None:
        ratio = large.series.median_wall / at_target.series.median_wall
        lines.append(
            f"target: {LINEAR_RESOURCES:,} resources in at most {LINEAR_FACTOR}x the {TARGET_RESOURCES:,} time: "
            f"{_met(ratio <= LINEAR_FACTOR)} ({ratio:.1f}x: {large.series.median_wall:.2f} s, "
            f"tree {measure.mib(large.series.tree_peak_rss)})"
        )
    for result in results:
        if result.identical is not None:
            lines.append(
                f"target: reports byte-identical to the sequential run (--jobs 1) at {result.size:,} resources: "
                f"{_met(result.identical)}"
            )
    return lines


def print_result(result: Result) -> None:
    series = result.series
    print(series.name)
    print(
        f"  export           {result.analyzed} resources, {result.export_mib:.1f} MiB "
        f"(generated in {result.generate_seconds:.2f} s, not timed)"
    )
    print(f"  wall time        {measure.seconds(series)}")
    print(f"  cpu time         {series.median_cpu:.2f} s (user + system, llmops and its packs; median)")
    rate = f"{result.resources_per_second:.0f}"
    if len(series.runs) > 1:
        rate += f" at the median, {result.best_resources_per_second:.0f} at the best run"
    print(f"  resources/s      {rate}")
    print(f"  violations       {result.mandatory} mandatory, {result.advisory} advisory")
    print(f"  time split       {measure.split_line(series)}")
    processes = max(r.tree_processes for r in series.runs)
    tree = measure.mib(series.tree_peak_rss)
    print(f"  peak tree PSS    {tree} (llmops and every process under it, up to {processes})")
    print(f"  largest process  {measure.mib(series.largest_process_maxrss)} (ru_maxrss from wait4)")
    print()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="`llmops analyze` on synthetic exports: time, rate and memory.")
    parser.add_argument("--repeat", type=int, default=1, metavar="K", help="runs per size; min and median reported")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), metavar="N", help="export sizes")
    parser.add_argument("--region", choices=synthetic_export.REGIONS, default="eu-west-1", help="aws region")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the exports and reports in this directory")
    parser.add_argument(
        "--no-identical", action="store_true", help="skip comparing the largest size's reports with a --jobs 1 run"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    measure.print_machine_facts()
    results = []
    for size in args.sizes:
        compare = not args.no_identical and size == max(args.sizes)
        results.append(analyze(size, args.repeat, args.region, args.keep, identical=compare))
        print_result(results[-1])
    for line in target_lines(results):
        print(line)
    print(f"at the end: {measure.conditions()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
