"""Steps of features/alerts: pushing alerts to the Prisma Web App and watching their reports."""
from behave import given, then, when
from hamcrest import any_of, described_as, empty, equal_to, has_entries, has_item, has_items, none, not_none

from focus_support.clients.web_app import ACCESS_COOKIE
from focus_support.matchers import has_status, names_field
from focus_support.scenarios import alerts, notes_of
from focus_support.scenarios.alerts import AlertNotes
from focus_support.verdict import expect


@given("alert reports published by the Web App are being watched")
def step_watch_reports(context):
    alerts.start_watching(context.suite, context.state)


@given("I am signed in to the Prisma Web App")
def step_signed_in(context):
    alerts.sign_in(context.suite, context.state)


@when("I push a {alert_class} alert of severity {severity:d} at {distance} with {count:d} alert ids")
def step_push_valid_kind(context, alert_class, severity, distance, count):
    dof = alerts.distance_m(distance, alerts.fibre_length_m(context.suite))
    body = alerts.valid_alert(alerts.new_alert_ids(count), class_id=alerts.class_id(alert_class),
                              severity=severity, dof_m=dof)
    alerts.push(context.suite, context.state, body)


@when("I push a valid alert")
def step_push_valid(context):
    alerts.push(context.suite, context.state, alerts.valid_alert(alerts.new_alert_ids(1)))


@given("I use the Prisma Web App {credential}")
def step_credential(context, credential):
    alerts.use_credential(context.suite, context.state, credential)


@when('I push an otherwise valid alert whose "{field}" is {value}')
def step_push_with_value(context, field, value):
    body = alerts.with_value(alerts.valid_alert(alerts.new_alert_ids(1)), field, alerts.parse_value(value))
    alerts.push(context.suite, context.state, body)


@when("I push an otherwise valid alert located at {distance}")
def step_push_at(context, distance):
    dof = alerts.distance_m(distance, alerts.fibre_length_m(context.suite))
    alerts.push(context.suite, context.state, alerts.valid_alert(alerts.new_alert_ids(1), dof_m=dof))


@when('I push an otherwise valid alert that lacks "{field}"')
def step_push_without(context, field):
    body = alerts.without(alerts.valid_alert(alerts.new_alert_ids(1)), field)
    alerts.push(context.suite, context.state, body)


@then("the alert is accepted")
def step_accepted(context):
    notes = notes_of(context.state, AlertNotes)
    expect(notes.response, has_status(201))
    pushed = notes.pushed or {}
    echoed = {k: pushed[k] for k in ("classId", "severity", "dofM", "alertIds")}
    expect(notes.response.json(), described_as("the accepted alert echoed back: %0", has_entries(echoed), echoed))


@then("exactly one alert report is published for each of its alert ids")
def step_one_report_per_id(context):
    notes = notes_of(context.state, AlertNotes)
    timings = context.suite.environment.timings
    counts = alerts.wait_for_reports(notes, alerts.publish_deadline_s(timings), alerts.quiet_window_s(timings))
    expected = {alert_id: 1 for alert_id in counts}
    expect(dict(counts), described_as(
        f"one report per alert id on exchange '{alerts.ALERT_EXCHANGE}' with routing key "
        f"'{alerts.REPORT_ROUTING_KEY}' (alert id -> reports seen): %0", equal_to(expected), expected))


@then('the alert is rejected, naming "{field}"')
def step_rejected(context, field):
    response = notes_of(context.state, AlertNotes).response
    expect(response, has_status(400))
    expect(response, names_field(field))


@then("no alert report is published")
def step_nothing_published(context):
    notes = notes_of(context.state, AlertNotes)
    window = alerts.quiet_window_s(context.suite.environment.timings)
    reports = alerts.reports_within(notes, window)
    expect(reports, described_as(
        f"no report of the pushed alert {notes.pushed} within {window:g} s on exchange "
        f"'{alerts.ALERT_EXCHANGE}' ('{alerts.REPORT_ROUTING_KEY}')", empty()))


