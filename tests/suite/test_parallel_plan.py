"""The plan of a run and how it is split: shards cover the suite exactly once, shares are balanced,
scenarios that must run alone are kept apart, and a worker runs exactly its share. No sandbox."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.parallel_run import phases_for
from scripts.scenario_plan import (PlannedScenario, balanced_parts, collect, estimates, load_durations,
                                   parse_shard, read_locations, shard, write_locations)

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.suite


@pytest.fixture(scope="module")
def plan() -> list[PlannedScenario]:
    return collect()


@pytest.fixture(scope="module")
def durations(plan) -> dict[str, float]:
    # skewed made-up timings: a few long scenarios among many short ones
    return {s.location: (30.0 if i % 17 == 0 else 0.2 + (i % 5) * 0.3) for i, s in enumerate(plan)}


def test_the_plan_lists_every_scenario_and_outline_row_once(plan):
    locations = [s.location for s in plan]
    assert len(plan) > 50, len(plan)
    assert len(locations) == len(set(locations))
    assert all(loc.startswith("features/") and loc.rsplit(":", 1)[1].isdigit() for loc in locations)
    assert any(" -- @" in s.name for s in plan), "outline rows are planned one by one"


def test_the_plan_follows_behaves_tag_selection(plan):
    tagged = collect(["--tags", "@serial"])
    assert tagged and all("serial" in s.tags for s in tagged)
    assert {s.location for s in tagged} == {s.location for s in plan if "serial" in s.tags}
    assert not {s.location for s in collect(["--tags", "not @serial"])} & {s.location for s in tagged}


def test_a_location_plans_that_scenario_only(plan):
    one = plan[3]
    assert [s.location for s in collect([one.location])] == [one.location]


@pytest.mark.parametrize("total", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("timed", [False, True])
def test_shards_cover_the_suite_exactly_once(plan, durations, total, timed):
    timings = durations if timed else {}
    parts = [shard(plan, f"{i}/{total}", timings) for i in range(1, total + 1)]
    seen = [s.location for part in parts for s in part]
    assert sorted(seen) == sorted(s.location for s in plan), "union of the shards is the whole plan"
    assert len(seen) == len(set(seen)), "no scenario is in two shards"
    again = [shard(plan, f"{i}/{total}", dict(timings)) for i in range(1, total + 1)]
    assert parts == again, "the split is deterministic"


def test_shards_are_balanced_by_duration(plan, durations):
    cost = estimates(plan, durations)
    parts = balanced_parts(plan, 3, durations)
    loads = [sum(cost[s.location] for s in part) for part in parts]
    assert max(loads) - min(loads) <= max(cost.values()), loads


def test_without_timings_shards_are_balanced_by_count(plan):
    sizes = [len(part) for part in balanced_parts(plan, 4, {})]
    assert max(sizes) - min(sizes) <= 1, sizes


def test_each_part_keeps_the_run_order(plan, durations):
    order = {s.location: i for i, s in enumerate(plan)}
    for part in balanced_parts(plan, 3, durations):
        assert [order[s.location] for s in part] == sorted(order[s.location] for s in part)


def test_timings_come_from_a_run_record_and_survive_moved_lines(tmp_path, plan):
    first, second = plan[0], plan[1]
    moved = f"{first.file}:{first.line + 100}"  # the scenario moved since the timed run
    (tmp_path / "run-results.json").write_text(json.dumps({"records": [
        {"location": moved, "scenario": first.name, "duration_s": 12.5, "status": "passed"},
        {"location": second.location, "scenario": second.name, "duration_s": 3.0, "status": "failed"},
        {"location": "", "scenario": "behave run", "duration_s": 0.0, "status": "broken"}]}))
    cost = estimates(plan, load_durations(tmp_path / "run-results.json"))
    assert cost[first.location] == 12.5 and cost[second.location] == 3.0
    assert cost[plan[2].location] == 7.75, "unknown scenarios are estimated at the median of the known ones"
    assert load_durations(tmp_path / "absent.json") == {}


@pytest.mark.parametrize("text", ["0/3", "4/3", "2", "a/b", "1/0"])
def test_a_malformed_shard_is_refused(text):
    with pytest.raises(ValueError, match="SHARD"):
        parse_shard(text)


def test_scenarios_that_must_run_alone_get_their_own_phase(plan, durations, tmp_path):
    phases = phases_for(plan, 3, durations, tmp_path)
    assert [p.name for p in phases] == ["parallel", "alone"]
    assert len(phases[0].workers) == 3
    alone = phases[1].workers[0].scenarios
    assert alone and all(s.alone for s in alone)
    assert not any(s.alone for w in phases[0].workers for s in w.scenarios)
    planned = sorted(s.location for p in phases for w in p.workers for s in w.scenarios)
    assert planned == sorted(s.location for s in plan)


def test_one_job_is_one_plain_run_in_plan_order(plan, tmp_path):
    phases = phases_for(plan, 1, {}, tmp_path)
    assert len(phases) == 1 and len(phases[0].workers) == 1
    assert phases[0].workers[0].scenarios == plan


FEATURE = """\
Feature: Selection
  Background:
    Given it works

  Scenario: first
    Given it works
  Scenario: second
    Given the product answers 3 instead of 4
  Scenario Outline: row <n>
    Given it works
    Examples:
      | n |
      | 1 |
      | 2 |
"""


def test_a_worker_runs_and_reports_exactly_its_selection(tmp_path):
    sys.path.insert(0, str(REPO / "tests" / "reporting"))
    from reporting_tiny_suite import make_project

    root = make_project(tmp_path / "p", {"sel/sel.feature": FEATURE, "other/other.feature": FEATURE})
    locations = write_locations(root / "locations.txt", [
        PlannedScenario("features/sel/sel.feature:7", "Selection", "second", ()),
        PlannedScenario("features/sel/sel.feature:14", "Selection", "row 2 -- @1.2 ", ())])
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "scripts.private_behave", "--results", "out/allure-results",
                           "--console", "focus_support.reporting.console:ScenarioLinesFormatter",
                           "--select", str(locations)], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120)
    records = json.loads((root / "out" / "run-results.json").read_text())["records"]
    assert [(r["location"], r["status"]) for r in records] == [
        ("features/sel/sel.feature:7", "failed"), ("features/sel/sel.feature:14", "passed")], done.stdout
    results = [json.loads(p.read_text()) for p in (root / "out" / "allure-results").glob("*-result.json")]
    assert sorted(r["name"].strip() for r in results) == ["row 2 -- @1.2", "second"]
    assert read_locations(locations) == ["features/sel/sel.feature:7", "features/sel/sel.feature:14"]
    assert done.returncode == 1, done.stdout + done.stderr
