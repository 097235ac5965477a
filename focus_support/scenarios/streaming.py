"""A job's data stream as the streaming features see it (contract section 16).

Jobs start through the configuration helpers, so each is registered for cleanup the moment its id
is known; every stream watch is registered for closing the moment it is made, before it connects.
What was received is attached to the report as a frame table and a spectrogram picture, also when
the wait for it fails. Checks raise product failures with a ``stream.*`` finding.
"""
from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any

from focus_support.config.models import Timings
from focus_support.context import SuiteContext
from focus_support.errors import UnreachableError
from focus_support.models import ConfigureResponse
from focus_support.scenario_state import ScenarioState
from focus_support.scenarios import configuration as cfg, jobs, notes_of
from focus_support.streaming import Frame, StreamWatch, checks, stream_target
from focus_support.streaming.client import stream_address
from focus_support.streaming.pictures import attach_stream, frame_table
from focus_support.verdict.findings import fail

FEW_ROWS = 5          # "a few rows": enough to see indices, timestamps and payloads move on
FRAMES = 3            # the product's own client accepts a stream after 3 frames (contract 16)
HISTORIC_WINDOW_S = 3
CADENCE_TOLERANCE = 0.10  # mean row spacing within 10 % of lines_dt (int milliseconds round each stamp)
ALIVE_GAP_S = 2.0     # a watched stream is "still sending" when its last frame is this recent
HANDSHAKE_TIMEOUT_S = 2.0  # one TCP handshake; a port nobody listens on refuses at once


@dataclass
class StreamedJob:
    """One job of the scenario: the request sent, the response it got, and its stream watches."""

    body: dict[str, Any]
    response: ConfigureResponse
    watches: dict[int, StreamWatch] = field(default_factory=dict)

    @property
    def job_id(self) -> str:
        return self.response.job_id

    @property
    def channels(self) -> tuple[int, int]:
        return self.body["channels"]["min"], self.body["channels"]["max"]

    def groups(self) -> dict[int, tuple[int, int]]:
        """First and last channel of each stream id, from the job's channel_to_stream_index."""
        found: dict[int, list[int]] = {}
        for channel, stream in self.response.channel_to_stream_index.items():
            found.setdefault(stream, []).append(int(channel))
        return {s: (min(chs), max(chs)) for s, chs in sorted(found.items())}

    def label(self, stream_id: int) -> str:
        first, last = self.channels
        return f"job {self.job_id} stream {stream_id} (channels {first}-{last})"


@dataclass
class StreamingNotes:
    """What the streaming steps of one scenario hand each other."""

    jobs: list[StreamedJob] = field(default_factory=list)
    window: tuple[int, int] | None = None

    @property
    def job(self) -> StreamedJob:
        if not self.jobs:
            raise RuntimeError("no streaming job was started in this scenario (suite bug)")
        return self.jobs[-1]


def notes(state: ScenarioState) -> StreamingNotes:
    return notes_of(state, StreamingNotes)


def _timings(suite: SuiteContext) -> Any:
    return suite.environment.timings


# --- starting jobs -----------------------------------------------------------------------------
def start_job(suite: SuiteContext, state: ScenarioState, body: dict[str, Any]) -> StreamedJob:
    """Configure the view (the job is registered for cleanup on creation), require 200, wait until ready."""
    response = cfg.send_configure_body(suite, state, body)
    if response.status_code != 200 or state.configure_response is None:
        raise fail(f"expected the streaming view to be accepted with 200 and a configure response; seen "
                   f"{response.status_code}: {response.text[:500]}", "http.status", "200", str(response.status_code))
    jobs.wait_until_ready(suite, state.job_id)
    job = StreamedJob(body=body, response=state.configure_response)
    notes(state).jobs.append(job)
    return job


def start_live_job(suite: SuiteContext, state: ScenarioState, view: str, first: int, last: int,
                   **options: Any) -> StreamedJob:
    return start_job(suite, state, cfg.valid_payload(view, (first, last), **options))


def start_historic_job(suite: SuiteContext, state: ScenarioState, first: int, last: int,
                       seconds: int = HISTORIC_WINDOW_S) -> StreamedJob:
    """A multichannel job over the first ``seconds`` of the latest recording Focus Server lists."""
    start, end = cfg.recorded_period(suite)
    if end - start < seconds:
        raise fail(f"expected a recorded period of at least {seconds} s; Focus Server lists {start}-{end}",
                   "recordings.window", f">= {seconds} s", f"{end - start} s")
    notes(state).window = (start, start + seconds)
    # a short time axis: the window must stay within 30 time-axis durations (contract 2.1)
    body = cfg.valid_payload("multichannel", (first, last), start_time=start, end_time=start + seconds,
                             duration_s=seconds, height=seconds * 20)
    return start_job(suite, state, body)


