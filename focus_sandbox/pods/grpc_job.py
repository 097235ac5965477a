"""The streaming pod of a job: serves ``pandadatastream.DataStreamService`` over plaintext gRPC.

A client calls ``StreamData(stream_id)`` for one of the job's streams and receives ``DataStream``
frames (contract section 16). The sandbox's frame layout (the real one is an open question):

* ``start_channel``/``end_channel``: the channel group of the stream (``channel_to_stream_index``);
* ``data_shape_x`` = channels of the frame, ``data_shape_y`` = frequency bins (1 for waterfall),
  ``data_shape_z`` = rows in the frame; ``main_data`` holds one entry of x*y float32 per row;
* ``row_index`` and ``timestamp_in_milis``, one per row: a live job's rows follow the wall clock,
  one every LINES_DT seconds since the pod started; a historic job plays its window from the start
  for each caller and then ends the call;
* ``global_maximum``/``global_minimum``: the range of the synthetic values.

The process exits 0 once nobody has been streaming for IDLE_TIMEOUT_S (a watcher keeps it alive),
and on SIGTERM. Rows are built at the first call, so an idle job stays small.

Env: JOB_ID, STREAM_HOST, STREAM_PORT, IDLE_TIMEOUT_S, LINES_DT, STREAM_GROUPS (JSON list of
[first, last] channels per stream id), FREQUENCY_BINS, HISTORIC_START_MS and HISTORIC_WINDOW_S (a
historic job only), STREAM_FAULTS (comma-separated stream defect switches, see focus_sandbox.defects).
"""
from __future__ import annotations

import array
import json
import math
import os
import signal
import sys
import threading
import time
from concurrent import futures
from dataclasses import dataclass

import grpc

from focus_datastream import pandadatastream_pb2 as pb
from focus_datastream import pandadatastream_pb2_grpc as pb_grpc

MIN_LINES_DT = 0.0005       # a lax-validated job can carry a zero or negative lines_dt
MIN_FRAME_GAP_S = 0.02      # fast views batch rows instead of sending hundreds of frames a second
MAX_ROWS_PER_FRAME = 256
MAX_FRAME_BYTES = 4 << 20   # well under the clients' 50 MB message limit
MAX_MESSAGE_BYTES = 50 << 20
CACHE_BYTES = 8 << 20       # distinct synthetic rows kept per stream (a big view cycles fewer rows)
PATTERN_FLOATS = 4096       # values computed per row; longer rows repeat the pattern
MAX_ROW_FLOATS = 8_000_000  # 32 MB per row: bounded even for a lax-validated huge view
WORKERS = 16                # concurrent StreamData calls served


@dataclass(frozen=True)
class Settings:
    """What the orchestrator told this pod through its environment."""

    job_id: str
    host: str
    port: int
    idle_timeout_s: float
    lines_dt: float
    groups: tuple[tuple[int, int], ...]
    bins: int
    historic_start_ms: int | None
    historic_rows: int
    faults: frozenset[str]

    @classmethod
    def from_env(cls, env: dict[str, str]) -> "Settings":
        lines_dt = max(float(env.get("LINES_DT", "0.1")), MIN_LINES_DT)
        window = float(env.get("HISTORIC_WINDOW_S", "0") or 0)
        start = env.get("HISTORIC_START_MS")
        groups = tuple((int(a), int(b)) for a, b in json.loads(env.get("STREAM_GROUPS", "[[1, 1]]"))) or ((1, 1),)
        return cls(job_id=env.get("JOB_ID", "?"), host=env.get("STREAM_HOST", "127.0.0.1"),
                   port=int(env["STREAM_PORT"]), idle_timeout_s=float(env.get("IDLE_TIMEOUT_S", "50")),
                   lines_dt=lines_dt, groups=groups, bins=max(1, int(env.get("FREQUENCY_BINS", "1"))),
                   historic_start_ms=int(start) if start else None,
                   historic_rows=max(1, math.ceil(window / lines_dt)) if start else 0,
                   faults=frozenset(f for f in env.get("STREAM_FAULTS", "").split(",") if f))

    def fault(self, name: str) -> bool:
        return name in self.faults


