"""Unit tests of the sandbox server's pure parts: validation rules, derived fields, rate limit, defects."""
from __future__ import annotations

import copy
import time

import pytest

from focus_sandbox import defects
from focus_sandbox.server import derive
from focus_sandbox.server.focus_api import live_metadata, response_fields
from focus_sandbox.server.ratelimit import TokenBucket
from focus_sandbox.server.validation import validate_configure
from focus_sandbox.server.webapp import AlertError, validate_alert
from focus_sandbox.settings import SandboxConfig

MULTI = {"view_type": "0", "channels": {"min": 1, "max": 8}, "displayInfo": {"height": 768},
         "displayTimeAxisDuration": 30, "nfftSelection": 256, "frequencyRange": {"min": 0, "max": 500},
         "start_time": None, "end_time": None}
SINGLE = {**MULTI, "view_type": "1", "channels": {"min": 5, "max": 5}, "nfftSelection": 8192}
WATERFALL = {"view_type": "2", "channels": {"min": 1, "max": 100}, "displayInfo": {"height": 500}}


def cfg(*switches: str) -> SandboxConfig:
    return SandboxConfig(run_dir="unused", defects=list(switches))


def with_(base: dict, path: str, value) -> dict:
    """Copy of ``base`` with a dotted path set (value ``...`` deletes it)."""
    body = copy.deepcopy(base)
    *parents, leaf = path.split(".")
    node = body
    for key in parents:
        node = node[key]
    if value is ...:
        node.pop(leaf, None)
    else:
        node[leaf] = value
    return body


def locs(errors: list[dict]) -> list[str]:
    return [".".join(str(p) for p in e["loc"]) for e in errors]


NOW = int(time.time())

# (name, body, field expected in some error loc, switch that must make the body acceptable or None)
INVALID = [
    ("view_type 3", with_(MULTI, "view_type", "3"), "view_type", None),
    ("view_type missing", with_(MULTI, "view_type", ...), "view_type", None),
    ("view_type bool", with_(MULTI, "view_type", True), "view_type", None),
    ("channels missing", with_(MULTI, "channels", ...), "channels", None),
    ("channels.min 0", with_(MULTI, "channels.min", 0), "channels.min", None),
    ("channels.max above highest", with_(MULTI, "channels.max", 5000), "channels.max", None),
    ("channels min > max", with_(MULTI, "channels", {"min": 9, "max": 2}), "channels", None),
    ("channels.min string", with_(MULTI, "channels.min", "1"), "channels.min", None),
    ("2223 channels", with_(MULTI, "channels", {"min": 1, "max": 2223}), "channels",
     "channel_count_not_validated"),
    ("height 0", with_(MULTI, "displayInfo.height", 0), "displayInfo.height", "height_not_validated"),
    ("height -100", with_(MULTI, "displayInfo.height", -100), "displayInfo.height", "height_not_validated"),
    ("displayInfo missing", with_(MULTI, "displayInfo", ...), "displayInfo", None),
    ("duration 0", with_(MULTI, "displayTimeAxisDuration", 0), "displayTimeAxisDuration", None),
    ("duration missing", with_(MULTI, "displayTimeAxisDuration", ...), "displayTimeAxisDuration", None),
    ("nfft 1000", with_(MULTI, "nfftSelection", 1000), "nfftSelection", "nfft_not_validated"),
    ("nfft 4096 multichannel", with_(MULTI, "nfftSelection", 4096), "nfftSelection", "nfft_not_validated"),
    ("nfft 64", with_(MULTI, "nfftSelection", 64), "nfftSelection", "nfft_not_validated"),
    ("nfft 131072 singlechannel", with_(SINGLE, "nfftSelection", 131072), "nfftSelection",
     "nfft_not_validated"),
    ("frequency max 1001", with_(MULTI, "frequencyRange", {"min": 0, "max": 1001}), "frequencyRange.max",
     "frequency_range_not_validated"),
    ("frequency min == max", with_(MULTI, "frequencyRange", {"min": 300, "max": 300}), "frequencyRange",
     "frequency_range_not_validated"),
    ("frequency min -1", with_(MULTI, "frequencyRange", {"min": -1, "max": 300}), "frequencyRange.min", None),
    ("frequency missing", with_(MULTI, "frequencyRange", ...), "frequencyRange", None),
    ("only start_time", with_(MULTI, "start_time", NOW - 100), "end_time", None),
    ("only end_time", with_(MULTI, "end_time", NOW - 100), "start_time", None),
    ("end <= start", {**MULTI, "start_time": NOW - 100, "end_time": NOW - 200}, "end_time", None),
    ("future window", {**MULTI, "start_time": NOW + 3600, "end_time": NOW + 3700}, "start_time",
     "future_times_accepted"),
    ("window > 30 x duration", {**MULTI, "start_time": NOW - 2000, "end_time": NOW - 1000}, "end_time", None),
    ("start_time float", {**MULTI, "start_time": NOW - 10.5, "end_time": NOW}, "start_time", None),
    ("singlechannel min != max", with_(SINGLE, "channels", {"min": 5, "max": 9}), "channels",
     "singlechannel_range_accepted"),
    ("waterfall with duration", {**WATERFALL, "displayTimeAxisDuration": 30}, "displayTimeAxisDuration",
     "waterfall_rules_not_enforced"),
    ("waterfall with frequencyRange", {**WATERFALL, "frequencyRange": {"min": 0, "max": 500}},
     "frequencyRange", "waterfall_rules_not_enforced"),
    ("waterfall nfft 256", {**WATERFALL, "nfftSelection": 256}, "nfftSelection",
     "waterfall_rules_not_enforced"),
]


