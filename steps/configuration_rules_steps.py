"""Steps of the view-type, input-validation and live/historic configuration features."""
from __future__ import annotations

from behave import given, register_type, then, when
from hamcrest import equal_to, not_none

from focus_support.calculations import expected_stream_mapping
from focus_support.clients import describe_response
from focus_support.matchers import has_error_containing, has_status
from focus_support.scenarios import configuration as cfg, notes_of
from focus_support.verdict import expect

register_type(SpecView=cfg.view_name)


def _accepted_response(context):
    """The configure response of the scenario; fails with the exchange when there was none."""
    state = context.state
    expect(state.response, has_status(200))
    expect(state.configure_response, not_none(), f"a configure response body\n{describe_response(state.response)}")
    return state.configure_response


# --- sending ------------------------------------------------------------------------------------
@when("I send a {view:SpecView} configuration request that has {problem}")
def send_request_with_problem(context, view, problem):
    suite, state = context.suite, context.state
    cfg.send_rejectable(suite, state, cfg.changed_payload(suite, state, view, problem))


@when("I send a singlechannel configuration of channels {first:d} to {last:d}")
def send_singlechannel_range(context, first, last):
    cfg.send_rejectable(context.suite, context.state, cfg.valid_payload("singlechannel", (first, last)))


@when("I configure a {view:SpecView} view that has {edge}")
def configure_edge_case(context, view, edge):
    suite, state = context.suite, context.state
    cfg.send_configure_body(suite, state, cfg.changed_payload(suite, state, view, edge))


@when("I configure a singlechannel view of channel {channel:d}")
def configure_singlechannel(context, channel):
    cfg.send_configure_body(context.suite, context.state, cfg.valid_payload("singlechannel", (channel, channel)))


@when("I configure a multichannel view of channels {first:d} to {last:d} that follows the fibre live")
def configure_live(context, first, last):
    body = cfg.valid_payload("multichannel", (first, last))
    assert body["start_time"] is None and body["end_time"] is None, f"a live request has no time window: {body}"
    cfg.send_configure_body(context.suite, context.state, body)


@given("a period that Focus Server has a recording for")
def recorded_period(context):
    notes_of(context.state, cfg.ConfigurationNotes).period = cfg.recorded_period(context.suite)


@given("a period that Focus Server has no recording for")
def unrecorded_period(context):
    notes_of(context.state, cfg.ConfigurationNotes).period = cfg.unrecorded_period(context.suite)


@when("I configure a multichannel view of channels {first:d} to {last:d} over that period")
def configure_historic(context, first, last):
    start, end = notes_of(context.state, cfg.ConfigurationNotes).period
    body = cfg.valid_payload("multichannel", (first, last), start_time=start, end_time=end)
    cfg.send_rejectable(context.suite, context.state, body)


# --- outcomes -----------------------------------------------------------------------------------
@then("the configuration is refused because no recording was found")
def refused_no_recording(context):
    response = context.state.response
    expect(response, has_status(404))
    expect(response, has_error_containing("No recording found"))


@then("the job carries {count:d} channels per row")
@then("the job carries {count:d} channel per row")
def channels_per_row(context, count):
    job = _accepted_response(context)
    expect(job.channel_amount, equal_to(count),
                f"channel_amount of job {job.job_id}\n{describe_response(context.state.response)}")


@then("the job's channels are mapped to streams as the multichannel grouping rule requires")
@then("the job's channels are mapped to streams as its view's grouping rule requires")
def multichannel_mapping(context):
    job = _accepted_response(context)
    expected = expected_stream_mapping(cfg.request_model(context.state.last_request_body))
    expect(job.channel_to_stream_index, equal_to(expected), f"channel_to_stream_index of job {job.job_id}")
    expect(job.stream_amount, equal_to(len(set(expected.values()))), f"stream_amount of job {job.job_id}")


@then("channel {channel:d} is the job's only channel, on stream {stream:d}")
def only_channel(context, channel, stream):
    job = _accepted_response(context)
    expect(job.channel_to_stream_index, equal_to({str(channel): stream}),
                f"channel_to_stream_index of singlechannel job {job.job_id}")
    expect(job.stream_amount, equal_to(1), f"stream_amount of singlechannel job {job.job_id}")


@then("every channel of the job is mapped to stream {stream:d}")
def all_on_one_stream(context, stream):
    job = _accepted_response(context)
    body = context.state.last_request_body
    expected = {str(ch): stream for ch in range(body["channels"]["min"], body["channels"]["max"] + 1)}
    expect(job.channel_to_stream_index, equal_to(expected), f"channel_to_stream_index of job {job.job_id}")
    expect(job.stream_amount, equal_to(1), f"stream_amount of job {job.job_id}")
