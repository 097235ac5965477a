"""``ScenarioState``: the typed state one scenario's steps share (instead of ad-hoc context attributes)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from focus_support.cleanup import CleanupReport, CleanupStack
from focus_support.exchanges import Exchange
from focus_support.models import ConfigureRequest, ConfigureResponse, LiveMetadata


@dataclass
class ScenarioState:
    """What the steps of one scenario produce and consume; created fresh for every scenario."""

    name: str = ""
    tags: list[str] = field(default_factory=list)
    last_request_body: Any = None
    last_response: requests.Response | None = None
    configure_request: ConfigureRequest | None = None
    configure_response: ConfigureResponse | None = None
    responses: list[requests.Response] = field(default_factory=list)
    created_job_ids: list[str] = field(default_factory=list)
    live_metadata: LiveMetadata | None = None
    cleanup: CleanupStack = field(default_factory=CleanupStack)
    web_app: Any = None
    listener: Any = None
    exchanges: list[Exchange] = field(default_factory=list)
    cleanup_report: CleanupReport | None = None
    notes: dict[str, Any] = field(default_factory=dict)  # each area's typed notes: scenarios.notes_of

    def remember(self, response: requests.Response, body: Any = None) -> requests.Response:
        """Keep a response as the latest one (and the body sent for it); returns it for chaining."""
        self.last_response = response
        self.last_request_body = body
        self.responses.append(response)
        return response

    @property
    def response(self) -> requests.Response:
        """The latest response; a step that needs one before any request is a suite bug."""
        if self.last_response is None:
            raise RuntimeError("no request was sent in this scenario yet")
        return self.last_response

    @property
    def job_id(self) -> str:
        """The most recently created job id."""
        if not self.created_job_ids:
            raise RuntimeError("no job was created in this scenario yet")
        return self.created_job_ids[-1]
