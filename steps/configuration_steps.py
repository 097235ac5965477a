"""Steps of the waterfall rules and of configuring a view of a channel range."""
from __future__ import annotations

from behave import then, when
from hamcrest import all_of, assert_that, described_as, equal_to, has_key, instance_of, is_in, is_not

from focus_support.matchers import has_status
from focus_support.models import ViewType, build_configure_request
from focus_support.scenarios import configuration as cfg


@when("I configure a {view:SpecView} view of channels {first:d} to {last:d}")
def configure_view(context, view, first, last):
    cfg.send_configure_body(context.suite, context.state, cfg.valid_payload(view, (first, last)))


@when("I send a {view:SpecView} configuration of channels {first:d} to {last:d} that also carries {extra}")
def send_with_extra(context, view, first, last, extra):
    suite, state = context.suite, context.state
    cfg.send_rejectable(suite, state, cfg.changed_payload(suite, state, view, extra, (first, last)))


@when("I build a configuration request for a waterfall view")
def build_waterfall_request(context):
    context.state.configure_request = build_configure_request(ViewType.WATERFALL)


def _built_wire(context) -> dict:
    return context.state.configure_request.to_wire()


@then("the request has no time-axis duration")
def no_duration(context):
    assert_that(_built_wire(context), is_not(has_key("displayTimeAxisDuration")), "the built waterfall request")


@then("the request has no frequency range")
def no_frequency_range(context):
    assert_that(_built_wire(context), is_not(has_key("frequencyRange")), "the built waterfall request")


@then("the request's NFFT selection is 1")
def nfft_is_one(context):
    assert_that(_built_wire(context).get("nfftSelection"), equal_to(1), "nfftSelection of the built waterfall request")


@then("Focus Server accepts the request as built")
def accepts_built_request(context):
    state = context.state
    cfg.send_configure_body(context.suite, state, _built_wire(context))
    assert_that(state.response, has_status(200))


@then("the response gives the view type as text and the stream port as a number")
def contract_wire_types(context):
    response = context.state.response
    body = response.json()
    where = f"{response.request.method} {response.url} answered {body}"
    assert_that(body.get("view_type"), described_as(
        'view_type as the text digit "0", "1" or "2"', is_in(["0", "1", "2"])), where)
    assert_that(body.get("stream_port"), described_as(
        "stream_port as a whole number", all_of(instance_of(int), is_not(instance_of(bool)))), where)