def current_job(suite: SuiteContext, state: ScenarioState) -> StreamedJob:
    """The scenario's streaming job; a job configured by another area's step is taken over once ready."""
    found = notes(state)
    if found.jobs:
        return found.job
    response = state.last_response
    if response is None or response.status_code != 200 or state.configure_response is None:
        seen = "no request" if response is None else f"{response.status_code}: {response.text[:500]}"
        raise fail(f"expected the configured view to be accepted with a configure response before watching its "
                   f"stream; seen {seen}", "http.status", "200", "no request" if response is None else
                   str(response.status_code))
    jobs.wait_until_ready(suite, state.configure_response.job_id)
    found.jobs.append(StreamedJob(body=state.last_request_body, response=state.configure_response))
    return found.job


# --- watching ----------------------------------------------------------------------------------
def watch(suite: SuiteContext, state: ScenarioState, job: StreamedJob, stream_id: int = 0) -> StreamWatch:
    """Open a watch on one stream of the job; its closing is registered before it connects."""
    target = stream_target(job.response.stream_url, job.response.stream_port)
    connect = max(_timings(suite).job_start_timeout_s, 1.0)
    stream = StreamWatch(target, stream_id, connect_timeout_s=connect)
    state.cleanup.register(f"stop watching stream {stream_id} of job {job.job_id} at {target}", stream.close)
    job.watches[stream_id] = stream
    return stream.open()


def first_frames_deadline(suite: SuiteContext, job: StreamedJob, rows: int = FEW_ROWS) -> float:
    """The job start timeout plus the time a few rows take at the spacing the request asks for.

    The request's spacing (time-axis duration / canvas height), not the job's own ``lines_dt``: a
    server that claims rows 25 s apart must fail the wait, not stretch it to minutes."""
    duration, height = job.body.get("displayTimeAxisDuration"), (job.body.get("displayInfo") or {}).get("height")
    asked = duration / height if isinstance(duration, (int, float)) and isinstance(height, int) and height > 0 else 0.0
    return _timings(suite).job_start_timeout_s + rows * max(asked, 0.0)


def watch_for_rows(suite: SuiteContext, state: ScenarioState, job: StreamedJob, stream_ids: list[int] | None = None,
                   rows: int = FEW_ROWS) -> dict[int, list[Frame]]:
    """Watch the given streams (default: every stream) until each sent 3 shaped frames and ``rows`` rows."""
    streams = open_watches(suite, state, job, stream_ids)
    return {stream_id: wait_and_show(stream, job, FRAMES, first_frames_deadline(suite, job, rows), rows)
            for stream_id, stream in streams.items()}


def open_watches(suite: SuiteContext, state: ScenarioState, job: StreamedJob,
                 stream_ids: list[int] | None = None) -> dict[int, StreamWatch]:
    """Watch the given streams (default: every stream) from now on, before any is read: a job the
    scenario reads later is not left unwatched meanwhile, where its idle timeout could end it."""
    ids = list(range(max(job.response.stream_amount, 1))) if stream_ids is None else stream_ids
    return {stream_id: job.watches.get(stream_id) or watch(suite, state, job, stream_id) for stream_id in ids}


def wait_and_show(stream: StreamWatch, job: StreamedJob, count: int, timeout_s: float, rows: int = 0) -> list[Frame]:
    """Wait for frames; the table and the picture of what arrived are attached whatever the outcome."""
    try:
        return stream.wait_for_frames(count, timeout_s, rows=rows)
    finally:
        show(stream, job)


def show(stream: StreamWatch, job: StreamedJob) -> None:
    attach_stream(stream.frames, job.label(stream.stream_id), f"{job.label(stream.stream_id)}: {stream.describe()}")


def stop_watching(job: StreamedJob) -> None:
    """Close every watch of the job (the registered cleanup then finds them closed)."""
    for stream in job.watches.values():
        stream.close()


def idle_watch_margin_s(timings: Timings) -> float:
    """How much longer than the idle timeout a watch lasts to show that a watched job outlives it.

    The job is already running when the watch starts, so its idle clock (if watching did not stop
    it) began earlier: a job that wrongly idles out ends within the idle timeout of the watch's
    start, plus the server's idle check period. A quarter of the idle timeout covers that period
    (2 s at least, the start timeout at most: 2 s on the sandbox, whose pods check five times a second)."""
    return min(timings.job_start_timeout_s, max(2.0, timings.job_idle_timeout_s / 4))


