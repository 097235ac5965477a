"""After behave: triage, HTML report, the verdict. ``finish_run`` is what the run script calls."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Iterable

from focus_support.errors import InfrastructureError
from focus_support.reporting.allure_cli import REPO, generate_report, open_instructions
from focus_support.reporting.records import RECORD_FILE, ScenarioRecord, load_records
from focus_support.reporting.redaction import known_secrets
from focus_support.reporting.secrets_scan import find_secrets
from focus_support.reporting.run_facts import capacity_summary, load_facts
from focus_support.reporting.triage import Triage, render_markdown

REPORTS = REPO / "reports"


def _run_level_failure(message: str) -> ScenarioRecord:
    """A record for a failure outside any scenario (before_all, parse error, missing record)."""
    return ScenarioRecord(feature="(run)", scenario="behave run", location="", status="broken",
                          kind="infrastructure", infrastructure=True, error_type="RunError",
                          error_line=message)


def _interrupted_run() -> ScenarioRecord:
    return ScenarioRecord(feature="(run)", scenario="behave run", location="", status="skipped",
                          kind="interrupted", error_line="the run was interrupted by the user before it finished")


def collect_records(reports: Path, behave_exit_code: int, interrupted: bool = False) -> list[ScenarioRecord]:
    """The run's records plus a run-level failure when behave failed where no scenario shows it
    (an interruption by the user is recorded as such, never as infrastructure)."""
    record_file = reports / RECORD_FILE
    if not record_file.exists():
        return [_run_level_failure(f"no {RECORD_FILE}: the FocusAllureFormatter was not active "
                                   f"(behave.ini format) or behave did not start (exit {behave_exit_code})")]
    records = load_records(record_file)
    if any(r.kind == "interrupted" for r in records):
        return records
    if interrupted:
        return records + [_interrupted_run()]
    failed = any(r.status in ("failed", "broken") for r in records)
    if behave_exit_code != 0 and not failed:
        records.append(_run_level_failure(
            f"behave exited {behave_exit_code} without a failing scenario: see its output "
            "(a before_all/after_all hook error, a feature parse error, or an interrupted run)"))
    return records


def _environment_line(results: Path) -> str:
    props = results / "environment.properties"
    if not props.exists():
        return ""
    pairs = dict(line.split("=", 1) for line in props.read_text(encoding="utf-8").splitlines() if "=" in line)
    shown = [f"{k.replace(chr(92), '')}: {pairs[k]}" for k in ("Environment", "Sandbox.Profile", "Sandbox.Defects")
             if k in pairs]
    return " · ".join(shown)


def finish_run(behave_exit_code: int, strict: bool = False, generate_html: bool = True,
               wall_time_s: float | None = None, reports: Path | str = REPORTS,
               secrets: Iterable[str] = (), out=None, interrupted: bool = False,
               before_scan: Callable[[], None] | None = None) -> int:
    """Write and print reports/triage.md, build the HTML report, print how to open it; return the exit code.

    ``before_scan`` runs before reports/ is scanned for secrets: whatever still writes there (a
    stopping sandbox copies its logs in) must have finished, or the scan misses it."""
    out = out or sys.stdout
    reports = Path(reports)
    results, report = reports / "allure-results", reports / "allure-report"
    triage = Triage.of(collect_records(reports, behave_exit_code, interrupted), strict=strict)
    header = _environment_line(results)
    title = "Triage of the last run" + (f" ({header})" if header else "")
    text = render_markdown(triage, strict=strict, title=title)
    capacity = capacity_summary(reports, load_facts(reports))
    if capacity:
        text = text.replace("\n## By category", f"\nCapacity: {capacity.removeprefix('capacity: ')}\n\n## By category", 1)
    (reports / "triage.md").write_text(text, encoding="utf-8")
    from focus_support.reporting.analysis import write_analysis

    write_analysis(triage, reports)
    code = triage.exit_code
    print(text, file=out)
    if generate_html:
        try:
            generate_report(results, report, reports / "history")
            print(f"HTML report: {report}\n{open_instructions(report)}", file=out)
        except InfrastructureError as exc:
            print(f"[report] the HTML report was not generated: {exc}", file=out)
            code = 1
    if before_scan is not None:
        before_scan()
    leaks = find_secrets(reports, known_secrets(secrets))
    if leaks:
        print("[report] SECRET VALUES FOUND UNDER reports/ (values not shown): " + ", ".join(leaks), file=out)
        code = 1
    if wall_time_s is not None:
        print(f"[report] run took {wall_time_s:.0f} s; triage in {reports / 'triage.md'}", file=out)
    return code
