"""One received ``DataStream`` frame as the checks and the pictures need it (contract section 16).

A frame is summarised as it arrives: channels, shape, row indices, timestamps and payload size are
kept whole; the float32 values only as a narrow preview per row (for the spectrogram picture), so a
long watch of a wide view stays small in memory.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FLOAT32 = 4
PREVIEW_COLUMNS = 256  # values kept per row for the picture (block means of the row)


@dataclass(frozen=True)
class Frame:
    """What one frame said, and when it arrived (seconds since the watch connected)."""

    arrived_s: float
    start_channel: int
    end_channel: int
    shape_x: int
    shape_y: int
    shape_z: int | None          # None: the field was not set (means 1)
    row_index: tuple[int, ...]
    timestamps_ms: tuple[int, ...]
    payload_entries: int
    payload_bytes: int
    global_maximum: float
    global_minimum: float
    job_id: int | None
    preview: np.ndarray | None   # rows x <= PREVIEW_COLUMNS float32, None when the payload does not split into rows

    @property
    def rows(self) -> int:
        """Rows the frame carries, counted by its row indices."""
        return len(self.row_index)

    @property
    def stated_values(self) -> int:
        """float32 values the shape promises: x * y * (z or 1)."""
        return self.shape_x * self.shape_y * (1 if self.shape_z is None else self.shape_z)

    @property
    def has_shape(self) -> bool:
        """True when x, y (and z, if set) are all positive."""
        return self.shape_x > 0 and self.shape_y > 0 and (self.shape_z is None or self.shape_z > 0)

    @property
    def channels(self) -> int:
        """Channels the frame names (end - start + 1)."""
        return self.end_channel - self.start_channel + 1

    def row_bytes(self) -> float | None:
        """Payload bytes per row, when the frame has rows."""
        return self.payload_bytes / self.rows if self.rows else None

    def describe(self) -> str:
        z = "unset" if self.shape_z is None else str(self.shape_z)
        rows = f"rows {self.row_index[0]}..{self.row_index[-1]}" if self.row_index else "no rows"
        return (f"channels {self.start_channel}-{self.end_channel}, shape x={self.shape_x} y={self.shape_y} z={z}, "
                f"{rows}, {self.payload_bytes} payload bytes in {self.payload_entries} entries")


def decode(message: object, arrived_s: float) -> Frame:
    """A Frame from a ``pandadatastream.DataStream`` message."""
    data = list(message.main_data)  # type: ignore[attr-defined]
    payload_bytes = sum(len(part) for part in data)
    rows = len(message.row_index)  # type: ignore[attr-defined]
    return Frame(
        arrived_s=arrived_s,
        start_channel=message.start_channel, end_channel=message.end_channel,  # type: ignore[attr-defined]
        shape_x=message.data_shape_x, shape_y=message.data_shape_y,  # type: ignore[attr-defined]
        shape_z=message.data_shape_z if message.HasField("data_shape_z") else None,  # type: ignore[attr-defined]
        row_index=tuple(message.row_index), timestamps_ms=tuple(message.timestamp_in_milis),  # type: ignore[attr-defined]
        payload_entries=len(data), payload_bytes=payload_bytes,
        global_maximum=message.global_maximum, global_minimum=message.global_minimum,  # type: ignore[attr-defined]
        job_id=message.job_id if message.HasField("job_id") else None,  # type: ignore[attr-defined]
        preview=_preview(b"".join(data), rows))


def _preview(payload: bytes, rows: int) -> np.ndarray | None:
    """The payload as rows of at most PREVIEW_COLUMNS block means; None if it does not split evenly."""
    if not rows or not payload or len(payload) % (FLOAT32 * rows):
        return None
    values = np.frombuffer(payload, dtype="<f4").reshape(rows, -1)
    width = values.shape[1]
    if width <= PREVIEW_COLUMNS:
        return values.astype(np.float32, copy=True)
    block = -(-width // PREVIEW_COLUMNS)  # ceil: columns averaged into one
    columns = -(-width // block)
    padded = np.full((rows, block * columns), np.nan, dtype=np.float32)
    padded[:, :width] = values  # only the last block can be partly padding, never all of it
    return np.nanmean(padded.reshape(rows, columns, block), axis=2).astype(np.float32)
