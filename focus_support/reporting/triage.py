"""The triage of a run: every failure in its class (focus_support.verdict.classify), grouped into rows.

Rows: a *new product bug* per scenario (outline), an *infrastructure* failure per error, each *known
bug* of the registry (reproduced, no longer reproducing, or not exercised), each *open question*
whose rule failed. The verdict line and the exit code come from the same classification.
"""
from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from focus_support.reporting.records import ScenarioRecord
from focus_support.reporting.tags import PRIORITY, SEVERITY_ORDER
from focus_support.verdict.classify import (
    CATEGORIES, FAILING, INFRASTRUCTURE, INTERRUPTED, NEEDS_VERIFICATION, NOT_EXERCISED, NOT_REPRODUCED,
    PRODUCT_KNOWN, PRODUCT_NEW, TARGET_MISSED, BugState, Verdict, base_name, bug_states, exit_code, judge,
)
from focus_support.verdict.registry import EvidenceMap, Registry, default_evidence, default_registry

__all__ = ["CATEGORIES", "FAILING", "INFRASTRUCTURE", "INTERRUPTED", "NEEDS_VERIFICATION", "PRODUCT_KNOWN",
           "PRODUCT_NEW", "MARK", "Triage", "judge_record", "classified", "decide_exit_code", "render_markdown"]

MARK = {PRODUCT_NEW: "🔴", PRODUCT_KNOWN: "🟠", NEEDS_VERIFICATION: "❓", TARGET_MISSED: "🎯", INFRASTRUCTURE: "🛠",
        INTERRUPTED: "⏹"}
_MAX_ERROR = 160


def _verdict_of(record: ScenarioRecord) -> Verdict:
    return Verdict(record.category, bug=record.bug, question=record.question, because=record.because or "")


def judge_record(record: ScenarioRecord, registry: Registry | None = None,
                 evidence: EvidenceMap | None = None) -> Verdict:
    """Decide one record's class (and the bug or question behind it) and store it on the record."""
    verdict = judge(record, registry or default_registry(), evidence or default_evidence())
    record.category, record.bug, record.question = verdict.category, verdict.bug, verdict.question
    record.because = verdict.because or None
    return verdict


def classified(records: Iterable[ScenarioRecord], registry: Registry | None = None,
               evidence: EvidenceMap | None = None) -> list[ScenarioRecord]:
    """The records with their verdict filled in (always recomputed from the current registry)."""
    out = list(records)
    for record in out:
        judge_record(record, registry, evidence)
    return out


def partly_exercised(passed: int, not_passed: int) -> str:
    """A known bug some of whose scenarios passed while others were skipped (e.g. on a shared
    environment) or failed another way: no claim of a fix."""
    return f"⏭ not fully exercised ({passed} passed, {not_passed} skipped or failing otherwise)"


@dataclass
class Row:
    """One line of the triage table."""

    item: str
    category: str
    severity: str = "normal"
    failed: list[ScenarioRecord] = field(default_factory=list)
    state: str | None = None        # for known bugs: reproduces / no longer reproduces / not exercised
    total: int = 0
    passed: int = 0                 # for known bugs: covered scenarios that passed

    @property
    def priority(self) -> str:
        return PRIORITY[self.severity]

    @property
    def status(self) -> str:
        if self.state == NOT_REPRODUCED:
            return f"✅ no longer reproduces ({self.total} passed) — verify the fix and close it"
        if self.state == NOT_EXERCISED and self.passed:
            return partly_exercised(self.passed, self.total - self.passed)
        if self.state == NOT_EXERCISED:
            return "⏭ not exercised in this run"
        return f"{MARK[self.category]} failing {len(self.failed)}/{max(self.total, len(self.failed))}"


