"""The verdict rules: known bugs by signature, open questions by evidence, everything else new.

Built on a small registry and evidence map of their own, so each rule is shown on its own.
"""
from __future__ import annotations

import pytest

from focus_support.reporting.records import ScenarioRecord
from focus_support.reporting.triage import Triage, render_markdown
from focus_support.verdict.classify import (
    INFRASTRUCTURE, INTERRUPTED, NEEDS_VERIFICATION, NOT_EXERCISED, NOT_REPRODUCED, PRODUCT_KNOWN, PRODUCT_NEW,
    REPRODUCED, TARGET_MISSED, bug_states, exit_code, judge,
)
from focus_support.verdict.findings import Finding
from focus_support.verdict.registry import EvidenceMap, Registry

REGISTRY = Registry.model_validate({"bugs": [
    {"id": "26", "title": "Job cleanup failure", "severity": "critical", "status": "open",
     "scenarios": ["Cancelling a job removes every resource", "A burst of * jobs leaves nothing"],
     "signatures": [{"step": "every resource of the job is gone*", "subject": "job.resources", "expected": "gone",
                     "seen": ["queue", "janitor-*"], "means": "the janitor never deletes the queue"}]},
    {"id": "29", "title": "Alert validation gap", "severity": "normal", "status": "needs spec clarification",
     "scenarios": ["An alert of class * is rejected"],
     "signatures": [{"step": 'the alert is rejected, naming "*"', "subject": "http.status", "seen": ["accepted"]}]},
]})
EVIDENCE = EvidenceMap.model_validate({
    "questions": [{"id": "frequency-axis", "title": "Frequency spacing", "question": "prr/nfft or 4x?",
                   "ask": "Algorithms team", "seed": "2.4", "summary_row": "Calculation Discrepancies"},
                  {"id": "nfft-edges", "title": "NFFT edges", "question": "4096?", "ask": "Product team"}],
    "rules": {
        "job.cancel": {"says": "cancel removes everything", "contract": "4", "evidence": "documented"},
        "alerts.validation": {"says": "bad alerts refused", "contract": "6", "evidence": "documented"},
        "frequency.textbook": {"says": "prr/nfft", "contract": "9", "evidence": "derived",
                               "question": "frequency-axis"},
        "configure.nfft-edges": {"says": "4096 refused", "contract": "2.1", "evidence": "documented",
                                 "contested_by": "a later test plan", "question": "nfft-edges"},
        "configure.starts-nothing": {"says": "nothing created", "contract": "2.1", "evidence": "documented",
                                     "steps": ["no job resources were created"]},
        "capacity.target": {"says": "50 jobs", "contract": "4", "evidence": "documented", "obligation": "target"},
    },
})


def rec(name="Cancelling a job removes every resource", status="failed", kind="assertion", *, step=None,
        finding=None, rules=("job.cancel",), **kw) -> ScenarioRecord:
    return ScenarioRecord(feature="F", scenario=name, location="f:1", status=status, kind=kind, step_text=step,
                          finding=finding.to_dict() if finding else None, rules=list(rules), **kw)


LEFT_QUEUE = Finding("job.resources", "gone", ("queue",))
GONE_STEP = "every resource of the job is gone within the cleanup timeout"


def verdict(record):
    return judge(record, REGISTRY, EVIDENCE)


@pytest.mark.parametrize("record, category", [
    (rec(status="passed", kind="passed"), None),
    (rec(status="skipped", kind="skipped"), None),
    (rec(status="skipped", kind="interrupted"), INTERRUPTED),
    (rec(status="broken", kind="infrastructure", step=GONE_STEP, finding=LEFT_QUEUE), INFRASTRUCTURE),
    (rec(status="broken", kind="error"), INFRASTRUCTURE),
    (rec(status="broken", kind="undefined"), INFRASTRUCTURE),
    (rec(step=GONE_STEP, finding=LEFT_QUEUE), PRODUCT_KNOWN),
])
def test_the_class_of_each_kind_of_outcome(record, category):
    assert verdict(record).category == category


def test_a_known_bug_is_named_only_when_its_signature_matches():
    assert verdict(rec(step=GONE_STEP, finding=LEFT_QUEUE)).bug == "26"
    two_kinds = Finding("job.resources", "gone", ("janitor-pod", "queue"))
    assert verdict(rec(step=GONE_STEP, finding=two_kinds)).bug == "26", "every kind seen is one the bug leaves"


