"""Markdown for `make verify-suite`: the defect matrix, the spec runs, and the observed-profile triage."""
from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Iterable

from focus_sandbox.defects import DEFECTS
from focus_support.reporting.records import ScenarioRecord
from focus_support.reporting.triage import (INFRASTRUCTURE, NEEDS_VERIFICATION, PRODUCT_KNOWN, PRODUCT_NEW,
                                            build_rows, render_markdown)

from scripts.defect_matrix import CROSS_CHECK, Detection, feature_of
from scripts.suite_runs import RunOutcome

_MAX_NAMES = 3


def _cell(text: str, limit: int = 400) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _names(records: Iterable[ScenarioRecord]) -> str:
    names = list(OrderedDict.fromkeys(r.scenario for r in records))
    shown = "; ".join(names[:_MAX_NAMES])
    return shown + (f"; +{len(names) - _MAX_NAMES} more" if len(names) > _MAX_NAMES else "")


def _errors(records: Iterable[ScenarioRecord]) -> str:
    parts = OrderedDict.fromkeys(f"{(r.error_type or r.kind).rsplit('.', 1)[-1]} in “{r.scenario}”"
                                 + (f" ({r.hook})" if r.hook else "") for r in records)
    items = list(parts)
    return "; ".join(items[:_MAX_NAMES]) + (f"; +{len(items) - _MAX_NAMES} more" if len(items) > _MAX_NAMES else "")


def _other_failures(d: Detection) -> str:
    parts = []
    if d.run_error:
        parts.append(f"run error: {d.run_error}")
    if d.errors:
        parts.append(f"⚠ errors (not findings): {_errors(d.errors)}")
    if d.collateral:
        parts.append(f"unrelated features: {_names(d.collateral)}")
    if d.also_on_spec:
        parts.append(f"fails on spec too: {_names(d.also_on_spec)}")
    return _cell(" · ".join(parts)) or "—"


_MARK = {"yes": "✅ yes", "suspicious": "⚠ suspicious", "no": "❌ no"}


