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

from focus_sandbox import testing as t
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
    ("decimated_frequency_bins", "frequencies_amount", 16), ("wrong_lines_dt", "lines_dt", 768 / 30)])
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
    """``web(*defects, user="qa") -> (logged-in session, site url)`` on an in-process variant server."""
    stack = ExitStack()

    def start(*defects, user="qa"):
        config = infra.variant(tmp_path / f"web{time.monotonic_ns()}", *defects)
        base = stack.enter_context(t.serve(config, seed_mongodb=False))
        s = requests.Session()
        password = infra.runtime["web_app_users"][user]["password"]
        assert s.post(f"{base}/prisma/api/auth/login", json={"username": user, "password": password}).ok
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


# ================================================================== switches that prove the features can fail
# Each test below shows a switch changes exactly the behaviour it names, against a spec variant.
WATERFALL = {"view_type": "2", "channels": {"min": 1, "max": 50}, "displayInfo": {"height": 768},
             "nfftSelection": 1, "start_time": None, "end_time": None}


def _without(body: dict, key: str) -> dict:
    return {k: v for k, v in body.items() if k != key}


def rejected(response, naming: str = "") -> bool:
    """A refusal as contract 15 allows it: 400 with ``error`` (a broken rule) or 422 with ``detail``
    (a shape error), naming the field when one is given."""
    if response.status_code not in (400, 422):
        return False
    body = response.json()
    return naming in json.dumps(body.get("error", body.get("detail", "")))


REJECTED_BY_SPEC = [
    ("missing_fields_defaulted", _without(MULTI, "frequencyRange")),
    ("unknown_view_type_accepted", {**MULTI, "view_type": "3"}),
    ("channel_bounds_not_validated", {**MULTI, "channels": {"min": 0, "max": 8}}),
    ("duration_not_validated", {**MULTI, "displayTimeAxisDuration": 0}),
    ("negative_frequency_accepted", {**MULTI, "frequencyRange": {"min": -10, "max": 500}}),
    ("half_open_window_treated_as_live", {**MULTI, "start_time": NOW - 600}),
    ("window_length_not_validated", {**MULTI, "start_time": NOW - 3000, "end_time": NOW - 100}),
]


@pytest.mark.parametrize("switch,body", REJECTED_BY_SPEC, ids=[s for s, _ in REJECTED_BY_SPEC])
def test_switch_accepts_what_spec_rejects(server, switch, body):
    assert rejected(server().configure(body))
    r = server(switch).configure(body)
    assert r.status_code == 200, f"{switch}: {r.status_code} {r.text}"


def test_window_order_not_validated(server):
    body = {**MULTI, "start_time": NOW - 600, "end_time": NOW - 900}
    assert rejected(server().configure(body))
    r = server("window_order_not_validated", "historic_without_recordings_accepted").configure(body)
    assert r.status_code == 200, r.text


ACCEPTED_BY_SPEC = [
    ("numeric_view_type_rejected", {**MULTI, "view_type": 0}, "view_type"),
    ("range_limits_exclusive", {**MULTI, "nfftSelection": 2048}, "nfftSelection"),
    ("range_limits_exclusive", {**MULTI, "frequencyRange": {"min": 0, "max": 1000}}, "frequencyRange"),
    ("range_limits_exclusive", {**MULTI, "channels": {"min": 1, "max": 2222}}, "channels"),
    ("waterfall_nfft_one_rejected", WATERFALL, "nfftSelection"),
]


@pytest.mark.parametrize("switch,body,field", ACCEPTED_BY_SPEC, ids=[f"{s}-{f}" for s, _, f in ACCEPTED_BY_SPEC])
def test_switch_rejects_what_spec_accepts(server, switch, body, field):
    assert server().configure(body).status_code == 200
    r = server(switch).configure(body)
    assert rejected(r, naming=field), r.text


def test_queue_declared_before_validation(infra, server):
    spec, bad = server(), server("queue_declared_before_validation")
    assert rejected(spec.configure({**MULTI, "view_type": "9"}))
    assert rejected(bad.configure({**MULTI, "view_type": "9"}))
    assert queues(infra, [spec]) == []
    assert len(queues(infra, [bad])) == 1, "the rejected request's queue should have leaked"
    assert not variant_jobs(infra, bad)


def _bins_step(resp: dict) -> float:
    return resp["frequencies_list"][1] - resp["frequencies_list"][0]


