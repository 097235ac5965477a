"""Checks of the live fibre metadata as sent on the wire (contract section 8).

The checks read the raw JSON, not a model: a model would coerce ``2447.75`` or ``"2000"`` into the
declared type and hide exactly the deviations the feature is about.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from focus_support.clients import describe_response
from focus_support.context import SuiteContext
from focus_support.errors import PreconditionNotMetError, UnexpectedResponseError
from focus_support.models import LIVE_METADATA_FIELDS, LiveMetadata
from focus_support.models.focus import WAITING_FOR_FIBRE
from focus_support.scenario_state import ScenarioState
from focus_support.scenarios import notes_of

REQUIRED_FIELDS = LIVE_METADATA_FIELDS
NOT_IN_CONTRACT = ("dy",)  # the fibre is one-dimensional; open question of contract section 14


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


KINDS: dict[str, Callable[[Any], bool]] = {
    "a number": _number,
    "a positive number": lambda v: _number(v) and v > 0,
    "a positive integer": lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
    "text": lambda v: isinstance(v, str) and v.strip() != "",
}


def has_kind(value: Any, kind: str) -> bool:
    """True when a wire value is of the Gherkin kind (a number, a positive integer, text, ...)."""
    try:
        return KINDS[kind](value)
    except KeyError:
        raise ValueError(f"unknown kind {kind!r}; known: {', '.join(KINDS)}") from None


def wire_kind(body: dict[str, Any], field: str) -> str:
    """What a field is on the wire, in the words of a finding: absent, null, text, whole number,
    fractional number, zero or negative number, bool, list, object."""
    if field not in body:
        return "absent"
    value = body[field]
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "empty text" if not value.strip() else "text"
    if isinstance(value, (int, float)):
        if value <= 0:
            return "zero or negative number"
        return "whole number" if float(value).is_integer() and isinstance(value, int) else (
            "fractional number" if not float(value).is_integer() else "whole number as float")
    return type(value).__name__


def describe_value(body: dict[str, Any], field: str) -> str:
    """``field = value (json type)`` or ``field absent``, for failure messages."""
    if field not in body:
        return f"{field} absent"
    value = body[field]
    return f"{field} = {value!r} ({type(value).__name__})"


def missing_required(body: dict[str, Any]) -> list[str]:
    """Contract fields the live metadata lacks."""
    return [f for f in REQUIRED_FIELDS if f not in body]


def waiting_for_fibre_sample() -> dict[str, Any]:
    """Live metadata as the server sends it while it has no fibre (contract section 8)."""
    return {"prr": 0.0, "dx": 0.0, "number_of_channels": 0, "fiber_start_meters": 0.0,
            "fiber_length_meters": 0.0, "sw_version": WAITING_FOR_FIBRE,
            "fiber_description": WAITING_FOR_FIBRE}


def parse(body: dict[str, Any]) -> LiveMetadata:
    """The typed view of a live-metadata body."""
    return LiveMetadata.model_validate(body)


def require_fibre(body: dict[str, Any]) -> LiveMetadata:
    """The typed metadata; raises PreconditionNotMetError while the system waits for fibre."""
    live = parse(body)
    if live.waiting_for_fibre:
        raise PreconditionNotMetError(
            f"Focus Server is waiting for fibre (prr {live.prr:g}, sw_version {live.sw_version!r}): "
            "an environment precondition, not a product failure")
    return live


def read_without(body: dict[str, Any], field: str) -> LiveMetadata:
    """Parse the metadata with one field removed (shows whether the suite's model requires it)."""
    return parse({k: v for k, v in body.items() if k != field})


@dataclass
class MetadataNotes:
    """The raw live-metadata body and the outcome of a fibre check in one scenario."""

    body: dict[str, Any] | None = None
    outcome: BaseException | None = None


def read_live_metadata(suite: SuiteContext, state: ScenarioState) -> dict[str, Any]:
    """``GET /live_metadata`` as raw JSON (200 required; anything else is a finding)."""
    response = state.remember(suite.focus.get_live_metadata_response())
    if response.status_code != 200:
        raise UnexpectedResponseError(f"expected HTTP 200\n{describe_response(response)}", response)
    notes_of(state, MetadataNotes).body = response.json()
    return notes_of(state, MetadataNotes).body
