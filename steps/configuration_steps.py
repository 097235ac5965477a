"""Steps of the waterfall rules and of configuring a view of a channel range."""
from __future__ import annotations

from behave import then, when

from focus_support.clients import describe_response
from focus_support.reporting.observations import observe
from focus_support.scenarios import configuration as cfg, notes_of
from focus_support.verdict import fail


@when("I configure a {view:SpecView} view of channels {first:d} to {last:d}")
def configure_view(context, view, first, last):
    cfg.send_configure_body(context.suite, context.state, cfg.valid_payload(view, (first, last)))


@when("I send a {view:SpecView} configuration of channels {first:d} to {last:d} that also carries {extra}")
def send_with_extra(context, view, first, last, extra):
    suite, state = context.suite, context.state
    cfg.send_rejectable(suite, state, cfg.changed_payload(suite, state, view, extra, (first, last)))


def _built_wire(context) -> dict:
    return context.state.configure_request.to_wire()


@when("I read the {answer} of a multichannel view of channels {first:d} to {last:d}")
def read_answer(context, answer, first, last):
    cfg.read_answer_of_view(context.suite, context.state, answer, (first, last))


@then("the answer gives the view type as the text digit the request sent")
def view_type_echoed_as_text(context):
    state = context.state
    body, sent = state.response.json(), state.notes["sent_view_type"]
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
