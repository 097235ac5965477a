"""What a run saw, kept even when a scenario passes: the evidence behind the analysis's open questions.

A step calls ``observe("frequency-axis", "64 bins spaced 7.81 Hz ...")``; the formatter stores the
scenario's observations in its run record, and ``reports/analysis.md`` shows them under the open
question of the same id (config/evidence.yaml ``questions``), so "what this run saw" is never typed
by hand. Observations are also attached to the current Allure step.
"""
from __future__ import annotations

from typing import TypedDict


class Observation(TypedDict):
    topic: str
    text: str


_current: list[Observation] = []


def observe(topic: str, text: str) -> None:
    """Record one thing this scenario saw, under a question id (or another stable topic)."""
    _current.append(Observation(topic=topic, text=text))
    from focus_support.reporting import evidence

    evidence.attach(f"observed ({topic})", text)


def take() -> list[Observation]:
    """The observations of the scenario that just ended; starts a fresh list."""
    seen = list(_current)
    _current.clear()
    return seen


def reset() -> None:
    """Forget observations of a scenario that is starting."""
    _current.clear()
