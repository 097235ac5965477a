"""``retry_with_backoff``: bounded exponential backoff with jitter that honours ``Retry-After``.

Only safe repetitions happen: a 429 (the server did not process the request) is retried for any
method; connection failures, timeouts and 502/503/504 only for idempotent methods. A ``POST
/configure`` is therefore never replayed after a 5xx or a lost connection (a replay could create a
duplicate job). Built on tenacity; the decision rules are :func:`classify`.
"""
from __future__ import annotations

import email.utils
import functools
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar, overload

import requests
import tenacity
from tenacity import RetryCallState

from focus_support.errors import ThrottledError

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
RETRYABLE_IDEMPOTENT_STATUSES = frozenset({502, 503, 504})
F = TypeVar("F", bound=Callable[..., Any])


class RetryableError(Exception):
    """Raise from a wrapped function to ask for a retry, optionally after ``retry_after_s``."""

    def __init__(self, message: str, retry_after_s: float | None = None, throttled: bool = False) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.throttled = throttled


@dataclass(frozen=True)
class Decision:
    """Whether to try again, how long the server asked us to wait, and whether it throttled us."""

    retry: bool
    retry_after_s: float | None = None
    throttled: bool = False


@dataclass(frozen=True)
class RetryPolicy:
    """The knobs of :func:`retry_with_backoff`, as one value a client can carry."""

    max_retries: int = 5
    initial_delay: float = 1.0
    max_delay: float = 60.0
    backoff_factor: float = 2.0
    jitter: float = 0.5


NO_RETRY = RetryPolicy(max_retries=0)


@dataclass
class ThrottleStats:
    """How this process's clients met throttling, for the run's analysis ("Rate Limiting" row)."""

    throttled: int = 0           # 429 answers that were retried
    waited_as_told: int = 0      # ... after waiting exactly the Retry-After
    waited_less: int = 0         # ... where Retry-After exceeded max_delay (not honoured in full)
    backed_off: int = 0          # ... without Retry-After: exponential backoff with jitter
    replays_refused: int = 0     # failed non-idempotent requests that were deliberately not sent again

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


STATS = ThrottleStats()


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (integer seconds or an HTTP date); None if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _method_of(obj: Any) -> str:
    request = getattr(obj, "request", None)
    return (getattr(request, "method", None) or "").upper()


def classify_response(response: requests.Response) -> Decision:
    """Retry a 429 always; a 502/503/504 only when the request was idempotent."""
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if response.status_code == 429:
        return Decision(True, retry_after, throttled=True)
    if response.status_code in RETRYABLE_IDEMPOTENT_STATUSES and _method_of(response) in IDEMPOTENT_METHODS:
        return Decision(True, retry_after)
    return Decision(False)


def classify(outcome: BaseException | Any) -> Decision:
    """The retry decision for a raised exception or a returned value."""
    if isinstance(outcome, RetryableError):
        return Decision(True, outcome.retry_after_s, outcome.throttled)
    if isinstance(outcome, requests.HTTPError) and outcome.response is not None:
        return classify_response(outcome.response)
    if isinstance(outcome, (requests.ConnectionError, requests.Timeout)):
        # requests attaches the prepared request: only idempotent ones may be sent again.
        return Decision(_method_of(outcome) in IDEMPOTENT_METHODS)
    if isinstance(outcome, requests.Response):
        return classify_response(outcome)
    return Decision(False)


def _decision(state: RetryCallState) -> Decision:
    outcome = state.outcome
    assert outcome is not None
    return classify(outcome.exception() if outcome.failed else outcome.result())


