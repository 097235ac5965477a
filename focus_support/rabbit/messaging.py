"""Publisher with confirms and a consumer, both surviving resets and broker restarts (seed section 1.5)."""
from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pika
from pika.adapters.blocking_connection import BlockingChannel

from focus_support.waiting import ProductTimeoutError

from .connection import ResilientConnection

PRISMA_EXCHANGE = "prisma"
ALERT_BINDING = "Algorithm.AlertReport.#"  # '#' also matches the bare key Algorithm.AlertReport


@dataclass(frozen=True)
class Message:
    """One delivered message."""

    exchange: str
    routing_key: str
    body: bytes
    headers: dict[str, Any] = field(default_factory=dict)
    message_id: str | None = None

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    def __str__(self) -> str:
        return f"{self.routing_key}: {self.body[:200]!r}"


def _declare_exchange(channel: BlockingChannel, exchange: str) -> None:
    channel.exchange_declare(exchange=exchange, exchange_type="topic", durable=True)


class Publisher:
    """Publishes with publisher confirms; a message counts as sent only once the broker confirmed it.

    When the connection is lost before the confirm arrives the message is published again after
    reconnecting, so delivery is at least once (consumers may see a duplicate, never a loss).
    """

    def __init__(self, url: str, exchange: str = PRISMA_EXCHANGE, *, declare_exchange: bool = True,
                 **connection_options: Any) -> None:
        self.exchange = exchange
        self.conn = ResilientConnection(
            url, (lambda ch: _declare_exchange(ch, exchange)) if declare_exchange else None, confirm=True,
            **connection_options)
        self.confirmed = 0

    def publish(self, routing_key: str, body: bytes | str | dict[str, Any] | list[Any], *,
                headers: dict[str, Any] | None = None, message_id: str | None = None) -> str:
        """Publish and wait for the broker's confirm; returns the message id."""
        payload = body if isinstance(body, bytes) else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
        message_id = message_id or uuid.uuid4().hex
        props = pika.BasicProperties(content_type="application/json", delivery_mode=2, message_id=message_id,
                                     headers=headers or {})
        self.conn.run(lambda ch: ch.basic_publish(self.exchange, routing_key, payload, props))
        self.confirmed += 1
        return message_id

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


class Consumer:
    """Consumes from a queue bound to an exchange; re-declares queue and bindings after a reconnect.

    With no ``queue`` name a server-named exclusive queue is used (a temporary listener): messages
    published while the connection is down are not seen by it; a named durable queue keeps them.
    """

    def __init__(self, url: str, binding_keys: list[str], exchange: str = PRISMA_EXCHANGE, *,
                 queue: str | None = None, durable: bool = False, **connection_options: Any) -> None:
        self.exchange = exchange
        self.binding_keys = binding_keys
        self.queue_name = queue or ""
        self.durable = durable
        self.messages: list[Message] = []
        self._consumer_tag: str | None = None
        self.conn = ResilientConnection(url, self._declare, **connection_options)

    def _declare(self, channel: BlockingChannel) -> None:
        _declare_exchange(channel, self.exchange)
        temporary = not self.durable
        result = channel.queue_declare(queue=self.queue_name if self.durable else "", durable=self.durable,
                                       exclusive=temporary, auto_delete=temporary)
        self.queue = result.method.queue
        for key in self.binding_keys:
            channel.queue_bind(queue=self.queue, exchange=self.exchange, routing_key=key)
        self._consumer_tag = channel.basic_consume(self.queue, self._on_message, auto_ack=False)

    def _on_message(self, channel: BlockingChannel, method: Any, props: Any, body: bytes) -> None:
        self.messages.append(Message(method.exchange, method.routing_key, body, dict(props.headers or {}),
                                     props.message_id))
        channel.basic_ack(method.delivery_tag)

    def start(self) -> "Consumer":
        """Connect and declare now, so nothing published after this call is missed."""
        self.conn.ensure()
        return self

    def poll(self, time_limit_s: float = 0.1) -> None:
        """Deliver whatever arrived within ``time_limit_s`` (reconnecting if the connection is gone)."""
        self.conn.run(lambda ch: ch.connection.process_data_events(time_limit=time_limit_s))

    def wait_for(self, predicate: Callable[[Message], bool] = lambda m: True, count: int = 1,
                 timeout_s: float = 5.0, describe: str = "matching messages") -> list[Message]:
        """Wait until ``count`` received messages match; a timeout is a product failure listing what came."""
        deadline = time.monotonic() + timeout_s
        while True:
            matching = [m for m in self.messages if predicate(m)]
            if len(matching) >= count:
                return matching
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = "; ".join(str(m) for m in self.messages[-10:]) or "none"
                raise ProductTimeoutError(
                    f"timed out after {timeout_s:g} s waiting for {count} {describe} on exchange '{self.exchange}' "
                    f"({', '.join(self.binding_keys)}); got {len(matching)}; last messages seen: {seen}", self.messages)
            self.poll(min(0.2, remaining))

    def collect(self, duration_s: float) -> list[Message]:
        """Everything that arrives within ``duration_s`` (for "nothing is published" checks)."""
        deadline = time.monotonic() + duration_s
        while (remaining := deadline - time.monotonic()) > 0:
            self.poll(min(0.2, remaining))
        return list(self.messages)

    def close(self) -> None:
        """Close the connection (a temporary queue goes with it)."""
        self.conn.close()

    def __enter__(self) -> "Consumer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def listen_to_prisma(url: str, binding_keys: list[str] | None = None, **options: Any) -> Consumer:
    """A started temporary queue bound to ``prisma`` (default: every alert routing key)."""
    return Consumer(url, binding_keys or [ALERT_BINDING], PRISMA_EXCHANGE, **options).start()
