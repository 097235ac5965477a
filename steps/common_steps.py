"""Steps every area shares: the fibre precondition and the outcome of a configuration request."""
from __future__ import annotations

from behave import given, register_type, then
from hamcrest import empty, is_, none, not_none

from focus_support.clients import describe_response
from focus_support.matchers import has_status, is_job_id, is_rejection, names_field
from focus_support.models import ViewType
from focus_support.scenarios import configuration as cfg
from focus_support.scenarios.common import fibre_precondition, has_namespace_to_itself, job_id_in, require_live_fibre
from focus_support.scenarios.jobs import wait_until_ready
from focus_support.verdict import expect

register_type(SpecView=cfg.view_name)


@given("Focus Server is receiving fibre data")
def fibre_is_live(context):
    waiting = fibre_precondition(context.suite)
    if waiting:  # a state of the environment the preflight found, not a product failure
        context.scenario.skip(waiting)
        return
    require_live_fibre(context.suite, context.state)


@then("the configuration is accepted")
def configuration_accepted(context):
    state = context.state
    expect(state.response, has_status(200))
    expect(state.configure_response, not_none(),
                f"a configure response of the contract's shape\n{describe_response(state.response)}")
    expect(state.configure_response.job_id, is_job_id())


@then('the configuration is rejected as invalid, naming "{field}"')
def configuration_rejected(context, field):
    response = context.state.response
    expect(response, is_rejection())
    expect(response, names_field(field))


@then("no job resources were created")
def nothing_orchestrated(context):
    suite, state = context.suite, context.state
    # the answer names no job: judged everywhere (a job id in it was registered for cleanup already)
    expect(job_id_in(state.response), is_(none()),
                f"no job id in the answer to the rejected request\n{describe_response(state.response)}")
    if not has_namespace_to_itself(suite):
        return  # shared: other clients' jobs come and go, so the namespace proves nothing either way
    created = cfg.adopt_new_orchestration(suite, state)
    expect(created, is_(empty()),
                f"no new job, pod, service or queue after the rejected request\n"
                f"{describe_response(state.response)}")


@then("the job's view type is {view:SpecView}")
def job_view_type(context, view):
    state = context.state
    expect(state.configure_response, not_none(), describe_response(state.response))
    expect(state.configure_response.view_type, is_(ViewType.parse(cfg.view_of(view))),
                f"view type of job {state.configure_response.job_id}")


@then("the job's metadata becomes available")
def metadata_available(context):
    wait_until_ready(context.suite, context.state.job_id)