RESPONSE_CHANGES = [
    ("channel_keys_zero_based", MULTI, lambda spec, bad: sorted(bad["channel_to_stream_index"], key=int)
     == [str(int(k) - 1) for k in sorted(spec["channel_to_stream_index"], key=int)], {"channel_to_stream_index"}),
    ("frequency_resolution_assumes_1000hz", MULTI,
     lambda spec, bad: _bins_step(bad) == 1000 / 256 and _bins_step(spec) == 2000 / 256,
     {"frequencies_list", "frequencies_amount"}),
    ("frequencies_amount_off_by_one", MULTI,
     lambda spec, bad: bad["frequencies_amount"] == len(bad["frequencies_list"]) + 1, {"frequencies_amount"}),
    ("large_roi_fewer_bins", {**MULTI, "channels": {"min": 1, "max": 300}},
     lambda spec, bad: bad["frequencies_list"] == spec["frequencies_list"][::2],
     {"frequencies_list", "frequencies_amount"}),
    ("waterfall_split_into_streams", WATERFALL,
     lambda spec, bad: bad["stream_amount"] == 3 and spec["stream_amount"] == 1,
     {"stream_amount", "channel_to_stream_index"}),
    ("waterfall_has_frequency_axis", WATERFALL,
     lambda spec, bad: (bad["frequencies_list"], bad["frequencies_amount"]) == ([0.0], 1),
     {"frequencies_list", "frequencies_amount"}),
    ("waterfall_lines_dt_inverted", WATERFALL, lambda spec, bad: bad["lines_dt"] == 1 / spec["lines_dt"], {"lines_dt"}),
    ("view_type_echoed_as_int", MULTI, lambda spec, bad: (spec["view_type"], bad["view_type"]) == ("0", 0),
     {"view_type"}),
    ("stream_port_as_string", MULTI, lambda spec, bad: isinstance(bad["stream_port"], str)
     and bad["stream_port"].isdigit() and isinstance(spec["stream_port"], int), set()),
    ("channel_amount_off_by_one", MULTI, lambda spec, bad: bad["channel_amount"] == spec["channel_amount"] - 1 == 7,
     {"channel_amount"}),
]


@pytest.mark.parametrize("switch,body,changed,fields", RESPONSE_CHANGES, ids=[c[0] for c in RESPONSE_CHANGES])
def test_response_switch_changes_its_fields_only(server, switch, body, changed, fields):
    spec, bad = server().configure(body).json(), server(switch).configure(body).json()
    assert changed(spec, bad), bad
    ignore = fields | {"job_id", "stream_port"}
    assert {k: v for k, v in bad.items() if k not in ignore} == {k: v for k, v in spec.items() if k not in ignore}


def test_large_roi_fewer_bins_keeps_small_views(server):
    assert server("large_roi_fewer_bins").configure().json()["frequencies_amount"] == \
        server().configure().json()["frequencies_amount"]


def test_metadata_view_type_as_int(server):
    v = server("metadata_view_type_as_int")
    configured = v.configure().json()
    meta = v.ready(configured["job_id"])
    assert configured["view_type"] == "0" and meta["view_type"] == 0
    assert _without(meta, "view_type") == _without(configured, "view_type")


def test_unknown_job_metadata_answers_200(server):
    assert requests.get(f"{server().url}/metadata/999999-999999").status_code == 404
    r = requests.get(f"{server('unknown_job_metadata_answers_200').url}/metadata/999999-999999")
    assert (r.status_code, r.json()) == (200, {})


# ------------------------------------------------------------------ new lifecycle switches
def stays(condition, duration_s: float, what: str, interval_s: float = 0.25) -> None:
    """Poll ``condition()`` for ``duration_s``; AssertionError as soon as it is false."""
    deadline = time.monotonic() + duration_s
    while time.monotonic() < deadline:
        value = condition()
        assert value, f"{what}: stopped being true; last seen {value!r}"
        time.sleep(interval_s)  # poll interval


def test_job_service_not_created(infra, server):
    v = server("job_service_not_created")
    job_id = v.configure().json()["job_id"]
    v.ready(job_id)
    res = t.job_resources(infra.kube(), job_id)
    assert res[f"grpc-job-{job_id}"] and res[f"cleanup-job-{job_id}"] and not res[f"grpc-service-{job_id}"], res


