"""Variant servers on the running stack: each defect switch, dependency outages, capacity, rate limit.

Each test starts its own in-process server (other defects, own state dir and job-id prefix) that
shares the stack's cluster, broker and MongoDB; the stack's own server stays on the spec profile.
"""
from __future__ import annotations

import json
import time
from contextlib import ExitStack

import pika
import pymongo
import pytest
import requests

from focus_sandbox.server import testing as t
from focus_sandbox.settings import RateLimit

pytestmark = pytest.mark.stack

MULTI = {"view_type": "0", "channels": {"min": 1, "max": 8}, "displayInfo": {"height": 768},
         "displayTimeAxisDuration": 30, "nfftSelection": 256, "frequencyRange": {"min": 0, "max": 500},
         "start_time": None, "end_time": None}
NO_LIMIT = RateLimit(capacity=1000, refill_per_s=1000.0)
NOW = int(time.time())


@pytest.fixture(scope="module")
def infra(tmp_path_factory):
    with t.stack_infra(tmp_path_factory.mktemp("stack-home")) as infra:
        yield infra


class Variant:
    """One in-process server with its own defects; remembers every job it answered 200 for."""

    def __init__(self, infra, config, url):
        self.infra, self.config, self.url = infra, config, url
        self.job_ids: list[str] = []

    def configure(self, body=MULTI) -> requests.Response:
        resp = requests.post(f"{self.url}/configure", json=body, timeout=15)
        if resp.status_code == 200:
            self.job_ids.append(resp.json()["job_id"])
        return resp

    def ready(self, job_id: str) -> dict:
        url = f"{self.url}/metadata/{job_id}"
        return t.wait_for(lambda: (r := requests.get(url)).status_code == 200 and r.json(),
                          self.infra.config.timings.job_start_timeout_s, f"GET {url} -> 200")


@pytest.fixture()
def server(infra, tmp_path):
    """``server(*defects, seed=False, **config_changes) -> Variant``; its jobs and queues are removed after."""
    stack = ExitStack()
    variants: list[Variant] = []
    kube = infra.kube()

    def start(*defects, seed=False, **changes) -> Variant:
        changes.setdefault("rate_limit", NO_LIMIT)
        config = infra.variant(tmp_path / f"variant{len(variants)}", *defects, **changes)
        base = stack.enter_context(t.serve(config, seed_mongodb=seed))
        variants.append(Variant(infra, config, f"{base}/focus-server"))
        return variants[-1]

    yield start
    stack.close()
    for v in variants:
        for job_id in v.job_ids:
            t.force_remove_job(kube, job_id, infra.config.rabbitmq_url, t.job_queue(kube, job_id))
    for name in queues(infra, variants):
        t.delete_queue(infra.config.rabbitmq_url, name)


def queues(infra, variants) -> list[str]:
    """Queues on the broker that belong to the given variants' jobs (management API)."""
    rt = infra.runtime
    resp = requests.get(f"{rt['rabbitmq_management_url']}/api/queues/%2F",
                        auth=(rt["rabbitmq_user"], rt["rabbitmq_password"]), timeout=5)
    resp.raise_for_status()
    prefixes = tuple(f"grpc-job-{generation_of(v)}-" for v in variants)
    return [q["name"] for q in resp.json() if prefixes and q["name"].startswith(prefixes)]


def generation_of(v: Variant) -> int:
    """The job-id prefix (generation) of a variant server."""
    from pathlib import Path
    return int((Path(v.config.run_dir) / "focus-server" / "generation").read_text())


def free_url(scheme: str) -> str:
    return f"{scheme}127.0.0.1:{t.free_port()}"


def variant_jobs(infra, v: Variant) -> set[str]:
    gen = generation_of(v)
    return {j["metadata"]["name"] for j in infra.kube().list_jobs()
            if j["metadata"]["name"].startswith((f"grpc-job-{gen}-", f"cleanup-job-{gen}-"))}


# ------------------------------------------------------------------ outages and limits
def test_waiting_for_fibre(infra, server):
    v = server(waiting_for_fibre=True)
    meta = requests.get(f"{v.url}/live_metadata").json()
    assert (meta["prr"], meta["dx"], meta["sw_version"], meta["fiber_description"]) == \
        (0.0, 0.0, "waiting for fiber", "waiting for fiber")
    r = v.configure()
    assert r.status_code == 503 and "error" in r.json(), r.text
    assert not variant_jobs(infra, v)


