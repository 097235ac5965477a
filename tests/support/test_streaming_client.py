"""The stream client against in-process gRPC servers: who is at fault when a stream misbehaves."""
from __future__ import annotations

import threading
from concurrent import futures

import grpc
import numpy as np
import pytest

from focus_datastream import pandadatastream_pb2 as pb
from focus_datastream import pandadatastream_pb2_grpc as pb_grpc
from focus_support.errors import InfrastructureError, UnreachableError
from focus_support.streaming import StreamWatch, checks, decode, stream_target
from focus_support.streaming import client as stream_client
from focus_support.streaming.pictures import attach_stream, frame_table, spectrogram_png
from focus_support.verdict.findings import ProductFailure

METHOD = "/pandadatastream.DataStreamService/StreamData"


def frame(row: int, channels=(1, 3), bins=4, z: int | None = 1, payload: bytes | None = None) -> pb.DataStream:
    x = channels[1] - channels[0] + 1
    values = np.arange(x * bins, dtype="<f4") + row
    message = pb.DataStream(start_channel=channels[0], end_channel=channels[1], data_shape_x=x, data_shape_y=bins,
                            row_index=[row], timestamp_in_milis=[1000 + 10 * row], global_maximum=9.0,
                            global_minimum=0.0, main_data=[values.tobytes() if payload is None else payload])
    if z is not None:
        message.data_shape_z = z
    return message


class Scripted(pb_grpc.DataStreamServiceServicer):
    """Sends the given frames, then ends the call or (``hold``) keeps it open until the client leaves."""

    def __init__(self, frames, hold=True, abort=None):
        self.frames, self.hold, self.abort = frames, hold, abort
        self.requests: list[int] = []

    def StreamData(self, request, context):  # noqa: N802
        self.requests.append(request.stream_id)
        yield from self.frames
        if self.abort:
            context.abort(*self.abort)
        if self.hold:
            done = threading.Event()
            context.add_callback(done.set)
            done.wait(30)


@pytest.fixture()
def serve():
    servers = []

    def start(servicer=None, handler=None) -> str:
        server = grpc.server(futures.ThreadPoolExecutor(4))
        if servicer is not None:
            pb_grpc.add_DataStreamServiceServicer_to_server(servicer, server)
        if handler is not None:
            server.add_generic_rpc_handlers((handler,))
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        servers.append(server)
        return f"127.0.0.1:{port}"
    yield start
    for s in servers:
        s.stop(0)


@pytest.mark.parametrize("url,port,target", [
    ("http://10.10.100.113", "12323", "10.10.100.113:12323"),   # the recorded wire shape (contract 15)
    ("https://node-1.example/", 12301, "node-1.example:12301"),
    ("127.0.0.1", 12301, "127.0.0.1:12301"),                     # the sandbox sends no scheme
    ("http://h:8080/path", 9, "h:9"),                            # stream_port wins over a port in the URL
    ("http://[::1]", 5, "[::1]:5"),
])
def test_the_target_is_the_url_without_its_scheme_and_the_stream_port(url, port, target):
    assert stream_target(url, port) == target


@pytest.mark.parametrize("url", ["", "http://"])
def test_a_stream_url_without_host_is_refused(url):
    with pytest.raises(ValueError):
        stream_target(url, 1)


def test_channel_options_follow_the_product_clients():
    options = dict(stream_client.CHANNEL_OPTIONS)
    assert options["grpc.max_receive_message_length"] == 50 * 1024 * 1024
    assert (options["grpc.keepalive_time_ms"], options["grpc.keepalive_timeout_ms"]) == (30_000, 10_000)


def test_frames_arrive_decoded_with_the_stream_id_asked_for(serve):
    servicer = Scripted([frame(r) for r in range(4)])
    with StreamWatch(serve(servicer), 2) as watch:
        frames = watch.wait_for_frames(3, 5, rows=4)
    assert servicer.requests == [2]
    assert [f.row_index for f in frames] == [(0,), (1,), (2,), (3,)]
    first = frames[0]
    assert (first.channels, first.stated_values, first.payload_bytes, first.shape_z) == (3, 12, 48, 1)
    assert first.preview.shape == (1, 12) and first.preview[0, 1] == 1.0
    assert watch.ended.by_client and watch.ended.code == "CANCELLED"


def test_an_unreachable_stream_is_infrastructure_naming_host_and_port():
    target = f"127.0.0.1:{_closed_port()}"
    with pytest.raises(UnreachableError, match=f"cannot connect to the job's data stream at {target}"):
        StreamWatch(target, connect_timeout_s=0.5).open()
    assert issubclass(UnreachableError, InfrastructureError)


def test_a_connected_stream_that_sends_nothing_is_a_product_failure(serve):
    with StreamWatch(serve(Scripted([]))) as watch:
        with pytest.raises(ProductFailure) as failure:
            watch.wait_for_frames(3, 0.5)
    finding = failure.value.finding
    assert (finding.subject, finding.seen) == ("stream.frames", ("none",))
    assert "0 frame(s)" in str(failure.value) and watch.target in str(failure.value)


