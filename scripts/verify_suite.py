"""`make verify-suite`: prove the suite catches every sandbox defect switch and raises no false alarm.

By default, with up to two runs at a time (each on its own sandbox stack):

* the **defect matrix**: for every switch `python -m focus_sandbox defects` lists, start the sandbox
  with it, run the features expected to catch its area plus a cross-check, and record which scenarios
  failed and how -> ``reports/defect-matrix.md``;
* **zero false alarms**: three consecutive full runs against the spec profile, all green
  -> ``reports/spec-runs.md`` (and a section of the matrix);
* the **observed profile**: one full run, triaged -> ``reports/observed-triage.md``.

Exit code 0 when every switch is detected, every spec run is green and the observed triage meets the
issue's expectations; 1 otherwise; 2 for bad arguments. Ctrl-C stops every run and every stack.
"""
from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from focus_sandbox.defects import DEFECTS, expectation

from scripts import suite_runs
from scripts.defect_matrix import REDUCED, Detection, _without_nested, evaluate, run_paths
from scripts.suite_runs import RunOutcome, SuiteRun
from scripts.verify_report import Check, matrix_markdown, observed_checks, observed_markdown

REPO = Path(__file__).resolve().parent.parent
REPORTS = REPO / "reports"
MAX_JOBS = 2  # each run is a whole stack plus behave; more than two starve a 2-core machine

_print_lock = threading.Lock()


def say(message: str) -> None:
    """One progress line (runs report from several threads)."""
    with _print_lock:
        print(f"[verify {time.strftime('%H:%M:%S')}] {message}", flush=True)


def default_jobs() -> int:
    """Parallel runs: at most two, never more than the machine's cores."""
    return max(1, min(MAX_JOBS, os.cpu_count() or 1))


def switch_run(switch: str) -> SuiteRun:
    """The run that proves ``switch`` is caught: spec profile plus the switch, over its features."""
    return SuiteRun(label=switch, profile="spec", defects=(switch,), paths=run_paths(switch))


def run_switch(switch: str, workdir: Path, log: Callable[[str], None] = say) -> tuple[Detection, RunOutcome]:
    """Run one switch and evaluate it (without a spec baseline); prints start and finish."""
    run = switch_run(switch)
    if expectation(switch) == "fidelity":  # nothing a scenario asserts: tests/sandbox/test_fidelity.py judges it
        log(f"■ {switch}: judged by the golden corpus, not run")
        return evaluate(switch, []), RunOutcome(run=run, workdir=workdir)
    log(f"▶ {switch}: started ({', '.join(run.paths) or 'the whole suite'})")
    outcome = suite_runs.execute(run, workdir)
    detection = evaluate(switch, outcome.records, run_error=outcome.stack_error)
    extra = f", {len(detection.errors)} error(s)" if detection.errors else ""
    extra += f", run error: {outcome.stack_error}" if outcome.stack_error else ""
    log(f"■ {switch}: detected {detection.verdict} — {len(detection.caught_by)} catching scenario(s){extra} "
        f"({outcome.wall_s:.0f} s)")
    return detection, outcome


def run_matrix(switches: list[str], workroot: Path, jobs: int | None = None,
               log: Callable[[str], None] = say) -> dict[str, tuple[Detection, RunOutcome]]:
    """Run every switch (``jobs`` at a time) and return detections by switch, in the given order."""
    plan = Plan(switches=switches, spec_runs=0, observed=False, jobs=jobs or default_jobs())
    results = execute_plan(plan, workroot, log)
    baseline = spec_failures([results.baseline] if results.baseline else [])
    return {s: (evaluate(s, outcome.records, baseline, outcome.stack_error), outcome)
            for s, (_, outcome) in results.matrix.items()}


@dataclass
class Plan:
    """What one verification runs. A matrix always has a spec baseline of the same verification: the
    spec runs, or (without them) one spec run over the switches' features."""

    switches: list[str]
    spec_runs: int = 3
    observed: bool = True
    jobs: int = field(default_factory=default_jobs)

    @property
    def baseline_paths(self) -> tuple[str, ...] | None:
        """The features of the extra baseline run, or None when the spec runs are the baseline."""
        if not self.switches or self.spec_runs:
            return None
        paths = [p for s in self.switches if expectation(s) != "fidelity" for p in run_paths(s)]
        if any(not run_paths(s) for s in self.switches if expectation(s) != "fidelity"):
            return ()  # some switch runs the whole suite
        return _without_nested(paths)


@dataclass
class Results:
    """Everything the runs of a plan produced."""

    matrix: dict[str, tuple[Detection, RunOutcome]] = field(default_factory=dict)
    spec_runs: list[RunOutcome] = field(default_factory=list)
    baseline: RunOutcome | None = None
    observed: RunOutcome | None = None
    interrupted: bool = False