def test_mongodb_down_historic_503_fast_live_ok(infra, server):
    v = server(mongodb_uri=free_url("mongodb://") + "/")
    started = time.monotonic()
    r = v.configure({**MULTI, "start_time": NOW - 900, "end_time": NOW - 100})
    assert r.status_code == 503 and "error" in r.json() and time.monotonic() - started < 5, r.text
    r = requests.post(f"{v.url}/recordings_in_time_range", json={"start_time": NOW - 900, "end_time": NOW})
    assert r.status_code == 503, r.text
    assert v.configure().status_code == 200


def test_rabbitmq_down_503_and_nothing_created(infra, server):
    v = server(rabbitmq_url=free_url("amqp://u:p@") + "/%2F")
    r = v.configure()
    assert r.status_code == 503 and "RabbitMQ" in r.json()["error"], r.text
    assert not variant_jobs(infra, v)


def test_cluster_down_rolls_back_the_queue(infra, server):
    v = server(kube_api_url=free_url("http://"))
    r = v.configure()
    assert r.status_code == 503, r.text
    assert queues(infra, [v]) == [], "the queue declared before the cluster failed must be deleted"


def test_capacity_reached_is_503(infra, server):
    v = server(capacity=1)
    assert v.configure().status_code == 200
    r = v.configure()
    assert r.status_code == 503 and "capacity" in r.json()["error"], r.text
    assert len([n for n in variant_jobs(infra, v) if n.startswith("grpc-job-")]) == 1


def test_rate_limit_429_retry_after_and_nothing_created(infra, server):
    v = server(rate_limit=RateLimit(capacity=2, refill_per_s=1.0))
    assert [v.configure().status_code for _ in range(2)] == [200, 200]
    r = v.configure()
    assert r.status_code == 429 and "error" in r.json(), r.text
    retry = r.headers.get("Retry-After")
    assert retry is not None and retry.isdigit() and int(retry) >= 1, r.headers
    assert len([n for n in variant_jobs(infra, v) if n.startswith("grpc-job-")]) == 2
    time.sleep(int(retry))  # honouring the server's Retry-After is the behaviour under test
    assert v.configure().status_code == 200


# ------------------------------------------------------------------ configure switches
LAX = [
    ("height_not_validated", {**MULTI, "displayInfo": {"height": 0}}),
    ("nfft_not_validated", {**MULTI, "nfftSelection": 1000}),
    ("frequency_range_not_validated", {**MULTI, "frequencyRange": {"min": 0, "max": 1001}}),
    ("channel_count_not_validated", {**MULTI, "channels": {"min": 1, "max": 2223}}),
    ("future_times_accepted", {**MULTI, "start_time": NOW + 60, "end_time": NOW + 300}),
    ("singlechannel_range_accepted", {**MULTI, "view_type": "1", "channels": {"min": 3, "max": 9}}),
    ("waterfall_rules_not_enforced", {"view_type": "2", "channels": {"min": 1, "max": 4},
                                      "displayInfo": {"height": 10}, "displayTimeAxisDuration": 30}),
]


@pytest.mark.parametrize("switch,body", LAX, ids=[s for s, _ in LAX])
def test_lax_switch_lets_its_invalid_body_through(server, switch, body):
    # a future window has no recordings either: let it through that check too
    v = server(switch, "historic_without_recordings_accepted") if body.get("start_time") else server(switch)
    r = v.configure(body)
    assert r.status_code == 200, f"{switch}: {r.status_code} {r.text}"
    if switch == "singlechannel_range_accepted":
        assert r.json()["channel_amount"] == 1 and set(r.json()["channel_to_stream_index"].values()) == {0}


def test_historic_without_recordings_accepted(infra, server):
    pairs = requests.post(f"{infra.focus_url}/recordings_in_time_range",
                          json={"start_time": NOW - 6 * 3600, "end_time": NOW - 3600}).json()
    gap = {**MULTI, "start_time": pairs[0][1] + 5, "end_time": pairs[0][1] + 50}
    assert server().configure(gap).status_code == 404
    assert server("historic_without_recordings_accepted").configure(gap).status_code == 200


