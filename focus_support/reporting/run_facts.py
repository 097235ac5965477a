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
    preflight: list[dict[str, str]] = field(default_factory=list)    # dependency, route, status, detail
    self_checks: list[dict[str, Any]] = field(default_factory=list)  # selfcheck.SelfCheck as dicts
    throttling: dict[str, int] = field(default_factory=dict)         # retry.STATS
    broker: dict[str, int] = field(default_factory=dict)             # rabbit.connection.STATS
    finished: bool = False

    def preflight_row(self, dependency: str) -> dict[str, str] | None:
        return next((r for r in self.preflight if r.get("dependency") == dependency), None)


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
