"""Retries happen only where safe; every exchange is recorded, redacted; failures are typed."""
from __future__ import annotations

import email.utils
import time

import pytest

from focus_support.verdict.findings import ProductFailure
import requests

from focus_support.clients import FocusClient, WebAppClient, describe_response, exchange_of, expect_json
from focus_support.errors import (
    PreconditionNotMetError, ThrottledError, UnexpectedResponseError, UnreachableError,
)
from focus_support.exchanges import Recorder
from focus_support.models import ChannelsResponse, ViewType, build_configure_request
from focus_support.retry import RetryableError, RetryPolicy, classify, parse_retry_after, retry_with_backoff

from .scripted_server import Reply

CONFIGURE_OK = {"job_id": "1-1", "status": "success", "view_type": "0", "channel_amount": 8, "stream_amount": 3,
                "lines_dt": 0.04, "stream_port": 12301}


def client(server, recorder=None, **kwargs) -> FocusClient:
    delays = kwargs.pop("delays", [])
    return FocusClient(server.url + "/focus-server", recorder=recorder or Recorder(), sleep=delays.append,
                       retry=RetryPolicy(max_retries=3, initial_delay=0.5, max_delay=4.0), **kwargs)


def test_a_429_is_retried_after_retry_after_then_succeeds(server):
    server.on("POST", "/focus-server/configure", Reply(429, {"error": "slow down"}, {"Retry-After": "2"}),
              Reply(200, CONFIGURE_OK))
    delays: list[float] = []
    parsed = client(server, delays=delays).configure(build_configure_request(ViewType.MULTICHANNEL))
    assert parsed.job_id == "1-1"
    assert delays == [2.0]  # exactly what the server asked for
    assert server.count("POST", "/focus-server/configure") == 2


def test_throttled_beyond_the_retries_is_a_throttled_error(server):
    server.on("POST", "/focus-server/configure", Reply(429, {"error": "slow down"}))
    delays: list[float] = []
    with pytest.raises(ThrottledError, match="429 after 4 attempts"):
        client(server, delays=delays).send_configure(build_configure_request())
    assert len(delays) == 3 and all(0 < d <= 4.0 for d in delays)  # bounded exponential backoff
    assert delays[1] >= 1.0  # grew from the 0.5 s initial delay


def test_no_retry_policy_returns_the_429_for_rate_limit_scenarios(server):
    server.on("POST", "/focus-server/configure", Reply(429, {"error": "slow"}, {"Retry-After": "1"}))
    response = client(server).send_configure(build_configure_request(), retry=RetryPolicy(max_retries=0))
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_post_configure_is_never_replayed_on_5xx(server, status):
    server.on("POST", "/focus-server/configure", Reply(status, {"error": "boom"}))
    response = client(server).send_configure(build_configure_request())
    assert response.status_code == status
    assert server.count("POST", "/focus-server/configure") == 1


def test_post_configure_is_never_replayed_on_a_lost_connection(server):
    server.on("POST", "/focus-server/configure", Reply(drop=True))
    # reached, then dropped without an answer: the product's failure, and never sent again
    with pytest.raises(ProductFailure, match="closed the connection of POST .*configure without one"):
        client(server).send_configure(build_configure_request())
    assert server.count("POST", "/focus-server/configure") == 1


def test_idempotent_get_is_retried_on_5xx_and_lost_connections(server):
    server.on("GET", "/focus-server/channels", Reply(drop=True), Reply(503, {"error": "busy"}),
              Reply(200, {"lowest_channel": 1, "highest_channel": 50}))
    recorder = Recorder()
    channels = client(server, recorder).channels()
    assert channels.highest_channel == 50
    attempts = [(e.attempt, e.status) for e in recorder.exchanges]
    assert attempts == [(1, None), (2, 503), (3, 200)]
    assert recorder.exchanges[0].error and "Error" in recorder.exchanges[0].error


def test_a_get_the_server_keeps_dropping_is_a_product_failure_after_the_retries(server):
    server.on("GET", "/focus-server/ack", Reply(drop=True))
    with pytest.raises(ProductFailure, match="without one") as raised:
        client(server).ack()
    assert raised.value.finding.seen == ("connection dropped",)
    assert server.count("GET", "/focus-server/ack") == 4


def test_no_answer_in_time_is_a_product_failure_and_get_is_retried(server):
    server.on("GET", "/focus-server/ack", Reply(200, {}, delay_s=2.0))
    slow = client(server, timeout_s=0.1)
    with pytest.raises(ProductFailure, match="within 0.1 s; GET .*ack got none \\(4 attempt") as raised:
        slow.ack()
    assert raised.value.finding.seen == ("timeout",)


