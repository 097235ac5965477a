"""Checks of the live fibre metadata as sent on the wire (contract section 8).

The checks read the raw JSON, not a model: a model would coerce ``2447.75`` or ``"2000"`` into the
declared type and hide exactly the deviations the feature is about.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from focus_support.models import LIVE_METADATA_FIELDS, LiveMetadata
from focus_support.models.focus import WAITING_FOR_FIBRE

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
