"""The suite on real sandbox stacks: green on the spec profile, and the waterfall rules proven honest.

Two runs go on side by side (each with its own stack and reports folder): the whole suite against
the spec profile, and the waterfall feature with the ``waterfall_rules_not_enforced`` switch.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from scripts.suite_runs import RunOutcome, SuiteRun, execute

pytestmark = [pytest.mark.suite, pytest.mark.stack, pytest.mark.slow]

WATERFALL = "features/configuration/waterfall_rules.feature"
SWITCH = "waterfall_rules_not_enforced"


def _describe(outcome: RunOutcome) -> str:
    failures = [(r.location, r.scenario, r.kind, r.error_line) for r in outcome.failures]
    return (f"run {outcome.run.label}: stack error {outcome.stack_error}, behave exit {outcome.behave_exit_code}, "
            f"counts {outcome.counts()}, failures {failures}; files in {outcome.workdir}")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, RunOutcome]:
    """The whole suite on spec and the waterfall feature with its switch, run concurrently."""
    root = tmp_path_factory.mktemp("suite-runs")
    wanted = {"spec": SuiteRun(label="spec"),
              "waterfall-switch": SuiteRun(label="waterfall-switch", defects=(SWITCH,), paths=(WATERFALL,))}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(execute, run, root / name) for name, run in wanted.items()}
        return {name: future.result() for name, future in futures.items()}


def _waterfall(outcome: RunOutcome):
    return [r for r in outcome.records if r.location.startswith(WATERFALL + ":")]


def test_a_spec_profile_run_of_the_whole_suite_is_green(runs):
    spec = runs["spec"]
    assert spec.stack_error is None and spec.records, _describe(spec)
    assert spec.green, _describe(spec)
    ran = [r for r in spec.records if r.status != "skipped"]
    assert len(ran) >= 100, f"only {len(ran)} scenarios ran: {_describe(spec)}"


def test_the_waterfall_feature_passes_on_the_spec_profile(runs):
    records = _waterfall(runs["spec"])
    assert records, f"no waterfall scenario in the spec run: {_describe(runs['spec'])}"
    assert all(r.status == "passed" for r in records), [(r.scenario, r.status, r.error_line) for r in records]


def test_the_waterfall_rejections_fail_as_product_findings_with_the_switch(runs):
    outcome = runs["waterfall-switch"]
    records = _waterfall(outcome)
    rejecting = [r for r in records if "is rejected" in r.scenario]
    assert rejecting, _describe(outcome)
    wrong = [(r.scenario, r.status, r.kind, r.error_line) for r in rejecting
             if not (r.status == "failed" and r.kind == "assertion")]
    assert not wrong, f"rejecting scenarios that did not fail by assertion with {SWITCH}: {wrong}"


def test_the_waterfall_scenarios_the_switch_does_not_touch_still_pass(runs):
    others = [r for r in _waterfall(runs["waterfall-switch"]) if "is rejected" not in r.scenario]
    assert others, _describe(runs["waterfall-switch"])
    assert all(r.status == "passed" for r in others), [(r.scenario, r.status, r.error_line) for r in others]
