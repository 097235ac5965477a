"""Preconditions and outcomes that scenarios of every area share."""
from __future__ import annotations

from typing import Any

from focus_support.clients import describe_response
from focus_support.errors import UnreachableError
from focus_support.models import LiveMetadata
from focus_support.scenarios.metadata import require_fibre


def require_live_fibre(suite: Any, state: Any) -> LiveMetadata:
    """Live metadata of a system that is receiving fibre; waiting for fibre is a precondition error."""
    response = suite.focus.get_live_metadata_response()
    if response.status_code != 200:
        raise UnreachableError(f"live metadata is not readable, so the fibre state is unknown:\n"
                               f"{describe_response(response)}")
    state.live_metadata = require_fibre(response.json())
    return state.live_metadata
