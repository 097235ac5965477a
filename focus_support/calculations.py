"""Expected values of a configure response from the request and the live ``prr`` (contract sections 3, 9).

``prr`` always comes from ``GET /live_metadata``; nothing here has a default sampling rate.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from focus_support.errors import PreconditionNotMetError
from focus_support.models import ConfigureRequest, LiveMetadata, ViewType

BYTES_PER_VALUE = 4  # float32 samples


def _require_prr(prr: float) -> float:
    if prr <= 0:
        raise PreconditionNotMetError(f"live prr is {prr}: the system is waiting for fibre")
    return float(prr)


def frequency_resolution(prr: float, nfft: int) -> float:
    """Δf = prr / nfft (Hz)."""
    return _require_prr(prr) / nfft


def expected_frequencies(prr: float, nfft: int, fmin: float, fmax: float) -> list[float]:
    """FFT bin centres k·Δf inside the closed band [fmin, fmax], ascending."""
    df = frequency_resolution(prr, nfft)
    first = math.ceil(fmin / df - 1e-9)
    last = math.floor(fmax / df + 1e-9)
    return [k * df for k in range(max(first, 0), last + 1)]


def expected_lines_dt(request: ConfigureRequest, prr: float) -> float:
    """Seconds per canvas row: duration/height, or 1/prr for waterfall (unverified)."""
    if request.view_type is ViewType.WATERFALL:
        return 1.0 / _require_prr(prr)
    assert request.displayTimeAxisDuration is not None, "views 0/1 need displayTimeAxisDuration"
    return request.displayTimeAxisDuration / request.displayInfo.height


def expected_channel_amount(request: ConfigureRequest) -> int:
    """max-min+1, or 1 for singlechannel."""
    return 1 if request.view_type is ViewType.SINGLECHANNEL else request.channels.count


def expected_stream_mapping(request: ConfigureRequest) -> dict[str, int]:
    """Channel (as string) -> stream index: min(3, n) contiguous groups of ceil(n/3) for multichannel."""
    lo, hi = request.channels.min, request.channels.max
    if request.view_type is ViewType.SINGLECHANNEL:
        return {str(lo): 0}
    if request.view_type is ViewType.WATERFALL:
        return {str(ch): 0 for ch in range(lo, hi + 1)}
    size = math.ceil(request.channels.count / 3)
    return {str(ch): (ch - lo) // size for ch in range(lo, hi + 1)}


def bytes_per_row(channel_amount: int, frequencies_amount: int) -> int:
    """Size of one spectrogram row: channels × bins × 4 bytes."""
    return channel_amount * frequencies_amount * BYTES_PER_VALUE


@dataclass(frozen=True)
class ExpectedConfigure:
    """What a correct configure response must contain for a request at the live prr."""

    view_type: ViewType
    channel_amount: int
    stream_amount: int
    channel_to_stream_index: dict[str, int]
    frequencies_list: list[float]
    lines_dt: float
    prr: float

    @property
    def frequencies_amount(self) -> int:
        """Number of expected bins."""
        return len(self.frequencies_list)

    @property
    def bytes_per_row(self) -> int:
        """Expected spectrogram row size."""
        return bytes_per_row(self.channel_amount, self.frequencies_amount)


def expected_configure(request: ConfigureRequest, live: LiveMetadata | float) -> ExpectedConfigure:
    """Everything a configure response should say, computed from the request and live metadata."""
    prr = _require_prr(live.prr if isinstance(live, LiveMetadata) else live)
    mapping = expected_stream_mapping(request)
    if request.view_type is ViewType.WATERFALL or request.frequencyRange is None or request.nfftSelection is None:
        freqs: list[float] = []
    else:
        freqs = expected_frequencies(prr, request.nfftSelection, request.frequencyRange.min, request.frequencyRange.max)
    return ExpectedConfigure(
        view_type=request.view_type,
        channel_amount=expected_channel_amount(request),
        stream_amount=len(set(mapping.values())),
        channel_to_stream_index=mapping,
        frequencies_list=freqs,
        lines_dt=expected_lines_dt(request, prr),
        prr=prr,
    )


# --- what every source agrees on about a frequency axis (contract 9) ------------------------------
AXIS_TOLERANCE_HZ = 2e-3  # recorded answers round bins to 3 decimals (7.797, 15.594, ...)
BIN_TOLERANCE_HZ = 1e-6  # bins are exact multiples of prr/nfft; only float rounding may differ
WHOLE_FACTOR_TOLERANCE = 0.01


def gaps_off_spacing(freqs: list[float], spacing_hz: float) -> tuple[list[float], list[tuple[int, float]]]:
    """The gaps between neighbouring bins, and those (index, gap) further than ``BIN_TOLERANCE_HZ``
    from ``spacing_hz``."""
    gaps = [b - a for a, b in zip(freqs, freqs[1:])]
    return gaps, [(i, g) for i, g in enumerate(gaps) if abs(g - spacing_hz) > BIN_TOLERANCE_HZ]


def axis_problems(freqs: list[float], low: float, high: float) -> dict[str, str]:
    """Why a frequency list is not ascending, evenly spaced and inside [low, high], by kind
    (``too few bins``, ``outside band``, ``not ascending``, ``uneven``); empty when it is all three."""
    if len(freqs) < 2:
        return {"too few bins": f"a band of {low:g}-{high:g} Hz needs two bins to have a spacing, got {freqs}"}
    problems = {}
    outside = [f for f in freqs if f < low - AXIS_TOLERANCE_HZ or f > high + AXIS_TOLERANCE_HZ]
    if outside:
        problems["outside band"] = f"{len(outside)} bin(s) outside {low:g}-{high:g} Hz, first {outside[0]:g}"
    gaps = [b - a for a, b in zip(freqs, freqs[1:])]
    if any(g <= 0 for g in gaps):
        first = next(i for i, g in enumerate(gaps) if g <= 0)
        problems["not ascending"] = f"not ascending at index {first + 1}: {freqs[first]:g} then {freqs[first + 1]:g}"
    mean = (freqs[-1] - freqs[0]) / len(gaps)
    uneven = [(i, g) for i, g in enumerate(gaps) if abs(g - mean) > AXIS_TOLERANCE_HZ]
    if uneven:
        problems["uneven"] = (f"{len(uneven)} of {len(gaps)} gaps differ from the mean spacing {mean:g} Hz, "
                              f"first at index {uneven[0][0]}: {uneven[0][1]:g} Hz")
    return problems


def spacing_factor(freqs: list[float], prr: float, nfft: int) -> float:
    """The mean bin spacing in units of prr/nfft (1 in the textbook rule, 4 in the recorded answer)."""
    if len(freqs) < 2:
        raise ValueError("a spacing needs at least two bins")
    mean = (freqs[-1] - freqs[0]) / (len(freqs) - 1)
    return mean / frequency_resolution(prr, nfft)


def is_whole_factor(factor: float) -> bool:
    """True for 1, 2, 3, 4... within rounding: a spacing that follows the live prr."""
    return round(factor) >= 1 and abs(factor - round(factor)) <= WHOLE_FACTOR_TOLERANCE
