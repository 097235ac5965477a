"""Tiny behave runs: every behave outcome reaches Allure with a visible status and reason."""
from __future__ import annotations

import pytest

from reporting_tiny_suite import make_project, run_behave

FEATURE = """\
Feature: Statuses
  Scenario: passes
    Given it works

  Scenario: product is wrong
    Given the product answers 2 instead of 1

  @broken_setup
  Scenario: setup hook fails
    Given it works

  @broken_cleanup
  Scenario: cleanup hook fails
    Given it works

  Scenario: pending step
    Given it is not written yet
    Then it works

  Scenario: undefined step
    Given nobody wrote this step

  Scenario: server unreachable
    Given the server cannot be reached

  Scenario: step code bug
    Given the step code has a bug

  @destructive
  Scenario: skipped at run time
    Given it works

  @excluded
  Scenario: excluded by tags
    Given it works
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = make_project(tmp_path_factory.mktemp("statuses"), {"area/statuses.feature": FEATURE})
    return run_behave(root, "--tags", "not @excluded")


def _message(result: dict) -> str:
    return (result.get("statusDetails") or {}).get("message", "")


def test_before_scenario_failure_is_broken_with_the_error(run):
    result = run.results()["setup hook fails"]
    assert result["status"] == "broken", result
    assert "HOOK-ERROR in before_scenario" in _message(result)
    assert "kubernetes API at http://127.0.0.1:9 is unreachable" in _message(result)
    assert "UnreachableError" in _message(result)


def test_before_scenario_failure_is_recorded_as_infrastructure(run):
    record = run.records()["setup hook fails"]
    assert (record["status"], record["kind"], record["hook"], record["category"]) == \
        ("broken", "infrastructure", "before_scenario", "test infrastructure")
    assert record["error_type"] == "focus_support.errors.UnreachableError"
    assert record["infrastructure"] is True and record["assertion"] is False


def test_failing_hook_is_shown_as_a_fixture_with_its_error(run):
    befores = [b for c in run.containers() for b in c.get("befores", [])
               if b["name"] == "before scenario: setup hook fails"]
    assert len(befores) == 1, [b["name"] for c in run.containers() for b in c.get("befores", [])]
    assert befores[0]["status"] == "broken"
    assert "unreachable" in befores[0]["statusDetails"]["message"]


def test_every_hook_run_is_visible(run):
    names = {f["name"] for c in run.containers() for f in c.get("befores", []) + c.get("afters", [])}
    assert "before all" in names
    assert "before scenario: passes" in names and "after scenario: passes" in names


def test_after_scenario_failure_is_broken_not_passed(run):
    result = run.results()["cleanup hook fails"]
    assert result["status"] == "broken"
    assert "HOOK-ERROR in after_scenario" in _message(result)
    assert run.records()["cleanup hook fails"]["category"] == "test infrastructure"


def test_pending_step_has_a_status_and_reason(run):
    result = run.results()["pending step"]
    assert result["status"] == "broken"
    assert "PENDING step" in _message(result) and "waiting for the spec" in _message(result)
    step = result["steps"][0]
    assert step["status"] == "broken" and "PENDING" in step["statusDetails"]["message"]
    assert result["steps"][1]["status"] == "skipped"
    assert run.records()["pending step"]["kind"] == "pending"


def test_undefined_step_has_a_status_and_reason(run):
    result = run.results()["undefined step"]
    assert result["status"] == "broken"
    assert "UNDEFINED step" in _message(result) and "nobody wrote this step" in _message(result)
    assert run.records()["undefined step"]["category"] == "test infrastructure"


def test_assertion_is_failed_and_a_new_product_bug(run):
    result = run.results()["product is wrong"]
    assert result["status"] == "failed"
    assert _message(result).startswith("[product bug — new] expected 1, got 2")
    record = run.records()["product is wrong"]
    assert record["assertion"] is True and record["error_line"] == "expected 1, got 2"
    assert record["failing_step"] == "Given the product answers 2 instead of 1"


def test_infrastructure_error_and_code_bug_are_broken(run):
    assert run.results()["server unreachable"]["status"] == "broken"
    assert run.records()["server unreachable"]["infrastructure"] is True
    assert run.results()["step code bug"]["status"] == "broken"
    assert run.records()["step code bug"]["kind"] == "error"


def test_passing_scenario_passes(run):
    assert run.results()["passes"]["status"] == "passed"
    assert run.records()["passes"]["category"] is None


def test_pending_step_in_wip_mode_is_skipped_with_reason(tmp_path):
    root = make_project(tmp_path, {"wip.feature": """\
        Feature: Wip
          @wip
          Scenario: pending in wip
            Given it is not written yet
        """})
    run = run_behave(root, "--wip")
    result = run.results()["pending in wip"]
    assert result["status"] == "skipped"
    assert "PENDING step accepted in --wip mode" in _message(result)


def test_scenario_skipped_by_a_hook_is_shown_with_its_reason(run):
    result = run.results()["skipped at run time"]
    assert result["status"] == "skipped"
    assert "destructive scenarios are not allowed" in _message(result)
    assert run.records()["skipped at run time"]["status"] == "skipped"
    assert run.records()["skipped at run time"]["category"] is None


def test_scenario_excluded_by_tags_is_neither_reported_nor_recorded(run):
    assert "excluded by tags" not in run.results()
    assert "excluded by tags" not in run.records()
