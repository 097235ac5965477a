"""The streaming pod on its own (no stack): gRPC frames, the idle rule, historic playback, stream faults."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from focus_sandbox import testing as t
from focus_support.streaming import StreamWatch, checks

REPO = Path(__file__).resolve().parents[2]
LINES_DT = 0.05
GROUPS = [[1, 3], [4, 6], [7, 8]]
BINS = 65


class Pod:
    """A grpc_job process on a free port."""

    def __init__(self, **env: object):
        self.port = t.free_port()
        self.target = f"127.0.0.1:{self.port}"
        settings = {"JOB_ID": "7-42", "STREAM_PORT": self.port, "IDLE_TIMEOUT_S": 30, "LINES_DT": LINES_DT,
                    "STREAM_GROUPS": json.dumps(GROUPS), "FREQUENCY_BINS": BINS, **env}
        self.process = subprocess.Popen([sys.executable, "-m", "focus_sandbox.pods.grpc_job"],
                                        env={**os.environ, "PYTHONPATH": str(REPO), **{k: str(v) for k, v in settings.items()}},
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        t.wait_for(lambda: self._listening() or self.process.poll() is not None, 15, f"pod listening on {self.target}")
        assert self.process.poll() is None, self.process.stdout.read()

    def _listening(self) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def watch(self, stream_id: int = 0) -> StreamWatch:
        return StreamWatch(self.target, stream_id, connect_timeout_s=5).open()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        self.process.stdout.close()


@pytest.fixture()
def pod():
    started: list[Pod] = []

    def start(**env) -> Pod:
        started.append(Pod(**env))
        return started[-1]
    yield start
    for p in started:
        p.stop()


def test_each_stream_carries_its_channel_group_in_ordered_frames_of_the_stated_shape(pod):
    p = pod()
    for stream_id, (first, last) in enumerate(GROUPS):
        with p.watch(stream_id) as watch:
            frames = watch.wait_for_frames(3, 5, rows=4)
        assert not checks.group_problems(frames, first, last)
        assert not checks.order_problems(frames)
        assert not checks.payload_problems(frames)
        assert {(f.shape_x, f.shape_y) for f in frames} == {(last - first + 1, BINS)}
        assert all(f.shape_z == f.rows == f.payload_entries for f in frames)
        assert all(f.global_minimum < f.global_maximum and f.job_id == 42 for f in frames)
        assert checks.row_spacing_ms(frames) == pytest.approx(LINES_DT * 1000, abs=1)


def test_a_stream_id_the_job_does_not_have_is_refused(pod):
    with pod().watch(len(GROUPS)) as watch:
        end = watch.wait_until_ended(5)
    assert (end.code, watch.frames) == ("INVALID_ARGUMENT", [])


def test_fast_rows_are_batched_into_fewer_frames(pod):
    # one row a millisecond: as fast as millisecond timestamps can still tell rows apart
    p = pod(LINES_DT=0.001, STREAM_GROUPS="[[1, 50]]", FREQUENCY_BINS=1)
    with p.watch() as watch:
        frames = watch.wait_for_frames(3, 5, rows=400)
    assert max(f.rows for f in frames) > 1 and not checks.order_problems(frames) and not checks.payload_problems(frames)


def test_a_historic_job_plays_its_window_and_ends_the_call(pod):
    start_ms = 1_700_000_000_000
    p = pod(HISTORIC_START_MS=start_ms, HISTORIC_WINDOW_S=1)
    with p.watch() as watch:
        end = watch.wait_until_ended(5)
    stamps = [s for f in watch.frames for s in f.timestamps_ms]
    assert end.completed and end.after_s >= 0.9, end
    assert len(stamps) == 20 and start_ms <= min(stamps) and max(stamps) < start_ms + 1000


def test_an_unwatched_pod_exits_after_the_idle_timeout_and_a_watched_one_lives(pod):
    idle = pod(IDLE_TIMEOUT_S=1)
    watched = pod(IDLE_TIMEOUT_S=1)
    with watched.watch() as watch:
        assert watch.watch_for(2.5) is None
        assert watch.frames[-1].arrived_s > 2.0
        assert idle.process.poll() == 0 and watched.process.poll() is None
    t.wait_for(lambda: watched.process.poll() is not None, 5, "the pod exits once its watcher left")
    assert watched.process.returncode == 0


def test_the_watch_keeps_the_job_alive_unless_the_idle_clock_ignores_watchers(pod):
    p = pod(IDLE_TIMEOUT_S=1, STREAM_FAULTS="stream_watched_job_idles_out")
    with p.watch() as watch:
        end = watch.watch_for(3)
    assert end is not None and not end.by_client and end.after_s < 2.5, watch.describe()


@pytest.mark.parametrize("fault,broken", [
    ("stream_frames_outside_range", lambda fr: checks.channel_problems(fr, 1, 8)),
    ("stream_row_index_frozen", checks.order_problems),
    ("stream_empty_payloads", checks.payload_problems),
])
def test_stream_faults_break_their_check(pod, fault, broken):
    with pod().watch(1) as healthy:
        assert not broken(healthy.wait_for_frames(3, 5))
    with pod(STREAM_FAULTS=fault).watch(1) as faulty:
        assert broken(faulty.wait_for_frames(3, 5))


def test_a_stream_that_never_sends_is_a_product_failure(pod):
    with pod(STREAM_FAULTS="stream_never_sends").watch() as watch:
        with pytest.raises(AssertionError) as failure:
            watch.wait_for_frames(3, 1.0)
    assert failure.value.finding.subject == "stream.frames" and failure.value.finding.seen == ("none",)
    assert watch.frames == [] and watch.ended.by_client