def watch_longer_than_idle(suite: SuiteContext, state: ScenarioState, job: StreamedJob) -> StreamWatch:
    """Watch stream 0 for the idle timeout and a margin; returns early only if the stream ends."""
    timings = _timings(suite)
    stream = job.watches.get(0) or watch(suite, state, job, 0)
    try:
        stream.watch_for(timings.job_idle_timeout_s + idle_watch_margin_s(timings))
    finally:
        show(stream, job)
    return stream


# --- checks ------------------------------------------------------------------------------------
def _frames_of(job: StreamedJob) -> list[tuple[int, StreamWatch, list[Frame]]]:
    watched = [(i, w, w.frames) for i, w in sorted(job.watches.items())]
    if not watched:
        raise RuntimeError(f"no stream of job {job.job_id} was watched in this scenario (suite bug)")
    return watched


def _raise(problems_by_stream: dict[int, list[str]], job: StreamedJob, what: str, subject: str, expected: str,
           seen: str) -> None:
    problems = {s: p for s, p in problems_by_stream.items() if p}
    if problems:
        count = sum(len(p) for p in problems.values())
        first_stream, first = next(iter(problems.items()))
        detail = "".join(f"\n stream {s} of {job.watches[s].target}:{checks.summarise(p)}" for s, p in problems.items())
        raise fail(f"expected {what} (job {job.job_id}); seen {count} violation(s), first on stream {first_stream}: "
                   f"{first[0]}{detail}", subject, expected, seen)


def require_channels_inside(job: StreamedJob) -> None:
    low, high = job.channels
    _raise({s: checks.channel_problems(f, low, high) for s, _, f in _frames_of(job)}, job,
           f"every frame's channels inside the configured range {low}-{high}", "stream.channels",
           f"inside {low}-{high}", "outside the range")


def require_rows_in_order(job: StreamedJob) -> None:
    _raise({s: checks.order_problems(f) for s, _, f in _frames_of(job)}, job,
           "row indices rising row after row and timestamps moving on from frame to frame", "stream.order",
           "increasing", "not increasing")


def require_payload_matches_shape(job: StreamedJob) -> None:
    _raise({s: checks.payload_problems(f) for s, _, f in _frames_of(job)}, job,
           "every frame's main_data to hold x*y*(z or 1) float32 values", "stream.payload",
           "x*y*z float32 values", "other size")


def require_stream_groups(job: StreamedJob) -> None:
    groups = job.groups()
    watched = _frames_of(job)
    missing = sorted(set(groups) - {s for s, _, _ in watched})
    if missing:
        raise RuntimeError(f"streams {missing} of job {job.job_id} were not watched (suite bug)")
    _raise({s: checks.group_problems(f, *groups[s]) for s, _, f in watched}, job,
           "each stream's frames to carry exactly the channels channel_to_stream_index maps to it "
           f"({', '.join(f'{s}: {a}-{b}' for s, (a, b) in groups.items())})", "stream.shape",
           "the stream's channel group", "other channels")


def require_row_cadence(job: StreamedJob) -> None:
    expected_ms = job.response.lines_dt * 1000
    for stream_id, stream, frames in _frames_of(job):
        spacing = checks.row_spacing_ms(frames)
        if spacing is None:
            raise fail(f"expected at least two rows on stream {stream_id} of job {job.job_id} to measure their "
                       f"spacing; seen: {stream.describe()}", "stream.cadence", "two rows or more", "fewer")
        if abs(spacing - expected_ms) > CADENCE_TOLERANCE * expected_ms:
            raise fail(f"expected rows {expected_ms:g} ms apart (lines_dt {job.response.lines_dt:g} s, within "
                       f"{CADENCE_TOLERANCE:.0%}) on stream {stream_id} of job {job.job_id}; their timestamps are "
                       f"{spacing:.2f} ms apart on average over {checks.rows_received(frames)} rows",
                       "stream.cadence", "lines_dt apart", "other spacing")


def require_still_streaming(job: StreamedJob, watched_s: float) -> None:
    """The watch lasted ``watched_s`` with the call open and frames still arriving at its end."""
    stream = job.watches[0]
    end, frames = stream.ended, stream.frames
    if end is not None:
        raise fail(f"expected job {job.job_id} to keep streaming while watched for {watched_s:g} s (longer than the "
                   f"idle timeout); the stream {end.describe()}; seen: {stream.describe()}",
                   "stream.alive", "streaming while watched", f"ended {end.code}")
    last = frames[-1].arrived_s if frames else None
    if last is None or stream.elapsed_s() - last > ALIVE_GAP_S:
        raise fail(f"expected frames to keep arriving on job {job.job_id} for {watched_s:g} s; the last came at "
                   f"{'never' if last is None else f'{last:.2f} s'}; seen: {stream.describe()}",
                   "stream.alive", "frames keep arriving", "silent")


