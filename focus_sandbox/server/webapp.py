"""The Prisma Web App alert API (contract section 6), mounted under /prisma/api."""
from __future__ import annotations

import secrets
import threading
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from focus_sandbox.audit import AuditLog, origin_of
from focus_sandbox.server.broker import ALERT_ROUTING_KEY, WRONG_ROUTING_KEY, Broker, BrokerError
from focus_sandbox.server.http_util import error, read_json
from focus_sandbox.server.ratelimit import TokenBucket
from focus_sandbox.settings import SandboxConfig

COOKIE = "access-token"
CLASS_IDS = (103, 104)
FIELDS = ("classId", "severity", "dofM", "alertsAmount", "alertIds")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class AlertError(ValueError):
    """A push-to-rabbit body violates a rule; carries the offending field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def validate_alert(config: SandboxConfig, body: Any) -> dict:
    """Return the accepted alert or raise AlertError naming the first offending field."""
    if not isinstance(body, dict):
        raise AlertError("body", "body must be a JSON object")
    for field in FIELDS:
        if body.get(field) is None and not config.has("alert_missing_fields_accepted"):
            raise AlertError(field, f"{field} is required")
    class_id, severity, dof = body.get("classId"), body.get("severity"), body.get("dofM")
    amount, ids = body.get("alertsAmount"), body.get("alertIds")
    if class_id is not None and not (_is_int(class_id) and (
            class_id in CLASS_IDS or config.has("alert_class_id_not_validated"))):
        raise AlertError("classId", "classId must be 103 (SC) or 104 (SD)")
    lowest_severity = 0 if config.has("alert_severity_zero_accepted") else 1
    if severity is not None and not (_is_int(severity) and (
            lowest_severity <= severity <= 3 or config.has("alert_severity_not_validated"))):
        raise AlertError("severity", "severity must be 1 (low), 2 (medium) or 3 (high)")
    fibre_m = config.fibre.fiber_length_meters
    negative_allowed = config.has("alert_dof_not_validated")         # observed on staging
    beyond_allowed = config.has("alert_dof_beyond_fibre_accepted")   # not observed: a mistake to catch
    if dof is not None and not (_is_int(dof) and (dof >= 0 or negative_allowed)
                                and (dof <= fibre_m or beyond_allowed)):
        raise AlertError("dofM", f"dofM must be an integer in 0..{fibre_m:g} (fibre length)")
    if ids is not None and not (isinstance(ids, list) and ids
                                and all(isinstance(i, str) and i.strip() for i in ids)):
        raise AlertError("alertIds", "alertIds must be a non-empty list of non-empty strings")
    if amount is not None and not (_is_int(amount) and amount >= 1 and (ids is None or amount == len(ids))):
        raise AlertError("alertsAmount", "alertsAmount must be >= 1 and equal to len(alertIds)")
    return {field: body.get(field) for field in FIELDS}


def _raw_messages(body: Any, site_id: str) -> list[dict]:
    """One message per alert id of an unvalidated body (the whole body once if it has no usable ids)."""
    now = time.time()
    fields = body if isinstance(body, dict) else {"body": body}
    ids = fields.get("alertIds")
    ids = [i for i in ids if isinstance(i, str)] if isinstance(ids, list) else []
    return [{**fields, "alertId": i, "siteId": site_id, "timestamp": now} for i in ids] or [
        {**fields, "siteId": site_id, "timestamp": now}]


class AlertStore:
    """Alerts pushed per site, in memory (the sandbox web app has no database of its own)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._alerts: dict[str, dict] = {}

    def add(self, records: list[dict]) -> None:
        with self._lock:
            for rec in records:
                self._alerts[rec["alertId"]] = rec

    def list(self, site_id: str) -> list[dict]:
        with self._lock:
            return [a for a in self._alerts.values() if a["siteId"] == site_id]

    def delete(self, site_id: str, ids: list[str]) -> list[str]:
        with self._lock:
            gone = [i for i in ids if self._alerts.get(i, {}).get("siteId") == site_id]
            for i in gone:
                del self._alerts[i]
            return gone


