"""Health probe and rate limiting as the API features see them (contract sections 2 and 5, seed 1.4).

Requests whose answer is the subject of a scenario are sent once, with no retry (``NO_RETRY``), so
that a 429 reaches the step instead of being absorbed by the client's safe-retry policy.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests

from focus_support.config.models import RateLimitExpectation
from focus_support.errors import PreconditionNotMetError
from focus_support.retry import NO_RETRY, parse_retry_after
from focus_support.scenario_state import ScenarioState
from focus_support.scenarios import notes_of

THROTTLED = 429
# A body the server rejects: it costs a token (the limit counts requests) but never starts a job.
DRAIN_BODY: dict[str, Any] = {}


@dataclass(frozen=True)
class Limit:
    """The rate limit the environment says /configure enforces."""

    capacity: int
    refill_per_s: float


@dataclass
class Burst:
    """Answers to the requests of a burst, in the order sent."""

    responses: list[requests.Response] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def throttled(self) -> list[requests.Response]:
        """The 429 answers."""
        return [r for r in self.responses if r.status_code == THROTTLED]

    @property
    def served(self) -> list[requests.Response]:
        """Every answer that was not a 429."""
        return [r for r in self.responses if r.status_code != THROTTLED]

    def statuses(self) -> list[int]:
        """Status codes in order, for failure messages."""
        return [r.status_code for r in self.responses]


@dataclass
class ApiNotes:
    """What the API steps of one scenario hand each other."""

    limit: Limit | None = None
    burst: Burst = field(default_factory=Burst)
    drain: Burst = field(default_factory=Burst)
    channels: dict[str, Any] = field(default_factory=dict)
    jobs_before: set[str] = field(default_factory=set)
    configured_ids: list[str] = field(default_factory=list)


def expected_limit(expectation: RateLimitExpectation) -> Limit:
    """The environment's rate limit; unknown (staging) is an unmet precondition, not a finding."""
    if not expectation.capacity or not expectation.refill_per_s:
        raise PreconditionNotMetError("the environment names no rate limit for /configure "
                                      "(rate_limit.capacity and refill_per_s in config/environments.yaml)")
    return Limit(expectation.capacity, expectation.refill_per_s)


def send_once(client: Any, method: str, path: str) -> requests.Response:
    """One request with no retry at all, so its answer is exactly what the server said."""
    return client.request(method, path, retry=NO_RETRY)


def configure_once(client: Any, body: dict[str, Any]) -> requests.Response:
    """One ``POST /configure`` with no retry (a 429 is returned, not waited out)."""
    return client.send_configure(body, retry=NO_RETRY)


BURST_HARD_CAP = 60       # requests; bounds a burst against a server that never throttles
BURST_DEADLINE_S = 30.0


WAVE_MARGIN = 5           # requests beyond a full bucket in the opening wave
WAVE_THREADS_MAX = 32


def send_at_once(client: Any, body: dict[str, Any], count: int) -> tuple[list[requests.Response], list[BaseException]]:
    """``count`` configure requests sent at the same moment (a thread each, no retry): the answers in
    the order sent, and what raised instead of answering."""
    with ThreadPoolExecutor(max_workers=min(count, WAVE_THREADS_MAX), thread_name_prefix="burst") as pool:
        futures = [pool.submit(configure_once, client, body) for _ in range(count)]
    answers = [f.result() for f in futures if f.exception() is None]
    return answers, [error for f in futures if (error := f.exception()) is not None]


def burst_until_throttled(client: Any, body: dict[str, Any], limit: Limit,
                          on_response: Callable[[requests.Response], Any] = lambda _: None) -> Burst:
    """Send a full bucket and a few more configure requests at once, then more back to back, until one
    is throttled or the bucket is surely exceeded.

    At once, because the server charges a request when it arrives: sent one after another, each
    waiting for its job to start, a loaded machine gives the bucket time to refill and a correct
    server never needs to throttle. The back-to-back tail goes on until more than a full bucket plus
    the refill of the time taken was sent (then a correct server must have throttled), bounded by a
    count and a deadline. ``on_response`` sees every answer (e.g. to register the job an accepted one
    started); a request that raised is raised after the others' answers were seen.
    """
    result = Burst()
    started = time.monotonic()
    wave, failed = send_at_once(client, body, min(limit.capacity + WAVE_MARGIN, BURST_HARD_CAP))
    for response in wave:
        on_response(response)
        result.responses.append(response)
    result.elapsed_s = time.monotonic() - started
    if failed:
        raise failed[0]
    return _one_by_one_until_throttled(client, body, limit, result, started, on_response)


def _one_by_one_until_throttled(client: Any, body: dict[str, Any], limit: Limit, result: Burst, started: float,
                                on_response: Callable[[requests.Response], Any] = lambda _: None) -> Burst:
    """Send back to back until one is throttled or the bucket is surely exceeded (more than a full
    bucket plus the refill of the time taken), bounded by a count and a deadline."""
    while (not result.throttled and len(result.responses) <= allowed_in(limit, result.elapsed_s)
           and len(result.responses) < BURST_HARD_CAP and result.elapsed_s < BURST_DEADLINE_S):
        response = configure_once(client, body)
        on_response(response)
        result.responses.append(response)
        result.elapsed_s = time.monotonic() - started
    return result


