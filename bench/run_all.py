"""Run every benchmark (check_all.py, analyze_synthetic.py) and print one summary table.

python bench/run_all.py [--repeat K] [--json FILE] [--large] [--no-identical]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import analyze_synthetic
import check_all
import measure
import synthetic_export


def _row(name: str, series: measure.Series, resources: int, violations: int) -> dict[str, Any]:
    return {
        "benchmark": name,
        "runs": len(series.runs),
        "min_seconds": round(series.min_wall, 3),
        "median_seconds": round(series.median_wall, 3),
        "median_cpu_seconds": round(series.median_cpu, 3),
        "resources": resources,
        "resources_per_second": round(resources / series.median_wall, 1),
        "violations": violations,
        "tree_peak_rss_mib": None if series.tree_peak_rss is None else round(series.tree_peak_rss / measure.MIB, 1),
        "largest_process_mib": round(series.largest_process_maxrss / measure.MIB, 1),
        "split": {
            kind: {"window_seconds": round(step.window, 3), "sum_seconds": round(step.total, 3), "count": step.count}
            for kind, step in series.split().items()
        },
    }


def print_split(rows: Sequence[dict[str, Any]]) -> None:
    """Per benchmark, each step's window (first start to last end) in seconds, median run."""
    header = ("benchmark", *measure.STEPS)
    lines = [
        (
            row["benchmark"],
            *(f"{row['split'][k]['window_seconds']:.2f}" if k in row["split"] else "-" for k in measure.STEPS),
        )
        for row in rows
    ]
    widths = [max(len(cells[i]) for cells in (header, *lines)) for i in range(len(header))]
    for cells in (header, tuple("-" * w for w in widths), *lines):
        print("  ".join([cells[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))]))


def print_table(rows: Sequence[dict[str, Any]]) -> None:
    header = ("benchmark", "min s", "median s", "cpu s", "resources", "res/s", "violations", "tree PSS", "largest proc")
    lines = [
        (
            row["benchmark"],
            f"{row['min_seconds']:.2f}",
            f"{row['median_seconds']:.2f}",
            f"{row['median_cpu_seconds']:.2f}",
            f"{row['resources']:,}",
            f"{row['resources_per_second']:,.0f}",
            f"{row['violations']:,}",
            "n/a" if row["tree_peak_rss_mib"] is None else f"{row['tree_peak_rss_mib']:.0f} MiB",
            f"{row['largest_process_mib']:.0f} MiB",
        )
        for row in rows
    ]
    widths = [max(len(cells[i]) for cells in (header, *lines)) for i in range(len(header))]

    def render(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        return "  ".join([first, *(c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))])

    print(render(header))
    print("  ".join("-" * w for w in widths))
    for cells in lines:
        print(render(cells))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Every llmops benchmark, with a summary table.")
    parser.add_argument("--repeat", type=int, default=1, metavar="K", help="runs per case; min and median reported")
    parser.add_argument("--region", choices=synthetic_export.REGIONS, default="eu-west-1", help="synthetic region")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the summary rows and machine as JSON")
    parser.add_argument(
        "--large", action="store_true", help=f"also analyze {analyze_synthetic.LINEAR_RESOURCES:,} resources (once)"
    )
    parser.add_argument("--no-identical", action="store_true", help="skip the comparisons with --jobs 1 runs")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    facts = measure.print_machine_facts()

    rows = []
    checked = check_all.run_cases(args.repeat, not args.no_identical)
    for result in checked:
        check_all.print_result(result)
        rows.append(_row(result.series.name, result.series, result.resources, result.violations))
    analyzed = []
    sizes = [*analyze_synthetic.SIZES, *([analyze_synthetic.LINEAR_RESOURCES] if args.large else [])]
    for size in sizes:
        repeat = 1 if size == analyze_synthetic.LINEAR_RESOURCES else args.repeat
        compare = not args.no_identical and size == analyze_synthetic.TARGET_RESOURCES
        result = analyze_synthetic.analyze(size, repeat, args.region, identical=compare)
        analyze_synthetic.print_result(result)
        analyzed.append(result)
        rows.append(_row(result.series.name, result.series, result.analyzed, result.violations))

    print(
        "summary (res/s at the median wall time; cpu s = median user + system time of llmops and its packs; "
        "tree PSS = peak sum of proportional set sizes over llmops and every process under it)"
    )
    print_table(rows)
    print()
    print("time split (s, first start to last end of each step; steps of a kind may overlap, and overlap each other)")
    print_split(rows)
    print()
    for line in [*check_all.target_lines(checked), *analyze_synthetic.target_lines(analyzed)]:
        print(line)
    end = measure.conditions()
    print(f"at the end: {end}")
    if args.json:
        document = {"machine": dict(facts), "at_end": end, "results": rows}
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
