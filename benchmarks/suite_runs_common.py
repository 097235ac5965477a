"""What the parallel and flake benchmarks share: full-suite runs against one private sandbox stack.

Each run goes through the same code as ``make acceptance`` (plan, workers, merge, verdict), into a
folder of its own; the stack lives in a private temporary home, so a developer's own ``.sandbox``
is never touched. Hold the sandbox lock for the whole benchmark
(``flock /tmp/focus-sandbox.lock .venv/bin/python -m benchmarks.<name>``).
"""
from __future__ import annotations

import io
import json
import os
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parent.parent
INTERRUPTED = 130  # run_suite's exit code after Ctrl-C or SIGTERM


@dataclass
class SuiteResult:
    """One full run: its wall time, its scenarios' outcomes and its verdict."""

    jobs: int
    wall_s: float
    exit_code: int
    outcomes: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # location -> (status, category)
    names: dict[str, str] = field(default_factory=dict)
    reports: Path | None = None
    leftovers: list[str] = field(default_factory=list)  # Focus job objects and queues after the run

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in ("passed", "failed", "broken", "skipped")}
        for status, _ in self.outcomes.values():
            out[status] = out.get(status, 0) + 1
        return out

    @property
    def verdict(self) -> str:
        return "PASS" if self.exit_code == 0 else "FAIL"


def sigterm_as_interrupt() -> None:
    """A SIGTERM (a killed benchmark) is handled like Ctrl-C: the workers sweep, the stack stops."""
    import signal

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)


@contextmanager
def private_stack(profile: str = "spec") -> Iterator[Path]:
    """A sandbox stack in a temporary home, exported as FOCUS_SANDBOX_HOME for the workers."""
    from focus_sandbox.stack import running_stack

    with tempfile.TemporaryDirectory(prefix="focus-bench-") as home:
        previous = os.environ.get("FOCUS_SANDBOX_HOME")
        os.environ["FOCUS_SANDBOX_HOME"] = home
        try:
            with running_stack(profile=profile, home=Path(home), logs_dir=Path(home) / "logs"):
                yield Path(home)
        finally:
            if previous is None:
                os.environ.pop("FOCUS_SANDBOX_HOME", None)
            else:
                os.environ["FOCUS_SANDBOX_HOME"] = previous


def run_full_suite(jobs: int, reports: Path, timings: Path | None = None, tags: str = "",
                   quiet: bool = True) -> SuiteResult:
    """One run of the whole suite (``make acceptance`` minus the stack and the HTML report)."""
    from focus_support.reporting.run_report import finish_run
    from scripts.parallel_run import run_suite

    reports.mkdir(parents=True, exist_ok=True)
    console = io.StringIO() if quiet else None
    started = time.monotonic()
    behave_code = run_suite("local", tags, [], jobs=jobs, timings=str(timings) if timings else None,
                            reports=reports, out=console)
    if behave_code == INTERRUPTED:
        # the workers have cancelled what they created; a half run must not count as a run
        raise KeyboardInterrupt("the run was interrupted")
    code = finish_run(behave_exit_code=behave_code, generate_html=False, reports=reports, out=io.StringIO())
    wall = time.monotonic() - started
    records = json.loads((reports / "run-results.json").read_text(encoding="utf-8"))["records"]
    return SuiteResult(jobs=jobs, wall_s=wall, exit_code=code, reports=reports, leftovers=leftovers(),
                       outcomes={r["location"] or r["scenario"]: (r["status"], r.get("category")) for r in records},
                       names={r["location"] or r["scenario"]: r["scenario"] for r in records})


def leftovers(settle_s: float = 30.0) -> list[str]:
    """Focus job objects and queues still in the sandbox after a run (each worker's sweep must have
    removed them all); waits up to ``settle_s`` for removals still in progress."""
    from focus_support.context import SuiteContext
    from focus_support.scenarios.jobs import orchestration_snapshot
    from focus_support.waiting import wait_until

    suite = SuiteContext.load("local")
    last: list[list[str]] = [[]]

    def clean() -> bool:
        last[0] = sorted(orchestration_snapshot(suite))
        return not last[0]

    try:
        wait_until(clean, settle_s, 0.5, describe="the run's job objects to be gone",
                   on_timeout=lambda message, state: _Leftovers(message))
    except _Leftovers:
        pass
    finally:
        suite.close()
    return last[0]


class _Leftovers(Exception):
    """Objects were still there at the deadline (reported, not raised)."""


def differences(a: SuiteResult, b: SuiteResult) -> list[str]:
    """Scenarios whose status or verdict category differs between two runs."""
    out = []
    for location in sorted(set(a.outcomes) | set(b.outcomes)):
        if a.outcomes.get(location) != b.outcomes.get(location):
            out.append(f"{location} {a.names.get(location) or b.names.get(location)}: "
                       f"JOBS={a.jobs} {a.outcomes.get(location)} vs JOBS={b.jobs} {b.outcomes.get(location)}")
    return out