@pytest.mark.parametrize("name,body,field,_switch", INVALID, ids=[c[0] for c in INVALID])
def test_spec_rejects_each_rule_naming_the_field(name, body, field, _switch):
    req, errors = validate_configure(cfg(), body)
    assert req is None, f"{name}: accepted {body}"
    assert any(field in loc for loc in locs(errors)), f"{name}: errors {errors} do not name {field}"


@pytest.mark.parametrize("name,body,field,switch", [c for c in INVALID if c[3]],
                         ids=[c[0] for c in INVALID if c[3]])
def test_each_lax_switch_drops_exactly_its_rule(name, body, field, switch):
    req, errors = validate_configure(cfg(switch), body)
    assert req is not None, f"{name}: {switch} should accept it, got {errors}"
    other = [s for s in defects.DEFECTS if s != switch and defects.DEFECTS[s].area == "configure"]
    req, errors = validate_configure(cfg(*other), body)
    assert req is None, f"{name}: accepted with every other configure switch on ({other})"


@pytest.mark.parametrize("body", [MULTI, SINGLE, WATERFALL, with_(MULTI, "view_type", 0),
                                  {**WATERFALL, "nfftSelection": 1},
                                  {**MULTI, "start_time": NOW - 900, "end_time": NOW - 100},
                                  {**MULTI, "unknown_field": 1}])
def test_valid_bodies_are_accepted(body):
    req, errors = validate_configure(cfg(), body)
    assert req is not None and not errors, errors


def test_multichannel_response_fields():
    req, _ = validate_configure(cfg(), MULTI)
    fields = response_fields(cfg(), req)
    assert fields["channel_to_stream_index"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1, "6": 1, "7": 2, "8": 2}
    assert fields["stream_amount"] == 3 and fields["channel_amount"] == 8
    assert fields["lines_dt"] == 30 / 768 and fields["status"] == "success" and fields["view_type"] == "0"
    df = 2000 / 256
    assert fields["frequencies_list"] == [k * df for k in range(0, 65)]
    assert fields["frequencies_amount"] == 65


def test_singlechannel_and_waterfall_fields():
    s = response_fields(cfg(), validate_configure(cfg(), SINGLE)[0])
    assert (s["channel_amount"], s["stream_amount"], s["channel_to_stream_index"]) == (1, 1, {"5": 0})
    w = response_fields(cfg(), validate_configure(cfg(), WATERFALL)[0])
    assert (w["frequencies_list"], w["frequencies_amount"], w["lines_dt"]) == ([], 0, 1 / 2000)
    assert w["channel_amount"] == 100 and set(w["channel_to_stream_index"].values()) == {0}