def require_stream_takes_connection(state: ScenarioState) -> None:
    """One TCP connection to the stream address of the scenario's job, once, without retrying.

    Called right after the job's metadata first answered: a client may connect then (contract 4).
    A plain handshake, not a gRPC channel, which keeps retrying a refused port until its timeout. A
    proxy that accepts connections for a stream not yet up would pass it; the stream scenarios then
    judge the data itself."""
    response = state.configure_response
    if response is None:
        raise RuntimeError("the step needs a configured job (a Given that starts one) before it connects to its stream")
    try:
        host, port = stream_address(response.stream_url, response.stream_port)
    except ValueError as exc:   # the configure response names no usable address: the server's answer
        raise fail(f"expected job {response.job_id} to name a stream address a client can connect to; {exc} "
                   f"(stream_url {response.stream_url!r}, stream_port {response.stream_port!r})", "job.ready",
                   "a stream address", "no usable stream address") from None
    try:
        with socket.create_connection((host, port), timeout=HANDSHAKE_TIMEOUT_S):
            pass
    except ConnectionRefusedError as exc:   # the host answered: nothing listens on the job's port yet
        raise fail(f"expected the stream of job {response.job_id} at {host}:{port} to take a connection as soon as "
                   f"its metadata answered 200; the connection was refused ({exc})", "job.ready",
                   "stream takes connections once the metadata answers", "connection refused") from None
    except OSError as exc:                  # no answer at all: the address is out of our reach
        raise UnreachableError(f"cannot reach the stream of job {response.job_id} at {host}:{port}: {exc}") from None


def require_job_running(suite: SuiteContext, job: StreamedJob) -> None:
    """The job's metadata still answers 200 and its streaming pod still runs."""
    response = suite.focus.get_metadata_response(job.job_id)
    parts = jobs.job_parts(suite, job.job_id)
    if response.status_code != 200 or not parts.streaming_pod_running:
        raise fail(f"expected watched job {job.job_id} to be running (metadata 200 and a running streaming pod); "
                   f"metadata answered {response.status_code}, streaming pod running: {parts.streaming_pod_running}",
                   "job.streaming", "running while watched",
                   "metadata " + str(response.status_code) if response.status_code != 200 else "no running pod")


def require_ends_after_window(suite: SuiteContext, job: StreamedJob) -> None:
    start, end = window_of(job)
    stream = job.watches[0]
    limit = (end - start) + _timings(suite).job_start_timeout_s
    try:
        finished = stream.wait_until_ended(limit)
    finally:
        show(stream, job)
    if not finished.completed:
        raise fail(f"expected the stream of historic job {job.job_id} to end with OK once its {end - start} s window "
                   f"was played; it {finished.describe()}", "stream.end", "ended OK", f"ended {finished.code}")


def window_of(job: StreamedJob) -> tuple[int, int]:
    return job.body["start_time"], job.body["end_time"]


def require_rows_inside_window(job: StreamedJob) -> None:
    start, end = window_of(job)
    low, high = start * 1000, end * 1000
    outside = [f"frame {i} at {f.arrived_s:.2f} s: rows stamped {min(f.timestamps_ms)}-{max(f.timestamps_ms)} ms"
               for i, f in enumerate(job.watches[0].frames) if f.timestamps_ms
               and (min(f.timestamps_ms) < low or max(f.timestamps_ms) > high)]
    rows = checks.rows_received(job.watches[0].frames)
    if not rows:
        raise fail(f"expected historic job {job.job_id} to stream rows of its window; it sent none: "
                   f"{job.watches[0].describe()}", "stream.frames", "rows", "none")
    _raise({0: outside}, job, f"every row stamped inside the window {low}-{high} ms", "stream.window",
           "inside the window", "outside the window")


# --- regions of interest -----------------------------------------------------------------------
@dataclass(frozen=True)
class RowMeasure:
    """One job's rows as measured on its streams: channels, values and bytes per row across streams."""

    job_id: str
    channel_amount: int
    frequencies_amount: int
    streams: int
    channels_seen: int
    row_bytes: float
    values_per_channel: float

    @property
    def expected_row_bytes(self) -> int:
        return self.channel_amount * self.frequencies_amount * 4


