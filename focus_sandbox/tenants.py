"""Another tenant of the rehearsal's shared sandbox: a client that is not the suite.

``python -m focus_sandbox.tenants --home H --report FILE`` works until SIGTERM/SIGINT, as staging's
other users do while the suite runs: it configures live jobs, watches them (polls their metadata)
and cancels them; it pushes alerts and reads them from a queue of its own on the ``prisma``
exchange. It connects from its own loopback address (``--source``, so the server's per-client rate
limit and the audit log tell it apart from the suite) with its own Web App and broker accounts.

When stopped it judges whether anyone else touched what it owns:

- the sandbox's audit log (``focus_sandbox.audit``): a cancel of one of its jobs from another origin,
  a deletion of one of its jobs' cluster objects by anyone but the product (Focus Server, janitor),
  a deletion of one of its alerts by another user;
- the broker's ``queue.deleted`` events (event exchange plugin): one of its queues (its alert queue,
  its jobs' queues) deleted by an account other than its own or the product's;
- survival: its alert queue still exists and every alert it did not delete is still listed.

It writes a JSON report and prints ``Other tenants: N jobs, M alerts — 0 touched by the suite`` (or
names what was touched). Exit code 0 when nothing was touched and it could do its work, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import secrets
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pika
import requests
from requests.adapters import HTTPAdapter

from focus_sandbox import audit
from focus_sandbox.rehearsal import amqp_url_for
from focus_sandbox.stack.runtime import Runtime, sandbox_home

SOURCE_ADDRESS = "127.0.0.2"     # any 127/8 address is local on Linux; the suite uses 127.0.0.1
PRODUCT_ACTORS = {"focus-server", "janitor"}
PRODUCT_BROKER_USER = "focus"    # the product's own account (the janitor deletes job queues with it)
ALERT_EXCHANGE, ALERT_KEY = "prisma", "Algorithm.AlertReport"
JOB_EVERY_S, ALERT_EVERY_S = 2.5, 2.0
HOLD_S = 3.0                     # how long it watches a job before cancelling it (below every idle timeout)
MAX_JOBS = 3                     # its own jobs alive at once: a light, steady neighbour
LINE = "Other tenants: {jobs} jobs, {alerts} alerts \u2014 {touched}"


class _FromAddress(HTTPAdapter):
    """Connections leave from ``source`` (the tenant's own client address)."""

    def __init__(self, source: str, **kwargs: Any) -> None:
        self.source = source
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


@dataclass
class TenantReport:
    jobs: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    queues: list[str] = field(default_factory=list)
    touched: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)   # the tenant could not do its own work

    @property
    def ok(self) -> bool:
        return not self.touched and not self.problems and bool(self.jobs) and bool(self.alerts)

    def line(self) -> str:
        touched = "0 touched by the suite" if not self.touched else (
            f"{len(self.touched)} touched by the suite: " + "; ".join(self.touched))
        text = LINE.format(jobs=len(self.jobs), alerts=len(self.alerts), touched=touched)
        if self.problems or not self.jobs or not self.alerts:
            text += " (the tenant could not do its work: " + "; ".join(
                self.problems or ["it created no job or pushed no alert"]) + ")"
        return text


