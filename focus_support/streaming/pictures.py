"""What a stakeholder sees of a stream in the report: a small spectrogram picture and a frame table.

The picture stacks the rows received (time downwards, the row's values across, each row shown as at
most ``frames.PREVIEW_COLUMNS`` block means); it is drawn with matplotlib's Agg canvas directly, so
no display and no global pyplot state are involved.
"""
from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from allure_commons.types import AttachmentType
from allure_commons.utils import uuid4
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from focus_support.reporting import evidence
from focus_support.streaming.frames import Frame

PICTURE_ROWS = 300       # the most recent rows drawn
TABLE_FRAMES = 12        # frames listed at each end of the table
SIZE_IN, DPI = (6.0, 3.2), 90


def spectrogram_png(frames: Sequence[Frame], title: str) -> bytes | None:
    """A PNG of the received rows, or None when no frame carried values that split into rows."""
    blocks = [f.preview for f in frames if f.preview is not None and f.preview.size]
    if not blocks:
        return None
    width = max(b.shape[1] for b in blocks)
    rows = np.vstack([np.pad(b, ((0, 0), (0, width - b.shape[1])), constant_values=np.nan) for b in blocks])
    rows = rows[-PICTURE_ROWS:]
    figure = Figure(figsize=SIZE_IN, dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    image = axes.imshow(rows, aspect="auto", interpolation="nearest", cmap="viridis")
    axes.set_title(title, fontsize=9)
    axes.set_xlabel("value within the row (channel x frequency, block means)", fontsize=8)
    axes.set_ylabel(f"row (last {len(rows)})", fontsize=8)
    axes.tick_params(labelsize=7)
    figure.colorbar(image, ax=axes).ax.tick_params(labelsize=7)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def frame_table(frames: Sequence[Frame], heading: str) -> str:
    """A fixed-width table of the frames (the first and last few when there are many) and totals."""
    lines = [heading, f"{'#':>5} {'at s':>7} {'channels':>11} {'shape x*y*z':>14} {'rows':>5} "
                      f"{'row_index':>15} {'first ts ms':>14} {'bytes':>9} {'min..max':>17}"]
    shown = list(enumerate(frames))
    if len(shown) > 2 * TABLE_FRAMES:
        shown = shown[:TABLE_FRAMES] + [(-1, None)] + shown[-TABLE_FRAMES:]
    for i, f in shown:
        if f is None:
            lines.append(f"{'...':>5} ({len(frames) - 2 * TABLE_FRAMES} frames not listed)")
            continue
        z = "-" if f.shape_z is None else str(f.shape_z)
        index = f"{f.row_index[0]}..{f.row_index[-1]}" if f.row_index else "-"
        first = str(f.timestamps_ms[0]) if f.timestamps_ms else "-"
        lines.append(f"{i:>5} {f.arrived_s:>7.2f} {f'{f.start_channel}-{f.end_channel}':>11} "
                     f"{f'{f.shape_x}*{f.shape_y}*{z}':>14} {f.rows:>5} {index:>15} {first:>14} "
                     f"{f.payload_bytes:>9} {f'{f.global_minimum:.3g}..{f.global_maximum:.3g}':>17}")
    rows = sum(f.rows for f in frames)
    lines.append(f"total: {len(frames)} frame(s), {rows} row(s), {sum(f.payload_bytes for f in frames)} payload bytes")
    return "\n".join(lines)


def attach_png(name: str, png: bytes) -> bool:
    """Attach a PNG to the running Allure step; False outside a behave run (then nothing happens)."""
    from focus_support.reporting import formatter  # late: the formatter module imports allure-behave

    listener = formatter.ACTIVE
    if listener is None or listener.logger._last_executable() is None:
        return False
    listener.logger.attach_data(uuid4(), png, name=name, attachment_type=AttachmentType.PNG)
    return True


def attach_stream(frames: Sequence[Frame], label: str, summary: str = "") -> None:
    """Attach the frame table (headed by ``summary``) and, when there are values to draw, the spectrogram."""
    evidence.attach(f"Frames of {label}", frame_table(frames, summary or f"Frames of {label}"))
    png = spectrogram_png(frames, label)
    if png is not None:
        attach_png(f"Spectrogram of {label}", png)
