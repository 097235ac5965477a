"""A client of a job's data stream: ``pandadatastream.DataStreamService/StreamData``, plaintext gRPC.

Dialled as the product's own clients do (contract section 16): ``stream_url`` without its scheme,
``stream_port``, 50 MB messages, keepalive every 30 s with a 10 s timeout. Whose problem a failure is
follows where it happens:

* the channel never becomes ready -> ``UnreachableError`` naming host:port (test infrastructure);
* the call was made but sends nothing, too little, something that does not decode, or ends while
  it should go on -> a :class:`ProductFailure` with a ``stream.*`` finding (the product's fault).

A :class:`StreamWatch` reads frames on a thread of its own while the caller polls its state with a
deadline, so a scenario can watch a stream and look at the job at the same time.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import grpc

from focus_datastream import pandadatastream_pb2 as pb
from focus_datastream import pandadatastream_pb2_grpc as pb_grpc
from focus_support.errors import UnreachableError
from focus_support.streaming.frames import Frame, decode
from focus_support.verdict.findings import ProductFailure, fail
from focus_support.waiting import wait_until

MAX_MESSAGE_BYTES = 50 * 1024 * 1024
KEEPALIVE_TIME_MS = 30_000
KEEPALIVE_TIMEOUT_MS = 10_000
CONNECT_TIMEOUT_S = 10.0
CALL_DEADLINE_S = 900.0      # a bound on any one watch; scenarios end theirs long before
POLL_S = 0.05
CLOSE_JOIN_S = 5.0

CHANNEL_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.keepalive_time_ms", KEEPALIVE_TIME_MS),
    ("grpc.keepalive_timeout_ms", KEEPALIVE_TIMEOUT_MS),
    ("grpc.enable_http_proxy", 0),  # the job's node address is dialled directly, never through a proxy
)


def stream_address(stream_url: str, stream_port: int | str) -> tuple[str, int]:
    """(host, port) of a job's stream: the scheme (and any path) of ``stream_url`` dropped, ``stream_port`` used."""
    url = str(stream_url).strip()
    if not url:
        raise ValueError("the job's stream_url is empty")
    host = urlsplit(url if "://" in url else f"//{url}").hostname
    if not host:
        raise ValueError(f"no host in stream_url {stream_url!r}")
    return host, int(str(stream_port).strip())


def stream_target(stream_url: str, stream_port: int | str) -> str:
    """``host:port`` to dial (gRPC's form: an IPv6 host in brackets)."""
    host, port = stream_address(stream_url, stream_port)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(frozen=True)
class StreamEnd:
    """How a call ended: its gRPC status, when, and whether this client ended it."""

    code: str
    details: str
    after_s: float
    by_client: bool

    @property
    def completed(self) -> bool:
        """The server finished the stream itself (status OK)."""
        return self.code == "OK"

    def describe(self) -> str:
        who = "closed by the client" if self.by_client else f"ended by the server: {self.code}"
        return f"{who} after {self.after_s:.2f} s" + (f" ({self.details})" if self.details else "")


