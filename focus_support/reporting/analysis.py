"""``reports/analysis.md``: the seed's hand-written analysis, written by every run from its own evidence.

Same sections and order as the seed (1. test infrastructure, 2. requiring verification, 3. confirmed
system bugs, 4. summary table, 5. recommended actions), and the summary table has the seed's columns
and rows. Every status comes from this run: the infrastructure rows from the checks that guard them
(the preflight, the suite's self-checks, the clients' throttling and reconnect figures, the scenarios
that exercise them), the open questions from ``config/evidence.yaml`` with what this run observed, the
bugs from ``config/known_bugs.yaml`` and whether their signatures reproduced.
"""
from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from focus_support.reporting.records import ScenarioRecord
from focus_support.reporting.run_facts import RunFacts, capacity_summary, load_facts
from focus_support.reporting.tags import PRIORITY
from focus_support.reporting.triage import Triage, partly_exercised
from focus_support.verdict.classify import (
    INFRASTRUCTURE, INTERRUPTED, NEEDS_VERIFICATION, NOT_EXERCISED, NOT_REPRODUCED, PRODUCT_NEW, TARGET_MISSED,
    BugState, base_name,
)
from focus_support.verdict.registry import OpenQuestion

ANALYSIS_FILE = "analysis.md"
OK, INVESTIGATE, BROKEN = "✅", "🔄", "❌"

# The seed's section 1 rows, in its order.
SSH_FALLBACK, PYDANTIC, CONFIG, RATE_LIMITING, RABBITMQ = (
    "K8s Manager SSH Fallback", "Pydantic Validation", "Config Loading", "Rate Limiting", "RabbitMQ Connection")
INFRASTRUCTURE_ROWS = (SSH_FALLBACK, PYDANTIC, CONFIG, RATE_LIMITING, RABBITMQ)


@dataclass
class Guard:
    """One seed infrastructure row as this run saw it."""

    row: str
    status: str
    checks: list[str] = field(default_factory=list)   # "✓ ..." / "✗ ..." lines: what guarded it

    @property
    def priority(self) -> str:
        return "Fixed" if self.status == OK else "Investigation"


@dataclass
class SummaryRow:
    issue: str
    category: str
    priority: str
    status: str


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def _infra_failures(triage: Triage, *words: str) -> list[ScenarioRecord]:
    found = triage.in_category(INFRASTRUCTURE)
    return [r for r in found if any(w in f"{r.error_type} {r.error_line}".lower() for w in words)]


def _scenarios_of(triage: Triage, feature_words: str) -> list[ScenarioRecord]:
    return [r for r in triage.records if feature_words in r.feature.lower()]


def _preflight_check(facts: RunFacts, dependency: str) -> tuple[bool | None, str]:
    row = facts.preflight_row(dependency)
    if row is None:
        return None, f"preflight: {dependency} not checked"
    ok = row["status"] == "ok"
    return ok, f"preflight {dependency} ({row['route']}): {row['status'].upper()} — {row['detail']}"


def _self_check(facts: RunFacts, row: str) -> tuple[bool | None, str]:
    check = next((c for c in facts.self_checks if c["row"] == row), None)
    if check is None:
        return None, "self-check not run"
    return bool(check["passed"]), f"self-check '{check['name']}': {check['detail']}"


def _guard(row: str, parts: Sequence[tuple[bool | None, str]], exercised: bool = True) -> Guard:
    checks = [f"{_mark(bool(ok))} {text}" if ok is not None else f"– {text}" for ok, text in parts]
    if any(ok is False for ok, _ in parts):
        status = BROKEN
    elif not exercised or any(ok is None for ok, _ in parts):
        status = INVESTIGATE
    else:
        status = OK
    return Guard(row, status, checks)


