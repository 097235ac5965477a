"""Domain logic the step modules need and the core library does not provide, one module per area."""

from __future__ import annotations

from typing import TypeVar

from focus_support.scenario_state import ScenarioState

T = TypeVar("T")


def notes_of(state: ScenarioState, kind: type[T]) -> T:
    """The scenario's typed notes of one area (created on first use, kept in ``ScenarioState.notes``)."""
    key = f"{kind.__module__}.{kind.__qualname__}"
    if key not in state.notes:
        state.notes[key] = kind()
    return state.notes[key]
