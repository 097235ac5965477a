"""Record every HTTP exchange for the report, with secrets redacted.

A :class:`Recorder` keeps the current scenario's exchanges and tells its listeners about each one
as it happens (the reporting code subscribes with :meth:`Recorder.add_listener` to attach them to
Allure). It is owned by the suite context, not a module global, so runs cannot leak into each other.
"""
from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

log = logging.getLogger(__name__)

REDACTED = "***"
_SECRET_HEADERS = {"authorization", "cookie", "set-cookie", "proxy-authorization", "x-api-key"}
_SECRET_KEYS = re.compile(r"pass(word)?|secret|token|authori[sz]ation|cookie|api[_-]?key", re.I)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")
_TEXT_SECRETS = re.compile(
    r'("?(?:password|passwd|secret|token|access-token|access_token|api_key)"?\s*[:=]\s*"?)([^",;&\s}]+)', re.I
)


def redact_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """Copy headers with credentials and cookies replaced."""
    return {k: (REDACTED if k.lower() in _SECRET_HEADERS else v) for k, v in (headers or {}).items()}


def redact_value(value: Any) -> Any:
    """Copy a JSON value with secret-looking keys replaced, recursively."""
    if isinstance(value, dict):
        return {k: (REDACTED if isinstance(k, str) and _SECRET_KEYS.search(k) else redact_value(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_text(text: str) -> str:
    """Mask passwords in URLs and ``password=...``/``"token": "..."`` shapes inside free text."""
    return _TEXT_SECRETS.sub(lambda m: m.group(1) + REDACTED, _URL_PASSWORD.sub(r"\1" + REDACTED + "@", text))


def redact_body(body: bytes | str | None) -> str | None:
    """Body as redacted text: JSON is parsed and masked by key, anything else by pattern."""
    if body is None:
        return None
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        return json.dumps(redact_value(json.loads(text)), ensure_ascii=False)
    except ValueError:
        return redact_text(text)


@dataclass(frozen=True)
class Exchange:
    """One request and its response (or the error that replaced it), already redacted."""

    service: str
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None
    status: int | None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str | None = None
    duration_s: float = 0.0
    error: str | None = None
    attempt: int = 1

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON attachments."""
        return asdict(self)

    def summary(self) -> str:
        """One line: ``POST url -> 200 (12 ms)``."""
        outcome = self.status if self.status is not None else f"error: {self.error}"
        return f"{self.method} {self.url} -> {outcome} ({self.duration_s * 1000:.0f} ms)"

    def describe(self, limit: int = 2000) -> str:
        """Multi-line text for failure messages: request and response with bodies."""
        lines = [self.summary()]
        if self.request_body:
            lines.append(f"  request body: {self.request_body[:limit]}")
        if self.response_body is not None:
            lines.append(f"  response body: {self.response_body[:limit]}")
        return "\n".join(lines)


Listener = Callable[[Exchange], None]


class Recorder:
    """Per-scenario list of exchanges plus listeners notified of each new one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._exchanges: list[Exchange] = []
        self._listeners: list[Listener] = []

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(exchange)`` for every exchange recorded from now on."""
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Stop notifying ``listener``."""
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def record(self, exchange: Exchange) -> None:
        """Keep the exchange and notify listeners; a failing listener never breaks the request."""
        with self._lock:
            self._exchanges.append(exchange)
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(exchange)
            except Exception:  # reporting must not turn into a test failure
                log.exception("exchange listener %r failed", listener)

    @property
    def exchanges(self) -> list[Exchange]:
        """Exchanges recorded since the last :meth:`reset`."""
        with self._lock:
            return list(self._exchanges)

    @property
    def last(self) -> Exchange | None:
        """The most recent exchange, if any."""
        with self._lock:
            return self._exchanges[-1] if self._exchanges else None

    def reset(self) -> list[Exchange]:
        """Start a new scenario; return what the previous one recorded."""
        with self._lock:
            done, self._exchanges = self._exchanges, []
        return done