class Tenant:
    """One other client of the shared sandbox; ``run`` until ``stop`` is set, then ``verdict``."""

    def __init__(self, runtime: Runtime, source: str = SOURCE_ADDRESS) -> None:
        info = runtime.rehearsal
        if info is None:
            raise SystemExit("the sandbox was not started in the rehearsal shape (up --shape rehearsal)")
        self.runtime, self.info, self.source = runtime, info, source
        self.tag = f"tenant-{secrets.token_hex(4)}"
        self.alert_queue = f"{self.tag}-alerts"
        self.report = TenantReport(queues=[self.alert_queue])
        self.stop = threading.Event()
        self.http = requests.Session()
        self.http.mount("https://", _FromAddress(source))
        self.http.mount("http://", _FromAddress(source))
        self.http.headers["User-Agent"] = "focus-sandbox-tenant/1"
        self.verify = info.ca_bundle
        self.amqp_url = amqp_url_for(runtime.rabbitmq_url, info.tenant_rabbitmq_user, info.tenant_rabbitmq_password)
        self.deleted_queues: list[tuple[str, str]] = []   # (queue, by user) from the broker's events
        self.cancelled_by_me: set[str] = set()
        self.cancel_tried: set[str] = set()
        self.deleted_alerts_by_me: set[str] = set()
        self.received: set[str] = set()
        self._lock = threading.Lock()

    # --- plumbing ---------------------------------------------------------------------------------
    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response | None:
        try:  # verify per request: REQUESTS_CA_BUNDLE would override a session's setting
            return self.http.request(method, url, timeout=10, verify=self.verify, **kwargs)
        except requests.RequestException as exc:  # a neighbour rides out outages; it only notes them
            self._note(f"{method} /{url.split('//', 1)[-1].split('/', 1)[-1]}: {type(exc).__name__}")
            return None

    @staticmethod
    def _note(text: str) -> None:
        print(f"[tenant] {text}", flush=True)

    def _focus(self, path: str) -> str:
        return f"{self.runtime.focus_server_url}/{path}"

    def _web(self, path: str) -> str:
        return f"{self.runtime.web_app_url}/{path}"

    # --- broker: its alert queue and the deletion events ------------------------------------------
    def _broker(self) -> None:
        """Declare its queue, then consume its alerts and the broker's queue.deleted events until stopped."""
        while not self.stop.is_set():
            try:
                connection = pika.BlockingConnection(pika.URLParameters(self.amqp_url + "?heartbeat=10"))
            except pika.exceptions.AMQPError:
                self.stop.wait(1.0)
                continue
            try:
                channel = connection.channel()
                channel.exchange_declare(ALERT_EXCHANGE, exchange_type="topic", durable=True)
                channel.queue_declare(self.alert_queue, durable=True)
                channel.queue_bind(self.alert_queue, ALERT_EXCHANGE, routing_key=ALERT_KEY)
                events = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
                channel.queue_bind(events, "amq.rabbitmq.event", routing_key="queue.deleted")
                channel.basic_consume(self.alert_queue, self._on_alert, auto_ack=True)
                channel.basic_consume(events, self._on_event, auto_ack=True)
                while not self.stop.is_set():
                    connection.process_data_events(time_limit=0.5)
            except pika.exceptions.AMQPError as exc:
                self._note(f"broker connection lost ({type(exc).__name__}); reconnecting")
            finally:
                if connection.is_open:
                    connection.close()

    def _on_alert(self, _ch: Any, _method: Any, _props: Any, body: bytes) -> None:
        try:
            alert_id = json.loads(body).get("alertId")
        except ValueError:
            return
        if isinstance(alert_id, str) and alert_id.startswith(self.tag):
            with self._lock:
                self.received.add(alert_id)

    def _on_event(self, _ch: Any, _method: Any, props: Any, _body: bytes) -> None:
        headers = props.headers or {}
        name = _text(headers.get("name"))
        by = _text(headers.get("user_who_performed_action"))
        with self._lock:
            self.deleted_queues.append((name, by))

    # --- jobs ---------------------------------------------------------------------------------------
    def _jobs(self) -> None:
        """Configure a small live view, watch it for a while, cancel it; a few at a time."""
        alive: dict[str, float] = {}   # job id -> when it started; kept until its metadata is refused
        n = 0
        while not self.stop.wait(JOB_EVERY_S):
            for job_id, since in list(alive.items()):
                answer = self._call("GET", self._focus(f"metadata/{job_id}"))
                if answer is not None and answer.status_code == 404 and _error_of(answer) == "Invalid job_id":
                    del alive[job_id]  # gone (cancelled, or ended by the idle timeout where cancel is missing)
                elif time.monotonic() - since >= HOLD_S and job_id not in self.cancel_tried:
                    self._cancel(job_id)
            if len(alive) >= MAX_JOBS:
                continue
            first = 1 + (n * 10) % 2000
            n += 1
            body = {"view_type": "0", "channels": {"min": first, "max": first + 7}, "displayInfo": {"height": 200},
                    "displayTimeAxisDuration": 10, "nfftSelection": 256, "frequencyRange": {"min": 0, "max": 200},
                    "start_time": None, "end_time": None}
            answer = self._call("POST", self._focus("configure"), json=body)
            if answer is None or answer.status_code != 200:
                continue  # throttled, waiting for fibre or an outage of the suite's making: try later
            job_id = answer.json().get("job_id")
            if isinstance(job_id, str):
                with self._lock:
                    self.report.jobs.append(job_id)
                alive[job_id] = time.monotonic()
        for job_id in alive:
            if job_id not in self.cancel_tried:
                self._cancel(job_id)

    def _cancel(self, job_id: str) -> None:
        self.cancel_tried.add(job_id)
        answer = self._call("DELETE", self._focus(f"job/{job_id}"))
        if answer is not None and answer.status_code == 200:
            self.cancelled_by_me.add(job_id)
        # a missing cancel route (observed profile) leaves the job to the idle timeout: the product's

    # --- alerts -------------------------------------------------------------------------------------
    def _login(self) -> bool:
        answer = self._call("POST", self._web("auth/login"),
                            json={"username": self.info.tenant_web_user, "password": self.info.tenant_web_password})
        return answer is not None and answer.status_code == 201

    def _alerts(self) -> None:
        """Push one alert of its own every few seconds; it keeps them listed until the end."""
        if not self._login():
            self.report.problems.append("could not log in to the Web App")
            return
        site = self.runtime.site_id
        n = 0
        while not self.stop.wait(ALERT_EVERY_S):
            n += 1
            alert_id = f"{self.tag}-alert-{n}"
            body = {"classId": 104, "severity": 2, "dofM": 100 + n, "alertsAmount": 1, "alertIds": [alert_id]}
            answer = self._call("POST", self._web(f"{site}/api/push-to-rabbit"), json=body)
            if answer is not None and answer.status_code == 201:
                with self._lock:
                    self.report.alerts.append(alert_id)

    # --- the run ------------------------------------------------------------------------------------
    def run(self, ready: threading.Event | None = None) -> None:
        """Work until ``stop`` is set (SIGTERM/SIGINT in the CLI)."""
        workers = [threading.Thread(target=target, name=f"tenant-{target.__name__}", daemon=True)
                   for target in (self._broker, self._jobs, self._alerts)]
        for worker in workers:
            worker.start()
        while not self.stop.wait(0.2):
            if ready is not None and self.report.jobs and self.report.alerts:
                ready.set()
        for worker in workers:
            worker.join(timeout=30)

    def verdict(self) -> TenantReport:
        """After ``run``: who touched what it owns, whether its queue and alerts survived; then tidy up."""
        report = self.report
        own_jobs = set(report.jobs)
        own_alerts = set(report.alerts)
        for record in audit.read(self.runtime.run_dir):
            report.touched += _touched_by_record(record, own_jobs, own_alerts, self.source,
                                                 self.info.tenant_web_user)
        own_queue_prefixes = tuple(f"grpc-job-{j}-" for j in own_jobs)
        for queue, by in self.deleted_queues:
            mine = queue == self.alert_queue or queue.startswith(own_queue_prefixes)
            if mine and by not in (self.info.tenant_rabbitmq_user, PRODUCT_BROKER_USER):
                report.touched.append(f"queue {queue} deleted by broker user {by!r}")
        report.touched += self._survivors(own_alerts)
        report.touched = sorted(set(report.touched))
        self._tidy_up(own_alerts)
        return report

    def _survivors(self, own_alerts: set[str]) -> list[str]:
        missing: list[str] = []
        if self._login():
            answer = self._call("GET", self._web(f"{self.runtime.site_id}/api/alert"))
            if answer is not None and answer.status_code == 200:
                listed = {a.get("alertId") for a in answer.json() if isinstance(a, dict)}
                missing += [f"alert {a} no longer listed" for a in sorted(own_alerts - listed)]
            else:
                self.report.problems.append("could not list its alerts at the end")
        try:
            connection = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
            try:
                connection.channel().queue_declare(self.alert_queue, passive=True)
            except pika.exceptions.ChannelClosedByBroker:
                missing.append(f"queue {self.alert_queue} no longer exists")
            finally:
                if connection.is_open:
                    connection.close()
        except pika.exceptions.AMQPError as exc:
            self.report.problems.append(f"could not check its queue at the end ({type(exc).__name__})")
        return missing

    def _tidy_up(self, own_alerts: set[str]) -> None:
        """Remove its own alerts and queue, as a considerate neighbour does."""
        if own_alerts:
            self._call("DELETE", self._web(f"{self.runtime.site_id}/api/alert/delete"),
                       json={"alertIds": sorted(own_alerts)})
        try:
            connection = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
            connection.channel().queue_delete(self.alert_queue)
            connection.close()
        except pika.exceptions.AMQPError:
            pass  # the stack is torn down next; a leftover queue of the tenant harms nobody


