"""The suite's own checks, run at the start of every run: the guards of the seed's infrastructure rows.

The seed's section 1 lists failures that were the test framework's, not the product's (SSH fallback,
request-model validation, config loading, rate-limit handling, broker reconnects). Each run proves
again that those fixes hold, without touching the product: these checks are pure, take milliseconds,
and their results go to the run facts (``reporting.run_facts``) that ``reports/analysis.md`` reads.
The SSH route and the broker reconnects are guarded by the preflight and by the run itself.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import requests

from focus_support.config.declarations import load_declared_environments, load_problems
from focus_support.models import ConfigureRequest, ViewType, build_configure_request
from focus_support import retry
from focus_support.retry import RetryPolicy, call_with_retry

CONFIG_LOADING = "Config Loading"
PYDANTIC_VALIDATION = "Pydantic Validation"
RATE_LIMITING = "Rate Limiting"


@dataclass(frozen=True)
class SelfCheck:
    """One check of the suite itself, for one row of the seed's summary table."""

    row: str
    name: str
    passed: bool
    detail: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _environments() -> tuple[bool, str]:
    declared = load_declared_environments()
    problems = load_problems(declared)
    if problems:
        return False, "; ".join(problems)
    return True, f"{len(declared.names)} declared environments load ({', '.join(declared.names)})"


def _request_model() -> tuple[bool, str]:
    waterfall = build_configure_request(ViewType.WATERFALL).to_wire()
    wrong = [k for k in ("displayTimeAxisDuration", "frequencyRange") if k in waterfall]
    if wrong or waterfall.get("nfftSelection", 1) != 1:
        return False, f"the factory's waterfall request carries {wrong or 'nfftSelection != 1'}"
    try:
        ConfigureRequest.model_validate({**waterfall, "displayTimeAxisDuration": 30})
    except ValueError:
        pass
    else:
        return False, "the request model accepts a waterfall request with displayTimeAxisDuration"
    multichannel = build_configure_request(ViewType.MULTICHANNEL).to_wire()
    missing = [k for k in ("displayTimeAxisDuration", "frequencyRange", "nfftSelection") if k not in multichannel]
    if missing:
        return False, f"the factory's multichannel request lacks {missing}"
    return True, "the factory builds waterfall requests without the fields waterfall forbids; the model refuses them"


def _fake(status: int, method: str, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    response.request = requests.Request(method, "http://self-check.invalid/configure").prepare()
    return response


def _retry_after() -> tuple[bool, str]:
    slept: list[float] = []
    answers = iter([_fake(429, "POST", {"Retry-After": "2"}), _fake(200, "POST")])
    outcome = call_with_retry(lambda: next(answers), RetryPolicy(max_retries=2), slept.append)
    if outcome.status_code != 200 or slept != [2.0]:
        return False, f"a 429 with Retry-After 2 was followed by waits {slept} and status {outcome.status_code}"
    sent: list[int] = []

    def failing_post() -> requests.Response:
        sent.append(1)
        return _fake(503, "POST")

    call_with_retry(failing_post, RetryPolicy(max_retries=3), slept.append)
    if len(sent) != 1:
        return False, f"a POST answered 503 was sent {len(sent)} times (never replay a non-idempotent request)"
    return True, "Retry-After is honoured to the second; a POST is never replayed after a 5xx"


CHECKS: tuple[tuple[str, str, Callable[[], tuple[bool, str]]], ...] = (
    (CONFIG_LOADING, "every declared environment loads", _environments),
    (PYDANTIC_VALIDATION, "the request factory and model keep the waterfall rules", _request_model),
    (RATE_LIMITING, "the client honours Retry-After and never replays a POST", _retry_after),
)


def run_self_checks() -> list[SelfCheck]:
    """Every check; a check that raises is a failed check naming the error (never a crash of the run)."""
    saved = retry.ThrottleStats(**retry.STATS.to_dict())  # the checks' fake 429s are not the run's
    results = []
    for row, name, check in CHECKS:
        try:
            passed, detail = check()
        except Exception as exc:  # a self-check must report, not stop the run: its failure is the finding
            passed, detail = False, f"{type(exc).__name__}: {exc}"
        results.append(SelfCheck(row, name, passed, detail))
    for key, value in saved.to_dict().items():
        setattr(retry.STATS, key, value)
    return results
