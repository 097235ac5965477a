"""Whose problem a failure is, as exception types (docs/ARCHITECTURE.md, "Whose problem is a failure").

* ``InfrastructureError`` and its family: the suite could not *reach* or *configure* a dependency —
  connection refused, DNS, TLS set-up, a missing secret, a misconfigured environment. Nothing here
  says anything about product behaviour.
* ``AssertionError`` (and :class:`focus_support.verdict.findings.ProductFailure`): a dependency was
  reached and answered wrongly — a wrong status, a body that is not JSON or lacks a field, a 5xx, a
  connection dropped without an answer, 429s past the advice of Retry-After. Those are product
  failures, classified like any assertion, never skips and never infrastructure.
"""
from __future__ import annotations

from focus_support.verdict.findings import Finding, ProductFailure


class InfrastructureError(Exception):
    """The suite could not do its work; says nothing about product behaviour."""

    category = "test infrastructure"


class UnreachableError(InfrastructureError):
    """A dependency did not answer at all (connection refused, DNS, TLS)."""


class InfraTimeoutError(InfrastructureError):
    """The environment did not become usable in time (a connection could not be opened, a stack did
    not come up). A product that accepted a request and never answered is a ProductFailure instead."""


class MisconfiguredError(InfrastructureError):
    """The chosen environment's configuration is missing, unknown or invalid."""


class ThrottledError(ProductFailure):
    """The server kept answering 429 although the client waited as its Retry-After told: the product's
    advice did not hold (a product failure, not an environment problem)."""

    def __init__(self, message: str, response: object | None = None) -> None:
        super().__init__(message, Finding("http.status", "served after waiting as told", ("429",)),
                         response=response)


class PreconditionNotMetError(InfrastructureError):
    """The environment is not in a state the scenario can run in, by its own declaration (the
    interrogator is waiting for fibre, the environment holds no data of the needed kind). Never
    raised for a product answer."""


class CleanupError(InfrastructureError):
    """One or more registered cleanup actions failed; the message lists each of them."""

    def __init__(self, failures: list[tuple[str, BaseException]]) -> None:
        self.failures = failures
        lines = [f"{len(failures)} cleanup action(s) failed:"]
        lines += [f"  - {what}: {type(exc).__name__}: {exc}" for what, exc in failures]
        super().__init__("\n".join(lines))


class UnexpectedResponseError(ProductFailure):
    """A product finding: the server answered with a status or body the contract does not allow.

    It is an ``AssertionError`` on purpose (the product is at fault); the message carries the
    whole exchange so the report shows what was sent and what came back, and the finding names the
    status (or ``http.body``) that was wrong.
    """

    def __init__(self, message: str, response: object | None = None, finding: Finding | None = None) -> None:
        if finding is None and response is not None and hasattr(response, "status_code"):
            from focus_support.verdict.findings import status_kind

            finding = Finding("http.status", "the documented answer", (status_kind(response.status_code),))
        super().__init__(message, finding, response=response)
