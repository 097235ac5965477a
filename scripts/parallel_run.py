"""Run a plan of scenarios in N behave worker processes against one environment.

Why this and not behavex: behavex runs behave once per scenario (or feature) inside its pool, so
``before_all`` (environment load, preflight, reporting set-up) and the end-of-run job sweep would run
per scenario, its own reports replace ours, and it pins the console. Here each worker is one
ordinary behave run (behave's own runner, through ``scripts.private_behave``) over its share of the
plan, with the repository's hooks, formatters and cleanup unchanged; the pool is N such processes.

* Shares are duration-balanced (``scenario_plan.balanced_parts``, timings of the last run).
* ``@serial`` and ``@exclusive`` scenarios run after the parallel phase, in one worker, with no
  other worker alive.
* Every worker reports into its own folder (``reports/workers/<name>``): Allure results, run
  record, Cucumber JSON, console log. ``merge_runs`` turns them into the run's reports.
* On the sandbox (``local``) each worker connects from its own loopback address, so it is its own
  client for the sandbox's per-client configure rate limit, as separate CI machines would be;
  elsewhere workers share the machine's address and the server's 429 + Retry-After pace them.
* The job ids every worker receives go to one ledger file, so a check that no *unexpected* job
  appeared can tell the run's own jobs (of any worker) from a stray one.
* Ctrl-C: each worker gets one SIGINT (its hooks cancel what it created), no new phase starts, and a
  worker still alive after the grace period is killed. A second Ctrl-C kills at once.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence, TextIO

from scripts.scenario_plan import PlannedScenario, balanced_parts, write_locations

REPO = Path(__file__).resolve().parent.parent
CONSOLE_FORMATTER = "focus_support.reporting.console:ScenarioLinesFormatter"
CUCUMBER_FORMATTER = "focus_support.reporting.ci_formats:CucumberJsonFormatter"
INTERRUPT_GRACE_S = 120.0
POLL_S = 0.25
LEDGER_FILE = "jobs.ledger"
SCENARIO_LINE = re.compile(r"^[✔✘!-] (passed|failed|broken|skipped) ")


@dataclass
class Worker:
    """One behave process over a share of the plan."""

    name: str
    scenarios: list[PlannedScenario]
    folder: Path
    source_address: str | None = None
    process: subprocess.Popen | None = None
    exit_code: int | None = None
    started: float = 0.0
    wall_s: float = 0.0
    seen: int = 0          # records already reported on the console
    _read: tuple[tuple[int, int, int], list[dict]] | None = None  # (inode, size, mtime) and its records

    @property
    def results(self) -> Path:
        return self.folder / "allure-results"

    @property
    def record_file(self) -> Path:
        return self.folder / "run-results.json"

    @property
    def log(self) -> Path:
        return self.folder / "behave.log"

    def records(self) -> list[dict]:
        """The records the worker has written so far (the file is replaced atomically, so a new
        version is a new inode). Parsed again only when it changed: the console polls four times
        a second, and parsing a whole run's records each time cost seconds of a run's CPU."""
        try:
            stat = self.record_file.stat()
            version = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
            if self._read is None or self._read[0] != version:
                self._read = (version, json.loads(self.record_file.read_text(encoding="utf-8")).get("records", []))
            return self._read[1]
        except (OSError, ValueError):
            return []


@dataclass
class Phase:
    """Workers that run at the same time."""

    name: str
    workers: list[Worker] = field(default_factory=list)


def phases_for(plan: Sequence[PlannedScenario], jobs: int, durations: dict[str, float],
               root: Path) -> list[Phase]:
    """The parallel phase (``jobs`` balanced shares) then the phase of scenarios that run alone.

    With one job there is one worker over the whole plan, in plan order: a plain behave run.
    """
    if jobs <= 1:
        return [Phase("all", [Worker("w1", list(plan), root / "w1")])] if plan else []
    shared = [s for s in plan if not s.alone]
    alone = [s for s in plan if s.alone]
    phases = []
    parts = [p for p in balanced_parts(shared, min(jobs, max(len(shared), 1)), durations) if p]
    if parts:
        phases.append(Phase("parallel", [Worker(f"w{i}", part, root / f"w{i}") for i, part in enumerate(parts, 1)]))
    if alone:
        phases.append(Phase("alone", [Worker("alone", alone, root / "alone")]))
    return phases


def loopback_addresses(count: int) -> list[str]:
    """One loopback source address per worker (127.0.0.11, .12, ...): distinct clients to the sandbox."""
    return [f"127.0.0.{10 + i}" for i in range(1, count + 1)]


class ParallelRun:
    """Runs the phases, prints a line per finished scenario, forwards Ctrl-C."""

    def __init__(self, plan: Sequence[PlannedScenario], jobs: int, env: str, root: Path,
                 durations: dict[str, float] | None = None, defines: Sequence[str] = (),
                 out: TextIO | None = None, bind_addresses: bool | None = None,
                 line: Callable[[dict, int, int, float], str] | None = None, cwd: Path = REPO) -> None:
        self.plan = list(plan)
        self.jobs = max(1, jobs)
        self.env = env
        self.root = root
        self.defines = list(defines)
        self.out = out or sys.stdout
        self.phases = phases_for(self.plan, self.jobs, durations or {}, root)
        self.bind_addresses = (env == "local" and self.jobs > 1) if bind_addresses is None else bind_addresses
        self.started = time.monotonic()
        self.count = 0
        self.interrupted = False
        self._killed = False
        self._lock = threading.Lock()
        self._line = line
        self.cwd = cwd
        self.flags: list[str] = []

    @property
    def workers(self) -> list[Worker]:
        return [w for phase in self.phases for w in phase.workers]

    # ---- commands ---------------------------------------------------------------------------
    def command(self, worker: Worker) -> list[str]:
        locations = write_locations(worker.folder / "locations.txt", worker.scenarios)
        command = [sys.executable, "-m", "scripts.private_behave", "--results", str(worker.results),
                   "--console", CONSOLE_FORMATTER,
                   "--also", f"{CUCUMBER_FORMATTER}={worker.folder / 'cucumber.json'}",
                   "--select", str(locations), "--no-summary", "--no-capture-stderr",
                   "-D", f"env={self.env}", "-D", f"progress_total={len(worker.scenarios)}"]
        for define in self.defines:
            command += ["-D", define]
        return command + list(self.flags)

    def environment(self, worker: Worker) -> dict[str, str]:
        path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
        env = {**os.environ, "FOCUS_ENV": self.env, "PYTHONUNBUFFERED": "1", "FOCUS_WORKER": worker.name,
               "FOCUS_RUN_LEDGER": str(self.root.resolve() / LEDGER_FILE), "PYTHONPATH": path}
        if worker.source_address:
            env["FOCUS_CLIENT_SOURCE_ADDRESS"] = worker.source_address
        return env

    # ---- running ------------------------------------------------------------------------------
    def run(self) -> list[Worker]:
        """Run every phase (stopping after an interrupt); returns the workers."""
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)
        (self.root / LEDGER_FILE).touch()
        for phase in self.phases:
            if self.interrupted:
                break
            addresses = loopback_addresses(len(phase.workers)) if self.bind_addresses else [None] * len(phase.workers)
            for worker, address in zip(phase.workers, addresses):
                worker.source_address = address
                self._start(worker)
            self._wait(phase.workers, first=phase is self.phases[0])
        return self.workers

    def _start(self, worker: Worker) -> None:
        worker.folder.mkdir(parents=True, exist_ok=True)
        with open(worker.log, "wb") as log:
            # Own process group: Ctrl-C reaches each worker once, from us (see _interrupt).
            worker.process = subprocess.Popen(self.command(worker), cwd=self.cwd, env=self.environment(worker),
                                              stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                              start_new_session=True)
        worker.started = time.monotonic()

    def _wait(self, workers: list[Worker], first: bool) -> None:
        echo_until_first_record = first  # the first worker's preflight table, once per run
        while True:
            try:
                alive = False
                for worker in workers:
                    if worker.exit_code is None and worker.process is not None:
                        code = worker.process.poll()
                        if code is None:
                            alive = True
                        else:
                            worker.exit_code = code
                            worker.wall_s = time.monotonic() - worker.started
                    self._report(worker)
                if echo_until_first_record:
                    echo_until_first_record = self._echo_preamble(workers[0])
                if not alive:
                    for worker in workers:
                        self._report(worker)
                        if worker.exit_code not in (0, 1) or (worker.exit_code and not worker.records()):
                            self._tell_log_tail(worker)
                    return
                time.sleep(POLL_S)
            except KeyboardInterrupt:
                self._interrupt(workers)

    def _report(self, worker: Worker) -> None:
        records = worker.records()
        for record in records[worker.seen:]:
            self.count += 1
            self.out.write(self.format_line(record) + "\n")
        worker.seen = max(worker.seen, len(records))
        self.out.flush()

    def format_line(self, record: dict) -> str:
        from focus_support.reporting.console import scenario_line
        from focus_support.reporting.records import ScenarioRecord

        if self._line is not None:
            return self._line(record, self.count, len(self.plan), time.monotonic() - self.started)
        return scenario_line(ScenarioRecord.from_dict(record), self.count, len(self.plan),
                             time.monotonic() - self.started)

    _preamble_shown = 0

    def _echo_preamble(self, worker: Worker) -> bool:
        """Echo the first worker's output up to its first scenario line (the preflight table, or why
        it could not start); returns False once that is done."""
        try:
            text = worker.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return True
        finished = worker.exit_code is not None
        lines = text.splitlines() if finished or text.endswith("\n") else text.splitlines()[:-1]
        first = next((i for i, line in enumerate(lines) if SCENARIO_LINE.match(line)), None)
        shown = [line for line in lines[:first] if not line.startswith("USING RUNNER")]
        for line in shown[self._preamble_shown:]:
            self.out.write(line + "\n")
        self._preamble_shown = len(shown)
        return first is None and not finished

    def _tell_log_tail(self, worker: Worker) -> None:
        try:
            tail = worker.log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        except OSError:
            tail = []
        self.out.write(f"[{worker.name}] behave exited {worker.exit_code}; last lines of {worker.log}:\n")
        for text in tail:
            self.out.write(f"  {text}\n")

    def _interrupt(self, workers: list[Worker]) -> None:
        """First Ctrl-C: one SIGINT per worker, then a grace period; second: SIGKILL."""
        if self.interrupted:
            self._killed = True
            for worker in workers:
                if worker.process is not None and worker.process.poll() is None:
                    worker.process.kill()
            return
        self.interrupted = True
        self.out.write("\n[parallel] interrupted: each worker cancels what it created; "
                       "Ctrl-C again to kill them\n")
        self.out.flush()
        for worker in workers:
            if worker.process is not None and worker.process.poll() is None:
                try:
                    worker.process.send_signal(signal.SIGINT)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + INTERRUPT_GRACE_S

        def killer() -> None:
            while time.monotonic() < deadline:
                if all(w.process is None or w.process.poll() is not None for w in workers):
                    return
                time.sleep(POLL_S)
            for w in workers:
                if w.process is not None and w.process.poll() is None:
                    w.process.kill()

        threading.Thread(target=killer, daemon=True).start()


# --- one acceptance run: plan, workers, merge ---------------------------------------------------------
TIMINGS_FILE = "timings.json"
# behave options a worker needs as given (selection options are already in its location list)
_WORKER_FLAGS = {"--no-capture", "--no-capture-stderr", "--no-logcapture", "--stop", "-v", "--verbose"}


def split_behave_args(behave_args: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    """(selection args for the plan, ``-D`` defines, flags) of the extra behave arguments."""
    selection, defines, flags = [], [], []
    args = list(behave_args)
    while args:
        arg = args.pop(0)
        if arg in ("-D", "--define") and args:
            defines.append(args.pop(0))
        elif arg.startswith("--define="):
            defines.append(arg.split("=", 1)[1])
        elif arg in _WORKER_FLAGS:
            flags.append(arg)
        else:
            selection.append(arg)
    return selection, defines, flags


def timings_source(reports: Path, explicit: str | None) -> Path | None:
    """The run record whose durations balance the split: ``--timings``, else the last full run's."""
    if explicit:
        return Path(explicit)
    for name in (TIMINGS_FILE, "run-results.json"):
        if (reports / name).exists():
            return reports / name
    return None


