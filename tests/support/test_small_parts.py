"""Rate limiter, waiting, redaction, cleanup stack: the pieces every step leans on."""
from __future__ import annotations

import threading
import time

import pytest

from focus_support.cleanup import CleanupStack, install_interrupt_sweep
from focus_support.errors import CleanupError, InfrastructureError, InfraTimeoutError, UnreachableError
from focus_support.exchanges import Exchange, redact_body, redact_headers, redact_text, redact_value
from focus_support.rate_limiter import RateLimiter
from focus_support.waiting import ProductTimeoutError, wait_for_infra, wait_for_product, wait_until


class FakeClock:
    """Virtual time: sleeping advances it (lets rate and deadline logic be checked exactly)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


# --- RateLimiter -------------------------------------------------------------------------------
def test_rate_limiter_spaces_acquisitions_at_the_rate():
    clock = FakeClock()
    limiter = RateLimiter(rate=10, per=1.0, clock=clock, sleep=clock.sleep)
    for _ in range(21):
        limiter.wait()
    assert clock.now == pytest.approx(2.0)  # first token free, then one every 0.1 s


def test_rate_limiter_burst_and_try_acquire():
    clock = FakeClock()
    limiter = RateLimiter(rate=2, per=1.0, burst=3, clock=clock, sleep=clock.sleep)
    assert [limiter.try_acquire() for _ in range(4)] == [True, True, True, False]
    clock.now += 0.5
    assert limiter.try_acquire() and not limiter.try_acquire()
    with limiter:  # context-manager form waits for a token
        pass
    assert clock.now == pytest.approx(1.0)


def test_rate_limiter_rejects_nonsense():
    with pytest.raises(ValueError):
        RateLimiter(rate=0)


def test_rate_limiter_is_thread_safe_on_real_time():
    limiter = RateLimiter(rate=50, per=1.0)
    stamps: list[float] = []
    lock = threading.Lock()

    def worker():
        for _ in range(10):
            limiter.wait()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    span = max(stamps) - min(stamps)
    assert len(stamps) == 40 and span >= 39 / 50 * 0.95  # 40 tokens cannot come faster than the rate


# --- waiting -----------------------------------------------------------------------------------
def test_wait_until_returns_the_value_when_it_turns_truthy():
    clock = FakeClock()
    values = iter([None, 0, "ready"])
    assert wait_until(lambda: next(values), 5, 0.1, clock=clock, sleep=clock.sleep) == "ready"
    assert clock.now == pytest.approx(0.2)


def test_product_timeout_is_an_assertion_with_the_last_state():
    clock = FakeClock()
    with pytest.raises(ProductTimeoutError) as err:
        wait_for_product(lambda: [], 1.0, 0.3, describe="pods gone", clock=clock, sleep=clock.sleep)
    assert isinstance(err.value, AssertionError)
    assert "timed out after 1 s waiting for pods gone; last state seen: []" in str(err.value)
    assert clock.now == pytest.approx(1.0)  # the last try happens at the deadline


def test_infra_timeout_carries_the_last_ignored_error():
    clock = FakeClock()

    def down():
        raise UnreachableError("connection refused")

    with pytest.raises(InfraTimeoutError, match="last state seen: UnreachableError: connection refused") as err:
        wait_for_infra(down, 0.5, describe="broker", ignore=(UnreachableError,), clock=clock, sleep=clock.sleep)
    assert isinstance(err.value, InfrastructureError) and not isinstance(err.value, AssertionError)
    assert isinstance(err.value.last_state, UnreachableError)


def test_unlisted_errors_propagate_at_once():
    with pytest.raises(KeyError):
        wait_until(lambda: {}["x"], 5)


# --- redaction ---------------------------------------------------------------------------------
def test_redaction_of_headers_bodies_and_text():
    assert redact_headers({"Authorization": "Basic x", "Cookie": "a=b", "Accept": "*/*"}) == {
        "Authorization": "***", "Cookie": "***", "Accept": "*/*"}
    assert redact_value({"username": "qa", "password": "p", "nested": [{"access_token": "t"}]}) == {
        "username": "qa", "password": "***", "nested": [{"access_token": "***"}]}
    assert redact_text("amqp://focus:s3cret@127.0.0.1:5672/") == "amqp://focus:***@127.0.0.1:5672/"
    assert "s3cret" not in redact_text("login failed password=s3cret;")
    assert redact_body(b'{"password": "x"}') == '{"password": "***"}'
    assert redact_body("token: abc") == "token: ***"
    assert redact_body(None) is None


def test_exchange_texts():
    exchange = Exchange("focus-server", "POST", "http://h/configure", {}, '{"a": 1}', 422,
                        response_body='{"detail": []}', duration_s=0.012)
    assert exchange.summary() == "POST http://h/configure -> 422 (12 ms)"
    assert "request body: {\"a\": 1}" in exchange.describe() and "response body" in exchange.describe()
    assert exchange.to_dict()["status"] == 422
    failed = Exchange("x", "GET", "http://h", {}, None, None, error="ConnectionError: refused")
    assert "error: ConnectionError" in failed.summary()


# --- CleanupStack ------------------------------------------------------------------------------
def test_cleanup_runs_newest_first_past_failures_and_summarises():
    stack = CleanupStack()
    ran: list[str] = []
    stack.register("delete job A", lambda: ran.append("A"))
    stack.register("broken undo", lambda: 1 / 0)
    stack.register("delete job B", lambda: ran.append("B"))
    assert stack.pending == ["delete job B", "broken undo", "delete job A"] and len(stack) == 3
    with pytest.raises(CleanupError) as err:
        stack.run_all()
    assert ran == ["B", "A"]
    assert "1 cleanup action(s) failed" in str(err.value) and "broken undo: ZeroDivisionError" in str(err.value)
    assert stack.run_all() == []  # each action runs once


def test_interrupt_sweep_runs_once_and_uninstalls():
    import signal

    calls: list[int] = []
    before = signal.getsignal(signal.SIGINT)
    uninstall = install_interrupt_sweep(lambda: calls.append(1))
    handler = signal.getsignal(signal.SIGINT)
    assert handler is not before
    with pytest.raises(KeyboardInterrupt):
        handler(signal.SIGINT, None)  # what Ctrl-C would do
    assert calls == [1]
    uninstall()
    assert signal.getsignal(signal.SIGINT) is before


def test_the_wait_for_a_refilled_bucket_counts_from_the_last_configure_request():
    from focus_support.scenarios.api import REFILL_MARGIN_S, Limit, wait_for_refilled_bucket

    slept = []
    limit = Limit(capacity=10, refill_per_s=5.0)   # a whole bucket refills in 2 s
    assert wait_for_refilled_bucket(limit, None, clock=lambda: 100.0, sleep=slept.append) == 0.0
    assert wait_for_refilled_bucket(limit, 99.5, clock=lambda: 100.0, sleep=slept.append) == pytest.approx(
        1.5 + REFILL_MARGIN_S)
    assert wait_for_refilled_bucket(limit, 90.0, clock=lambda: 100.0, sleep=slept.append) == 0.0
    assert slept == [pytest.approx(1.5 + REFILL_MARGIN_S)]


@pytest.mark.parametrize("live_prr, raised", [(2000.0, "ProductFailure"), (0.0, "PreconditionNotMetError")])
def test_waiting_for_fibre_is_a_precondition_only_while_the_live_metadata_agrees(monkeypatch, live_prr, raised):
    import json as _json

    import requests

    from focus_support.clients import FocusClient

    def answer(status: int, body: dict) -> requests.Response:
        response = requests.Response()
        response.status_code, response._content = status, _json.dumps(body).encode()
        response.url = "http://focus.test/configure"
        return response

    client = FocusClient("http://focus.test")
    monkeypatch.setattr(client, "get_live_metadata_response", lambda: answer(200, {"prr": live_prr}))
    error = client.waiting_for_fibre_error(answer(503, {"error": "System is waiting for fiber"}))
    assert type(error).__name__ == raised, error
    if raised == "ProductFailure":
        assert "prr 2000 Hz" in str(error) and error.finding.subject == "configure.fibre"