def build_webapp(config: SandboxConfig, broker: Broker) -> FastAPI:
    """The Prisma Web App FastAPI app (mount it at /prisma/api)."""
    app = FastAPI(title="Prisma Web App (sandbox)", docs_url=None, redoc_url=None)
    sessions: dict[str, str] = {}
    store = AlertStore()
    push_limit = TokenBucket(config.alert_push_limit.capacity, config.alert_push_limit.refill_per_s)
    audit = AuditLog(config.run_dir, "web-app")  # who deleted which alerts (focus_sandbox.audit)

    async def _json(request: Request):
        return await read_json(request, lambda msg: JSONResponse(
            {"error": f"body is not valid JSON: {msg}", "field": "body"}, 400))

    def _user(request: Request) -> str | None:
        return sessions.get(request.cookies.get(COOKIE, ""))

    def _guard(request: Request, site_id: str, anonymous_ok: bool = False) -> JSONResponse | None:
        if _user(request) is None and not anonymous_ok:
            return error(401, "Not authenticated: missing or invalid access-token cookie")
        if site_id != config.site_id:
            return error(404, f"Unknown site {site_id!r}")
        return None

    @app.post("/auth/login", status_code=201)
    async def login(request: Request) -> JSONResponse:
        """Log in; sets the access-token cookie."""
        body, failure = await _json(request)
        if failure:
            return failure
        user = body.get("username") if isinstance(body, dict) else None
        password = body.get("password") if isinstance(body, dict) else None
        known = config.web_app_users.get(user) if isinstance(user, str) else None
        if known is None or not isinstance(password, str) or not secrets.compare_digest(
                password.encode(), known.password.encode()):
            return error(401, "Invalid username or password")
        token = secrets.token_urlsafe(24)
        sessions[token] = user
        resp = JSONResponse({"username": user, "can_delete": known.can_delete}, status_code=201)
        resp.set_cookie(COOKIE, token, httponly=True, samesite="lax", path="/")
        return resp

    @app.post("/auth/logout")
    async def logout(request: Request) -> JSONResponse:
        """End the session of the access-token cookie: the cookie is refused from then on (401)."""
        if sessions.pop(request.cookies.get(COOKIE, ""), None) is None:
            return error(401, "Not authenticated: missing or invalid access-token cookie")
        resp = JSONResponse({"signed_out": True})
        resp.delete_cookie(COOKIE, path="/")
        return resp

    @app.post("/{site_id}/api/push-to-rabbit", status_code=201)
    async def push_to_rabbit(site_id: str, request: Request) -> JSONResponse:
        """Validate an alert and publish one message per alert id on exchange 'prisma'."""
        denied = _guard(request, site_id, anonymous_ok=config.has("alert_push_without_session_accepted"))
        if denied:
            return denied
        # Pushes are limited per session (anonymous ones per address); a refused push publishes nothing.
        session = request.cookies.get(COOKIE) or f"anonymous {request.client.host if request.client else ''}"
        wait = push_limit.take(session)
        throttled = error(429, f"Too many alert pushes; retry in {wait} s", {"Retry-After": str(wait)})
        if wait and not config.has("throttled_alerts_published"):
            return throttled
        body, failure = await _json(request)
        if failure:
            return failure
        routing_key = WRONG_ROUTING_KEY if config.has("alerts_published_on_wrong_routing_key") else ALERT_ROUTING_KEY
        if config.has("rejected_alerts_published"):
            try:  # published as received, before any rule is checked
                await run_in_threadpool(broker.publish_alerts, _raw_messages(body, site_id), routing_key)
            except BrokerError as exc:
                return error(503, f"{exc}; alert not published")
        try:
            alert = validate_alert(config, body)
        except AlertError as exc:
            return JSONResponse({"error": str(exc), "field": exc.field}, status_code=400)
        now = time.time()
        messages = [{**alert, "alertId": alert_id, "siteId": site_id, "timestamp": now}
                    for alert_id in alert["alertIds"] or []]
        if config.has("alerts_published_twice"):
            messages = [m for m in messages for _ in range(2)]
        try:
            if not config.has("rejected_alerts_published"):  # that variant has published already
                await run_in_threadpool(broker.publish_alerts, messages, routing_key)
        except BrokerError as exc:
            return error(503, f"{exc}; alert not published")
        store.add([{k: v for k, v in m.items() if k != "alertIds"} for m in messages])
        if wait:  # throttled_alerts_published: refused after it was published
            return throttled
        return JSONResponse({} if config.has("alert_response_not_echoed") else alert, status_code=201)

    @app.get("/{site_id}/api/alert")
    def list_alerts(site_id: str, request: Request) -> JSONResponse:
        """Alerts pushed to this site."""
        return _guard(request, site_id) or JSONResponse(store.list(site_id))

    @app.delete("/{site_id}/api/alert/delete")
    async def delete_alerts(site_id: str, request: Request) -> JSONResponse:
        """Delete alerts by id (users without delete permission get 403)."""
        denied = _guard(request, site_id)
        if denied:
            return denied
        if not config.web_app_users[_user(request)].can_delete and not config.has("alert_delete_without_permission"):
            return error(403, "This user may not delete alerts")
        body, failure = await _json(request)
        if failure:
            return failure
        ids = body.get("alertIds") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            return JSONResponse({"error": "alertIds must be a list of strings", "field": "alertIds"}, 400)
        deleted = store.delete(site_id, ids)
        if deleted:
            audit.record("delete", f"alerts of {site_id}", _user(request) or "?", origin=origin_of(request),
                         alert_ids=deleted)
        return JSONResponse({"deleted": deleted})

    return app
