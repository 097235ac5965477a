"""Faults for the resilience features: stopping a component Deployment, dropping broker connections,
and a durable queue that shows whether a confirmed message was lost (seed section 1.5).

Faults act through the cluster exactly as on staging (scale the ``rabbitmq`` / ``mongodb``
Deployment to 0 and back), and every fault registers its own undo at the moment it happens.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pika
import pika.exceptions
from pymongo.errors import PyMongoError

from focus_support.context import SuiteContext
from focus_support.errors import InfrastructureError
from focus_support.k8s import KubernetesManager
from focus_support.rabbit import Publisher, RabbitManagement, connection_parameters
from focus_support.retry import NO_RETRY
from focus_support.scenario_state import ScenarioState
from focus_support.scenarios import notes_of
from focus_support.scenarios.common import register_job_from
from focus_support.waiting import wait_for_infra

# --- component outages ----------------------------------------------------------------------------
@dataclass
class ComponentOutage:
    """Stop and start one component Deployment of the product namespace."""

    k8s: KubernetesManager
    deployment: str
    timeout_s: float

    def replicas_ready(self) -> int:
        """Ready replicas the Deployment reports now (0 when it is missing)."""
        dep = self.k8s.get_deployment(self.deployment)
        return dep.ready_replicas if dep is not None else 0

    def stop(self, register_undo: Callable[[str, Callable[[], Any]], None]) -> None:
        """Scale to 0 (undo registered first, so a failing scenario still restores it) and wait until down."""
        register_undo(f"restore deployment {self.deployment}", self.start)
        self.k8s.scale_deployment(self.deployment, 0)
        wait_for_infra(lambda: self.replicas_ready() == 0, self.timeout_s,
                       describe=f"deployment {self.deployment} to have no ready replica")

    def start(self) -> None:
        """Scale back to 1 and wait until the Deployment is ready again (idempotent)."""
        self.k8s.scale_deployment(self.deployment, 1)
        self.k8s.wait_deployment_ready(self.deployment, self.timeout_s)


def wait_until_usable(probe: Callable[[], Any], timeout_s: float, what: str) -> None:
    """Poll a probe that raises while a dependency is not usable yet (an infrastructure wait)."""
    wait_for_infra(probe, timeout_s, describe=what,
                   ignore=(InfrastructureError, OSError, pika.exceptions.AMQPError, PyMongoError))


# --- broker connection resets ---------------------------------------------------------------------
CONNECTIONS_LISTED_TIMEOUT_S = 20.0  # the management API lists a connection only after its stats interval


def _connections(management: RabbitManagement) -> list[dict[str, Any]]:
    response = management.http.request("GET", "connections")
    if response.status_code != 200:
        raise InfrastructureError(f"rabbitmq management GET /api/connections -> {response.status_code}")
    return list(response.json())


def _client_name(connection: dict[str, Any]) -> str:
    return str((connection.get("client_properties") or {}).get("connection_name", ""))


def drop_all_connections(management: RabbitManagement, must_include: str | None = None,
                         reason: str = "focus-suite connection reset") -> list[str]:
    """Close every client connection from the broker side (a connection reset); returns their names.

    Waits until the management API lists the connection named ``must_include`` (or any connection):
    it reports connections only after its statistics interval, and a reset that misses the client
    under test would make the scenario prove nothing.
    """
    def listed() -> list[dict[str, Any]]:
        connections = _connections(management)
        if must_include is None:
            return connections
        return connections if any(_client_name(c) == must_include for c in connections) else []

    what = f"connection {must_include!r}" if must_include else "client connections"
    connections = wait_for_infra(listed, CONNECTIONS_LISTED_TIMEOUT_S, 0.5,
                                 describe=f"the broker's management API to list {what}")
    dropped = []
    for connection in connections:
        name = connection["name"]
        closed = management.http.request("DELETE", f"connections/{quote(name, safe='')}",
                                          headers={"X-Reason": reason})
        if closed.status_code in (200, 204, 404):  # 404: it closed by itself meanwhile
            dropped.append(_client_name(connection) or name)
        else:
            raise InfrastructureError(f"rabbitmq management could not close connection {name}: "
                                      f"{closed.status_code}")
    return dropped


# --- confirmed messages on a durable queue ----------------------------------------------------------
@dataclass
class DurableQueueProbe:
    """A private durable queue fed by the library's confirming ``Publisher`` (default exchange).

    The publisher is the client under test: it must reconnect by itself after a reset or a broker
    restart. The queue is only read at the end, so the broker has to keep what it confirmed.
    """

    url: str
    publisher: Publisher
    queue: str = field(default_factory=lambda: f"focus-suite-resilience-{uuid.uuid4().hex[:12]}")
    confirmed: list[str] = field(default_factory=list)

    @property
    def connection_name(self) -> str:
        """How the broker's management API names the publisher's connection."""
        return self.queue

    @classmethod
    def create(cls, url: str, heartbeat_s: int, reconnect_timeout_s: float) -> "DurableQueueProbe":
        """Declare the queue and open the publisher (caller registers :meth:`close` at once)."""
        queue = f"focus-suite-resilience-{uuid.uuid4().hex[:12]}"
        publisher = Publisher(url, "", declare_exchange=False, heartbeat_s=heartbeat_s,
                              reconnect_timeout_s=reconnect_timeout_s, connection_name=queue)
        probe = cls(url=url, publisher=publisher, queue=queue)
        probe._on_fresh_channel(lambda ch: ch.queue_declare(queue=probe.queue, durable=True))
        return probe

    def _on_fresh_channel(self, action: Callable[[Any], Any]) -> Any:
        conn = pika.BlockingConnection(connection_parameters(self.url))
        try:
            return action(conn.channel())
        finally:
            if conn.is_open:
                conn.close()

    def publish(self, count: int) -> list[str]:
        """Publish ``count`` persistent messages, each returning only once the broker confirmed it."""
        ids = [self.publisher.publish(self.queue, uuid.uuid4().hex.encode()) for _ in range(count)]
        self.confirmed += ids
        return ids

    @property
    def reconnects(self) -> int:
        """How often the publisher replaced a lost connection."""
        return self.publisher.conn.reconnects

    def queued_ids(self) -> list[str]:
        """Message ids on the queue, taken with a fresh connection (acknowledged: this drains it)."""
        def drain(channel: Any) -> list[str]:
            ids = []
            while True:
                method, props, _ = channel.basic_get(self.queue, auto_ack=True)
                if method is None:
                    return ids
                ids.append(props.message_id)
        return self._on_fresh_channel(drain)

    def close(self) -> None:
        """Close the publisher and delete the queue (cleanup)."""
        self.publisher.close()
        self._on_fresh_channel(lambda ch: ch.queue_delete(queue=self.queue))


def lost_confirmed(probe: DurableQueueProbe, timeout_s: float, interval_s: float = 0.2) -> list[str]:
    """Confirmed message ids that do not show up on the queue within the deadline (empty: none lost)."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout_s
    while True:
        seen.update(probe.queued_ids())
        missing = [m for m in probe.confirmed if m not in seen]
        if not missing or time.monotonic() >= deadline:
            return missing
        time.sleep(interval_s)  # poll interval of a bounded wait


