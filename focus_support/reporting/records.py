"""The machine-readable record of a run: one entry per scenario, written while the run goes on.

Triage reads only this file (``reports/run-results.json``), so its classes come from what the run
itself observed (typed exceptions, tags), never from re-parsing console output.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from focus_support.reporting.redaction import redact
from focus_support.reporting.statuses import Outcome
from focus_support.reporting.tags import TagInfo
from focus_support.verdict.findings import Finding, finding_of

RECORD_FILE = "run-results.json"
SCHEMA_VERSION = 1


@dataclass
class ScenarioRecord:
    """What one scenario did, enough to classify it after the run."""

    feature: str
    scenario: str
    location: str
    status: str                      # Allure status: passed, failed, broken, skipped
    kind: str                        # statuses.KIND_*: assertion, infrastructure, error, pending...
    tags: list[str] = field(default_factory=list)
    error_type: str | None = None    # exception class
    infrastructure: bool = False     # the exception is an InfrastructureError
    assertion: bool = False          # the exception is an AssertionError
    hook: str | None = None          # the hook that failed, if one did
    failing_step: str | None = None  # keyword + text, as shown
    step_text: str | None = None     # the failing step's text without its keyword (signatures match it)
    finding: dict[str, Any] | None = None  # verdict.findings.Finding of a structured product failure
    rules: list[str] = field(default_factory=list)   # @rule:<id> tags: the contract rules asserted
    observations: list[dict[str, str]] = field(default_factory=list)  # reporting.observations: topic, text
    skip_reason: str | None = None
    error_line: str | None = None    # first line of the error message
    issues: list[str] = field(default_factory=list)
    own_issues: list[str] = field(default_factory=list)
    known_bug: bool = False
    needs_verification: bool = False
    severity: str = "normal"
    priority: str = "MEDIUM"
    duration_s: float = 0.0
    category: str | None = None      # filled by the verdict
    bug: str | None = None           # the known bug a failure matched
    question: str | None = None      # the open question a failure raised
    because: str | None = None       # why the verdict is what it is

    @property
    def finding_obj(self) -> Finding | None:
        """The structured finding, if the failure carried one."""
        return Finding.from_dict(self.finding)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ScenarioRecord":
        """Rebuild a record from its JSON form, ignoring unknown keys."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


FIRST_LINE_MAX = 240


def first_line(message: str | None) -> str | None:
    """One readable line of a message: a bare "AssertionError:" label is dropped, and a hamcrest
    "Expected: … / but: …" pair is folded into one line, since either half alone says little."""
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].endswith(":") and " " not in lines[0].rstrip(":"):
        lines = lines[1:]  # "AssertionError:" with the text on the following lines
    if not lines:
        return None
    line = lines[0]
    expected = next((i for i, text in enumerate(lines[:3]) if text.startswith("Expected:")), None)
    if expected is not None and expected + 1 < len(lines) and lines[expected + 1].startswith("but:"):
        line = " ".join(lines[:expected + 2])
    return line if len(line) <= FIRST_LINE_MAX else line[:FIRST_LINE_MAX - 1] + "…"


def make_record(*, feature: str, scenario: str, location: str, outcome: Outcome, info: TagInfo,
                duration_s: float = 0.0, observations: list[dict[str, str]] | None = None) -> ScenarioRecord:
    """Build a (redacted) record from a scenario's outcome and tag meaning."""
    exc = outcome.exception
    finding = finding_of(exc)
    failed = outcome.kind not in ("passed", "skipped")
    return ScenarioRecord(
        feature=feature,
        scenario=scenario,
        location=location,
        status=outcome.status,
        kind=outcome.kind,
        tags=list(info.tags),
        error_type=outcome.error_type,
        infrastructure=outcome.kind == "infrastructure",
        assertion=isinstance(exc, AssertionError),
        hook=outcome.hook,
        failing_step=outcome.step if failed else None,
        step_text=outcome.step_text if failed else None,
        finding=finding.to_dict() if finding is not None else None,
        rules=list(info.rules),
        observations=[{"topic": o["topic"], "text": redact(o["text"])} for o in observations or []],
        skip_reason=outcome.message if outcome.kind == "skipped" and outcome.message else None,
        error_line=redact(first_line(outcome.message)),
        issues=list(info.issues),
        own_issues=list(info.own_issues),
        known_bug=info.known_bug,
        needs_verification=info.needs_verification,
        severity=info.severity,
        priority=info.priority,
        duration_s=round(duration_s, 3),
    )


class RunRecordWriter:
    """Keeps the run's records and rewrites the file after each scenario (a crash keeps the rest).

    Each record is encoded once, when it is added: re-encoding every record after every scenario
    (asdict and an indented dump) cost about 7 s of a 360-scenario run, all of it between scenarios.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.records: list[ScenarioRecord] = []
        self._encoded: list[str] = []
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._write()

    def add(self, record: ScenarioRecord) -> None:
        """Append a record and persist the whole run so far."""
        self.records.append(record)
        self._encoded.append(json.dumps(asdict(record), ensure_ascii=False))
        self._write()

    def _write(self) -> None:
        text = (f'{{"schema": {SCHEMA_VERSION}, "records": [\n' + ",\n".join(self._encoded)
                + ("\n" if self._encoded else "") + "]}\n")
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".run-results-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, self.path)


def load_records(path: Path | str) -> list[ScenarioRecord]:
    """Read the records of a run; an absent file means the run recorded nothing."""
    path = Path(path)
    if not path.exists():
        return []
    doc = json.loads(path.read_text(encoding="utf-8"))
    return [ScenarioRecord.from_dict(r) for r in doc.get("records", [])]
