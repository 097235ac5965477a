"""RabbitMQ operations of the server: per-job queues and alert publishing.

Each operation opens its own short-lived connection: the server then survives a broker restart
without any reconnect logic, and a down broker fails fast (short socket/connection timeouts).
"""
from __future__ import annotations

import json
from contextlib import contextmanager

import pika
import pika.exceptions

ALERT_EXCHANGE = "prisma"
ALERT_ROUTING_KEY = "Algorithm.AlertReport"


class BrokerError(Exception):
    """The broker could not be reached or refused an operation (message never holds credentials)."""


class Broker:
    """Declare/delete queues and publish alerts on the private broker."""

    def __init__(self, url: str, timeout_s: float = 2.0):
        self.url = url
        self.timeout = timeout_s

    def _params(self) -> pika.URLParameters:
        params = pika.URLParameters(self.url)
        params.socket_timeout = self.timeout
        params.blocked_connection_timeout = self.timeout
        params.connection_attempts = 1
        params.stack_timeout = self.timeout * 2
        return params

    @contextmanager
    def _channel(self):
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

    def publish_alerts(self, messages: list[dict]) -> None:
        """Publish each message on the alert exchange with publisher confirms."""
        with self._channel() as ch:
            ch.exchange_declare(exchange=ALERT_EXCHANGE, exchange_type="topic", durable=True)
            ch.confirm_delivery()
            props = pika.BasicProperties(content_type="application/json", delivery_mode=2)
            for msg in messages:
                ch.basic_publish(ALERT_EXCHANGE, ALERT_ROUTING_KEY, json.dumps(msg).encode(), props)
