"""make acceptance scans reports/ for the environment's secrets too, not only for secret-named variables."""
from __future__ import annotations

import io
from types import SimpleNamespace

import focus_support.config.loader as loader
import focus_support.reporting.redaction as redaction
from focus_support.errors import MisconfiguredError
from scripts.run_acceptance import register_run_secrets


def test_the_environments_secrets_are_registered_for_the_scan(monkeypatch):
    from pydantic import SecretStr

    monkeypatch.setattr(redaction, "_registered", set())
    password = "sandbox-generated-Pw-81f2"
    env = SimpleNamespace(web_app=SimpleNamespace(user=SimpleNamespace(password=SecretStr(password)), viewer=None),
                          mongodb=None, rabbitmq=SimpleNamespace(url=SecretStr("amqp://focus:Rb-pass-77a1@127.0.0.1:1/"),
                                                                 password=None))
    monkeypatch.setattr(loader, "load_environment", lambda name: env)
    register_run_secrets("local")
    assert {password, "Rb-pass-77a1"} <= redaction.registered_secrets()


def test_an_environment_that_does_not_load_is_said_and_the_scan_goes_on(monkeypatch):
    monkeypatch.setattr(redaction, "_registered", set())

    def broken(name):
        raise MisconfiguredError("environment 'staging' needs FOCUS_STAGING_WEB_PASSWORD\nmore")

    monkeypatch.setattr(loader, "load_environment", broken)
    out = io.StringIO()
    register_run_secrets("staging", out=out)
    assert "did not load (environment 'staging' needs FOCUS_STAGING_WEB_PASSWORD)" in out.getvalue()
    assert redaction.registered_secrets() == frozenset()