def _spec_chain(count: int, workroot: Path, results: Results, log: Callable[[str], None]) -> None:
    """Consecutive full spec runs, one after the other, each on a fresh stack."""
    for i in range(1, count + 1):
        if suite_runs.interrupted():
            return
        log(f"▶ spec run {i}/{count}: started (whole suite)")
        outcome = suite_runs.execute(SuiteRun(label=f"spec-{i}"), workroot / f"spec-{i}")
        results.spec_runs.append(outcome)
        c = outcome.counts()
        log(f"■ spec run {i}/{count}: {'green' if outcome.green else 'NOT GREEN'} — {c['passed']} passed, "
            f"{c['failed']} failed, {c['broken']} broken, {c['skipped']} skipped"
            f"{', ' + outcome.stack_error if outcome.stack_error else ''} ({outcome.wall_s:.0f} s)")


def _observed(workroot: Path, results: Results, log: Callable[[str], None]) -> None:
    log("▶ observed profile: started (whole suite)")
    outcome = suite_runs.execute(SuiteRun(label="observed", profile="observed"), workroot / "observed")
    results.observed = outcome
    c = outcome.counts()
    log(f"■ observed profile: {c['passed']} passed, {c['failed']} failed, {c['broken']} broken "
        f"({outcome.wall_s:.0f} s)")


def _baseline(paths: tuple[str, ...], workroot: Path, results: Results, log: Callable[[str], None]) -> None:
    log(f"▶ spec baseline: started ({', '.join(paths) or 'the whole suite'})")
    outcome = suite_runs.execute(SuiteRun(label="baseline", paths=paths), workroot / "baseline")
    results.baseline = outcome
    log(f"■ spec baseline: {len(outcome.failures)} failing scenario(s) ({outcome.wall_s:.0f} s)")


def execute_plan(plan: Plan, workroot: Path, log: Callable[[str], None] = say) -> Results:
    """Run the plan's tasks on ``plan.jobs`` workers; on Ctrl-C stop every run and stack, then return."""
    results = Results()
    tasks: list[Callable[[], None]] = []
    if plan.spec_runs:
        tasks.append(lambda: _spec_chain(plan.spec_runs, workroot, results, log))
    if plan.observed:
        tasks.append(lambda: _observed(workroot, results, log))
    if plan.baseline_paths is not None:
        tasks.append(lambda: _baseline(plan.baseline_paths or (), workroot, results, log))
    for switch in plan.switches:
        def one(switch: str = switch) -> None:
            if not suite_runs.interrupted():
                results.matrix[switch] = run_switch(switch, workroot / f"switch-{switch}", log)
        tasks.append(one)
    pool = ThreadPoolExecutor(max_workers=plan.jobs, thread_name_prefix="verify")
    futures: list[Future] = [pool.submit(task) for task in tasks]
    try:
        while wait(futures, timeout=0.5).not_done:  # short waits keep the main thread responsive to Ctrl-C
            pass
    except KeyboardInterrupt:
        results.interrupted = True
        log("interrupted: stopping every run and every sandbox stack ...")
        suite_runs.stop_all()
        _wait_for_shutdown(pool)
    pool.shutdown(wait=True)
    for future in futures:
        if future.done() and not future.cancelled() and future.exception() is not None:
            raise future.exception()  # a bug in this script, not a finding: show it
    results.matrix = {s: results.matrix[s] for s in plan.switches if s in results.matrix}
    return results


def _wait_for_shutdown(pool: ThreadPoolExecutor) -> None:
    """Let the workers stop their stacks; a second Ctrl-C kills the behave runs instead of waiting."""
    pool.shutdown(wait=False, cancel_futures=True)
    while True:
        try:
            pool.shutdown(wait=True)
            return
        except KeyboardInterrupt:
            say("second interrupt: killing the behave runs; the stacks still stop")
            suite_runs.kill_all()


def spec_failures(spec_runs: list[RunOutcome]) -> set[str]:
    """Scenarios that failed in some spec run (they prove nothing about a switch)."""
    return {r.scenario for run in spec_runs for r in run.failures}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.verify_suite", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--switch", action="append", default=[], metavar="NAME",
                        help="only this switch in the matrix (repeatable)")
    parser.add_argument("--reduced", action="store_true",
                        help=f"the reduced matrix of make test: {', '.join(REDUCED)}")
    parser.add_argument("--no-matrix", action="store_true", help="skip the defect matrix")
    parser.add_argument("--spec-runs", type=int, default=3, metavar="N",
                        help="consecutive full spec-profile runs that must all be green (default 3; 0 = none)")
    parser.add_argument("--no-observed", action="store_true", help="skip the observed-profile run")
    parser.add_argument("--jobs", type=int, default=default_jobs(),
                        help=f"runs in parallel (default {default_jobs()}, at most {MAX_JOBS})")
    parser.add_argument("--reports", type=Path, default=REPORTS, help="where the markdown goes (default reports/)")
    parser.add_argument("--keep", action="store_true", help="keep every run's folder (logs, results)")
    return parser.parse_args(argv)