def infrastructure_guards(triage: Triage, facts: RunFacts | None) -> list[Guard]:
    """The five rows of the seed's section 1, each judged by the checks of this run that guard it."""
    if facts is None:
        return [Guard(row, INVESTIGATE, ["– no run facts: the run ended before its preflight"])
                for row in INFRASTRUCTURE_ROWS]
    k8s_failures = _infra_failures(triage, "kubernetes", "kubectl", "ssh")
    cluster_scenarios = [r for r in triage.records if "requires_cluster" in r.tags and r.status != "skipped"]
    ssh = _guard(SSH_FALLBACK, [
        _preflight_check(facts, "cluster"), _preflight_check(facts, "ssh"),
        (not k8s_failures, f"{len(cluster_scenarios)} scenario(s) inspected the cluster; "
                           f"{len(k8s_failures)} failed to reach it"),
    ])
    pydantic = _guard(PYDANTIC, [_self_check(facts, PYDANTIC)])
    config = _guard(CONFIG, [_self_check(facts, CONFIG),
                             (True, f"environment '{facts.environment}' loaded for this run")])
    stats = facts.throttling or {}
    throttled = stats.get("throttled", 0)
    rate = _guard(RATE_LIMITING, [
        _self_check(facts, RATE_LIMITING),
        (stats.get("waited_less", 0) == 0 if facts.finished else None,
         f"this run: {throttled} throttled answer(s) retried, {stats.get('waited_as_told', 0)} after exactly "
         f"their Retry-After, {stats.get('backed_off', 0)} with backoff (no Retry-After), "
         f"{stats.get('waited_less', 0)} cut short; {stats.get('replays_refused', 0)} failed POST(s) not replayed"),
    ])
    broker = facts.broker or {}
    resilience = [r for r in _scenarios_of(triage, "rabbitmq") if r.status != "skipped"]
    broker_infra = [r for r in resilience if r.category == INFRASTRUCTURE] + _infra_failures(triage, "rabbitmq")
    rabbit = _guard(RABBITMQ, [
        _preflight_check(facts, "rabbitmq"),
        (broker.get("gave_up", 0) == 0 and not broker_infra if facts.finished else None,
         f"this run: {broker.get('connects', 0)} broker connection(s), {broker.get('reconnects', 0)} reconnect(s) "
         f"after a reset or restart, {broker.get('gave_up', 0)} given up"),
        (True if resilience else None,
         f"{len(resilience)} broker-outage scenario(s) ran" if resilience else
         "the broker-outage scenarios did not run here (reset and restart not exercised)"),
    ])
    return [ssh, pydantic, config, rate, rabbit]


# --- open questions ----------------------------------------------------------------------------
@dataclass
class QuestionState:
    question: OpenQuestion
    failed: list[ScenarioRecord]
    observations: list[str]


def question_states(triage: Triage) -> list[QuestionState]:
    """Every open question: the scenarios that raised it in this run and what the run observed."""
    states = []
    for question in triage.evidence.questions:
        failed = [r for r in triage.records if r.category == NEEDS_VERIFICATION and r.question == question.id]
        seen = OrderedDict.fromkeys(o["text"] for r in triage.records for o in r.observations
                                    if o.get("topic") == question.id)
        states.append(QuestionState(question, failed, list(seen)))
    # the seed's five first, in its order; then the ones this run raised; then the rest
    return sorted(states, key=lambda s: (s.question.seed is None, s.question.seed or "", not s.failed))


# --- the document ------------------------------------------------------------------------------
def _first_lines(records: Sequence[ScenarioRecord], limit: int = 4) -> list[str]:
    out = []
    for record in records[:limit]:
        out.append(f"  - *{record.scenario.split(' -- @')[0]}* — at \"{record.failing_step or '?'}\": "
                   f"{record.error_line or '(no message)'}")
    if len(records) > limit:
        out.append(f"  - … and {len(records) - limit} more")
    return out


def _observation(text: str) -> str:
    """One observation as a list item; a multi-line one (a table) as a code block under it."""
    if "\n" not in text:
        return f"- {text}"
    return "-\n\n" + "\n".join("      " + line for line in text.splitlines()) + "\n"


def _bug_status_mark(state: BugState) -> str:
    if state.state == NOT_REPRODUCED:
        return "✅"
    if state.state == NOT_EXERCISED:
        return "⏭"
    return "🟡" if state.bug.status == "needs spec clarification" else "🔴"


def _bug_status_text(state: BugState) -> str:
    if state.state == NOT_REPRODUCED:
        return "✅ no longer reproduces"
    if state.state == NOT_EXERCISED and state.passed_in:
        return partly_exercised(len(state.passed_in), len(state.other))
    if state.state == NOT_EXERCISED:
        return "⏭ not exercised"
    return _bug_status_mark(state)


