"""One HTTP client per service over a ``requests.Session``: timeouts, TLS, retries, limits, recording."""
from __future__ import annotations

import functools
import json as jsonlib
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import requests
from pydantic import BaseModel, ValidationError
from urllib3.exceptions import ProtocolError

from focus_support.clients.source_address import new_session
from focus_support.errors import UnexpectedResponseError, UnreachableError
from focus_support.verdict.findings import Finding, ProductFailure
from focus_support.rate_limiter import RateLimiter
from focus_support.exchanges import Exchange, Recorder, redact_body, redact_headers
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


class MissingFieldError(ProductFailure, KeyError):
    """A product body lacks a field the suite reads: a product finding (and still a KeyError)."""

    def __str__(self) -> str:  # KeyError would print only the repr of the first argument
        return str(self.args[0])


class NotJSONError(ProductFailure, ValueError):
    """A product answered a body that is not JSON: a product finding (and still a ValueError)."""


class ProductBody(dict):
    """A JSON object answered by the product. Reading a key it lacks raises
    :class:`MissingFieldError` naming the exchange, so a missing field is never a suite ``KeyError``."""

    exchange_text: str = ""

    def __missing__(self, key: Any) -> Any:
        raise MissingFieldError(f"expected the field {key!r} in the answer, it has {sorted(self)}"
                                f"{chr(10) + self.exchange_text if self.exchange_text else ''}",
                                Finding("http.body", f"field {key}", (f"missing {key}",)))


def product_json(response: requests.Response, **kwargs: Any) -> Any:
    """``response.json()`` for product answers: objects become :class:`ProductBody`; a body that is
    not JSON raises :class:`NotJSONError` with the exchange."""
    described = describe_response(response)

    def hook(pairs: dict[str, Any]) -> ProductBody:
        body = ProductBody(pairs)
        body.exchange_text = described
        return body

    try:
        return jsonlib.loads(response.content or b"", object_hook=hook, **kwargs)
    except ValueError as exc:
        kind = response.headers.get("Content-Type", "no content type")
        raise NotJSONError(f"expected a JSON body, got {kind} ({exc})\n{described}",
                           Finding("http.body", "json", ("not json",)), response=response) from None


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


def _dropped_after_sending(exc: requests.ConnectionError) -> bool:
    """True when the connection was open and the server dropped it without answering (not refused)."""
    reason = exc.args[0] if exc.args else None
    return isinstance(reason, ProtocolError)


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
        self.session = session or new_session()  # a parallel worker's own address, if it has one
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
        except (requests.ConnectTimeout, requests.exceptions.SSLError) as exc:
            raise UnreachableError(f"{self.name}: {method} {url} unreachable after {attempts} attempt(s): {exc}") from exc
        except requests.ReadTimeout as exc:
            # the server took the request and never answered: the product's failure, not ours
            raise ProductFailure(
                f"expected an answer from {self.name} within {timeout_s or self.timeout_s:g} s; "
                f"{method} {url} got none ({attempts} attempt(s))",
                Finding("http.answer", f"an answer within {timeout_s or self.timeout_s:g} s", ("timeout",))) from exc
        except requests.ConnectionError as exc:
            if _dropped_after_sending(exc):
                raise ProductFailure(
                    f"expected an answer from {self.name}; it closed the connection of {method} {url} "
                    f"without one: {exc}", Finding("http.answer", "an answer", ("connection dropped",))) from exc
            raise UnreachableError(f"{self.name}: {method} {url} unreachable after {attempts} attempt(s): {exc}") from exc
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
            raise ProductFailure(f"{self.name} answered {method} {url} with a broken body: {exc}",
                                 Finding("http.body", "a complete body", ("broken body",))) from exc

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
        # verify per request: requests lets REQUESTS_CA_BUNDLE (set on many CI runners) override a
        # session's CA bundle, which would verify staging's private CA against the wrong store
        kwargs: dict[str, Any] = {"data": data, "headers": headers, "params": params,
                                  "timeout": timeout_s or self.timeout_s, "verify": self.session.verify}
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
        response.json = functools.partial(product_json, response)  # type: ignore[method-assign]
        self.recorder.record(exchange)
        return response

    def close(self) -> None:
        """Close the underlying session."""
        self.session.close()