@dataclass
class Triage:
    """A classified run: records, their verdicts, the known bugs' states, the rows."""

    records: list[ScenarioRecord]
    registry: Registry
    evidence: EvidenceMap
    strict: bool = False
    states: list[BugState] = field(default_factory=list)

    @classmethod
    def of(cls, records: Iterable[ScenarioRecord], strict: bool = False, registry: Registry | None = None,
           evidence: EvidenceMap | None = None) -> "Triage":
        registry, evidence = registry or default_registry(), evidence or default_evidence()
        records = classified(records, registry, evidence)
        states = bug_states(records, [_verdict_of(r) for r in records], registry)
        return cls(records, registry, evidence, strict, states)

    def in_category(self, category: str) -> list[ScenarioRecord]:
        return [r for r in self.records if r.category == category]

    @property
    def exit_code(self) -> int:
        return exit_code([_verdict_of(r) for r in self.records], self.states, self.strict)

    @property
    def no_longer_reproducing(self) -> list[BugState]:
        return [s for s in self.states if s.state == NOT_REPRODUCED]

    def skipped_reasons(self) -> Counter[str]:
        return Counter(r.skip_reason or "skipped (no reason given)" for r in self.records if r.status == "skipped"
                       and r.category is None)

    def rows(self) -> list[Row]:
        rows: "OrderedDict[tuple[str, str], Row]" = OrderedDict()
        for record in self.records:
            category = record.category
            if category is None or category == PRODUCT_KNOWN:
                continue
            if category == NEEDS_VERIFICATION and record.question:
                key = self.evidence.question(record.question).title
            elif category == INFRASTRUCTURE:
                key = f"{(record.error_type or record.kind).rsplit('.', 1)[-1]}: {record.error_line or ''}"
            elif category == INTERRUPTED:
                key = "run interrupted by the user"
            else:
                key = base_name(record.scenario)
            row = rows.setdefault((category, key), Row(item=key, category=category, severity=record.severity))
            row.failed.append(record)
            row.severity = min(row.severity, record.severity, key=SEVERITY_ORDER.index)
        for (category, key), row in rows.items():
            if category in (NEEDS_VERIFICATION, PRODUCT_NEW, TARGET_MISSED):
                row.total = sum(1 for r in self.records if r.status != "skipped" and (
                    base_name(r.scenario) == key or (r.question and self.evidence.question(r.question).title == key)))
            else:
                row.total = len(row.failed)
        for state in self.states:
            bug = state.bug
            row = Row(item=f"{bug.label} {bug.title}", category=PRODUCT_KNOWN, severity=bug.severity,
                      failed=[r for r in self.records if r.bug == bug.id], state=state.state,
                      total=len(state.reproduced_in) + len(state.passed_in) + len(state.other),
                      passed=len(state.passed_in))
            rows[(PRODUCT_KNOWN, bug.id)] = row
        order = {c: i for i, c in enumerate(CATEGORIES)}
        return sorted(rows.values(), key=lambda r: (order[r.category], r.state == NOT_EXERCISED,
                                                   SEVERITY_ORDER.index(r.severity), r.item))


def decide_exit_code(records: Iterable[ScenarioRecord], strict: bool = False) -> int:
    """1 for new product bugs, infrastructure failures or an interrupted run (strict: any finding)."""
    return Triage.of(records, strict).exit_code


def _cell(text: str | None, limit: int = _MAX_ERROR) -> str:
    text = " ".join((text or "").split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("|", "\\|") or "—"


def _scenarios_cell(records: Sequence[ScenarioRecord]) -> str:
    names = list(OrderedDict.fromkeys(r.scenario.split(" -- @")[0] for r in records))
    if not names:
        return "—"
    shown = "; ".join(names[:3]) + (f"; +{len(names) - 3} more" if len(names) > 3 else "")
    return _cell(shown, 300)


def _evidence_cell(row: Row) -> str:
    if not row.failed:
        return "not reproduced in this run" if row.state == NOT_REPRODUCED else "—"
    return _cell(row.failed[0].error_line)


def render_markdown(records: Iterable[ScenarioRecord] | Triage, strict: bool = False, title: str = "Triage") -> str:
    """The triage document: counts, skips and why, the table, one line per class, the verdict."""
    triage = records if isinstance(records, Triage) else Triage.of(records, strict)
    records = triage.records
    statuses = Counter(r.status for r in records)
    lines = [f"# {title}", "",
             f"Scenarios: {len(records)} — " + ", ".join(f"{statuses.get(s, 0)} {s}"
                                                          for s in ("passed", "failed", "broken", "skipped")), ""]
    skipped = triage.skipped_reasons()
    if skipped:
        lines.append(f"Skipped: {sum(skipped.values())} scenario(s), each for a reason of the environment:")
        lines += [f"- {n} × {_cell(reason, 200)}" for reason, n in skipped.most_common()]
        lines.append("")
    rows = triage.rows()
    if rows:
        lines += ["| Item | Category | Priority | Status | Scenarios | First evidence |",
                  "|------|----------|----------|--------|-----------|----------------|"]
        for row in rows:
            lines.append(f"| {_cell(row.item, 90)} | {row.category} | {row.priority} | {row.status} "
                         f"| {_scenarios_cell(row.failed)} | {_evidence_cell(row)} |")
    else:
        lines.append("No failures.")
    lines += ["", "## By category", ""]
    for category in CATEGORIES:
        found = triage.in_category(category)
        fails = "fails the run" if category in FAILING or strict else "reported, does not fail the run"
        lines.append(f"- {MARK[category]} **{category}**: {len(found)} scenario(s) — {fails}")
    gone = triage.no_longer_reproducing
    if gone:
        how = "fails the run (strict)" if strict else "reported, does not fail the run"
        lines.append(f"- ✅ **known bugs no longer reproducing**: {', '.join(s.bug.label for s in gone)} — {how}")
    code = triage.exit_code
    lines += ["", f"Verdict: {'FAIL' if code else 'PASS'} (exit code {code}{', strict' if strict else ''})", ""]
    return "\n".join(lines)