def summary_rows(triage: Triage, guards: Sequence[Guard], questions: Sequence[QuestionState]) -> list[SummaryRow]:
    """The seed's table: its twelve rows first (in its order), then every other item of this run."""
    rows = [SummaryRow(g.row, "Infrastructure", g.priority, g.status) for g in guards]
    rows += [SummaryRow(q.question.summary_row, "Needs Verification", "-", "❓") for q in questions
             if q.question.summary_row]
    bugs = sorted(triage.states, key=lambda s: (s.bug.summary_row is None, s.bug.seed or "", s.bug.id))
    for state in bugs:
        name = state.bug.summary_row or state.bug.title.split(" — ")[0]
        rows.append(SummaryRow(name, "System Bug", PRIORITY[state.bug.severity], _bug_status_text(state)))
    rows += [SummaryRow(q.question.title.split(" — ")[0], "Needs Verification", "-", "❓") for q in questions
             if not q.question.summary_row]
    for name, records in _grouped(triage.in_category(PRODUCT_NEW)).items():
        rows.append(SummaryRow(f"New: {name}", "System Bug", PRIORITY[records[0].severity], "🔴 new"))
    for name, records in _grouped(triage.in_category(TARGET_MISSED)).items():
        rows.append(SummaryRow(f"Target: {name}", "Target", "-", "🎯 missed"))
    for name, records in _grouped(triage.in_category(INFRASTRUCTURE), infra=True).items():
        rows.append(SummaryRow(f"This run: {name}", "Infrastructure", "Investigation", BROKEN))
    return rows


def _grouped(records: Sequence[ScenarioRecord], infra: bool = False) -> "OrderedDict[str, list[ScenarioRecord]]":
    groups: OrderedDict[str, list[ScenarioRecord]] = OrderedDict()
    for record in records:
        key = ((record.error_type or record.kind).rsplit(".", 1)[-1] if infra else base_name(record.scenario))
        groups.setdefault(key, []).append(record)
    return groups


