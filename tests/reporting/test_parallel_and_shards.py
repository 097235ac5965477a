"""A run split over parallel workers, or over shards merged afterwards, reports what one run reports.

A tiny behave project (no sandbox) wired like the suite: the same plan, the same workers
(``scripts.parallel_run``), the same merge (``scripts.merge_runs``); compared are the records'
statuses and kinds, the Cucumber scenarios and the JUnit outcomes, scenario by scenario.
"""
from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from reporting_tiny_suite import make_project
from scripts.merge_runs import merge
from scripts.parallel_run import SCENARIO_LINE, run_suite
from scripts.scenario_plan import collect

pytestmark = pytest.mark.slow

AREA = """\
Feature: Area {n}
  Background:
    Given it works

  Scenario: first of {n}
    Given it works
  Scenario: second of {n}
    Given it works
  Scenario: wrong in {n}
    Given the product answers 3 instead of 4
  @serial
  Scenario: alone in {n}
    Given it works
  Scenario Outline: row <x> of {n}
    Given it works
    Examples:
      | x |
      | 1 |
      | 2 |
"""
BROKEN = """\
Feature: Broken
  Scenario: unreachable
    Given the server cannot be reached
  @exclusive
  Scenario: exclusive and fine
    Given it works
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    features = {f"area{n}/a{n}.feature": AREA.format(n=n) for n in range(1, 4)}
    features["broken/b.feature"] = BROKEN
    return make_project(tmp_path_factory.mktemp("parallel"), features)


def _run(project: Path, reports: Path, jobs: int = 1, shard: str | None = None) -> tuple[int, str]:
    out = io.StringIO()
    code = run_suite("tiny", "", [], jobs=jobs, shard_spec=shard, reports=reports, out=out, cwd=project)
    return code, out.getvalue()


def _outcomes(reports: Path) -> dict[str, tuple[str, str]]:
    records = json.loads((reports / "run-results.json").read_text())["records"]
    return {r["location"]: (r["status"], r["kind"]) for r in records}


def _cucumber(reports: Path) -> list[tuple[str, int, str, tuple[str, ...]]]:
    doc = json.loads((reports / "cucumber.json").read_text())
    return [(f["uri"], e["line"], e["type"], tuple(s["result"]["status"] for s in e["steps"]))
            for f in doc for e in f["elements"]]


def _junit(reports: Path) -> dict[tuple[str, str], tuple[str, ...]]:
    root = ET.parse(next((reports / "junit").glob("*.xml"))).getroot()
    return {(c.get("classname"), c.get("name")): tuple(ch.tag for ch in c if ch.tag != "properties")
            for c in root.iter("testcase")}


@pytest.fixture(scope="module")
def serial(project, tmp_path_factory):
    reports = tmp_path_factory.mktemp("serial") / "reports"
    return reports, _run(project, reports, jobs=1)


@pytest.fixture(scope="module")
def parallel(project, tmp_path_factory):
    reports = tmp_path_factory.mktemp("parallel") / "reports"
    return reports, _run(project, reports, jobs=3)


def test_the_serial_run_is_complete(project, serial):
    reports, (code, output) = serial
    assert code == 1, output
    assert len(_outcomes(reports)) == len(collect(root=project)) == 20
    assert (reports / "rerun.txt").read_text().split()  # the failures are listed for make rerun


def test_parallel_workers_report_what_one_run_reports(serial, parallel):
    assert _outcomes(parallel[0]) == _outcomes(serial[0]), parallel[1][1]
    assert _cucumber(parallel[0]) == _cucumber(serial[0])
    assert _junit(parallel[0]) == _junit(serial[0])
    assert (parallel[0] / "rerun.txt").read_text() == (serial[0] / "rerun.txt").read_text()
    assert parallel[1][0] == serial[1][0]


def test_parallel_console_is_one_line_per_scenario_with_a_running_count(parallel):
    output = parallel[1][1]
    lines = [line for line in output.splitlines() if SCENARIO_LINE.match(line)]
    assert len(lines) == 20, output
    assert [line.split()[2] for line in lines] == [f"{i:>2}/20".strip() for i in range(1, 21)]
    assert "Given it works" not in output, "no step lines"
    assert "ABORTED" not in output and "features passed" not in output
    assert "Failures (4):" in output and "expected: 4" in output and "seen:     3" in output
    assert "Scenarios: 20 — 16 passed, 3 failed, 1 broken, 0 skipped" in output  # no made-up skips


def test_scenarios_marked_serial_or_exclusive_ran_after_the_parallel_phase(parallel):
    reports = parallel[0]
    alone = (reports / "workers" / "alone" / "locations.txt").read_text().split()
    assert len(alone) == 4 and all(":" in loc for loc in alone)
    for worker in ("w1", "w2", "w3"):
        mine = set((reports / "workers" / worker / "locations.txt").read_text().split())
        assert not mine & set(alone)


def test_shards_merge_into_what_one_run_reports(project, serial, tmp_path):
    parts = []
    for i in (1, 2, 3):
        reports = tmp_path / f"shard{i}"
        _run(project, reports, jobs=2, shard=f"{i}/3")
        parts.append(reports)
    merged = tmp_path / "merged"
    summary = merge(parts, merged, plan=collect(root=project))
    assert not summary.missing and not summary.duplicated
    assert _outcomes(merged) == _outcomes(serial[0])
    assert _cucumber(merged) == _cucumber(serial[0])
    assert _junit(merged) == _junit(serial[0])


def test_a_missing_shard_is_reported_not_hidden(project, tmp_path):
    reports = tmp_path / "shard1"
    _run(project, reports, jobs=1, shard="1/2")
    summary = merge([reports], tmp_path / "merged", plan=collect(root=project))
    assert summary.missing
    records = json.loads((tmp_path / "merged" / "run-results.json").read_text())["records"]
    gaps = [r for r in records if r["location"] in summary.missing]
    assert gaps and all(r["status"] == "broken" and "not run" in r["error_line"] for r in gaps)


def test_a_worker_that_fails_outside_any_scenario_is_a_run_level_failure(project, tmp_path):
    # a hooks file that raises in before_all: the worker records nothing and exits non-zero
    broken = make_project(tmp_path / "broken", {"x/x.feature": "Feature: X\n  Scenario: s\n    Given it works\n"},
                          hooks="def before_all(context):\n    raise RuntimeError('no environment')\n")
    code, output = _run(broken, tmp_path / "reports", jobs=2)
    records = json.loads((tmp_path / "reports" / "run-results.json").read_text())["records"]
    assert code != 0
    assert [r["status"] for r in records] == ["broken"], records
    assert "worker w1: behave exited" in records[0]["error_line"], records


def test_the_workers_run_facts_merge_into_the_runs():
    from scripts.merge_runs import merge_facts

    merged = merge_facts([
        {"environment": "local", "finished": True, "preflight": [{"dependency": "focus_server"}],
         "throttling": {"retried_429": 2, "waited_s": 1}},
        {"environment": "local", "finished": False, "preflight": [{"dependency": "other"}],
         "throttling": {"retried_429": 3}}])
    assert merged == {"environment": "local", "finished": False, "preflight": [{"dependency": "focus_server"}],
                      "throttling": {"retried_429": 5, "waited_s": 1}}


def test_the_shards_capacity_figures_merge_into_the_runs(tmp_path):
    # the graduated steps are separate scenarios, so two shards may each hold some of them
    from focus_support.scenarios.capacity_figures import SUMMARY_FILE, StepFigures, summary_document
    from scripts.merge_runs import MergeSummary, write_outputs

    shards = []
    for name, jobs in (("shard1", [10, 20]), ("shard2", [30]), ("shard3", [])):
        folder = tmp_path / name
        folder.mkdir()
        if jobs:
            document = summary_document([StepFigures(jobs=n, accepted=n, ready=n, ready_p95_s=0.5) for n in jobs],
                                        environment="local", declared_capacity=60, run_id=name)
            (folder / SUMMARY_FILE).write_text(json.dumps(document))
        shards.append(folder)
    write_outputs(MergeSummary(inputs=shards), tmp_path / "merged")
    merged = json.loads((tmp_path / "merged" / SUMMARY_FILE).read_text())
    assert [s["jobs"] for s in merged["steps"]] == [10, 20, 30]
    assert merged["summary"].startswith("capacity: 30/30 ready")


SLOW_STEPS = '''
import os, time
from behave import step

@step("it works")
def works(context):
    pass

@step("it takes its time")
def slow(context):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # interrupted long before the deadline
        time.sleep(0.05)
'''
SWEEPING_HOOKS = '''
import os
from pathlib import Path

def after_all(context):
    # stands for the suite's final sweep: it must run in every worker, also after Ctrl-C
    Path(os.environ["SWEEP_DIR"], os.environ["FOCUS_WORKER"]).write_text("swept")
'''
RUNNER = '''
import sys
from pathlib import Path
from scripts.parallel_run import run_suite
sys.exit(run_suite("tiny", "", [], jobs=2, reports=Path(sys.argv[1]), cwd=Path(sys.argv[2])))
'''


def test_ctrl_c_stops_every_worker_after_its_sweep_and_keeps_what_ran(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    feature = "Feature: Slow\n" + "".join(f"  Scenario: quick {i}\n    Given it works\n" for i in range(4)) + \
        "".join(f"  Scenario: slow {i}\n    Given it takes its time\n" for i in range(2))
    project = make_project(tmp_path / "p", {"slow/s.feature": feature}, steps=SLOW_STEPS, hooks=SWEEPING_HOOKS)
    sweeps, reports = tmp_path / "sweeps", tmp_path / "reports"
    sweeps.mkdir()
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "SWEEP_DIR": str(sweeps), "PYTHONPATH": str(repo)}
    runner = subprocess.Popen([sys.executable, "-c", RUNNER, str(reports), str(project)], cwd=repo, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list((reports / "workers").glob("w*/run-results.json"))) < 2:
        time.sleep(0.1)  # both workers have started their scenarios
    time.sleep(1.0)
    runner.send_signal(signal.SIGINT)
    output, _ = runner.communicate(timeout=60)
    assert runner.returncode == 130, output
    assert sorted(p.name for p in sweeps.iterdir()) == ["w1", "w2"], output
    records = json.loads((reports / "run-results.json").read_text())["records"]
    assert len(records) == 6, records
    assert {r["status"] for r in records if r["scenario"].startswith("quick")} == {"passed"}
    assert all(r["status"] == "skipped" for r in records if r["scenario"].startswith("slow")), records
    assert "interrupted" in output


def test_a_rerun_runs_only_the_last_failures(project, serial, tmp_path):
    listed = serial[0] / "rerun.txt"  # entries relative to the list's folder, as behave reads @lists
    failed = {loc for loc, (status, _) in _outcomes(serial[0]).items() if status in ("failed", "broken")}
    out = io.StringIO()
    run_suite("tiny", "", [f"@{listed}"], jobs=2, reports=tmp_path / "reports", out=out, cwd=project)
    rerun = _outcomes(tmp_path / "reports")
    assert sorted(rerun) == sorted(failed), out.getvalue()
    assert rerun == {loc: outcome for loc, outcome in _outcomes(serial[0]).items() if loc in rerun}
