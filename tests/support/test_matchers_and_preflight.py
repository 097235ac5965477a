"""Matchers describe mismatches with the whole exchange; the preflight table and skip rules."""
from __future__ import annotations

import pytest
from hamcrest import assert_that, is_not

from focus_support.clients import FocusClient
from focus_support.errors import MisconfiguredError, UnreachableError
from focus_support.exchanges import Recorder
from focus_support.k8s import JobResources, JobInfo
from focus_support.matchers import has_error_containing, has_status, is_job_id, names_field, no_resources_for_job
from focus_support.preflight import CheckResult, PreflightReport, Status, check

from .scripted_server import Reply

DETAIL = {"detail": [{"loc": ["body", "displayInfo", "height"], "msg": "must be > 0", "type": "value_error"}]}


def test_has_status_mismatch_shows_method_url_and_both_bodies(server):
    server.on("POST", "/focus-server/configure", Reply(200, {"job_id": "1-1"}))
    response = FocusClient(server.url + "/focus-server", recorder=Recorder()).raw(
        "POST", "configure", {"displayInfo": {"height": 0}})
    assert_that(response, has_status(200))
    with pytest.raises(AssertionError) as err:
        assert_that(response, has_status(422))
    text = str(err.value)
    assert "an HTTP response with status 422" in text and "got status 200" in text
    assert "POST http://127.0.0.1" in text and '"height": 0' in text and '"job_id": "1-1"' in text
    with pytest.raises(AssertionError, match="was not a response"):
        assert_that({"x": 1}, has_status(200))


def test_names_field_on_422_details(server):
    server.on("POST", "/focus-server/configure", Reply(422, DETAIL))
    response = FocusClient(server.url + "/focus-server", recorder=Recorder()).raw("POST", "configure", {})
    assert_that(response, names_field("height"))
    assert_that(response, names_field("displayInfo.height"))
    assert_that(DETAIL, is_not(names_field("channels")))
    with pytest.raises(AssertionError) as err:
        assert_that(response, names_field("nfftSelection"))
    assert "names the field 'nfftSelection'" in str(err.value) and "displayInfo.height" in str(err.value)
    assert_that({"error": "classId must be 103 or 104"}, names_field("classId"))
    assert_that({"error": "bad"}, is_not(names_field("classId")))
    assert_that("not json at all", is_not(names_field("x")))


def test_error_message_and_job_id_matchers():
    assert_that({"error": "No recording found in given time range"}, has_error_containing("no recording found"))
    with pytest.raises(AssertionError, match="the message was 'Invalid job_id'"):
        assert_that({"error": "Invalid job_id"}, has_error_containing("not available"))
    assert_that("31-3633", is_job_id())
    assert_that("31-", is_not(is_job_id()))
    assert_that(5, is_not(is_job_id()))


class StubK8s:
    """Stands in for the cluster in this description test only (the real routes are tested elsewhere)."""

    def __init__(self, left: list[str]) -> None:
        self.left = left

    def job_resources(self, job_id: str) -> JobResources:
        return JobResources(job_id=job_id, jobs=[JobInfo(kind="Job", name=n) for n in self.left])


class StubManagement:
    def job_queues(self, job_id: str) -> list[str]:
        return [f"grpc-job-{job_id}-1.2"]


def test_no_resources_for_job_names_what_is_left():
    assert_that("1-1", no_resources_for_job(StubK8s([])))
    with pytest.raises(AssertionError) as err:
        assert_that("1-1", no_resources_for_job(StubK8s(["grpc-job-1-1"]), StubManagement()))
    assert "job 1-1 still has: job/grpc-job-1-1, queue/grpc-job-1-1-1.2" in str(err.value)


def report(*rows: CheckResult) -> PreflightReport:
    return PreflightReport("local", list(rows))


def test_table_is_plain_aligned_text():
    table = report(CheckResult("focus_server", "http://h/focus-server", Status.OK, "GET /ack 200"),
                   CheckResult("fibre", "GET /live_metadata", Status.PRECONDITION, "waiting for fibre")).table()
    lines = table.splitlines()
    assert lines[0] == "Preflight for environment 'local'"
    assert lines[1].split() == ["DEPENDENCY", "ROUTE", "STATUS", "DETAIL"]
    assert set(lines[2].replace(" ", "")) == {"-"}
    assert lines[3].index("OK") == lines[4].index("PRECONDITION")  # columns line up
    assert all(line == line.rstrip() for line in lines)


def test_focus_server_unreachable_stops_the_run():
    with pytest.raises(UnreachableError, match="Focus Server is unreachable.*stopping"):
        report(CheckResult("focus_server", "u", Status.UNAVAILABLE, "refused")).require_focus_server()
    report(CheckResult("focus_server", "u", Status.OK)).require_focus_server()


def test_skip_reasons():
    rep = report(CheckResult("focus_server", "u", Status.OK), CheckResult("mongodb", "db", Status.UNAVAILABLE, "refused"),
                 CheckResult("fibre", "f", Status.PRECONDITION, "waiting for fibre"), CheckResult("cluster", "ssh", Status.OK))
    forbid_all = lambda scenario_class: False  # noqa: E731
    assert rep.skip_reason(["@destructive", "requires_cluster"], forbid_all) == \
        "@destructive scenarios are not allowed in environment 'local'"
    assert rep.skip_reason(["load"], forbid_all).startswith("@load")
    assert rep.skip_reason(["destructive"], lambda c: True) is None
    assert rep.skip_reason(["requires_cluster", "critical"]) is None
    assert rep.skip_reason(["requires_mongodb"]) == "mongodb is unavailable in environment 'local': refused"
    assert "precondition" in rep.skip_reason(["requires_fibre"])
    assert rep.skip_reason(["requires_ssh"]) == "ssh was not checked by the preflight"
    with pytest.raises(MisconfiguredError, match="unknown tag @requires_kafka"):
        rep.skip_reason(["requires_kafka"])


def test_check_turns_outcomes_into_rows():
    assert check("x", "r", lambda: "fine").status is Status.OK
    assert check("x", "r", lambda: (Status.PRECONDITION, "later")).status is Status.PRECONDITION

    def boom():
        raise ConnectionError("amqp://u:pw@h:1 refused\nmore")

    row = check("x", "r", boom)
    assert row.status is Status.UNAVAILABLE and row.detail == "ConnectionError: amqp://u:***@h:1 refused"

    def misconfigured():
        raise MisconfiguredError("no key")

    assert check("x", "r", misconfigured).status is Status.NOT_CONFIGURED

    def answered_wrongly():
        raise AssertionError("GET /ack answered 500")

    wrong = check("x", "r", answered_wrongly)
    assert wrong.status is Status.ANSWERED_WRONGLY and not wrong.skips, "a product answer never skips"

    def suite_bug():
        raise KeyError("typo")

    bug = check("x", "r", suite_bug)
    assert bug.status is Status.SUITE_ERROR and not bug.skips
