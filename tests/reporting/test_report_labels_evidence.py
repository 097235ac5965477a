"""Labels, links, environment widget, executor, and evidence attached to the step where it happened."""
from __future__ import annotations

import json

import pytest

from focus_support.reporting.run_info import executor_from_ci
from reporting_tiny_suite import STEPS, make_project, run_behave

FEATURE = """\
@issue:29
Feature: Alert push validation
  @critical @known_bug @issue:31
  Scenario: unknown class is rejected
    Given it works

  @low
  Scenario: evidence is attached
    Given an HTTP exchange and a MongoDB query happen
    When an alert is published and a job is inspected
    Then the job failed
"""

EVIDENCE_STEPS = STEPS + '''
from focus_support.exchanges import Exchange, Recorder
from focus_support.reporting import evidence

@step("an HTTP exchange and a MongoDB query happen")
def http_and_mongo(context):
    recorder = Recorder()
    recorder.add_listener(evidence.attach_http_exchange)
    recorder.record(Exchange(service="focus", method="POST", url="http://127.0.0.1:1/focus-server/configure",
                             request_headers={"Content-Type": "application/json"},
                             request_body='{"view_type": "0"}', status=200,
                             response_body='{"job_id": "1-2"}', duration_s=0.012))
    evidence.attach_mongo_query("base_paths", "find", {"is_archive": False},
                                [{"base_path": "/data", "guid": "g-1"}], database="prisma")

@step("an alert is published and a job is inspected")
def amqp_and_k8s(context):
    evidence.attach_amqp_message("prisma", "Algorithm.AlertReport", b'{"alertId": "a-1"}', {"delivery_mode": 2})
    evidence.attach_cluster_resource("Job", "grpc-job-1-2", {"metadata": {"name": "grpc-job-1-2"},
                                                             "status": {"failed": 1}})

@step("the job failed")
def job_failed(context):
    evidence.attach_pod_log("grpc-job-1-2-abcde", "stream started\\nTraceback: boom\\n", reason="job failed")
    assert False, "job grpc-job-1-2 failed"
'''


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = make_project(tmp_path_factory.mktemp("labels"), {"alerts/alert_validation.feature": FEATURE},
                        steps=EVIDENCE_STEPS)
    return run_behave(root)


def _labels(result: dict, name: str) -> list[str]:
    return [l["value"] for l in result["labels"] if l["name"] == name]


def test_epic_feature_story_from_folder_and_feature(run):
    result = run.results()["unknown class is rejected"]
    assert _labels(result, "epic") == ["Alerts"]
    assert _labels(result, "feature") == ["Alert push validation"]
    assert _labels(result, "story") == ["unknown class is rejected"]


def test_severity_from_tags(run):
    assert _labels(run.results()["unknown class is rejected"], "severity") == ["critical"]
    assert _labels(run.results()["evidence is attached"], "severity") == ["minor"]
    assert run.records()["unknown class is rejected"]["priority"] == "HIGH"


def test_issue_tags_become_tracker_links(run):
    links = {(l["name"], l["url"], l["type"]) for l in run.results()["unknown class is rejected"]["links"]}
    assert links == {("#29", "https://tracker.example/issues/29", "issue"),
                     ("#31", "https://tracker.example/issues/31", "issue")}


def test_environment_widget_and_categories_written(run):
    props = (run.results_dir / "environment.properties").read_text()
    assert "Environment=tiny" in props and "behave=1.3.3" in props and "allure-behave=2.16.2" in props
    names = [c["name"] for c in json.loads((run.results_dir / "categories.json").read_text())]
    assert names == ["Product bug — new", "Product bug — known", "Needs verification", "Test infrastructure",
                     "Interrupted", "Target missed"]


def _attachments(step: dict) -> dict[str, str]:
    return {a["name"]: a["source"] for a in step.get("attachments", [])}


