"""Wall time of the whole suite at JOBS=1, 2 and 4 against one sandbox, and whether the verdict is the same.

    flock /tmp/focus-sandbox.lock .venv/bin/python -m benchmarks.parallel [--jobs 1 2 4] [--tags EXPR]

One private sandbox stack serves every run (its start is timed apart). Each run is what
``make acceptance JOBS=N`` does after the stack is up: plan, N workers (the ``@serial`` /
``@exclusive`` scenarios alone after them), merge, verdict (no HTML). The JOBS=1 run's timings
balance the others. Printed: wall time, speed-up over JOBS=1, the time the scenarios that must run
alone took (the part no worker count shortens), statuses, the verdict, and every scenario whose
outcome differs from JOBS=1. Target: >= 1.7x at JOBS=2 with the same verdict.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.suite_runs_common import differences, private_stack, run_full_suite, sigterm_as_interrupt

TARGET = 1.7


def _alone_seconds(reports: Path) -> float:
    """Seconds the phase of scenarios that run alone took (0 at JOBS=1, where there is no such phase)."""
    record = reports / "workers" / "alone" / "run-results.json"
    try:
        return sum(r.get("duration_s", 0.0) for r in json.loads(record.read_text())["records"])
    except (OSError, ValueError, KeyError):
        return 0.0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--tags", default="", help="a behave tag expression (default: the whole suite)")
    args = parser.parse_args(argv)
    sigterm_as_interrupt()
    try:
        return _compare(sorted(set(args.jobs)), args.tags)
    except KeyboardInterrupt:
        print("\n[parallel] interrupted: no figures (a half run would compare wrongly)", flush=True)
        return 130


def _compare(jobs: list[int], tags: str) -> int:
    with tempfile.TemporaryDirectory(prefix="focus-parallel-bench-") as tmp:
        began = time.monotonic()
        with private_stack():
            print(f"sandbox stack ready in {time.monotonic() - began:.1f} s (not counted below)", flush=True)
            results = []
            for n in jobs:
                timings = Path(tmp) / f"jobs{jobs[0]}" / "timings.json" if results else None
                result = run_full_suite(n, Path(tmp) / f"jobs{n}", timings=timings, tags=tags)
                results.append(result)
                print(f"  JOBS={n}: {result.wall_s:.1f} s, {result.counts()}, verdict {result.verdict}, "
                      f"leftovers {len(result.leftovers)}" + (f" {result.leftovers[:5]}" if result.leftovers else ""),
                      flush=True)
        base = results[0]
        print(f"\n{'JOBS':>4}  {'wall s':>7}  {'speed-up':>8}  {'alone s':>7}  {'scenarios':>9}  "
              f"{'passed':>6} {'failed':>6} {'broken':>6} {'skipped':>7}  verdict  same as JOBS={base.jobs}")
        worst = 0
        for result in results:
            counts = result.counts()
            diff = differences(base, result)
            same = "yes" if not diff and result.exit_code == base.exit_code else f"NO ({len(diff)} differ)"
            print(f"{result.jobs:>4}  {result.wall_s:>7.1f}  {base.wall_s / result.wall_s:>7.2f}x  "
                  f"{_alone_seconds(result.reports):>7.1f}  {len(result.outcomes):>9}  {counts['passed']:>6} "
                  f"{counts['failed']:>6} {counts['broken']:>6} {counts['skipped']:>7}  {result.verdict:<7}  {same}")
            for line in diff:
                print(f"      {line}")
            worst = max(worst, len(diff))
        two = next((r for r in results if r.jobs == 2), None)
        if two is not None:
            speedup = base.wall_s / two.wall_s
            print(f"\nJOBS=2 speed-up {speedup:.2f}x (target {TARGET}x): "
                  f"{'met' if speedup >= TARGET else 'NOT met'}; verdicts {'identical' if not worst else 'DIFFER'}")
    return 0 if not worst else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
