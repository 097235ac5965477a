"""Steps of the streaming features and the ROI data-size feature: a job's gRPC stream (contract 16)."""
from __future__ import annotations

from behave import given, register_type, then, when

from focus_support.scenarios import configuration as cfg, streaming

register_type(StreamView=cfg.view_name)


def _job(context) -> streaming.StreamedJob:
    return streaming.current_job(context.suite, context.state)   # a job another area's step configured, too


# --- jobs ----------------------------------------------------------------------------------------
@given("a live {view:StreamView} job of channels {first:d} to {last:d} is running")
def live_job(context, view, first, last):
    streaming.start_live_job(context.suite, context.state, view, first, last)


@given("a live multichannel job of channels {first:d} to {last:d} showing {duration:d} s on a canvas "
       "{height:d} rows high is running")
def live_job_with_axis(context, first, last, duration, height):
    streaming.start_live_job(context.suite, context.state, "multichannel", first, last, duration_s=duration,
                             height=height)


@given("a historic multichannel job of channels {first:d} to {last:d} over {seconds:d} seconds of a recorded "
       "period is running")
def historic_job(context, first, last, seconds):
    streaming.start_historic_job(context.suite, context.state, first, last, seconds)


# --- watching ------------------------------------------------------------------------------------
@when("I watch the job's first stream")
def watch_first(context):
    streaming.watch(context.suite, context.state, _job(context), 0)


@given("I watched the job's first stream for a few rows")
@when("I watch the job's first stream for a few rows")
def watch_first_for_rows(context):
    streaming.watch_for_rows(context.suite, context.state, _job(context), [0])


@when("I watch the job's first stream for {rows:d} rows")
def watch_first_for_n_rows(context, rows):
    streaming.watch_for_rows(context.suite, context.state, _job(context), [0], rows=rows)


@when("I watch every stream of the job for a few rows")
def watch_every_stream(context):
    suite, state = context.suite, context.state
    streaming.watch_for_rows(suite, state, streaming.current_job(suite, state))


@when("I watch every stream of both jobs for a few rows")
def watch_both_jobs(context):
    both = streaming.notes(context.state).jobs[-2:]
    for job in both:  # both watched before either is read
        streaming.open_watches(context.suite, context.state, job)
    for job in both:
        streaming.watch_for_rows(context.suite, context.state, job)


@when("I watch the job's first stream for longer than the idle timeout")
def watch_longer_than_idle(context):
    streaming.watch_longer_than_idle(context.suite, context.state, _job(context))


@when("I stop watching the job")
def stop_watching(context):
    streaming.stop_watching(_job(context))


# --- outcomes ------------------------------------------------------------------------------------
@then("at least 3 frames with a non-zero shape arrive within the job start timeout and a few rows")
def three_frames(context):
    job = _job(context)
    stream = job.watches[0]
    streaming.wait_and_show(stream, job, streaming.FRAMES, streaming.first_frames_deadline(context.suite, job))


@then("every frame carries only channels from {first:d} to {last:d}")
def channels_inside(context, first, last):
    job = _job(context)
    assert job.channels == (first, last), f"the scenario configured {job.channels}, its outcome names {first}-{last}"
    streaming.require_channels_inside(job)


@then("the row indices rise from row to row and the timestamps move on from frame to frame")
def rows_in_order(context):
    streaming.require_rows_in_order(_job(context))


@then("every frame holds as many float32 values as its shape states")
def payload_matches_shape(context):
    streaming.require_payload_matches_shape(_job(context))


@then("each stream carries exactly the channels the job's channel mapping gives it")
def stream_groups(context):
    streaming.require_stream_groups(_job(context))


@then("consecutive rows are the job's time between rows apart")
def row_cadence(context):
    streaming.require_row_cadence(_job(context))


@then("frames kept arriving the whole time")
def frames_kept_arriving(context):
    timings = context.suite.environment.timings
    streaming.require_still_streaming(_job(context), timings.job_idle_timeout_s + timings.job_start_timeout_s)


@then("the job's stream address takes a connection at once")
def step_stream_connects_at_once(context):
    streaming.require_stream_takes_connection(context.state)


@then("the job is still running")
def job_still_running(context):
    streaming.require_job_running(context.suite, _job(context))


@then("the stream ends by itself once the window has been played")
def ends_after_window(context):
    streaming.require_ends_after_window(context.suite, _job(context))


@then("every row it sent is timestamped inside the window")
def rows_inside_window(context):
    streaming.require_rows_inside_window(_job(context))


@then("the two jobs' rows differ only in how many channels they carry")
def rows_differ_in_channels(context):
    first, second = streaming.notes(context.state).jobs[-2:]
    streaming.require_same_row_layout_but_channels(first, second)


@then("a row of the job's streams holds one value for each channel it carries")
def one_value_per_channel(context):
    streaming.require_one_value_per_channel(_job(context))


@then("a row of the job's streams measures channel count × frequency bins × 4 bytes")
def row_size_measured(context):
    streaming.require_row_size(_job(context))