@pytest.mark.parametrize("why, record", [
    ("another step fails (metadata still answers after cancel)",
     rec(step="the job's metadata is no longer available", finding=Finding("metadata.answer", "404", ("accepted",)))),
    ("the same step leaves something the bug never leaves (the streaming job)",
     rec(step=GONE_STEP, finding=Finding("job.resources", "gone", ("queue", "stream-job")))),
    ("a plain assertion without a finding", rec(step=GONE_STEP)),
    ("a scenario the bug does not cover", rec(name="A job nobody watches is removed", step=GONE_STEP,
                                              finding=LEFT_QUEUE)),
    ("an alert of severity 4 accepted: the bug covers unknown classes only",
     rec(name="An alert of severity 4 is rejected", step='the alert is rejected, naming "severity"',
         finding=Finding("http.status", "400", ("accepted",)), rules=("alerts.validation",))),
])
def test_any_other_failure_of_a_documented_rule_is_a_new_bug(why, record):
    outcome = verdict(record)
    assert (outcome.category, outcome.bug) == (PRODUCT_NEW, None), why


def test_a_new_failure_in_a_known_bugs_scenario_says_it_fails_differently():
    outcome = verdict(rec(step="the job's metadata is no longer available"))
    assert "fails differently from the signatures of #26" in outcome.because


def test_a_failure_of_a_derived_or_contested_rule_is_an_open_question_never_new():
    derived = verdict(rec(name="Bins are prr/nfft apart", rules=("frequency.textbook",)))
    contested = verdict(rec(name="NFFT 4096 is rejected", rules=("configure.nfft-edges",)))
    assert (derived.category, derived.question) == (NEEDS_VERIFICATION, "frequency-axis")
    assert (contested.category, contested.question) == (NEEDS_VERIFICATION, "nfft-edges")
    assert "contested by a later test plan" in contested.because


def test_a_step_bound_to_a_documented_rule_is_judged_by_that_rule_in_a_contested_scenario():
    """NFFT 4096 is an open question; a job created for a *rejected* request is a plain bug."""
    leaked = verdict(rec(name="NFFT 4096 is rejected", rules=("configure.nfft-edges",),
                         step="no job resources were created"))
    assert leaked.category == PRODUCT_NEW and leaked.rules == ("configure.starts-nothing",)


def test_a_documented_target_that_is_missed_is_reported_not_failed():
    missed = rec(name="50 live jobs at once", rules=("capacity.target",))
    outcome = verdict(missed)
    assert outcome.category == TARGET_MISSED
    assert exit_code([outcome]) == 0 and exit_code([outcome], strict=True) == 1


def test_a_known_signature_wins_over_the_evidence_of_the_rule():
    record = rec(name="An alert of class 0 is rejected", rules=("frequency.textbook",),
                 step='the alert is rejected, naming "classId"', finding=Finding("http.status", "400", ("accepted",)))
    assert verdict(record).category == PRODUCT_KNOWN


def test_an_outline_row_is_matched_by_its_name_without_the_suffix():
    record = rec(name="An alert of class 0 is rejected -- @1.1 Unknown classes", rules=("alerts.validation",),
                 step='the alert is rejected, naming "classId"', finding=Finding("http.status", "400", ("accepted",)))
    assert verdict(record).bug == "29"


def _states(records):
    return {s.bug.id: s.state for s in bug_states(records, [verdict(r) for r in records], REGISTRY)}


def test_bug_states_over_a_run():
    passed = rec(status="passed", kind="passed")
    burst_passed = rec("A burst of 4 jobs leaves nothing", status="passed", kind="passed")
    burst_skipped = rec("A burst of 4 jobs leaves nothing", status="skipped", kind="skipped")
    reproduced = rec(step=GONE_STEP, finding=LEFT_QUEUE)
    other = rec(step="the job's metadata is no longer available")
    assert _states([passed, burst_passed])["26"] == NOT_REPRODUCED
    assert _states([reproduced, burst_passed])["26"] == REPRODUCED
    assert _states([passed, burst_skipped])["26"] == NOT_EXERCISED, "a skipped scenario proves no fix"
    assert _states([other, burst_passed])["26"] == NOT_EXERCISED, "a different failure proves no fix either"
    assert _states([passed])["29"] == NOT_EXERCISED


@pytest.mark.parametrize("records, strict, code", [
    ([], False, 0),
    ([rec(step=GONE_STEP, finding=LEFT_QUEUE)], False, 0),
    ([rec(step=GONE_STEP, finding=LEFT_QUEUE)], True, 1),
    ([rec(rules=("frequency.textbook",))], False, 0),
    ([rec(rules=("frequency.textbook",))], True, 1),
    ([rec()], False, 1),
    ([rec(status="broken", kind="infrastructure")], False, 1),
    ([rec(status="skipped", kind="interrupted")], False, 1),
    ([rec(status="passed", kind="passed"), rec("A burst of 4 jobs leaves nothing", status="passed", kind="passed")],
     False, 0),
    ([rec(status="passed", kind="passed"), rec("A burst of 4 jobs leaves nothing", status="passed", kind="passed")],
     True, 1),  # strict: a known bug that no longer reproduces fails, like a strict xfail
])
def test_exit_code(records, strict, code):
    states = bug_states(records, [verdict(r) for r in records], REGISTRY)
    assert exit_code([verdict(r) for r in records], states, strict) == code