def test_stream_port_mismatch(infra, server):
    v = server("stream_port_mismatch")
    job_id = v.configure().json()["job_id"]
    kube = infra.kube()
    t.wait_for(lambda: any(p["status"]["phase"] == "Running" for p in kube.list_pods(f"app=grpc-job-{job_id}")),
               infra.config.timings.job_start_timeout_s, "streaming pod running")
    stays(lambda: requests.get(f"{v.url}/metadata/{job_id}").status_code == 404,
          infra.config.timings.job_start_timeout_s, f"metadata of {job_id} not ready")


def test_idle_jobs_never_end(infra, server):
    v = server("idle_jobs_never_end")
    job_id = v.configure().json()["job_id"]
    v.ready(job_id)
    stays(lambda: requests.get(f"{v.url}/metadata/{job_id}").status_code == 200,
          infra.config.timings.job_idle_timeout_s + 2, f"idle job {job_id} still served")


def test_failed_jobs_not_cleaned(infra, server):
    v = server("failed_jobs_not_cleaned")
    job_id = v.configure().json()["job_id"]
    v.ready(job_id)
    kube = infra.kube()
    pod = kube.list_pods(f"app=grpc-job-{job_id}")[0]["metadata"]["name"]
    kube.delete_pod(pod)
    timings = infra.config.timings
    stays(lambda: all(v for k, v in t.job_resources(kube, job_id).items() if k != "pods"),
          timings.cleanup_timeout_s + timings.job_ttl_after_finished_s, f"every object of crashed job {job_id}")


# ------------------------------------------------------------------ new recordings switches
def _pairs(url: str, start: int, end: int) -> list:
    r = requests.post(f"{url}/recordings_in_time_range", json={"start_time": start, "end_time": end})
    assert r.status_code == 200, r.text
    return r.json()


