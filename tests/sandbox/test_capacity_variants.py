"""The sandbox's capacity switches and the Web App's push limit, on variant servers of a running stack.

``capacity_below_requirement`` makes configures fail once a threshold of live jobs is reached (35 in a
stack; lowered here so that a test starts three jobs, not thirty-six); the push limit refuses pushes
beyond its bucket with 429 and Retry-After and publishes nothing, unless ``throttled_alerts_published``.
"""
from __future__ import annotations

import json
import time
from contextlib import ExitStack

import pika
import pytest
import requests

from focus_sandbox import testing as t
from focus_sandbox.server import jobs as sandbox_jobs
from focus_sandbox.settings import RateLimit

pytestmark = pytest.mark.stack

MULTI = {"view_type": "0", "channels": {"min": 1, "max": 8}, "displayInfo": {"height": 768},
         "displayTimeAxisDuration": 30, "nfftSelection": 256, "frequencyRange": {"min": 0, "max": 500},
         "start_time": None, "end_time": None}
NO_LIMIT = RateLimit(capacity=1000, refill_per_s=1000.0)


@pytest.fixture(scope="module")
def infra(tmp_path_factory):
    with t.stack_infra(tmp_path_factory.mktemp("stack-home")) as infra:
        yield infra


@pytest.fixture()
def focus(infra, tmp_path, monkeypatch):
    """``focus(*defects) -> (url, job ids)``: a variant Focus Server failing from 2 live jobs with the switch."""
    monkeypatch.setattr(sandbox_jobs, "FAILING_ABOVE_JOBS", 2)
    stack = ExitStack()
    started: list[list[str]] = []

    def start(*defects):
        config = infra.variant(tmp_path / f"focus{len(started)}", *defects, rate_limit=NO_LIMIT)
        base = stack.enter_context(t.serve(config, seed_mongodb=False))
        started.append([])
        return f"{base}/focus-server", started[-1]
    yield start
    stack.close()
    kube = infra.kube()
    for ids in started:
        for job_id in ids:
            t.force_remove_job(kube, job_id, infra.config.rabbitmq_url, t.job_queue(kube, job_id))


def _configure(url: str, ids: list[str]) -> requests.Response:
    resp = requests.post(f"{url}/configure", json=MULTI, timeout=15)
    if resp.status_code == 200:
        ids.append(resp.json()["job_id"])
    return resp


def test_capacity_below_requirement_refuses_configures_past_its_threshold(focus):
    url, ids = focus("capacity_below_requirement")
    assert [_configure(url, ids).status_code for _ in range(2)] == [200, 200]
    refused = _configure(url, ids)
    assert refused.status_code == 503 and "no room" in refused.json()["error"], refused.text
    spec_url, spec_ids = focus()
    assert [_configure(spec_url, spec_ids).status_code for _ in range(3)] == [200, 200, 200]


@pytest.fixture()
def web(infra, tmp_path):
    """``web(*defects) -> (signed-in session, site url)`` with a push limit of 2 and a slow refill."""
    stack = ExitStack()

    def start(*defects):
        config = infra.variant(tmp_path / f"web{time.monotonic_ns()}", *defects,
                               alert_push_limit=RateLimit(capacity=2, refill_per_s=0.2))
        base = stack.enter_context(t.serve(config, seed_mongodb=False))
        session = requests.Session()
        password = infra.runtime["web_app_users"]["qa"]["password"]
        assert session.post(f"{base}/prisma/api/auth/login", json={"username": "qa", "password": password}).ok
        return session, f"{base}/prisma/api/{config.site_id}/api"
    yield start
    stack.close()


@pytest.fixture()
def reports(infra):
    """A temporary queue bound to the alert reports; returns a function listing the alert ids received."""
    conn = pika.BlockingConnection(pika.URLParameters(infra.config.rabbitmq_url))
    channel = conn.channel()
    channel.exchange_declare("prisma", exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, "prisma", routing_key="Algorithm.AlertReport")

    def received() -> list[str]:
        ids = []
        while (message := channel.basic_get(queue, auto_ack=True))[0] is not None:
            ids.append(json.loads(message[2])["alertId"])
        return ids
    yield received
    conn.close()


def _alert(alert_id: str) -> dict:
    return {"classId": 103, "severity": 1, "dofM": 5, "alertsAmount": 1, "alertIds": [alert_id]}


def _push_three(session, site) -> tuple[list[str], list[requests.Response]]:
    ids = [f"load-{time.time_ns()}-{i}" for i in range(3)]
    return ids, [session.post(f"{site}/push-to-rabbit", json=_alert(i)) for i in ids]


def test_pushes_beyond_the_limit_are_refused_with_retry_after_and_not_published(web, reports):
    session, site = web()
    ids, answers = _push_three(session, site)
    assert [a.status_code for a in answers] == [201, 201, 429], [a.text for a in answers]
    retry_after = answers[2].headers.get("Retry-After")
    assert retry_after is not None and retry_after.isdigit() and int(retry_after) >= 1, answers[2].headers
    seen: list[str] = []
    t.wait_for(lambda: seen.extend(reports()) or len(seen) >= 2, 3, "reports of the accepted pushes")
    # Publishing is confirmed before a push is answered: a report of the refused one would be queued already.
    assert sorted(seen + reports()) == sorted(ids[:2])


def test_throttled_alerts_published_reports_a_refused_push(web, reports):
    session, site = web("throttled_alerts_published")
    ids, answers = _push_three(session, site)
    assert [a.status_code for a in answers] == [201, 201, 429]
    seen: list[str] = []
    t.wait_for(lambda: seen.extend(reports()) or len(seen) >= 3, 3, "three reports")
    assert sorted(seen) == sorted(ids)