class _Wait(tenacity.wait.wait_base):
    """``Retry-After`` when given, else exponential with jitter; never more than ``max_delay``."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.backoff = tenacity.wait_exponential_jitter(
            initial=policy.initial_delay, max=policy.max_delay, exp_base=policy.backoff_factor, jitter=policy.jitter
        )

    def __call__(self, retry_state: RetryCallState) -> float:
        decision = _decision(retry_state)
        retry_after = decision.retry_after_s
        delay = retry_after if retry_after is not None else self.backoff(retry_state)
        if decision.throttled:
            STATS.throttled += 1
            if retry_after is None:
                STATS.backed_off += 1
            elif retry_after <= self.policy.max_delay:
                STATS.waited_as_told += 1
            else:
                STATS.waited_less += 1
        return min(delay, self.policy.max_delay)


def _give_up(state: RetryCallState) -> Any:
    outcome = state.outcome
    assert outcome is not None
    decision = _decision(state)
    if outcome.failed:
        exc = outcome.exception()
        if decision.throttled:
            raise ThrottledError(f"still throttled after {state.attempt_number} attempts, each after waiting as "
                                 f"told: {exc}") from exc
        raise exc  # type: ignore[misc]
    result = outcome.result()
    if decision.throttled:
        raise ThrottledError(
            f"{_method_of(result)} {getattr(result, 'url', '')} still answered 429 after "
            f"{state.attempt_number} attempts, each after waiting as its Retry-After told "
            f"(expected: served again once the advised wait had passed)", response=result)
    return result


def build_retrying(policy: RetryPolicy, sleep: Callable[[float], None] = time.sleep,
                   before_sleep: Callable[[RetryCallState], None] | None = None) -> tenacity.Retrying:
    """A tenacity ``Retrying`` implementing the policy and the safety rules above."""
    if policy.max_retries <= 0:  # one attempt, outcome returned as-is (rate-limit scenarios want the 429)
        return tenacity.Retrying(retry=tenacity.retry_never, reraise=True)
    return tenacity.Retrying(
        retry=tenacity.retry_if_exception(lambda e: classify(e).retry)
        | tenacity.retry_if_result(lambda r: classify(r).retry),
        stop=tenacity.stop_after_attempt(policy.max_retries + 1),
        wait=_Wait(policy),
        sleep=sleep,
        before_sleep=before_sleep,
        retry_error_callback=_give_up,
    )


def _refused_replay(outcome: Any) -> bool:
    """A failure that would have been retried for an idempotent method but was not, being a POST etc."""
    method = _method_of(outcome)
    if not method or method in IDEMPOTENT_METHODS:
        return False
    if isinstance(outcome, (requests.ConnectionError, requests.Timeout)):
        return True
    return isinstance(outcome, requests.Response) and outcome.status_code in RETRYABLE_IDEMPOTENT_STATUSES


def call_with_retry(fn: Callable[[], Any], policy: RetryPolicy, sleep: Callable[[float], None] = time.sleep) -> Any:
    """Call ``fn`` under the policy; the common first-try success skips the retry machinery entirely."""
    try:
        first: Any = fn()
        failed = False
    except Exception as exc:  # classified below; anything not retryable is re-raised unchanged
        first, failed = exc, True
    if policy.max_retries <= 0 or not classify(first).retry:
        if _refused_replay(first):
            STATS.replays_refused += 1
        if failed:
            raise first
        return first
    replay = [first]

    def replay_then_call() -> Any:
        # tenacity sees the first outcome again (no second request), then waits before trying anew
        if replay:
            outcome = replay.pop()
            if failed and outcome is first:
                raise outcome
            return outcome
        return fn()

    return build_retrying(policy, sleep)(replay_then_call)


@overload
def retry_with_backoff(func: F) -> F: ...
@overload
def retry_with_backoff(func: None = None, **kwargs: Any) -> Callable[[F], F]: ...


def retry_with_backoff(
    func: Callable[..., Any] | None = None,
    *,
    max_retries: int = 5,
    initial_delay: float = 1.0,
    max_delay: float = 60.0,
    backoff_factor: float = 2.0,
    jitter: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """Decorator: retry safe failures (see module doc) with bounded backoff; 429s beyond it raise ThrottledError."""
    policy = RetryPolicy(max_retries, initial_delay, max_delay, backoff_factor, jitter)

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return call_with_retry(lambda: fn(*args, **kwargs), policy, sleep)

        wrapper.retry_policy = policy  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate(func) if func is not None else decorate


def policy_kwargs(policy: RetryPolicy) -> dict[str, Any]:
    """The policy as keyword arguments of :func:`retry_with_backoff`."""
    return asdict(policy)