def test_recordings_contained_only(infra, server):
    done = [p for p in _pairs(infra.focus_url, NOW - 6 * 3600, NOW - 3600) if p[1] != -1]
    (s1, e1), (s2, e2) = done[0], done[1]
    window = ((s1 + e1) // 2, (s2 + e2) // 2)
    assert _pairs(server().url, *window) == [[s1, e1], [s2, e2]]
    assert _pairs(server("recordings_contained_only").url, *window) == []
    assert _pairs(server("recordings_contained_only").url, s1 - 1, e2 + 1) == [[s1, e1], [s2, e2]]


def test_future_window_lists_ongoing_recording(server):
    future = (NOW + 86400, NOW + 90000)
    assert _pairs(server().url, *future) == []
    listed = _pairs(server("future_window_lists_ongoing_recording").url, *future)
    assert [p[1] for p in listed] == [-1], listed


def _recordings_collection(db):
    return db[db["base_paths"].find_one({"is_archive": False})["guid"]]


def _index_keys(col) -> dict:
    return {tuple(k for k, _ in i["key"]): bool(i.get("unique")) for i in col.index_information().values()}


SEED_SWITCHES = [
    ("recording_without_start_time", lambda db: _recordings_collection(db).count_documents(
        {"start_time": {"$exists": False}, "end_time": {"$exists": True}}) == 1),
    ("unrecognized_folders_in_recordings", lambda db: _recordings_collection(db).count_documents(
        {"folder_name": {"$exists": True}}) == 5),
    ("base_path_names_unrecognized_collection",
     lambda db: "unrecognized_recordings" in db["base_paths"].find_one({"is_archive": False})["guid"]),
    ("base_path_names_missing_collection", lambda db: db["base_paths"].find_one({"is_archive": False})["guid"]
     not in db.list_collection_names()),
    ("recordings_indexes_missing", lambda db: set(_index_keys(_recordings_collection(db))) == {("_id",)}),
    ("uuid_index_not_unique", lambda db: _index_keys(_recordings_collection(db)).get(("uuid",)) is False),
]


@pytest.mark.parametrize("switch,check", SEED_SWITCHES, ids=[s for s, _ in SEED_SWITCHES])
def test_seed_switch(infra, server, switch, check):
    client = pymongo.MongoClient(infra.config.mongodb_uri, serverSelectionTimeoutMS=3000)
    names = [f"prisma_spec_{time.monotonic_ns()}", f"prisma_defect_{time.monotonic_ns()}"]
    try:
        server(seed=True, mongodb_database=names[0])
        server(switch, seed=True, mongodb_database=names[1])
        assert not check(client[names[0]]), f"the spec seed already shows what {switch} names"
        assert check(client[names[1]]), switch
    finally:
        for name in names:
            client.drop_database(name)
        client.close()


# ------------------------------------------------------------------ new dependency switches
HISTORIC = {**MULTI, "start_time": NOW - 900, "end_time": NOW - 100}


def test_mongodb_slow_failure(server):
    v = server("mongodb_slow_failure", mongodb_uri=free_url("mongodb://") + "/")
    started = time.monotonic()
    r = v.configure(HISTORIC)
    assert r.status_code == 503 and time.monotonic() - started > 5, (time.monotonic() - started, r.text)


def test_mongodb_outage_answers_500(server):
    r = server("mongodb_outage_answers_500", mongodb_uri=free_url("mongodb://") + "/").configure(HISTORIC)
    assert r.status_code == 500, r.text


def test_live_configure_needs_mongodb(server):
    r = server("live_configure_needs_mongodb", mongodb_uri=free_url("mongodb://") + "/").configure()
    assert r.status_code == 503 and "MongoDB" in r.json()["error"], r.text


@pytest.fixture()
def proxy():
    """``proxy(url) -> TcpProxy`` in front of the host:port of a mongodb:// or amqp:// URL."""
    from urllib.parse import urlsplit
    made = []

    def start(url: str) -> t.TcpProxy:
        parts = urlsplit(url)
        made.append(t.TcpProxy(parts.hostname, parts.port))
        return made[-1]
    yield start
    for p in made:
        p.close()


def test_mongodb_connection_not_reopened(infra, server, proxy):
    p = proxy(infra.config.mongodb_uri)
    window = {**MULTI, "start_time": NOW - 3 * 3600, "end_time": NOW - 3 * 3600 + 800}
    spec = server(mongodb_uri=p.url_for(infra.config.mongodb_uri))
    bad = server("mongodb_connection_not_reopened", mongodb_uri=p.url_for(infra.config.mongodb_uri))
    assert spec.configure(window).status_code == 200 and bad.configure(window).status_code == 200
    assert p.drop_connections() > 0
    t.wait_for(lambda: spec.configure(window).status_code == 200, 5, "spec variant serves historic again")
    r = bad.configure(window)
    assert r.status_code == 503 and "never reopened" in r.json()["error"], r.text


def test_broker_connection_not_reopened(infra, server, proxy):
    p = proxy(infra.config.rabbitmq_url)
    spec = server(rabbitmq_url=p.url_for(infra.config.rabbitmq_url))
    bad = server("broker_connection_not_reopened", rabbitmq_url=p.url_for(infra.config.rabbitmq_url))
    assert bad.configure().status_code == 200
    assert p.drop_connections() > 0
    assert spec.configure().status_code == 200
    r = bad.configure()
    assert r.status_code == 503 and "RabbitMQ" in r.json()["error"], r.text
    assert bad.configure().status_code == 503, "the kept connection must stay dead"


# ------------------------------------------------------------------ new API and metadata switches
GET_SWITCHES = [
    ("ack_body_not_empty", "ack", lambda r: r.json() == {"status": "ok"}),
    ("channels_zero_based", "channels", lambda r: r.json()["lowest_channel"] == 0),
    ("channels_disagree_with_live_metadata", "channels", lambda r: r.json()["highest_channel"] == 2327),
    ("live_metadata_numbers_as_text", "live_metadata", lambda r: r.json()["prr"] == "2000.0"),
    ("live_metadata_text_empty", "live_metadata", lambda r: r.json()["sw_version"] == ""),
    ("live_metadata_has_dy", "live_metadata", lambda r: "dy" in r.json()),
]


@pytest.mark.parametrize("switch,path,check", GET_SWITCHES, ids=[s for s, _, _ in GET_SWITCHES])
def test_get_switch(server, switch, path, check):
    assert not check(requests.get(f"{server().url}/{path}"))
    r = requests.get(f"{server(switch).url}/{path}")
    assert r.status_code == 200 and check(r), r.text


def test_ack_accepts_any_method(server):
    assert requests.post(f"{server().url}/ack").status_code == 405
    assert [requests.request(m, f"{server('ack_accepts_any_method').url}/ack").status_code
            for m in ("POST", "DELETE")] == [200, 200]


def test_retry_after_understated(server):
    v = server("retry_after_understated", rate_limit=RateLimit(capacity=1, refill_per_s=1.0))
    throttled = burst(v, 2)[-1]
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1", throttled.headers
    time.sleep(1.2)  # honouring Retry-After (plus margin) is the behaviour under test
    assert burst(v, 1)[0].status_code == 429, "a client that waited as told is still locked out"


# ------------------------------------------------------------------ new alert switches
def _alert(**changes) -> dict:
    return {"classId": 103, "severity": 1, "dofM": 5, "alertsAmount": 1, "alertIds": [f"a-{time.time_ns()}"],
            **changes}


@pytest.fixture()
def reports(infra):
    """``reports(routing_key) -> callable`` listing alert ids published with that key since the fixture began."""
    conn = pika.BlockingConnection(pika.URLParameters(infra.config.rabbitmq_url))
    ch = conn.channel()
    ch.exchange_declare("prisma", exchange_type="topic", durable=True)
    bound = {}

    def watch(key: str):
        queue = ch.queue_declare("", exclusive=True).method.queue
        ch.queue_bind(queue, "prisma", routing_key=key)
        bound[key] = queue

        def ids() -> list:
            found = []
            while (msg := ch.basic_get(queue, auto_ack=True))[0] is not None:
                found.append(json.loads(msg[2]).get("alertId"))
            return found
        return ids
    yield watch
    conn.close()


def test_alert_severity_not_validated(web):
    spec_session, spec_site = web()
    assert spec_session.post(f"{spec_site}/push-to-rabbit", json=_alert(severity=4)).status_code == 400
    session, site = web("alert_severity_not_validated")
    assert session.post(f"{site}/push-to-rabbit", json=_alert(severity=4)).status_code == 201


def test_alert_push_without_session_accepted(web):
    _, spec_site = web()
    assert requests.post(f"{spec_site}/push-to-rabbit", json=_alert()).status_code == 401
    _, site = web("alert_push_without_session_accepted")
    assert requests.post(f"{site}/push-to-rabbit", json=_alert()).status_code == 201


def test_rejected_alerts_published(web, reports):
    ids = reports("Algorithm.AlertReport")
    session, site = web("rejected_alerts_published")
    body = _alert(classId=999)
    assert session.post(f"{site}/push-to-rabbit", json=body).status_code == 400
    t.wait_for(lambda: body["alertIds"][0] in ids(), 3, "the rejected alert published")


def test_alerts_published_on_wrong_routing_key(web, reports):
    right, wrong = reports("Algorithm.AlertReport"), reports("Algorithm.Alert")
    session, site = web("alerts_published_on_wrong_routing_key")
    body = _alert()
    assert session.post(f"{site}/push-to-rabbit", json=body).status_code == 201
    t.wait_for(lambda: body["alertIds"][0] in wrong(), 3, "the alert published on Algorithm.Alert")
    assert right() == []


def test_alert_response_not_echoed(web):
    spec_session, spec_site = web()
    assert spec_session.post(f"{spec_site}/push-to-rabbit", json=_alert()).json()["classId"] == 103
    session, site = web("alert_response_not_echoed")
    r = session.post(f"{site}/push-to-rabbit", json=_alert())
    assert (r.status_code, r.json()) == (201, {})


def test_alert_delete_without_permission(infra, web):
    for switch, expected in ((None, 403), ("alert_delete_without_permission", 200)):
        session, site = web(*([switch] if switch else []), user="viewer")
        r = session.delete(f"{site}/alert/delete", json={"alertIds": ["nobody"]})
        assert r.status_code == expected, (switch, r.text)


def test_historic_job_started_before_lookup(infra, server):
    v = server("historic_job_started_before_lookup", mongodb_uri=free_url("mongodb://") + "/")
    r = v.configure(HISTORIC)
    assert r.status_code == 503, r.text
    gen = generation_of(v)
    started = {n for n in variant_jobs(infra, v) if n.startswith(f"grpc-job-{gen}-")}
    v.job_ids.extend(n.removeprefix("grpc-job-") for n in started)
    assert len(started) == 1, "the refused historic request should have left its job running"
    spec = server(mongodb_uri=free_url("mongodb://") + "/")
    assert spec.configure(HISTORIC).status_code == 503 and not variant_jobs(infra, spec)
