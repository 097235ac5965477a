"""Steps of the frequency-axis and ROI data-size features: expected values from the live prr."""
from __future__ import annotations

from behave import given, register_type, then, when
from hamcrest import close_to, contains_exactly, empty, equal_to, not_none

from focus_support.calculations import (
    BIN_TOLERANCE_HZ, axis_problems, expected_configure, frequency_resolution, gaps_off_spacing, is_whole_factor,
    spacing_factor,
)
from focus_support.clients import describe_response
from focus_support.matchers import has_status
from focus_support.reporting.observations import observe
from focus_support.scenarios import configuration as cfg, notes_of
from focus_support.verdict import expect, fail

register_type(SpecView=cfg.view_name)


def _job(context):
    """The accepted configure response of the scenario."""
    state = context.state
    expect(state.response, has_status(200))
    expect(state.configure_response, not_none(), f"a configure response body\n{describe_response(state.response)}")
    return state.configure_response


def _expected(context):
    """What the response must say for the request sent, at the live prr."""
    suite, state = context.suite, context.state
    return expected_configure(cfg.request_model(state.last_request_body), cfg.live_metadata(suite, state))


def _where(context) -> str:
    return describe_response(context.state.response)


@when("I configure a {view:SpecView} view with an NFFT selection of {nfft:d} over {low:d} to {high:d} Hz")
def configure_band(context, view, nfft, low, high):
    body = cfg.valid_payload(view, nfft=nfft, frequency=(low, high))
    cfg.send_configure_body(context.suite, context.state, body)


@when("I configure a multichannel view of channels {first:d} to {last:d} with an NFFT selection of {nfft:d} "
      "over {low:d} to {high:d} Hz")
def configure_range_and_band(context, first, last, nfft, low, high):
    body = cfg.valid_payload("multichannel", (first, last), nfft=nfft, frequency=(low, high))
    cfg.send_configure_body(context.suite, context.state, body)


@when("I configure a {view:SpecView} view showing {duration:d} s on a canvas {height:d} rows high")
def configure_axis(context, view, duration, height):
    body = cfg.valid_payload(view, duration_s=duration, height=height)
    cfg.send_configure_body(context.suite, context.state, body)


@when("I configure a waterfall view on a canvas {height:d} rows high")
def configure_waterfall_canvas(context, height):
    cfg.send_configure_body(context.suite, context.state, cfg.valid_payload("waterfall", height=height))


@then("the job's frequency bins are spaced by the live pulse rate divided by {nfft:d}")
def bins_spaced(context, nfft):
    job = _job(context)
    prr = cfg.live_metadata(context.suite, context.state).prr
    step = frequency_resolution(prr, nfft)
    freqs = job.frequencies_list
    assert len(freqs) >= 2, f"need at least two frequency bins to see their spacing, got {freqs}\n{_where(context)}"
    gaps, wrong = gaps_off_spacing(freqs, step)
    if wrong:
        factor = spacing_factor(freqs, prr, nfft)
        raise fail(f"expected bins spaced by prr/nfft = {prr:g}/{nfft} = {step:g} Hz (live prr), "
                   f"but {len(wrong)} of {len(gaps)} gaps differ, first at index {wrong[0][0]}: "
                   f"{wrong[0][1]:g} Hz ({factor:.3g} × prr/nfft)\n{_where(context)}",
                   "frequency.spacing", "prr/nfft", f"{round(factor, 2):g} x prr/nfft")


@then("the job's frequencies ascend evenly spaced from {low:d} to {high:d} Hz")
def axis_consistent(context, low, high):
    job = _job(context)
    problems = axis_problems(job.frequencies_list, low, high)
    if problems:
        raise fail(f"expected the frequencies of job {job.job_id} to ascend evenly spaced inside {low}-{high} Hz; "
                   + "; ".join(problems.values()) + f"\n{_where(context)}", "frequency.axis",
                   "ascending, even, inside band", list(problems))


@then("the job's bin spacing is a whole multiple of the live pulse rate divided by {nfft:d}")
def spacing_follows_prr(context, nfft):
    job = _job(context)
    prr = cfg.live_metadata(context.suite, context.state).prr
    if len(job.frequencies_list) < 2:
        raise fail(f"expected at least two frequency bins in job {job.job_id} to see their spacing, got "
                   f"{job.frequencies_list}\n{_where(context)}", "frequency.spacing", "two or more bins", "fewer bins")
    factor = spacing_factor(job.frequencies_list, prr, nfft)
    spacing = factor * frequency_resolution(prr, nfft)
    view = cfg.view_of_body(context.state.last_request_body)
    observe("frequency-axis", f"{view} view, NFFT {nfft}: {job.frequencies_amount} bins spaced {spacing:.4g} Hz "
                              f"= {factor:.3g} × prr/nfft (live prr {prr:g} Hz)")
    if not is_whole_factor(factor):
        raise fail(f"expected the bins of job {job.job_id} spaced by a whole multiple of the live prr/nfft = "
                   f"{prr:g}/{nfft} = {frequency_resolution(prr, nfft):g} Hz; they are {spacing:g} Hz apart "
                   f"({factor:.3g} ×)\n{_where(context)}", "frequency.spacing", "a whole multiple of prr/nfft",
                   "a fraction of prr/nfft")