def update_timings(reports: Path, records: Sequence[dict]) -> None:
    """Keep the latest duration of every scenario that ran (sharded runs do not write: their
    shards must all split with the same timings)."""
    path = reports / TIMINGS_FILE
    try:
        known = {r["location"]: r for r in json.loads(path.read_text(encoding="utf-8")).get("records", [])}
    except (OSError, ValueError, KeyError, TypeError):
        known = {}
    for record in records:
        if record.get("status") in ("passed", "failed", "broken") and ":" in (record.get("location") or ""):
            known[record["location"]] = {k: record.get(k) for k in ("location", "scenario", "duration_s", "status")}
    path.write_text(json.dumps({"records": sorted(known.values(), key=lambda r: r["location"])}, indent=0),
                    encoding="utf-8")


def _worker_failures(run: ParallelRun) -> list[dict]:
    """A run-level record for each worker that failed where none of its records shows it."""
    from scripts.merge_runs import run_level

    out = []
    for worker in run.workers:
        if worker.exit_code in (None, 0) or run.interrupted:
            continue
        records = worker.records()
        if any(r.get("status") in ("failed", "broken") for r in records):
            continue
        log = worker.log.relative_to(REPO) if worker.log.is_relative_to(REPO) else worker.log
        out.append(run_level(f"worker {worker.name}: behave exited {worker.exit_code} without a failing scenario "
                             f"after {len(records)} of its {len(worker.scenarios)} scenario(s) (a hook outside "
                             f"any scenario, a crash, a parse error): see {log}"))
    return out


