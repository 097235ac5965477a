"""Pydantic models of the Focus Server contract (sections 2, 3, 8): requests and responses.

Response models accept the variants the deployed server was observed to send (``view_type`` as an
int, ``stream_port`` as a string, ``number_of_channels`` as a float) and record in ``variants`` which
one they saw, so a scenario can assert the spec shape explicitly instead of the model hiding it.
"""
from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, TypeAdapter, model_validator


class ViewType(str, Enum):
    """The three views of ``POST /configure``; the wire value is the string digit."""

    MULTICHANNEL = "0"
    SINGLECHANNEL = "1"
    WATERFALL = "2"

    @classmethod
    def parse(cls, value: Any) -> "ViewType":
        """Accept the enum, its name, the string digit or the int 0/1/2."""
        if isinstance(value, ViewType):
            return value
        if isinstance(value, str) and value.upper() in cls.__members__:
            return cls[value.upper()]
        return cls(str(value))


class ChannelRange(BaseModel):
    """Inclusive channel range ``{"min", "max"}``."""

    min: int
    max: int

    @property
    def count(self) -> int:
        """Number of channels in the range."""
        return self.max - self.min + 1


class FrequencyRange(BaseModel):
    """Frequency band in Hz ``{"min", "max"}``."""

    min: int
    max: int


class DisplayInfo(BaseModel):
    height: int


class ConfigureRequest(BaseModel):
    """Body of ``POST /configure``; waterfall must not carry a time axis or a frequency band."""

    model_config = ConfigDict(use_enum_values=False)

    view_type: ViewType
    channels: ChannelRange
    displayInfo: DisplayInfo
    displayTimeAxisDuration: int | None = None
    nfftSelection: int | None = None
    frequencyRange: FrequencyRange | None = None
    start_time: int | None = None
    end_time: int | None = None

    @model_validator(mode="after")
    def _waterfall_rules(self) -> "ConfigureRequest":
        if self.view_type is ViewType.WATERFALL:
            if self.displayTimeAxisDuration is not None:
                raise ValueError("displayTimeAxisDuration not applicable for waterfall")
            if self.frequencyRange is not None:
                raise ValueError("frequencyRange not applicable for waterfall")
            if self.nfftSelection not in (None, 1):
                raise ValueError("nfftSelection must be absent or 1 for waterfall")
        return self

    @property
    def is_historic(self) -> bool:
        """True when both ends of a time window are set."""
        return self.start_time is not None and self.end_time is not None

    def to_wire(self) -> dict[str, Any]:
        """The JSON body as sent: enum as its string digit, absent optionals omitted, times always present."""
        body = self.model_dump(mode="json", exclude_none=True)
        body["start_time"] = self.start_time
        body["end_time"] = self.end_time
        return body


def build_configure_request(
    view_type: ViewType | str | int = ViewType.MULTICHANNEL,
    *,
    channels: tuple[int, int] | None = None,
    height: int = 768,
    duration_s: int = 30,
    nfft: int = 256,
    frequency: tuple[int, int] = (0, 500),
    start_time: int | None = None,
    end_time: int | None = None,
) -> ConfigureRequest:
    """A valid configure request for the view; waterfall omits the fields it forbids."""
    view = ViewType.parse(view_type)
    if channels is None:
        channels = (7, 7) if view is ViewType.SINGLECHANNEL else (1, 8)
    common: dict[str, Any] = {
        "view_type": view,
        "channels": ChannelRange(min=channels[0], max=channels[1]),
        "displayInfo": DisplayInfo(height=height),
        "start_time": start_time,
        "end_time": end_time,
    }
    if view is ViewType.WATERFALL:
        return ConfigureRequest(**common, nfftSelection=1)
    return ConfigureRequest(
        **common,
        displayTimeAxisDuration=duration_s,
        nfftSelection=nfft,
        frequencyRange=FrequencyRange(min=frequency[0], max=frequency[1]),
    )


class _Observed(BaseModel):
    """Base for responses: keeps unknown fields and remembers which wire variants were seen."""

    model_config = ConfigDict(extra="allow")

    _variants: dict[str, str] = PrivateAttr(default_factory=dict)
    _missing: list[str] = PrivateAttr(default_factory=list)

    @property
    def variants(self) -> dict[str, str]:
        """Field name -> the JSON type seen where the spec allows one (e.g. ``{"view_type": "int"}``)."""
        return dict(self._variants)

    @staticmethod
    def _type_name(value: Any) -> str:
        return {bool: "bool", int: "int", float: "float", str: "str"}.get(type(value), type(value).__name__)

    @classmethod
    def _seen(cls, data: Any, fields: tuple[str, ...]) -> dict[str, str]:
        if not isinstance(data, dict):
            return {}
        return {f: cls._type_name(data[f]) for f in fields if f in data}


