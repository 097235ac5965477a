"""RabbitMQ operations of the server: per-job queues and alert publishing.

Each operation opens its own short-lived connection: the server then survives a broker restart
without any reconnect logic, and a down broker fails fast (short socket/connection timeouts).
Under the broker_connection_not_reopened switch it instead keeps the first connection it opened
and never replaces it once the broker drops it.
"""
from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager

import pika
import pika.exceptions

ALERT_EXCHANGE = "prisma"
ALERT_ROUTING_KEY = "Algorithm.AlertReport"
WRONG_ROUTING_KEY = "Algorithm.Alert"  # alerts_published_on_wrong_routing_key


class BrokerError(Exception):
    """The broker could not be reached or refused an operation (message never holds credentials)."""


class Broker:
    """Declare/delete queues and publish alerts on the private broker."""

    def __init__(self, url: str, timeout_s: float = 2.0, keep_one_connection: bool = False):
        self.url = url
        self.timeout = timeout_s
        self.keep_one_connection = keep_one_connection
        self._kept = None  # the one connection of keep_one_connection, once opened
        self._kept_lost = False
        self._kept_lock = threading.Lock()  # a BlockingConnection is not thread-safe

    def _params(self) -> pika.URLParameters:
        params = pika.URLParameters(self.url)
        params.socket_timeout = self.timeout
        params.blocked_connection_timeout = self.timeout
        params.connection_attempts = 1
        params.stack_timeout = self.timeout * 2
        return params

    def connect_early(self, within_s: float = 60.0) -> None:
        """Open the kept connection in the background as soon as the broker accepts it (keep_one_connection only).

        The server may start before the broker does; the kept connection is the first one that works.
        """
        if not self.keep_one_connection:
            return

        def connect() -> None:
            deadline = time.monotonic() + within_s
            while time.monotonic() < deadline:
                with self._kept_lock:
                    self._open_kept()
                    if self._kept is not None or self._kept_lost:
                        return
                time.sleep(0.5)  # poll interval while the broker starts
        threading.Thread(target=connect, name="broker-kept-connection", daemon=True).start()

    def _open_kept(self) -> None:
        if self._kept is None and not self._kept_lost:
            params = self._params()
            params.heartbeat = 0  # the kept connection must not die of idleness, only of a reset
            try:
                self._kept = pika.BlockingConnection(params)
            except (pika.exceptions.AMQPError, OSError, ValueError):
                self._kept = None

    @contextmanager
    def _kept_channel(self):
        with self._kept_lock:
            self._open_kept()
            if self._kept is None or self._kept_lost or self._kept.is_closed:
                self._kept_lost = self._kept_lost or self._kept is not None
                raise BrokerError("RabbitMQ connection lost and never reopened" if self._kept_lost
                                  else "RabbitMQ unreachable")
            try:
                channel = self._kept.channel()
                yield channel
                channel.close()
            except (pika.exceptions.AMQPError, OSError) as exc:
                # a channel-level error leaves the connection usable; only a dead connection is "lost"
                self._kept_lost = self._kept.is_closed or isinstance(
                    exc, (pika.exceptions.AMQPConnectionError, OSError))
                raise BrokerError(f"RabbitMQ operation failed on the kept connection: {type(exc).__name__}") from None

    def close(self) -> None:
        """Close the kept connection, if any."""
        with self._kept_lock:
            if self._kept is not None and self._kept.is_open:
                try:
                    self._kept.close()
                except (pika.exceptions.AMQPError, OSError):
                    pass  # already broken

    @contextmanager
    def _channel(self):
        if self.keep_one_connection:
            with self._kept_channel() as channel:
                yield channel
            return
        try:
            conn = pika.BlockingConnection(self._params())
        except (pika.exceptions.AMQPError, OSError, ValueError) as exc:
            raise BrokerError(f"RabbitMQ unreachable: {type(exc).__name__}") from None
        try:
            yield conn.channel()
        except (pika.exceptions.AMQPError, OSError) as exc:
            raise BrokerError(f"RabbitMQ operation failed: {type(exc).__name__} {exc}") from None
        finally:
            try:
                conn.close()
            except (pika.exceptions.AMQPError, OSError):
                pass  # the connection is already broken; nothing left to release

    def declare_queue(self, name: str) -> None:
        """Declare a non-durable, non-auto-delete queue."""
        with self._channel() as ch:
            ch.queue_declare(queue=name, durable=False, auto_delete=False)

    def delete_queue(self, name: str) -> None:
        """Delete a queue (no error if it is already gone)."""
        with self._channel() as ch:
            ch.queue_delete(queue=name)

    def publish_alerts(self, messages: list[dict], routing_key: str = ALERT_ROUTING_KEY) -> None:
        """Publish each message on the alert exchange with publisher confirms."""
        with self._channel() as ch:
            ch.exchange_declare(exchange=ALERT_EXCHANGE, exchange_type="topic", durable=True)
            ch.confirm_delivery()
            props = pika.BasicProperties(content_type="application/json", delivery_mode=2)
            for msg in messages:
                ch.basic_publish(ALERT_EXCHANGE, routing_key, json.dumps(msg).encode(), props)
