"""The committed gRPC stubs are what the pinned grpcio-tools generates from the committed .proto."""
from __future__ import annotations

from pathlib import Path

from focus_datastream import generate
from focus_datastream import pandadatastream_pb2 as pb


def test_committed_stubs_match_the_proto(tmp_path: Path):
    fresh = generate.generate(tmp_path)
    stale = [p.name for p in fresh if p.read_bytes() != (generate.PACKAGE / p.name).read_bytes()]
    assert not stale, (f"{', '.join(stale)} differ from what {generate.PROTO} generates; "
                       "run: .venv/bin/python -m focus_datastream.generate")


def test_the_interface_has_the_contract_field_numbers_and_types():
    """Contract section 16: the wire contract of DataStream, field by field."""
    F = pb.DataStream.DESCRIPTOR.fields_by_name
    T = type(pb.DataStream.DESCRIPTOR.fields[0])
    expected = {  # name: (number, type, repeated)
        "start_channel": (1, T.TYPE_INT32, False), "end_channel": (2, T.TYPE_INT32, False),
        "timestamp_in_milis": (3, T.TYPE_INT64, True), "row_index": (4, T.TYPE_INT32, True),
        "data_shape_x": (5, T.TYPE_INT32, False), "data_shape_y": (6, T.TYPE_INT32, False),
        "global_maximum": (7, T.TYPE_FLOAT, False), "global_minimum": (8, T.TYPE_FLOAT, False),
        "main_data": (9, T.TYPE_BYTES, True), "job_id": (10, T.TYPE_INT32, False),
        "data_shape_z": (11, T.TYPE_INT32, False),
    }
    seen = {name: (f.number, f.type, f.is_repeated) for name, f in F.items()}
    assert seen == expected
    assert F["job_id"].has_presence and F["data_shape_z"].has_presence  # optional: "unset" is visible
    service = pb.DESCRIPTOR.services_by_name["DataStreamService"]
    method = service.methods_by_name["StreamData"]
    assert (service.full_name, method.input_type.name, method.output_type.name, method.server_streaming,
            method.client_streaming) == ("pandadatastream.DataStreamService", "StreamDataRequest", "DataStream",
                                         True, False)
    assert pb.StreamDataRequest.DESCRIPTOR.fields_by_name["stream_id"].number == 1