class ConfigureResponse(_Observed):
    """``POST /configure`` and ``GET /metadata/{job_id}`` response (contract section 3)."""

    job_id: str
    status: str = ""
    view_type: ViewType
    channel_amount: int
    stream_amount: int
    channel_to_stream_index: dict[str, int] = Field(default_factory=dict)
    frequencies_list: list[float] = Field(default_factory=list)
    frequencies_amount: int = 0
    lines_dt: float
    stream_url: str = ""
    stream_port: int

    @model_validator(mode="wrap")
    @classmethod
    def _remember(cls, data: Any, handler: Any) -> "ConfigureResponse":
        seen = cls._seen(data, ("view_type", "stream_port", "status"))
        if isinstance(data, dict) and "view_type" in data:
            data = {**data, "view_type": ViewType.parse(data["view_type"])}
        model = handler(data)
        model._variants = seen
        return model

    @property
    def spec_shaped(self) -> bool:
        """True when ``view_type`` and ``stream_port`` came in the types the spec names."""
        return self._variants.get("view_type") == "str" and self._variants.get("stream_port") == "int"


MetadataResponse = ConfigureResponse


class CancelResponse(_Observed):
    """``DELETE /job/{job_id}`` (spec): ``{"job_id", "status": "cancelled"}``."""

    job_id: str
    status: str


class ChannelsResponse(_Observed):
    """``GET /channels``."""

    lowest_channel: int
    highest_channel: int


LIVE_METADATA_FIELDS = (
    "prr", "dx", "number_of_channels", "fiber_start_meters", "fiber_length_meters",
    "sw_version", "fiber_description", "num_samples_per_trace", "dtype",
)
WAITING_FOR_FIBRE = "waiting for fiber"


class LiveMetadata(_Observed):
    """``GET /live_metadata`` (contract section 8); fields the server omitted are listed in ``missing``."""

    prr: float
    dx: float
    number_of_channels: float
    fiber_start_meters: float = 0.0
    fiber_length_meters: float = 0.0
    sw_version: str = ""
    fiber_description: str = ""
    num_samples_per_trace: int | None = None
    dtype: str | None = None

    @model_validator(mode="wrap")
    @classmethod
    def _remember(cls, data: Any, handler: Any) -> "LiveMetadata":
        model = handler(data)
        model._variants = cls._seen(data, ("number_of_channels",))
        model._missing = [f for f in LIVE_METADATA_FIELDS if not isinstance(data, dict) or f not in data]
        return model

    @property
    def missing(self) -> list[str]:
        """Contract fields absent from the response."""
        return list(self._missing)

    @property
    def waiting_for_fibre(self) -> bool:
        """True when the system has no fibre yet (prr 0 or the "waiting for fiber" marker)."""
        return self.prr == 0 or WAITING_FOR_FIBRE in (self.sw_version, self.fiber_description)

    @property
    def channel_count(self) -> int:
        """``number_of_channels`` as an int (observed as a float sometimes)."""
        return int(self.number_of_channels)


class RecordingsQuery(BaseModel):
    """Body of ``POST /recordings_in_time_range`` (epoch seconds)."""

    start_time: int
    end_time: int


class RecordingWindow(BaseModel):
    """One ``[start, end]`` pair; ``end == -1`` marks an ongoing recording (unverified)."""

    start: int
    end: int

    @property
    def ongoing(self) -> bool:
        """True for the ``-1`` end marker."""
        return self.end == -1

    def intersects(self, start: int, end: int) -> bool:
        """True when the recording overlaps ``[start, end]``."""
        return self.start <= end and (self.ongoing or self.end >= start)


_PAIRS = TypeAdapter(list[tuple[int, int]])


def parse_recording_windows(body: Any) -> list[RecordingWindow]:
    """Parse the bare JSON list of ``[start, end]`` pairs."""
    return [RecordingWindow(start=s, end=e) for s, e in _PAIRS.validate_python(body)]


class ValidationIssue(BaseModel):
    """One entry of a FastAPI 422 ``detail`` list."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int] = Field(default_factory=list)
    msg: str = ""
    type: str = ""


class ErrorBody(BaseModel):
    """Either FastAPI's ``{"detail": ...}`` or the application's ``{"error": "..."}``."""

    model_config = ConfigDict(extra="allow")

    detail: str | list[ValidationIssue] | None = None
    error: str | None = None

    def fields_named(self) -> list[str]:
        """Every name in the ``loc`` of each validation issue (empty for string details)."""
        if not isinstance(self.detail, list):
            return []
        return [str(part) for issue in self.detail for part in issue.loc]

    @property
    def message(self) -> str:
        """The human message: ``error`` or a string ``detail`` or the joined issue messages."""
        if self.error is not None:
            return self.error
        if isinstance(self.detail, list):
            return "; ".join(i.msg for i in self.detail)
        return self.detail or ""
