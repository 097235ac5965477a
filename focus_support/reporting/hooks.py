"""What the behave hooks call so that reports see the hooks' work.

* ``visible_hook``: decorate a hook (``before_all``, ``before_feature``, ``before_scenario``,
  ``after_scenario``, ``after_feature``, ``after_all``) so that it appears in Allure as a set-up or
  tear-down fixture with its own status, error and attachments. It re-raises: behave still sees it.
* ``before_all(context)``: registers secrets found in the environment, the tracker link pattern from
  ``-D issue_url_pattern=...`` (when the config does not give one) and the environment name.
* ``after_step(context, step)``: on a failed step, runs the registered failure-evidence collectors
  (e.g. ``collectors.job_evidence``: the scenario's jobs and the pod logs of failed ones), whose
  attachments land on that step.
"""
from __future__ import annotations

import functools
import logging
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import allure_commons
from allure_commons.utils import uuid4
from behave.model_type import Status

from focus_support.reporting import evidence
from focus_support.reporting.redaction import register_secret, secrets_from_environment
from focus_support.reporting.run_info import RUN, set_environment_info, set_tracker_url

log = logging.getLogger(__name__)
# Called with (context, step) after a failed step; attaches evidence through focus_support.reporting.evidence.
FailureCollector = Callable[[Any, Any], None]
_failure_collectors: list[FailureCollector] = []


def _label(args: tuple[Any, ...]) -> str | None:
    """The feature or scenario a hook runs for (behave passes it after the context)."""
    return getattr(args[1], "name", None) if len(args) > 1 else None


def visible_hook(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a behave hook so that its run shows in Allure as a fixture (set up / tear down)."""
    hook = fn.__name__

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with fixture(hook, _label(args)):
            return fn(*args, **kwargs)

    return wrapper


@contextmanager
def fixture(hook: str, label: str | None = None) -> Iterator[None]:
    """Report the enclosed work as an Allure fixture; ``hook`` starts with ``before_`` or ``after_``."""
    from focus_support.reporting import formatter  # the formatter knows whether Allure is running

    if formatter.ACTIVE is None or not hook.startswith(("before_", "after_")):
        yield
        return
    uuid = uuid4()
    # allure-behave files it under set-up or tear-down by the name's prefix
    name = f"{hook}: {label}" if label else hook
    plugin = allure_commons.plugin_manager.hook
    plugin.start_fixture(parent_uuid=None, uuid=uuid, name=name, parameters={})
    try:
        yield
    except BaseException:
        exc_type, exc, tb = sys.exc_info()
        plugin.stop_fixture(parent_uuid=None, uuid=uuid, name=name, exc_type=exc_type, exc_val=exc, exc_tb=tb)
        raise
    plugin.stop_fixture(parent_uuid=None, uuid=uuid, name=name, exc_type=None, exc_val=None, exc_tb=None)


def step(title: str) -> Any:
    """A sub-step inside a hook or a step (``with step("delete leftover jobs"): ...``)."""
    import allure

    return allure.step(title)


def add_failure_collector(collector: FailureCollector) -> None:
    """Register a function that gathers evidence (e.g. pod logs) when a step fails."""
    _failure_collectors.append(collector)


def clear_failure_collectors() -> None:
    """Forget every registered failure collector (between runs in one process)."""
    _failure_collectors.clear()


def before_all(context: Any) -> None:
    """Register environment secrets, tracker link pattern and environment name for the report."""
    for secret in secrets_from_environment():
        register_secret(secret)
    userdata = getattr(getattr(context, "config", None), "userdata", {}) or {}
    if not RUN.tracker_url and userdata.get("issue_url_pattern"):
        set_tracker_url(userdata.get("issue_url_pattern"))
    if userdata.get("env") and "Environment" not in RUN.environment:
        set_environment_info(Environment=userdata.get("env"))


def after_step(context: Any, step: Any) -> None:
    """On a failed step, attach what the failure collectors find, to that step."""
    if step.status not in (Status.failed, Status.error, Status.hook_error):
        return
    for collector in list(_failure_collectors):
        try:
            collector(context, step)
        except Exception as exc:  # evidence gathering must never hide the step's own failure
            log.warning("failure evidence collector %r raised %r", collector, exc)
            evidence.attach(f"evidence collector {getattr(collector, '__name__', collector)} failed", repr(exc))
