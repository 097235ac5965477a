"""Steps of the health/channels and rate-limiting features (contract sections 2 and 5, seed 1.4)."""
from __future__ import annotations

from behave import given, then, when
from hamcrest import empty, equal_to, less_than_or_equal_to, not_

from focus_support.clients import FocusClient, describe_response
from focus_support.matchers import has_status
from focus_support.retry import NO_RETRY
from focus_support.scenarios import api, configuration as cfg, jobs, notes_of
from focus_support.scenarios.common import has_namespace_to_itself, register_job_from
from focus_support.scenarios.metadata import wire_kind
from focus_support.verdict import expect, fail
from focus_support.verdict.findings import status_kind


def _notes(context) -> api.ApiNotes:
    return notes_of(context.state, api.ApiNotes)


def _remember_throttle(context, response) -> None:
    """Keep the latest 429 where the rate-limit recovery fixture finds it."""
    if response.status_code == api.THROTTLED:
        api.remember_throttle(context.state, response)


# --- health probe and channels -------------------------------------------------------------------
@when("I probe Focus Server's health")
def probe(context):
    context.state.remember(api.send_once(context.suite.focus, "GET", "ack"))


@then("Focus Server acknowledges with an empty answer")
def acknowledged(context):
    response = context.state.response
    expect(response, has_status(200))
    expect(response.json(), equal_to({}), f"health probe body\n{describe_response(response)}")


@when("I send a {method:w} request to the health probe")
def probe_with_method(context, method):
    context.state.remember(api.send_once(context.suite.focus, method, "ack"))


@then("Focus Server refuses the method as not allowed")
def not_allowed(context):
    expect(context.state.response, has_status(405))


@when("I ask Focus Server which channels it offers")
def ask_channels(context):
    response = context.state.remember(api.send_once(context.suite.focus, "GET", "channels"))
    expect(response, has_status(200))
    _notes(context).channels = response.json()


@then("the lowest channel offered is {channel:d}")
def lowest_channel(context, channel):
    offered = _notes(context).channels
    expect(offered.get("lowest_channel"), equal_to(channel), f"lowest_channel of /channels {offered}")


@then("the highest channel offered equals the channel count of the live metadata")
def highest_channel(context):
    offered = _notes(context).channels
    live = api.send_once(context.suite.focus, "GET", "live_metadata")
    expect(live, has_status(200))
    body = live.json()
    count = body.get("number_of_channels")
    # compared as sent: a fractional channel count (observed 2447.75) must not be rounded away
    if offered.get("highest_channel") != count:
        raise fail(f"expected highest_channel of /channels {offered} to equal number_of_channels {count!r} of the "
                   f"live metadata", "channels.highest", "number_of_channels of the live metadata",
                   "fractional number_of_channels" if wire_kind(body, "number_of_channels") == "fractional number"
                   else "another number")


# --- rate limiting ---------------------------------------------------------------------------------
@given("the environment names the rate limit for configuration requests")
def limit_known(context):
    _notes(context).limit = api.expected_limit(context.suite.environment.rate_limit)


@when("I send configuration requests in a burst beyond the rate limit")
def send_burst(context):
    suite, state, notes = context.suite, context.state, _notes(context)

    def keep(response):
        state.remember(response)
        register_job_from(suite, state, response)  # accepted ones started jobs: clean them up
        _remember_throttle(context, response)

    notes.burst = api.burst_until_throttled(suite.focus, cfg.valid_payload("multichannel", (1, 10)), notes.limit, keep)


@then('every answer of the burst either started a job or said "too many requests"')
def burst_answers_served_or_throttled(context):
    burst = _notes(context).burst
    odd = [r for r in burst.responses if r.status_code not in (200, api.THROTTLED)]
    if odd:
        raise fail(f"expected each of the burst's {len(burst.responses)} valid configure requests to be served "
                   f"(200) or throttled ({api.THROTTLED}); {len(odd)} answered otherwise, statuses in order "
                   f"{burst.statuses()}; the first:\n{describe_response(odd[0])}",
                   "http.status", f"200 or {api.THROTTLED}", [status_kind(r.status_code) for r in odd])


@given("my client has sent no configuration request for as long as the rate limit takes to refill")
def bucket_refilled(context):
    api.wait_for_refilled_bucket(_notes(context).limit, FocusClient.last_configure_at)


