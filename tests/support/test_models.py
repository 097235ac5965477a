"""Contract models: requests as the seed builds them, responses that name the variants they saw."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from focus_support.models import (
    AlertPush, CancelResponse, ConfigureRequest, ConfigureResponse, ErrorBody, LiveMetadata, LoginRequest,
    RecordingWindow, ViewType, build_configure_request, parse_recording_windows,
)

RESPONSE = {"job_id": "31-3633", "status": "", "view_type": "0", "channel_amount": 8, "stream_amount": 3,
            "channel_to_stream_index": {"1": 0}, "frequencies_list": [0.0, 7.8125], "frequencies_amount": 2,
            "lines_dt": 0.0390625, "stream_url": "http://h", "stream_port": 12331}


def test_waterfall_request_omits_what_waterfall_forbids():
    body = build_configure_request(ViewType.WATERFALL).to_wire()
    assert body["view_type"] == "2"
    assert "displayTimeAxisDuration" not in body and "frequencyRange" not in body
    assert body["nfftSelection"] == 1
    assert body["start_time"] is None and body["end_time"] is None  # live: both present and null


@pytest.mark.parametrize("view", [ViewType.MULTICHANNEL, "singlechannel", 1, "0"])
def test_other_views_carry_every_field(view):
    request = build_configure_request(view)
    body = request.to_wire()
    assert body["displayTimeAxisDuration"] == 30 and body["frequencyRange"] == {"min": 0, "max": 500}
    if request.view_type is ViewType.SINGLECHANNEL:
        assert body["channels"]["min"] == body["channels"]["max"]
    assert not request.is_historic


def test_historic_window_is_kept():
    request = build_configure_request(ViewType.MULTICHANNEL, start_time=100, end_time=200)
    assert request.is_historic and request.to_wire()["end_time"] == 200


@pytest.mark.parametrize("extra", [{"displayTimeAxisDuration": 10}, {"frequencyRange": {"min": 0, "max": 10}},
                                   {"nfftSelection": 256}])
def test_the_model_refuses_a_waterfall_with_forbidden_fields(extra):
    with pytest.raises(ValidationError, match="waterfall"):
        ConfigureRequest(view_type=ViewType.WATERFALL, channels={"min": 1, "max": 2}, displayInfo={"height": 5},
                         **extra)


def test_unknown_view_type_is_refused():
    with pytest.raises(ValueError):
        ViewType.parse("7")


def test_spec_shaped_response():
    parsed = ConfigureResponse.model_validate(RESPONSE)
    assert parsed.view_type is ViewType.MULTICHANNEL
    assert parsed.variants == {"view_type": "str", "stream_port": "int", "status": "str"}
    assert parsed.spec_shaped


def test_observed_variants_are_accepted_and_named():
    parsed = ConfigureResponse.model_validate({**RESPONSE, "view_type": 0, "stream_port": "12331", "new": 1})
    assert parsed.view_type is ViewType.MULTICHANNEL and parsed.stream_port == 12331
    assert parsed.variants["view_type"] == "int" and parsed.variants["stream_port"] == "str"
    assert not parsed.spec_shaped
    assert parsed.model_extra == {"new": 1}


def test_response_missing_a_field_is_rejected():
    with pytest.raises(ValidationError, match="lines_dt"):
        ConfigureResponse.model_validate({k: v for k, v in RESPONSE.items() if k != "lines_dt"})


def test_live_metadata_names_missing_fields_float_channels_and_waiting_for_fibre():
    live = LiveMetadata.model_validate({"prr": 0.0, "dx": 0.0, "number_of_channels": 2447.75,
                                        "sw_version": "waiting for fiber", "fiber_description": "waiting for fiber"})
    assert live.waiting_for_fibre
    assert live.variants == {"number_of_channels": "float"} and live.channel_count == 2447
    assert "num_samples_per_trace" in live.missing and "dtype" in live.missing and "prr" not in live.missing
    healthy = LiveMetadata.model_validate({"prr": 2000, "dx": 1.02, "number_of_channels": 2337})
    assert not healthy.waiting_for_fibre and healthy.variants == {"number_of_channels": "int"}


def test_recording_windows_and_error_bodies():
    windows = parse_recording_windows([[10, 20], [30, -1]])
    assert windows == [RecordingWindow(start=10, end=20), RecordingWindow(start=30, end=-1)]
    assert windows[1].ongoing and windows[1].intersects(100, 200) and not windows[0].intersects(21, 25)
    with pytest.raises(ValidationError):
        parse_recording_windows({"items": []})
    detail = ErrorBody.model_validate({"detail": [{"loc": ["body", "displayInfo", "height"], "msg": "bad", "type": "x"}]})
    assert detail.fields_named() == ["body", "displayInfo", "height"] and detail.message == "bad"
    assert ErrorBody.model_validate({"error": "Invalid job_id"}).message == "Invalid job_id"
    assert ErrorBody.model_validate({"detail": "Not Found"}).message == "Not Found"
    assert ErrorBody.model_validate({"detail": "Not Found"}).fields_named() == []
    assert CancelResponse.model_validate({"job_id": "1-1", "status": "cancelled"}).status == "cancelled"


def test_alert_models():
    alert = AlertPush.build(["a-1", "a-2"])
    assert alert.alertsAmount == 2 and alert.classId == 104 and alert.severity == 3
    login = LoginRequest(username="qa", password="s3cret")
    assert "s3cret" not in repr(login) and login.to_wire()["password"] == "s3cret"
