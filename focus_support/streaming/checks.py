"""What the stream must satisfy, as pure functions over received frames (contract section 16).

Each ``*_problems`` function returns one line per violation ("frame 4 at 0.31 s: ..."), empty when
the frames are right; the scenario layer turns them into a product failure with a finding.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from focus_support.streaming.frames import FLOAT32, Frame

SHOWN = 6  # violations listed in a message; the rest are counted


def _at(i: int, frame: Frame) -> str:
    return f"frame {i} at {frame.arrived_s:.2f} s"


def shape_problems(frames: Sequence[Frame]) -> list[str]:
    """Frames whose shape has a zero or negative dimension."""
    return [f"{_at(i, f)}: shape x={f.shape_x} y={f.shape_y} z={f.shape_z}" for i, f in enumerate(frames)
            if not f.has_shape]


def channel_problems(frames: Sequence[Frame], low: int, high: int) -> list[str]:
    """Frames naming a channel outside the configured range [low, high], or an inverted range."""
    problems = []
    for i, f in enumerate(frames):
        if f.start_channel > f.end_channel:
            problems.append(f"{_at(i, f)}: start_channel {f.start_channel} > end_channel {f.end_channel}")
        elif f.start_channel < low or f.end_channel > high:
            problems.append(f"{_at(i, f)}: channels {f.start_channel}-{f.end_channel} outside {low}-{high}")
    return problems


def order_problems(frames: Sequence[Frame]) -> list[str]:
    """Row indices must rise row after row; timestamps never go back and move on from frame to frame."""
    problems = []
    last_row: int | None = None
    last_stamp: int | None = None
    last_first_stamp: int | None = None
    for i, f in enumerate(frames):
        if len(f.timestamps_ms) != len(f.row_index):
            problems.append(f"{_at(i, f)}: {len(f.row_index)} row indices but {len(f.timestamps_ms)} timestamps")
        for row in f.row_index:
            if last_row is not None and row <= last_row:
                problems.append(f"{_at(i, f)}: row_index {row} after {last_row}")
            last_row = row
        for stamp in f.timestamps_ms:
            if last_stamp is not None and stamp < last_stamp:
                problems.append(f"{_at(i, f)}: timestamp {stamp} ms after {last_stamp} ms")
            last_stamp = stamp
        if f.timestamps_ms:
            first = f.timestamps_ms[0]
            if last_first_stamp is not None and first <= last_first_stamp:
                problems.append(f"{_at(i, f)}: starts at {first} ms, not after the previous frame ({last_first_stamp} ms)")
            last_first_stamp = first
    return problems


def payload_problems(frames: Sequence[Frame]) -> list[str]:
    """Frames whose main_data does not hold x * y * (z or 1) float32 values."""
    return [f"{_at(i, f)}: shape x={f.shape_x} y={f.shape_y} z={f.shape_z} states {f.stated_values} values "
            f"({f.stated_values * FLOAT32} bytes), main_data holds {f.payload_bytes} bytes"
            for i, f in enumerate(frames) if f.payload_bytes != f.stated_values * FLOAT32]


def group_problems(frames: Sequence[Frame], first: int, last: int) -> list[str]:
    """Frames of a stream that do not carry exactly the stream's channel group first..last."""
    return [f"{_at(i, f)}: channels {f.start_channel}-{f.end_channel}, the stream's group is {first}-{last}"
            for i, f in enumerate(frames) if (f.start_channel, f.end_channel) != (first, last)]


def rows_received(frames: Iterable[Frame]) -> int:
    return sum(f.rows for f in frames)


def row_spacing_ms(frames: Sequence[Frame]) -> float | None:
    """Mean time between consecutive rows by their timestamps (None with fewer than two rows)."""
    stamps = [s for f in frames for s in f.timestamps_ms]
    if len(stamps) < 2:
        return None
    return (stamps[-1] - stamps[0]) / (len(stamps) - 1)


def row_sizes(frames: Iterable[Frame]) -> set[float]:
    """The distinct payload bytes per row seen (one value when every frame agrees)."""
    return {size for f in frames if (size := f.row_bytes()) is not None}


def summarise(problems: list[str]) -> str:
    """The first few violations, one per line, and how many more there were."""
    shown = problems[:SHOWN]
    more = f"\n  ... and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
    return "\n  " + "\n  ".join(shown) + more if shown else ""
