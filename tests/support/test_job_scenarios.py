"""scenarios.jobs.start_and_cancel on a scripted Focus Server: what it sends, registers and requires."""
from __future__ import annotations

import json

import pytest

from focus_support.clients import FocusClient
from focus_support.scenario_state import ScenarioState
from focus_support.scenarios import jobs, notes_of
from support.scripted_server import RegisteredJobs, Reply


class _Suite:
    """What starting and cancelling jobs needs of a SuiteContext."""

    def __init__(self, url):
        self.focus, self.jobs = FocusClient(url), RegisteredJobs()


def test_jobs_are_started_on_their_own_channels_registered_and_each_cancelled(server):
    server.on("POST", "/focus-server/configure", Reply(200, {"job_id": "1-1"}), Reply(200, {"job_id": "1-2"}))
    server.on("DELETE", "/focus-server/job/1-1", Reply(200, {"job_id": "1-1", "status": "cancelled"}))
    server.on("DELETE", "/focus-server/job/1-2", Reply(200, {"job_id": "1-2", "status": "cancelled"}))
    suite, state = _Suite(f"{server.url}/focus-server"), ScenarioState()
    assert jobs.start_and_cancel(suite, state, 2) == ["1-1", "1-2"]
    sent = [json.loads(r["body"])["channels"] for r in server.requests if r["method"] == "POST"]
    assert sent == [{"min": 1, "max": 10}, {"min": 11, "max": 20}]
    assert suite.jobs.registered == state.created_job_ids == ["1-1", "1-2"]
    assert notes_of(state, jobs.JobNotes).cancelled == ["1-1", "1-2"]


def test_a_refused_cancel_fails_and_the_job_stays_registered(server):
    server.on("POST", "/focus-server/configure", Reply(200, {"job_id": "2-1"}))
    server.on("DELETE", "/focus-server/job/2-1", Reply(404, {"detail": "Not Found"}))
    suite, state = _Suite(f"{server.url}/focus-server"), ScenarioState()
    with pytest.raises(AssertionError):
        jobs.start_and_cancel(suite, state, 1)
    assert suite.jobs.registered == ["2-1"] and notes_of(state, jobs.JobNotes).cancelled == []
