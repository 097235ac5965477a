"""The Focus Server REST API (contract section 2), mounted under /focus-server."""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from focus_sandbox.audit import AuditLog, actor_of, origin_of
from focus_sandbox.server import derive
from focus_sandbox.server.broker import BrokerError
from focus_sandbox.server.http_util import error, read_json
from focus_sandbox.server.jobs import Orchestrator, Unavailable
from focus_sandbox.server.kube import KubeError
from focus_sandbox.server.ratelimit import TokenBucket
from focus_sandbox.server.recordings import MongoUnavailable, Recordings
from focus_sandbox.server.validation import MAX_EPOCH_S, ConfigureRequest, validate_configure
from focus_sandbox.settings import SandboxConfig

log = logging.getLogger(__name__)

JOB_ID_RE = re.compile(r"^[0-9]+-[0-9]+$")
WAITING = "waiting for fiber"
LARGE_ROI_CHANNELS = 256  # above it, large_roi_fewer_bins thins the frequency axis
LOCKOUT_FACTOR = 3  # retry_after_understated: a throttled client waits this many times what it was told

_RANGE = {"type": "object", "properties": {"min": {"type": "integer"}, "max": {"type": "integer"}},
          "required": ["min", "max"]}
CONFIGURE_SCHEMA = {
    "type": "object", "required": ["view_type", "channels", "displayInfo"],
    "properties": {
        "view_type": {"anyOf": [{"type": "string", "enum": ["0", "1", "2"]}, {"type": "integer", "enum": [0, 1, 2]}]},
        "channels": _RANGE, "frequencyRange": _RANGE,
        "displayInfo": {"type": "object", "properties": {"height": {"type": "integer"}}, "required": ["height"]},
        "displayTimeAxisDuration": {"type": "integer"}, "nfftSelection": {"type": "integer"},
        "start_time": {"type": ["integer", "null"]}, "end_time": {"type": ["integer", "null"]},
    },
}
TIME_RANGE_SCHEMA = {"type": "object", "required": ["start_time", "end_time"],
                     "properties": {"start_time": {"type": "integer"}, "end_time": {"type": "integer"}}}


SHAPE_ERRORS = frozenset({"missing", "int_type", "dict_type", "string_type"})


@dataclass
class FocusContext:
    """What the Focus Server routes need: config, orchestration, recordings, rate limiter."""

    config: SandboxConfig
    orchestrator: Orchestrator
    recordings: Recordings | None
    limiter: TokenBucket


def live_metadata(config: SandboxConfig) -> dict:
    """Live fibre metadata (contract 8), in waiting-for-fibre mode when configured so."""
    f = config.fibre
    meta = f.model_dump()
    if config.waiting_for_fibre:
        meta.update(prr=0.0, dx=0.0, sw_version=WAITING, fiber_description=WAITING)
    if config.has("live_metadata_missing_fields"):
        meta.pop("num_samples_per_trace", None)
        meta.pop("dtype", None)
    if config.has("live_metadata_float_channels"):
        meta["number_of_channels"] = f.number_of_channels + 0.75
    if config.has("live_metadata_numbers_as_text"):
        for key in ("prr", "dx", "fiber_start_meters", "fiber_length_meters"):
            meta[key] = str(meta[key])
    if config.has("live_metadata_text_empty"):
        meta.update(sw_version="", fiber_description="")
    if config.has("live_metadata_has_dy"):
        meta["dy"] = 0.0
    return meta


def channel_range(config: SandboxConfig) -> dict:
    """The /channels answer: 1..number_of_channels of the live fibre."""
    highest = config.fibre.number_of_channels
    if config.has("channels_zero_based"):
        return {"lowest_channel": 0, "highest_channel": highest - 1}
    if config.has("channels_disagree_with_live_metadata"):
        return {"lowest_channel": 1, "highest_channel": highest - 10}
    return {"lowest_channel": 1, "highest_channel": highest}


def response_fields(config: SandboxConfig, req: ConfigureRequest) -> dict:
    """Every configure-response field except the job's id and stream location."""
    prr = config.fibre.prr
    mapping = derive.channel_mapping(req.view_type, req.ch_min, req.ch_max, config)
    freqs = derive.frequencies(config, req.view_type, req.nfft, req.f_min, req.f_max, prr)
    amount = derive.channel_amount(req.view_type, req.ch_min, req.ch_max)
    if config.has("channel_amount_off_by_one") and req.view_type != derive.SINGLECHANNEL:
        amount -= 1  # max - min, the +1 of an inclusive range forgotten
    if config.has("large_roi_fewer_bins") and amount > LARGE_ROI_CHANNELS:
        freqs = freqs[::2]
    return {
        "status": "" if config.has("status_empty") else "success",
        "view_type": int(req.view_type) if config.has("view_type_echoed_as_int") else req.view_type,
        "channel_amount": amount,
        "stream_amount": derive.stream_count(req.view_type, mapping),
        "channel_to_stream_index": mapping,
        "frequencies_list": freqs,
        "frequencies_amount": len(freqs) + (1 if config.has("frequencies_amount_off_by_one") else 0),
        "lines_dt": derive.lines_dt(config, req.view_type, req.duration, req.height, prr),
    }