def matrix_markdown(detections: list[Detection], outcomes: dict[str, RunOutcome], spec_runs: list[RunOutcome],
                    observed_checks: list["Check"] | None, wall_s: float, jobs: int, command: str,
                    selection: str) -> str:
    """reports/defect-matrix.md: one row per switch, the totals, the spec runs and the observed checks."""
    detected = [d for d in detections if d.detected]
    suspicious = [d.switch for d in detections if d.verdict == "suspicious"]
    missed = [d.switch for d in detections if d.verdict == "no"]
    with_errors = [d.switch for d in detections if d.errors or d.run_error]
    lines = ["# Defect matrix", "",
             f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `{command}` "
             f"({selection}); wall time {wall_s:.0f} s with up to {jobs} runs in parallel.", "",
             f"**Detected: {len(detected)}/{len(detections)} switches** · suspicious: "
             f"{', '.join(suspicious) or 'none'} · not detected: {', '.join(missed) or 'none'} · "
             f"switch runs with errors: {', '.join(with_errors) or 'none'}", "",
             "Rule: each switch starts its own sandbox (spec profile + that switch) and runs the features "
             "expected to catch any switch of its area plus a cross-check of cheap features from other "
             f"areas ({', '.join(f'`{p}`' for p in CROSS_CHECK)}). *Detected* = at least one **assertion "
             "failure** (a product finding) in a feature expected to catch that switch; errors, hook and "
             "infrastructure failures never count; assertion failures only in other features are "
             "*suspicious*. See docs/DEFECT_MATRIX.md.", "",
             "| Switch | Area | Observed | Detected | Caught by (assertion failures) | Other failures "
             "| Scenarios run | Time |",
             "|---|---|---|---|---|---|---|---|"]
    for d in detections:
        outcome = outcomes.get(d.switch)
        ran = sum(1 for r in outcome.records if r.status != "skipped") if outcome else 0
        took = f"{outcome.wall_s:.0f} s" if outcome else "—"
        lines.append(f"| `{d.switch}` | {DEFECTS[d.switch].area} | {'yes' if DEFECTS[d.switch].observed else ''} "
                     f"| {_MARK[d.verdict]} | {_cell(_names(d.caught_by)) or '—'} | {_other_failures(d)} "
                     f"| {ran} | {took} |")
    if spec_runs:
        lines += ["", "## Zero false alarms: full runs against the spec profile", "",
                  "| Run | Scenarios | Passed | Failed | Broken | Skipped | Green | Time | Failures |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for i, run in enumerate(spec_runs, 1):
            c = run.counts()
            failures = _cell(run.stack_error or _names(run.failures) or "—")
            lines.append(f"| {i} | {len(run.records)} | {c['passed']} | {c['failed']} | {c['broken']} | "
                         f"{c['skipped']} | {'✅ yes' if run.green else '❌ no'} | {run.wall_s:.0f} s | {failures} |")
        green = sum(1 for r in spec_runs if r.green)
        lines += ["", f"**{green}/{len(spec_runs)} spec runs green.**"]
    if observed_checks is not None:
        required = [c for c in observed_checks if c.required]
        passed = sum(1 for c in required if c.ok)
        lines += ["", "## Observed profile", "",
                  f"Full run against `observed`: {passed}/{len(required)} required expectations met "
                  "(table in `reports/observed-triage.md`).", ""]
        lines += [c.line() for c in observed_checks]
    return "\n".join(lines) + "\n"


@dataclass
class Check:
    """One expectation on the observed run's triage."""

    name: str
    ok: bool
    detail: str
    required: bool = True  # advisory checks are shown but do not fail the verification

    def line(self) -> str:
        """A checklist line."""
        mark = "✅" if self.ok else ("❌" if self.required else "⚠")
        return f"- {mark} {self.name}{'' if self.required else ' (advisory)'} — {self.detail}"


def observed_checks(records: list[ScenarioRecord]) -> list[Check]:
    """What the issue requires of the observed triage: #26 and #29 known, lax validation a product bug,
    open questions as needs verification, no infrastructure failure."""
    rows = build_rows(records)
    checks = []
    for issue in ("#26", "#29"):
        hit = [r for r in rows if r.issue == issue and r.failed]
        cats = sorted({r.category for r in hit})
        checks.append(Check(f"Issue {issue} is a known product bug", cats == [PRODUCT_KNOWN],
                            f"failing rows: {', '.join(f'{r.category} {len(r.failed)}/{r.total}' for r in hit) or 'none'}"))
    failed = [r for r in records if r.category is not None]
    # lax validation = the configuration scenarios that expect a request to be rejected
    lax = [r for r in failed if feature_of(r).startswith("features/configuration/") and "rejected" in r.scenario]
    lax_ok = bool(lax) and all(r.category in (PRODUCT_KNOWN, PRODUCT_NEW) for r in lax)
    checks.append(Check("Lax configure validation is reported as product bugs", lax_ok,
                        f"{len(lax)} configuration rejection scenario(s) failed: "
                        + ", ".join(f"{n} {c}" for c, n in _count(r.category for r in lax).items())))
    open_q = [r for r in failed if r.category == NEEDS_VERIFICATION]
    checks.append(Check("Open questions are reported as needs verification", bool(open_q),
                        f"{len(open_q)} scenario(s): {_names(open_q) or 'none'}"))
    infra = [r for r in failed if r.category == INFRASTRUCTURE]
    checks.append(Check("No test-infrastructure failures", not infra,
                        _errors(infra) if infra else "none"))
    new = [r for r in failed if r.category == PRODUCT_NEW]
    checks.append(Check("Nothing the observed profile replays shows up as a new bug", not new,
                        _names(new) if new else "none", required=False))
    return checks


def _count(values: Iterable[str | None]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[str(v)] = out.get(str(v), 0) + 1
    return out


def observed_markdown(outcome: RunOutcome, checks: list[Check]) -> str:
    """reports/observed-triage.md: the triage table of the observed run and whether it meets the issue."""
    defects = ", ".join(outcome.run.defects) or "none"
    title = f"Triage of a full run against the observed profile (extra switches: {defects})"
    body = render_markdown(outcome.records, title=title)
    if outcome.stack_error:
        body += f"\nThe stack did not start: {outcome.stack_error}\n"
    lines = ["", "## Expected of the observed profile", ""] + [c.line() for c in checks]
    lines += ["", f"Run took {outcome.wall_s:.0f} s.", ""]
    return body + "\n".join(lines)
