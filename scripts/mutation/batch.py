"""Run a batch of mutants against one sandbox stack started from the private tree.

``python -m scripts.mutation.batch --db SESSION --workdir DIR --ids FILE [--timeout S]`` (cwd: the tree)

The stack starts once per batch (about 5 s); each mutant is applied by cosmic-ray
(``mutate_and_test``: the file is mutated, the probe runs, the file is restored) and its result -
the probe's outcome, not just its exit code - is stored in the session. Bytecode is never written,
so a mutant applied within the same second as the last one is never served from a stale ``.pyc``.
"""
from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import time
from pathlib import Path

import psutil
import yaml

from cosmic_ray.mutating import mutate_and_test
from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

from scripts.mutation.probe import DEFAULT_TIMEOUT_S
from scripts.mutation.session import equivalent_reason, load_equivalents

OUTCOME_LINE = "MUTANT "
TEST_OUTCOME = {"killed": TestOutcome.KILLED, "survived": TestOutcome.SURVIVED, "timeout": TestOutcome.SURVIVED,
                "stillborn": TestOutcome.INCOMPETENT}


def probe_outcome(output: str | None) -> tuple[str, str]:
    """The probe's ``MUTANT <outcome>: <why>`` line from a test run's output (``error`` when absent)."""
    for line in reversed((output or "").splitlines()):
        if line.startswith(OUTCOME_LINE) and ":" in line:
            outcome, _, why = line[len(OUTCOME_LINE):].partition(":")
            return outcome.strip(), why.strip()
    return "error", "the probe printed no outcome (it crashed or cosmic-ray's own timeout ended it)"


CHILD_STOP_TIMEOUT_S = 10.0


def interrupt_on_signals() -> None:
    """SIGINT and SIGTERM both raise KeyboardInterrupt, so every way of stopping a run stops it cleanly.

    A process started in the background of a non-interactive shell inherits SIGINT ignored, and CI
    runners cancel with SIGTERM: without this, ``kill -INT`` did nothing and SIGTERM left the stack running.
    """
    def interrupt(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupt)


def stop_children() -> None:
    """Stop every process this one started, however deep: cosmic-ray starts the probe in a session of
    its own (so a terminal's Ctrl-C never reaches it) and does not stop it when interrupted."""
    children = psutil.Process().children(recursive=True)
    for child in children:
        try:
            child.terminate()
        except psutil.NoSuchProcess:
            continue
    _, alive = psutil.wait_procs(children, timeout=CHILD_STOP_TIMEOUT_S)
    for child in alive:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            continue


def run_batch(db_path: Path, workdir: Path, job_ids: list[str], timeout_s: float,
              equivalents_file: Path | None = None) -> int:
    """Apply and judge each mutant; returns how many were killed."""
    from focus_sandbox.stack import running_stack

    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"   # inherited by the daemon, the server and the pods
    home = workdir / "sandbox"
    killed = 0
    with use_db(str(db_path), WorkDB.Mode.open) as db:
        items = {item.job_id: item for item in db.pending_work_items}
        todo = [items[j] for j in job_ids if j in items]
        if not todo:
            return 0
        with running_stack(profile="spec", home=home, logs_dir=workdir / "sandbox-logs"):
            try:
                killed = _judge_each(db, todo, home, workdir, timeout_s, equivalents_file)
            except KeyboardInterrupt:
                # a second Ctrl-C must not cut the stack's own shutdown short
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                stop_children()
                raise
    return killed


def _judge_each(db: WorkDB, todo: list, home: Path, workdir: Path, timeout_s: float,
                equivalents_file: Path | None = None) -> int:
    """Apply, probe and record each mutant on the running stack; returns how many were killed.

    A mutant reviewed as equivalent in ``equivalents_file`` (the checkout's, re-read before each
    mutant) while the batch runs is recorded as such instead of being run."""
    killed = 0
    reviewed: list = []
    root = Path.cwd()
    sources = {str(item.mutations[0].module_path): (root / str(item.mutations[0].module_path)).read_text(
        encoding="utf-8").splitlines() for item in todo}
    os.environ["FOCUS_SANDBOX_HOME"] = str(home)
    (workdir / "server-runs-a-mutant").unlink(missing_ok=True)
    for n, item in enumerate(todo, 1):
        mutation = item.mutations[0]
        if equivalents_file is not None:
            reviewed = _reviewed(equivalents_file, reviewed)
            reason = equivalent_reason(root, sources, reviewed, mutation)
            if reason is not None:
                db.set_result(item.job_id, WorkResult(output=reason, worker_outcome=WorkerOutcome.SKIPPED))
                print(f"[mutation] {n}/{len(todo)} {mutation.module_path}:{mutation.start_pos[0]} "
                      f"{mutation.operator_name.removeprefix('core/')} -> reviewed equivalent (not run)", flush=True)
                continue
        command = " ".join(shlex.quote(a) for a in [
            sys.executable, "-m", "scripts.mutation.probe", "--module", str(mutation.module_path),
            "--function", str(mutation.definition_name), "--workdir", str(workdir),
            "--timeout", str(timeout_s)])
        started = time.monotonic()
        result = mutate_and_test(item.mutations, command, timeout_s + 120)
        outcome, why = probe_outcome(result.output)
        if result.worker_outcome == WorkerOutcome.NORMAL:
            result = WorkResult(worker_outcome=WorkerOutcome.NORMAL, diff=result.diff,
                                output=f"{OUTCOME_LINE}{outcome}: {why}",
                                test_outcome=TEST_OUTCOME.get(outcome, TestOutcome.INCOMPETENT))
        db.set_result(item.job_id, result)
        killed += outcome == "killed"
        print(f"[mutation] {n}/{len(todo)} {mutation.module_path}:{mutation.start_pos[0]} "
              f"{mutation.operator_name.removeprefix('core/')} -> {outcome} "
              f"({time.monotonic() - started:.1f} s) {why[:120]}", flush=True)
    return killed


def _reviewed(path: Path, last: list) -> list:
    """The equivalents file as it is now; while it is being edited into something unreadable, the last good one."""
    try:
        return load_equivalents(path)
    except (yaml.YAMLError, TypeError, ValueError) as exc:
        print(f"[mutation] {path} cannot be read now ({type(exc).__name__}: {exc}); using its last readable "
              "version", flush=True)
        return last


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.mutation.batch", description=__doc__)
    parser.add_argument("--db", required=True, type=Path)
    parser.add_argument("--workdir", required=True, type=Path)
    parser.add_argument("--ids", required=True, type=Path, help="file with one cosmic-ray job id a line")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S)
    parser.add_argument("--equivalents", type=Path, default=None,
                        help="the reviewed equivalents file to re-read before each mutant (the checkout's)")
    args = parser.parse_args(argv)
    ids = [line.strip() for line in args.ids.read_text().splitlines() if line.strip()]
    run_batch(args.db.resolve(), args.workdir.resolve(), ids, args.timeout, args.equivalents)
    return 0


if __name__ == "__main__":
    interrupt_on_signals()
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)   # its probe and its stack are stopped (run_batch); the caller says so