def test_the_triage_names_bugs_questions_and_skips():
    records = [rec(step=GONE_STEP, finding=LEFT_QUEUE, error_line="resources remain: queue/grpc-job-1-2"),
               rec("A burst of 4 jobs leaves nothing", status="passed", kind="passed"),
               rec("Bins are prr/nfft apart", rules=("frequency.textbook",), error_line="7.8 Hz, not 1.95 Hz"),
               rec("New thing", rules=("job.cancel",), error_line="expected 200 | got 500", severity="critical"),
               rec("Outage", status="skipped", kind="skipped", skip_reason="@destructive scenarios are not allowed"),
               rec("An alert of class 0 is rejected", status="passed", kind="passed")]
    text = render_markdown(Triage.of(records, registry=REGISTRY, evidence=EVIDENCE))
    assert "| New thing | product bug — new | HIGH | 🔴 failing 1/1 | New thing | expected 200 \\| got 500 |" in text
    assert "| #26 Job cleanup failure | product bug — known | HIGH | 🟠 failing 1/2 |" in text
    assert "| #29 Alert validation gap | product bug — known | MEDIUM | ✅ no longer reproduces (1 passed)" in text
    assert "| Frequency spacing | needs verification |" in text
    assert "Skipped: 1 scenario(s), each for a reason of the environment:" in text
    assert "- 1 × @destructive scenarios are not allowed" in text
    assert "Verdict: FAIL (exit code 1)" in text


def test_the_real_registry_knows_the_janitor_that_never_runs_behind_an_ended_job_precondition():
    # seen with the janitor_stuck_pending switch: the Given of the id-reuse scenario waits for an ended
    # job to be gone, and bug 26 keeps its cluster objects - that is bug 26, not a new one
    from focus_support.verdict.registry import load_evidence, load_registry

    record = rec(name="A new job never reuses the id of an earlier one",
                 step="a multichannel job of channels 1 to 50 was started and has ended",
                 finding=Finding("job.resources", "gone", ("janitor-job", "janitor-pod", "service")),
                 rules=("job.id-never-reused",))
    seen = judge(record, load_registry(), load_evidence())
    assert (seen.category, seen.bug) == (PRODUCT_KNOWN, "26")
    streaming_left = rec(name=record.scenario, step=record.step_text, rules=record.rules,
                         finding=Finding("job.resources", "gone", ("stream-job",)))
    assert judge(streaming_left, load_registry(), load_evidence()).category == PRODUCT_NEW


def test_a_known_bug_with_some_scenarios_skipped_is_not_called_fixed_nor_unexercised():
    records = [rec(status="passed", kind="passed"),
               rec(name="A burst of 40 jobs leaves nothing", status="skipped", kind="skipped")]
    verdicts = [verdict(r) for r in records]
    (state,) = [s for s in bug_states(records, verdicts, REGISTRY) if s.bug.id == "26"]
    assert state.state == NOT_EXERCISED and state.passed_in and state.other
    from focus_support.reporting.triage import Row

    row = Row(item="#26", category=PRODUCT_KNOWN, state=state.state, total=2, passed=1)
    assert row.status == "⏭ not fully exercised (1 passed, 1 skipped or failing otherwise)"


def test_bug_26_is_known_by_the_janitor_it_leaves_or_the_queue_it_forgets_and_not_by_a_streaming_job_alone():
    from focus_support.verdict.registry import load_evidence, load_registry

    def seen(*kinds: str) -> str:
        record = rec(name="A multichannel job whose streaming pod crashes is cleaned up",
                     step="every resource of the job is gone within the cleanup timeout",
                     finding=Finding("job.resources", "gone", kinds), rules=("job.crash-cleanup",))
        return judge(record, load_registry(), load_evidence()).category

    assert seen("janitor-job", "janitor-pod", "queue", "service", "stream-job") == PRODUCT_KNOWN  # stuck Pending
    assert seen("queue") == PRODUCT_KNOWN                                                       # the queue typo
    assert seen("stream-job", "stream-pod") == PRODUCT_NEW     # a janitor that ran but missed the ended job
    assert seen("queue", "service") == PRODUCT_NEW
