"""Contract tests of the sandbox Focus Server and Web App, against a running spec stack."""
from __future__ import annotations

import json
import os
import signal
import time

import pika
import psutil
import pytest
import requests

from focus_sandbox import testing as t
from focus_support.streaming import StreamWatch, stream_target

pytestmark = pytest.mark.stack

MULTI = {"view_type": "0", "channels": {"min": 1, "max": 8}, "displayInfo": {"height": 768},
         "displayTimeAxisDuration": 30, "nfftSelection": 256, "frequencyRange": {"min": 0, "max": 500},
         "start_time": None, "end_time": None}


@pytest.fixture(scope="module")
def infra(tmp_path_factory):
    with t.stack_infra(tmp_path_factory.mktemp("stack-home")) as infra:
        yield infra


@pytest.fixture()
def jobs(infra):
    """Configure jobs through the stack's server; every job is force-removed at teardown."""
    created: list[tuple[str, str | None]] = []
    kube = infra.kube()

    def configure(body=MULTI, url=None):
        resp = t.post_configure(url or infra.focus_url, body)
        if resp.status_code == 200:
            job_id = resp.json()["job_id"]
            created.append((job_id, t.job_queue(kube, job_id)))
        return resp
    yield configure
    for job_id, queue in reversed(created):
        t.force_remove_job(kube, job_id, infra.config.rabbitmq_url, queue)


def ready(infra, job_id: str, base=None) -> dict:
    """Poll /metadata until 200 within job_start_timeout_s; return its body."""
    url = f"{base or infra.focus_url}/metadata/{job_id}"
    resp = t.wait_for(lambda: (r := requests.get(url, timeout=5)).status_code == 200 and r,
                      infra.config.timings.job_start_timeout_s, f"GET {url} -> 200")
    return resp.json()


def all_gone(infra, job_id: str, queue: str) -> None:
    """Every resource of the job disappears within cleanup_timeout_s (plus the TTL)."""
    kube = infra.kube()
    limit = infra.config.timings.cleanup_timeout_s + infra.config.timings.job_ttl_after_finished_s

    def gone():
        left = t.job_resources(kube, job_id)
        leftovers = [k for k, v in left.items() if v] + (["queue"] if t.queue_exists(infra.config.rabbitmq_url,
                                                                                     queue) else [])
        return not leftovers or None
    t.wait_for(gone, limit, f"every resource of job {job_id} removed")


# ------------------------------------------------------------------ simple endpoints
def test_ack_openapi_and_routing_errors(infra):
    F = infra.focus_url
    assert requests.get(f"{F}/ack").json() == {}
    for method in ("post", "put", "delete"):
        r = getattr(requests, method)(f"{F}/ack")
        assert r.status_code == 405 and "detail" in r.json(), (method, r.status_code, r.text)
    doc = requests.get(f"{F}/openapi.json").json()
    assert "/configure" in doc["paths"] and "/metadata/{job_id}" in doc["paths"]
    for path in ("/health", "/info", "/sensors"):
        r = requests.get(F + path)
        assert (r.status_code, r.json()) == (404, {"detail": "Not Found"}), path


def test_channels_match_live_metadata(infra):
    meta = requests.get(f"{infra.focus_url}/live_metadata").json()
    for key in ("prr", "dx", "number_of_channels", "fiber_start_meters", "fiber_length_meters",
                "sw_version", "fiber_description", "num_samples_per_trace", "dtype"):
        assert key in meta, f"live_metadata lacks {key}: {meta}"
    assert "dy" not in meta
    assert requests.get(f"{infra.focus_url}/channels").json() == {
        "lowest_channel": 1, "highest_channel": meta["number_of_channels"]}


