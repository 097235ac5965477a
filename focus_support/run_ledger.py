"""The job ids a whole run received, across its parallel workers (``FOCUS_RUN_LEDGER``).

Every job the suite registers (the id came back in one of its own configure answers) is appended
to the ledger file the parallel runner names. A check that "nothing new appeared in the namespace"
then counts only objects of jobs *nobody in the run was told about*: another worker's job is
explained by its id, a job a rejected request started is not. Without the variable (a plain
behave run) the ledger is this process's own list, so the rule is the same.

A worker publishes an id right after its configure answer arrives, while the job's objects exist
from the moment the server handled the request: ``unexplained`` therefore re-reads the ledger for
a short while before it calls an object a stray.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable

from focus_support.waiting import wait_until

ENV_VAR = "FOCUS_RUN_LEDGER"
JOB_ID_IN_NAME = re.compile(r"(?:grpc-job|cleanup-job|grpc-service)-(\d+-\d+)")
SETTLE_S = 2.0  # longer than any worker takes from a configure answer to publishing its id


def _path() -> Path | None:
    value = os.environ.get(ENV_VAR, "").strip()
    return Path(value) if value else None


def publish(job_id: str) -> None:
    """Add a job id the run received (one short append: atomic between processes)."""
    path = _path()
    if path is None or not job_id:
        return
    with open(path, "a", encoding="utf-8") as ledger:
        ledger.write(job_id + "\n")


def known_job_ids() -> set[str]:
    """Every id published so far by any worker of the run (empty outside a parallel run)."""
    path = _path()
    if path is None:
        return set()
    try:
        return {line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    except OSError:
        return set()


def job_id_of(name: str) -> str | None:
    """The job id in a Focus job object's or queue's name, if it has one."""
    match = JOB_ID_IN_NAME.search(name)
    return match.group(1) if match else None


def unexplained(names: Iterable[str], own: Iterable[str] = (), settle_s: float = SETTLE_S) -> list[str]:
    """The object names whose job the run was never told about (``own``: this process's jobs)."""
    names = sorted(set(names))
    own = set(own)

    def strays() -> list[str]:
        known = own | known_job_ids()
        return [n for n in names if job_id_of(n) not in known]

    left = strays()
    if not left or _path() is None:
        return left
    last: list[list[str]] = [left]

    def settled() -> bool:
        last[0] = strays()
        return not last[0]

    try:
        wait_until(settled, settle_s, 0.1, describe="other workers to publish the ids of their jobs",
                   on_timeout=lambda message, state: _Settled(message))
    except _Settled:  # still unexplained at the deadline: that is the answer, not an error
        pass
    return last[0]


class _Settled(Exception):
    """The ledger did not explain every object within the settle time."""
