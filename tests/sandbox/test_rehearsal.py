"""The rehearsal shape (issue 13): HTTPS with a private CA, SSH through a jump host, the audit log and
the other tenant that notices when the suite touches what it owns."""
from __future__ import annotations

import http.server
import ssl
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import paramiko
import pytest
import requests

from focus_sandbox import audit, tls
from focus_sandbox.tenants import Tenant, TenantReport, _touched_by_record
from focus_support.waiting import wait_until


# --- pieces without a stack ------------------------------------------------------------------------
def test_the_private_ca_signs_a_certificate_clients_verify_only_against_it(tmp_path: Path):
    made = tls.create(tmp_path)
    assert oct(made.keyfile.stat().st_mode & 0o777) == "0o600"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(made.certfile, made.keyfile)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"https://127.0.0.1:{server.server_address[1]}/"
        assert requests.get(url, verify=str(made.ca_bundle), timeout=5).status_code in (200, 404)
        with pytest.raises(requests.exceptions.SSLError):  # nobody else trusts the run's CA
            requests.get(url, verify=True, timeout=5)
    finally:
        server.shutdown()


def test_the_audit_log_keeps_every_process_record_in_time_order(tmp_path: Path):
    first, second = audit.AuditLog(tmp_path, "cluster"), audit.AuditLog(tmp_path, "web-app")
    first.record("delete", "jobs/grpc-job-1-1", "janitor")
    second.record("delete", "alerts of s", "qa", alert_ids=["a"])
    (tmp_path / "audit" / "cluster.jsonl").open("a").write('{"cut short')
    records = audit.read(tmp_path)
    assert [(r["log"], r["actor"]) for r in records] == [("cluster", "janitor"), ("web-app", "qa")]
    assert audit.AuditLog(None, "x").path is None  # records nothing without a run directory


@pytest.mark.parametrize("record, touched", [
    ({"log": "cluster", "action": "delete", "resource": "services/grpc-service-7-1", "actor": "127.0.0.1 kubectl/v1"},
     "services/grpc-service-7-1 of job 7-1 deleted by 127.0.0.1 kubectl/v1"),
    ({"log": "cluster", "action": "delete", "resource": "pods/grpc-job-7-1-abcde", "actor": "127.0.0.1 x"},
     "pods/grpc-job-7-1-abcde of job 7-1 deleted by 127.0.0.1 x"),
    ({"log": "cluster", "action": "delete", "resource": "jobs/grpc-job-7-1", "actor": "janitor"}, None),
    ({"log": "cluster", "action": "delete", "resource": "jobs/grpc-job-7-12", "actor": "127.0.0.1 x"}, None),
    ({"log": "focus-server", "action": "cancel", "resource": "job/7-1", "actor": "a", "origin": "127.0.0.1"},
     "job 7-1 cancelled from 127.0.0.1 (a)"),
    ({"log": "focus-server", "action": "cancel", "resource": "job/7-1", "actor": "a", "origin": "127.0.0.2"}, None),
    ({"log": "web-app", "action": "delete", "resource": "alerts of s", "actor": "qa", "alert_ids": ["t-1", "x"]},
     "alert t-1 deleted by Web App user 'qa'"),
    ({"log": "web-app", "action": "delete", "resource": "alerts of s", "actor": "tenant", "alert_ids": ["t-1"]}, None),
])
def test_what_counts_as_touching_the_tenant(record, touched):
    found = _touched_by_record(record, {"7-1"}, {"t-1"}, "127.0.0.2", "tenant")
    assert found == ([touched] if touched else [])


def test_the_tenant_line_says_what_the_issue_asks():
    report = TenantReport(jobs=["1-1", "1-2"], alerts=["a"])
    assert report.ok and report.line() == "Other tenants: 2 jobs, 1 alerts \u2014 0 touched by the suite"
    report.touched = ["alert a deleted by Web App user 'qa'"]
    assert not report.ok and "1 touched by the suite: alert a deleted" in report.line()
    assert not TenantReport().ok  # a tenant that did nothing proves nothing


# --- the shape itself, on a running stack -----------------------------------------------------------
@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory):
    from focus_sandbox.stack import running_stack

    home = tmp_path_factory.mktemp("rehearsal-home")
    with running_stack(home=home, logs_dir=home / "logs", shape="rehearsal") as runtime:
        yield runtime


@pytest.mark.stack
@pytest.mark.slow
def test_every_https_endpoint_verifies_against_the_runs_ca_only(rehearsal):
    ca = rehearsal.rehearsal.ca_bundle
    for url in (f"{rehearsal.focus_server_url}/ack", rehearsal.rabbitmq_management_url + "/api/overview"):
        assert url.startswith("https://")
        assert requests.get(url, verify=ca, timeout=5).status_code in (200, 401)
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(url, verify=True, timeout=5)


def _ssh(host: str, port: int, runtime, sock=None) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.load_host_keys(runtime.ssh.known_hosts_file)
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(host, port, runtime.ssh.user, key_filename=runtime.ssh.key_file, look_for_keys=False,
                   allow_agent=False, timeout=10, sock=sock)
    return client


