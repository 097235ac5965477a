"""Fixtures selected by ``@fixture.<name>`` tags, each with its cleanup built in (behave's own mechanism).

The behave hooks call :func:`use_tagged_fixtures` once per feature/scenario with its tags, after the
scenario's ``context.state`` exists. Add a fixture as its own function and register it in ``FIXTURES``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from behave import fixture, use_fixture

from focus_support.scenarios import api

TAG_PREFIX = "fixture."


@fixture
def rate_limit_recovery(context: Any) -> Any:
    """After a scenario that was throttled, wait as its last 429 told, so the next scenario has tokens."""
    state = context.state  # this scenario's state; the hooks may replace context.state before cleanup
    yield
    api.recover(state, context.suite.environment.rate_limit)


FIXTURES: dict[str, Callable[..., Any]] = {
    "rate_limit_recovery": rate_limit_recovery,
}


def use_tagged_fixtures(context: Any, tags: Iterable[str]) -> list[str]:
    """Apply the fixture of every ``fixture.<name>`` tag; an unknown name is a suite bug (raises)."""
    used = []
    for tag in tags:
        if not tag.startswith(TAG_PREFIX):
            continue
        name = tag[len(TAG_PREFIX):]
        if name not in FIXTURES:
            raise LookupError(f"unknown fixture tag @{tag}; known: {', '.join(sorted(FIXTURES))}")
        use_fixture(FIXTURES[name], context)
        used.append(name)
    return used