def measure_rows(job: StreamedJob) -> RowMeasure:
    """Bytes of one row summed over the job's streams (each stream's first frame with rows)."""
    channels, row_bytes = 0, 0.0
    for stream_id, stream, frames in _frames_of(job):
        sizes = checks.row_sizes(frames)
        if len(sizes) != 1:
            raise fail(f"expected every frame of stream {stream_id} of job {job.job_id} to carry rows of one size; "
                       f"seen sizes {sorted(sizes)} bytes:\n{frame_table(frames, job.label(stream_id))}",
                       "stream.payload", "one row size", "none" if not sizes else "several sizes")
        channels += frames[0].channels
        row_bytes += sizes.pop()
    values = row_bytes / 4 / channels if channels else 0.0
    return RowMeasure(job.job_id, job.response.channel_amount, job.response.frequencies_amount,
                      len(job.watches), channels, row_bytes, values)


def measure_table(measures: list[RowMeasure]) -> str:
    """A small text table of what the streams measured against channel_amount x frequencies_amount x 4."""
    lines = [f"{'job':>10} {'channels':>9} {'bins':>5} {'streams':>7} {'channels on stream':>18} "
             f"{'row bytes measured':>18} {'channels x bins x 4':>19} {'values/channel':>14}"]
    for m in measures:
        lines.append(f"{m.job_id:>10} {m.channel_amount:>9} {m.frequencies_amount:>5} {m.streams:>7} "
                     f"{m.channels_seen:>18} {m.row_bytes:>18.0f} {m.expected_row_bytes:>19} "
                     f"{m.values_per_channel:>14.2f}")
    return "\n".join(lines)


def record_measures(topic: str, measures: list[RowMeasure]) -> None:
    """Attach the measure table, and hand it to the run's observations when the reporting has them."""
    from focus_support.reporting import evidence

    table = measure_table(measures)
    try:
        from focus_support.reporting.observations import observe
    except ImportError:  # older reporting: the table is attached only
        evidence.attach(f"Measured ({topic})", table)
        return
    observe(topic, table)


def require_same_row_layout_but_channels(first: StreamedJob, second: StreamedJob) -> None:
    """Two ROIs of one view: the same values per channel, channel counts as configured, sizes in proportion."""
    a, b = measure_rows(first), measure_rows(second)
    record_measures("roi-data-size", [a, b])
    problems = []
    for m, job in ((a, first), (b, second)):
        low, high = job.channels
        if not m.row_bytes:
            problems.append(f"job {m.job_id}'s rows carry no values at all")
        if m.channels_seen != high - low + 1:
            problems.append(f"job {m.job_id} configured {high - low + 1} channels ({low}-{high}) but its streams "
                            f"carry {m.channels_seen}")
    if abs(a.values_per_channel - b.values_per_channel) > 1e-9:
        problems.append(f"values per channel in a row differ: {a.values_per_channel:g} (job {a.job_id}) vs "
                        f"{b.values_per_channel:g} (job {b.job_id})")
    if problems:
        raise fail("expected two regions of interest of the same view to stream rows that differ only in their "
                   f"channel count; seen: {problems[0]}" + "".join(f"\n  {p}" for p in problems[1:]) + "\n"
                   + measure_table([a, b]),
                   "stream.roi", "channel dimension only", "other dimension")


def require_one_value_per_channel(job: StreamedJob) -> RowMeasure:
    """A waterfall row has no frequency axis: one float32 value per channel, across the job's streams."""
    m = measure_rows(job)
    record_measures("waterfall-shape", [m])
    if m.channels_seen == 0 or m.row_bytes != m.channels_seen * 4:
        raise fail(f"expected a row of waterfall job {job.job_id} to hold one float32 value per channel: "
                   f"{m.channels_seen} channel(s) x 4 = {m.channels_seen * 4} bytes across its {m.streams} "
                   f"stream(s); the streams carried {m.row_bytes:.0f} bytes per row "
                   f"({m.values_per_channel:g} values per channel)\n{measure_table([m])}",
                   "stream.row-size", "one value per channel", "other size")
    return m


def require_row_size(job: StreamedJob) -> RowMeasure:
    """A row of the job, across its streams, is channel_amount x frequencies_amount x 4 bytes."""
    m = measure_rows(job)
    record_measures("roi-data-size", [m])
    if m.row_bytes != m.expected_row_bytes:
        raise fail(f"expected a row of job {job.job_id} to take channel_amount x frequencies_amount x 4 = "
                   f"{m.channel_amount} x {m.frequencies_amount} x 4 = {m.expected_row_bytes} bytes across its "
                   f"{m.streams} stream(s); the streams carried {m.row_bytes:.0f} bytes per row\n{measure_table([m])}",
                   "stream.row-size", "channels x bins x 4", "other size")
    return m
