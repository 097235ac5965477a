"""A quiet console: one line per scenario, then a compact block per failure.

``ScenarioLinesFormatter`` (behave.ini's console formatter) prints, as each scenario ends,
``✔ passed    12/127  0:14  features/x.feature:40  name (0.1 s)``, and at the end of the run one
block per failed or broken scenario (where / expected / seen), then a one-line count. The parallel
runner prints the same lines from the workers' run records (``scenario_line``, ``failure_block``),
so a run looks the same at any number of workers. Steps are not printed: the Allure report has them.
"""
from __future__ import annotations

import re
import sys
import time
from typing import Any, Iterable, TextIO

from focus_support.reporting.ci_formats import ScenarioFormatter, record_of
from focus_support.reporting.records import ScenarioRecord

MARK = {"passed": "✔", "failed": "✘", "broken": "!", "skipped": "-"}
ASCII_MARK = {"passed": "+", "failed": "x", "broken": "!", "skipped": "-"}
STATUSES = ("passed", "failed", "broken", "skipped")
_HAMCREST = re.compile(r"^(?P<what>.*?)\s*Expected:\s*(?P<expected>.*?)\s+but:\s*(?P<seen>.*)$", re.S)
_PLAIN = re.compile(r"expected:?\s*(?P<expected>.+?)[;,]\s*(?:seen|got|but)\b:?\s*(?P<seen>.+)$", re.I | re.S)


def clock(seconds: float) -> str:
    """``m:ss`` (``h:mm:ss`` past an hour)."""
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def scenario_line(record: ScenarioRecord, count: int, total: int | None, elapsed_s: float) -> str:
    """One line for a finished scenario: status, running count, elapsed time, where, what."""
    counter = f"{count:>{len(str(total))}}/{total}" if total else f"{count:>4}"
    category = getattr(record, "category", None)
    verdict = f"  [{category}]" if category and record.status != "passed" else ""
    return (f"{MARK.get(record.status, '?')} {record.status:<7} {counter}  {clock(elapsed_s):>5}  "
            f"{record.location}  {record.scenario.strip()} ({record.duration_s:.1f} s){verdict}")


def expected_and_seen(record: ScenarioRecord) -> tuple[str | None, str | None, str | None]:
    """(what, expected, seen) of a failure: from its structured finding, else from its message."""
    finding = getattr(record, "finding", None)
    line = record.error_line or ""
    if isinstance(finding, dict) and finding.get("subject"):
        seen = ", ".join(str(s) for s in finding.get("seen", [])) or "nothing"
        return line or None, f"{finding['subject']}: {finding.get('expected', '')}", seen
    for pattern in (_HAMCREST, _PLAIN):
        match = pattern.search(line)
        if match:
            groups = match.groupdict()
            what = (groups.get("what") or "").strip(" :") or None
            return what, groups["expected"].strip(), groups["seen"].strip()
    return line or None, None, None


def failure_block(records: Iterable[ScenarioRecord]) -> str:
    """Where / expected / seen of every failed or broken scenario; empty when there is none."""
    failures = [r for r in records if r.status in ("failed", "broken")]
    if not failures:
        return ""
    lines = [f"Failures ({len(failures)}):"]
    for record in failures:
        what, expected, seen = expected_and_seen(record)
        where = record.location or record.feature
        if record.failing_step:
            where += f", step \"{record.failing_step}\""
        elif record.hook:
            where += f", hook {record.hook}"
        lines.append(f"{MARK[record.status]} {record.scenario.strip()}")
        lines.append(f"    where:    {where}")
        if expected is not None:
            if what:
                lines.append(f"    check:    {what}")
            lines.append(f"    expected: {expected}")
            lines.append(f"    seen:     {seen}")
        else:
            lines.append(f"    error:    {what or record.error_type or record.kind}")
        category = getattr(record, "category", None)
        if category:
            lines.append(f"    verdict:  {category}")
    return "\n".join(lines)


def count_line(records: Iterable[ScenarioRecord], elapsed_s: float | None = None) -> str:
    """``Scenarios: 127 — 125 passed, 1 failed, 1 broken, 0 skipped (1:32)``."""
    records = list(records)
    counts = {s: sum(1 for r in records if r.status == s) for s in STATUSES}
    took = f" ({clock(elapsed_s)})" if elapsed_s is not None else ""
    return f"Scenarios: {len(records)} — " + ", ".join(f"{n} {s}" for s, n in counts.items()) + took


class ScenarioLinesFormatter(ScenarioFormatter):
    """behave console formatter: a line per scenario, the failures at the end, no step lines."""

    name = "focus_lines"
    description = "one line per scenario, then where/expected/seen of each failure"

    def __init__(self, stream_opener: Any, config: Any) -> None:
        super().__init__(stream_opener, config)
        self.started = time.monotonic()
        self.records: list[ScenarioRecord] = []
        total = (getattr(config, "userdata", None) or {}).get("progress_total")
        self.total = int(total) if str(total or "").isdigit() else None

    def _write(self, text: str) -> None:
        stream: TextIO = self.open() or sys.stdout
        try:
            stream.write(text + "\n")
        except UnicodeEncodeError:  # a console whose code page has no ✔ (Windows runners writing to a pipe)
            for status, mark in MARK.items():
                text = text.replace(f"{mark} ", f"{ASCII_MARK[status]} ")
            stream.write(text.encode("ascii", "replace").decode("ascii") + "\n")
        stream.flush()

    def scenario_finished(self, scenario: Any) -> None:
        record = record_of(scenario)
        self.records.append(record)
        self._write(scenario_line(record, len(self.records), self.total, time.monotonic() - self.started))

    def end_of_run(self) -> None:
        block = failure_block(self.records)
        if block:
            self._write("\n" + block)
        self._write("\n" + count_line(self.records, time.monotonic() - self.started))
