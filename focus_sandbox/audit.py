"""Who removed what: a small append-only log of every deletion the sandbox serves.

Each serving process appends JSON lines to its own file under ``<run_dir>/audit/`` (the cluster API
in the daemon, the Focus Server and Web App in the server process), so no two processes share a file.
A record names the actor: the ``X-Sandbox-Actor`` header the sandbox's own components send
(focus-server, janitor), else the request's origin address and User-Agent; the Web App names the
signed-in user. The rehearsal's other tenant reads the log to prove the suite touched none of its
resources.
"""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

ACTOR_HEADER = "X-Sandbox-Actor"
AUDIT_DIR = "audit"


def actor_of(request: Any) -> str:
    """The actor of a Starlette/FastAPI request: its declared sandbox component, else origin and agent."""
    declared = request.headers.get(ACTOR_HEADER)
    if declared:
        return declared
    host = request.client.host if request.client else "unknown"
    return f"{host} {request.headers.get('user-agent', '-')}"


def origin_of(request: Any) -> str:
    """The request's source address."""
    return request.client.host if request.client else "unknown"


class AuditLog:
    """Appends one JSON object per line; a log without a directory records nothing (unit tests)."""

    def __init__(self, run_dir: str | Path | None, name: str) -> None:
        self.path = Path(run_dir) / AUDIT_DIR / f"{name}.jsonl" if run_dir else None
        self._lock = threading.Lock()
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def record(self, action: str, resource: str, actor: str, **details: Any) -> None:
        """Append ``{time, action, resource, actor, ...}``."""
        if self.path is None:
            return
        line = json.dumps({"time": time.time(), "action": action, "resource": resource, "actor": actor, **details})
        with self._lock, open(self.path, "a", encoding="utf-8") as out:
            out.write(line + "\n")


def read(run_dir: str | Path) -> list[dict[str, Any]]:
    """Every record of the run, all processes, oldest first."""
    records: list[dict[str, Any]] = []
    for path in sorted((Path(run_dir) / AUDIT_DIR).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                try:
                    records.append({**json.loads(line), "log": path.stem})
                except ValueError:
                    continue  # a line cut short by a process killed mid-write
    return sorted(records, key=lambda r: r.get("time", 0.0))