class Watchers:
    """Counts running StreamData calls and how long nobody has been watching."""

    def __init__(self, ignore_watchers: bool):
        self._lock = threading.Lock()
        self._count = 0
        self._idle_since = time.monotonic()
        self._ignore = ignore_watchers  # stream_watched_job_idles_out: the idle clock never stops

    def enter(self) -> None:
        with self._lock:
            self._count += 1

    def leave(self) -> None:
        with self._lock:
            self._count -= 1
            if not self._ignore:
                self._idle_since = time.monotonic()

    def idle_for(self) -> float:
        with self._lock:
            if self._count and not self._ignore:
                return 0.0
            return time.monotonic() - self._idle_since


class Watch:
    """One StreamData call: counted as a watcher from its start until it ends (once, however it ends)."""

    def __init__(self, watchers: Watchers, who: str):
        self.watchers, self.who = watchers, who
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        watchers.enter()
        log(f"{who}: watching")

    def end(self) -> None:
        with self._lock:
            if self.stopped.is_set():
                return
            self.stopped.set()
        self.watchers.leave()
        log(f"{self.who}: left")


class Rows:
    """Synthetic spectrogram rows of one stream, built once and cycled."""

    def __init__(self, floats: int):
        floats = max(1, min(floats, MAX_ROW_FLOATS))
        count = max(1, min(32, CACHE_BYTES // (4 * floats)))
        width = min(floats, PATTERN_FLOATS)
        self.rows: list[bytes] = []
        low, high = math.inf, -math.inf
        for r in range(count):
            # two ripples drifting with time; their phases make whole turns over the cycle, so it loops smoothly
            turn = 2 * math.pi * r / count
            base = array.array("f", (1.0 + 0.5 * math.sin(0.15 * k + 2 * turn) + 0.4 * math.sin(0.031 * k - turn)
                                     for k in range(width)))
            low, high = min(low, min(base)), max(high, max(base))
            row = (base * (floats // width + 1))[:floats]
            if sys.byteorder != "little":
                row.byteswap()
            self.rows.append(row.tobytes())
        self.minimum, self.maximum = low, high

    def row(self, index: int) -> bytes:
        return self.rows[index % len(self.rows)]


class DataStreamService(pb_grpc.DataStreamServiceServicer):
    """StreamData for every stream of the job."""

    def __init__(self, settings: Settings, watchers: Watchers, started_at: float):
        self.settings = settings
        self.watchers = watchers
        self.started_at = started_at  # epoch seconds: live row 0
        self._rows: dict[int, Rows] = {}
        self._lock = threading.Lock()

    def rows(self, stream_id: int) -> Rows:
        first, last = self.settings.groups[stream_id]
        with self._lock:
            if stream_id not in self._rows:
                self._rows[stream_id] = Rows((last - first + 1) * self.settings.bins)
            return self._rows[stream_id]

    def StreamData(self, request, context):  # noqa: N802 (the gRPC method name)
        s = self.settings
        if not 0 <= request.stream_id < len(s.groups):
            context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                          f"stream_id {request.stream_id} is not one of the job's {len(s.groups)} streams")
        watch = Watch(self.watchers, f"{context.peer()} on stream {request.stream_id}")
        # the callback runs when the call ends for any reason (client gone, deadline, stream played)
        if not context.add_callback(watch.end):
            watch.end()
        try:
            if s.fault("stream_never_sends"):
                while not watch.stopped.wait(1.0):
                    pass  # connected, accepted, silent
                return
            yield from self._frames(request.stream_id, watch.stopped)
        finally:
            watch.end()

    def _frames(self, stream_id: int, stop: threading.Event):
        s = self.settings
        rows = self.rows(stream_id)
        first, last = s.groups[stream_id]
        if s.fault("stream_frames_outside_range"):
            shift = max(b for _, b in s.groups) - min(a for a, _ in s.groups) + 1
            first, last = first + shift, last + shift  # just past the configured range
        row_bytes = 4 * (last - first + 1) * s.bins
        per_frame = max(1, min(MAX_ROWS_PER_FRAME, MAX_FRAME_BYTES // max(1, row_bytes)))
        connected = time.time()
        if s.historic_start_ms is None:
            origin, next_row, end_row = self.started_at, self._live_row(connected), None
            base_ms = self.started_at * 1000
        else:
            origin, next_row, end_row = connected, 0, s.historic_rows
            base_ms = s.historic_start_ms
        frozen = next_row
        while not stop.is_set():
            due = math.floor((time.time() - origin) / s.lines_dt) + 1  # rows whose time has come
            if end_row is not None:
                due = min(due, end_row)
            count = min(due - next_row, per_frame)
            if count > 0:
                indices = list(range(next_row, next_row + count))
                yield pb.DataStream(
                    start_channel=first, end_channel=last, data_shape_x=last - first + 1, data_shape_y=s.bins,
                    data_shape_z=count, global_maximum=rows.maximum, global_minimum=rows.minimum,
                    job_id=_job_number(s.job_id),
                    row_index=[frozen] * count if s.fault("stream_row_index_frozen") else indices,
                    timestamp_in_milis=[int(base_ms + i * s.lines_dt * 1000) for i in indices],
                    main_data=[] if s.fault("stream_empty_payloads") else [rows.row(i) for i in indices])
                next_row += count
            if end_row is not None and next_row >= end_row:
                return  # the historic window has been played: the call ends with OK
            wait = max(MIN_FRAME_GAP_S, origin + next_row * s.lines_dt - time.time())
            stop.wait(wait)

    def _live_row(self, at: float) -> int:
        return max(0, math.floor((at - self.started_at) / self.settings.lines_dt))


def _job_number(job_id: str) -> int:
    """The job id's sequence part as the frame's int32 job_id (ids look like "<gen>-<seq>")."""
    tail = job_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() and int(tail) < 2 ** 31 else 0


def log(message: str) -> None:
    """One line on stdout (the pod log)."""
    print(f"{time.strftime('%H:%M:%S')} grpc-job {os.environ.get('JOB_ID', '?')}: {message}", flush=True)


def serve(settings: Settings) -> grpc.Server:
    """Start the gRPC server on the job's port (plaintext)."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="stream"),
        maximum_concurrent_rpcs=WORKERS,
        options=[("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                 ("grpc.so_reuseport", 0),  # a port taken by another job must fail here, not be shared
                 ("grpc.keepalive_permit_without_calls", 1),
                 ("grpc.http2.min_recv_ping_interval_without_data_ms", 10_000)])
    watchers = Watchers(ignore_watchers=settings.fault("stream_watched_job_idles_out"))
    service = DataStreamService(settings, watchers, started_at=time.time())
    pb_grpc.add_DataStreamServiceServicer_to_server(service, server)
    server.add_insecure_port(f"{settings.host}:{settings.port}")
    server.start()
    server.watchers = watchers  # type: ignore[attr-defined]
    return server


def main() -> int:
    """Serve STREAM_PORT until idle or terminated."""
    settings = Settings.from_env(dict(os.environ))

    def on_sigterm(_signum, _frame):
        log("SIGTERM: stopping")
        os._exit(0)
    signal.signal(signal.SIGTERM, on_sigterm)

    server = serve(settings)
    kind = "historic" if settings.historic_start_ms is not None else "live"
    log(f"{kind} job: {len(settings.groups)} stream(s) {list(settings.groups)}, {settings.bins} bin(s), "
        f"a row every {settings.lines_dt:g} s, gRPC on {settings.host}:{settings.port}")
    done = threading.Event()
    while not done.wait(0.2):  # checks the idle rule five times a second
        if server.watchers.idle_for() >= settings.idle_timeout_s:
            done.set()
    log(f"nobody watching for {settings.idle_timeout_s:g} s: exiting")
    server.stop(grace=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
