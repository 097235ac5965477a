"""Environments load into typed models; errors name the environment and the key."""
from __future__ import annotations

from pathlib import Path

import pytest

from focus_support.config import known_environments, load_environment
from focus_support.errors import MisconfiguredError

from .conftest import write_runtime

STAGING_SECRETS = {
    "FOCUS_STAGING_WEB_PASSWORD": "w", "FOCUS_STAGING_MONGODB_URI": "mongodb://u:p@db.example.invalid/",
    "FOCUS_STAGING_RABBITMQ_URL": "amqps://u:p@mq.example.invalid/%2F", "FOCUS_STAGING_RABBITMQ_PASSWORD": "p",
    "FOCUS_STAGING_SSH_KEY_FILE": "~/.ssh/id_focus",
}


def test_the_three_environments_are_declared():
    assert known_environments() == ["kefar_saba", "local", "rehearsal", "staging"]


def test_local_reads_urls_and_secrets_from_the_sandbox_runtime(sandbox_home: Path):
    env = load_environment("local", environ={"FOCUS_SANDBOX_HOME": str(sandbox_home)})
    assert env.name == "local"
    assert env.focus_server.url == "http://127.0.0.1:9/focus-server"
    assert env.focus_server.tls_verify is False
    assert env.web_app.user.password.get_secret_value() == "qa-secret"
    assert "qa-secret" not in repr(env)  # secrets never show in reprs or logs
    assert env.kubernetes.ssh is not None and env.kubernetes.ssh.port == 9
    assert env.timings.cleanup_timeout_s == 6
    assert env.rate_limit.capacity == 5
    assert env.allows("destructive") and env.allows("load")
    assert env.kubernetes.context is None  # empty default means "not configured"


def test_focus_env_selects_and_an_explicit_name_wins(sandbox_home: Path):
    environ = {"FOCUS_SANDBOX_HOME": str(sandbox_home), "FOCUS_ENV": "staging", **STAGING_SECRETS}
    assert load_environment(environ=environ).name == "staging"
    assert load_environment("local", environ=environ).name == "local"


def test_default_is_local_and_process_environment_is_read(monkeypatch, sandbox_home: Path):
    monkeypatch.setenv("FOCUS_SANDBOX_HOME", str(sandbox_home))
    monkeypatch.delenv("FOCUS_ENV", raising=False)
    assert load_environment().name == "local"
    monkeypatch.setenv("FOCUS_ENV", "staging")
    for key, value in STAGING_SECRETS.items():
        monkeypatch.setenv(key, value)
    assert load_environment().name == "staging"


def test_staging_uses_placeholder_hosts_unless_overridden():
    env = load_environment("staging", environ=STAGING_SECRETS)
    assert env.focus_server.url == "https://focus-staging.example.invalid/focus-server"
    assert env.focus_server.tls_verify is True
    assert env.rate_limit.capacity is None
    over = load_environment("staging", environ={**STAGING_SECRETS, "FOCUS_STAGING_HOST": "10.0.0.5",
                                                "FOCUS_STAGING_TLS_VERIFY": "false"})
    assert over.focus_server.url == "https://10.0.0.5/focus-server"
    assert over.focus_server.tls_verify is False


def test_kefar_saba_allows_neither_destructive_nor_load():
    env = load_environment("kefar_saba", environ={
        "FOCUS_KEFAR_SABA_WEB_PASSWORD": "w", "FOCUS_KEFAR_SABA_MONGODB_URI": "m",
        "FOCUS_KEFAR_SABA_RABBITMQ_URL": "r", "FOCUS_KEFAR_SABA_RABBITMQ_PASSWORD": "p",
        "FOCUS_KEFAR_SABA_SSH_KEY_FILE": "k"})
    assert not env.allows("destructive") and not env.allows("load")
    assert env.issue_url(26).endswith("/26")


def test_unknown_environment_is_one_error_naming_it():
    with pytest.raises(MisconfiguredError, match=r"unknown environment 'prod'.*known: kefar_saba, local, rehearsal, staging"):
        load_environment("prod", environ={})


