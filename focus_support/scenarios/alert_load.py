"""Sustained alert pushes (contract sections 5 and 6; issue 17): nothing lost, nothing doubled.

The deployed Web App answered 429 under about 10 alerts a second. Refusing is allowed; what must
hold is that every push is either accepted (201) and reported exactly once per alert id, or refused
(429, with a Retry-After) and never reported. The loop is bounded by count and time, paces itself
with the suite's rate limiter, sends each push once (a 429 is the answer under test, not something
to wait out), and gives every push its own alert id so reports are matched to pushes by id only.
The ids are registered for deletion before the first push.
"""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from focus_support.context import SuiteContext
from focus_support.exchanges import Recorder
from focus_support.rate_limiter import RateLimiter
from focus_support.retry import NO_RETRY, parse_retry_after
from focus_support.scenario_state import ScenarioState
from focus_support.scenarios import alerts

ACCEPTED, THROTTLED = 201, 429
OVERRUN_S = 10.0   # the loop stops this long after its planned end even if pushes are slow


@dataclass(frozen=True)
class Push:
    """One push and its answer."""

    alert_id: str
    status: int
    retry_after: str | None
    answer: str

    def describe(self) -> str:
        retry = f", Retry-After {self.retry_after!r}" if self.status == THROTTLED else ""
        return f"alert {self.alert_id}: HTTP {self.status}{retry} {self.answer[:160]}"


@dataclass
class PushLoad:
    """Every push of the load, in order."""

    rate_per_s: float
    planned: int
    pushes: list[Push] = field(default_factory=list)
    elapsed_s: float = 0.0

    def with_status(self, status: int) -> list[Push]:
        return [p for p in self.pushes if p.status == status]

    def unexpected(self) -> list[Push]:
        """Pushes answered neither 201 nor 429."""
        return [p for p in self.pushes if p.status not in (ACCEPTED, THROTTLED)]

    def without_retry_after(self) -> list[Push]:
        """429s whose Retry-After is missing or not a number of seconds."""
        return [p for p in self.with_status(THROTTLED) if parse_retry_after(p.retry_after) is None]

    def summary(self) -> str:
        return (f"{len(self.pushes)} of {self.planned} pushes sent in {self.elapsed_s:.1f} s "
                f"(planned {self.rate_per_s:g}/s): {len(self.with_status(ACCEPTED))} accepted, "
                f"{len(self.with_status(THROTTLED))} refused with 429, {len(self.unexpected())} other")


def signed_in_client(suite: SuiteContext, state: ScenarioState) -> Any:
    """A Web App client of its own, signed in as the environment's user, whose exchanges are not
    attached one by one (closed at cleanup)."""
    client = suite.new_web_app()
    client.recorder = Recorder()
    state.cleanup.register("close the load's Web App client", client.close)
    user = suite.environment.web_app.user
    client.login(user.username, user.password)
    return client


def push_steadily(client: Any, rate_per_s: float, duration_s: float, *,
                  remember: Callable[[str], None], clock: Callable[[], float] = time.monotonic) -> PushLoad:
    """Push one valid alert per tick at ``rate_per_s`` for ``duration_s``; ``remember(id)`` runs before each push."""
    load = PushLoad(rate_per_s=rate_per_s, planned=round(rate_per_s * duration_s))
    pacer = RateLimiter(rate_per_s, burst=1)
    started = clock()
    stop_at = started + duration_s + OVERRUN_S
    for _ in range(load.planned):
        if clock() > stop_at:
            break
        pacer.wait()
        alert_id = alerts.new_alert_ids(1)[0]
        remember(alert_id)
        response = client.send_push(alerts.valid_alert([alert_id]), retry=NO_RETRY)
        load.pushes.append(Push(alert_id, response.status_code, response.headers.get("Retry-After"),
                                response.text[:300]))
    load.elapsed_s = clock() - started
    return load


def count_reports(listener: Any, load: PushLoad, deadline_s: float, settle_s: float) -> Counter[str]:
    """Reports per pushed id: wait until every accepted id was reported (or the deadline), then
    ``settle_s`` more so duplicates and reports of refused pushes have time to show."""
    ids = [p.alert_id for p in load.pushes]
    accepted = [p.alert_id for p in load.with_status(ACCEPTED)]
    deadline = time.monotonic() + deadline_s

    def counts() -> Counter[str]:
        return alerts.reports_per_id((m.body for m in listener.messages), ids)

    while any(counts()[i] == 0 for i in accepted):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        listener.poll(min(0.2, remaining))
    listener.collect(settle_s)
    return counts()
