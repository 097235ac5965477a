"""The verdict of whole (tiny) behave runs: triage.md, analysis.md and the exit code.

Each tiny project has its own registry and evidence map (FOCUS_KNOWN_BUGS_FILE, FOCUS_EVIDENCE_FILE),
so the runs show the rules, not the real suite's bugs.
"""
from __future__ import annotations

import io
import textwrap

import pytest

from focus_support.reporting.run_report import finish_run
from reporting_tiny_suite import make_project, run_behave

KNOWN_BUGS = """\
bugs:
  - id: "26"
    title: Job cleanup failure
    severity: critical
    status: open
    summary_row: Job Cleanup
    scenarios: [cancelled job is cleaned up]
    signatures:
      - {step: "the product leaves * behind", subject: job.resources, seen: [queue, janitor-pod]}
"""
EVIDENCE = """\
questions:
  - {id: dy, title: Metadata dy field, question: "Is dy a field?", ask: Algorithms team, seed: "2.3",
     summary_row: Metadata dy Field}
rules:
  job.cleanup: {says: everything goes, contract: "4", evidence: documented}
  metadata.no-dy: {says: no dy, contract: "8", evidence: derived, question: dy}
"""
OBSERVED = """\
Feature: Jobs
  @critical @rule:job.cleanup
  Scenario: cancelled job is cleaned up
    Given the product leaves queue behind

  @rule:metadata.no-dy
  Scenario: dy is absent
    Given the product answers 0 instead of 1

  @minor @rule:job.cleanup
  Scenario: valid job is cleaned up
    Given it works
"""


@pytest.fixture
def registry(tmp_path, monkeypatch):
    """Point the verdict (here and in the behave child) at the tiny registry and evidence map."""
    bugs, evidence = tmp_path / "known_bugs.yaml", tmp_path / "evidence.yaml"
    bugs.write_text(KNOWN_BUGS)
    evidence.write_text(EVIDENCE)
    env = {"FOCUS_KNOWN_BUGS_FILE": str(bugs), "FOCUS_EVIDENCE_FILE": str(evidence)}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def _run(tmp_path, registry, feature: str, **kw):
    return run_behave(make_project(tmp_path / "project", {"jobs.feature": feature}, **kw), env=registry)


def test_known_bugs_and_open_questions_do_not_fail_the_run_unless_strict(tmp_path, registry):
    run = _run(tmp_path, registry, OBSERVED)
    assert run.returncode != 0, "behave itself fails the run; the verdict must not rely on that"
    out = io.StringIO()
    assert finish_run(run.returncode, generate_html=False, reports=run.reports, out=out) == 0
    triage = (run.reports / "triage.md").read_text()
    assert triage in out.getvalue()
    assert "| #26 Job cleanup failure | product bug — known | HIGH | 🟠 failing 1/1 |" in triage
    assert "| Metadata dy field | needs verification |" in triage
    assert finish_run(run.returncode, strict=True, generate_html=False, reports=run.reports, out=io.StringIO()) == 1


def test_the_run_writes_the_analysis_with_the_seed_summary_columns(tmp_path, registry):
    run = _run(tmp_path, registry, OBSERVED)
    finish_run(run.returncode, generate_html=False, reports=run.reports, out=io.StringIO())
    analysis = (run.reports / "analysis.md").read_text()
    assert "| Issue | Category | Priority | Status |" in analysis
    assert "| Job Cleanup | System Bug | HIGH | 🔴 |" in analysis
    assert "| Metadata dy Field | Needs Verification | - | ❓ |" in analysis
    sections = ["## 1. Test Infrastructure Issues", "## 2. Issues Requiring Verification",
                "## 3. Confirmed System Bugs", "## 4. Summary Table", "## 5. Recommended Actions"]
    assert [analysis.index(s) for s in sections] == sorted(analysis.index(s) for s in sections)


def test_a_known_bug_scenario_failing_another_way_is_a_new_bug(tmp_path, registry):
    run = _run(tmp_path, registry, OBSERVED.replace("leaves queue behind", "leaves stream-job behind"))
    assert finish_run(run.returncode, generate_html=False, reports=run.reports, out=io.StringIO()) == 1
    triage = (run.reports / "triage.md").read_text()
    assert "| cancelled job is cleaned up | product bug — new |" in triage
    assert "#26 Job cleanup failure | product bug — known | HIGH | ⏭ not exercised" in triage


def test_a_known_bug_that_no_longer_reproduces_is_listed_and_fails_only_strict_runs(tmp_path, registry):
    run = _run(tmp_path, registry, OBSERVED.replace("the product leaves queue behind", "it works")
               .replace("the product answers 0 instead of 1", "it works"))
    assert finish_run(run.returncode, generate_html=False, reports=run.reports, out=io.StringIO()) == 0
    assert "✅ no longer reproduces (1 passed) — verify the fix and close it" in (run.reports / "triage.md").read_text()
    assert "**Verify the fix and close** #26" in (run.reports / "analysis.md").read_text()
    assert finish_run(run.returncode, strict=True, generate_html=False, reports=run.reports, out=io.StringIO()) == 1


def test_new_bug_and_infrastructure_fail_the_run(tmp_path, registry):
    run = _run(tmp_path, registry, """\
        Feature: X
          @rule:job.cleanup
          Scenario: regression
            Given the product answers 3 instead of 4

          @rule:job.cleanup
          Scenario: no server
            Given the server cannot be reached
        """)
    assert finish_run(run.returncode, generate_html=False, reports=run.reports, out=io.StringIO()) == 1
    triage = (run.reports / "triage.md").read_text()
    assert "| regression | product bug — new |" in triage
    assert "UnreachableError" in triage and "test infrastructure" in triage


def test_an_interrupted_run_is_reported_as_interrupted_not_as_infrastructure(tmp_path, registry):
    run = _run(tmp_path, registry, """\
        Feature: X
          @rule:job.cleanup
          Scenario: stopped half way
            Given the user presses Ctrl-C
        """)
    assert finish_run(run.returncode, generate_html=False, reports=run.reports, out=io.StringIO()) == 1
    triage = (run.reports / "triage.md").read_text()
    assert "**interrupted**: 1 scenario(s)" in triage
    assert "**test infrastructure**: 0 scenario(s)" in triage


def test_behave_failure_outside_scenarios_is_infrastructure(tmp_path, registry):
    hooks = "def before_all(context):\n    raise RuntimeError('config file missing')\n"
    run = run_behave(make_project(tmp_path, {"x.feature": "Feature: X\n  Scenario: s\n    Given it works\n"},
                                  hooks=hooks), env=registry)
    assert run.returncode != 0
    assert finish_run(run.returncode, generate_html=False, reports=run.reports, out=io.StringIO()) == 1
    assert "behave exited" in (run.reports / "triage.md").read_text()


def test_missing_run_record_is_infrastructure(tmp_path, registry):
    out = io.StringIO()
    assert finish_run(0, generate_html=False, reports=tmp_path, out=out) == 1
    assert "no run-results.json" in out.getvalue()
