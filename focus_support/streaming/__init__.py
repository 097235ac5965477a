"""The job's data stream (contract section 16): the gRPC client, received frames, checks and pictures."""

from focus_support.streaming.client import StreamEnd, StreamWatch, stream_target
from focus_support.streaming.frames import Frame, decode

__all__ = ["Frame", "StreamEnd", "StreamWatch", "decode", "stream_target"]
