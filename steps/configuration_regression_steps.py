"""Steps of scenarios added to close gaps the defect matrix found (contract section 3: status)."""
from __future__ import annotations

from behave import then

from focus_support.clients import describe_response
from focus_support.matchers import has_status
from focus_support.reporting.observations import observe
from focus_support.verdict import expect, fail


@then('the response reports the status "{status}"')
def response_status(context, status):
    response = context.state.response
    expect(response, has_status(200))
    seen = response.json().get("status")
    observe("status-empty", f"status {seen!r} in the answer to {response.request.method} {response.url}")
    if seen != status:
        raise fail(f"expected the status {status!r} in the answer; it has {seen!r}\n{describe_response(response)}",
                   "field.status", status, "empty" if seen == "" else repr(seen))
