"""behave hooks for the acceptance suite (``environment.py`` re-exports them).

Per run: load the environment, run the preflight, wire reporting, and guarantee a final job sweep
(also on Ctrl-C). Per scenario: skip what may not run here, give the steps a fresh ``ScenarioState``,
apply ``@fixture.*`` tags, and undo everything the scenario created even when it failed.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
from typing import Any

from focus_support import fixtures
from focus_support.config.loader import sandbox_runtime_path, selected_environment
from focus_support.context import SuiteContext
from focus_support.errors import CleanupError, MisconfiguredError
from focus_support.reporting import collectors, evidence, hooks as report_hooks, run_info
from focus_support.reporting.hooks import visible_hook
from focus_support.reporting.run_facts import RunFacts, load_facts, reports_dir_of_run, write_facts
from focus_support.selfcheck import run_self_checks


def _selected_environment(context: Any) -> str:
    """The environment of this run: ``-D env=`` or, by the loader's one rule, ``FOCUS_ENV`` or ``local``."""
    return selected_environment(context.config.userdata.get("env"))


def _sandbox_identity(env_name: str) -> tuple[str | None, list[str] | None]:
    """The sandbox profile and defect switches of this run, for the report's environment widget."""
    if env_name != "local":
        return None, None
    try:
        runtime = json.loads(sandbox_runtime_path().read_text())
    except (OSError, ValueError):
        return None, None
    return runtime.get("profile"), runtime.get("defects") or []


def _load_suite_or_exit(env_name: str) -> SuiteContext:
    """Load the environment; a bad name or key is one clear line and exit code 2, before any scenario."""
    try:
        return SuiteContext.load(env_name)
    except MisconfiguredError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(2)  # behave would wrap a raised error in a multi-line hook report


def _wire_reporting(context: Any, suite: SuiteContext) -> None:
    report_hooks.before_all(context)
    profile, defects = _sandbox_identity(suite.environment.name)
    run_info.configure_from_environment(suite.environment, profile=profile, defects=defects)
    suite.recorder.add_listener(evidence.attach_http_exchange)
    report_hooks.add_failure_collector(
        collectors.job_evidence(lambda ctx: ctx.suite.k8s, lambda ctx: ctx.state.created_job_ids))


def before_all(context: Any) -> None:
    """Load the environment, validate it, and make sure every job of the run is swept at the end."""
    suite = _load_suite_or_exit(_selected_environment(context))
    context.suite = suite
    _wire_reporting(context, suite)
    before_all_preflight(suite)
    from focus_support.cleanup import install_interrupt_sweep

    context.uninstall_sweep = install_interrupt_sweep(suite.sweep)


@visible_hook
def before_all_preflight(suite: SuiteContext) -> None:
    report = suite.preflight()
    print(report.table(), flush=True)
    checks = run_self_checks()
    failed = [c for c in checks if not c.passed]
    print(f"Suite self-checks: {len(checks) - len(failed)}/{len(checks)} passed"
          + "".join(f"\n  FAILED {c.name}: {c.detail}" for c in failed), flush=True)
    started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    write_facts(RunFacts(environment=suite.environment.name, shared=getattr(suite.environment, "shared", None),
                         started_at=started,
                         preflight=[{"dependency": r.dependency, "route": r.route, "status": r.status.value,
                                     "detail": r.detail} for r in report.results],
                         self_checks=[c.to_dict() for c in checks]))
    report.require_focus_server()


@visible_hook
def before_feature(context: Any, feature: Any) -> None:
    """Feature-level ``@fixture.*`` tags."""
    fixtures.use_tagged_fixtures(context, feature.tags)


@visible_hook
def before_scenario(context: Any, scenario: Any) -> None:
    """Skip what may not run here (with the reason), else fresh state and the scenario's fixtures."""
    suite: SuiteContext = context.suite
    tags = list(scenario.effective_tags)
    context.state = suite.new_scenario(scenario.name, tags)
    reason = suite.skip_reason(tags)
    if reason:
        scenario.skip(reason)
        return
    fixtures.use_tagged_fixtures(context, scenario.tags)


def before_step(context: Any, step: Any) -> None:
    """Nothing yet: kept so that environment.py exports the full hook set."""


def after_step(context: Any, step: Any) -> None:
    """Attach failure evidence (job resources, pod logs) to the step that failed."""
    report_hooks.after_step(context, step)


@visible_hook
def after_scenario(context: Any, scenario: Any) -> None:
    """Undo the scenario LIFO, even after a failure; a cleanup that could not finish fails it."""
    state = getattr(context, "state", None)
    if state is None:
        return
    # cancel now, in reverse order; the final sweep confirms everything is gone (saves a janitor wait per scenario)
    report = context.suite.finish_scenario(state, confirm_jobs_gone=False)
    _announce(report, f"scenario '{scenario.name}'")
    if report.errors:
        raise CleanupError([(f"cleanup of scenario '{scenario.name}'", RuntimeError(e)) for e in report.errors])


def _announce(report: Any, where: str) -> None:
    """Leaks were force-deleted already: the job_cleanup feature judges the product; here we only tell."""
    if report.fallbacks or report.leaks:
        text = report.describe()
        print(f"  cleanup of {where}: {text}", flush=True)
        evidence.attach(f"cleanup of {where}", text)


@visible_hook
def after_feature(context: Any, feature: Any) -> None:
    """Nothing per feature yet; visible in the report for symmetry with before_feature."""


def after_all(context: Any) -> None:
    """Final sweep of every job the run created, then close every client."""
    suite: SuiteContext | None = getattr(context, "suite", None)
    if suite is None:
        return
    try:
        after_all_sweep(suite)
    finally:
        uninstall = getattr(context, "uninstall_sweep", None)
        if uninstall:
            uninstall()
        suite.close()


def _record_client_facts() -> None:
    """How the run's clients met throttling and broker outages, for the analysis's infrastructure rows."""
    from focus_support import retry
    from focus_support.rabbit import connection

    folder = reports_dir_of_run()
    facts = load_facts(folder) if folder is not None else None
    if facts is None:
        return
    facts.throttling, facts.broker, facts.finished = retry.STATS.to_dict(), connection.STATS.to_dict(), True
    write_facts(facts, folder)


@visible_hook
def after_all_sweep(suite: SuiteContext) -> None:
    _record_client_facts()
    report = suite.sweep()
    _announce(report, "the run (final sweep)")
    if report.errors:
        raise CleanupError([("end-of-run sweep", RuntimeError(e)) for e in report.errors])
