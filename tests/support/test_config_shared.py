"""Shared environments, private CAs and the rehearsal: what issue 13 asks of the configuration."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from focus_support.config import load_environment
from focus_support.config.loader import DEFAULT_FILE
from focus_support.errors import MisconfiguredError

REHEARSAL_VARIABLES = {
    "FOCUS_REHEARSAL_HOST": "127.0.0.1:8443", "FOCUS_REHEARSAL_CA_BUNDLE": "ca.pem",
    "FOCUS_REHEARSAL_WEB_PASSWORD": "w", "FOCUS_REHEARSAL_MONGODB_URI": "mongodb://127.0.0.1:1/",
    "FOCUS_REHEARSAL_RABBITMQ_URL": "amqp://qa:p@127.0.0.1:2/%2F", "FOCUS_REHEARSAL_RABBITMQ_MANAGEMENT_PORT": "3",
    "FOCUS_REHEARSAL_RABBITMQ_PASSWORD": "p", "FOCUS_REHEARSAL_SSH_JUMP_PORT": "4", "FOCUS_REHEARSAL_SSH_PORT": "5",
    "FOCUS_REHEARSAL_SSH_USER": "me", "FOCUS_REHEARSAL_SSH_KEY_FILE": "key",
}


def _declared() -> dict:
    return yaml.safe_load(DEFAULT_FILE.read_text())["environments"]


def test_every_environment_says_whether_it_is_shared():
    declared = _declared()
    assert {name: env.get("shared") for name, env in declared.items()} == {
        "local": False, "staging": True, "kefar_saba": True, "rehearsal": True}


def _key_paths(node, prefix=""):
    if not isinstance(node, dict):
        return {prefix}
    paths = set()
    for key, value in node.items():
        paths |= _key_paths(value, f"{prefix}.{key}" if prefix else str(key))
    return paths or {prefix}


def test_the_rehearsal_has_exactly_stagings_keys_and_no_sandbox_reads():
    declared = _declared()
    staging, rehearsal = declared["staging"], declared["rehearsal"]
    # timings: staging's are an anchor of literal values, the rehearsal's the same keys scaled down
    assert _key_paths(rehearsal) == _key_paths(staging)
    assert "${sandbox:" not in yaml.safe_dump(rehearsal)  # every secret and address from a variable


def test_the_rehearsal_declares_stagings_unknowns_the_same_way():
    env = load_environment("rehearsal", environ=REHEARSAL_VARIABLES)
    assert not env.rate_limit.declared
    assert env.kubernetes.kubeconfig is None, "the cluster is reached only over SSH"
    ssh = env.kubernetes.ssh
    assert ssh is not None and ssh.jump_host and (ssh.jump_port, ssh.port) == (4, 5)
    assert env.focus_server.url == "https://127.0.0.1:8443/focus-server"
    assert env.focus_server.verify == "ca.pem" and env.web_app.verify == "ca.pem" and env.rabbitmq.verify == "ca.pem"
    assert env.shared and env.web_app.viewer is None


def test_rehearsal_timings_are_the_sandboxs():
    from focus_sandbox.rehearsal import TIMINGS

    env = load_environment("rehearsal", environ=REHEARSAL_VARIABLES)
    assert env.timings.model_dump() == {k: TIMINGS[k] for k in env.timings.model_dump()}


def test_verify_is_the_ca_bundle_only_while_verification_is_on():
    env = load_environment("rehearsal", environ={**REHEARSAL_VARIABLES, "FOCUS_REHEARSAL_TLS_VERIFY": "false"})
    assert env.focus_server.verify is False
    env = load_environment("rehearsal", environ={**REHEARSAL_VARIABLES, "FOCUS_REHEARSAL_CA_BUNDLE": ""})
    assert env.focus_server.verify is True  # the system's trust store


def test_a_viewer_is_declared_by_naming_it():
    env = load_environment("rehearsal", environ={**REHEARSAL_VARIABLES, "FOCUS_REHEARSAL_WEB_VIEWER_USER": "viewer",
                                                 "FOCUS_REHEARSAL_WEB_VIEWER_PASSWORD": "v"})
    assert env.web_app.viewer is not None and env.web_app.viewer.username == "viewer"


@pytest.mark.parametrize("name", ["staging", "rehearsal", "kefar_saba"])
def test_every_missing_variable_is_named_in_one_message(name):
    block = yaml.safe_dump(_declared()[name], width=1000)
    required = sorted(set(re.findall(r"\$\{env:([A-Z0-9_]+)\}", block)))
    assert len(required) >= 5
    with pytest.raises(MisconfiguredError) as err:
        load_environment(name, environ={})
    message = str(err.value)
    assert "\n" not in message
    assert f"{len(required)} environment variable(s) not set" in message
    for variable in required:
        assert variable in message


def test_missing_variables_and_other_problems_come_together(tmp_path: Path):
    path = tmp_path / "envs.yaml"
    path.write_text("""
environments:
  mini:
    focus_server: {url: "${env:URL}"}
    web_app: {url: "http://x/prisma/api", site_id: s, user: {username: u, password: "${env:PW}"}}
    mongodb: {uri: "mongodb://x/"}
    rabbitmq: {url: "amqp://x/", management_url: "http://x:15672", user: u, password: p}
    kubernetes: {namespace: panda}
    timings: {job_start_timeout_s: 1, job_idle_timeout_s: 2, cleanup_timeout_s: 3}
    capacity: many
    allowed: {destructive: false, load: false}
    tracker_url: "http://t/{id}"
""")
    with pytest.raises(MisconfiguredError) as err:
        load_environment("mini", path=path, environ={})
    message = str(err.value)
    assert "2 environment variable(s) not set: PW, URL" in message
    assert "key 'capacity'" in message