def rejection(errors: list[dict]) -> JSONResponse:
    """How an invalid configure is refused (contract 15): a broken rule of the specs meeting is a 400
    whose ``error`` names the rule; a body of the wrong shape (a field missing or of the wrong type)
    is FastAPI's 422 with ``detail``."""
    broken_rules = [e for e in errors if e["type"] not in SHAPE_ERRORS]
    if broken_rules:
        return error(400, "; ".join(e["msg"] for e in broken_rules))
    return JSONResponse({"detail": errors}, status_code=422)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def build_focus_app(ctx: FocusContext) -> FastAPI:
    """The Focus Server FastAPI app (mount it at /focus-server)."""
    config = ctx.config
    app = FastAPI(title="Focus Server (sandbox)", version=config.fibre.sw_version,
                  docs_url=None, redoc_url=None)
    audit = AuditLog(config.run_dir, "focus-server")  # who created and cancelled which job (focus_sandbox.audit)

    ack_methods = ["GET", "POST", "PUT", "DELETE"] if config.has("ack_accepts_any_method") else ["GET"]

    @app.api_route("/ack", methods=ack_methods)
    def ack() -> dict:
        """Health probe."""
        return {"status": "ok"} if config.has("ack_body_not_empty") else {}

    @app.get("/channels")
    def channels() -> dict:
        """The channel range of the live fibre."""
        return channel_range(config)

    @app.get("/live_metadata")
    def get_live_metadata() -> dict:
        """Metadata of the live fibre (prr 0 while waiting for fibre)."""
        return live_metadata(config)

    async def _configure(request: Request) -> JSONResponse:
        body, refusal = await read_json(request)
        if refusal is not None:
            return refusal
        if config.waiting_for_fibre:
            return error(503, "System is waiting for fiber (live prr is 0); cannot configure a job")
        provisional = None
        if config.has("queue_declared_before_validation"):
            # the queue of the job-to-be is declared first; a rejected request never deletes it
            try:
                provisional = await run_in_threadpool(ctx.orchestrator.declare_provisional_queue)
            except BrokerError as exc:
                return error(503, str(exc))
        req, errors = validate_configure(config, body)
        if req is None:
            return rejection(errors)
        if provisional:
            await run_in_threadpool(ctx.orchestrator.broker.delete_queue, provisional)
        if not req.historic and config.has("live_configure_needs_mongodb") and ctx.recordings is not None:
            try:
                await run_in_threadpool(ctx.recordings.ping)
            except MongoUnavailable as exc:
                return error(503, f"{exc}; cannot configure")
        early = None
        # what a historic job plays (a half-open window is only reachable with lax validation: live)
        window = (req.start_time, req.end_time) if req.start_time is not None and req.end_time is not None else None
        if req.historic and config.has("historic_job_started_before_lookup"):
            try:  # the job starts first; a failed lookup below answers its error and leaves the job running
                early = await run_in_threadpool(ctx.orchestrator.create, response_fields(config, req), window)
            except Unavailable as exc:
                return error(503, str(exc))
            audit.record("create", f"job/{early['job_id']}", actor_of(request), origin=origin_of(request))
        if req.historic:
            if ctx.recordings is None:
                return error(503, "MongoDB is not configured; historic playback unavailable")
            try:
                found = await run_in_threadpool(ctx.recordings.intersecting, req.start_time, req.end_time)
            except MongoUnavailable as exc:
                if config.has("mongodb_outage_answers_500"):
                    return error(500, f"Internal Server Error: {exc}")
                return error(503, f"{exc}; historic playback unavailable")
            if not found and not config.has("historic_without_recordings_accepted"):
                return error(404, "No recording found in given time range")
        if early is not None:
            return JSONResponse(early)
        try:
            response = await run_in_threadpool(ctx.orchestrator.create, response_fields(config, req), window)
        except Unavailable as exc:
            return error(503, str(exc))
        audit.record("create", f"job/{response['job_id']}", actor_of(request), origin=origin_of(request))
        return JSONResponse(response)

    @app.post("/configure", openapi_extra={"requestBody": {
        "required": True, "content": {"application/json": {"schema": CONFIGURE_SCHEMA}}}})
    async def configure(request: Request) -> JSONResponse:
        """Configure a live or historic view and start its streaming job."""
        # The bucket is charged before the body is even read: a throttled request does no work at all.
        wait = 0 if config.has("no_rate_limit") else ctx.limiter.take(_client(request))
        if config.has("retry_after_understated"):
            wait = _lockout(_client(request), wait)
        if wait:
            if config.has("throttled_request_creates_job"):
                await _configure(request)
            headers = None if config.has("rate_limit_without_retry_after") else {"Retry-After": str(wait)}
            return error(429, f"Too many configure requests; retry in {wait} s", headers)
        return await _configure(request)

    locked_until: dict[str, float] = {}

    def _lockout(client: str, wait: int) -> int:
        """A throttled client stays locked out LOCKOUT_FACTOR times longer than Retry-After says."""
        now = time.monotonic()
        if now < locked_until.get(client, 0.0):
            wait = max(1, wait)
        if wait:  # every 429 tells "wait" but locks the client out LOCKOUT_FACTOR times longer
            locked_until[client] = max(locked_until.get(client, 0.0), now + LOCKOUT_FACTOR * wait)
        return wait

    def _lookup(job_id: str):
        if not JOB_ID_RE.match(job_id):
            return None, error(400, "Malformed job_id: expected <number>-<number>")
        rec = ctx.orchestrator.registry.get(job_id)
        return rec, (None if rec else error(404, "Invalid job_id"))

    @app.get("/metadata/{job_id}")
    def metadata(job_id: str) -> JSONResponse:
        """The configure response of a live job (404 once it expired or was cancelled)."""
        rec, failure = _lookup(job_id)
        if failure:
            if config.has("unknown_job_metadata_answers_200") and failure.status_code == 404:
                return JSONResponse({})
            return failure
        if rec.frozen:
            return JSONResponse(rec.response)
        try:
            state = ctx.orchestrator.readiness(rec)
        except KubeError as exc:
            return error(503, f"cannot read job state: {exc}")
        if state == "ready":
            if config.has("metadata_view_type_as_int"):
                return JSONResponse({**rec.response, "view_type": int(rec.response["view_type"])})
            return JSONResponse(rec.response)
        if state == "gone":
            return error(404, "Invalid job_id")
        return error(404, f"Job {job_id} is not ready yet")

    def cancel_job(job_id: str, request: Request) -> JSONResponse:
        """Cancel a job: its resources are removed within cleanup_timeout_s."""
        rec, failure = _lookup(job_id)
        if failure:
            return failure
        if rec.frozen:
            return error(404, "Invalid job_id")
        audit.record("cancel", f"job/{job_id}", actor_of(request), origin=origin_of(request))
        try:
            ctx.orchestrator.cancel(rec)
        except KubeError as exc:
            return error(503, f"cannot cancel job: {exc}")
        return JSONResponse({"job_id": job_id, "status": "cancelled"})

    if not config.has("no_cancel_route"):
        app.add_api_route("/job/{job_id}", cancel_job, methods=["DELETE"])

    @app.post("/recordings_in_time_range", openapi_extra={"requestBody": {
        "required": True, "content": {"application/json": {"schema": TIME_RANGE_SCHEMA}}}})
    async def recordings_in_time_range(request: Request) -> JSONResponse:
        """[start, end] pairs of recordings intersecting the window, sorted by start."""
        body, refusal = await read_json(request)
        if refusal is not None:
            return refusal
        errors = _time_range_errors(body)
        if errors:
            return JSONResponse({"detail": errors}, status_code=422)
        if ctx.recordings is None:
            return error(503, "MongoDB is not configured")
        try:
            found = await run_in_threadpool(ctx.recordings.intersecting, body["start_time"], body["end_time"])
        except MongoUnavailable as exc:
            return error(503, str(exc))
        return JSONResponse(found)

    return app


def _time_range_errors(body) -> list[dict]:
    if not isinstance(body, dict):
        return [{"loc": ["body"], "msg": "Input should be a valid dictionary", "type": "dict_type"}]
    errors = []
    for key in ("start_time", "end_time"):
        value = body.get(key)
        if value is None:
            errors.append({"loc": ["body", key], "msg": "Field required", "type": "missing"})
        elif not isinstance(value, int) or isinstance(value, bool):
            errors.append({"loc": ["body", key], "msg": "Input should be a valid integer", "type": "int_type"})
        elif not 0 <= value <= MAX_EPOCH_S:
            errors.append({"loc": ["body", key], "msg": f"{key} must be epoch seconds in 0..{MAX_EPOCH_S}",
                           "type": "value_error"})
    if not errors and body["end_time"] <= body["start_time"]:
        errors.append({"loc": ["body", "end_time"], "msg": "end_time must be greater than start_time",
                       "type": "value_error"})
    return errors