@when("I send as many valid configuration requests at once as the rate limit allows")
def send_full_bucket(context):
    suite, state, notes = context.suite, context.state, _notes(context)
    answers, failed = api.send_at_once(suite.focus, cfg.valid_payload("multichannel", (1, 10)), notes.limit.capacity)
    for response in answers:
        state.remember(response)
        register_job_from(suite, state, response)  # each accepted one started a job: clean it up
        _remember_throttle(context, response)
    notes.burst = api.Burst(responses=answers)
    if failed:
        raise failed[0]


@then("every one of them starts a job")
def every_one_served(context):
    burst = _notes(context).burst
    refused = [r for r in burst.responses if r.status_code != 200]
    if refused:
        raise fail(f"expected all {len(burst.responses)} configure requests sent at once within the declared limit "
                   f"({_notes(context).limit.capacity} + {_notes(context).limit.refill_per_s:g}/s, the bucket full) "
                   f"to start a job; {len(refused)} did not, statuses in order {burst.statuses()}; the first:\n"
                   f"{describe_response(refused[0])}", "http.status", "200", [status_kind(r.status_code) for r in refused])


@then("the requests beyond the limit are throttled")
def beyond_limit_throttled(context):
    notes = _notes(context)
    statuses = notes.burst.statuses()
    allowed = api.allowed_in(notes.limit, notes.burst.elapsed_s)
    expect(notes.burst.throttled, not_(empty()),
                f"a 429 among a burst of {len(statuses)} configure requests (limit {notes.limit.capacity} "
                f"+ {notes.limit.refill_per_s:g}/s); statuses {statuses}")
    expect(len(notes.burst.served), less_than_or_equal_to(allowed),
                f"requests served in {notes.burst.elapsed_s:.2f} s (a full bucket of {notes.limit.capacity} "
                f"plus refill allows {allowed}); statuses {statuses}")


@then("every throttled answer says after how many seconds to retry")
def retry_after_given(context):
    for response in _notes(context).burst.throttled:
        value = response.headers.get("Retry-After")
        assert api.is_integer_seconds(value), (
            f"a Retry-After header of whole seconds >= 1 on the 429, got {value!r}\n{describe_response(response)}")


@given("I have used up the rate limit for configuration requests")
def used_up(context):
    suite, state, notes = context.suite, context.state, _notes(context)
    if has_namespace_to_itself(suite):  # what exists before, for the steps comparing the namespace
        notes.jobs_before = jobs.streaming_job_ids(suite)
        cfg.take_orchestration_snapshot(suite, state)
    notes.drain = api.drain(suite.focus, notes.limit)
    # the drain opens with a wave sent at once, whose answers come in no fixed order: its throttled
    # answers are remembered last, as the client's last request is the one the drain ended on
    for response in sorted(notes.drain.responses, key=lambda r: r.status_code == api.THROTTLED):
        state.remember(response, api.DRAIN_BODY)
        _remember_throttle(context, response)


@when("I send one more valid configuration request")
def one_more(context):
    suite, state, notes = context.suite, context.state, _notes(context)

    def send():
        # an accepted one started a job: registered at once, cleaned up, and explained by its id
        response = cfg.send_configure_body(suite, state, cfg.valid_payload("multichannel", (1, 10)), retry=NO_RETRY)
        _remember_throttle(context, response)
        return response

    def drain_again():
        # refused at once, so they start nothing; the valid request's answer stays the one judged
        burst = api.drain_one_by_one(suite.focus, notes.limit)
        for response in burst.responses:
            _remember_throttle(context, response)
        return burst

    # the request judged is the last one: throttled, or accepted where a refill cannot explain it
    api.throttled_after_drain(send, notes.drain, drain_again)


@then("the request is throttled")
def throttled(context):
    expect(context.state.response, has_status(api.THROTTLED))


@given("my last configuration request was throttled")
def last_was_throttled(context):
    expect(context.state.response, has_status(api.THROTTLED))


@when("I wait as long as Focus Server told me and configure a multichannel view of channels {first:d} to {last:d}")
def wait_and_configure(context, first, last):
    suite, state = context.suite, context.state
    api.honour_retry_after(state.response, fallback_s=1.0 / _notes(context).limit.refill_per_s)
    response = cfg.send_configure_body(suite, state, cfg.valid_payload("multichannel", (first, last)), retry=NO_RETRY)
    _remember_throttle(context, response)




