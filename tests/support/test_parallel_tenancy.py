"""What lets parallel workers share one environment: the run's job ledger, a worker's source
address, and rate-limit steps that do not depend on when the token bucket refills."""
from __future__ import annotations

import http.server
import socketserver
import threading
from dataclasses import dataclass

import pytest

from focus_support import run_ledger
from focus_support.clients.source_address import new_session
from focus_support.scenarios.api import THROTTLED, Burst, Limit, throttled_after_drain


# --- the ledger ------------------------------------------------------------------------------------
def test_without_a_ledger_only_the_processs_own_jobs_are_explained(monkeypatch):
    monkeypatch.delenv(run_ledger.ENV_VAR, raising=False)
    run_ledger.publish("1-1")  # no ledger: nothing to write, nothing raised
    names = ["grpc-job-1-1", "grpc-service-1-2", "queue/grpc-job-1-3-1733.1", "something-else"]
    assert run_ledger.unexplained(names, own=["1-1"]) == ["grpc-service-1-2", "queue/grpc-job-1-3-1733.1",
                                                           "something-else"]


def test_jobs_another_worker_published_are_explained(monkeypatch, tmp_path):
    monkeypatch.setenv(run_ledger.ENV_VAR, str(tmp_path / "jobs.ledger"))
    run_ledger.publish("7-1")
    run_ledger.publish("7-2")
    assert run_ledger.known_job_ids() == {"7-1", "7-2"}
    names = ["grpc-job-7-1", "cleanup-job-7-2", "grpc-job-9-9"]
    assert run_ledger.unexplained(names, settle_s=0.2) == ["grpc-job-9-9"]


def test_an_id_published_a_moment_late_is_waited_for(monkeypatch, tmp_path):
    monkeypatch.setenv(run_ledger.ENV_VAR, str(tmp_path / "jobs.ledger"))
    timer = threading.Timer(0.3, run_ledger.publish, args=("8-1",))
    timer.start()
    try:
        assert run_ledger.unexplained(["grpc-job-8-1", "grpc-service-8-1"], settle_s=3.0) == []
    finally:
        timer.cancel()


def test_a_stray_stays_unexplained_after_the_settle_time(monkeypatch, tmp_path):
    monkeypatch.setenv(run_ledger.ENV_VAR, str(tmp_path / "jobs.ledger"))
    assert run_ledger.unexplained(["grpc-job-5-5"], settle_s=0.2) == ["grpc-job-5-5"]


def test_the_job_tracker_publishes_every_job_once(monkeypatch, tmp_path):
    from focus_support.cleanup import JobTracker

    ledger = tmp_path / "jobs.ledger"
    monkeypatch.setenv(run_ledger.ENV_VAR, str(ledger))
    tracker = JobTracker(focus=None, k8s=None)
    for job_id in ("3-1", "3-2", "3-1"):
        tracker.register(job_id)
    assert ledger.read_text().split() == ["3-1", "3-2"]


