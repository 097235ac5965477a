"""The Focus Server REST API (contract section 2), mounted under /focus-server."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from focus_sandbox.server import derive
from focus_sandbox.server.http_util import (BadJson, BodyTooLarge, error, json_error_422, parse_json,
                                            read_body, too_large)
from focus_sandbox.server.jobs import Orchestrator, Unavailable
from focus_sandbox.server.kube import KubeError
from focus_sandbox.server.ratelimit import TokenBucket
from focus_sandbox.server.recordings import MongoUnavailable, Recordings
from focus_sandbox.server.validation import MAX_EPOCH_S, ConfigureRequest, validate_configure
from focus_sandbox.settings import SandboxConfig

log = logging.getLogger(__name__)

JOB_ID_RE = re.compile(r"^[0-9]+-[0-9]+$")
WAITING = "waiting for fiber"

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
    return meta


def response_fields(config: SandboxConfig, req: ConfigureRequest) -> dict:
    """Every configure-response field except the job's id and stream location."""
    prr = config.fibre.prr
    mapping = derive.channel_mapping(req.view_type, req.ch_min, req.ch_max)
    freqs = derive.frequencies(config, req.view_type, req.nfft, req.f_min, req.f_max, prr)
    return {
        "status": "" if config.has("status_empty") else "success",
        "view_type": req.view_type,
        "channel_amount": derive.channel_amount(req.view_type, req.ch_min, req.ch_max),
        "stream_amount": derive.stream_count(req.view_type, mapping),
        "channel_to_stream_index": mapping,
        "frequencies_list": freqs,
        "frequencies_amount": len(freqs),
        "lines_dt": derive.lines_dt(config, req.view_type, req.duration, req.height, prr),
    }


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def build_focus_app(ctx: FocusContext) -> FastAPI:
    """The Focus Server FastAPI app (mount it at /focus-server)."""
    config = ctx.config
    app = FastAPI(title="Focus Server (sandbox)", version=config.fibre.sw_version,
                  docs_url=None, redoc_url=None)

    @app.get("/ack")
    def ack() -> dict:
        """Health probe."""
        return {}

    @app.get("/channels")
    def channels() -> dict:
        """The channel range of the live fibre."""
        return {"lowest_channel": 1, "highest_channel": config.fibre.number_of_channels}

    @app.get("/live_metadata")
    def get_live_metadata() -> dict:
        """Metadata of the live fibre (prr 0 while waiting for fibre)."""
        return live_metadata(config)

    async def _configure(request: Request) -> JSONResponse:
        try:
            body = parse_json(await read_body(request))
        except BodyTooLarge:
            return too_large()
        except BadJson as exc:
            return json_error_422(str(exc))
        if config.waiting_for_fibre:
            return error(503, "System is waiting for fiber (live prr is 0); cannot configure a job")
        req, errors = validate_configure(config, body)
        if req is None:
            return JSONResponse({"detail": errors}, status_code=422)
        if req.historic:
            if ctx.recordings is None:
                return error(503, "MongoDB is not configured; historic playback unavailable")
            try:
                found = await run_in_threadpool(ctx.recordings.intersecting, req.start_time, req.end_time)
            except MongoUnavailable as exc:
                return error(503, f"{exc}; historic playback unavailable")
            if not found and not config.has("historic_without_recordings_accepted"):
                return error(404, "No recording found in given time range")
        try:
            response = await run_in_threadpool(ctx.orchestrator.create, response_fields(config, req))
        except Unavailable as exc:
            return error(503, str(exc))
        return JSONResponse(response)

    @app.post("/configure", openapi_extra={"requestBody": {
        "required": True, "content": {"application/json": {"schema": CONFIGURE_SCHEMA}}}})
    async def configure(request: Request) -> JSONResponse:
        """Configure a live or historic view and start its streaming job."""
        # The bucket is charged before the body is even read: a throttled request does no work at all.
        wait = 0 if config.has("no_rate_limit") else ctx.limiter.take(_client(request))
        if wait:
            if config.has("throttled_request_creates_job"):
                await _configure(request)
            headers = None if config.has("rate_limit_without_retry_after") else {"Retry-After": str(wait)}
            return error(429, f"Too many configure requests; retry in {wait} s", headers)
        return await _configure(request)

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
            return failure
        if rec.frozen:
            return JSONResponse(rec.response)
        try:
            state = ctx.orchestrator.readiness(rec)
        except KubeError as exc:
            return error(503, f"cannot read job state: {exc}")
        if state == "ready":
            return JSONResponse(rec.response)
        if state == "gone":
            return error(404, "Invalid job_id")
        return error(404, f"Job {job_id} is not ready yet")

    def cancel_job(job_id: str) -> JSONResponse:
        """Cancel a job: its resources are removed within cleanup_timeout_s."""
        rec, failure = _lookup(job_id)
        if failure:
            return failure
        if rec.frozen:
            return error(404, "Invalid job_id")
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
        try:
            body = parse_json(await read_body(request))
        except BodyTooLarge:
            return too_large()
        except BadJson as exc:
            return json_error_422(str(exc))
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