# ------------------------------------------------------------------ configure and jobs
def test_configure_creates_named_resources_and_streams_rows(infra, jobs):
    resp = jobs()
    assert resp.status_code == 200, resp.text
    body = resp.json()
    job_id = body["job_id"]
    assert body["status"] == "success" and body["view_type"] == "0"
    assert body["channel_to_stream_index"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1, "6": 1, "7": 2, "8": 2}
    assert body["frequencies_amount"] == len(body["frequencies_list"]) == 65
    assert body["lines_dt"] == 30 / 768 and isinstance(body["stream_port"], int)
    assert ready(infra, job_id) == body
    kube = infra.kube()
    res = t.job_resources(kube, job_id)
    assert all(res.values()), res
    assert all(p.startswith(f"grpc-job-{job_id}-") or p.startswith(f"cleanup-job-{job_id}-") for p in res["pods"])
    assert [p["metadata"]["name"] for p in kube.list_pods(f"app=grpc-job-{job_id}")]
    service = next(s for s in kube.list_services() if s["metadata"]["name"] == f"grpc-service-{job_id}")
    assert service["spec"]["type"] == "NodePort" and service["spec"]["ports"][0]["port"] == body["stream_port"]
    queue = t.job_queue(kube, job_id)
    assert queue and t.queue_exists(infra.config.rabbitmq_url, queue)
    # stream 1 of the 8 channels is the group 4-6: rows of 3 channels x 65 bins of float32 (gRPC, contract 16)
    with StreamWatch(stream_target(body["stream_url"], body["stream_port"]), 1) as watch:
        frame = watch.wait_for_frames(1, 5)[0]
    assert (frame.start_channel, frame.end_channel, frame.shape_x, frame.shape_y) == (4, 6, 3, 65)
    assert frame.payload_bytes == frame.rows * 3 * body["frequencies_amount"] * 4


def test_int_view_type_is_echoed_as_string_and_ids_increase(infra, jobs):
    first = jobs({**MULTI, "view_type": 2, "channels": {"min": 1, "max": 10}, "displayTimeAxisDuration": None,
                  "nfftSelection": None, "frequencyRange": None})
    assert first.status_code == 200, first.text
    assert first.json()["view_type"] == "2" and first.json()["frequencies_amount"] == 0
    second = jobs({**MULTI, "view_type": 1, "channels": {"min": 7, "max": 7}})
    assert second.status_code == 200, second.text
    a, b = (int(r.json()["job_id"].split("-")[1]) for r in (first, second))
    assert b > a and second.json()["stream_port"] != first.json()["stream_port"]


@pytest.mark.parametrize("body,field", [
    ({**MULTI, "displayInfo": {"height": 0}}, "height"),
    ({**MULTI, "nfftSelection": 1000}, "nfftSelection"),
    ({**MULTI, "frequencyRange": {"min": 0, "max": 1001}}, "frequencyRange"),
    ({**MULTI, "channels": {"min": 1, "max": 2223}}, "channels"),
    ({**MULTI, "view_type": "1", "channels": {"min": 1, "max": 4}}, "channels"),
    ({**MULTI, "start_time": int(time.time()) + 600, "end_time": int(time.time()) + 700}, "start_time"),
    ({"view_type": "2", "channels": {"min": 1, "max": 4}, "displayInfo": {"height": 10},
      "displayTimeAxisDuration": 30}, "displayTimeAxisDuration"),
])
def test_a_broken_rule_is_400_naming_the_field_and_creates_nothing(infra, body, field):
    """The specs meeting's shape (contract 15): 400 with an error message that names the rule."""
    kube = infra.kube()
    before = ({j["metadata"]["name"] for j in kube.list_jobs()}, {s["metadata"]["name"] for s in kube.list_services()})
    resp = t.post_configure(infra.focus_url, body)
    assert resp.status_code == 400, resp.text
    assert field in resp.json()["error"], resp.json()
    after = ({j["metadata"]["name"] for j in kube.list_jobs()}, {s["metadata"]["name"] for s in kube.list_services()})
    assert after[0] <= before[0] and after[1] <= before[1], f"created {after[0] - before[0]} {after[1] - before[1]}"


@pytest.mark.parametrize("body,field", [
    ({k: v for k, v in MULTI.items() if k != "channels"}, "channels"),
    ({**MULTI, "displayInfo": {"height": "tall"}}, "height"),
    ({**MULTI, "nfftSelection": 1024.5}, "nfftSelection"),
])
def test_a_body_of_the_wrong_shape_is_fastapis_422_with_detail(infra, body, field):
    resp = t.post_configure(infra.focus_url, body)
    assert resp.status_code == 422, resp.text
    assert any(field in [str(p) for p in e["loc"]] for e in resp.json()["detail"]), resp.json()


def test_metadata_errors(infra):
    F = infra.focus_url
    assert (lambda r: (r.status_code, r.json()))(requests.get(f"{F}/metadata/999999-999999")) == \
        (404, {"error": "Invalid job_id"})
    for bad in ("abc", "1-2-3", "..%2F..%2Fetc", "%20"):
        r = requests.get(f"{F}/metadata/{bad}")
        assert r.status_code in (400, 404), (bad, r.status_code)
    assert requests.get(f"{F}/metadata/").status_code == 404