def render_analysis(triage: Triage, facts: RunFacts | None, when: dt.datetime | None = None,
                    reports: Path | str | None = None) -> str:
    """The whole document."""
    when = when or dt.datetime.now(dt.timezone.utc)
    guards = infrastructure_guards(triage, facts)
    questions = question_states(triage)
    records = triage.records
    ran = [r for r in records if r.status != "skipped"]
    code = triage.exit_code
    env = facts.environment if facts else "?"
    lines = ["# Test Infrastructure Issues Analysis", "",
             f"> **Written by:** the acceptance suite, after its run of {when:%Y-%m-%d %H:%M} UTC  ",
             f"> **Environment:** `{env}`  ",
             f"> **Verdict:** {'FAIL' if code else 'PASS'} (exit code {code}) — {len(records)} scenarios, "
             f"{sum(r.status == 'passed' for r in records)} passed, {len(ran) - sum(r.status == 'passed' for r in ran)} "
             f"failed or broken, {len(records) - len(ran)} skipped  ", ""]
    capacity = capacity_summary(Path(reports), facts) if reports is not None else None
    if capacity:
        lines[-1:-1] = [f"> **Capacity:** {capacity.removeprefix('capacity: ')}  "]
    lines += [
             "## Overview", "",
             "This document sorts every failure of the run into:",
             "1. **Test Infrastructure Issues** — the suite could not reach or configure something; not system bugs",
             "2. **Issues Requiring Verification** — a rule that is derived or contested failed, or an open question "
             "needs an answer before a bug can be opened",
             "3. **Confirmed System Bugs** — known bugs of the registry that reproduced (or stopped reproducing), "
             "and new product bugs", "",
             "Categories are decided by the registry (`config/known_bugs.yaml`) and the evidence map "
             "(`config/evidence.yaml`), never by hand.", "", "---", "",
             "## 1. Test Infrastructure Issues (NOT System Bugs)", ""]
    for n, guard in enumerate(guards, 1):
        lines += [f"### 1.{n} {guard.row} — {guard.status}", "", "**Guarded in this run by:**", ""]
        lines += [f"- {c}" for c in guard.checks] + [""]
    infra = triage.in_category(INFRASTRUCTURE)
    n = len(guards)
    if infra:
        for name, group in _grouped(infra, infra=True).items():
            n += 1
            lines += [f"### 1.{n} This run: {name} ({len(group)} scenario(s)) — {BROKEN}", "",
                      "**Symptom:** what could not be reached or configured:", ""] + _first_lines(group) + [""]
    interrupted = triage.in_category(INTERRUPTED)
    if interrupted:
        lines += [f"### Interrupted — {len(interrupted)} scenario(s) were stopped by the user; the run is incomplete", ""]
    skipped = triage.skipped_reasons()
    if skipped:
        lines += [f"**Skipped in this run:** {sum(skipped.values())} scenario(s), each for a reason of the environment:", ""]
        lines += [f"- {count} × {reason}" for reason, count in skipped.most_common()] + [""]
    lines += ["---", "", "## 2. Issues Requiring Verification", "",
              "These need an answer before a bug is opened; a failure here never fails the run.", ""]
    for n, state in enumerate(questions, 1):
        q = state.question
        raised = f"raised by {len(state.failed)} scenario(s) in this run" if state.failed else "not raised in this run"
        lines += [f"### 2.{n} {q.title} — ❓", "", f"**Question:** {q.question}", "", f"**Ask:** {q.ask}", "",
                  f"**This run:** {raised}."]
        if state.observations:
            lines += ["", "**What this run saw:**", ""] + [_observation(o) for o in state.observations[:8]]
        if state.failed:
            lines += ["", "**Scenarios:**", ""] + _first_lines(state.failed)
        lines.append("")
    lines += ["---", "", "## 3. Confirmed System Bugs", ""]
    states = sorted(triage.states, key=lambda s: (s.bug.seed is None, s.bug.seed or "", s.bug.id))
    for n, state in enumerate(states, 1):
        bug = state.bug
        lines += [f"### 3.{n} {bug.title} ({bug.label}) — {_bug_status_mark(state)}", "",
                  f"**Severity:** {PRIORITY[bug.severity]}  ", f"**Status:** {bug.status} — {state.state} in this run  "]
        if bug.tracker:
            lines.append(f"**Tracker:** {bug.tracker}  ")
        reproduced = [r for r in records if r.bug == bug.id]
        if reproduced:
            lines += ["", "**Reproduced by:**", ""] + _first_lines(reproduced, 6)
        elif state.state == NOT_REPRODUCED:
            lines += ["", f"All {len(state.passed_in)} of its scenarios passed: verify the fix and close it."]
        lines.append("")
    missed = triage.in_category(TARGET_MISSED)
    if missed:
        lines += [f"### Documented targets missed — 🎯 ({len(missed)} scenario(s); reported, not failed)", ""]
        lines += _first_lines(missed) + [""]
    new = triage.in_category(PRODUCT_NEW)
    if new:
        lines += [f"### New product bugs found by this run — 🔴 ({len(new)} scenario(s))", ""]
        for name, group in _grouped(new).items():
            because = group[0].because or ""
            lines += [f"- **{name}** ({PRIORITY[group[0].severity]}; {because})"] + _first_lines(group, 2)
        lines.append("")
    lines += ["---", "", "## 4. Summary Table", "", "| Issue | Category | Priority | Status |",
              "|-------|----------|----------|--------|"]
    lines += [f"| {r.issue} | {r.category} | {r.priority} | {r.status} |" for r in summary_rows(triage, guards, questions)]
    lines += ["", "---", "", "## 5. Recommended Actions", "", "### 5.1 For Test Infrastructure Issues", ""]
    broken = [g for g in guards if g.status != OK]
    lines += [f"- **{g.row}**: {'investigate — ' + '; '.join(c for c in g.checks if not c.startswith('✓'))}"
              for g in broken] or ["- Nothing to fix: every guard of the seed's infrastructure rows passed in this run."]
    lines += [f"- Fix what made {len(group)} scenario(s) fail with {name}" for name, group in _grouped(infra, infra=True).items()]
    lines += ["", "### 5.2 For Verification Items", ""]
    raised = [s for s in questions if s.failed]
    lines += ([f"- Create an investigation ticket: **{s.question.title}** — ask {s.question.ask}" for s in raised]
              or ["- No open question was raised by a failing check in this run; the questions of section 2 stay open."])
    lines += ["", "### 5.3 For System Bugs", ""]
    keep = [s for s in states if s.state not in (NOT_REPRODUCED, NOT_EXERCISED)]
    close = [s for s in states if s.state == NOT_REPRODUCED]
    lines += [f"- **Keep open** {s.bug.label} ({s.bug.title.split(' — ')[0]}): reproduced by "
              f"{len(s.reproduced_in)} scenario(s)" for s in keep]
    lines += [f"- **Verify the fix and close** {s.bug.label} ({s.bug.title.split(' — ')[0]}): no longer reproduces"
              for s in close]
    lines += [f"- **Open a new bug**: {name} ({len(group)} scenario(s))" for name, group in _grouped(new).items()]
    if not (keep or close or new):
        lines.append("- Nothing to do for system bugs in this run.")
    lines.append("")
    return "\n".join(lines)


def write_analysis(triage: Triage, reports: Path | str) -> Path:
    """Write ``reports/analysis.md`` from the triage and the run facts beside it."""
    reports = Path(reports)
    path = reports / ANALYSIS_FILE
    path.write_text(render_analysis(triage, load_facts(reports), reports=reports), encoding="utf-8")
    return path
