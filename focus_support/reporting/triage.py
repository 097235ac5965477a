"""Sort a run's failures into the seed analysis's classes and decide the run's exit code.

Classes come from typed exceptions and tags only:

* **test infrastructure** - anything that is not an ``AssertionError``: the ``InfrastructureError``
  family (unreachable, timeouts, misconfiguration, unhandled throttling, preconditions), any other
  exception (a defect of the test code), failed hooks, pending and undefined steps;
* **product bug - known** - an ``AssertionError`` in a scenario tagged ``@known_bug``, or tagged
  ``@issue:N`` itself (an issue tag inherited from the feature only links);
* **needs verification** - an ``AssertionError`` in a ``@needs_verification`` scenario (no ``@known_bug``);
* **product bug - new** - every other ``AssertionError``.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Iterable

from focus_support.reporting.records import ScenarioRecord
from focus_support.reporting.tags import PRIORITY, SEVERITY_ORDER, issue_label

PRODUCT_NEW = "product bug — new"
PRODUCT_KNOWN = "product bug — known"
NEEDS_VERIFICATION = "needs verification"
INFRASTRUCTURE = "test infrastructure"
CATEGORIES = (PRODUCT_NEW, INFRASTRUCTURE, PRODUCT_KNOWN, NEEDS_VERIFICATION)
# Categories that fail the run; --strict adds the other two.
FAILING = (PRODUCT_NEW, INFRASTRUCTURE)
MARK = {PRODUCT_NEW: "🔴", PRODUCT_KNOWN: "🟠", NEEDS_VERIFICATION: "❓", INFRASTRUCTURE: "🛠"}
_OUTLINE_SUFFIX = re.compile(r" -- @\d+(\.\d+)* .*$")
_MAX_ERROR = 160


def classify(record: ScenarioRecord) -> str | None:
    """The triage class of a scenario, or None when it did not fail."""
    if record.status in ("passed", "skipped"):
        return None
    if record.kind != "assertion":
        return INFRASTRUCTURE
    if record.known_bug:
        return PRODUCT_KNOWN
    if record.needs_verification:
        return NEEDS_VERIFICATION
    if record.own_issues:
        return PRODUCT_KNOWN
    return PRODUCT_NEW


def classified(records: Iterable[ScenarioRecord]) -> list[ScenarioRecord]:
    """The records with their ``category`` filled in."""
    out = list(records)
    for record in out:
        record.category = classify(record)
    return out


def decide_exit_code(records: Iterable[ScenarioRecord], strict: bool = False) -> int:
    """1 when new product bugs or infrastructure failures occurred (with strict: any failure), else 0."""
    failing = set(CATEGORIES) if strict else set(FAILING)
    return 1 if any(classify(r) in failing for r in records) else 0


def _base_name(scenario: str) -> str:
    return _OUTLINE_SUFFIX.sub("", scenario)


def _group_key(record: ScenarioRecord, category: str) -> str:
    """Failures of one issue, one infrastructure error, or one scenario (outline) share a row."""
    issues = record.own_issues or record.issues
    if category in (PRODUCT_KNOWN, NEEDS_VERIFICATION) and issues:
        return issue_label(issues[0])
    if category == INFRASTRUCTURE:
        return f"{record.error_type or record.kind}: {record.error_line or ''}"
    return _base_name(record.scenario)


@dataclass
class TriageRow:
    """One line of the summary table."""

    issue: str
    category: str
    severity: str = "trivial"
    failed: list[ScenarioRecord] = field(default_factory=list)
    total: int = 0

    @property
    def priority(self) -> str:
        return PRIORITY[self.severity]

    @property
    def status(self) -> str:
        if not self.failed:
            return f"✅ passed {self.total}/{self.total}"
        return f"{MARK[self.category]} failing {len(self.failed)}/{self.total}"

    @property
    def issue_cell(self) -> str:
        if self.category == INFRASTRUCTURE:
            return (self.failed[0].error_type or self.failed[0].kind).rsplit(".", 1)[-1]
        return self.issue


def build_rows(records: Iterable[ScenarioRecord]) -> list[TriageRow]:
    """Group failures into table rows; issues whose scenarios all passed get a row too."""
    records = [r for r in records if r.status != "skipped"]
    rows: "OrderedDict[tuple[str, str], TriageRow]" = OrderedDict()
    for record in records:
        category = classify(record)
        if category is None:
            continue
        key = (category, _group_key(record, category))
        row = rows.setdefault(key, TriageRow(issue=key[1], category=category))
        row.failed.append(record)
        row.severity = min(row.severity, record.severity, key=SEVERITY_ORDER.index)
    # totals per issue row: every scenario carrying that issue; per scenario row: its examples
    for (category, key), row in rows.items():
        if category == INFRASTRUCTURE:
            row.total = len(row.failed)
            continue
        row.total = sum(1 for r in records if key in [issue_label(i) for i in (r.own_issues or r.issues)]
                        or _base_name(r.scenario) == key)
    # known issues that did not reproduce (e.g. the spec profile): say so
    for record in records:
        if not (record.known_bug or record.own_issues) or classify(record) is not None:
            continue
        label = issue_label((record.own_issues or record.issues or [_base_name(record.scenario)])[0])
        if any(k == label for _, k in rows):
            continue
        category = NEEDS_VERIFICATION if record.needs_verification and not record.known_bug else PRODUCT_KNOWN
        row = TriageRow(issue=label, category=category, severity=record.severity)
        row.total = sum(1 for r in records
                        if label == issue_label((r.own_issues or r.issues or [_base_name(r.scenario)])[0])
                        and (r.known_bug or r.own_issues))
        rows[(category, label)] = row
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return sorted(rows.values(), key=lambda r: (order[r.category], not r.failed,
                                                SEVERITY_ORDER.index(r.severity), r.issue))


def _cell(text: str | None, limit: int = _MAX_ERROR) -> str:
    text = " ".join((text or "").split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("|", "\\|") or "—"


def _scenario_cell(row: TriageRow) -> str:
    names = list(OrderedDict.fromkeys(r.scenario for r in row.failed)) if row.failed else []
    if not names:
        return "—"
    shown = "; ".join(names[:3]) + (f"; +{len(names) - 3} more" if len(names) > 3 else "")
    return _cell(shown, 300)


def render_markdown(records: Iterable[ScenarioRecord], strict: bool = False, title: str = "Triage") -> str:
    """The triage document: summary table, one line per class, the verdict."""
    records = list(records)
    rows = build_rows(records)
    counts = {c: [r for r in records if classify(r) == c] for c in CATEGORIES}
    statuses = {s: sum(1 for r in records if r.status == s) for s in ("passed", "failed", "broken", "skipped")}
    lines = [f"# {title}", ""]
    lines.append(f"Scenarios: {len(records)} — " + ", ".join(f"{n} {s}" for s, n in statuses.items()))
    lines.append("")
    if rows:
        lines += ["| Issue | Category | Priority | Status | Scenarios | First error line |",
                  "|-------|----------|----------|--------|-----------|------------------|"]
        for row in rows:
            error = row.failed[0].error_line if row.failed else "not reproduced in this run"
            lines.append(f"| {_cell(row.issue_cell, 80)} | {row.category} | {row.priority} | {row.status} "
                         f"| {_scenario_cell(row)} | {_cell(error)} |")
    else:
        lines.append("No failures.")
    lines += ["", "## By category", ""]
    for category in CATEGORIES:
        items = {_group_key(r, category) for r in counts[category]}
        fails = "fails the run" if category in FAILING or strict else "reported, does not fail the run"
        lines.append(f"- {MARK[category]} **{category}**: {len(counts[category])} scenario(s), "
                     f"{len(items)} item(s) — {fails}")
    code = decide_exit_code(records, strict)
    lines += ["", f"Verdict: {'FAIL' if code else 'PASS'} (exit code {code}{', strict' if strict else ''})", ""]
    return "\n".join(lines)
