"""A product that was reached and answered wrongly is a product failure: never a skip, never
infrastructure (docs/ARCHITECTURE.md, "Whose problem is a failure").

Each path runs against the scripted server (or the spec stack's MongoDB, for base_paths): what the
preflight makes of it, and what a scenario helper raises, classified as the formatter would.
"""
from __future__ import annotations

import socket
from pathlib import Path

import pytest

from focus_support.config import load_environment
from focus_support.context import SuiteContext
from focus_support.errors import ThrottledError, UnreachableError
from focus_support.mongo import MongoDBManager
from focus_support.preflight import Status, run_preflight
from focus_support.reporting.statuses import KIND_ASSERTION, KIND_INFRASTRUCTURE, kind_of_exception
from focus_support.retry import RetryPolicy
from focus_support.scenarios.common import require_live_fibre
from focus_support.scenario_state import ScenarioState
from support.conftest import write_runtime
from support.scripted_server import Reply

LIVE = {"prr": 2000.0, "dx": 1.02, "number_of_channels": 100, "fiber_start_meters": 0,
        "fiber_length_meters": 100, "sw_version": "x", "fiber_description": "x",
        "num_samples_per_trace": 1, "dtype": "float32"}


@pytest.fixture
def suite(server, tmp_path: Path):
    """A SuiteContext whose Focus Server and Web App are the scripted server (the rest unreachable)."""
    write_runtime(tmp_path, focus_server_url=server.url + "/focus-server", web_app_url=server.url + "/prisma/api")
    ctx = SuiteContext(load_environment("local", environ={"FOCUS_SANDBOX_HOME": str(tmp_path)}))
    ctx.focus.retry_policy = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.05)
    yield ctx
    ctx.close()


def _row(suite, dependency):
    return run_preflight(suite).get(dependency)


def test_a_refused_login_with_the_configured_credentials_is_a_product_failure(server, suite):
    server.on("GET", "/focus-server/ack", Reply(200, {}))
    server.on("POST", "/prisma/api/auth/login", Reply(401, {"error": "invalid credentials"}))
    row = _row(suite, "web_app")
    assert row.status is Status.ANSWERED_WRONGLY and not row.skips, row
    assert run_preflight(suite).skip_reason(["requires_web_app"]) is None, "its scenarios run and show the failure"
    with pytest.raises(AssertionError, match="expected the Web App to sign in the configured user 'qa'") as raised:
        suite.web_app
    assert kind_of_exception(raised.value) == KIND_ASSERTION


def test_a_5xx_health_probe_does_not_stop_or_skip_the_run(server, suite):
    server.on("GET", "/focus-server/ack", Reply(500, {"error": "boom"}))
    report = run_preflight(suite)
    assert report.get("focus_server").status is Status.ANSWERED_WRONGLY
    report.require_focus_server()  # does not raise: the scenarios judge the product


def test_configure_answering_200_without_a_job_id_is_a_product_failure(server, suite):
    server.on("POST", "/focus-server/configure", Reply(200, {"status": "success"}))
    response = suite.focus.send_configure({"view_type": "0"})
    with pytest.raises(AssertionError, match="expected the field 'job_id'") as raised:
        response.json()["job_id"]
    assert isinstance(raised.value, KeyError), "code that expects a KeyError still gets one"
    assert kind_of_exception(raised.value) == KIND_ASSERTION
    assert raised.value.finding.seen == ("missing job_id",)


def test_html_instead_of_json_is_a_product_failure(server, suite):
    server.on("GET", "/focus-server/live_metadata",
              Reply(200, b"<html>proxy error</html>", {"Content-Type": "text/html"}))
    state = ScenarioState()
    with pytest.raises(AssertionError, match="expected a JSON body, got text/html") as raised:
        require_live_fibre(suite, state)
    assert kind_of_exception(raised.value) == KIND_ASSERTION
    assert _row(suite, "fibre").status is not Status.UNAVAILABLE


def test_live_metadata_answering_500_is_a_product_failure_not_unknown_fibre(server, suite):
    server.on("GET", "/focus-server/live_metadata", Reply(500, {"error": "db down"}))
    with pytest.raises(AssertionError, match="expected GET /live_metadata to answer 200") as raised:
        require_live_fibre(suite, ScenarioState())
    assert kind_of_exception(raised.value) == KIND_ASSERTION


def test_throttled_past_the_retry_budget_is_a_product_failure(server, suite):
    server.on("POST", "/focus-server/configure", Reply(429, {"error": "slow down"}, {"Retry-After": "0"}))
    with pytest.raises(ThrottledError) as raised:
        suite.focus.send_configure({"view_type": "0"})
    assert isinstance(raised.value, AssertionError)
    assert kind_of_exception(raised.value) == KIND_ASSERTION
    assert server.count("POST", "/focus-server/configure") == 3


def test_a_missing_base_paths_root_is_a_product_failure(spec_stack):
    mongo = spec_stack.mongo
    empty = MongoDBManager(mongo.uri, "focus_product_failure_test")  # a database with no base_paths
    with pytest.raises(AssertionError, match="expected base_paths to list a storage root") as raised:
        empty.recordings_collections()
    assert kind_of_exception(raised.value) == KIND_ASSERTION


def test_only_what_cannot_be_reached_is_unavailable_and_skips(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    write_runtime(tmp_path, focus_server_url=f"http://127.0.0.1:{closed}/focus-server")
    unreachable = SuiteContext(load_environment("local", environ={"FOCUS_SANDBOX_HOME": str(tmp_path)}))
    try:
        row = _row(unreachable, "focus_server")
        assert row.status is Status.UNAVAILABLE and row.skips
        with pytest.raises(UnreachableError) as raised:
            unreachable.focus.ack()
        assert kind_of_exception(raised.value) == KIND_INFRASTRUCTURE
    finally:
        unreachable.close()


def test_waiting_for_fibre_is_a_precondition_that_skips(server, suite):
    server.on("GET", "/focus-server/ack", Reply(200, {}))
    server.on("GET", "/focus-server/live_metadata",
              Reply(200, {**LIVE, "prr": 0.0, "dx": 0.0, "sw_version": "waiting for fiber",
                          "fiber_description": "waiting for fiber"}))
    row = _row(suite, "fibre")
    assert row.status is Status.PRECONDITION and row.skips
