"""Poll a condition with a deadline; on timeout report the last state seen (never a bare sleep).

Two flavours say whose problem a timeout is: :func:`wait_for_product` raises an ``AssertionError``
(the product did not do what it must within its time), :func:`wait_for_infra` raises
``InfraTimeoutError`` (the environment did not become usable).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from focus_support.errors import InfraTimeoutError
from focus_support.verdict.findings import Finding, ProductFailure

T = TypeVar("T")


class ProductTimeoutError(ProductFailure):
    """The product did not reach the expected state in time; carries the last state seen (and, when
    the caller knows its subject, a structured finding)."""

    def __init__(self, message: str, last_state: Any, finding: Finding | None = None) -> None:
        super().__init__(message, finding, last_state=last_state)


def _state_text(value: Any, error: BaseException | None) -> str:
    if error is not None:
        return f"{type(error).__name__}: {error}"
    return repr(value)


def wait_until(
    condition: Callable[[], T],
    timeout_s: float,
    interval_s: float = 0.1,
    describe: str = "condition",
    *,
    on_timeout: Callable[[str, Any], BaseException] | None = None,
    ignore: tuple[type[BaseException], ...] = (),
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``condition`` until it returns a truthy value and return it; raise on deadline.

    Exceptions listed in ``ignore`` count as "not yet" (their text becomes the last state). The
    condition is always tried at least once and once more at the deadline.
    """
    deadline = clock() + timeout_s
    last: Any = None
    last_error: BaseException | None = None
    while True:
        try:
            last, last_error = condition(), None
            if last:
                return last
        except ignore as exc:
            last, last_error = None, exc
        remaining = deadline - clock()
        if remaining <= 0:
            break
        sleep(min(interval_s, remaining))
    message = (f"timed out after {timeout_s:g} s waiting for {describe}; "
               f"last state seen: {_state_text(last, last_error)}")
    factory = on_timeout or (lambda msg, state: InfraTimeoutError(msg))
    raise factory(message, last_error if last_error is not None else last)


def wait_for_product(condition: Callable[[], T], timeout_s: float, interval_s: float = 0.2,
                     describe: str = "the product", **kwargs: Any) -> T:
    """Wait for a product behaviour; a timeout is a product failure (``ProductTimeoutError``)."""
    return wait_until(condition, timeout_s, interval_s, describe,
                      on_timeout=lambda msg, state: ProductTimeoutError(msg, state), **kwargs)


def wait_for_infra(condition: Callable[[], T], timeout_s: float, interval_s: float = 0.2,
                   describe: str = "the environment", **kwargs: Any) -> T:
    """Wait for infrastructure to become usable; a timeout raises ``InfraTimeoutError``."""
    def make(msg: str, state: Any) -> BaseException:
        error = InfraTimeoutError(msg)
        error.last_state = state  # type: ignore[attr-defined]
        return error

    return wait_until(condition, timeout_s, interval_s, describe, on_timeout=make, **kwargs)