@pytest.mark.parametrize("switch,field,expected", [
    ("status_empty", "status", ""), ("full_band_frequency_bins", "frequencies_amount", 129),
    ("decimated_frequency_bins", "frequencies_amount", 17), ("wrong_lines_dt", "lines_dt", 768 / 30)])
def test_response_switch_changes_only_its_field(server, switch, field, expected):
    spec = server().configure().json()
    bad = server(switch).configure().json()
    assert bad[field] == expected, bad
    ignore = {field, "frequencies_list", "job_id", "stream_port"}
    assert {k: v for k, v in bad.items() if k not in ignore} == {k: v for k, v in spec.items() if k not in ignore}


def test_job_id_reused(infra, server):
    v = server("job_id_reused")
    first = v.configure().json()["job_id"]
    v.ready(first)
    assert requests.delete(f"{v.url}/job/{first}").status_code == 200
    kube, timings = infra.kube(), infra.config.timings
    # the old job's objects must be gone first, else the reused names collide in the cluster
    t.wait_for(lambda: not any(t.job_resources(kube, first).values()),
               timings.cleanup_timeout_s + timings.job_ttl_after_finished_s, f"job {first} cleaned up")
    assert v.configure().json()["job_id"] == first
    spec = server()
    a = spec.configure().json()["job_id"]
    requests.delete(f"{spec.url}/job/{a}")
    assert spec.configure().json()["job_id"] != a


# ------------------------------------------------------------------ lifecycle switches
def test_no_cancel_route(server):
    v = server("no_cancel_route")
    job_id = v.configure().json()["job_id"]
    r = requests.delete(f"{v.url}/job/{job_id}")
    assert (r.status_code, r.json()) == (404, {"detail": "Not Found"})


def test_janitor_keeps_queue(infra, server):
    v = server("janitor_keeps_queue")
    job_id = v.configure().json()["job_id"]
    v.ready(job_id)
    kube = infra.kube()
    queue = t.job_queue(kube, job_id)
    assert requests.delete(f"{v.url}/job/{job_id}").status_code == 200
    limit = infra.config.timings.cleanup_timeout_s + infra.config.timings.job_ttl_after_finished_s
    t.wait_for(lambda: not any(t.job_resources(kube, job_id).values()), limit, f"cluster objects of {job_id} gone")
    assert t.queue_exists(infra.config.rabbitmq_url, queue), "the queue should have leaked"
    t.delete_queue(infra.config.rabbitmq_url, queue)


def test_janitor_stuck_pending(infra, server):
    v = server("janitor_stuck_pending")
    job_id = v.configure().json()["job_id"]
    v.ready(job_id)
    kube = infra.kube()
    assert requests.delete(f"{v.url}/job/{job_id}").status_code == 200
    pods = t.wait_for(lambda: kube.list_pods(f"app=cleanup-job-{job_id}"), 3, "janitor pod listed")
    assert pods[0]["status"]["phase"] == "Pending"
    t.wait_for(lambda: not t.job_resources(kube, job_id)[f"grpc-job-{job_id}"], 3, "grpc job deleted by cancel")
    res = t.job_resources(kube, job_id)
    assert res[f"grpc-service-{job_id}"] and res[f"cleanup-job-{job_id}"], res


def test_metadata_after_cancel(server):
    v = server("metadata_after_cancel")
    job_id = v.configure().json()["job_id"]
    v.ready(job_id)
    assert requests.delete(f"{v.url}/job/{job_id}").status_code == 200
    assert requests.get(f"{v.url}/metadata/{job_id}").status_code == 200


# ------------------------------------------------------------------ metadata, recordings, rate switches
def test_live_metadata_switches(server):
    assert "dtype" not in requests.get(f"{server('live_metadata_missing_fields').url}/live_metadata").json()
    meta = requests.get(f"{server('live_metadata_float_channels').url}/live_metadata").json()
    assert isinstance(meta["number_of_channels"], float)


def test_recordings_unsorted(server):
    body = {"start_time": NOW - 3 * 86400, "end_time": NOW}
    pairs = requests.post(f"{server('recordings_unsorted').url}/recordings_in_time_range", json=body).json()
    assert len(pairs) > 10 and pairs != sorted(pairs)