class StreamWatch:
    """One StreamData call of one stream, read in the background; ``close()`` ends it."""

    def __init__(self, target: str, stream_id: int = 0, *, connect_timeout_s: float = CONNECT_TIMEOUT_S,
                 deadline_s: float = CALL_DEADLINE_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.target = target
        self.stream_id = stream_id
        self.connect_timeout_s = connect_timeout_s
        self.deadline_s = deadline_s
        self._clock = clock
        self._lock = threading.Lock()
        self._frames: list[Frame] = []
        self._end: StreamEnd | None = None
        self._reader_error: BaseException | None = None
        self._closing = False
        self._channel: grpc.Channel | None = None
        self._call: Any = None
        self._thread: threading.Thread | None = None
        self.connected_at: float | None = None

    # --- lifecycle -------------------------------------------------------------------------
    def open(self) -> "StreamWatch":
        """Connect (UnreachableError if the channel never gets ready) and start reading frames (once)."""
        if self._channel is not None:
            return self
        self._channel = grpc.insecure_channel(self.target, options=list(CHANNEL_OPTIONS))
        try:
            grpc.channel_ready_future(self._channel).result(timeout=self.connect_timeout_s)
        except grpc.FutureTimeoutError:
            self._channel.close()
            raise UnreachableError(f"cannot connect to the job's data stream at {self.target} (plaintext gRPC) "
                                   f"within {self.connect_timeout_s:g} s") from None
        self.connected_at = self._clock()
        stub = pb_grpc.DataStreamServiceStub(self._channel)
        self._call = stub.StreamData(pb.StreamDataRequest(stream_id=self.stream_id), timeout=self.deadline_s)
        self._thread = threading.Thread(target=self._read, name=f"stream-{self.target}-{self.stream_id}",
                                        daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Cancel the call (if still running) and close the channel; safe to call twice."""
        with self._lock:
            self._closing = True
        if self._call is not None:
            self._call.cancel()
        if self._thread is not None:
            self._thread.join(CLOSE_JOIN_S)
        if self._channel is not None:
            self._channel.close()

    def __enter__(self) -> "StreamWatch":
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self) -> None:
        try:
            for message in self._call:
                frame = decode(message, self.elapsed_s())
                with self._lock:
                    self._frames.append(frame)
            self._finish("OK", "")
        except grpc.RpcError as exc:
            self._finish(exc.code().name, exc.details() or "")
        except Exception as exc:  # our own decoding failed: kept and re-raised to the waiting caller
            with self._lock:
                self._reader_error = exc

    def _finish(self, code: str, details: str) -> None:
        with self._lock:
            self._end = StreamEnd(code, details, self.elapsed_s(), by_client=self._closing and code == "CANCELLED")

    # --- state -----------------------------------------------------------------------------
    def elapsed_s(self) -> float:
        return 0.0 if self.connected_at is None else self._clock() - self.connected_at

    @property
    def frames(self) -> list[Frame]:
        """Every frame received so far (a copy)."""
        with self._lock:
            return list(self._frames)

    @property
    def ended(self) -> StreamEnd | None:
        """How the call ended, or None while it runs."""
        with self._lock:
            return self._end

    def _raise_reader_error(self) -> None:
        with self._lock:
            error = self._reader_error
        if error is not None:
            raise error

    def describe(self) -> str:
        frames = self.frames
        rows = sum(f.rows for f in frames)
        end = self.ended
        state = end.describe() if end else f"open for {self.elapsed_s():.2f} s"
        return f"stream {self.stream_id} at {self.target}: {len(frames)} frame(s), {rows} row(s), {state}"

    # --- waiting ---------------------------------------------------------------------------
    def wait_for_frames(self, count: int, timeout_s: float, *, rows: int = 0) -> list[Frame]:
        """Wait until ``count`` frames with a non-zero shape (and ``rows`` rows in them) have arrived.

        A stream that ends first, or has not sent them by the deadline, is a product failure.
        """
        def enough() -> bool:
            shaped = [f for f in self.frames if f.has_shape]
            return (len(shaped) >= count and sum(f.rows for f in shaped) >= rows) or self.ended is not None

        self._poll(enough, timeout_s)
        shaped = [f for f in self.frames if f.has_shape]
        if len(shaped) >= count and sum(f.rows for f in shaped) >= rows:
            return self.frames
        wanted = f"at least {count} frames with a non-zero shape" + (f" and {rows} rows" if rows else "")
        seen = "none" if not self.frames else ("no shaped frame" if not shaped else f"{len(shaped)} shaped frames")
        end = self.ended
        why = f"the stream {end.describe()}" if end else f"the stream sent too little within {timeout_s:.1f} s"
        raise fail(f"expected {wanted} on stream {self.stream_id} of {self.target}; {why}; "
                   f"seen: {self.describe()}", "stream.frames", wanted, seen if not end else f"ended {end.code}",
                   last_state=self.frames)

    def watch_for(self, duration_s: float) -> StreamEnd | None:
        """Keep watching for ``duration_s`` (returns early if the stream ends); returns how it ended, if it did."""
        until = self.elapsed_s() + duration_s
        self._poll(lambda: self.ended is not None or self.elapsed_s() >= until, duration_s + 1.0)
        return self.ended

    def wait_until_ended(self, timeout_s: float) -> StreamEnd:
        """Wait for the server to end the call; still streaming at the deadline is a product failure."""
        self._poll(lambda: self.ended is not None, timeout_s)
        end = self.ended
        if end is None:
            raise fail(f"expected stream {self.stream_id} of {self.target} to end by itself within {timeout_s:.1f} s; "
                       f"seen: {self.describe()}", "stream.end", "ended", "still streaming", last_state=self.frames)
        return end

    def _poll(self, condition: Callable[[], bool], timeout_s: float) -> None:
        """Poll until the condition holds or the deadline passes (the caller judges the state)."""
        def holds() -> bool:
            self._raise_reader_error()
            return condition()

        try:
            wait_until(holds, timeout_s, POLL_S, f"stream {self.stream_id} of {self.target}",
                       on_timeout=lambda message, state: _Deadline(message))
        except _Deadline:
            pass  # the state at the deadline is judged by the caller, with its own message


class _Deadline(Exception):
    """The polling deadline passed (internal: the caller reports what it saw)."""


__all__ = ["StreamWatch", "StreamEnd", "stream_target", "ProductFailure", "MAX_MESSAGE_BYTES",
           "KEEPALIVE_TIME_MS", "KEEPALIVE_TIMEOUT_MS"]