def allowed_in(limit: Limit, elapsed_s: float) -> int:
    """Most requests a token bucket may serve in ``elapsed_s`` starting full: capacity plus the refill."""
    return limit.capacity + math.ceil(elapsed_s * limit.refill_per_s)


def drain(client: Any, limit: Limit) -> Burst:
    """Use up the client's tokens with rejected requests (they never start a job) until throttled."""
    return burst_until_throttled(client, DRAIN_BODY, limit)


def drain_one_by_one(client: Any, limit: Limit) -> Burst:
    """Requests refused at once (they start nothing), one after another, until one is throttled:
    after a bucket was just used down it takes a few, and the 429 comes milliseconds before
    whatever is sent next (no thread pool to wind down, as after a wave). Bounded as the burst's
    tail is, for a server that stopped throttling."""
    return _one_by_one_until_throttled(client, DRAIN_BODY, limit, Burst(), time.monotonic())


REFILL_ATTEMPTS = 5  # valid requests sent right after a drain ended throttled


def throttled_after_drain(send: Callable[[], requests.Response], drained: Burst,
                          redrain: Callable[[], Burst]) -> list[requests.Response]:
    """Send a valid request right after a drain; while it is accepted, drain again and send another.
    Returns the valid requests' answers, in order; the last is the one to judge.

    The bucket refills continuously: a drain ending in a 429 leaves less than one token, but a
    fraction of one may complete before the next request arrives (a 429 costs no token), so one
    acceptance right after a drain is the token bucket working, not a finding. Nor is a second valid
    request sent at once a fair test: an accepted one answers only once its job is started, and at 10
    tokens a second a 0.2 s answer brings two new tokens. So each acceptance is followed by another
    drain with requests refused at once (milliseconds each, see ``drain_one_by_one``), and the next
    valid request follows the drain's 429 at once: a correct server lets it in only on the last
    fraction of a token (a few milliseconds' refill), so it
    throttles one of ``REFILL_ATTEMPTS`` of them; a server that accepts them all is the finding. A
    drain that is not throttled (a server that stopped throttling) ends the loop: the last answer is
    judged as it is; so is the one request after a first drain that was never throttled.
    """
    answers = [send()]
    if not drained.throttled:
        return answers
    while answers[-1].status_code != THROTTLED and len(answers) < REFILL_ATTEMPTS:
        if not redrain().throttled:
            break
        answers.append(send())
    return answers


def retry_after_s(response: requests.Response) -> float | None:
    """Seconds the ``Retry-After`` header asks for, or None when absent or unreadable."""
    return parse_retry_after(response.headers.get("Retry-After"))


def honour_retry_after(response: requests.Response, fallback_s: float) -> float:
    """Wait as a throttled answer told us (``fallback_s`` without a header); returns the seconds waited.

    This is not waiting for a condition: the server stated the time after which it serves again,
    and the contract requires clients to wait exactly that long rather than probe (each probe would
    spend a token).
    """
    delay = retry_after_s(response)
    delay = fallback_s if delay is None else delay
    time.sleep(delay)
    return delay


REFILL_MARGIN_S = 0.2


def wait_for_refilled_bucket(limit: Limit, last_sent_at: float | None,
                             clock: Callable[[], float] = time.monotonic,
                             sleep: Callable[[float], None] = time.sleep) -> float:
    """Wait until this client's bucket is full again: a whole bucket's refill time after its last
    configure request (plus a small margin); returns the seconds waited.

    Like Retry-After, a stated time and not a condition to poll: the bucket's level cannot be read
    without spending a token.
    """
    if last_sent_at is None or limit.refill_per_s <= 0:
        return 0.0
    remaining = limit.capacity / limit.refill_per_s + REFILL_MARGIN_S - (clock() - last_sent_at)
    if remaining <= 0:
        return 0.0
    sleep(remaining)
    return remaining


def is_integer_seconds(value: str | None) -> bool:
    """True for a ``Retry-After`` of whole seconds, at least 1 (the form the contract names)."""
    return value is not None and value.strip().isdigit() and int(value) >= 1


@dataclass
class ThrottleNotes:
    """The latest 429 a scenario received, so the recovery fixture can wait as it told."""

    last: requests.Response | None = None


def remember_throttle(state: ScenarioState, response: requests.Response) -> None:
    """Record a 429 as the scenario's latest throttled answer."""
    notes_of(state, ThrottleNotes).last = response


def last_throttle(state: ScenarioState) -> requests.Response | None:
    """The scenario's latest 429, if any."""
    return notes_of(state, ThrottleNotes).last


def recover(state: ScenarioState, expectation: RateLimitExpectation) -> float:
    """After a scenario that was throttled, wait as the last 429 told, so the next one starts with tokens."""
    response = last_throttle(state)
    if response is None:
        return 0.0
    fallback = 1.0 / expectation.refill_per_s if expectation.refill_per_s else 1.0
    return honour_retry_after(response, fallback)
