"""Structured product findings: what a failing check looked at, what it expected, what it saw.

A product finding is an ``AssertionError`` (the product behaved wrongly). When the check knows its
*subject* (the status of a response, the resources a job left, the type of a field), it raises a
:class:`ProductFailure` carrying a :class:`Finding`; the known-bug registry matches bugs on that
structure (step + subject + expected/seen kind), never on the wording of a message. A plain
``AssertionError`` has no finding and therefore can never be mistaken for a known bug.

Subjects used by the suite (a signature names one of them):

=====================  ===========================================  ==================================
subject                expected                                     seen
=====================  ===========================================  ==================================
``http.status``        the status kind wanted (``rejected``, 200)   ``accepted`` (2xx) or the code
``http.body``          what the body should hold                    ``not json``, ``missing <key>``
``job.resources``      ``gone`` / ``present``                       the kinds left (``queue``, ...)
``field.<name>``       the kind of value wanted (``integer``)       the kind seen (``float``, absent)
``alert.reports``      how many reports were expected               ``published`` / ``none``
``metadata.answer``    ``404 invalid job``                          the status seen
=====================  ===========================================  ==================================
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from hamcrest import assert_that
from hamcrest.core.matcher import Matcher


@dataclass(frozen=True)
class Finding:
    """The structured part of a failed product check."""

    subject: str
    expected: str
    seen: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seen"] = list(self.seen)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "Finding | None":
        if not data:
            return None
        return cls(subject=str(data["subject"]), expected=str(data.get("expected", "")),
                   seen=tuple(str(s) for s in data.get("seen", ())))

    def describe(self) -> str:
        return f"{self.subject}: expected {self.expected}, seen {', '.join(self.seen) or 'nothing'}"


class ProductFailure(AssertionError):
    """A product finding with its structure; the message still says expected / seen / where."""

    def __init__(self, message: str, finding: Finding | None = None, *, response: Any = None,
                 last_state: Any = None) -> None:
        super().__init__(message)
        self.finding = finding
        self.response = response
        self.last_state = last_state


def finding_of(exc: BaseException | None) -> Finding | None:
    """The finding an exception carries, if it is a structured product failure."""
    return getattr(exc, "finding", None) if isinstance(exc, AssertionError) else None


def status_kind(code: int) -> str:
    """How a status is named in findings: every 2xx is ``accepted``; other codes stay themselves."""
    return "accepted" if 200 <= code < 300 else str(code)


def seen_kinds(values: Iterable[Any]) -> tuple[str, ...]:
    """A stable, duplicate-free tuple of seen kinds."""
    return tuple(sorted({str(v) for v in values}))


def expect(actual: Any, matcher: Matcher[Any], reason: str = "", *, subject: str | None = None) -> None:
    """``assert_that`` that raises a :class:`ProductFailure` with the matcher's finding on mismatch.

    A matcher that knows its subject implements ``finding(item) -> Finding``; any other matcher gets
    a finding only when ``subject`` is given here (expected = the matcher's description, seen =
    ``mismatch``), so an unstructured check never matches a signature by accident.
    """
    try:
        assert_that(actual, matcher, reason)
    except AssertionError as exc:
        finding = _finding_from(matcher, actual, subject)
        raise ProductFailure(str(exc), finding) from None


def _finding_from(matcher: Matcher[Any], actual: Any, subject: str | None) -> Finding | None:
    make = getattr(matcher, "finding", None)
    if callable(make):
        return make(actual)
    if subject is None:
        return None
    return Finding(subject=subject, expected=str(matcher), seen=("mismatch",))


def fail(message: str, subject: str, expected: str, seen: Iterable[Any] | str, **kwargs: Any) -> ProductFailure:
    """A ready-to-raise structured failure (``raise fail(...)``)."""
    kinds = (seen,) if isinstance(seen, str) else seen_kinds(seen)
    return ProductFailure(message, Finding(subject, expected, tuple(kinds)), **kwargs)
