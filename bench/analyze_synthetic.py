"""Benchmark `llmops analyze` on synthetic stack exports of 1,000 and 10,000 resources, with both packs.

For each size the export is generated first (bench/synthetic_export.py, not timed), then analyzed by one
`python -m llmops_infra.cli analyze --state FILE --pack hipaa --pack gdpr --format json --output FILE` per repeat.
That command reads the export, starts both packs, sends every resource to each (Analyze) and the stack once
(AnalyzeStack), and writes the JSON report: the wall time covers all of it, interpreter start included.

    python bench/analyze_synthetic.py [--repeat K] [--sizes 1000 10000] [--region eu-west-1]

The target from the issue (10,000 resources analyzed by both packs in under 10 s on a 2-core machine) is
reported as information; the benchmark never fails on it.
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
TARGET_SECONDS = 10.0


@dataclass
class Result:
    size: int
    series: measure.Series
    analyzed: int  # resources the report says were analyzed
    mandatory: int
    advisory: int
    export_mib: float
    generate_seconds: float

    @property
    def violations(self) -> int:
        return self.mandatory + self.advisory

    @property
    def resources_per_second(self) -> float:
        return self.analyzed / self.series.median_wall

    @property
    def best_resources_per_second(self) -> float:
        return self.analyzed / self.series.min_wall


def analyze(size: int, repeat: int = 1, region: str = "eu-west-1", keep: Path | None = None) -> Result:
    with tempfile.TemporaryDirectory(prefix="llmops-bench-") as tmp:
        folder = keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        state = folder / f"synthetic-{size}.json"
        output = folder / f"report-{size}.json"
        start = time.perf_counter()
        synthetic_export.write(synthetic_export.generate(size, region=region), state)
        generate_seconds = time.perf_counter() - start
        argv = [sys.executable, "-m", "llmops_infra.cli", "analyze", "--state", str(state)]
        argv += ["--pack", "hipaa", "--pack", "gdpr", "--format", "json", "--output", str(output)]
        series = measure.Series(f"analyze {size:,} resources, both packs")
        counts: set[tuple[int, int, int]] = set()
        for _ in range(repeat):
            series.runs.append(measure.run(argv, ok_codes=(0, 1)))
            report = json.loads(output.read_text(encoding="utf-8"))
            counts.add(
                (report["stacks"][0]["resources"], report["summary"]["mandatory"], report["summary"]["advisory"])
            )
        if len(counts) != 1:
            raise RuntimeError(f"the runs over the same export disagree: (resources, mandatory, advisory) {counts}")
        analyzed, mandatory, advisory = counts.pop()
        return Result(
            size=size,
            series=series,
            analyzed=analyzed,
            mandatory=mandatory,
            advisory=advisory,
            export_mib=state.stat().st_size / measure.MIB,
            generate_seconds=generate_seconds,
        )


def target_line(results: Sequence[Result]) -> str | None:
    for result in results:
        if result.size == TARGET_RESOURCES:
            wall = result.series.median_wall
            verdict = "met" if wall < TARGET_SECONDS else "NOT met"
            return (
                f"target: {TARGET_RESOURCES:,} resources, both packs, under {TARGET_SECONDS:g} s: {verdict} "
                f"(median {wall:.2f} s, min {result.series.min_wall:.2f} s)"
            )
    return None


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
    processes = max(r.tree_processes for r in series.runs)
    print(f"  peak tree RSS    {measure.mib(series.tree_peak_rss)} (llmops and its pack processes, up to {processes})")
    print(f"  largest process  {measure.mib(series.largest_process_maxrss)} (ru_maxrss from wait4)")
    print()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="`llmops analyze` on synthetic exports: time, rate and memory.")
    parser.add_argument("--repeat", type=int, default=1, metavar="K", help="runs per size; min and median reported")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), metavar="N", help="export sizes")
    parser.add_argument("--region", choices=synthetic_export.REGIONS, default="eu-west-1", help="aws region")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the exports and reports in this directory")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    measure.print_machine_facts()
    results = []
    for size in args.sizes:
        results.append(analyze(size, args.repeat, args.region, args.keep))
        print_result(results[-1])
    line = target_line(results)
    if line:
        print(line)
    print(f"at the end: {measure.conditions()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