# --- the source address ----------------------------------------------------------------------------
def test_a_worker_connects_from_its_own_loopback_address(monkeypatch):
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            seen.append(self.client_address[0])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    with socketserver.TCPServer(("127.0.0.1", 0), Handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        monkeypatch.setenv("FOCUS_CLIENT_SOURCE_ADDRESS", "127.0.0.12")
        new_session().get(url, timeout=5)
        monkeypatch.delenv("FOCUS_CLIENT_SOURCE_ADDRESS")
        new_session().get(url, timeout=5)
        server.shutdown()
    assert seen == ["127.0.0.12", "127.0.0.1"]


# --- a throttled request after a drain, whatever the refill timing --------------------------------
@dataclass
class Answer:
    status_code: int


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


DRAINED = Burst(responses=[Answer(400)] * 5 + [Answer(THROTTLED)])  # type: ignore[list-item]
NEVER_THROTTLED = Burst(responses=[Answer(400)] * 8)  # type: ignore[list-item]


def _sender(codes: list[int]):
    answers = iter(codes)
    return lambda: Answer(next(answers))


class Redrains:
    """A stand-in for draining again: counts the drains and answers each with the given burst."""

    def __init__(self, burst: Burst = DRAINED) -> None:
        self.burst, self.count = burst, 0

    def __call__(self) -> Burst:
        self.count += 1
        return self.burst


def test_the_request_right_after_the_drain_is_judged_when_throttled():
    redrain = Redrains()
    answers = throttled_after_drain(_sender([THROTTLED]), DRAINED, redrain)
    assert [a.status_code for a in answers] == [THROTTLED] and redrain.count == 0


def test_an_acceptance_is_followed_by_a_new_drain_and_the_throttled_request():
    redrain = Redrains()
    answers = throttled_after_drain(_sender([200, THROTTLED]), DRAINED, redrain)
    assert [a.status_code for a in answers] == [200, THROTTLED] and redrain.count == 1


def test_a_server_that_lets_every_request_after_a_drain_in_stays_the_finding():
    answers = throttled_after_drain(_sender([200] * 10), DRAINED, Redrains())
    assert len(answers) == 5 and answers[-1].status_code == 200


def test_a_drain_that_is_no_longer_throttled_ends_the_loop_with_the_answer_as_it_is():
    redrain = Redrains(NEVER_THROTTLED)
    answers = throttled_after_drain(_sender([200, THROTTLED]), DRAINED, redrain)
    assert [a.status_code for a in answers] == [200] and redrain.count == 1


def test_without_a_throttled_drain_the_one_request_is_judged_as_it_is():
    redrain = Redrains()
    answers = throttled_after_drain(_sender([200, THROTTLED]), NEVER_THROTTLED, redrain)
    assert [a.status_code for a in answers] == [200] and redrain.count == 0


@pytest.mark.parametrize("client_s", [0.0, 0.005, 0.03])
@pytest.mark.parametrize("refill_per_s", [5.0, 10.0, 20.0])
@pytest.mark.parametrize("gap_s", [0.0, 0.004, 0.05, 0.3])
def test_a_token_bucket_server_ends_the_step_throttled_however_slowly_it_starts_jobs(monkeypatch, gap_s,
                                                                                      refill_per_s, client_s):
    """The flake of record, and its sequel at 10 tokens a second: whatever fraction of a token
    refilled before the valid request, however many tokens came while its job started (0.3 s), and
    however long the client takes between a drain's 429 and the valid request (``client_s``), a
    correct token bucket (the sandbox's own) leaves the judged request throttled. (The limit: a
    client that takes a whole token's refill between a 429 and its next request - 100 ms at the
    sandbox's 10 a second - cannot show any bucket throttling a lone request.)"""
    import focus_sandbox.server.ratelimit as ratelimit
    from focus_sandbox.server.ratelimit import TokenBucket

    clock = Clock()
    monkeypatch.setattr(ratelimit.time, "monotonic", clock)
    bucket = TokenBucket(capacity=5, refill_per_s=refill_per_s)

    def refused_at_once() -> Answer:
        clock.now += 0.003
        return Answer(THROTTLED if bucket.take("client") else 400)

    def drain() -> Burst:
        burst = Burst()
        while not burst.throttled:
            burst.responses.append(refused_at_once())  # type: ignore[arg-type]
        return burst

    def valid() -> Answer:
        clock.now += client_s  # the client's own time between the drain's answer and this request's arrival
        granted = not bucket.take("client")
        clock.now += 0.3 if granted else 0.003  # an accepted request answers once its job started
        return Answer(200 if granted else THROTTLED)

    first = drain()
    clock.now += gap_s
    answers = throttled_after_drain(valid, first, drain)
    assert answers[-1].status_code == THROTTLED, [a.status_code for a in answers]


# --- a burst beyond the limit, however slowly the server answers ---------------------------------
class SlowBucketServer:
    """A client whose server charges a token bucket when a request arrives and then takes 0.3 s of its
    (fake) clock to answer: sent one after another, the bucket refills faster than it empties."""

    def __init__(self, limit: Limit, wave: int) -> None:
        self.limit, self.clock = limit, Clock()
        self.tokens, self.stamp = float(limit.capacity), 0.0
        self.lock = threading.Lock()
        self.arrived = threading.Barrier(wave, timeout=10)  # every request of the wave arrives first

    def send_configure(self, body, retry=None):
        with self.lock:
            self.tokens = min(self.limit.capacity, self.tokens + (self.clock.now - self.stamp) * self.limit.refill_per_s)
            self.stamp = self.clock.now
            granted = self.tokens >= 1
            self.tokens -= 1 if granted else 0
        if not self.arrived.broken:
            try:
                self.arrived.wait()
            except threading.BrokenBarrierError:
                pass  # the back-to-back tail: nobody else will arrive
        with self.lock:
            self.clock.now += 0.3
        return Answer(200 if granted else THROTTLED)


def test_a_burst_is_throttled_even_when_each_request_takes_longer_than_a_refill(monkeypatch):
    from focus_support.scenarios import api

    limit = Limit(capacity=10, refill_per_s=5.0)
    server = SlowBucketServer(limit, wave=limit.capacity + api.WAVE_MARGIN)
    monkeypatch.setattr(api.time, "monotonic", server.clock)
    seen = []
    burst = api.burst_until_throttled(server, {}, limit, seen.append)
    assert len(burst.throttled) == api.WAVE_MARGIN and len(burst.served) == limit.capacity
    assert len(seen) == len(burst.responses) == limit.capacity + api.WAVE_MARGIN


def test_a_server_that_never_throttles_is_caught_by_the_burst(monkeypatch):
    from focus_support.scenarios import api

    class NeverThrottles:
        def send_configure(self, body, retry=None):
            return Answer(200)

    burst = api.burst_until_throttled(NeverThrottles(), {}, Limit(capacity=10, refill_per_s=5.0))
    assert not burst.throttled
    assert len(burst.served) > api.allowed_in(Limit(capacity=10, refill_per_s=5.0), burst.elapsed_s)


def test_draining_one_by_one_stops_at_the_first_429_and_sends_only_refused_requests():
    from focus_support.scenarios import api

    class FewTokensLeft:
        def __init__(self) -> None:
            self.bodies, self.codes = [], iter([400, 400, THROTTLED, 400])

        def send_configure(self, body, retry=None):
            self.bodies.append(body)
            return Answer(next(self.codes))

    client = FewTokensLeft()
    burst = api.drain_one_by_one(client, Limit(capacity=20, refill_per_s=10.0))
    assert [r.status_code for r in burst.responses] == [400, 400, THROTTLED]
    assert client.bodies == [api.DRAIN_BODY] * 3, "only the body every server refuses at once"


def test_draining_one_by_one_gives_up_on_a_server_that_never_throttles():
    from focus_support.scenarios import api

    class NeverThrottles:
        def send_configure(self, body, retry=None):
            return Answer(400)

    limit = Limit(capacity=20, refill_per_s=10.0)
    burst = api.drain_one_by_one(NeverThrottles(), limit)
    assert not burst.throttled and len(burst.responses) == api.allowed_in(limit, burst.elapsed_s) + 1