@pytest.mark.stack
@pytest.mark.slow
def test_the_jump_host_only_forwards_to_the_node_and_the_node_runs_plain_kubectl(rehearsal):
    jump = _ssh("127.0.0.1", rehearsal.rehearsal.ssh_jump_port, rehearsal)
    try:
        _, out, _ = jump.exec_command("kubectl version --client")
        assert out.channel.recv_exit_status() != 0  # no commands on the jump host
        with pytest.raises(paramiko.ChannelException):  # and no forwarding anywhere but the node
            jump.get_transport().open_channel("direct-tcpip", ("127.0.0.1", int(rehearsal.kube_api_url.rsplit(":", 1)[1])),
                                              ("127.0.0.1", 0))
        channel = jump.get_transport().open_channel("direct-tcpip", ("127.0.0.1", rehearsal.ssh.port), ("127.0.0.1", 0))
        node = _ssh("127.0.0.1", rehearsal.ssh.port, rehearsal, sock=channel)
        try:
            _, out, err = node.exec_command("kubectl -n panda get deployments -o name")
            assert out.channel.recv_exit_status() == 0, err.read()
            assert b"deployment.apps/focus-server" in out.read()
        finally:
            node.close()
    finally:
        jump.close()


@pytest.mark.stack
@pytest.mark.slow
def test_the_tenant_names_what_someone_else_touched_and_only_that(rehearsal):
    touched_tenant, quiet_tenant = Tenant(rehearsal), Tenant(rehearsal)
    ca = rehearsal.rehearsal.ca_bundle
    for tenant in (touched_tenant, quiet_tenant):
        threading.Thread(target=tenant.run, daemon=True).start()
    try:
        wait_until(lambda: touched_tenant.report.jobs and touched_tenant.report.alerts, 40, 0.3,
                   describe="the tenant's first job and alert")
        alert_id = touched_tenant.report.alerts[0]
        deleted: list[str] = []

        def delete_a_tenant_service() -> bool:
            """The "suite": a cluster API client that is not the product deletes a live tenant job's service."""
            job_id = touched_tenant.report.jobs[-1]
            answer = requests.delete(
                f"{rehearsal.kube_api_url}/api/v1/namespaces/panda/services/grpc-service-{job_id}", timeout=5)
            if answer.status_code == 200:
                deleted.append(job_id)
            return bool(deleted)

        wait_until(delete_a_tenant_service, 30, 0.2, describe="deleting a live tenant job's service")
        job_id = deleted[0]
        # ... and the suite's broker account deletes that job's queue through the management API
        info = rehearsal.rehearsal
        management = f"{rehearsal.rabbitmq_management_url}/api/queues/%2F"
        suite_auth = (info.suite_rabbitmq_user, info.suite_rabbitmq_password)
        queue = next(q["name"] for q in requests.get(management, auth=suite_auth, verify=ca, timeout=5).json()
                     if q["name"].startswith(f"grpc-job-{job_id}-"))
        assert requests.delete(f"{management}/{queue}", auth=suite_auth, verify=ca, timeout=5).status_code == 204
        web = requests.Session()
        qa = rehearsal.web_app_users["qa"].password
        assert web.post(f"{rehearsal.web_app_url}/auth/login", json={"username": "qa", "password": qa},
                        verify=ca, timeout=5).status_code == 201
        assert web.delete(f"{rehearsal.web_app_url}/{rehearsal.site_id}/api/alert/delete",
                          json={"alertIds": [alert_id]}, verify=ca, timeout=5).json()["deleted"] == [alert_id]
        wait_until(lambda: quiet_tenant.report.jobs and quiet_tenant.report.alerts, 40, 0.3,
                   describe="the second tenant's first job and alert")
    finally:
        for tenant in (touched_tenant, quiet_tenant):
            tenant.stop.set()
    deadline = time.monotonic() + 40
    while any(t.name.startswith("tenant-") for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.2)
    touched = touched_tenant.verdict()
    assert f"alert {alert_id} deleted by Web App user 'qa'" in touched.touched
    assert f"alert {alert_id} no longer listed" in touched.touched
    assert any(t.startswith(f"services/grpc-service-{job_id} of job {job_id} deleted by 127.0.0.1")
               for t in touched.touched), touched.touched
    assert f"queue {queue} deleted by broker user 'qa'" in touched.touched
    quiet = quiet_tenant.verdict()
    assert quiet.touched == [] and quiet.ok, quiet.line()
    # the broker's events did reach it: its jobs' queues went, deleted by the product's janitor
    assert any(by == "focus" and name.startswith("grpc-job-") for name, by in quiet_tenant.deleted_queues)


def test_the_run_fails_when_a_tenant_was_touched_or_the_suite_left_something():
    from scripts.rehearsal import RehearsalOutcome, _of_job

    assert _of_job("grpc-job-3-14", "3-14") and _of_job("cleanup-job-3-14-abcde", "3-14")
    assert _of_job("grpc-job-3-14-1733000000.123456", "3-14") and not _of_job("grpc-job-3-141", "3-14")
    clean = RehearsalOutcome("Other tenants: 2 jobs, 1 alerts \u2014 0 touched by the suite", True, suite_jobs=5)
    assert clean.exit_code(0) == 0 and clean.lines()[1] == "Suite's own resources left: 0 (of 5 jobs it created)"
    assert clean.exit_code(1) == 1  # the suite's own verdict still counts
    left = RehearsalOutcome("Other tenants: ...", True, suite_jobs=5, suite_leftovers=["queue/grpc-job-3-14-1.0"])
    assert left.exit_code(0) == 1 and "1: queue/grpc-job-3-14-1.0" in left.lines()[1]
    assert RehearsalOutcome("Other tenants: ... 1 touched by the suite: x", False).exit_code(0) == 1
