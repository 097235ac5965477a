"""Steps of features/infrastructure: environment declarations and the two routes to the cluster."""
from behave import given, then, when
from hamcrest import assert_that, described_as, equal_to, has_item, is_not, none

from focus_support.k8s import job_names
from focus_support.models import build_configure_request
from focus_support.preflight import PreflightReport
from focus_support.scenarios import infrastructure as infra
from focus_support.scenarios import notes_of
from focus_support.scenarios.infrastructure import InfrastructureNotes
from focus_support.waiting import wait_for_product


# --- environments ------------------------------------------------------------------------------------
@when("I load every environment the configuration declares")
def step_load_all(context):
    notes_of(context.state, InfrastructureNotes).declared = infra.load_declared_environments()


@then("each environment loads with a Focus Server address and its job lifecycle timings")
def step_all_loaded(context):
    declared = notes_of(context.state, InfrastructureNotes).declared
    assert_that(infra.load_problems(declared), described_as(
        f"every environment of {declared.file.name} ({', '.join(declared.names)}) loads completely",
        equal_to([])))


@when("I list the environments the configuration declares")
def step_list_envs(context):
    notes_of(context.state, InfrastructureNotes).names = infra.declared_names()


@then('"{name}" is among them')
def step_env_declared(context, name):
    assert_that(notes_of(context.state, InfrastructureNotes).names, has_item(name))


@when('I load the "{name}" environment')
def step_load_one(context, name):
    notes_of(context.state, InfrastructureNotes).environment = infra.load_declared(name)


@then("it forbids destructive scenarios")
def step_forbids_destructive(context):
    env = notes_of(context.state, InfrastructureNotes).environment
    assert_that(env.allows("destructive"), described_as(
        f"environment '{env.name}' to forbid destructive scenarios (allowed.destructive %0)", equal_to(False), False))
    # the gate the hooks apply before every scenario must skip a destructive one there
    reason = PreflightReport(environment=env.name).skip_reason(["destructive"], allowed=env.allows)
    assert_that(reason, described_as(f"a skip reason for a @destructive scenario in '{env.name}'", is_not(none())))


# --- cluster routes ----------------------------------------------------------------------------------
@when("I list the product's deployments through {route}")
def step_list_deployments(context, route):
    manager = infra.route_manager(context.suite, context.state, route)
    notes_of(context.state, InfrastructureNotes).listed[route] = sorted(d.name for d in manager.list_deployments())


@then("the Focus Server deployment is among them")
def step_focus_deployment_listed(context):
    wanted = context.suite.environment.kubernetes.focus_server_deployment
    for route, names in notes_of(context.state, InfrastructureNotes).listed.items():
        assert_that(names, described_as(f"deployments listed through {route} include '{wanted}': %0",
                                        has_item(wanted), names))


@given("a live job I started is running")
def step_live_job(context):
    job = context.suite.start_job(context.state, build_configure_request())
    timeout = context.suite.environment.timings.job_start_timeout_s
    wait_for_product(lambda: context.suite.k8s.job_resources(job.job_id).jobs, timeout,
                     describe=f"the Kubernetes Job of job {job.job_id}")


@when("I list the product's jobs through the cluster API and through the SSH route")
def step_list_jobs_both(context):
    notes = notes_of(context.state, InfrastructureNotes)
    notes.managers = {route: infra.route_manager(context.suite, context.state, route)
                      for route in ("the cluster API", "the SSH route")}
    notes.listed = infra.job_names_by_route(notes.managers)


@then("both routes list the same jobs, including the streaming job of mine")
def step_same_jobs(context):
    notes = notes_of(context.state, InfrastructureNotes)
    mine = job_names(context.state.job_id)[0]
    timeout = context.suite.environment.timings.job_start_timeout_s

    def agree():
        # jobs of others may come and go between two listings: list again until both routes agree
        if len({tuple(names) for names in notes.listed.values()}) == 1:
            return True
        notes.listed = infra.job_names_by_route(notes.managers)
        return len({tuple(names) for names in notes.listed.values()}) == 1

    wait_for_product(agree, timeout, describe=f"both routes to list the same jobs ({notes.listed})")
    for route, names in notes.listed.items():
        assert_that(names, described_as(f"jobs listed through {route} include '{mine}': %0", has_item(mine), names))
