"""How long the suite waits for a job's first rows: the request decides it, not the server's own claim."""
from __future__ import annotations

from types import SimpleNamespace

from focus_support.models import ViewType, build_configure_request
from focus_support.scenarios.streaming import FEW_ROWS, StreamedJob, first_frames_deadline


def _job(lines_dt: float) -> StreamedJob:
    body = build_configure_request(ViewType.MULTICHANNEL).to_wire()
    body["displayTimeAxisDuration"], body["displayInfo"]["height"] = 30, 600
    return StreamedJob(body=body, response=SimpleNamespace(lines_dt=lines_dt, job_id="1-1"))


SUITE = SimpleNamespace(environment=SimpleNamespace(timings=SimpleNamespace(job_start_timeout_s=20.0)))


def test_the_wait_is_the_start_timeout_plus_a_few_rows_at_the_requested_spacing():
    assert first_frames_deadline(SUITE, _job(0.05)) == 20.0 + FEW_ROWS * 30 / 600


def test_a_server_that_claims_rows_far_apart_does_not_stretch_the_wait():
    assert first_frames_deadline(SUITE, _job(25.6)) == first_frames_deadline(SUITE, _job(0.05))
