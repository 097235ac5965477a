"""Honest outcomes for behave steps and scenarios (allure-behave 2.16 gets some of them wrong).

allure-behave maps behave 1.3's ``pending``/``pending_warn``/``hook_error`` statuses to nothing and
reports a scenario whose ``before_scenario`` hook raised as *skipped* without a message. Here every
behave status maps to an Allure status with a reason, and the kind of failure is kept for triage.
"""
from __future__ import annotations

import re
import traceback
from dataclasses import dataclass
from typing import Any

from behave.model_type import Status

from focus_support.errors import InfrastructureError

# Allure statuses
PASSED, FAILED, BROKEN, SKIPPED = "passed", "failed", "broken", "skipped"

# Kinds of outcome, the input of triage
KIND_PASSED = "passed"
KIND_SKIPPED = "skipped"
KIND_ASSERTION = "assertion"            # the product did not behave as specified
KIND_INFRASTRUCTURE = "infrastructure"  # the InfrastructureError family
KIND_ERROR = "error"                    # any other exception: a defect of the test code
KIND_PENDING = "pending"                # step registered but not implemented
KIND_UNDEFINED = "undefined"            # no step definition
KIND_INTERRUPTED = "interrupted"        # the user stopped the run (Ctrl-C, SIGTERM)
FAILURE_KINDS = (KIND_ASSERTION, KIND_INFRASTRUCTURE, KIND_ERROR, KIND_PENDING, KIND_UNDEFINED, KIND_INTERRUPTED)

_HOOK_NAME = re.compile(r"HOOK-ERROR in (\w+)")


@dataclass
class Outcome:
    """What happened to a step or scenario, ready for Allure and for the run record."""

    status: str
    kind: str
    message: str | None = None
    trace: str | None = None
    exception: BaseException | None = None
    hook: str | None = None
    step: str | None = None          # keyword and text, e.g. "Then the alert is accepted"
    step_text: str | None = None     # the text alone (what failure signatures match)

    @property
    def error_type(self) -> str | None:
        """Qualified class name of the exception, if any."""
        if self.exception is None:
            return None
        cls = type(self.exception)
        return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def kind_of_exception(exc: BaseException | None) -> str:
    """assertion, infrastructure, interrupted or error, decided by the exception's type only.

    This is the one place the rule "whose problem is it" is applied to an exception (see
    docs/ARCHITECTURE.md): the product answered wrongly -> ``AssertionError`` (the clients and
    scenario helpers raise it for every wrong answer); the suite could not reach or configure a
    dependency -> ``InfrastructureError``; the user stopped the run -> interrupted; anything else is
    a defect of the suite's own code, reported with the infrastructure.
    """
    if isinstance(exc, (KeyboardInterrupt, SystemExit)):
        return KIND_INTERRUPTED
    if isinstance(exc, InfrastructureError):
        return KIND_INFRASTRUCTURE
    if isinstance(exc, AssertionError):
        return KIND_ASSERTION
    return KIND_ERROR


def _describe(exc: BaseException | None) -> str | None:
    if exc is None:
        return None
    if isinstance(exc, AssertionError) and str(exc):
        return str(exc).strip()  # a product finding: its message is the whole story, the class name is noise
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


def _trace(holder: Any) -> str | None:
    tb = getattr(holder, "exc_traceback", None)
    if tb is None:
        return None
    if isinstance(tb, list):
        return "\n".join(tb)
    return "".join(traceback.format_tb(tb))


def _status_for(kind: str) -> str:
    if kind == KIND_INTERRUPTED:
        return SKIPPED
    return FAILED if kind == KIND_ASSERTION else BROKEN


def step_outcome(step: Any) -> Outcome:
    """The outcome of one executed (or not executed) behave step."""
    status = step.status
    exc = getattr(step, "exception", None)
    name = f"{step.keyword} {step.name}"
    outcome = _step_outcome(step, status, exc, name)
    outcome.step_text = step.name
    return outcome


def _step_outcome(step: Any, status: Any, exc: BaseException | None, name: str) -> Outcome:
    if status is Status.passed:
        return Outcome(PASSED, KIND_PASSED, step=name)
    if status is Status.undefined:
        return Outcome(BROKEN, KIND_UNDEFINED, step=name,
                       message=f"UNDEFINED step: no step definition matches '{name}'")
    if status is Status.pending:
        detail = _describe(exc) or step.error_message or ""
        return Outcome(BROKEN, KIND_PENDING, step=name, exception=exc, trace=_trace(step),
                       message=f"PENDING step: '{name}' is not implemented yet ({detail})")
    if status is Status.pending_warn:
        return Outcome(SKIPPED, KIND_SKIPPED, step=name,
                       message=f"PENDING step accepted in --wip mode: '{name}' is not implemented yet")
    if status is Status.hook_error:
        outcome = _hook_outcome(step, "step")
        outcome.step = name
        if not (outcome.message or "").startswith("HOOK-ERROR"):
            outcome.message = f"HOOK-ERROR in before_step/after_step: {outcome.message}"
        return outcome
    if status in (Status.failed, Status.error):
        kind = kind_of_exception(exc) if exc is not None else (KIND_ASSERTION if status is Status.failed else KIND_ERROR)
        message = _describe(exc) or step.error_message
        if kind == KIND_INTERRUPTED:
            message = f"interrupted by the user during this step ({type(exc).__name__})"
        return Outcome(_status_for(kind), kind, message, _trace(step), exc, step=name)
    # untested, skipped: the step did not run
    return Outcome(SKIPPED, KIND_SKIPPED, step=name)


def _hook_outcome(holder: Any, where: str) -> Outcome:
    """Outcome of a failed scenario/feature hook stored on ``holder`` by behave's runner."""
    exc = getattr(holder, "exception", None)
    message = getattr(holder, "error_message", None) or _describe(exc) or f"a {where} hook failed"
    hook = _HOOK_NAME.search(message)
    kind = kind_of_exception(exc)
    # A failing hook never says the product is wrong by itself: always broken, never failed.
    return Outcome(BROKEN, kind if kind != KIND_ASSERTION else KIND_ERROR, message, _trace(holder), exc,
                   hook=hook.group(1) if hook else f"{where} hook")


def scenario_outcome(scenario: Any) -> Outcome:
    """The outcome of a scenario: its first failing step, else a failed hook, else pass/skip."""
    steps = [step_outcome(s) for s in scenario.all_steps]
    first_failure = next((o for o in steps if o.kind in FAILURE_KINDS), None)
    hook_failed = bool(getattr(scenario, "hook_failed", False))
    feature = getattr(scenario, "feature", None)
    feature_hook_failed = bool(getattr(feature, "hook_failed", False))

    if first_failure is not None:
        if hook_failed and scenario.error_message and scenario.error_message not in (first_failure.message or ""):
            # e.g. a failing step followed by a failing after_scenario: keep both visible
            first_failure.message = f"{first_failure.message}\n{scenario.error_message}"
        return first_failure
    if hook_failed:
        return _hook_outcome(scenario, "scenario")
    if feature_hook_failed and not any(o.kind == KIND_PASSED for o in steps):
        return _hook_outcome(feature, "feature")
    wip = next((o for o in steps if o.message and o.status == SKIPPED), None)
    if wip is not None:
        return wip
    if steps and all(o.kind == KIND_PASSED for o in steps):
        return Outcome(PASSED, KIND_PASSED)
    if not steps and scenario.status is Status.passed:
        return Outcome(PASSED, KIND_PASSED)
    reason = getattr(scenario, "skip_reason", None)
    return Outcome(SKIPPED, KIND_SKIPPED, message=f"skipped: {reason}" if reason else None)
