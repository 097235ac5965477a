"""Request-body helpers shared by both apps: bounded reads and tolerant JSON parsing."""
from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

MAX_BODY_BYTES = 256 * 1024  # far above any real configure or alert body


class BodyTooLarge(Exception):
    """The client sent more than MAX_BODY_BYTES."""


class BadJson(Exception):
    """The body is not a JSON document."""


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """Read the body, stopping as soon as it exceeds ``limit`` (no matter what Content-Length said)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(raw: bytes) -> Any:
    """Parse JSON strictly: no NaN/Infinity, bounded nesting, valid UTF-8."""
    def reject_constant(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=reject_constant)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise BadJson(str(exc)[:200]) from None


async def read_json(request: Request,
                    on_bad_json=lambda msg: json_error_422(msg)) -> tuple[Any, JSONResponse | None]:
    """The parsed body, or the error answer to send instead (413 too large, ``on_bad_json`` otherwise)."""
    try:
        return parse_json(await read_body(request)), None
    except BodyTooLarge:
        return None, too_large()
    except BadJson as exc:
        return None, on_bad_json(str(exc))


def too_large() -> JSONResponse:
    """413 in FastAPI's routing-error shape."""
    return JSONResponse({"detail": f"Request body larger than {MAX_BODY_BYTES} bytes"}, status_code=413)


def json_error_422(msg: str) -> JSONResponse:
    """422 for a body that is not JSON, shaped like FastAPI's own."""
    return JSONResponse({"detail": [{"loc": ["body"], "msg": f"JSON decode error: {msg}",
                                     "type": "json_invalid"}]}, status_code=422)


def error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    """Application error ``{"error": message}``."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)
