"""Steps of features/resilience: broker connection resets and restarts, MongoDB outages."""
from behave import given, then, when
from hamcrest import described_as, empty, equal_to, has_key, is_not, less_than_or_equal_to

from focus_support.matchers import has_status
from focus_support.models import build_configure_request
from focus_support.scenarios import alerts, notes_of
from focus_support.scenarios import recordings as rec
from focus_support.scenarios import resilience as res
from focus_support.scenarios.alerts import AlertNotes
from focus_support.scenarios.common import has_namespace_to_itself
from focus_support.scenarios.recordings import RecordingNotes
from focus_support.scenarios.resilience import ResilienceNotes
from focus_support.verdict import expect
from focus_support.waiting import wait_for_product


def _timings(context):
    return context.suite.environment.timings


def _assert_job_started(context, response):
    expect(response, has_status(200))
    job_id = response.json()["job_id"]
    focus = context.suite.focus
    wait_for_product(lambda: focus.get_metadata_response(job_id).status_code == 200,
                     _timings(context).job_start_timeout_s, describe=f"/metadata/{job_id} to answer 200")


# --- RabbitMQ ------------------------------------------------------------------------------------------


@when("the broker drops every client connection")
def step_drop_connections(context):
    notes = notes_of(context.state, ResilienceNotes)
    probe = notes.probe
    notes.dropped = res.drop_all_connections(context.suite.rabbit_management,
                                             must_include=probe.connection_name if probe else None)
    # the fault must really have happened, or the scenario proves nothing
    expect(notes.dropped, described_as("client connections the broker dropped", is_not(empty())))


@when("the message broker restarts")
def step_restart_broker(context):
    res.restart_broker(context.suite, context.state)


@then("Focus Server starts a live job again")
def step_serves_again(context):
    body = build_configure_request().to_wire()
    response = res.configure_when_served(context.suite, context.state, body, _timings(context).job_start_timeout_s)
    _assert_job_started(context, response)


@then("an alert pushed to the Web App is reported again")
def step_alerts_again(context):
    notes = notes_of(context.state, AlertNotes)
    if notes.listener is None:
        alerts.start_watching(context.suite, context.state)
    # a watcher whose connection was reset re-binds only when next used: do that before pushing
    notes.listener.poll(0.1)
    alerts.sign_in(context.suite, context.state)
    alerts.push(context.suite, context.state, alerts.valid_alert(alerts.new_alert_ids(1)))
    expect(notes.response, has_status(201))
    counts = alerts.wait_for_reports(notes, alerts.publish_deadline_s(_timings(context)), 0)
    expected = {alert_id: 1 for alert_id in counts}
    expect(dict(counts), described_as("one report of the alert pushed after the fault (id -> reports): %0",
                                           equal_to(expected), expected))


# --- MongoDB -----------------------------------------------------------------------------------------------
@given("a past time window that holds recordings")
def step_past_window(context):
    db = context.suite.mongo.db
    location = rec.locate_recordings(db)
    notes_of(context.state, RecordingNotes).window = rec.window_inside_a_recording(rec.recordings(db, location.collection))


@given("MongoDB is down")
def step_mongo_down(context):
    res.stop_component(context.suite, context.state, context.suite.environment.mongodb.deployment)


@given("MongoDB was down and has come back")
def step_mongo_back(context):
    res.stop_component(context.suite, context.state, context.suite.environment.mongodb.deployment).start()
    res.wait_mongo_usable(context.suite)


def _historic_body(context) -> dict:
    window = notes_of(context.state, RecordingNotes).window
    return build_configure_request(start_time=window.start, end_time=window.end).to_wire()


@when("I request a historic view of that window")
def step_request_historic(context):
    notes = notes_of(context.state, ResilienceNotes)
    if has_namespace_to_itself(context.suite):
        notes.jobs_before = res.grpc_job_names(context.suite)
    res.configure_once(context.suite, context.state, _historic_body(context))


@when("I request a live view")
def step_request_live(context):
    res.configure_once(context.suite, context.state, build_configure_request().to_wire())


@then("the request is refused as service unavailable within 5 seconds")
def step_refused_fast(context):
    notes = notes_of(context.state, ResilienceNotes)
    expect(notes.response, has_status(503))
    expect(notes.elapsed_s, described_as(
        f"seconds until the refusal (limit {res.HISTORIC_REFUSAL_LIMIT_S:g})",
        less_than_or_equal_to(res.HISTORIC_REFUSAL_LIMIT_S)))


@then("no job was started for the refused request")
def step_no_job(context):
    notes = notes_of(context.state, ResilienceNotes)
    body = notes.response.json() if notes.response.headers.get("content-type", "").startswith("application/json") else {}
    expect(body, described_as("the refusal names no job", is_not(has_key("job_id"))))
    if not has_namespace_to_itself(context.suite):
        return  # shared: other clients' jobs come and go, so only the answer can be judged
    new_jobs = sorted(res.grpc_job_names(context.suite) - notes.jobs_before)
    expect(new_jobs, described_as("streaming jobs that appeared for the refused request", empty()))


@then("the view is accepted and its job starts")
def step_view_started(context):
    notes = notes_of(context.state, ResilienceNotes)
    response = notes.response
    if response.status_code == 503:  # just recovered: the server may need a moment to reconnect
        response = res.configure_when_served(context.suite, context.state, context.state.last_request_body,
                                             _timings(context).job_start_timeout_s)
    _assert_job_started(context, response)
