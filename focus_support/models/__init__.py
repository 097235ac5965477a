"""Typed requests and responses of the Focus Server and Prisma Web App contract."""
from .alerts import (
    ALERT_ROUTING_KEY, AlertClass, AlertDeleteRequest, AlertPush, AlertRecord, LoginRequest, Severity,
)
from .focus import (
    LIVE_METADATA_FIELDS, CancelResponse, ChannelRange, ChannelsResponse, ConfigureRequest,
    ConfigureResponse, DisplayInfo, ErrorBody, FrequencyRange, LiveMetadata, MetadataResponse,
    RecordingsQuery, RecordingWindow, ValidationIssue, ViewType, build_configure_request,
    parse_recording_windows,
)

__all__ = [
    "ALERT_ROUTING_KEY", "AlertClass", "AlertDeleteRequest", "AlertPush", "AlertRecord", "CancelResponse",
    "ChannelRange", "ChannelsResponse", "ConfigureRequest", "ConfigureResponse", "DisplayInfo", "ErrorBody",
    "FrequencyRange", "LIVE_METADATA_FIELDS", "LiveMetadata", "LoginRequest", "MetadataResponse",
    "RecordingWindow", "RecordingsQuery", "Severity", "ValidationIssue", "ViewType",
    "build_configure_request", "parse_recording_windows",
]