@pytest.mark.parametrize("switch,field,check", [
    ("status_empty", "status", lambda v: v == ""),
    ("full_band_frequency_bins", "frequencies_amount", lambda v: v == 129),
    ("decimated_frequency_bins", "frequencies_amount", lambda v: v == 16),  # floor(500 / (4 x 2000/256))
    ("wrong_lines_dt", "lines_dt", lambda v: v == 768 / 30),
])
def test_response_switches(switch, field, check):
    spec = response_fields(cfg(), validate_configure(cfg(), MULTI)[0])
    bad = response_fields(cfg(switch), validate_configure(cfg(switch), MULTI)[0])
    assert check(bad[field]), f"{switch}: {field}={bad[field]}"
    assert {k: v for k, v in spec.items() if k not in (field, "frequencies_list")} == \
           {k: v for k, v in bad.items() if k not in (field, "frequencies_list")}


def test_live_metadata_switches_and_waiting_mode():
    spec = live_metadata(cfg())
    assert {"num_samples_per_trace", "dtype"} <= spec.keys() and isinstance(spec["number_of_channels"], int)
    assert "dtype" not in live_metadata(cfg("live_metadata_missing_fields"))
    assert live_metadata(cfg("live_metadata_float_channels"))["number_of_channels"] == 2337.75
    waiting = live_metadata(SandboxConfig(run_dir="x", waiting_for_fibre=True))
    assert (waiting["prr"], waiting["dx"], waiting["sw_version"]) == (0.0, 0.0, "waiting for fiber")


def test_multichannel_mapping_small_ranges():
    assert derive.channel_mapping("0", 3, 3) == {"3": 0}
    assert derive.channel_mapping("0", 1, 4) == {"1": 0, "2": 0, "3": 1, "4": 1}


def test_token_bucket_grants_capacity_then_asks_to_wait():
    bucket = TokenBucket(3, 0.5)
    assert [bucket.take("a") for _ in range(3)] == [0, 0, 0]
    assert bucket.take("a") == 2  # one token at 0.5/s
    assert bucket.take("b") == 0  # per client


GOOD_ALERT = {"classId": 104, "severity": 2, "dofM": 100, "alertsAmount": 2, "alertIds": ["a", "b"]}


@pytest.mark.parametrize("field,value,switch", [
    ("classId", 999, "alert_class_id_not_validated"), ("classId", -1, "alert_class_id_not_validated"),
    ("severity", 0, "alert_severity_zero_accepted"), ("severity", 4, None),
    ("dofM", -5, "alert_dof_not_validated"), ("dofM", 99999, "alert_dof_beyond_fibre_accepted"),
    ("alertsAmount", 3, None), ("alertIds", [], None), ("alertIds", [""], None),
    ("classId", ..., "alert_missing_fields_accepted"), ("alertIds", ..., "alert_missing_fields_accepted"),
])
def test_alert_validation(field, value, switch):
    body = with_(GOOD_ALERT, field, value)
    with pytest.raises(AlertError) as err:
        validate_alert(cfg(), body)
    assert err.value.field == field
    if switch:
        assert validate_alert(cfg(switch), body)["severity"] == 2 or field == "severity"


def test_defects_resolve_and_describe():
    assert defects.resolve("spec") == []
    observed = defects.resolve("observed")
    assert "no_cancel_route" in observed and "wrong_lines_dt" not in observed
    assert defects.resolve("spec", ["wrong_lines_dt"]) == ["wrong_lines_dt"]
    with pytest.raises(ValueError, match="status_empty"):
        defects.resolve("spec", ["nonexistent_switch"])
    with pytest.raises(ValueError):
        defects.resolve("bogus")
    assert all(name in defects.describe() for name in defects.DEFECTS)