def run_suite(env: str, tags: str, behave_args: Sequence[str], jobs: int = 1, shard_spec: str | None = None,
              timings: str | None = None, reports: Path = REPO / "reports", out: TextIO | None = None,
              cwd: Path = REPO) -> int:
    """Plan, run in ``jobs`` workers, merge into ``reports``; returns a behave-style exit code."""
    # A run started in the background of a non-interactive shell (a CI step, `cmd &`) inherits
    # SIGINT ignored: `kill -INT` must still stop it cleanly, workers swept, as Ctrl-C does.
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    from focus_support.reporting.console import count_line, failure_block
    from focus_support.reporting.records import ScenarioRecord
    from scripts.merge_runs import merge
    from scripts.scenario_plan import collect, load_durations, shard

    out = out or sys.stdout
    selection, defines, flags = split_behave_args(behave_args)
    whole = collect([*(["--tags", tags] if tags else []), *selection], root=cwd)
    durations = load_durations(timings_source(reports, timings))
    plan = shard(whole, shard_spec, durations)
    alone = sum(1 for s in plan if s.alone)
    part = f" (shard {shard_spec} of {len(whole)})" if shard_spec else ""
    out.write(f"[acceptance] {len(plan)} scenario(s){part} in {jobs} worker(s)"
              + (f"; {alone} run alone after the others (@serial/@exclusive)" if jobs > 1 and alone else "") + "\n")
    out.flush()
    run = ParallelRun(plan, jobs, env, reports / "workers", durations, defines, out, cwd=cwd)
    run.flags = flags
    started = time.monotonic()
    workers = run.run()
    recorded = [w for w in workers if w.records() or run.interrupted]
    covered = {s.location for w in recorded for s in w.scenarios}
    planned = [s for s in plan if s.location in covered]  # plan order: the merged reports read like one run
    summary = merge([w.folder for w in workers if w.folder.exists()], reports, plan=planned,
                    interrupted=run.interrupted, extra_records=_worker_failures(run), base=cwd)
    if summary.duplicated or summary.missing:
        out.write(summary.describe() + "\n")
    records = [ScenarioRecord.from_dict(r) for r in summary.records]
    block = failure_block(records)
    out.write(("\n" + block + "\n" if block else "") + "\n" + count_line(records, time.monotonic() - started) + "\n")
    out.flush()
    if not shard_spec and not run.interrupted:
        update_timings(reports, summary.records)
    if run.interrupted:
        return 130
    codes = [w.exit_code for w in workers if w.exit_code is not None]
    return max(codes) if codes else 0