@then("the push is refused as unauthenticated")
def step_unauthenticated(context):
    expect(notes_of(context.state, AlertNotes).response, has_status(401))


@when("I ask to delete that alert")
def step_delete_pushed(context):
    notes = notes_of(context.state, AlertNotes)
    context.state.remember(notes.client.send_delete_alerts(alerts.pushed_ids(context.state)))


@then("the deletion is refused as unauthenticated")
def step_delete_unauthenticated(context):
    expect(context.state.response, has_status(401))


@when("I sign in to the Prisma Web App {attempt}")
def step_sign_in(context, attempt):
    alerts.sign_in_attempt(context.suite, context.state, attempt)


@then("the Web App answers that a session was created, with an access-token cookie")
def step_session_created(context):
    response = context.state.response
    expect(response, has_status(201))
    expect(response.cookies.get(ACCESS_COOKIE), described_as(
        f"an '{ACCESS_COOKIE}' cookie in the answer to the sign-in", not_none()))


@then("the access-token cookie is marked HttpOnly")
def step_cookie_http_only(context):
    response = context.state.response
    expect(response, has_status(201))
    flags = alerts.cookie_flags(response, ACCESS_COOKIE)
    expect(flags, described_as(f"the '{ACCESS_COOKIE}' cookie set with HttpOnly (Set-Cookie: "
                                f"{response.headers.get('Set-Cookie')!r})", has_item("httponly")), subject="alerts.cookie")


@then("the sign-in is refused as unauthenticated, with no access-token cookie")
def step_sign_in_refused(context):
    response = context.state.response
    expect(response, has_status(401))
    expect(response.cookies.get(ACCESS_COOKIE), described_as(
        f"no '{ACCESS_COOKIE}' cookie in the answer to the refused sign-in", none()))


@when("I push a valid alert to a site the Web App does not know")
def step_push_unknown_site(context):
    alerts.push_to_unknown_site(context.suite, context.state)


@then("the push is refused as not found")
def step_push_not_found(context):
    expect(notes_of(context.state, AlertNotes).response, has_status(404))


@when("I ask to delete the alerts {ids}")
def step_raw_delete(context, ids):
    alerts.send_raw_delete(context.suite, context.state, alerts.parse_value(ids))


@then('the deletion is rejected, naming "{field}"')
def step_delete_rejected(context, field):
    expect(context.state.response, has_status(400))
    expect(context.state.response, names_field(field))


# --- who may delete alerts (contract section 6) -------------------------------------------------------
@given("a valid alert has been pushed")
def alert_pushed(context):
    expect(alerts.push_valid_alert(context.suite, context.state), has_status(201))


@when("a user without delete permission asks to delete that alert")
def viewer_deletes(context):
    state = context.state
    client = alerts.viewer_client(context.suite, state)
    state.remember(client.send_delete_alerts(alerts.pushed_ids(state)))


@then("the deletion is refused as forbidden")
def deletion_forbidden(context):
    expect(context.state.response, has_status(403))


@then("the alert is still listed")
def alert_still_listed(context):
    ids = alerts.pushed_ids(context.state)
    expect(alerts.listed_ids(context.suite), has_items(*ids),
                f"alerts listed by the Web App after a forbidden deletion of {ids}")


@when("a user with delete permission asks to delete that alert")
def permitted_user_deletes(context):
    state = context.state
    state.remember(context.suite.web_app.send_delete_alerts(alerts.pushed_ids(state)))


@then("the alert is deleted and no longer listed")
def alert_deleted(context):
    ids = alerts.pushed_ids(context.state)
    expect(context.state.response, any_of(has_status(200), has_status(204)))
    listed = alerts.listed_ids(context.suite)
    expect(sorted(set(ids) & listed), described_as(f"none of the deleted alerts {ids} still listed", empty()))
