"""The server's record of live jobs, persisted in the run directory.

Persisting the records and the id counter keeps job ids strictly increasing and ``/metadata``
answering for running jobs across a restart of the server pod (contract 11).
"""
from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class JobRecord:
    """One configured job: its resources and the configure response it answered."""

    job_id: str
    port: int
    queue: str
    response: dict
    frozen: bool = False  # cancelled under metadata_after_cancel: answered from memory only
    registered_at: float = field(default_factory=time.time)

    @property
    def grpc_job(self) -> str:
        return f"grpc-job-{self.job_id}"

    @property
    def cleanup_job(self) -> str:
        return f"cleanup-job-{self.job_id}"

    @property
    def service(self) -> str:
        return f"grpc-service-{self.job_id}"


class Registry:
    """Thread-safe map job_id -> JobRecord plus the id counter and port reservations."""

    def __init__(self, state_dir: Path):
        self.dir = state_dir
        (self.dir / "jobs").mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.records: dict[str, JobRecord] = {}
        self.reserved_ports: set[int] = set()
        for path in (self.dir / "jobs").glob("*.json"):
            try:
                rec = JobRecord(**json.loads(path.read_text()))
            except (ValueError, TypeError):
                continue  # a torn write from a killed server: the job is unknown, the janitor cleans it
            self.records[rec.job_id] = rec
        self.generation = self._bump("generation")

    def _bump(self, name: str) -> int:
        """Increment and persist a counter atomically (write + rename)."""
        path = self.dir / name
        value = int(path.read_text()) + 1 if path.exists() else 1
        tmp = path.with_suffix(".tmp")
        tmp.write_text(str(value))
        os.replace(tmp, path)
        return value

    def next_sequence(self) -> int:
        """The next job sequence number, never returned before in this run."""
        with self.lock:
            return self._bump("sequence")

    def add(self, rec: JobRecord) -> None:
        """Register a job whose grpc Job exists in the cluster."""
        with self.lock:
            self.records[rec.job_id] = rec
            path = self.dir / "jobs" / f"{rec.job_id}.json"
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(asdict(rec)))
            os.replace(tmp, path)

    def get(self, job_id: str) -> JobRecord | None:
        with self.lock:
            return self.records.get(job_id)

    def remove(self, job_id: str) -> None:
        with self.lock:
            self.records.pop(job_id, None)
            (self.dir / "jobs" / f"{job_id}.json").unlink(missing_ok=True)

    def live(self) -> list[JobRecord]:
        with self.lock:
            return list(self.records.values())

    def freeze(self, job_id: str) -> None:
        with self.lock:
            rec = self.records.get(job_id)
            if rec:
                rec.frozen = True
                self.add(rec)