def test_evidence_is_on_the_step_where_it_happened(run):
    steps = {s["name"]: s for s in run.results()["evidence is attached"]["steps"]}
    first = _attachments(steps["Given an HTTP exchange and a MongoDB query happen"])
    second = _attachments(steps["When an alert is published and a job is inspected"])
    third = _attachments(steps["Then the job failed"])
    assert set(first) == {"HTTP POST /focus-server/configure -> 200", "MongoDB find prisma.base_paths"}
    assert set(second) == {"AMQP received prisma / Algorithm.AlertReport", "Kubernetes Job grpc-job-1-2"}
    assert set(third) == {"Pod log grpc-job-1-2-abcde (job failed)"}
    http = (run.results_dir / first["HTTP POST /focus-server/configure -> 200"]).read_text()
    assert "POST http://127.0.0.1:1/focus-server/configure" in http and '"job_id": "1-2"' in http
    mongo = json.loads((run.results_dir / first["MongoDB find prisma.base_paths"]).read_text())
    assert mongo["query"] == {"is_archive": False} and mongo["result"][0]["guid"] == "g-1"
    amqp = json.loads((run.results_dir / second["AMQP received prisma / Algorithm.AlertReport"]).read_text())
    assert amqp["body"] == {"alertId": "a-1"}
    assert "Traceback: boom" in (run.results_dir / third["Pod log grpc-job-1-2-abcde (job failed)"]).read_text()


def test_executor_from_ci_variables():
    github = executor_from_ci({"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://gh.example",
                               "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "7", "GITHUB_RUN_NUMBER": "3",
                               "GITHUB_WORKFLOW": "ci"})
    assert github["buildUrl"] == "https://gh.example/o/r/actions/runs/7" and github["buildOrder"] == 3
    assert executor_from_ci({"CI": "true"})["name"] == "CI"
    assert executor_from_ci({}) is None


def test_executor_file_written_in_ci(tmp_path):
    root = make_project(tmp_path, {"x.feature": "Feature: X\n  Scenario: s\n    Given it works\n"})
    run = run_behave(root, env={"CI": "true", "BUILD_NUMBER": "12"})
    executor = json.loads((run.results_dir / "executor.json").read_text())
    assert executor["buildOrder"] == 12 and executor["type"] == "ci"


COLLECTOR_HOOKS = '''
from types import SimpleNamespace
from focus_support.reporting import hooks as reporting_hooks
from focus_support.reporting.collectors import job_evidence


class FakeK8s:
    def job_resources(self, job_id):
        job = SimpleNamespace(name=f"grpc-job-{job_id}", failed=1, conditions=["Failed"])
        pod = SimpleNamespace(name=f"grpc-job-{job_id}-x1y2z", phase="Failed", labels={"job-name": f"grpc-job-{job_id}"})
        return SimpleNamespace(jobs=[job], pods=[pod], services=[],
                               model_dump=lambda: {"job_id": job_id, "jobs": [job.name], "pods": [pod.name]})

    def pod_logs(self, pod, tail_lines=None):
        return f"log of {pod}: stream crashed"


def before_all(context):
    reporting_hooks.before_all(context)
    reporting_hooks.add_failure_collector(job_evidence(lambda ctx: FakeK8s(), lambda ctx: ctx.job_ids))


def before_scenario(context, scenario):
    context.job_ids = ["7-42"]


def after_step(context, step):
    reporting_hooks.after_step(context, step)
'''


def test_failed_step_gets_the_jobs_resources_and_failed_pod_log(tmp_path):
    root = make_project(tmp_path, {"jobs/j.feature": """\
        Feature: Jobs
          Scenario: job streams
            Given it works
            Then the product answers 1 instead of 2
        """}, hooks=COLLECTOR_HOOKS)
    run = run_behave(root)
    steps = run.results()["job streams"]["steps"]
    assert _attachments(steps[0]) == {}, "a passing step gets no failure evidence"
    attached = _attachments(steps[1])
    assert set(attached) == {"Kubernetes resources of job 7-42", "Pod log grpc-job-7-42-x1y2z (job failed)"}
    assert "stream crashed" in (run.results_dir / attached["Pod log grpc-job-7-42-x1y2z (job failed)"]).read_text()
