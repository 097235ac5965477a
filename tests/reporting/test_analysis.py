"""reports/analysis.md writes the seed's summary table (section 4) with its twelve rows, in its order
and categories, the statuses drawn from the run (real registry and evidence map)."""
from __future__ import annotations

from focus_support.reporting.analysis import infrastructure_guards, question_states, render_analysis, summary_rows
from focus_support.reporting.records import ScenarioRecord
from focus_support.reporting.run_facts import RunFacts
from focus_support.reporting.triage import Triage
from focus_support.verdict.findings import Finding

SEED_ROWS = [
    ("K8s Manager SSH Fallback", "Infrastructure"), ("Pydantic Validation", "Infrastructure"),
    ("Config Loading", "Infrastructure"), ("Rate Limiting", "Infrastructure"),
    ("RabbitMQ Connection", "Infrastructure"), ("MongoDB Schema", "Needs Verification"),
    ("Missing Indexes", "Needs Verification"), ("Metadata dy Field", "Needs Verification"),
    ("Calculation Discrepancies", "Needs Verification"), ("ROI Data Size", "Needs Verification"),
    ("Job Cleanup", "System Bug"), ("Alert Validation", "System Bug"),
]
ALL_OK = [{"dependency": d, "route": "r", "status": "ok", "detail": "fine"}
          for d in ("focus_server", "fibre", "web_app", "cluster", "ssh", "mongodb", "rabbitmq")]
CHECKS = [{"row": r, "name": f"{r} check", "passed": True, "detail": "ok"}
          for r in ("Config Loading", "Pydantic Validation", "Rate Limiting")]
FACTS = RunFacts(environment="local", preflight=ALL_OK, self_checks=CHECKS, finished=True,
                 throttling={"throttled": 3, "waited_as_told": 3}, broker={"connects": 4, "reconnects": 2})
GONE = "every resource of the job is gone within the cleanup timeout"


def rec(name, status="failed", kind="assertion", **kw) -> ScenarioRecord:
    return ScenarioRecord(**{"feature": "F", "scenario": name, "location": "features/x.feature:1", "status": status,
                             "kind": kind, **kw})


def observed_run() -> list[ScenarioRecord]:
    return [
        rec("A job whose streaming pod crashes is cleaned up", step_text=GONE, rules=["job.crash-cleanup"],
            finding=Finding("job.resources", "gone", ("janitor-pod", "queue", "service")).to_dict(), error_line="queue left"),
        rec("An alert of unknown class 0 is rejected and not reported", rules=["alerts.validation"],
            step_text='the alert is rejected, naming "classId"',
            finding=Finding("http.status", "400", ("accepted",)).to_dict()),
        rec("The frequency resolution of a multichannel view is the live pulse rate divided by an NFFT selection of "
            "1024", rules=["frequency.textbook-spacing"], error_line="7.797 Hz apart",
            observations=[{"topic": "frequency-axis", "text": "64 bins spaced 7.797 Hz = 4 x prr/nfft"}]),
        rec("Focus Server and the Web App serve again after a broker restart", status="passed", kind="passed",
            feature="Surviving a RabbitMQ connection reset or restart"),
    ]


def spec_run() -> list[ScenarioRecord]:
    names = ["A job whose streaming pod crashes is cleaned up", "A job nobody watches is removed after the idle timeout",
             "A burst of jobs that are all cancelled leaves nothing behind",
             "Cancelling a job removes every resource it owns", "An alert of unknown class 0 is rejected and not reported",
             "An alert of severity 0 is rejected and not reported",
             "An alert at 1 m before the start of fibre is rejected and not reported",
             'An alert without its "classId" is rejected and not reported']
    return [rec(n, status="passed", kind="passed") for n in names]


def _rows(records, facts=FACTS):
    triage = Triage.of(records)
    return summary_rows(triage, infrastructure_guards(triage, facts), question_states(triage))


def test_the_first_twelve_rows_are_the_seeds_in_its_order_and_categories():
    rows = _rows(observed_run())
    assert [(r.issue, r.category) for r in rows[:12]] == SEED_ROWS


def test_an_observed_run_marks_infrastructure_fixed_questions_open_and_the_two_bugs_as_the_seed_does():
    rows = {r.issue: r for r in _rows(observed_run())}
    assert all(rows[name].status == "✅" and rows[name].priority == "Fixed" for name, _ in SEED_ROWS[:5])
    assert all(rows[name].status == "❓" for name, _ in SEED_ROWS[5:10])
    assert (rows["Job Cleanup"].priority, rows["Job Cleanup"].status) == ("HIGH", "🔴")
    assert (rows["Alert Validation"].priority, rows["Alert Validation"].status) == ("MEDIUM", "🟡")


def test_a_spec_run_shows_both_system_bugs_as_no_longer_reproducing():
    rows = {r.issue: r for r in _rows(spec_run())}
    assert rows["Job Cleanup"].status == rows["Alert Validation"].status == "✅ no longer reproduces"


def test_an_infrastructure_row_follows_its_guards():
    broken = RunFacts(**{**FACTS.__dict__, "preflight": [r if r["dependency"] != "ssh" else
                                                         {**r, "status": "unavailable"} for r in ALL_OK]})
    rows = {r.issue: r for r in _rows(observed_run(), broken)}
    assert (rows["K8s Manager SSH Fallback"].status, rows["K8s Manager SSH Fallback"].priority) == ("❌", "Investigation")
    assert {r.issue: r.status for r in _rows(observed_run(), None)}["Config Loading"] == "🔄"


def test_other_bugs_and_questions_follow_under_their_own_names():
    names = [r.issue for r in _rows(observed_run())[12:]]
    assert "DELETE /job/{job_id} does not exist" in names and "Lax /configure validation" in names
    assert any(n.startswith("Wire types") for n in names) and any(n.startswith('Configure status ""') for n in names)


def test_the_document_follows_the_seeds_sections_and_shows_what_the_run_saw():
    text = render_analysis(Triage.of(observed_run()), FACTS)
    order = ["## 1. Test Infrastructure Issues (NOT System Bugs)", "## 2. Issues Requiring Verification",
             "## 3. Confirmed System Bugs", "## 4. Summary Table", "## 5. Recommended Actions"]
    assert [text.index(h) for h in order] == sorted(text.index(h) for h in order)
    assert "| Issue | Category | Priority | Status |" in text
    assert "- 64 bins spaced 7.797 Hz = 4 x prr/nfft" in text
    assert "**Keep open** #26" in text and "Create an investigation ticket: **Calculation discrepancies" in text