def selected_switches(args: argparse.Namespace) -> list[str]:
    """The matrix's switches in the sandbox's order; raises ValueError for an unknown name."""
    if args.no_matrix:
        return []
    unknown = sorted(set(args.switch) - set(DEFECTS))
    if unknown:
        raise ValueError(f"unknown switch(es) {', '.join(unknown)}; see python -m focus_sandbox defects")
    chosen = set(args.switch) | (set(REDUCED) if args.reduced else set())
    return [name for name in DEFECTS if not chosen or name in chosen]


def write_reports(plan: Plan, results: Results, reports: Path, wall_s: float, command: str,
                  selection: str) -> int:
    """Write the markdown files, print the summary, and return the exit code.

    An interrupted verification writes nothing: partial figures must not replace the last full ones.
    """
    if results.interrupted:
        say("interrupted: reports left as they were")
        return 1
    reports.mkdir(parents=True, exist_ok=True)
    baseline = spec_failures(results.spec_runs + ([results.baseline] if results.baseline else []))
    detections = [evaluate(s, outcome.records, baseline, outcome.stack_error)
                  for s, (_, outcome) in results.matrix.items()]
    outcomes = {s: outcome for s, (_, outcome) in results.matrix.items()}
    checks: list[Check] | None = None
    if results.observed is not None:
        checks = observed_checks(results.observed.records)
        if results.observed.stack_error or not results.observed.records:
            checks.append(Check("The observed run ran", False, results.observed.stack_error or "no records"))
        (reports / "observed-triage.md").write_text(observed_markdown(results.observed, checks), encoding="utf-8")
        say(f"observed triage: {reports / 'observed-triage.md'}")
    if plan.switches:
        text = matrix_markdown(detections, outcomes, results.spec_runs, checks, wall_s, plan.jobs, command, selection)
        (reports / "defect-matrix.md").write_text(text, encoding="utf-8")
        say(f"defect matrix: {reports / 'defect-matrix.md'}")
    if results.spec_runs:
        text = matrix_markdown([], {}, results.spec_runs, None, wall_s, plan.jobs, command, "spec runs only")
        (reports / "spec-runs.md").write_text(text.replace("# Defect matrix", "# Spec-profile runs", 1),
                                              encoding="utf-8")
    failed = []
    if any(not d.detected for d in detections) or len(detections) < len(plan.switches):
        failed.append(f"switches not detected: {', '.join(d.switch for d in detections if not d.detected) or '-'}"
                      f" (ran {len(detections)}/{len(plan.switches)})")
    if plan.switches:
        say(f"matrix: {sum(d.detected for d in detections)}/{len(plan.switches)} switches detected")
    if plan.spec_runs:
        green = sum(1 for r in results.spec_runs if r.green)
        say(f"spec runs: {green}/{plan.spec_runs} green")
        if green < plan.spec_runs:
            failed.append("a spec run was not green")
    if checks is not None:
        for check in checks:
            say(check.line()[2:])
        if any(c.required and not c.ok for c in checks):
            failed.append("the observed triage misses an expectation")
    say(f"total wall time {wall_s:.0f} s — " + ("FAIL: " + "; ".join(failed) if failed else "PASS"))
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        switches = selected_switches(args)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if not 1 <= args.jobs <= MAX_JOBS:
        print(f"--jobs must be between 1 and {MAX_JOBS}", file=sys.stderr)
        return 2
    plan = Plan(switches=switches, spec_runs=max(0, args.spec_runs), observed=not args.no_observed, jobs=args.jobs)
    selection = ("reduced matrix" if args.reduced and not args.switch else
                 f"{len(switches)} of {len(DEFECTS)} switches" if len(switches) < len(DEFECTS) else "every switch")
    say(f"plan: {len(switches)} switch run(s), {plan.spec_runs} spec run(s), "
        f"{'an' if plan.observed else 'no'} observed run; {plan.jobs} at a time")
    workroot = Path(tempfile.mkdtemp(prefix="verify-suite-"))
    started = time.monotonic()
    code = 1
    try:
        results = execute_plan(plan, workroot)
        command = "python -m scripts.verify_suite" + (" " + shlex.join(argv) if argv else "")
        code = write_reports(plan, results, args.reports, time.monotonic() - started, command, selection)
    finally:
        if args.keep or code != 0:
            say(f"run folders (behave.log, allure-results, sandbox-logs) kept in {workroot}")
        else:
            shutil.rmtree(workroot, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
