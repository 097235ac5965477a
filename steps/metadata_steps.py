"""Steps of features/metadata: the live fibre metadata."""
from behave import given, then, when
from hamcrest import assert_that, described_as, equal_to, instance_of, is_not

from focus_support.errors import PreconditionNotMetError
from focus_support.scenarios import metadata, notes_of
from focus_support.scenarios.metadata import MetadataNotes


def _body(context) -> dict:
    body = notes_of(context.state, MetadataNotes).body
    if body is None:
        raise RuntimeError("the live metadata was not read in this scenario")
    return body


@when("I read the live metadata")
def step_read(context):
    metadata.read_live_metadata(context.suite, context.state)


@then('the live metadata reports "{field}" as {kind}')
def step_field_kind(context, field, kind):
    body = _body(context)
    assert_that(metadata.has_kind(body.get(field), kind) if field in body else False, described_as(
        f"live metadata field '{field}' as {kind}; seen: {metadata.describe_value(body, field)}", equal_to(True)))


@then("its whole number of channels equals the highest channel Focus Server offers")
def step_channels_match(context):
    body = _body(context)
    highest = context.suite.focus.channels().highest_channel
    # whole channels: the float variant is the type scenario's finding, not this one's
    count = int(body["number_of_channels"]) if metadata.has_kind(body.get("number_of_channels"), "a number") else None
    assert_that(count, described_as(
        f"live metadata {metadata.describe_value(body, 'number_of_channels')} equal to /channels "
        f"highest_channel {highest}", equal_to(highest)))


@then('the live metadata has no "{field}" field')
def step_no_field(context, field):
    body = _body(context)
    assert_that(field in body, described_as(
        f"no '{field}' in the live metadata (not part of the contract; seen fields {sorted(body)})",
        equal_to(False)))


@then('the suite reads the live metadata without requiring a "{field}" field')
def step_not_required(context, field):
    read = metadata.read_without(_body(context), field)
    assert_that(read, instance_of(metadata.LiveMetadata))


@given("live metadata that reports the system is waiting for fibre")
def step_waiting_sample(context):
    notes_of(context.state, MetadataNotes).body = metadata.waiting_for_fibre_sample()


@when("the suite checks that fibre data is flowing")
def step_check_fibre(context):
    notes = notes_of(context.state, MetadataNotes)
    try:
        metadata.require_fibre(_body(context))
    except Exception as outcome:  # the outcome *is* what the scenario examines
        notes.outcome = outcome


@then("it reports an unmet environment precondition rather than a product failure")
def step_precondition(context):
    outcome = notes_of(context.state, MetadataNotes).outcome
    assert_that(outcome, described_as("the fibre check's outcome is a precondition error",
                                      instance_of(PreconditionNotMetError)))
    assert_that(outcome, described_as("the fibre check's outcome is not a product failure",
                                      is_not(instance_of(AssertionError))))
