"""A pika connection that comes back: heartbeats, bounded reconnect with backoff, topology re-declared.

Seed section 1.5 saw ``ConnectionResetError`` mid-run. Anything that means "the connection is gone"
(reset, lost stream, broker restart, closed by broker) makes the next use reconnect with exponential
backoff and jitter until ``reconnect_timeout_s``; then ``UnreachableError``. After each (re)connect
the owner's ``declare`` callback re-creates what it needs (exchange, queues, bindings).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import pika
import tenacity
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import (
    AMQPConnectionError, AuthenticationError, ChannelWrongStateError, ProbableAccessDeniedError,
    ProbableAuthenticationError, StreamLostError,
)

from focus_support.errors import MisconfiguredError, UnreachableError

log = logging.getLogger(__name__)

# Everything that means the connection or channel is unusable and a fresh one may work.
CONNECTION_LOST: tuple[type[BaseException], ...] = (
    AMQPConnectionError, StreamLostError, ChannelWrongStateError, ConnectionError, OSError,
)
# ...except refused credentials: retrying those only delays a configuration error.
CREDENTIALS_REFUSED = (ProbableAuthenticationError, ProbableAccessDeniedError, AuthenticationError)


def is_connection_lost(exc: BaseException) -> bool:
    """True for failures a reconnect can cure."""
    return isinstance(exc, CONNECTION_LOST) and not isinstance(exc, CREDENTIALS_REFUSED)


def connection_parameters(url: str, heartbeat_s: int = 30, timeout_s: float = 5.0,
                          name: str | None = None) -> pika.URLParameters:
    """``URLParameters`` with heartbeats and short socket/connection timeouts (one attempt: we retry).

    ``name`` shows as the connection's name in the broker's management API (to find it there).
    """
    params = pika.URLParameters(url)
    if name:
        params.client_properties = {"connection_name": name}
    params.heartbeat = heartbeat_s
    params.blocked_connection_timeout = max(timeout_s * 6, 30)
    params.socket_timeout = timeout_s
    params.stack_timeout = timeout_s * 2
    params.connection_attempts = 1
    return params


@dataclass
class ConnectionStats:
    """How this process's broker connections fared, for the run's analysis ("RabbitMQ Connection" row)."""

    connects: int = 0
    reconnects: int = 0           # a lost connection replaced by a new one
    gave_up: int = 0              # reconnecting did not succeed within the deadline

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


STATS = ConnectionStats()


class ResilientConnection:
    """Owns one ``BlockingConnection`` and channel; ``run(fn)`` retries ``fn(channel)`` across reconnects."""

    def __init__(self, url: str, declare: Callable[[BlockingChannel], None] | None = None, *,
                 heartbeat_s: int = 30, reconnect_timeout_s: float = 30.0, initial_backoff_s: float = 0.2,
                 max_backoff_s: float = 3.0, confirm: bool = False, connection_name: str | None = None) -> None:
        self.params = connection_parameters(url, heartbeat_s, name=connection_name)
        self.declare = declare
        self.reconnect_timeout_s = reconnect_timeout_s
        self.initial_backoff_s = initial_backoff_s
        self.max_backoff_s = max_backoff_s
        self.confirm = confirm
        self.connection: pika.BlockingConnection | None = None
        self.channel: BlockingChannel | None = None
        self.connects = 0

    @property
    def reconnects(self) -> int:
        """How many times a lost connection was replaced."""
        return max(0, self.connects - 1)

    def _open(self) -> BlockingChannel:
        self._drop()
        connection = pika.BlockingConnection(self.params)
        channel = connection.channel()
        if self.confirm:
            channel.confirm_delivery()
        if self.declare is not None:
            self.declare(channel)
        self.connection, self.channel = connection, channel
        self.connects += 1
        STATS.connects += 1
        if self.connects > 1:
            STATS.reconnects += 1
        return channel

    def _retrying(self) -> tenacity.Retrying:
        return tenacity.Retrying(
            retry=tenacity.retry_if_exception(is_connection_lost),
            wait=tenacity.wait_exponential_jitter(initial=self.initial_backoff_s, max=self.max_backoff_s),
            stop=tenacity.stop_after_delay(self.reconnect_timeout_s),
            before_sleep=lambda s: log.warning("rabbitmq: %s; reconnecting", s.outcome.exception() if s.outcome else "?"),
            reraise=True,
        )

    def ensure(self) -> BlockingChannel:
        """An open channel, connecting (with backoff) when there is none."""
        if self.channel is not None and self.channel.is_open and self.connection and self.connection.is_open:
            return self.channel
        try:
            return self._retrying()(self._open)
        except CREDENTIALS_REFUSED as exc:
            raise MisconfiguredError(f"rabbitmq {self._where()} refused the credentials: {exc!r}") from exc
        except CONNECTION_LOST as exc:
            STATS.gave_up += 1
            raise UnreachableError(f"rabbitmq {self._where()} unreachable for {self.reconnect_timeout_s:g} s: "
                                   f"{type(exc).__name__}: {exc}") from exc

    def run(self, action: Callable[[BlockingChannel], Any]) -> Any:
        """Call ``action(channel)``; on a lost connection reconnect, re-declare and call it again."""
        def attempt() -> Any:
            channel = self.ensure()
            try:
                return action(channel)
            except CONNECTION_LOST as exc:
                if is_connection_lost(exc):
                    self._drop()
                raise

        try:
            return self._retrying()(attempt)
        except UnreachableError:
            raise
        except CREDENTIALS_REFUSED as exc:
            raise MisconfiguredError(f"rabbitmq {self._where()} refused the credentials: {exc!r}") from exc
        except CONNECTION_LOST as exc:
            STATS.gave_up += 1
            raise UnreachableError(f"rabbitmq {self._where()}: gave up after {self.reconnect_timeout_s:g} s: "
                                   f"{type(exc).__name__}: {exc}") from exc

    def _where(self) -> str:
        return f"{self.params.host}:{self.params.port}"

    def _drop(self) -> None:
        connection, self.connection, self.channel = self.connection, None, None
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except Exception:  # it is already broken; closing is best effort
                log.debug("closing a broken connection failed", exc_info=True)

    def close(self) -> None:
        """Close the connection."""
        self._drop()
