"""On a shared environment the suite judges only what it created and skips what needs it alone (issue 13)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from focus_support.errors import MisconfiguredError
from focus_support.preflight import CheckResult, PreflightReport, Status
from focus_support.scenarios import common, configuration


def _report(name: str = "rehearsal") -> PreflightReport:
    return PreflightReport(environment=name, results=[CheckResult("focus_server", "u", Status.OK)])


def test_exclusive_scenarios_are_skipped_only_where_the_environment_is_shared():
    rep = _report()
    reason = rep.skip_reason(["@exclusive", "critical"], shared=True)
    assert reason is not None and reason.startswith("@exclusive") and "'rehearsal' is shared" in reason
    assert rep.skip_reason(["@exclusive"], shared=False) is None
    assert rep.skip_reason(["@critical"], shared=True) is None


def test_an_undeclared_rate_limit_skips_with_the_environment_named():
    rep = _report("staging")
    assert rep.skip_reason(["needs_rate_limit"], rate_limit_declared=False) == "rate limit not declared for staging"
    assert rep.skip_reason(["needs_rate_limit"], rate_limit_declared=True) is None


def _suite(shared: bool):
    return SimpleNamespace(environment=SimpleNamespace(name="rehearsal" if shared else "local", shared=shared))


class _Answer:
    def __init__(self, body):
        self.body = body

    def json(self):
        if isinstance(self.body, Exception):
            raise self.body
        return self.body


def test_a_job_is_the_suites_only_by_the_id_it_received():
    assert common.job_id_in(_Answer({"job_id": "3-14"})) == "3-14"
    assert common.job_id_in(_Answer({"detail": []})) is None
    assert common.job_id_in(_Answer({"job_id": ""})) is None
    assert common.job_id_in(_Answer([1, 2])) is None
    assert common.job_id_in(_Answer(ValueError("not json"))) is None


def test_nothing_in_a_shared_namespace_is_adopted_or_compared():
    shared = _suite(True)
    state = SimpleNamespace(created_job_ids=[], notes={})
    with pytest.raises(MisconfiguredError, match="@exclusive"):
        common.adopt_stray_jobs(shared, state, ["job/grpc-job-1-2"])
    assert configuration.take_orchestration_snapshot(shared, state) is None
    with pytest.raises(MisconfiguredError, match="shares with other clients"):
        configuration.new_orchestration(shared, state)
    assert state.created_job_ids == []
    assert common.has_namespace_to_itself(_suite(False)) and not common.has_namespace_to_itself(shared)


def test_the_tracker_leaves_jobs_it_was_not_given():
    from focus_support.cleanup import JobTracker

    class Focus:
        cancelled: list[str] = []

        def send_cancel(self, job_id):
            self.cancelled.append(job_id)
            return SimpleNamespace(status_code=200, text="{}", json=lambda: {"status": "cancelled"})

    class K8s:
        def job_resources(self, job_id):
            return SimpleNamespace(names=lambda: [])

    focus = Focus()
    tracker = JobTracker(focus, K8s(), None, cleanup_timeout_s=0.1)
    tracker.register("1-1")
    report = tracker.sweep()
    assert focus.cancelled == ["1-1"] and report.clean


def test_an_alert_report_without_ids_is_the_suites_only_if_it_echoes_the_push_on_a_shared_broker():
    import json

    from focus_support.scenarios.alerts import reports_of

    pushed = {"classId": 104, "severity": 3, "dofM": 0, "alertsAmount": 1, "alertIds": None}
    ours = json.dumps({"classId": 104, "severity": 3, "dofM": 0, "alertsAmount": 1, "siteId": "s"}).encode()
    theirs = json.dumps({"classId": 104, "severity": 2, "dofM": 101, "alertId": "tenant-1"}).encode()
    assert reports_of([ours, theirs], pushed) == [ours, theirs]          # alone: every report is the push's
    assert reports_of([ours, theirs], pushed, shared=True) == [ours]     # shared: only what echoes it
    assert reports_of([theirs], {**pushed, "alertIds": ["a"]}, shared=True) == []
    with pytest.raises(MisconfiguredError, match="@exclusive"):
        reports_of([theirs], {"alertIds": None}, shared=True)