def test_a_stream_that_ends_too_early_is_a_product_failure_naming_its_end(serve):
    servicer = Scripted([frame(0)], hold=False, abort=(grpc.StatusCode.INTERNAL, "pod crashed"))
    with StreamWatch(serve(servicer)) as watch:
        with pytest.raises(ProductFailure, match="pod crashed") as failure:
            watch.wait_for_frames(3, 5)
    assert failure.value.finding.seen == ("ended INTERNAL",) and len(watch.frames) == 1


def test_frames_of_a_zero_shape_do_not_count(serve):
    flat = [pb.DataStream(start_channel=1, end_channel=1, row_index=[r]) for r in range(5)]
    with StreamWatch(serve(Scripted(flat))) as watch:
        with pytest.raises(ProductFailure) as failure:
            watch.wait_for_frames(3, 0.5)
    assert failure.value.finding.seen == ("no shaped frame",)
    assert checks.shape_problems(watch.frames)


def test_nonsense_on_the_wire_is_a_product_failure(serve):
    def garbage(_request, _context):
        yield b"\xff\xff\xff\xff"  # not a DataStream
    handler = grpc.method_handlers_generic_handler("pandadatastream.DataStreamService", {
        "StreamData": grpc.unary_stream_rpc_method_handler(garbage, request_deserializer=lambda b: b,
                                                           response_serializer=lambda b: b)})
    with StreamWatch(serve(handler=handler)) as watch:
        with pytest.raises(ProductFailure) as failure:
            watch.wait_for_frames(1, 5)
    assert failure.value.finding.seen == ("ended INTERNAL",)


def test_a_stream_ending_by_itself_is_seen_and_one_that_goes_on_is_a_failure(serve):
    with StreamWatch(serve(Scripted([frame(0)], hold=False))) as watch:
        assert watch.wait_until_ended(5).completed
    with StreamWatch(serve(Scripted([frame(0)]))) as watch:
        with pytest.raises(ProductFailure) as failure:
            watch.wait_until_ended(0.3)
    assert (failure.value.finding.subject, failure.value.finding.seen) == ("stream.end", ("still streaming",))


def test_watch_for_returns_early_when_the_stream_ends(serve):
    with StreamWatch(serve(Scripted([frame(0)], hold=False))) as watch:
        end = watch.watch_for(10)
    assert end is not None and end.completed and end.after_s < 5


# --- checks ------------------------------------------------------------------------------------
def _frames(*messages: pb.DataStream):
    return [decode(m, i * 0.1) for i, m in enumerate(messages)]


def test_channels_outside_the_range_are_listed():
    frames = _frames(frame(0, (1, 3)), frame(1, (7, 9)), frame(2, (5, 4)))
    problems = checks.channel_problems(frames, 1, 8)
    assert problems == ["frame 1 at 0.10 s: channels 7-9 outside 1-8",
                        "frame 2 at 0.20 s: start_channel 5 > end_channel 4"]


def test_rows_must_rise_and_timestamps_move_on():
    good = _frames(frame(0), frame(1), frame(2))
    assert not checks.order_problems(good)
    frozen = _frames(frame(3), frame(3), frame(4))
    assert any("row_index 3 after 3" in p for p in checks.order_problems(frozen))
    backwards = _frames(frame(0), frame(1))
    object.__setattr__(backwards[1], "timestamps_ms", (900,))
    assert any("timestamp 900 ms after 1000 ms" in p for p in checks.order_problems(backwards))


def test_the_payload_must_hold_what_the_shape_states():
    assert not checks.payload_problems(_frames(frame(0), frame(1, z=None)))
    empty = _frames(frame(0, payload=b""))
    assert checks.payload_problems(empty) == [
        "frame 0 at 0.00 s: shape x=3 y=4 z=1 states 12 values (48 bytes), main_data holds 0 bytes"]
    assert empty[0].preview is None


def test_row_spacing_and_sizes():
    frames = _frames(frame(0), frame(1), frame(2))
    assert checks.row_spacing_ms(frames) == 10.0 and checks.row_sizes(frames) == {48.0}
    assert checks.row_spacing_ms(frames[:1]) is None


def test_a_wide_row_is_previewed_as_block_means():
    wide = decode(frame(0, (1, 100), bins=65), 0.0)
    assert wide.preview.shape[0] == 1 and wide.preview.shape[1] <= 256 and not np.isnan(wide.preview).any()


def test_summary_lists_a_few_and_counts_the_rest():
    text = checks.summarise([f"p{i}" for i in range(10)])
    assert text.count("\n  p") == checks.SHOWN and "4 more" in text


# --- pictures ----------------------------------------------------------------------------------
def test_the_spectrogram_is_a_png_and_the_table_lists_every_frame():
    frames = _frames(*(frame(r) for r in range(5)))
    assert spectrogram_png(frames, "job 1-2 stream 0").startswith(b"\x89PNG")
    table = frame_table(frames, "job 1-2 stream 0")
    assert "total: 5 frame(s), 5 row(s), 240 payload bytes" in table and table.count("\n") == 7


def test_no_values_no_picture_and_long_tables_are_cut():
    assert spectrogram_png(_frames(frame(0, payload=b"")), "t") is None
    table = frame_table(_frames(*(frame(r) for r in range(40))), "t")
    assert "(16 frames not listed)" in table


def test_attaching_outside_a_run_does_nothing():
    attach_stream(_frames(frame(0)), "job 1-2 stream 0")  # no behave run: no listener, no error


def _closed_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
