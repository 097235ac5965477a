"""The job stream through the whole sandbox: jobs configured on the stack stream gRPC frames, and each
stream defect switch, set on an in-process variant server sharing the stack, breaks what it names."""
from __future__ import annotations

import time
from contextlib import ExitStack

import pytest
import requests

from focus_sandbox import testing as t
from focus_sandbox.settings import RateLimit
from focus_support.streaming import StreamWatch, checks, stream_target

pytestmark = pytest.mark.stack

MULTI = {"view_type": "0", "channels": {"min": 1, "max": 8}, "displayInfo": {"height": 768},
         "displayTimeAxisDuration": 30, "nfftSelection": 256, "frequencyRange": {"min": 0, "max": 500},
         "start_time": None, "end_time": None}
GROUPS = [(1, 3), (4, 6), (7, 8)]


@pytest.fixture(scope="module")
def infra(tmp_path_factory):
    with t.stack_infra(tmp_path_factory.mktemp("stack-home")) as infra:
        yield infra


@pytest.fixture()
def focus(infra, tmp_path):
    """``focus(*defects, **config_changes) -> base URL`` (no defect: the stack's own server); jobs removed after."""
    stack = ExitStack()
    created: list[str] = []
    kube = infra.kube()

    def start(*defects, **changes) -> str:
        if not defects and not changes:
            url = infra.focus_url
        else:
            config = infra.variant(tmp_path / f"variant{len(created)}-{time.monotonic_ns()}", *defects,
                                   rate_limit=RateLimit(capacity=100, refill_per_s=100.0), **changes)
            url = f"{stack.enter_context(t.serve(config, seed_mongodb=False))}/focus-server"
        return url

    def job(url: str, body=MULTI) -> dict:
        resp = t.post_configure(url, body)
        assert resp.status_code == 200, resp.text
        created.append(resp.json()["job_id"])
        t.wait_for(lambda: requests.get(f"{url}/metadata/{created[-1]}").status_code == 200,
                   infra.config.timings.job_start_timeout_s, f"job {created[-1]} ready")
        return resp.json()

    start.job = job  # type: ignore[attr-defined]
    yield start
    stack.close()
    for job_id in created:
        t.force_remove_job(kube, job_id, infra.config.rabbitmq_url, t.job_queue(kube, job_id))


def watch(body: dict, stream_id: int = 0) -> StreamWatch:
    return StreamWatch(stream_target(body["stream_url"], body["stream_port"]), stream_id, connect_timeout_s=5)


def test_every_stream_of_a_job_carries_its_group(focus):
    body = focus.job(focus())
    assert body["stream_amount"] == len(GROUPS)
    for stream_id, (first, last) in enumerate(GROUPS):
        with watch(body, stream_id) as w:
            frames = w.wait_for_frames(3, 5)
        assert not checks.group_problems(frames, first, last) and not checks.payload_problems(frames)
        assert {f.shape_y for f in frames} == {body["frequencies_amount"]}


def test_a_historic_job_plays_its_window_and_ends_the_call(infra, focus):
    now = int(time.time())
    pairs = requests.post(f"{infra.focus_url}/recordings_in_time_range",
                          json={"start_time": now - 6 * 3600, "end_time": now}, timeout=10).json()
    start = next(s for s, e in pairs if e != -1 and e - s >= 3)
    body = focus.job(focus(), {**MULTI, "displayTimeAxisDuration": 2, "displayInfo": {"height": 40},
                               "start_time": start, "end_time": start + 2})
    with watch(body) as w:
        end = w.wait_until_ended(2 + infra.config.timings.job_start_timeout_s)
    stamps = [s for f in w.frames for s in f.timestamps_ms]
    assert end.completed and len(stamps) == 40, (end, len(stamps))
    assert start * 1000 <= min(stamps) and max(stamps) < (start + 2) * 1000


@pytest.mark.parametrize("switch,broken", [
    ("stream_frames_outside_range", lambda frames: checks.channel_problems(frames, 1, 8)),
    ("stream_row_index_frozen", checks.order_problems),
    ("stream_empty_payloads", checks.payload_problems),
])
def test_a_stream_switch_breaks_its_check(focus, switch, broken):
    with watch(focus.job(focus(switch))) as w:
        assert broken(w.wait_for_frames(3, 5))


def test_stream_never_sends(focus):
    with watch(focus.job(focus("stream_never_sends"))) as w:
        with pytest.raises(AssertionError, match="at least 3 frames"):
            w.wait_for_frames(3, 2)


def test_stream_watched_job_idles_out(infra, focus):
    timings = infra.config.timings.model_copy(update={"job_idle_timeout_s": 2.0})
    with watch(focus.job(focus("stream_watched_job_idles_out", timings=timings))) as w:
        end = w.watch_for(4)
    assert end is not None and not end.by_client, w.describe()
