"""Evidence attached to the Allure step that is running when it happens, always redacted.

Every function is safe to call outside a behave run or between steps: then it does nothing. Each
one's first argument shapes are plain values, so the clients can call them without knowing Allure.
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, is_dataclass
from typing import Any, Mapping

from allure_commons.types import AttachmentType
from allure_commons.utils import uuid4

from focus_support.reporting.redaction import redact

log = logging.getLogger(__name__)
MAX_TEXT = 200_000      # characters kept of one attachment; the tail matters most for logs
MAX_DOCUMENTS = 50      # documents kept of one MongoDB result


def _listener() -> Any:
    from focus_support.reporting import formatter  # late: the formatter module imports allure-behave
    return formatter.ACTIVE


def attach(name: str, body: Any, kind: str = "text") -> bool:
    """Attach text or a JSON-able value to the current step; returns False when nothing is running."""
    listener = _listener()
    if listener is None or listener.logger._last_executable() is None:
        return False
    if kind == "json":
        text = json.dumps(redact(_plain(body)), indent=2, ensure_ascii=False, default=str)
        attachment_type = AttachmentType.JSON
    else:
        text = redact(body if isinstance(body, str) else str(body))
        attachment_type = AttachmentType.TEXT
    if len(text) > MAX_TEXT:
        text = f"... [{len(text) - MAX_TEXT} characters cut]\n" + text[-MAX_TEXT:]
    listener.logger.attach_data(uuid4(), text, name=redact(name), attachment_type=attachment_type)
    return True


def _plain(value: Any) -> Any:
    """Dataclasses and objects with to_dict() as plain dicts (for JSON and redaction)."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return value


def _field(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, Mapping) else getattr(obj, name, default)


def _headers(headers: Mapping[str, str] | None, arrow: str) -> list[str]:
    return [f"{arrow} {k}: {v}" for k, v in (headers or {}).items()]


def _pretty(body: Any) -> str:
    if body is None or body == "":
        return ""
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8", errors="replace")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return body
    return json.dumps(body, indent=2, ensure_ascii=False, default=str)


def format_http_exchange(exchange: Any) -> tuple[str, str]:
    """(title, text) of an HTTP exchange given as an exchanges.Exchange or a dict of its fields."""
    method, url = _field(exchange, "method", "?"), _field(exchange, "url", "?")
    status, error = _field(exchange, "status"), _field(exchange, "error")
    duration = _field(exchange, "duration_s") or 0.0
    attempt = _field(exchange, "attempt", 1) or 1
    outcome = status if status is not None else f"error: {error}"
    lines = [f"{method} {url}"] + _headers(_field(exchange, "request_headers"), ">")
    request_body = _pretty(_field(exchange, "request_body"))
    if request_body:
        lines += ["", request_body]
    lines += ["", f"< {outcome} ({duration * 1000:.0f} ms{', attempt ' + str(attempt) if attempt > 1 else ''})"]
    lines += _headers(_field(exchange, "response_headers"), "<")
    response_body = _pretty(_field(exchange, "response_body"))
    if response_body:
        lines += ["", response_body]
    path = url.split("://", 1)[-1].split("/", 1)[-1] if "://" in url else url
    return f"HTTP {method} /{path.split('?')[0]} -> {outcome}", "\n".join(lines)


def attach_http_exchange(exchange: Any) -> None:
    """Attach one HTTP request/response; usable as a ``exchanges.Recorder`` listener."""
    title, text = format_http_exchange(exchange)
    attach(title, text)


def attach_amqp_message(exchange: str, routing_key: str, body: Any, properties: Mapping[str, Any] | None = None,
                        direction: str = "received") -> None:
    """Attach an AMQP message that was published or consumed."""
    attach(f"AMQP {direction} {exchange or '(default)'} / {routing_key}",
           {"exchange": exchange, "routing_key": routing_key, "properties": dict(properties or {}),
            "body": _decode_json(body)}, kind="json")


def _decode_json(body: Any) -> Any:
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8", errors="replace")
    if isinstance(body, str):
        try:
            return json.loads(body)
        except ValueError:
            return body
    return body


def attach_mongo_query(collection: str, operation: str, query: Any, result: Any, database: str | None = None) -> None:
    """Attach a MongoDB operation with its filter/pipeline and (the first documents of) its result."""
    if isinstance(result, list) and len(result) > MAX_DOCUMENTS:
        result = result[:MAX_DOCUMENTS] + [f"... {len(result) - MAX_DOCUMENTS} more documents"]
    where = f"{database}.{collection}" if database else collection
    attach(f"MongoDB {operation} {where}", {"operation": operation, "collection": where, "query": query,
                                           "result": result}, kind="json")


def attach_cluster_resource(kind: str, name: str, resource: Any) -> None:
    """Attach a Kubernetes resource (Job, Pod, Service, ...) as seen by the suite."""
    if hasattr(resource, "to_dict"):
        resource = resource.to_dict()
    attach(f"Kubernetes {kind} {name}", resource, kind="json")


def attach_pod_log(pod: str, log_text: str | bytes, reason: str = "") -> None:
    """Attach a pod's log (the tail, when long), e.g. of a job that failed."""
    if isinstance(log_text, (bytes, bytearray)):
        log_text = bytes(log_text).decode("utf-8", errors="replace")
    attach(f"Pod log {pod}{' (' + reason + ')' if reason else ''}", log_text)