def test_a_slow_post_is_not_replayed(server):
    server.on("POST", "/focus-server/configure", Reply(200, CONFIGURE_OK, delay_s=2.0))
    with pytest.raises(ProductFailure, match="got none \\(1 attempt"):
        client(server, timeout_s=0.1).send_configure(build_configure_request())
    assert server.count("POST", "/focus-server/configure") == 1


def test_unreachable_port_is_an_unreachable_error():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(UnreachableError, match=f"127.0.0.1:{port}"):
        FocusClient(f"http://127.0.0.1:{port}/focus-server", sleep=lambda s: None).ack()


def test_waiting_for_fibre_is_a_precondition(server):
    server.on("POST", "/focus-server/configure", Reply(503, {"error": "System is waiting for fiber"}))
    with pytest.raises(PreconditionNotMetError, match="waiting for fibre"):
        client(server).configure(build_configure_request())
    assert server.count("POST", "/focus-server/configure") == 1


def test_an_unexpected_status_is_a_product_finding_with_the_exchange(server):
    server.on("POST", "/focus-server/configure", Reply(500, {"error": "kaboom"}))
    with pytest.raises(UnexpectedResponseError) as err:
        client(server).configure(build_configure_request())
    assert isinstance(err.value, AssertionError)
    text = str(err.value)
    assert "expected HTTP 200, got 500" in text and "POST http://" in text and "kaboom" in text
    assert '"view_type": "0"' in text  # the request body is shown too


def test_a_body_not_matching_the_model_is_a_finding(server):
    server.on("GET", "/focus-server/channels", Reply(200, {"lowest": 1}))
    with pytest.raises(UnexpectedResponseError, match="does not match ChannelsResponse"):
        client(server).channels()


def test_raw_sends_the_body_untouched(server):
    server.on("POST", "/focus-server/configure", Reply(422, {"detail": [{"loc": ["body", "x"], "msg": "m", "type": "t"}]}))
    focus = client(server)
    response = focus.raw("POST", "configure", '{"view_type": "9", "channels": null')
    assert response.status_code == 422
    assert server.requests[-1]["body"] == b'{"view_type": "9", "channels": null'
    focus.raw("POST", "configure", {"displayInfo": {"height": -100}})
    assert server.requests[-1]["body"] == b'{"displayInfo": {"height": -100}}'


def test_typed_focus_calls(server):
    base = "/focus-server"
    server.on("GET", f"{base}/metadata/1-1", Reply(200, CONFIGURE_OK))
    server.on("DELETE", f"{base}/job/1-1", Reply(200, {"job_id": "1-1", "status": "cancelled"}))
    server.on("GET", f"{base}/live_metadata", Reply(200, {"prr": 2000, "dx": 1.02, "number_of_channels": 2337}))
    server.on("POST", f"{base}/recordings_in_time_range", Reply(200, [[1, 2], [3, -1]]))
    server.on("GET", f"{base}/openapi.json", Reply(200, {"openapi": "3.1.0"}))
    focus = client(server)
    assert focus.metadata("1-1").job_id == "1-1"
    assert focus.cancel("1-1").status == "cancelled"
    assert focus.live_metadata().prr == 2000
    assert [w.end for w in focus.recordings_in_time_range(0, 10)] == [2, -1]
    assert focus.openapi()["openapi"] == "3.1.0"


def test_typed_calls_reject_wrong_statuses(server):
    base = "/focus-server"
    server.on("POST", f"{base}/recordings_in_time_range", Reply(422, {"detail": "bad"}))
    server.on("GET", f"{base}/openapi.json", Reply(404, {"detail": "Not Found"}))
    focus = client(server)
    with pytest.raises(UnexpectedResponseError):
        focus.recordings_in_time_range(10, 0)
    with pytest.raises(UnexpectedResponseError):
        focus.openapi()
    server.on("POST", f"{base}/recordings_in_time_range", Reply(200, {"not": "a list"}))
    server.script[("POST", f"{base}/recordings_in_time_range")].popleft()
    with pytest.raises(UnexpectedResponseError, match="pairs"):
        focus.recordings_in_time_range(0, 10)


