"""Cleanup registered at creation: a LIFO ``CleanupStack`` and the ``JobTracker`` for Focus jobs (seed section 3.1).

Every job the suite creates is registered the moment its id is known. After each scenario its jobs
are cancelled in reverse order (``DELETE /job/{id}``; where that route is missing, an observed
defect, the job's cluster resources and queues are deleted directly and the fallback is recorded),
then the tracker waits up to ``cleanup_timeout_s`` (per scenario, or once for the whole run at the
sweep) and reports whatever is still there as a leak.
"""
from __future__ import annotations

import atexit
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from focus_support import run_ledger
from focus_support.errors import CleanupError, InfrastructureError
from focus_support.waiting import wait_until

log = logging.getLogger(__name__)


class CleanupStack:
    """LIFO actions; ``run_all`` runs each once, continues past failures and raises one summary."""

    def __init__(self) -> None:
        self._actions: list[tuple[str, Callable[[], Any]]] = []
        self._lock = threading.Lock()

    def register(self, description: str, action: Callable[[], Any]) -> None:
        """Add an action at the moment the resource it undoes is created."""
        with self._lock:
            self._actions.append((description, action))

    def __len__(self) -> int:
        return len(self._actions)

    @property
    def pending(self) -> list[str]:
        """Descriptions of actions not run yet, in the order they will run."""
        with self._lock:
            return [d for d, _ in reversed(self._actions)]

    def run_all(self) -> list[str]:
        """Run every action newest first; returns what ran, raises CleanupError listing failures."""
        failures: list[tuple[str, BaseException]] = []
        done: list[str] = []
        while True:
            with self._lock:
                if not self._actions:
                    break
                description, action = self._actions.pop()
            try:
                action()
                done.append(description)
            except Exception as exc:  # keep going: one failed undo must not leak the rest
                log.warning("cleanup '%s' failed: %s", description, exc)
                failures.append((description, exc))
        if failures:
            raise CleanupError(failures)
        return done


@dataclass
class CancelOutcome:
    """How a job was cancelled: ``api`` (spec route), ``already-gone``, or ``direct-delete`` (fallback)."""

    job_id: str
    route: str
    detail: str = ""
    deleted: list[str] = field(default_factory=list)

    @property
    def used_fallback(self) -> bool:
        """True when the spec route was missing and resources were deleted directly."""
        return self.route == "direct-delete"


@dataclass
class Leak:
    """A job with resources still present after the cleanup timeout."""

    job_id: str
    resources: list[str]
    force_deleted: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"job {self.job_id}: {', '.join(self.resources)}"


@dataclass
class CleanupReport:
    """The result of cleaning up a set of jobs."""

    outcomes: list[CancelOutcome] = field(default_factory=list)
    leaks: list[Leak] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """True when nothing leaked and nothing failed."""
        return not self.leaks and not self.errors

    @property
    def fallbacks(self) -> list[str]:
        """Job ids cancelled by direct deletion."""
        return [o.job_id for o in self.outcomes if o.used_fallback]

    def describe(self) -> str:
        """Readable text for logs and reports."""
        lines = [f"cleaned {len(self.outcomes)} job(s)"]
        if self.fallbacks:
            lines.append("DELETE /job/{id} missing; deleted directly: " + ", ".join(self.fallbacks))
        lines += [f"LEAK {leak}" for leak in self.leaks]
        lines += [f"ERROR {e}" for e in self.errors]
        return "\n".join(lines)


def _is_missing_route(response: Any) -> bool:
    """FastAPI's bare 404/405 means the route does not exist (not "unknown job")."""
    if response.status_code not in (404, 405):
        return False
    try:
        body = response.json()
    except ValueError:
        return True
    return isinstance(body, dict) and "error" not in body