@then("the job's frequency bin count matches its list of frequencies")
def bin_count_matches(context):
    job = _job(context)
    expect(job.frequencies_amount, equal_to(len(job.frequencies_list)),
                f"frequencies_amount against len(frequencies_list) of job {job.job_id}")


@then("the job's frequencies are exactly the FFT bins of the live pulse rate between {low:d} and {high:d} Hz")
def exact_bins(context, low, high):
    job, expected = _job(context), _expected(context)
    expect(job.frequencies_list, contains_exactly(*[close_to(f, BIN_TOLERANCE_HZ) for f in expected.frequencies_list]),
                f"the {expected.frequencies_amount} bins k·{expected.prr:g}/nfft inside {low}-{high} Hz "
                f"(live prr {expected.prr:g}) in job {job.job_id}'s frequencies_list "
                f"({len(job.frequencies_list)} bins)")
    expect(job.frequencies_amount, equal_to(expected.frequencies_amount), f"frequencies_amount of job {job.job_id}")


@then("the job's time between rows is the time-axis duration divided by the canvas height")
def lines_dt_axis(context):
    job, expected = _job(context), _expected(context)
    body = context.state.last_request_body
    expect(job.lines_dt, close_to(expected.lines_dt, 1e-9),
                f"lines_dt = {body['displayTimeAxisDuration']} s / {body['displayInfo']['height']} rows "
                f"for job {job.job_id}")


@then("the job has no frequency bins")
def no_bins(context):
    job = _job(context)
    expect(job.frequencies_list, empty(), f"frequencies_list of waterfall job {job.job_id}")
    expect(job.frequencies_amount, equal_to(0), f"frequencies_amount of waterfall job {job.job_id}")


@then("the job's time between rows is one period of the live pulse rate")
def lines_dt_waterfall(context):
    job = _job(context)
    prr = cfg.live_metadata(context.suite, context.state).prr
    expect(job.lines_dt, close_to(1.0 / prr, 1e-12), f"lines_dt = 1/prr (live prr {prr:g}) for job {job.job_id}")


# --- region of interest ---------------------------------------------------------------------------
@given("I configured a multichannel view of channels {first:d} to {last:d}")
def configured_first_view(context, first, last):
    body = cfg.valid_payload("multichannel", (first, last))
    cfg.send_configure_body(context.suite, context.state, body)
    notes = notes_of(context.state, cfg.ConfigurationNotes)
    notes.earlier_body, notes.earlier_job = body, _job(context)


@when("I configure the same view for channels {first:d} to {last:d}")
def configure_other_roi(context, first, last):
    earlier = notes_of(context.state, cfg.ConfigurationNotes).earlier_body
    body = {**earlier, "channels": {"min": first, "max": last}}
    cfg.send_configure_body(context.suite, context.state, body)


@then("the two jobs differ in channel count, stream count and channel mapping as their ranges require")
def roi_changes_channels(context):
    notes = notes_of(context.state, cfg.ConfigurationNotes)
    first, second = notes.earlier_job, _job(context)
    expected = _expected(context)
    expect(second.channel_amount, equal_to(expected.channel_amount), f"channel_amount of job {second.job_id}")
    expect(second.stream_amount, equal_to(expected.stream_amount), f"stream_amount of job {second.job_id}")
    expect(second.channel_to_stream_index, equal_to(expected.channel_to_stream_index),
                f"channel_to_stream_index of job {second.job_id}")
    assert first.channel_to_stream_index != second.channel_to_stream_index, (
        f"jobs {first.job_id} and {second.job_id} cover different ranges but report the same channel mapping")


@then("the two jobs have the same frequency axis, time between rows and view type")
def roi_keeps_the_rest(context):
    first = notes_of(context.state, cfg.ConfigurationNotes).earlier_job
    second = _job(context)
    for field in ("frequencies_list", "frequencies_amount", "lines_dt", "view_type"):
        expect(getattr(second, field), equal_to(getattr(first, field)),
                    f"{field} after changing only the channel range (job {first.job_id} -> {second.job_id})")
