"""One behave run of the suite against its own sandbox stack, into its own reports folder.

``execute(SuiteRun(...), workdir)`` starts the sandbox with the run's profile and defect switches
(state in ``workdir/sandbox``), runs behave over the run's features through
``scripts.private_behave`` (results in ``workdir/allure-results``, record in
``workdir/run-results.json``, console in ``workdir/behave.log``), always stops the stack, and
returns the classified scenario records. Several runs may go on at once: nothing is shared.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from focus_support.reporting.records import ScenarioRecord
from focus_support.reporting.run_report import collect_records
from focus_support.reporting.triage import classified

REPO = Path(__file__).resolve().parent.parent
BEHAVE_TIMEOUT_S = 15 * 60.0
INTERRUPT_GRACE_S = 120.0  # behave's after_all sweeps the run's jobs after a SIGINT

_live: set[subprocess.Popen] = set()
_live_lock = threading.Lock()
_stopping = threading.Event()


@dataclass(frozen=True)
class SuiteRun:
    """What to run: a sandbox profile, extra switches, and the features (empty = the whole suite)."""

    label: str
    profile: str = "spec"
    defects: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    tags: str = ""


@dataclass
class RunOutcome:
    """What a run left: its records (with triage categories), exit code, timing and where its files are."""

    run: SuiteRun
    workdir: Path
    records: list[ScenarioRecord] = field(default_factory=list)
    behave_exit_code: int | None = None
    stack_error: str | None = None
    wall_s: float = 0.0

    @property
    def failures(self) -> list[ScenarioRecord]:
        """Records of scenarios that failed or broke (run-level failures included)."""
        return [r for r in self.records if r.status in ("failed", "broken")]

    @property
    def green(self) -> bool:
        """True when the stack started, behave passed and no scenario failed."""
        return self.stack_error is None and self.behave_exit_code == 0 and not self.failures

    def counts(self) -> dict[str, int]:
        """Scenarios by status."""
        out = {s: 0 for s in ("passed", "failed", "broken", "skipped")}
        for record in self.records:
            out[record.status] = out.get(record.status, 0) + 1
        return out


def behave_command(run: SuiteRun, results_dir: Path) -> list[str]:
    """The behave command line of a run (repository root as cwd)."""
    command = [sys.executable, "-m", "scripts.private_behave", "--results", str(results_dir),
               "-D", "env=local", "--no-capture-stderr"]
    if run.tags:
        command += ["--tags", run.tags]
    return command + list(run.paths)


def execute(run: SuiteRun, workdir: Path | str, behave_timeout_s: float = BEHAVE_TIMEOUT_S) -> RunOutcome:
    """Start the run's stack, run behave against it, stop the stack; never raises for a failed run."""
    from focus_sandbox.stack import StackError, running_stack

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    outcome = RunOutcome(run=run, workdir=workdir)
    started = time.monotonic()
    home = workdir / "sandbox"
    try:
        if _stopping.is_set():
            raise StackError("interrupted before the stack started")
        with running_stack(profile=run.profile, defects=list(run.defects), home=home,
                           logs_dir=workdir / "sandbox-logs"):
            if not _stopping.is_set():
                outcome.behave_exit_code = _run_behave(run, workdir, home, behave_timeout_s)
    except (StackError, ValueError) as exc:
        outcome.stack_error = f"{type(exc).__name__}: {_first_line(str(exc))}"
        (workdir / "stack-error.txt").write_text(str(exc), encoding="utf-8")
    outcome.wall_s = time.monotonic() - started
    if outcome.behave_exit_code is not None:
        outcome.records = classified(collect_records(workdir, outcome.behave_exit_code))
    return outcome


def _run_behave(run: SuiteRun, workdir: Path, home: Path, timeout_s: float) -> int:
    env = {**os.environ, "FOCUS_SANDBOX_HOME": str(home), "FOCUS_ENV": "local", "PYTHONUNBUFFERED": "1"}
    with open(workdir / "behave.log", "wb") as log:
        # Own process group: a Ctrl-C is forwarded once, by stop_all, not by the terminal as well.
        child = subprocess.Popen(behave_command(run, workdir / "allure-results"), cwd=REPO, env=env,
                                 stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True)
        with _live_lock:
            _live.add(child)
        try:
            return child.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            log.write(f"\n[suite_runs] behave ran longer than {timeout_s:.0f} s: interrupted\n".encode())
            return _interrupt(child)
        finally:
            with _live_lock:
                _live.discard(child)


def _interrupt(child: subprocess.Popen) -> int:
    """SIGINT (behave sweeps its jobs), then SIGKILL after a grace period."""
    try:
        child.send_signal(signal.SIGINT)
        return child.wait(timeout=INTERRUPT_GRACE_S)
    except subprocess.TimeoutExpired:
        child.kill()
        return child.wait()
    except ProcessLookupError:
        return child.wait()


def stop_all() -> None:
    """Interrupt every behave run in progress and start no new one (their stacks stop as they return)."""
    _stopping.set()
    with _live_lock:
        children = list(_live)
    for child in children:
        if child.poll() is None:
            try:
                child.send_signal(signal.SIGINT)
            except ProcessLookupError:
                pass


def kill_all() -> None:
    """SIGKILL every behave run in progress (a second Ctrl-C); the stacks are still stopped by their runs."""
    _stopping.set()
    with _live_lock:
        children = list(_live)
    for child in children:
        if child.poll() is None:
            child.kill()


def interrupted() -> bool:
    """True once stop_all was called."""
    return _stopping.is_set()


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")
