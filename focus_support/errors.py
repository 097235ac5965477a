"""Typed failures that are *not* findings about the product.

An assertion failure (``AssertionError``) says the product behaved wrongly. Everything raised from
this family says the test could not observe the product: the environment was unreachable, timed
out, was misconfigured, or throttled us beyond our retry budget. Reports use the distinction to say
whose problem a failure is.
"""
from __future__ import annotations


class InfrastructureError(Exception):
    """The suite could not do its work; says nothing about product behaviour."""

    category = "test infrastructure"


class UnreachableError(InfrastructureError):
    """A dependency did not answer at all (connection refused, DNS, TLS)."""


class InfraTimeoutError(InfrastructureError):
    """A dependency or a condition did not answer within its deadline."""


class MisconfiguredError(InfrastructureError):
    """The chosen environment's configuration is missing, unknown or invalid."""


class ThrottledError(InfrastructureError):
    """The server kept answering 429 after the client's bounded retries."""


class PreconditionNotMetError(InfrastructureError):
    """The environment is not in a state the scenario can run in (e.g. waiting for fibre)."""


class CleanupError(InfrastructureError):
    """One or more registered cleanup actions failed; the message lists each of them."""

    def __init__(self, failures: list[tuple[str, BaseException]]) -> None:
        self.failures = failures
        lines = [f"{len(failures)} cleanup action(s) failed:"]
        lines += [f"  - {what}: {type(exc).__name__}: {exc}" for what, exc in failures]
        super().__init__("\n".join(lines))


class UnexpectedResponseError(AssertionError):
    """A product finding: the server answered with a status or body the contract does not allow.

    It is an ``AssertionError`` on purpose (the product is at fault); the message carries the
    whole exchange so the report shows what was sent and what came back.
    """

    def __init__(self, message: str, response: object | None = None) -> None:
        super().__init__(message)
        self.response = response
