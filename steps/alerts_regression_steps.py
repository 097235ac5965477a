"""Steps of scenarios added to close gaps the defect matrix found (contract section 6: alert deletion)."""
from __future__ import annotations

from behave import given, then, when
from hamcrest import any_of, described_as, empty, has_items

from focus_support.matchers import has_status
from focus_support.scenarios import alert_permissions
from focus_support.verdict import expect


@given("a valid alert has been pushed")
def alert_pushed(context):
    expect(alert_permissions.push_valid_alert(context.suite, context.state), has_status(201))


@when("a user without delete permission asks to delete that alert")
def viewer_deletes(context):
    state = context.state
    client = alert_permissions.viewer_client(context.suite, state)
    state.remember(client.send_delete_alerts(alert_permissions.pushed_ids(state)))


@then("the deletion is refused as forbidden")
def deletion_forbidden(context):
    expect(context.state.response, has_status(403))


@then("the alert is still listed")
def alert_still_listed(context):
    ids = alert_permissions.pushed_ids(context.state)
    expect(alert_permissions.listed_ids(context.suite), has_items(*ids),
                f"alerts listed by the Web App after a forbidden deletion of {ids}")


@when("a user with delete permission asks to delete that alert")
def permitted_user_deletes(context):
    state = context.state
    state.remember(context.suite.web_app.send_delete_alerts(alert_permissions.pushed_ids(state)))


@then("the alert is deleted and no longer listed")
def alert_deleted(context):
    ids = alert_permissions.pushed_ids(context.state)
    expect(context.state.response, any_of(has_status(200), has_status(204)))
    listed = alert_permissions.listed_ids(context.suite)
    expect(sorted(set(ids) & listed), described_as(f"none of the deleted alerts {ids} still listed", empty()))
