"""Triage classes, the triage table and the exit-code decision."""
from __future__ import annotations

import io

import pytest

from focus_support.reporting.records import ScenarioRecord
from focus_support.reporting.run_report import finish_run
from focus_support.reporting.triage import (INFRASTRUCTURE, NEEDS_VERIFICATION, PRODUCT_KNOWN, PRODUCT_NEW,
                                            build_rows, classify, decide_exit_code, render_markdown)
from reporting_tiny_suite import make_project, run_behave


def record(name="s", status="failed", kind="assertion", **kw) -> ScenarioRecord:
    return ScenarioRecord(feature="F", scenario=name, location="f:1", status=status, kind=kind, **kw)


@pytest.mark.parametrize("rec, expected", [
    (record(status="passed", kind="passed"), None),
    (record(status="skipped", kind="skipped"), None),
    (record(), PRODUCT_NEW),
    (record(known_bug=True), PRODUCT_KNOWN),
    (record(own_issues=["26"], issues=["26"]), PRODUCT_KNOWN),
    (record(issues=["29"]), PRODUCT_NEW),  # an issue tag inherited from the feature only links
    (record(needs_verification=True, own_issues=["seed-2.1"]), NEEDS_VERIFICATION),
    (record(needs_verification=True, known_bug=True), PRODUCT_KNOWN),
    (record(status="broken", kind="infrastructure", known_bug=True), INFRASTRUCTURE),
    (record(status="broken", kind="error", needs_verification=True), INFRASTRUCTURE),
    (record(status="broken", kind="pending"), INFRASTRUCTURE),
    (record(status="broken", kind="undefined"), INFRASTRUCTURE),
])
def test_classify(rec, expected):
    assert classify(rec) == expected


@pytest.mark.parametrize("records, strict, code", [
    ([], False, 0),
    ([record(status="passed", kind="passed")], True, 0),
    ([record(known_bug=True)], False, 0),
    ([record(known_bug=True)], True, 1),
    ([record(needs_verification=True)], False, 0),
    ([record(needs_verification=True)], True, 1),
    ([record()], False, 1),
    ([record(status="broken", kind="infrastructure")], False, 1),
])
def test_decide_exit_code(records, strict, code):
    assert decide_exit_code(records, strict) == code


def test_rows_group_an_issue_and_count_its_scenarios():
    records = [record("alert class 0", known_bug=True, own_issues=["29"], issues=["29"], severity="critical",
                      error_line="AssertionError: expected 400, got 201"),
               record("alert class 105", known_bug=True, own_issues=["29"], issues=["29"], severity="critical"),
               record("alert severity 4", status="passed", kind="passed", issues=["29"], own_issues=["29"])]
    [row] = build_rows(records)
    assert (row.issue, row.category, row.priority, len(row.failed), row.total) == ("#29", PRODUCT_KNOWN, "HIGH", 2, 3)


def test_known_issue_that_did_not_reproduce_is_listed_as_passing():
    rows = build_rows([record("cancel removes job", status="passed", kind="passed", known_bug=True,
                              own_issues=["26"], issues=["26"], severity="critical")])
    assert [(r.issue, r.status) for r in rows] == [("#26", "✅ passed 1/1")]


def test_markdown_has_the_seed_table_and_one_line_per_category():
    records = [record("new one", error_line="AssertionError: expected 422, got 200", severity="critical"),
               record("infra", status="broken", kind="infrastructure", error_type="focus_support.errors.UnreachableError",
                      error_line="UnreachableError: refused | port 9"),
               record("known", known_bug=True, own_issues=["26"], issues=["26"]),
               record("open", needs_verification=True)]
    text = render_markdown(records)
    assert "| Issue | Category | Priority | Status | Scenarios | First error line |" in text
    assert "| new one | product bug — new | HIGH | 🔴 failing 1/1 | new one | AssertionError: expected 422, got 200 |" in text
    assert "| UnreachableError | test infrastructure | MEDIUM |" in text
    assert "refused \\| port 9" in text  # pipes in errors do not break the table
    for category, count in ((PRODUCT_NEW, 1), (INFRASTRUCTURE, 1), (PRODUCT_KNOWN, 1), (NEEDS_VERIFICATION, 1)):
        assert f"**{category}**: {count} scenario(s)" in text
    assert "Verdict: FAIL (exit code 1)" in text


OBSERVED = """\
@issue:29
Feature: Alerts
  @critical @known_bug
  Scenario: unknown class is rejected
    Given the product answers 201 instead of 400

  @needs_verification @issue:seed-2.3
  Scenario: dy is reported
    Given the product answers 0 instead of 1

  @minor
  Scenario: valid alert accepted
    Given it works
"""


def test_known_bugs_and_open_questions_do_not_fail_the_run_unless_strict(tmp_path):
    run = run_behave(make_project(tmp_path, {"alerts/a.feature": OBSERVED}))
    assert run.returncode != 0, "behave itself fails the run; the verdict must not rely on that"
    out = io.StringIO()
    assert finish_run(run.returncode, strict=False, generate_html=False, reports=run.reports, out=out) == 0
    triage = (run.reports / "triage.md").read_text()
    assert triage in out.getvalue()
    assert "| #29 | product bug — known | HIGH | 🟠 failing 1/2 | unknown class is rejected |" in triage
    assert "| seed-2.3 | needs verification | MEDIUM | ❓ failing 1/1 | dy is reported |" in triage
    assert finish_run(run.returncode, strict=True, generate_html=False, reports=run.reports, out=io.StringIO()) == 1


def test_new_bug_and_infrastructure_fail_the_run(tmp_path):
    run = run_behave(make_project(tmp_path, {"x.feature": """\
        Feature: X
          Scenario: regression
            Given the product answers 3 instead of 4
        """}))
    assert finish_run(run.returncode, generate_html=False, reports=run.reports, out=io.StringIO()) == 1
    assert "product bug — new" in (run.reports / "triage.md").read_text()


def test_behave_failure_outside_scenarios_is_infrastructure(tmp_path):
    hooks = "def before_all(context):\n    raise RuntimeError('config file missing')\n"
    run = run_behave(make_project(tmp_path, {"x.feature": "Feature: X\n  Scenario: s\n    Given it works\n"},
                                  hooks=hooks))
    assert run.returncode != 0
    assert finish_run(run.returncode, generate_html=False, reports=run.reports, out=io.StringIO()) == 1
    assert "behave exited" in (run.reports / "triage.md").read_text()


def test_missing_run_record_is_infrastructure(tmp_path):
    out = io.StringIO()
    assert finish_run(0, generate_html=False, reports=tmp_path, out=out) == 1
    assert "no run-results.json" in out.getvalue()