def test_deleted_index_missing(infra, server):
    db_name = f"prisma_defect_{time.monotonic_ns()}"
    client = pymongo.MongoClient(infra.config.mongodb_uri, serverSelectionTimeoutMS=3000)
    try:
        server("deleted_index_missing", seed=True, mongodb_database=db_name)
        db = client[db_name]
        col = db[db["base_paths"].find_one({"is_archive": False})["guid"]]
        keys = {tuple(k for k, _ in i["key"]) for i in col.index_information().values()}
        assert ("deleted",) not in keys and ("start_time",) in keys, keys
    finally:
        client.drop_database(db_name)
        client.close()


def burst(v: Variant, n: int) -> list[requests.Response]:
    return [requests.post(f"{v.url}/configure", json={"view_type": "9"}) for _ in range(n)]


def test_no_rate_limit(server):
    assert 429 not in [r.status_code for r in burst(server("no_rate_limit", rate_limit=RateLimit(capacity=1)), 5)]


def test_rate_limit_without_retry_after(server):
    throttled = [r for r in burst(server("rate_limit_without_retry_after", rate_limit=RateLimit(capacity=1)), 3)
                 if r.status_code == 429]
    assert throttled and "Retry-After" not in throttled[0].headers


def test_throttled_request_creates_job(infra, server):
    v = server("throttled_request_creates_job", rate_limit=RateLimit(capacity=1, refill_per_s=0.01))
    assert v.configure().status_code == 200
    assert requests.post(f"{v.url}/configure", json=MULTI).status_code == 429
    assert len([n for n in variant_jobs(infra, v) if n.startswith("grpc-job-")]) == 2
    gen = generation_of(v)
    v.job_ids.extend(n.removeprefix("grpc-job-") for n in variant_jobs(infra, v)
                     if n.startswith(f"grpc-job-{gen}-"))


# ------------------------------------------------------------------ alert switches
@pytest.fixture()
def web(infra, tmp_path):
    """``web(*defects) -> (session logged in as qa, site url)`` on an in-process variant server."""
    stack = ExitStack()

    def start(*defects):
        config = infra.variant(tmp_path / f"web{time.monotonic_ns()}", *defects)
        base = stack.enter_context(t.serve(config, seed_mongodb=False))
        s = requests.Session()
        user = infra.runtime["web_app_users"]["qa"]
        assert s.post(f"{base}/prisma/api/auth/login", json={"username": "qa", "password": user["password"]}).ok
        return s, f"{base}/prisma/api/{config.site_id}/api"
    yield start
    stack.close()


@pytest.mark.parametrize("switch,field,value", [
    ("alert_class_id_not_validated", "classId", 999), ("alert_dof_not_validated", "dofM", -10),
    ("alert_missing_fields_accepted", "severity", None), ("alert_severity_zero_accepted", "severity", 0)])
def test_alert_switch_accepts_its_invalid_field(web, switch, field, value):
    body = {"classId": 103, "severity": 1, "dofM": 5, "alertsAmount": 1, "alertIds": [f"s-{time.time_ns()}"]}
    if value is None:
        body.pop(field)
    else:
        body[field] = value
    spec_session, spec_site = web()
    assert spec_session.post(f"{spec_site}/push-to-rabbit", json=body).status_code == 400
    session, site = web(switch)
    assert session.post(f"{site}/push-to-rabbit", json=body).status_code == 201


def test_alerts_published_twice(infra, web):
    conn = pika.BlockingConnection(pika.URLParameters(infra.config.rabbitmq_url))
    ch = conn.channel()
    ch.exchange_declare("prisma", exchange_type="topic", durable=True)
    queue = ch.queue_declare("", exclusive=True).method.queue
    ch.queue_bind(queue, "prisma", routing_key="Algorithm.AlertReport")
    try:
        alert_id = f"twice-{time.time_ns()}"
        session, site = web("alerts_published_twice")
        body = {"classId": 103, "severity": 1, "dofM": 5, "alertsAmount": 1, "alertIds": [alert_id]}
        assert session.post(f"{site}/push-to-rabbit", json=body).status_code == 201

        def mine():
            return ch.queue_declare(queue, passive=True).method.message_count >= 2 or None
        t.wait_for(mine, 3, "two messages for one alert id")
        bodies = [json.loads(ch.basic_get(queue, auto_ack=True)[2]) for _ in range(2)]
        assert [b["alertId"] for b in bodies] == [alert_id, alert_id]
    finally:
        conn.close()