def _error_of(answer: requests.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return ""
    return str(body.get("error", "")) if isinstance(body, dict) else ""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")


def _touched_by_record(record: dict[str, Any], own_jobs: set[str], own_alerts: set[str], source: str,
                       web_user: str) -> list[str]:
    """What one audit record says someone else did to the tenant's resources."""
    resource, actor = str(record.get("resource", "")), str(record.get("actor", ""))
    if record.get("log") == "web-app":
        ids = sorted(set(record.get("alert_ids") or []) & own_alerts)
        return [f"alert {a} deleted by Web App user {actor!r}" for a in ids] if actor != web_user else []
    if record.get("log") == "focus-server" and record.get("action") == "cancel":
        job_id = resource.removeprefix("job/")
        if job_id in own_jobs and record.get("origin") != source:
            return [f"job {job_id} cancelled from {record.get('origin')} ({actor})"]
        return []
    if record.get("log") == "cluster" and record.get("action") == "delete" and actor not in PRODUCT_ACTORS:
        name = resource.split("/", 1)[-1]
        for job_id in own_jobs:
            if name in (f"grpc-job-{job_id}", f"cleanup-job-{job_id}", f"grpc-service-{job_id}") or \
                    name.startswith((f"grpc-job-{job_id}-", f"cleanup-job-{job_id}-")):
                return [f"{resource} of job {job_id} deleted by {actor}"]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m focus_sandbox.tenants", description=__doc__.split("\n")[0])
    parser.add_argument("--home", help="the sandbox home (default $FOCUS_SANDBOX_HOME or .sandbox)")
    parser.add_argument("--report", required=True, help="where to write the JSON report")
    parser.add_argument("--ready-file", help="created once it has a job and an alert of its own")
    parser.add_argument("--source", default=SOURCE_ADDRESS, help="the client address it connects from")
    args = parser.parse_args(argv)
    runtime = Runtime.read(sandbox_home(args.home))
    if runtime is None:
        print("[tenant] no sandbox stack is ready", file=sys.stderr)
        return 2
    tenant = Tenant(runtime, args.source)
    signal.signal(signal.SIGTERM, lambda *_: tenant.stop.set())
    signal.signal(signal.SIGINT, lambda *_: tenant.stop.set())
    ready = threading.Event()
    if args.ready_file:
        threading.Thread(target=lambda: ready.wait() and Path(args.ready_file).touch(), daemon=True).start()
    tenant.run(ready)
    report = tenant.verdict()
    Path(args.report).write_text(json.dumps({**asdict(report), "line": report.line(), "ok": report.ok}, indent=2))
    print(report.line(), flush=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