class JobTracker:
    """Knows every job the run created; cancels, waits and reports leaks with resource names."""

    def __init__(self, focus: Any, k8s: Any, management: Any = None, cleanup_timeout_s: float = 30.0) -> None:
        self.focus = focus
        self.k8s = k8s
        self.management = management
        self.cleanup_timeout_s = cleanup_timeout_s
        self._lock = threading.Lock()
        self._scenario: list[str] = []
        self._run: list[str] = []
        self._cleaned: set[str] = set()
        self._cancelled: set[str] = set()

    def register(self, job_id: str) -> None:
        """Record a job the moment its id is known."""
        with self._lock:
            if job_id not in self._run:
                self._run.append(job_id)
                run_ledger.publish(job_id)  # parallel workers tell each other's jobs from strays
            if job_id not in self._scenario:
                self._scenario.append(job_id)

    @property
    def scenario_jobs(self) -> list[str]:
        """Jobs created in the current scenario, in creation order."""
        with self._lock:
            return list(self._scenario)

    @property
    def run_jobs(self) -> list[str]:
        """Every job created in the run."""
        with self._lock:
            return list(self._run)

    def remaining_resources(self, job_id: str) -> list[str]:
        """Names of the job's cluster objects and queues still present."""
        names = self.k8s.job_resources(job_id).names() if self.k8s is not None else []
        if self.management is not None:
            names += [f"queue/{q}" for q in self.management.job_queues(job_id)]
        return names

    def delete_directly(self, job_id: str) -> list[str]:
        """Force-delete the job's cluster objects and its queues (the fallback)."""
        deleted = self.k8s.delete_job_resources(job_id) if self.k8s is not None else []
        if self.management is not None:
            deleted += [f"queue/{q}" for q in self.management.job_queues(job_id) if self.management.delete_queue(q)]
        return deleted

    def cancel(self, job_id: str) -> CancelOutcome:
        """Cancel through ``DELETE /job/{id}``; fall back to direct deletion when the route is missing."""
        response = self.focus.send_cancel(job_id)
        if response.status_code == 200:
            return CancelOutcome(job_id, "api", "DELETE /job answered 200")
        if _is_missing_route(response):
            deleted = self.delete_directly(job_id)
            return CancelOutcome(job_id, "direct-delete",
                                 f"DELETE /job answered {response.status_code} {response.text[:100]}", deleted)
        if response.status_code == 404:  # {"error": "Invalid job_id"}: expired or already cancelled
            return CancelOutcome(job_id, "already-gone", response.text[:100])
        deleted = self.delete_directly(job_id)
        return CancelOutcome(job_id, "direct-delete", f"DELETE /job answered {response.status_code}", deleted)

    def _cancel_all(self, job_ids: list[str], report: CleanupReport) -> None:
        """Cancel the jobs newest first, recording each outcome; an unreachable server is an error."""
        for job_id in reversed(job_ids):
            try:
                report.outcomes.append(self.cancel(job_id))
            except InfrastructureError as exc:
                report.errors.append(f"cancel {job_id}: {exc}")
        with self._lock:
            self._cancelled.update(job_ids)

    def cleanup(self, job_ids: list[str], already_cancelled: frozenset[str] = frozenset()) -> CleanupReport:
        """Cancel the jobs newest first, wait up to the timeout, and report leaks."""
        report = CleanupReport()
        self._cancel_all([j for j in job_ids if j not in already_cancelled], report)
        leftovers: dict[str, list[str]] = {}

        def all_gone() -> bool:
            leftovers.clear()
            for job_id in job_ids:
                names = self.remaining_resources(job_id)
                if names:
                    leftovers[job_id] = names
            return not leftovers

        try:
            wait_until(all_gone, self.cleanup_timeout_s, 0.3, describe="cleanup of " + ", ".join(job_ids))
        except InfrastructureError:
            report.leaks = [Leak(j, names) for j, names in leftovers.items()]
        for leak in report.leaks:  # reported first, then removed so the run leaves nothing behind
            try:
                leak.force_deleted = self.delete_directly(leak.job_id)
            except InfrastructureError as exc:
                report.errors.append(f"force-delete {leak.job_id}: {exc}")
        with self._lock:
            self._cleaned.update(job_ids)
        return report

    def cleanup_scenario(self, confirm: bool = True) -> CleanupReport:
        """Clean the current scenario's jobs (also after a failure) and start a new scenario.

        ``confirm=False`` only cancels: waiting for every janitor after every scenario would cost the
        suite minutes, so ``sweep`` confirms those jobs are gone (and reports leaks) once per run.
        """
        with self._lock:
            jobs, self._scenario = list(self._scenario), []
        if not jobs:
            return CleanupReport()
        if confirm:
            return self.cleanup(jobs)
        report = CleanupReport()
        self._cancel_all(jobs, report)
        return report

    def sweep(self) -> CleanupReport:
        """End of run (or Ctrl-C): cancel what is left, then confirm every job of the run is gone."""
        with self._lock:
            jobs = [j for j in self._run if j not in self._cleaned]
            cancelled = frozenset(self._cancelled)
            self._scenario = []
        return self.cleanup(jobs, already_cancelled=cancelled) if jobs else CleanupReport()


def install_interrupt_sweep(sweep: Callable[[], Any]) -> Callable[[], None]:
    """Run ``sweep`` once on Ctrl-C/SIGTERM or at interpreter exit; returns an uninstall function."""
    done = threading.Event()

    def run_once() -> None:
        if not done.is_set():
            done.set()
            try:
                sweep()
            except Exception:  # at exit there is nobody left to raise to; log it
                log.exception("final sweep failed")

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum: int, frame: Any) -> None:
        run_once()
        prior = previous[signum]
        if callable(prior):
            prior(signum, frame)
        elif signum == signal.SIGINT:
            raise KeyboardInterrupt
        else:
            raise SystemExit(128 + signum)

    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        for sig in previous:
            signal.signal(sig, handler)
    atexit.register(run_once)

    def uninstall() -> None:
        done.set()
        atexit.unregister(run_once)
        if in_main:
            for sig, prior in previous.items():
                signal.signal(sig, prior)

    return uninstall
