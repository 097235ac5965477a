"""Steps of features/configuration: sending /configure requests (valid, edged, invalid, historic) and
what the answer must say (status, view type, channels, stream mapping, field types)."""
from __future__ import annotations

from behave import given, register_type, then, when
from hamcrest import equal_to, not_none

from focus_support.calculations import expected_stream_mapping
from focus_support.clients import describe_response
from focus_support.matchers import has_error_containing, has_status
from focus_support.reporting.observations import observe
from focus_support.scenarios import configuration as cfg, notes_of
from focus_support.verdict import expect, fail

register_type(SpecView=cfg.view_name)


def _accepted_response(context):
    """The configure response of the scenario; fails with the exchange when there was none."""
    state = context.state
    expect(state.response, has_status(200))
    expect(state.configure_response, not_none(), f"a configure response body\n{describe_response(state.response)}")
    return state.configure_response


# --- sending: live views --------------------------------------------------------------------------
@when("I configure a {view:SpecView} view of channels {first:d} to {last:d}")
def configure_view(context, view, first, last):
    cfg.send_configure_body(context.suite, context.state, cfg.valid_payload(view, (first, last)))


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


# --- sending: requests the server may refuse --------------------------------------------------------
@when("I send a {view:SpecView} configuration request that has {problem}")
def send_request_with_problem(context, view, problem):
    suite, state = context.suite, context.state
    cfg.send_rejectable(suite, state, cfg.changed_payload(suite, state, view, problem))


@when("I send a {view:SpecView} configuration of channels {first:d} to {last:d} that also carries {extra}")
def send_with_extra(context, view, first, last, extra):
    suite, state = context.suite, context.state
    cfg.send_rejectable(suite, state, cfg.changed_payload(suite, state, view, extra, (first, last)))


@when("I send a singlechannel configuration of channels {first:d} to {last:d}")
def send_singlechannel_range(context, first, last):
    cfg.send_rejectable(context.suite, context.state, cfg.valid_payload("singlechannel", (first, last)))


# --- sending: historic views ------------------------------------------------------------------------
@given("a period that Focus Server has a recording for")
def recorded_period(context):
    notes_of(context.state, cfg.ConfigurationNotes).period = cfg.recorded_period(context.suite)


@given("a period that Focus Server has no recording for")
def unrecorded_period(context):
    notes_of(context.state, cfg.ConfigurationNotes).period = cfg.unrecorded_period(context.suite)


@given("the first minute of epoch time, which Focus Server has no recording for")
def first_minute_of_epoch(context):
    notes_of(context.state, cfg.ConfigurationNotes).period = cfg.first_minute_of_epoch(context.suite)


@when("I configure a multichannel view of channels {first:d} to {last:d} over that period")
def configure_historic(context, first, last):
    start, end = notes_of(context.state, cfg.ConfigurationNotes).period
    body = cfg.valid_payload("multichannel", (first, last), start_time=start, end_time=end)
    cfg.send_rejectable(context.suite, context.state, body)


@when("I configure a multichannel view of channels {first:d} to {last:d} over {window} of a recording")
def configure_historic_window(context, first, last, window):
    body = cfg.valid_payload("multichannel", (first, last))
    start, end = cfg.window_over_a_recording(context.suite, window, body["displayTimeAxisDuration"])
    cfg.send_configure_body(context.suite, context.state, {**body, "start_time": start, "end_time": end})


@when("I configure a multichannel view of channels {first:d} to {last:d} over that window")
def configure_over_window(context, first, last):
    from focus_support.scenarios.recordings import RecordingNotes

    window = notes_of(context.state, RecordingNotes).window
    body = cfg.valid_payload("multichannel", (first, last), start_time=window.start, end_time=window.end)
    cfg.send_rejectable(context.suite, context.state, body)


@then("the configuration is refused because no recording was found")
def refused_no_recording(context):
    response = context.state.response
    expect(response, has_status(404))
    expect(response, has_error_containing("No recording found"))


# --- outcomes: channels and streams -------------------------------------------------------------------
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


# --- outcomes: fields of the answer (status, types) ----------------------------------------------------
@then('the response reports the status "{status}"')
def response_status(context, status):
    response = context.state.response
    expect(response, has_status(200))
    seen = response.json().get("status")
    observe("status-empty", f"status {seen!r} in the answer to {response.request.method} {response.url}")
    if seen != status:
        raise fail(f"expected the status {status!r} in the answer; it has {seen!r}\n{describe_response(response)}",
                   "field.status", status, "empty" if seen == "" else repr(seen))


@when("I read the {answer} of a multichannel view of channels {first:d} to {last:d}")
def read_answer(context, answer, first, last):
    cfg.read_answer_of_view(context.suite, context.state, answer, (first, last))


@then("the answer gives the view type as the text digit the request sent")
def view_type_echoed_as_text(context):
    state = context.state
    body, sent = state.response.json(), cfg.sent_view_type(state)
    observe("wire-types", f"view_type sent {sent!r}, answered {body.get('view_type')!r}; stream_port "
                          f"{body.get('stream_port')!r}; stream_url {body.get('stream_url')!r}")
    if body.get("view_type") != str(sent):
        raise fail(f"expected view_type echoed as the text digit {str(sent)!r} the request sent; the answer has "
                   f"{body.get('view_type')!r} ({type(body.get('view_type')).__name__})\n"
                   f"{describe_response(state.response)}", "field.view_type", "text digit",
                   cfg.json_kind(body.get("view_type")))


@then("the answer gives the stream port as a number")
def stream_port_is_a_number(context):
    state = context.state
    port = state.response.json().get("stream_port")
    if not (isinstance(port, int) and not isinstance(port, bool)):
        raise fail(f"expected stream_port as a whole number; the answer has {port!r} ({type(port).__name__})\n"
                   f"{describe_response(state.response)}", "field.stream_port", "number", cfg.json_kind(port))
