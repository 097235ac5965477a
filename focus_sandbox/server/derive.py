"""Derive the configure response fields from a validated request (contract sections 3 and 9)."""
from __future__ import annotations

import math

from focus_sandbox.settings import SandboxConfig

MULTICHANNEL, SINGLECHANNEL, WATERFALL = "0", "1", "2"


def channel_mapping(view: str, ch_min: int, ch_max: int, config: SandboxConfig | None = None) -> dict[str, int]:
    """Map each channel number (as a string) to its stream index."""
    has = config.has if config is not None else (lambda _name: False)
    channels = range(ch_min, ch_max + 1)
    key_offset = 1 if has("channel_keys_zero_based") else 0
    if view == MULTICHANNEL or (view == WATERFALL and has("waterfall_split_into_streams")):
        n = len(channels)
        if n == 0:  # only reachable with channel_bounds_not_validated (min > max)
            return {}
        group = math.ceil(n / min(3, n))
        return {str(ch - key_offset): i // group for i, ch in enumerate(channels)}
    # Singlechannel and waterfall use one stream; a singlechannel range (only accepted with
    # singlechannel_range_accepted) is squashed onto stream 0 as the observed server did.
    return {str(ch - key_offset): 0 for ch in channels}


def channel_amount(view: str, ch_min: int, ch_max: int) -> int:
    """Number of channels a row carries: 1 for singlechannel, the range size otherwise."""
    return 1 if view == SINGLECHANNEL else ch_max - ch_min + 1


def frequencies(config: SandboxConfig, view: str, nfft: int | None, f_min: int | None,
                f_max: int | None, prr: float) -> list[float]:
    """FFT bin centres k*prr/nfft inside [f_min, f_max]; empty for waterfall."""
    if view == WATERFALL and config.has("waterfall_has_frequency_axis"):
        return [0.0]
    if view == WATERFALL or not nfft or prr <= 0:
        return []
    df = (1000.0 if config.has("frequency_resolution_assumes_1000hz") else prr) / nfft
    if config.has("full_band_frequency_bins"):
        return [k * df for k in range(nfft // 2 + 1)]
    if view == MULTICHANNEL and config.has("decimated_frequency_bins"):
        # as recorded (contract 15): spacing 4 x prr/nfft, floor(band / spacing) bins from the band's start
        spacing = 4 * df
        k_lo = max(0, math.ceil(f_min / spacing - 1e-9))
        return [(k_lo + i) * spacing for i in range(math.floor((f_max - f_min) / spacing + 1e-9))]
    k_lo = max(0, math.ceil(f_min / df - 1e-9))
    k_hi = math.floor(f_max / df + 1e-9)
    return [k * df for k in range(k_lo, k_hi + 1)]


def lines_dt(config: SandboxConfig, view: str, duration: int | None, height: int, prr: float) -> float:
    """Seconds per row: duration/height, or 1/prr for waterfall."""
    if view == WATERFALL or not duration:
        if view == WATERFALL and config.has("waterfall_lines_dt_inverted"):
            return prr
        return 1.0 / prr if prr > 0 else 0.0
    if config.has("wrong_lines_dt"):
        return height / duration
    if height == 0:  # only reachable with height_not_validated; JSON cannot carry infinity
        return 0.0
    return duration / height


def stream_count(view: str, mapping: dict[str, int]) -> int:
    """Number of distinct streams in a mapping."""
    streams = len(set(mapping.values()))
    return streams if view == MULTICHANNEL else max(1, streams)