def test_cancel_removes_every_resource(infra, jobs):
    body = jobs().json()
    job_id = body["job_id"]
    ready(infra, job_id)
    queue = t.job_queue(infra.kube(), job_id)
    r = requests.delete(f"{infra.focus_url}/job/{job_id}")
    assert (r.status_code, r.json()) == (200, {"job_id": job_id, "status": "cancelled"})
    assert requests.get(f"{infra.focus_url}/metadata/{job_id}").status_code == 404
    all_gone(infra, job_id, queue)
    assert requests.delete(f"{infra.focus_url}/job/{job_id}").json() == {"error": "Invalid job_id"}


def test_idle_job_completes_and_is_cleaned_up(infra, jobs):
    job_id = jobs().json()["job_id"]
    ready(infra, job_id)
    queue = t.job_queue(infra.kube(), job_id)
    timings = infra.config.timings
    # Idle timeout, then the janitor, then the TTL.
    t.wait_for(lambda: requests.get(f"{infra.focus_url}/metadata/{job_id}").status_code == 404,
               timings.job_idle_timeout_s + timings.cleanup_timeout_s, f"/metadata/{job_id} -> 404 after idling")
    all_gone(infra, job_id, queue)


def test_crashed_pod_is_cleaned_up(infra, jobs):
    job_id = jobs().json()["job_id"]
    ready(infra, job_id)
    queue = t.job_queue(infra.kube(), job_id)
    pids = [p.pid for p in psutil.process_iter(["cmdline"])
            if "focus_sandbox.pods.grpc_job" in " ".join(p.info["cmdline"] or [])
            and p.environ().get("JOB_ID") == job_id]
    assert len(pids) == 1, pids
    os.kill(pids[0], signal.SIGKILL)
    all_gone(infra, job_id, queue)
    assert requests.get(f"{infra.focus_url}/metadata/{job_id}").status_code == 404


# ------------------------------------------------------------------ recordings
def test_recordings_in_time_range(infra):
    F, now = infra.focus_url, int(time.time())
    pairs = requests.post(f"{F}/recordings_in_time_range", json={"start_time": now - 6 * 3600, "end_time": now}).json()
    assert len(pairs) > 10 and pairs == sorted(pairs), pairs[:5]
    assert pairs[-1][1] == -1, "the live recording should end with -1"
    assert all(end == -1 or end > now - 6 * 3600 for _, end in pairs)
    assert requests.post(f"{F}/recordings_in_time_range",
                         json={"start_time": now + 3600, "end_time": now + 7200}).json() == []
    r = requests.post(f"{F}/recordings_in_time_range", json={"start_time": now, "end_time": now})
    assert r.status_code == 422 and "detail" in r.json()


def test_historic_configure_needs_a_recording(infra, jobs):
    now = int(time.time())
    pairs = requests.post(f"{infra.focus_url}/recordings_in_time_range",
                          json={"start_time": now - 6 * 3600, "end_time": now - 3600}).json()
    (s1, e1), (s2, _) = pairs[0], pairs[1]
    assert s2 - e1 > 60, "seed should leave gaps between recordings"
    ok = jobs({**MULTI, "start_time": s1 + 10, "end_time": s1 + 300})
    assert ok.status_code == 200, ok.text
    miss = jobs({**MULTI, "start_time": e1 + 5, "end_time": e1 + 50})
    assert (miss.status_code, miss.json()) == (404, {"error": "No recording found in given time range"})


# ------------------------------------------------------------------ web app
@pytest.fixture()
def alerts_queue(infra):
    """A temporary queue bound to exchange prisma / Algorithm.AlertReport.#; yields a drain function."""
    conn = pika.BlockingConnection(pika.URLParameters(infra.config.rabbitmq_url))
    ch = conn.channel()
    ch.exchange_declare("prisma", exchange_type="topic", durable=True)
    queue = ch.queue_declare("", exclusive=True).method.queue
    ch.queue_bind(queue, "prisma", routing_key="Algorithm.AlertReport.#")

    def drain(expected: int, timeout_s: float = 3.0) -> list[dict]:
        got: list[dict] = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and len(got) <= expected:
            method, _props, body = ch.basic_get(queue, auto_ack=True)
            if method is None:
                conn.sleep(0.05)  # poll interval
                continue
            got.append(json.loads(body))
        return got
    yield drain
    conn.close()


