"""One HTTP client per service over a ``requests.Session``: timeouts, TLS, retries, limits, recording."""
from __future__ import annotations

import json as jsonlib
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import requests
from pydantic import BaseModel, ValidationError

from focus_support.errors import InfraTimeoutError, UnexpectedResponseError, UnreachableError
from focus_support.rate_limiter import RateLimiter
from focus_support.recording import Exchange, Recorder, redact_body, redact_headers
from focus_support.retry import RetryPolicy, call_with_retry

M = TypeVar("M", bound=BaseModel)
_BODY_LIMIT = 64 * 1024
_UNSET: Any = object()


def exchange_of(response: requests.Response) -> Exchange | None:
    """The recorded exchange attached to a response by :class:`ServiceClient`."""
    return getattr(response, "exchange", None)


def describe_response(response: requests.Response) -> str:
    """Method, URL, request body, status and response body, redacted, for failure messages."""
    exchange = exchange_of(response)
    if exchange is not None:
        return exchange.describe()
    request = response.request
    body = request.body if request is not None else None
    return (f"{getattr(request, 'method', '?')} {response.url} -> {response.status_code}\n"
            f"  request body: {redact_body(body)}\n  response body: {redact_body(response.text)}")


def expect_json(response: requests.Response, model: type[M], status: int = 200) -> M:
    """Parse the body into ``model`` when the status matches; otherwise a product finding."""
    if response.status_code != status:
        raise UnexpectedResponseError(
            f"expected HTTP {status}, got {response.status_code}\n{describe_response(response)}", response
        )
    try:
        return model.model_validate(response.json())
    except (ValueError, ValidationError) as exc:
        raise UnexpectedResponseError(
            f"response body does not match {model.__name__}: {exc}\n{describe_response(response)}", response
        ) from exc


class ServiceClient:
    """Base client: every call is rate limited, retried safely, timed out and recorded."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        session: requests.Session | None = None,
        timeout_s: float = 10.0,
        verify: bool | str = True,
        recorder: Recorder | None = None,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/") + "/"
        self.session = session or requests.Session()
        self.session.verify = verify
        self.timeout_s = timeout_s
        self.recorder = recorder or Recorder()
        self.limiter = limiter
        self.retry_policy = retry
        self._sleep = sleep

    def url(self, path: str) -> str:
        """Absolute URL of a path relative to the service root."""
        return self.base_url + path.lstrip("/")  # base always ends in "/"; paths are relative

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = _UNSET,
        data: str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        retry: RetryPolicy | None = None,
        timeout_s: float | None = None,
    ) -> requests.Response:
        """Send one logical request (retried only where safe); connection trouble raises InfrastructureError."""
        method = method.upper()
        url = self.url(path)
        attempts = 0

        def attempt() -> requests.Response:
            nonlocal attempts
            attempts += 1
            return self._send_once(method, url, json, data, headers, params, timeout_s, attempts)

        try:
            return call_with_retry(attempt, retry or self.retry_policy, self._sleep)
        except requests.Timeout as exc:
            raise InfraTimeoutError(f"{self.name}: {method} {url} timed out after {attempts} attempt(s): {exc}") from exc
        except requests.ConnectionError as exc:
            raise UnreachableError(f"{self.name}: {method} {url} unreachable after {attempts} attempt(s): {exc}") from exc

    def raw(self, method: str, path: str, body: Any = None, *, headers: Mapping[str, str] | None = None,
            retry: RetryPolicy | None = None) -> requests.Response:
        """Send a body exactly as given (str/bytes verbatim, else ``json.dumps``): for negative tests."""
        payload = body if isinstance(body, (str, bytes)) or body is None else jsonlib.dumps(body)
        merged = {"Content-Type": "application/json", **(headers or {})}
        return self.request(method, path, data=payload, headers=merged, retry=retry)

    def _send_once(self, method: str, url: str, json: Any, data: Any, headers: Mapping[str, str] | None,
                   params: Mapping[str, Any] | None, timeout_s: float | None, attempt: int) -> requests.Response:
        if self.limiter is not None:
            self.limiter.wait()
        kwargs: dict[str, Any] = {"data": data, "headers": headers, "params": params,
                                  "timeout": timeout_s or self.timeout_s}
        if json is not _UNSET:
            kwargs["json"] = json
        started = time.perf_counter()
        try:
            response = self.session.request(method, url, **kwargs)
        except requests.RequestException as exc:
            request = getattr(exc, "request", None)
            self.recorder.record(Exchange(
                service=self.name, method=method, url=url,
                request_headers=redact_headers(dict(getattr(request, "headers", None) or headers or {})),
                request_body=redact_body(getattr(request, "body", None)), status=None,
                duration_s=time.perf_counter() - started, error=f"{type(exc).__name__}: {exc}", attempt=attempt,
            ))
            raise
        exchange = Exchange(
            service=self.name, method=method, url=response.url,
            request_headers=redact_headers(dict(response.request.headers)),
            request_body=redact_body(response.request.body),
            status=response.status_code,
            response_headers=redact_headers(dict(response.headers)),
            response_body=redact_body(response.content[:_BODY_LIMIT]),
            duration_s=time.perf_counter() - started, attempt=attempt,
        )
        response.exchange = exchange  # type: ignore[attr-defined]
        self.recorder.record(exchange)
        return response

    def close(self) -> None:
        """Close the underlying session."""
        self.session.close()
