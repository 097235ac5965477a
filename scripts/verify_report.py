"""Markdown for `make verify-suite`: the defect matrix, the spec runs, and the observed-profile triage."""
from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Iterable

from focus_sandbox.defects import DEFECTS
from focus_support.reporting.records import ScenarioRecord
from focus_support.reporting.triage import Triage, render_markdown
from focus_support.verdict.classify import INFRASTRUCTURE, NEEDS_VERIFICATION, NOT_EXERCISED, PRODUCT_NEW

from scripts.defect_matrix import CROSS_CHECK, Detection
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
    if d.otherwise:
        parts.append(f"other verdicts: {'; '.join(f'{r.category} in “{r.scenario}”' for r in d.otherwise[:_MAX_NAMES])}")
    if d.collateral:
        parts.append(f"unrelated features: {_names(d.collateral)}")
    if d.also_on_spec:
        parts.append(f"fails on spec too: {_names(d.also_on_spec)}")
    return _cell(" · ".join(parts)) or "—"


_MARK = {"yes": "✅ yes", "suspicious": "⚠ suspicious", "no": "❌ no", "corpus": "✅ golden corpus"}


def _caught(d: Detection) -> str:
    """Verdict category, scenario and first assertion line of the first catching scenario."""
    if d.verdict == "corpus":
        return "changes nothing a scenario asserts; tests/sandbox/test_fidelity.py compares it"
    if not d.caught_by:
        return "—"
    first = d.caught_by[0]
    more = f" (+{len(d.caught_by) - 1} more)" if len(d.caught_by) > 1 else ""
    return _cell(f"{first.category}{' ' + first.bug if first.bug else ''}"
                 f"{' ' + first.question if first.question else ''} — “{first.scenario}”{more}: "
                 f"{first.error_line or ''}")


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
             f"areas ({', '.join(f'`{p}`' for p in CROSS_CHECK)}). *Detected* = the run's **verdict** shows "
             "what the switch must produce: a switch never seen on staging makes the run **FAIL with a "
             "product bug — new** in an expected feature; an observed switch appears as **its own known bug "
             "or open question** (and nothing new). Infrastructure failures never count; findings only in "
             "other features or of another verdict are *suspicious*; scenarios failing on the spec baseline "
             "of the same verification are not counted. See docs/DEFECT_MATRIX.md.", "",
             "| Switch | Area | Must show | Run verdict | Detected | Verdict, scenario, first assertion line "
             "| Other failures | Scenarios run | Time |",
             "|---|---|---|---|---|---|---|---|---|"]
    for d in detections:
        outcome = outcomes.get(d.switch)
        ran = sum(1 for r in outcome.records if r.status != "skipped") if outcome else 0
        took = f"{outcome.wall_s:.0f} s" if outcome else "—"
        must = d.expectation if d.expectation != "new" else "product bug — new"
        lines.append(f"| `{d.switch}` | {DEFECTS[d.switch].area} | {must} | {d.run_verdict or '—'} "
                     f"| {_MARK[d.verdict]} | {_caught(d)} | {_other_failures(d)} | {ran} | {took} |")
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
    """What a run against the observed profile must show: every bug and open question the profile
    replays in its own name, nothing new, no infrastructure failure, and a passing verdict."""
    from focus_sandbox.defects import DEFECTS as SWITCHES, expectation

    triage = Triage.of(records)
    replayed = sorted({expectation(n) for n, d in SWITCHES.items() if d.observed} - {"new", "fidelity"})
    checks = []
    for wanted in replayed:
        kind, _, ident = wanted.partition(":")
        if kind == "bug":
            state = next(s for s in triage.states if s.bug.id == ident)
            hits = state.reproduced_in
            checks.append(Check(f"Known bug {state.bug.label} appears as itself", bool(hits),
                                f"{state.state}: {len(hits)} scenario(s) — {_names_text(hits) or 'none'}"))
        else:
            hits = [r.scenario for r in triage.in_category(NEEDS_VERIFICATION) if r.question == ident]
            checks.append(Check(f"Open question '{ident}' is raised", bool(hits),
                                f"{len(hits)} scenario(s) — {_names_text(hits) or 'none'}"))
    new = triage.in_category(PRODUCT_NEW)
    checks.append(Check("No new product bug", not new, _names(new) if new else "none"))
    infra = triage.in_category(INFRASTRUCTURE)
    checks.append(Check("No test-infrastructure failure", not infra, _errors(infra) if infra else "none"))
    checks.append(Check("The verdict passes", triage.exit_code == 0, f"exit code {triage.exit_code}"))
    unexercised = [s.bug.label for s in triage.states if s.state == NOT_EXERCISED]
    checks.append(Check("Every known bug was judged", not unexercised,
                        ", ".join(unexercised) or "all", required=False))
    return checks


def _names_text(names: list[str]) -> str:
    unique = list(OrderedDict.fromkeys(n.split(" -- @")[0] for n in names))
    return "; ".join(unique[:_MAX_NAMES]) + (f"; +{len(unique) - _MAX_NAMES} more" if len(unique) > _MAX_NAMES else "")


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
