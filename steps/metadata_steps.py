"""Steps of features/metadata: the live fibre metadata."""
from behave import then, when
from hamcrest import described_as, equal_to

from focus_support.scenarios import metadata, notes_of
from focus_support.scenarios.metadata import MetadataNotes
from focus_support.reporting.observations import observe
from focus_support.verdict import expect, fail


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
    if field in body and metadata.has_kind(body[field], kind):
        return
    raise fail(f"expected live metadata field '{field}' as {kind}; seen: {metadata.describe_value(body, field)}",
               f"field.{field}", kind, metadata.wire_kind(body, field))


@then("its whole number of channels equals the highest channel Focus Server offers")
def step_channels_match(context):
    body = _body(context)
    highest = context.suite.focus.channels().highest_channel
    # whole channels: the float variant is the type scenario's finding, not this one's
    count = int(body["number_of_channels"]) if metadata.has_kind(body.get("number_of_channels"), "a number") else None
    expect(count, described_as(
        f"live metadata {metadata.describe_value(body, 'number_of_channels')} equal to /channels "
        f"highest_channel {highest}", equal_to(highest)))


@then('the live metadata has no "{field}" field')
def step_no_field(context, field):
    body = _body(context)
    observe("metadata-dy", f"live metadata fields: {', '.join(sorted(body))}")
    expect(field in body, described_as(
        f"no '{field}' in the live metadata (not part of the contract; seen fields {sorted(body)})",
        equal_to(False)))