def test_exchanges_are_recorded_with_secrets_redacted_and_listeners_told(server):
    server.on("POST", "/prisma/api/auth/login", Reply(201, {"ok": True}, {"Set-Cookie": "access-token=tok123; Path=/auth"}))
    server.on("GET", "/prisma/api/site/api/alert", Reply(200, [{"alertIds": ["a"]}]))
    recorder = Recorder()
    heard = []
    recorder.add_listener(heard.append)
    recorder.add_listener(lambda e: 1 / 0)  # a broken listener must not break the request
    web = WebAppClient(server.url + "/prisma/api", "site", recorder=recorder)
    web.login("qa", "hunter2")
    assert web.list_alerts() == [{"alertIds": ["a"]}]
    # the cookie scoped to /auth was re-set for every path, so the site route received it
    assert "access-token=tok123" in server.requests[-1]["headers"].get("Cookie", "")
    login, listing = recorder.exchanges
    assert heard == [login, listing]
    assert "hunter2" not in (login.request_body or "") and '"password": "***"' in login.request_body
    assert login.response_headers["Set-Cookie"] == "***"
    assert listing.request_headers["Cookie"] == "***"
    assert "tok123" not in str(recorder.exchanges)
    assert login.summary().startswith("POST http://") and "-> 201" in login.summary()
    assert recorder.reset() == [login, listing] and recorder.exchanges == [] and recorder.last is None


def test_refused_login_is_a_product_failure_and_cookie_can_be_replaced(server):
    server.on("POST", "/prisma/api/auth/login", Reply(401, {"error": "bad credentials"}))
    server.on("POST", "/prisma/api/site/api/push-to-rabbit", Reply(401, {"error": "no cookie"}))
    server.on("DELETE", "/prisma/api/site/api/alert/delete", Reply(403, {"error": "forbidden"}))
    web = WebAppClient(server.url + "/prisma/api", "site", recorder=Recorder())
    with pytest.raises(UnexpectedResponseError, match="expected the Web App to sign in the configured user 'qa'"):
        web.login("qa", "wrong")
    web.use_cookie("forged")
    assert web.send_push({"classId": 103}).status_code == 401
    assert "access-token=forged" in server.requests[-1]["headers"]["Cookie"]
    assert web.send_delete_alerts(["a"]).status_code == 403
    web.use_cookie(None)
    server.on("GET", "/prisma/api/site/api/alert", Reply(500, {}))
    with pytest.raises(UnexpectedResponseError):
        web.list_alerts()


def test_expect_json_and_describe_without_recording():
    response = requests.Response()
    response.status_code = 404
    response._content = b'{"detail": "Not Found"}'
    response.url = "http://h/x"
    response.request = requests.Request("GET", "http://h/x").prepare()
    assert exchange_of(response) is None
    assert "GET http://h/x -> 404" in describe_response(response)
    with pytest.raises(UnexpectedResponseError, match="expected HTTP 200, got 404"):
        expect_json(response, ChannelsResponse)


# --- the decorator on its own, with the seed's call shape ---------------------------------
def test_decorator_with_seed_call_shape_retries_retryable_errors():
    calls = []
    delays: list[float] = []

    @retry_with_backoff(max_retries=5, initial_delay=1.0, max_delay=60.0, backoff_factor=2.0, sleep=delays.append)
    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise RetryableError("busy")
        return "done"

    assert flaky() == "done" and len(calls) == 3
    assert 1.0 <= delays[0] <= 1.5 and 2.0 <= delays[1] <= 2.5  # exponential with up to 0.5 s jitter
    assert flaky.retry_policy.max_retries == 5


def test_decorator_gives_up_and_reraises_or_throttles():
    @retry_with_backoff(max_retries=2, initial_delay=0.01, sleep=lambda s: None)
    def always_busy():
        raise RetryableError("busy")

    with pytest.raises(RetryableError):
        always_busy()

    @retry_with_backoff(max_retries=1, sleep=lambda s: None)
    def throttled():
        raise RetryableError("429", retry_after_s=0.1, throttled=True)

    with pytest.raises(ThrottledError):
        throttled()

    @retry_with_backoff
    def not_retryable():
        raise ValueError("a bug, not a transient failure")

    with pytest.raises(ValueError):
        not_retryable()


def test_retry_after_parsing_and_cap():
    assert parse_retry_after("3") == 3.0 and parse_retry_after(None) is None and parse_retry_after("soon") is None
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= parse_retry_after(future) <= 31
    delays: list[float] = []

    @retry_with_backoff(max_retries=1, max_delay=5.0, sleep=delays.append)
    def told_to_wait_long():
        if not delays:
            raise RetryableError("wait", retry_after_s=600)
        return "ok"

    assert told_to_wait_long() == "ok" and delays == [5.0]  # bounded by max_delay


def test_classify_http_errors():
    response = requests.Response()
    response.status_code = 429
    response.headers["Retry-After"] = "4"
    decision = classify(requests.HTTPError(response=response))
    assert decision.retry and decision.throttled and decision.retry_after_s == 4
    assert not classify(KeyError()).retry
