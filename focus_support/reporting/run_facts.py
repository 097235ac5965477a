"""Facts about a run that are not scenarios: the preflight, the suite's self-checks, how the clients
met throttling and broker outages. Written by the behave hooks next to ``run-results.json``; read by
``reports/analysis.md`` for the seed's infrastructure rows."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FACTS_FILE = "run-facts.json"


@dataclass
class RunFacts:
    environment: str = ""
    shared: bool | None = None
    started_at: str = ""                                             # ISO 8601 UTC, when the preflight ran
    preflight: list[dict[str, str]] = field(default_factory=list)    # dependency, route, status, detail
    self_checks: list[dict[str, Any]] = field(default_factory=list)  # selfcheck.SelfCheck as dicts
    throttling: dict[str, int] = field(default_factory=dict)         # retry.STATS
    broker: dict[str, int] = field(default_factory=dict)             # rabbit.connection.STATS
    finished: bool = False

    def preflight_row(self, dependency: str) -> dict[str, str] | None:
        return next((r for r in self.preflight if r.get("dependency") == dependency), None)


def capacity_summary(folder: Path, facts: RunFacts | None) -> str | None:
    """The capacity line of this run (reports/capacity.json, written by the capacity scenarios), or
    None when the run did not exercise capacity (an older file is not this run's)."""
    path = Path(folder) / "capacity.json"
    if facts is None or not facts.started_at or not path.exists():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    if str(doc.get("written_at", "")) < facts.started_at:
        return None
    return doc.get("summary")


def reports_dir_of_run() -> Path | None:
    """Where the running formatter writes its records (None when no report is being written)."""
    from focus_support.reporting import formatter

    listener = formatter.ACTIVE
    return listener.records.path.parent if listener is not None else None


def write_facts(facts: RunFacts, folder: Path | None = None) -> None:
    folder = folder or reports_dir_of_run()
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    (folder / FACTS_FILE).write_text(json.dumps(asdict(facts), indent=1, ensure_ascii=False), encoding="utf-8")


def load_facts(folder: Path) -> RunFacts | None:
    path = Path(folder) / FACTS_FILE
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return RunFacts(**{k: v for k, v in data.items() if k in RunFacts.__dataclass_fields__})
