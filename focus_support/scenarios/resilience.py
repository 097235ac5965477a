"""Faults for the resilience features: stopping a component Deployment, dropping broker connections,
and a broker client that must reconnect without losing a confirmed message (seed section 1.5).

Faults act through the cluster exactly as on staging (scale the ``rabbitmq`` / ``mongodb``
Deployment to 0 and back), and every fault registers its own undo at the moment it happens.
"""
from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pika
import pika.exceptions
import requests
from pymongo.errors import PyMongoError

from focus_support.errors import InfrastructureError, UnreachableError
from focus_support.k8s import KubernetesManager
from focus_support.waiting import wait_for_infra

log = logging.getLogger(__name__)

# Errors that mean "the connection or channel is gone": the client reconnects on these.
_CONNECTION_LOST = (pika.exceptions.AMQPConnectionError, pika.exceptions.ConnectionClosed,
                    pika.exceptions.ChannelClosed, pika.exceptions.ChannelWrongStateError,
                    pika.exceptions.StreamLostError, OSError)


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
@dataclass
class BrokerManagement:
    """The RabbitMQ management API: enough to see and drop client connections."""

    url: str
    user: str
    password: str
    verify: bool = True
    timeout_s: float = 10.0

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            return requests.request(method, self.url.rstrip("/") + path, auth=(self.user, self.password),
                                    verify=self.verify, timeout=self.timeout_s, **kwargs)
        except requests.RequestException as exc:
            raise UnreachableError(f"RabbitMQ management {method} {path}: {type(exc).__name__}") from None

    def connections(self) -> list[str]:
        """Names of the client connections the broker holds."""
        response = self._request("GET", "/api/connections")
        if response.status_code != 200:
            raise UnreachableError(f"RabbitMQ management GET /api/connections -> {response.status_code}")
        return [c["name"] for c in response.json()]

    def drop_all_connections(self, reason: str = "focus-suite connection reset") -> list[str]:
        """Close every client connection from the broker side (a connection reset); returns their names."""
        dropped = []
        for name in self.connections():
            response = self._request("DELETE", f"/api/connections/{quote(name, safe='')}",
                                     headers={"X-Reason": reason})
            if response.status_code in (200, 204, 404):  # 404: it closed meanwhile
                dropped.append(name)
        return dropped


# --- a reconnecting, confirming broker client ------------------------------------------------------
@dataclass
class ConfirmingClient:
    """Publishes persistent messages to its own durable queue with publisher confirms.

    On a lost connection it reconnects with exponential backoff until ``reconnect_timeout_s``,
    re-declares its queue and publishes the message again (at-least-once: a message whose confirm
    was lost may arrive twice, never zero times once confirmed).
    """

    url: str
    reconnect_timeout_s: float
    queue: str = field(default_factory=lambda: f"focus-suite-resilience-{uuid.uuid4().hex[:12]}")
    confirmed: list[str] = field(default_factory=list)
    reconnects: int = 0
    _conn: Any = None
    _channel: Any = None

    def _params(self) -> pika.URLParameters:
        params = pika.URLParameters(self.url)
        params.connection_attempts = 1
        params.socket_timeout = 3
        params.heartbeat = 10
        return params

    def connect(self) -> None:
        """Open a connection and channel in confirm mode and declare the durable queue."""
        self._conn = pika.BlockingConnection(self._params())
        self._channel = self._conn.channel()
        self._channel.confirm_delivery()
        self._channel.queue_declare(queue=self.queue, durable=True)

    def _reconnect(self) -> None:
        self.close_connection()
        delay, deadline = 0.2, time.monotonic() + self.reconnect_timeout_s
        while True:
            try:
                self.connect()
                self.reconnects += 1
                return
            except _CONNECTION_LOST as exc:
                if time.monotonic() + delay > deadline:
                    raise UnreachableError(f"broker client could not reconnect within "
                                           f"{self.reconnect_timeout_s:g} s: {type(exc).__name__}") from None
                time.sleep(delay)  # backoff between reconnect attempts, bounded by the deadline
                delay = min(delay * 2, 2.0)

    def publish(self, count: int) -> list[str]:
        """Publish ``count`` messages, each retried over reconnects until confirmed; returns their ids."""
        ids = []
        for _ in range(count):
            message_id = uuid.uuid4().hex
            while True:
                try:
                    if self._channel is None or not self._channel.is_open:
                        self._reconnect()
                    self._channel.basic_publish(
                        "", self.queue, message_id.encode(),
                        pika.BasicProperties(delivery_mode=2, message_id=message_id), mandatory=True)
                    break  # basic_publish returns only once the broker confirmed it
                except _CONNECTION_LOST:
                    self._reconnect()
            self.confirmed.append(message_id)
            ids.append(message_id)
        return ids

    def queued_ids(self) -> list[str]:
        """Every message body on the queue, taken with a fresh connection (acked: this drains it)."""
        conn = pika.BlockingConnection(self._params())
        try:
            channel = conn.channel()
            bodies = []
            while True:
                method, _, body = channel.basic_get(self.queue, auto_ack=True)
                if method is None:
                    return bodies
                bodies.append(body.decode())
        finally:
            conn.close()

    def close_connection(self) -> None:
        """Close the client's connection if it is still open (best effort: it may be dead already)."""
        conn, self._conn, self._channel = self._conn, None, None
        if conn is not None and conn.is_open:
            try:
                conn.close()
            except _CONNECTION_LOST:
                log.debug("broker client connection was already gone")

    def delete_queue(self) -> None:
        """Remove the client's queue (cleanup)."""
        conn = pika.BlockingConnection(self._params())
        try:
            conn.channel().queue_delete(queue=self.queue)
        finally:
            conn.close()


def lost_confirmed(client: ConfirmingClient, timeout_s: float, interval_s: float = 0.2) -> list[str]:
    """Confirmed message ids that do not show up on the queue within the deadline (empty: none lost)."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout_s
    while True:
        seen.update(client.queued_ids())
        missing = [m for m in client.confirmed if m not in seen]
        if not missing or time.monotonic() >= deadline:
            return missing
        time.sleep(interval_s)  # poll interval of a bounded wait
