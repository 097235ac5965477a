"""The one redaction function and the meaning of tags."""
from __future__ import annotations

import pytest

from focus_support.reporting import redaction
from focus_support.reporting.redaction import MASK, redact, register_secret, secrets_from_environment
from focus_support.reporting.tags import issue_label, parse_tags, severity_of


@pytest.mark.parametrize("text, leaked", [
    ("amqp://focus:s3cr3tpw@127.0.0.1:5672/%2F", "s3cr3tpw"),
    ("Authorization: Bearer abcdefghijklmnop", "abcdefghijklmnop"),
    ("Cookie: access-token=tok-123456; other=1", "tok-123456"),
    ("set-cookie: access-token=tok-123456; Path=/", "tok-123456"),
    ('{"username": "qa", "password": "pw-7777"}', "pw-7777"),
    ("login failed: password=pw-7777&user=qa", "pw-7777"),
    ("token=abcdefgh1234 rest", "abcdefgh1234"),
])
def test_credential_shapes_are_masked_without_being_told(text, leaked):
    out = redact(text)
    assert leaked not in out and MASK in out


def test_registered_secret_is_masked_in_every_spelling(monkeypatch):
    monkeypatch.setattr(redaction, "_registered", set())
    register_secret("p@ss w/rd")
    text = 'raw p@ss w/rd, url p%40ss%20w%2Frd, json "p@ss w/rd"'
    assert "p@ss" not in redact(text) and "p%40ss" not in redact(text)


def test_structures_are_redacted_by_key_and_value(monkeypatch):
    monkeypatch.setattr(redaction, "_registered", {"hunter2hunter2"})
    doc = {"user": "qa", "password": "x", "headers": {"Authorization": "Basic abc"},
           "items": ["say hunter2hunter2", ("t", "hunter2hunter2")], "count": 3, "empty_token": ""}
    assert redact(doc) == {"user": "qa", "password": MASK, "headers": {"Authorization": MASK},
                           "items": [f"say {MASK}", ("t", MASK)], "count": 3, "empty_token": ""}


def test_secret_named_environment_variables_count_but_short_or_path_values_do_not():
    found = secrets_from_environment({"FOCUS_WEB_APP_PASSWORD": "longenough-1", "GITHUB_TOKEN": "none",
                                      "SSH_PRIVATE_KEY": "/home/qa/.ssh/id", "HOME": "/root-secretish"})
    assert found == {"longenough-1"}


def test_ordinary_text_is_untouched():
    text = "POST /configure -> 422: channels.min must be >= 1 (token bucket capacity 5)"
    assert redact(text) == text


def test_tag_meaning():
    info = parse_tags(["@issue:29", "critical", "known_bug", "requires_web_app"], own_tags=["known_bug"])
    assert (info.severity, info.priority, info.issues, info.own_issues, info.known_bug) == \
        ("critical", "HIGH", ("29",), (), True)
    assert severity_of(["low", "high"]) == "critical" and severity_of([]) == "normal"
    assert severity_of(["blocker"]) == "blocker" and severity_of(["trivial"]) == "trivial"
    assert parse_tags(["issue:seed-2.1", "needs_verification"], ["issue:seed-2.1"]).own_issues == ("seed-2.1",)
    assert issue_label("26") == "#26" and issue_label("seed-2.1") == "seed-2.1"