def test_missing_secret_names_the_variable_and_the_key():
    with pytest.raises(MisconfiguredError) as err:
        load_environment("staging", environ={})
    assert "environment 'staging'" in str(err.value)
    assert "web_app.user.password" in str(err.value) and "FOCUS_STAGING_WEB_PASSWORD" in str(err.value)


def test_missing_runtime_tells_how_to_start_the_sandbox(tmp_path: Path):
    with pytest.raises(MisconfiguredError, match="does not exist.*focus_sandbox up"):
        load_environment("local", environ={"FOCUS_SANDBOX_HOME": str(tmp_path)})


def test_runtime_lacking_a_value_names_it(tmp_path: Path):
    write_runtime(tmp_path)
    doc = (tmp_path / "runtime.json").read_text().replace('"site_id"', '"other"')
    (tmp_path / "runtime.json").write_text(doc)
    with pytest.raises(MisconfiguredError, match="key 'web_app.site_id' needs 'site_id'"):
        load_environment("local", environ={"FOCUS_SANDBOX_HOME": str(tmp_path)})


def _yaml(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "envs.yaml"
    path.write_text(body)
    return path


MINIMAL = """
environments:
  mini:
    focus_server: {url: "http://x/focus-server"}
    web_app: {url: "http://x/prisma/api", site_id: s, user: {username: u, password: "${env:PW:-pw}"}}
    mongodb: {uri: "mongodb://x/"}
    rabbitmq: {url: "amqp://x/", management_url: "http://x:15672", user: u, password: p}
    kubernetes: {namespace: panda}
    timings: {job_start_timeout_s: 1, job_idle_timeout_s: 2, cleanup_timeout_s: 3}
    capacity: 5
    allowed: {destructive: false, load: false}
    tracker_url: "http://t/{id}"
"""


def test_a_missing_key_is_one_error_naming_environment_and_key(tmp_path: Path):
    path = _yaml(tmp_path, MINIMAL.replace("    capacity: 5\n", "").replace("load: false", "x: 1"))
    with pytest.raises(MisconfiguredError) as err:
        load_environment("mini", path=path, environ={})
    text = str(err.value)
    assert text.startswith("environment 'mini':")
    assert "key 'capacity' is missing" in text
    assert "key 'allowed.load' is missing" in text and "key 'allowed.x' is not a known setting" in text


def test_wrong_type_and_bad_file_shapes(tmp_path: Path):
    with pytest.raises(MisconfiguredError, match="key 'capacity'"):
        load_environment("mini", path=_yaml(tmp_path, MINIMAL.replace("capacity: 5", "capacity: many")), environ={})
    with pytest.raises(MisconfiguredError, match="does not exist"):
        load_environment("mini", path=tmp_path / "nope.yaml", environ={})
    with pytest.raises(MisconfiguredError, match="'environments' is missing"):
        load_environment("mini", path=_yaml(tmp_path, "other: 1\n"), environ={})
    with pytest.raises(MisconfiguredError, match="not a mapping"):
        load_environment("mini", path=_yaml(tmp_path, "environments:\n  mini: 3\n"), environ={})


def test_environments_file_can_be_chosen_by_variable(tmp_path: Path):
    path = _yaml(tmp_path, MINIMAL)
    env = load_environment(environ={"FOCUS_ENV": "mini", "FOCUS_ENVIRONMENTS_FILE": str(path)})
    assert env.web_app.user.password.get_secret_value() == "pw"
    assert env.kubernetes.kubeconfig is None and env.kubernetes.ssh is None


def test_loads_do_not_leak_between_calls(tmp_path: Path):
    path = _yaml(tmp_path, MINIMAL)
    first = load_environment("mini", path=path, environ={"PW": "one"})
    second = load_environment("mini", path=path, environ={"PW": "two"})
    assert first.web_app.user.password.get_secret_value() == "one"
    assert second.web_app.user.password.get_secret_value() == "two"
