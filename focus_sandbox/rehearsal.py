"""The staging rehearsal: the sandbox in staging's shape (``python -m focus_sandbox up --shape rehearsal``).

What differs from the local shape, each because staging is so:

- Focus Server, the Web App and the broker's management API serve HTTPS with a certificate of a CA
  generated for the run (``focus_sandbox.tls``); clients verify against that CA bundle.
- The cluster is reached only with ``kubectl`` over SSH, through a jump host (a second sshd that
  only forwards to the node); the node's sessions get ``KUBECONFIG``, so a plain ``kubectl`` works.
- The suite gets broker and Web App accounts of its own, and so does the other tenant
  (``focus_sandbox.tenants``), so the audit log and the broker's events tell who did what.
- Lifecycle timings are staging's (10 / 50 / 30 s) scaled down.

``suite_variables`` turns a rehearsal runtime into the environment variables the ``rehearsal``
environment of config/environments.yaml names: the suite reads its secrets only from those.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

import requests

# staging: job_start 10, idle 50, cleanup 30 s. Scaled by 0.3; start kept at the sandbox's 5 s floor
# (a loaded 2-core machine needs that long to start a job's pods).
TIMINGS = {"job_start_timeout_s": 5.0, "job_idle_timeout_s": 15.0, "cleanup_timeout_s": 9.0}

SUITE_WEB_USER, VIEWER_WEB_USER, TENANT_WEB_USER = "qa", "viewer", "tenant"
SUITE_BROKER_USER, TENANT_BROKER_USER = "qa", "tenant"
EXTRA_BROKER_PLUGINS = ("rabbitmq_event_exchange",)  # queue.deleted events name who deleted a queue


def add_broker_users(management_url: str, verify: bool | str, admin: tuple[str, str],
                     users: dict[str, tuple[str, str]]) -> None:
    """Create broker accounts ``name -> (password, tags)`` with full rights on vhost ``/``."""
    with requests.Session() as http:
        http.auth = admin
        for name, (password, tags) in users.items():
            for path, body in ((f"users/{quote(name, safe='')}", {"password": password, "tags": tags}),
                               (f"permissions/%2F/{quote(name, safe='')}",
                                {"configure": ".*", "write": ".*", "read": ".*"})):
                # verify per request: REQUESTS_CA_BUNDLE would override a session's setting
                answer = http.put(f"{management_url}/api/{path}", json=body, timeout=10, verify=verify)
                if answer.status_code not in (201, 204):
                    raise RuntimeError(f"broker management PUT /api/{path} answered {answer.status_code}: "
                                       f"{answer.text[:200]}")


def amqp_url_for(url: str, user: str, password: str) -> str:
    """The broker URL of ``url`` with another account."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return parts._replace(netloc=f"{quote(user, safe='')}:{quote(password, safe='')}@{host}").geturl()


def suite_variables(runtime: Any) -> dict[str, str]:
    """The ``FOCUS_REHEARSAL_*`` variables of a rehearsal runtime (secrets included: hand them to the
    suite's process environment only, never to a file or a log)."""
    info = runtime.rehearsal
    if info is None:
        raise ValueError("the running sandbox was not started in the rehearsal shape (up --shape rehearsal)")
    management = urlsplit(runtime.rabbitmq_management_url)
    users = runtime.web_app_users
    return {
        "FOCUS_REHEARSAL_HOST": urlsplit(runtime.focus_server_url).netloc,
        "FOCUS_REHEARSAL_CA_BUNDLE": info.ca_bundle,
        "FOCUS_REHEARSAL_WEB_USER": SUITE_WEB_USER,
        "FOCUS_REHEARSAL_WEB_PASSWORD": users[SUITE_WEB_USER].password,
        "FOCUS_REHEARSAL_WEB_VIEWER_USER": VIEWER_WEB_USER,
        "FOCUS_REHEARSAL_WEB_VIEWER_PASSWORD": users[VIEWER_WEB_USER].password,
        "FOCUS_REHEARSAL_MONGODB_URI": runtime.mongodb_uri,
        "FOCUS_REHEARSAL_RABBITMQ_URL": amqp_url_for(runtime.rabbitmq_url, info.suite_rabbitmq_user,
                                                     info.suite_rabbitmq_password),
        "FOCUS_REHEARSAL_RABBITMQ_HOST": management.hostname or "127.0.0.1",
        "FOCUS_REHEARSAL_RABBITMQ_MANAGEMENT_PORT": str(management.port),
        "FOCUS_REHEARSAL_RABBITMQ_USER": info.suite_rabbitmq_user,
        "FOCUS_REHEARSAL_RABBITMQ_PASSWORD": info.suite_rabbitmq_password,
        "FOCUS_REHEARSAL_SSH_JUMP_HOST": runtime.ssh.host,
        "FOCUS_REHEARSAL_SSH_JUMP_PORT": str(info.ssh_jump_port),
        "FOCUS_REHEARSAL_SSH_HOST": runtime.ssh.host,
        "FOCUS_REHEARSAL_SSH_PORT": str(runtime.ssh.port),
        "FOCUS_REHEARSAL_SSH_USER": runtime.ssh.user,
        "FOCUS_REHEARSAL_SSH_KEY_FILE": runtime.ssh.key_file,
        "FOCUS_REHEARSAL_SSH_KNOWN_HOSTS": runtime.ssh.known_hosts_file,
    }