# --- scenario flow ---------------------------------------------------------------------------------
HISTORIC_REFUSAL_LIMIT_S = 5.0  # contract section 11: historic configure while MongoDB is down -> 503 within 5 s
RESTART_TIMEOUT_S = 90.0  # an infrastructure bound: waits end as soon as the component is ready


@dataclass
class ResilienceNotes:
    """Probe, window, timings and responses of one resilience scenario."""

    probe: DurableQueueProbe | None = None
    dropped: list[str] = field(default_factory=list)
    window: Any = None
    response: Any = None
    elapsed_s: float = 0.0
    jobs_before: set[str] = field(default_factory=set)


def stop_component(suite: SuiteContext, state: ScenarioState, deployment: str) -> ComponentOutage:
    """Scale a component to 0 with its restore registered first."""
    outage = ComponentOutage(suite.k8s, deployment, RESTART_TIMEOUT_S)
    outage.stop(state.cleanup.register)
    return outage


def wait_broker_usable(suite: SuiteContext) -> None:
    """Wait until the broker accepts AMQP connections again."""
    def probe() -> bool:
        conn = pika.BlockingConnection(connection_parameters(suite.rabbit_url))
        conn.close()
        return True
    wait_until_usable(probe, RESTART_TIMEOUT_S, "the broker to accept connections")


def wait_mongo_usable(suite: SuiteContext) -> None:
    """Wait until MongoDB answers a ping again."""
    wait_until_usable(lambda: suite.mongo.ping() is None, RESTART_TIMEOUT_S, "MongoDB to answer a ping")


def restart_broker(suite: SuiteContext, state: ScenarioState) -> None:
    """Stop the broker Deployment, start it again and wait until it accepts connections."""
    stop_component(suite, state, suite.environment.rabbitmq.deployment).start()
    wait_broker_usable(suite)


def open_probe(suite: SuiteContext, state: ScenarioState, confirmed: int) -> DurableQueueProbe:
    """A durable queue with ``confirmed`` messages confirmed on it (closed and deleted at cleanup)."""
    r = suite.environment.rabbitmq
    probe = DurableQueueProbe.create(suite.rabbit_url, r.heartbeat_s, RESTART_TIMEOUT_S)
    state.cleanup.register(f"delete queue {probe.queue}", probe.close)
    notes_of(state, ResilienceNotes).probe = probe
    probe.publish(confirmed)
    return probe


def grpc_job_names(suite: SuiteContext) -> set[str]:
    """Streaming jobs the cluster holds now."""
    return {j.name for j in suite.k8s.list_jobs() if j.name.startswith("grpc-job-")}


def configure_once(suite: SuiteContext, state: ScenarioState, body: dict[str, Any]) -> Any:
    """One configure, never replayed; a job it creates is registered at once; time taken is kept."""
    notes = notes_of(state, ResilienceNotes)
    started = time.monotonic()
    response = suite.focus.send_configure(body, retry=NO_RETRY)
    notes.elapsed_s = time.monotonic() - started
    register_job_from(suite, state, response)
    notes.response = state.remember(response, body)
    return response


def configure_when_served(suite: SuiteContext, state: ScenarioState, body: dict[str, Any], timeout_s: float) -> Any:
    """Configure until it is no longer refused with 503 (which creates nothing) or the deadline passes.

    Each attempt is a new request sent only after the previous one was refused, never a replay of
    a request whose outcome is unknown; the last response is returned for the step to judge.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        response = configure_once(suite, state, body)
        if response.status_code != 503 or time.monotonic() >= deadline:
            return response
        time.sleep(0.5)  # poll interval of a bounded wait