def login(infra, user="qa") -> requests.Session:
    s = requests.Session()
    r = s.post(f"{infra.web_url}/auth/login",
               json={"username": user, "password": infra.runtime["web_app_users"][user]["password"]})
    assert r.status_code == 201 and "access-token" in s.cookies, r.text
    return s


def test_web_app_push_list_delete(infra, alerts_queue):
    site = f"{infra.web_url}/{infra.config.site_id}/api"
    alert = {"classId": 104, "severity": 3, "dofM": 120, "alertsAmount": 2,
             "alertIds": [f"t-{time.time_ns()}", f"u-{time.time_ns()}"]}
    assert requests.post(f"{site}/push-to-rabbit", json=alert).status_code == 401
    assert requests.post(f"{infra.web_url}/auth/login", json={"username": "qa", "password": "x"}).status_code == 401
    qa = login(infra)
    r = qa.post(f"{site}/push-to-rabbit", json=alert)
    assert (r.status_code, r.json()) == (201, alert)
    msgs = alerts_queue(2)
    assert sorted(m["alertId"] for m in msgs) == sorted(alert["alertIds"]), msgs
    listed = {a["alertId"] for a in qa.get(f"{site}/alert").json()}
    assert set(alert["alertIds"]) <= listed
    viewer = login(infra, "viewer")
    assert viewer.delete(f"{site}/alert/delete", json={"alertIds": alert["alertIds"]}).status_code == 403
    assert qa.delete(f"{site}/alert/delete", json={"alertIds": alert["alertIds"]}).status_code == 200
    assert not set(alert["alertIds"]) & {a["alertId"] for a in qa.get(f"{site}/alert").json()}


@pytest.mark.parametrize("field,value", [("classId", 999), ("severity", 0), ("dofM", -1),
                                         ("alertsAmount", 5), ("alertIds", [""]), ("classId", None)])
def test_web_app_rejects_invalid_alert_and_publishes_nothing(infra, alerts_queue, field, value):
    body = {"classId": 103, "severity": 1, "dofM": 5, "alertsAmount": 1, "alertIds": [f"x-{time.time_ns()}"]}
    if value is None:
        body.pop(field)
    else:
        body[field] = value
    r = login(infra).post(f"{infra.web_url}/{infra.config.site_id}/api/push-to-rabbit", json=body)
    assert r.status_code == 400 and field in r.json()["error"], r.text
    assert alerts_queue(0, timeout_s=0.5) == []


# ------------------------------------------------------------------ MongoDB seed
def test_seed_layout_and_indexes(infra):
    import pymongo
    db = pymongo.MongoClient(infra.config.mongodb_uri, serverSelectionTimeoutMS=3000)[infra.config.mongodb_database]
    base = db["base_paths"].find_one({"is_archive": False})
    assert base and db["base_paths"].find_one({"is_archive": True})
    col = db[base["guid"]]
    keys = {tuple(k for k, _ in info["key"]) for info in col.index_information().values()}
    assert {("start_time",), ("end_time",), ("uuid",), ("deleted",)} <= keys, keys
    assert col.count_documents({}) > 200
    assert col.count_documents({"end_time": {"$exists": False}, "deleted": False}) == 1
    assert col.count_documents({"end_time": {"$exists": False}, "deleted": True}) == 1
    names = db.list_collection_names()
    unrec = db[next(n for n in names if n.startswith(base["guid"]) and n.endswith("unrecognized_recordings"))]
    assert unrec.count_documents({}) and not unrec.count_documents({"start_time": {"$exists": True}})


# ------------------------------------------------------------------ resilience
def test_server_pod_replaced_keeps_jobs_and_id_order(infra, jobs):
    first = jobs().json()["job_id"]
    ready(infra, first)
    kube = infra.kube()
    old = [p["metadata"]["name"] for p in kube.list_pods("app=focus-server")]
    assert len(old) == 1, old
    assert kube.delete_pod(old[0])

    def replaced():
        names = [p["metadata"]["name"] for p in kube.list_pods("app=focus-server")
                 if (p.get("status") or {}).get("phase") == "Running"]
        try:
            up = requests.get(f"{infra.focus_url}/ack", timeout=1).status_code == 200
        except requests.RequestException:
            up = False
        return up and names and names != old and names
    t.wait_for(replaced, 60, "focus-server pod replaced and /ack answering")
    assert requests.get(f"{infra.focus_url}/metadata/{first}").status_code == 200
    second = jobs().json()["job_id"]
    assert int(second.split("-")[1]) > int(first.split("-")[1]), (first, second)
