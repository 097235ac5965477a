"""Run the whole suite K times in a row and name every scenario whose outcome was not always the same.

    flock /tmp/focus-sandbox.lock .venv/bin/python -m benchmarks.flakes [--runs 20] [--jobs 1]
                                                      [--fresh-stack] [--tags EXPR]
    .venv/bin/python -m benchmarks.flakes --lock /tmp/focus-sandbox.lock --series DIR ...

Run it from a tree nobody edits meanwhile (a clean clone, or ``git archive HEAD`` unpacked beside a
symlink to ``.venv``): a feature file edited during the series changes what the runs compare.
``--lock`` takes the sandbox lock for each run only (a fresh stack per run), so a long series does
not keep the machine's other sandbox users waiting; ``--series DIR`` keeps each run's outcome in DIR
and resumes from there, so an interrupted series goes on where it stopped.

Each run is ``make acceptance`` minus the HTML report (plan, workers, merge, verdict), against one
private sandbox stack (``--fresh-stack``: a new stack per run, as ``make acceptance`` does). A
scenario is flaky when its status or verdict category differs between runs; for each, the runs
and the first error line of each outcome are printed. Target: 0 flaky scenarios in 20 runs.
The report is also written as JSON (``--out``), so a long series can be read afterwards.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path

from focus_sandbox.stack.machine_lock import holding
from benchmarks.suite_runs_common import SuiteResult, private_stack, run_full_suite, sigterm_as_interrupt


def flaky(results: list[SuiteResult]) -> dict[str, dict[tuple, list[int]]]:
    """location -> {outcome: [run numbers]} for every scenario with more than one outcome."""
    seen: dict[str, dict[tuple, list[int]]] = defaultdict(lambda: defaultdict(list))
    for number, result in enumerate(results, 1):
        for location, outcome in result.outcomes.items():
            seen[location][outcome].append(number)
    return {loc: dict(outcomes) for loc, outcomes in seen.items()
            if len(outcomes) > 1 or sum(len(r) for r in outcomes.values()) != len(results)}


def _first_errors(result: SuiteResult) -> dict[str, str]:
    if result.reports is None:
        return {}
    records = json.loads((result.reports / "run-results.json").read_text())["records"]
    return {r["location"] or r["scenario"]: r.get("error_line") or "" for r in records}


def _save_run(series: Path, number: int, result: SuiteResult, errors: dict[str, str]) -> None:
    doc = {"jobs": result.jobs, "wall_s": result.wall_s, "exit_code": result.exit_code,
           "outcomes": {k: list(v) for k, v in result.outcomes.items()}, "names": result.names,
           "leftovers": result.leftovers, "errors": errors}
    (series / f"run{number:02d}.json").write_text(json.dumps(doc, indent=0, ensure_ascii=False))
    if number == 1 and result.reports is not None and (result.reports / "timings.json").exists():
        (series / "timings.json").write_text((result.reports / "timings.json").read_text())


def _load_run(series: Path, number: int) -> tuple[SuiteResult, dict[str, str]] | None:
    try:
        doc = json.loads((series / f"run{number:02d}.json").read_text())
    except (OSError, ValueError):
        return None
    result = SuiteResult(jobs=doc["jobs"], wall_s=doc["wall_s"], exit_code=doc["exit_code"],
                         outcomes={k: tuple(v) for k, v in doc["outcomes"].items()}, names=doc["names"],
                         leftovers=doc.get("leftovers", []))
    return result, doc.get("errors", {})


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--tags", default="")
    parser.add_argument("--fresh-stack", action="store_true", help="a new sandbox stack for every run")
    parser.add_argument("--out", type=Path, default=None, help="write the series as JSON here")
    parser.add_argument("--lock", type=Path, default=None, help="take this lock per run (implies --fresh-stack)")
    parser.add_argument("--series", type=Path, default=None, help="keep (and resume) the runs' outcomes here")
    args = parser.parse_args(argv)
    sigterm_as_interrupt()
    try:
        return _series(args)
    except KeyboardInterrupt:
        print("\n[flakes] interrupted: the run under way is not counted"
              + (f"; the finished runs are kept in {args.series} and the same command goes on from there"
                 if args.series else " (--series DIR keeps finished runs for a later resume)"), flush=True)
        return 130


def _series(args: argparse.Namespace) -> int:
    results: list[SuiteResult] = []
    errors: dict[int, dict[str, str]] = {}
    began = time.monotonic()
    fresh = args.fresh_stack or args.lock is not None
    stack_started = False
    with tempfile.TemporaryDirectory(prefix="focus-flakes-") as tmp, ExitStack() as shared:
        series = args.series or Path(tmp) / "series"
        series.mkdir(parents=True, exist_ok=True)
        for number in range(1, args.runs + 1):
            kept = _load_run(series, number)
            if kept is not None:
                results.append(kept[0])
                errors[number] = kept[1]
                print(f"run {number:>2}/{args.runs}: kept from {series}", flush=True)
                continue
            with ExitStack() as per_run:
                if args.lock is not None:
                    per_run.enter_context(holding(args.lock))
                if fresh:
                    per_run.enter_context(private_stack())
                elif not stack_started:  # the one stack of the series, started once
                    shared.enter_context(private_stack())
                    stack_started = True
                timings = series / "timings.json" if (series / "timings.json").exists() else None
                result = run_full_suite(args.jobs, Path(tmp) / f"run{number}", timings=timings, tags=args.tags)
            results.append(result)
            errors[number] = _first_errors(result)
            _save_run(series, number, result, errors[number])
            counts = result.counts()
            print(f"run {number:>2}/{args.runs}: {result.wall_s:6.1f} s  {counts}  verdict {result.verdict}  "
                  f"leftovers {len(result.leftovers)}" + (f" {result.leftovers[:5]}" if result.leftovers else ""),
                  flush=True)
        total = time.monotonic() - began
        found = flaky(results)
        names = {loc: name for r in results for loc, name in r.names.items()}
        print(f"\n{len(results)} runs of {max(len(r.outcomes) for r in results)} scenarios at JOBS={args.jobs} "
              f"in {total / 60:.1f} min; flaky scenarios: {len(found)}")
        report = []
        for location, outcomes in sorted(found.items()):
            print(f"  {location}  {names.get(location, '')}")
            entry = {"location": location, "scenario": names.get(location, ""), "outcomes": []}
            for outcome, runs in outcomes.items():
                first = errors[runs[0]].get(location, "")
                print(f"      {outcome} in runs {runs}" + (f": {first}" if first else ""))
                entry["outcomes"].append({"status": outcome[0], "category": outcome[1], "runs": runs,
                                          "first_error": first})
            report.append(entry)
        verdicts = sorted({r.verdict for r in results})
        print(f"verdicts: {', '.join(verdicts)}")
        if args.out:
            args.out.write_text(json.dumps({"runs": len(results), "jobs": args.jobs, "minutes": round(total / 60, 1),
                                            "walls_s": [round(r.wall_s, 1) for r in results],
                                            "verdicts": [r.verdict for r in results],
                                            "leftovers": [len(r.leftovers) for r in results], "flaky": report},
                                           indent=1))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
