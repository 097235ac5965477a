"""Steps of the job lifecycle and job cleanup features (contract section 4, Issue #26)."""
from __future__ import annotations

from behave import given, then, when
from hamcrest import greater_than, has_entries

from focus_support.clients import describe_response
from focus_support.matchers import has_error_containing, has_status, is_refusal_of_a_malformed_id
from focus_support.scenarios import configuration as cfg, jobs, notes_of
from focus_support.verdict import expect


def _timings(context):
    return context.suite.environment.timings


@given("a multichannel job of channels {first:d} to {last:d} is running")
def running_job(context, first, last):
    jobs.start_ready_job(context.suite, context.state, "multichannel", (first, last))


@given("a {view:SpecView} job is running")
@given("a {view:SpecView} job whose metadata has just answered")
def running_job_of_view(context, view):
    jobs.start_ready_job(context.suite, context.state, view)


@when("I configure a {view:SpecView} view")
def configure_default_view(context, view):
    cfg.send_configure_body(context.suite, context.state, cfg.valid_payload(view))


@when("I cancel a job that never existed")
def cancel_unknown_job(context):
    context.state.remember(context.suite.focus.send_cancel(jobs.NEVER_ISSUED_JOB_ID))


@given("a multichannel job of channels {first:d} to {last:d} was started and has ended")
def ended_job(context, first, last):
    suite = context.suite
    job_id = jobs.start_ready_job(suite, context.state, "multichannel", (first, last))
    suite.jobs.cancel(job_id)  # the spec route, or direct deletion where the route is missing
    jobs.wait_until_metadata_refused(suite, job_id, _timings(context).cleanup_timeout_s)
    # "ended" includes its cluster objects: a server that reused the id would then fail on the id itself
    jobs.wait_until_cluster_objects_gone(suite, job_id, _timings(context).cleanup_timeout_s)
    notes_of(context.state, jobs.JobNotes).ended_job_id = job_id


@then("every resource of the job exists within the job start timeout")
def every_resource_exists(context):
    jobs.wait_for_every_resource(context.suite, context.state.job_id)


@when("I read the job's metadata")
def read_metadata(context):
    state = context.state
    state.remember(context.suite.focus.get_metadata_response(state.job_id))


@then("the metadata describes the same job as the configuration response")
def metadata_matches(context):
    state = context.state
    expect(state.response, has_status(200))
    configured = notes_of(state, jobs.JobNotes).configured
    differences = jobs.differing_fields(configured, state.response.json())
    assert not differences, (f"metadata of job {state.job_id} differs from its configure response:\n  "
                             + "\n  ".join(differences))


@when("nobody watches the job for longer than the idle timeout")
def nobody_watches(context):
    timings = _timings(context)
    jobs.wait_until_streaming_ends(context.suite, context.state.job_id,
                                   timings.job_idle_timeout_s + timings.job_start_timeout_s)


@then("every resource of the job is gone within the cleanup timeout")
def job_gone(context):
    timeout = _timings(context).cleanup_timeout_s
    jobs.wait_until_gone(context.suite, [context.state.job_id], timeout, "the job ended")


@then("the job's metadata is no longer available")
def metadata_gone(context):
    jobs.wait_until_metadata_refused(context.suite, context.state.job_id, _timings(context).cleanup_timeout_s)


@when("I read the metadata of a job that never existed")
def read_unknown_metadata(context):
    context.state.remember(context.suite.focus.get_metadata_response(jobs.NEVER_ISSUED_JOB_ID))


@when('I read the metadata of the job id "{job_id}"')
def read_metadata_of(context, job_id):
    context.state.remember(context.suite.focus.get_metadata_response(job_id))


@then("Focus Server refuses the job id as malformed or unknown")
def malformed_job_id(context):
    expect(context.state.response, is_refusal_of_a_malformed_id())


@then("Focus Server says the job id is invalid")
def invalid_job(context):
    expect(context.state.response, has_status(404))
    expect(context.state.response, has_error_containing(jobs.INVALID_JOB))


@then("the new job's id comes after the id of the job that ended")
def id_not_reused(context):
    ended = notes_of(context.state, jobs.JobNotes).ended_job_id
    new = context.state.job_id
    expect(jobs.id_order(new), greater_than(jobs.id_order(ended)),
                f"job id {new} issued after job {ended} ended (ids must never be reused)")


@when("I cancel the job")
def cancel_job(context):
    state = context.state
    state.remember(context.suite.focus.send_cancel(state.job_id))
    notes_of(state, jobs.JobNotes).cancelled.append(state.job_id)


@then("Focus Server confirms the job is cancelled")
def cancel_confirmed(context):
    state = context.state
    expect(state.response, has_status(200))
    expect(state.response.json(), has_entries(job_id=state.job_id, status="cancelled"),
                f"cancel confirmation\n{describe_response(state.response)}")


@when("the job's streaming pod crashes")
def crash_pod(context):
    jobs.crash_streaming_pod(context.suite, context.state.job_id)


@when("I start {count:d} multichannel jobs one after another and cancel each of them")
def burst_and_cancel(context, count):
    jobs.start_and_cancel(context.suite, context.state, count)


@then("no resource of any of those jobs remains after the cleanup timeout")
def burst_gone(context):
    cancelled = notes_of(context.state, jobs.JobNotes).cancelled
    jobs.wait_until_gone(context.suite, cancelled, _timings(context).cleanup_timeout_s, "they were cancelled")
