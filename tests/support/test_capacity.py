"""The capacity area's own logic (issue 17): figures, the summary file, the chart, the skip reasons and
the load loop's promises (paced by Retry-After, nothing sent twice, bounded), without a sandbox."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from behave.parser import parse_file

from focus_support.cleanup import CleanupStack
from focus_support.clients import FocusClient
from focus_support.config import load_environment
from focus_support.preflight import PreflightReport
from focus_support.scenarios import capacity, capacity_figures as figures
from focus_support.scenarios.capacity_figures import StepFigures
from support.conftest import write_runtime
from support.scripted_server import RegisteredJobs, Reply

REPO = Path(__file__).resolve().parents[2]
KEFAR_SABA_SECRETS = {"FOCUS_KEFAR_SABA_WEB_PASSWORD": "w", "FOCUS_KEFAR_SABA_MONGODB_URI": "m",
                      "FOCUS_KEFAR_SABA_RABBITMQ_URL": "r", "FOCUS_KEFAR_SABA_RABBITMQ_PASSWORD": "p",
                      "FOCUS_KEFAR_SABA_SSH_KEY_FILE": "k"}


def test_percentile_interpolates_between_ranks():
    assert figures.percentile([], 50) is None
    assert figures.percentile([3.0], 95) == 3.0
    assert figures.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert figures.percentile([float(v) for v in range(1, 21)], 95) == pytest.approx(19.05)


def test_a_step_is_met_at_95_percent_ready_and_its_role_follows_the_requirement():
    assert StepFigures(jobs=40, accepted=40, ready=38).passed is True
    assert StepFigures(jobs=40, accepted=40, ready=37).passed is False
    assert StepFigures(jobs=40).role == "required" and StepFigures(jobs=50).role == "target"
    assert StepFigures(jobs=60, skipped="too big").passed is None


def test_summary_line_names_the_largest_step_met_and_every_step_missed():
    steps = [StepFigures(jobs=10, accepted=10, ready=10, ready_p95_s=0.41),
             StepFigures(jobs=20, accepted=20, ready=20, ready_p95_s=0.43),
             StepFigures(jobs=40, accepted=35, ready=35), StepFigures(jobs=50, skipped="capacity 40")]
    assert figures.summary_line(steps) == ("capacity: 20/20 ready, p95 ready 0.43 s; "
                                           "40-job step missed (35/40 ready, required)")
    assert figures.summary_line([StepFigures(jobs=10, accepted=3, ready=2)]).startswith(
        "capacity: no step reached 95% ready")
    assert figures.summary_line([]) == "capacity: not measured in this run"


def test_table_has_one_row_per_step_with_its_result():
    text = figures.table([StepFigures(jobs=50, skipped="above the declared capacity"),
                          StepFigures(jobs=10, accepted=10, ready=9, streaming=9, ready_p50_s=0.2, ready_p95_s=0.3)])
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["jobs", "role", "accepted"]
    assert lines[2].startswith("10") and "9/10 (90%)" in lines[2] and "missed" in lines[2]
    assert lines[3].startswith("50") and "skipped: above the declared capacity" in lines[3]


def test_the_summary_file_collects_this_run_and_replaces_an_earlier_one(tmp_path):
    (tmp_path / figures.SUMMARY_FILE).write_text(json.dumps(
        {"run_id": "an-earlier-run", "steps": [{"jobs": 30, "accepted": 1, "ready": 1}]}))
    figures.record_step(StepFigures(jobs=10, accepted=10, ready=10, ready_p95_s=0.4), environment="local",
                        declared_capacity=60, reports=tmp_path, run_id="this-run")
    steps, document = figures.record_step(StepFigures(jobs=20, accepted=20, ready=18), environment="local",
                                          declared_capacity=60, reports=tmp_path, run_id="this-run")
    assert [s.jobs for s in steps] == [10, 20]
    saved = json.loads((tmp_path / figures.SUMMARY_FILE).read_text())
    assert saved == document
    assert saved["capacity_reached"] == {"jobs": 10, "ready": 10, "ready_p95_s": 0.4}
    assert saved["steps"][1]["passed"] is False and saved["steps"][1]["ready_ratio"] == 0.9
    assert saved["summary"] == "capacity: 10/10 ready, p95 ready 0.4 s; 20-job step missed (18/20 ready, required)"


def test_the_chart_is_a_png():
    png = figures.chart_png([StepFigures(jobs=10, accepted=10, ready=10, ready_p50_s=0.2, ready_p95_s=0.3),
                             StepFigures(jobs=20, accepted=20, ready=15, ready_p50_s=0.5, ready_p95_s=2.0),
                             StepFigures(jobs=30, skipped="x")], "title", start_timeout_s=5)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000


def _capacity_scenarios():
    for path in sorted((REPO / "features" / "capacity").glob("*.feature")):
        for scenario in parse_file(str(path)).walk_scenarios():
            yield scenario


def test_every_capacity_scenario_is_a_load_scenario_run_alone_with_a_rule():
    scenarios = list(_capacity_scenarios())
    assert len(scenarios) >= 6
    for scenario in scenarios:
        tags = set(scenario.effective_tags)
        assert {"load", "serial", "exclusive"} <= tags, scenario.name
        assert len([t for t in tags if t.startswith("rule:capacity.")]) == 1, scenario.name


def test_an_environment_that_forbids_load_skips_every_capacity_scenario_with_its_reason():
    env = load_environment("kefar_saba", environ=KEFAR_SABA_SECRETS)
    report = PreflightReport(environment=env.name)
    for scenario in _capacity_scenarios():
        assert report.skip_reason(scenario.effective_tags, allowed=env.allows) == \
            "@load scenarios are not allowed in environment 'kefar_saba'", scenario.name


def test_a_step_above_the_declared_capacity_is_skipped_with_that_reason(tmp_path):
    write_runtime(tmp_path, capacity=40)
    env = load_environment("local", environ={"FOCUS_SANDBOX_HOME": str(tmp_path)})
    assert capacity.step_skip_reason(env, 40) is None
    assert capacity.step_skip_reason(env, 50) == ("the 50-job step is above the capacity environment 'local' "
                                                  "declares (40 concurrent jobs, config/environments.yaml)")


def test_the_configure_deadline_follows_the_declared_pace(tmp_path):
    write_runtime(tmp_path)  # 5 at once, then 2 a second; start timeout 5 s
    env = load_environment("local", environ={"FOCUS_SANDBOX_HOME": str(tmp_path)})
    assert capacity.configure_deadline_s(env, 50) == pytest.approx(45 / 2 * 1.5 + 5 + capacity.DEADLINE_MARGIN_S)
    unknown = load_environment("kefar_saba", environ=KEFAR_SABA_SECRETS)  # no declared rate limit
    assert capacity.configure_deadline_s(unknown, 10) == pytest.approx(
        10 * capacity.UNKNOWN_PACE_S + unknown.timings.job_start_timeout_s + capacity.DEADLINE_MARGIN_S)


class _State:
    def __init__(self):
        self.cleanup = CleanupStack()
        self.created_job_ids: list[str] = []


class _Suite:
    """What run_ramp needs of a SuiteContext, on a scripted server."""

    def __init__(self, environment, url):
        self.environment, self.url = environment, url
        self.jobs = RegisteredJobs()

    def new_focus_client(self, limiter=None, **kwargs):
        return FocusClient(self.url, limiter=limiter, **kwargs)


def test_the_load_loop_waits_out_429_never_resends_a_refused_configure_and_times_readiness(server, tmp_path):
    write_runtime(tmp_path, focus_server_url=f"{server.url}/focus-server",
                  rate_limit={"capacity": 100, "refill_per_s": 100.0},
                  timings={"job_start_timeout_s": 0.5, "job_idle_timeout_s": 8, "cleanup_timeout_s": 6})
    env = load_environment("local", environ={"FOCUS_SANDBOX_HOME": str(tmp_path)})
    server.on("POST", "/focus-server/configure",
              Reply(429, {"error": "slow down"}, {"Retry-After": "0"}), Reply(200, {"job_id": "1-1"}),
              Reply(503, {"error": "no room for another job"}), Reply(200, {"job_id": "1-2"}))
    server.on("GET", "/focus-server/metadata/1-1", Reply(200, {"job_id": "1-1"}))
    server.on("GET", "/focus-server/metadata/1-2", Reply(404, {"error": "Job 1-2 is not ready yet"}))
    state = _State()
    ramp = capacity.run_ramp(_Suite(env, f"{server.url}/focus-server"), state, 3)
    state.cleanup.run_all()
    assert server.count("POST", "/focus-server/configure") == 4  # the 429 waited out, the 503 never re-sent
    assert state.created_job_ids == ["1-1", "1-2"]
    step = ramp.figures()
    assert (step.accepted, step.ready, step.streaming, step.throttled) == (2, 1, 0, 1)
    refused = next(o for o in ramp.outcomes if not o.accepted)
    assert refused.index == 2 and "503" in refused.describe() and "no room" in refused.describe()
    late = next(o for o in ramp.outcomes if o.job_id == "1-2")
    assert late.expired and "not ready yet" in late.describe()
    assert capacity.shared_stream_addresses(ramp) == {"(no stream address)": ["1-1", "1-2"]}


class _Named:
    def __init__(self, name):
        self.name, self.ref = name, f"obj/{name}"


class _Cluster:
    """Each look (a listing of jobs, pods and services) shows what is left; the last one stays."""

    def __init__(self, looks):
        self.looks, self.now = looks, []

    def list_jobs(self):  # the first listing of a look
        self.now = self.looks.pop(0) if len(self.looks) > 1 else self.looks[0]
        return [_Named(n) for n in self.now if "job" in n]

    def list_pods(self):
        return []

    def list_services(self):
        return [_Named(n) for n in self.now if "service" in n]


class _Broker:
    def queue_names(self, prefix):
        return []


def test_leftovers_after_waits_for_the_cluster_and_names_what_stays():
    def suite(looks):
        return type("Suite", (), {"k8s": _Cluster(looks), "rabbit_management": _Broker()})()

    going = suite([["grpc-job-1-1", "grpc-service-1-1"], ["grpc-service-1-1"], []])
    assert capacity.leftovers_after(going, ["1-1"], 5) is None
    stuck = suite([["grpc-job-1-2", "cleanup-job-1-2", "grpc-job-9-9", "grpc-service-1-2"]])
    assert capacity.leftovers_after(stuck, ["1-2"], 0.3) == {
        "1-2": ["obj/grpc-job-1-2", "obj/cleanup-job-1-2", "obj/grpc-service-1-2"]}


def test_the_summary_file_goes_where_the_run_reports(tmp_path, monkeypatch):
    # a run reporting into another folder (a worker, a test, the defect matrix) keeps its figures there
    monkeypatch.setattr(figures, "reports_dir_of_run", lambda: tmp_path / "worker")
    monkeypatch.setattr(figures, "REPORTS", tmp_path / "repo-reports")
    figures.record_step(StepFigures(jobs=10, accepted=10, ready=10), environment="local", declared_capacity=60)
    assert (tmp_path / "worker" / figures.SUMMARY_FILE).exists()
    assert not (tmp_path / "repo-reports").exists()


def test_the_summaries_of_shards_merge_into_one_run():
    first = figures.summary_document([StepFigures(jobs=10, accepted=10, ready=10, ready_p95_s=0.4),
                                      StepFigures(jobs=20, accepted=20, ready=20, ready_p95_s=0.5)],
                                     environment="local", declared_capacity=60, run_id="shard-1")
    second = figures.summary_document([StepFigures(jobs=40, accepted=40, ready=39, ready_p95_s=0.9)],
                                      environment="local", declared_capacity=60, run_id="shard-2")
    second["written_at"] = "9999-01-01T00:00:00Z"
    merged = figures.merge_summaries([second, {}, first])
    assert [s["jobs"] for s in merged["steps"]] == [10, 20, 40]
    assert merged["capacity_reached"] == {"jobs": 40, "ready": 39, "ready_p95_s": 0.9}
    assert merged["written_at"] == "9999-01-01T00:00:00Z" and merged["run_id"] == "shard-2"
    assert figures.merge_summaries([{}, {"steps": []}]) is None
