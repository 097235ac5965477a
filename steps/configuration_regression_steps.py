"""Steps of scenarios added to close gaps the defect matrix found (contract section 3: status)."""
from __future__ import annotations

from behave import then
from hamcrest import has_entry

from focus_support.clients import describe_response
from focus_support.matchers import has_status
from focus_support.verdict import expect


@then('the response reports the status "{status}"')
def response_status(context, status):
    response = context.state.response
    expect(response, has_status(200))
    expect(response.json(), has_entry("status", status),
                f"the status field of the response\n{describe_response(response)}")
