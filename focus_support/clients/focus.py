"""Focus Server REST client (contract section 2): response-level calls and typed conveniences."""
from __future__ import annotations

import time
from typing import Any, ClassVar

import requests

from focus_support.errors import PreconditionNotMetError, UnexpectedResponseError
from focus_support.models import (
    CancelResponse, ChannelsResponse, ConfigureRequest, ConfigureResponse, ErrorBody, LiveMetadata,
    RecordingsQuery, RecordingWindow, parse_recording_windows,
)
from focus_support.retry import RetryPolicy
from focus_support.verdict.findings import Finding, ProductFailure

from .base import ServiceClient, describe_response, expect_json

_FIBRE_MARKERS = ("fiber", "fibre")


def is_waiting_for_fibre(response: requests.Response) -> bool:
    """True for the 503 the server gives while it has no fibre (a precondition, not a failure)."""
    if response.status_code != 503:
        return False
    try:
        message = ErrorBody.model_validate(response.json()).message.lower()
    except ValueError:
        return False
    return any(marker in message for marker in _FIBRE_MARKERS)


class FocusClient(ServiceClient):
    """Client of Focus Server; ``send_*``/``get_*_response`` return raw responses for assertions."""

    # When this process last sent POST /configure (time.monotonic): the server's per-client rate limit
    # charged it then, and its bucket refills from then on (see scenarios.api.wait_for_refilled_bucket).
    last_configure_at: ClassVar[float | None] = None

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__("focus-server", base_url, **kwargs)

    # --- response level: the scenario asserts status and body itself -------------------------
    def ack(self, retry: RetryPolicy | None = None) -> requests.Response:
        """``GET /ack`` (the health probe)."""
        return self.request("GET", "ack", retry=retry)

    def send_configure(self, body: ConfigureRequest | dict[str, Any], retry: RetryPolicy | None = None) -> requests.Response:
        """``POST /configure``; 429 is retried (after Retry-After) unless ``retry`` says otherwise."""
        payload = body.to_wire() if isinstance(body, ConfigureRequest) else body
        try:
            return self.request("POST", "configure", json=payload, retry=retry)
        finally:
            FocusClient.last_configure_at = time.monotonic()

    def get_metadata_response(self, job_id: str) -> requests.Response:
        """``GET /metadata/{job_id}``."""
        return self.request("GET", f"metadata/{job_id}")

    def send_cancel(self, job_id: str) -> requests.Response:
        """``DELETE /job/{job_id}``."""
        return self.request("DELETE", f"job/{job_id}")

    def get_live_metadata_response(self) -> requests.Response:
        """``GET /live_metadata``."""
        return self.request("GET", "live_metadata")

    def send_recordings_query(self, body: RecordingsQuery | dict[str, Any]) -> requests.Response:
        """``POST /recordings_in_time_range``."""
        payload = body.model_dump() if isinstance(body, RecordingsQuery) else body
        return self.request("POST", "recordings_in_time_range", json=payload)

    def waiting_for_fibre_error(self, response: requests.Response) -> Exception:
        """What a configure answer "waiting for fibre" means: an unmet precondition while the live metadata
        agrees (no pulse rate), a product failure when the live metadata reports fibre (they contradict)."""
        try:
            prr = float(self.get_live_metadata_response().json().get("prr") or 0)
        except (ValueError, TypeError, AttributeError):
            prr = 0.0
        if prr > 0:
            return ProductFailure(
                f"expected /configure to serve while /live_metadata reports fibre (prr {prr:g} Hz); it answered "
                f"that the system is waiting for fibre:\n{describe_response(response)}",
                Finding("configure.fibre", "served while the live metadata reports fibre", ("waiting for fibre",)),
                response=response)
        return PreconditionNotMetError(f"Focus Server is waiting for fibre\n{describe_response(response)}")

    # --- typed: the call must succeed, anything else is a finding or a precondition ----------
    def configure(self, request: ConfigureRequest) -> ConfigureResponse:
        """Configure a job; "waiting for fibre" is a precondition (or a finding, see waiting_for_fibre_error)."""
        response = self.send_configure(request)
        if is_waiting_for_fibre(response):
            raise self.waiting_for_fibre_error(response)
        return expect_json(response, ConfigureResponse)

    def metadata(self, job_id: str) -> ConfigureResponse:
        """The job's metadata; must answer 200."""
        return expect_json(self.get_metadata_response(job_id), ConfigureResponse)

    def cancel(self, job_id: str) -> CancelResponse:
        """Cancel per spec; must answer 200."""
        return expect_json(self.send_cancel(job_id), CancelResponse)

    def channels(self) -> ChannelsResponse:
        """``GET /channels`` typed."""
        return expect_json(self.request("GET", "channels"), ChannelsResponse)

    def live_metadata(self) -> LiveMetadata:
        """``GET /live_metadata`` typed (waiting-for-fibre values are returned, not raised)."""
        return expect_json(self.get_live_metadata_response(), LiveMetadata)

    def recordings_in_time_range(self, start_time: int, end_time: int) -> list[RecordingWindow]:
        """Recordings intersecting the window, as typed pairs."""
        response = self.send_recordings_query(RecordingsQuery(start_time=start_time, end_time=end_time))
        if response.status_code != 200:
            raise UnexpectedResponseError(f"expected HTTP 200\n{describe_response(response)}", response)
        try:
            return parse_recording_windows(response.json())
        except ValueError as exc:
            raise UnexpectedResponseError(f"not a list of [start, end] pairs: {exc}\n"
                                          f"{describe_response(response)}", response) from exc

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI document."""
        response = self.request("GET", "openapi.json")
        if response.status_code != 200:
            raise UnexpectedResponseError(f"expected HTTP 200\n{describe_response(response)}", response)
        return response.json()
