"""Validate a raw POST /configure body against every rule of contract section 2.1.

The body is checked by hand, not by a pydantic model, because the rules depend on each other (view
type, prr, historic window) and because each lax-validation defect switch must be able to drop
exactly one rule. Errors use FastAPI's shape: ``{"loc": [...], "msg": ..., "type": ...}``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from focus_sandbox.server.derive import MULTICHANNEL, SINGLECHANNEL, WATERFALL
from focus_sandbox.settings import SandboxConfig

MAX_CHANNELS = 2222
NFFT_MIN = 128
NFFT_MAX = {MULTICHANNEL: 2048, SINGLECHANNEL: 65536}
MAX_FREQUENCY_HZ = 1000
WINDOW_FACTOR = 30
MAX_EPOCH_S = 2 ** 37  # year ~6300: keeps datetime conversions in range


@dataclass
class ConfigureRequest:
    """A /configure body that passed validation (in this run's profile)."""

    view_type: str
    ch_min: int
    ch_max: int
    height: int
    duration: int | None
    nfft: int | None
    f_min: int | None
    f_max: int | None
    start_time: int | None
    end_time: int | None

    @property
    def historic(self) -> bool:
        return self.start_time is not None


class _Errors(list):
    def add(self, loc: tuple, msg: str, type_: str = "value_error") -> None:
        self.append({"loc": ["body", *loc], "msg": msg, "type": type_})


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_field(body: dict, loc: tuple, errors: _Errors, required: bool = True) -> int | None:
    """Read ``body[loc[-1]]`` as an int, recording a missing/type error."""
    key = loc[-1]
    value = body.get(key)
    if value is None:
        if required:
            errors.add(loc, "Field required", "missing")
        return None
    if not _is_int(value):
        errors.add(loc, "Input should be a valid integer", "int_type")
        return None
    return value


def _object_field(body: dict, key: str, errors: _Errors, required: bool = True) -> dict | None:
    value = body.get(key)
    if value is None:
        if required:
            errors.add((key,), "Field required", "missing")
        return None
    if not isinstance(value, dict):
        errors.add((key,), "Input should be a valid dictionary", "dict_type")
        return None
    return value


# Filled in for missing fields under missing_fields_defaulted (a server that "helps" the client).
DEFAULTS = {"view_type": "0", "channels": {"min": 1, "max": 50}, "displayInfo": {"height": 768},
            "displayTimeAxisDuration": 30, "frequencyRange": {"min": 0, "max": 500}}
NOT_FOR_WATERFALL = ("displayTimeAxisDuration", "frequencyRange")


def _with_defaults(body: dict) -> dict:
    filled = dict(body)
    waterfall = str(filled.get("view_type")) == WATERFALL
    for key, value in DEFAULTS.items():
        if filled.get(key) is None and not (waterfall and key in NOT_FOR_WATERFALL):
            filled[key] = value
    if isinstance(filled["displayInfo"], dict) and filled["displayInfo"].get("height") is None:
        filled["displayInfo"] = {**filled["displayInfo"], **DEFAULTS["displayInfo"]}
    return filled


def _view_type(config: SandboxConfig, body: dict, errors: _Errors) -> str | None:
    raw = body.get("view_type")
    if raw is None:
        errors.add(("view_type",), "Field required", "missing")
        return None
    if _is_int(raw) and config.has("numeric_view_type_rejected"):
        errors.add(("view_type",), "Input should be a valid string", "string_type")
        return None
    if (_is_int(raw) and raw in (0, 1, 2)) or raw in ("0", "1", "2"):
        return str(raw)
    if config.has("unknown_view_type_accepted"):
        return MULTICHANNEL
    errors.add(("view_type",), "view_type must be 0 (multichannel), 1 (singlechannel) or 2 (waterfall)",
               "enum")
    return None


def _int_range(body: dict, field: str, errors: _Errors) -> tuple:
    """``{"min": int, "max": int}`` of ``field`` as (min, max); (None, None) after recording an error."""
    obj = _object_field(body, field, errors)
    if obj is None:
        return None, None
    lo = _int_field(obj, (field, "min"), errors)
    hi = _int_field(obj, (field, "max"), errors)
    if lo is None or hi is None:
        return None, None
    return lo, hi


def _channels(config: SandboxConfig, body: dict, view: str | None, errors: _Errors) -> tuple:
    lo, hi = _int_range(body, "channels", errors)
    if lo is None:
        return None, None
    highest = config.fibre.number_of_channels
    before = len(errors)
    bounds = not config.has("channel_bounds_not_validated")
    if lo < 1 and bounds:
        errors.add(("channels", "min"), "channels.min must be >= 1", "greater_than_equal")
    if hi > highest and bounds:
        errors.add(("channels", "max"), f"channels.max must be <= highest channel {highest}", "less_than_equal")
    max_channels = MAX_CHANNELS - 1 if config.has("range_limits_exclusive") else MAX_CHANNELS
    if lo > hi:
        if bounds:
            errors.add(("channels",), "channels.min must be <= channels.max")
    elif hi - lo + 1 > max_channels and not config.has("channel_count_not_validated"):
        errors.add(("channels",), f"at most {MAX_CHANNELS} channels per view (got {hi - lo + 1})")
    if view == SINGLECHANNEL and lo != hi and not config.has("singlechannel_range_accepted"):
        errors.add(("channels",), "singlechannel view needs channels.min == channels.max")
    return (lo, hi) if len(errors) == before else (None, None)


def _height(config: SandboxConfig, body: dict, errors: _Errors) -> int | None:
    info = _object_field(body, "displayInfo", errors)
    if info is None:
        return None
    height = _int_field(info, ("displayInfo", "height"), errors)
    if height is not None and height <= 0 and not config.has("height_not_validated"):
        errors.add(("displayInfo", "height"), "displayInfo.height must be > 0", "greater_than")
        return None
    return height


def _forbidden_for_waterfall(config: SandboxConfig, body: dict, errors: _Errors) -> None:
    if config.has("waterfall_rules_not_enforced"):
        return
    for key in ("displayTimeAxisDuration", "frequencyRange"):
        if body.get(key) is not None:
            errors.add((key,), f"{key} is not applicable for waterfall", "extra_forbidden")
    nfft = body.get("nfftSelection")
    if nfft is not None and not (_is_int(nfft) and nfft == 1):
        errors.add(("nfftSelection",), "nfftSelection must be absent or 1 for waterfall")
    elif nfft is not None and config.has("waterfall_nfft_one_rejected"):
        errors.add(("nfftSelection",), f"nfftSelection must be a power of two >= {NFFT_MIN}")


def _nfft(config: SandboxConfig, body: dict, view: str, errors: _Errors) -> int | None:
    nfft = _int_field(body, ("nfftSelection",), errors)
    if nfft is None:
        return None
    if nfft < 1:  # kept under every profile: a zero/negative NFFT has no frequency axis at all
        errors.add(("nfftSelection",), "nfftSelection must be a positive power of two", "greater_than")
        return None
    if config.has("nfft_not_validated"):
        return nfft
    highest = NFFT_MAX[view] // 2 if config.has("range_limits_exclusive") else NFFT_MAX[view]
    if nfft & (nfft - 1) or not NFFT_MIN <= nfft <= highest:
        errors.add(("nfftSelection",),
                   f"nfftSelection must be a power of two in {NFFT_MIN}..{NFFT_MAX[view]} for this view")
        return None
    return nfft


def _frequency(config: SandboxConfig, body: dict, errors: _Errors) -> tuple:
    lo, hi = _int_range(body, "frequencyRange", errors)
    if lo is None:
        return None, None
    limit = min(MAX_FREQUENCY_HZ, config.fibre.prr / 2)
    before = len(errors)
    if lo < 0 and not config.has("negative_frequency_accepted"):
        errors.add(("frequencyRange", "min"), "frequencyRange.min must be >= 0", "greater_than_equal")
    if not config.has("frequency_range_not_validated"):
        if hi > limit or (hi >= limit and config.has("range_limits_exclusive")):
            errors.add(("frequencyRange", "max"), f"frequencyRange.max must be <= {limit:g} Hz", "less_than_equal")
        if lo >= hi:
            errors.add(("frequencyRange",), "frequencyRange.min must be < frequencyRange.max")
    return (lo, hi) if len(errors) == before else (None, None)


def _times(config: SandboxConfig, body: dict, duration: int | None, errors: _Errors) -> tuple:
    start = _int_field(body, ("start_time",), errors, required=False)
    end = _int_field(body, ("end_time",), errors, required=False)
    raw_start, raw_end = body.get("start_time"), body.get("end_time")
    if (raw_start is None) != (raw_end is None):
        if config.has("half_open_window_treated_as_live"):
            return None, None
        missing = "end_time" if raw_end is None else "start_time"
        errors.add((missing,), "start_time and end_time must both be set (historic) or both null (live)")
        return None, None
    if start is None or end is None:
        return None, None
    before = len(errors)
    for key, value in (("start_time", start), ("end_time", end)):
        if not 0 <= value <= MAX_EPOCH_S:
            errors.add((key,), f"{key} must be epoch seconds in 0..{MAX_EPOCH_S}")
    if len(errors) > before:
        return None, None
    if end <= start and not config.has("window_order_not_validated"):
        errors.add(("end_time",), "end_time must be greater than start_time")
    now = time.time()
    if not config.has("future_times_accepted"):
        for key, value in (("start_time", start), ("end_time", end)):
            if value > now:
                errors.add((key,), f"{key} must not be in the future")
    if duration and end - start > duration * WINDOW_FACTOR and not config.has("window_length_not_validated"):
        errors.add(("end_time",),
                   f"end_time - start_time must be <= displayTimeAxisDuration x {WINDOW_FACTOR} = "
                   f"{duration * WINDOW_FACTOR} s")
    return (start, end) if len(errors) == before else (None, None)


def validate_configure(config: SandboxConfig, body: Any) -> tuple[ConfigureRequest | None, list[dict]]:
    """Return the accepted request, or None and the list of FastAPI-style errors."""
    errors = _Errors()
    if not isinstance(body, dict):
        errors.add((), "Input should be a valid dictionary", "dict_type")
        return None, errors
    if config.has("missing_fields_defaulted"):
        body = _with_defaults(body)
    view = _view_type(config, body, errors)
    ch_min, ch_max = _channels(config, body, view, errors)
    height = _height(config, body, errors)
    duration = nfft = f_min = f_max = None
    if view == WATERFALL:
        _forbidden_for_waterfall(config, body, errors)
        if config.has("waterfall_rules_not_enforced") and _is_int(body.get("displayTimeAxisDuration")):
            duration = body["displayTimeAxisDuration"]
    elif view is not None:
        duration = _int_field(body, ("displayTimeAxisDuration",), errors)
        if duration is not None and duration <= 0 and not config.has("duration_not_validated"):
            errors.add(("displayTimeAxisDuration",), "displayTimeAxisDuration must be > 0", "greater_than")
            duration = None
        nfft = _nfft(config, body, view, errors)
        f_min, f_max = _frequency(config, body, errors)
    start, end = _times(config, body, duration, errors)
    if errors:
        return None, errors
    return ConfigureRequest(view, ch_min, ch_max, height, duration, nfft, f_min, f_max, start, end), []
