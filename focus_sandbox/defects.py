"""Profiles and defect switches of the sandbox.

The ``spec`` profile behaves as the contract requires. Each switch below replays one deviation: the
ones marked ``observed`` were seen on staging (contract section 13) and make up the ``observed``
profile; the others are mistakes a careless server could make, used to prove that the suite notices
them. Server code asks ``config.has(name)`` at the one place a switch changes.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Defect:
    """One deviation from the contract the sandbox can replay."""

    description: str
    area: str
    observed: bool = False


_D = Defect

DEFECTS: dict[str, Defect] = {
    # /configure validation (contract 2.1 and 13: "lax validation")
    "height_not_validated": _D("configure accepts displayInfo.height <= 0", "configure", True),
    "nfft_not_validated": _D(
        "configure accepts nfftSelection that is not a power of two or outside its range", "configure", True),
    "frequency_range_not_validated": _D(
        "configure accepts frequencyRange max above min(1000, prr/2) and min == max", "configure", True),
    "channel_count_not_validated": _D("configure accepts more than 2222 channels", "configure", True),
    "future_times_accepted": _D("configure accepts start_time/end_time in the future", "configure", True),
    "singlechannel_range_accepted": _D(
        "singlechannel accepts channels.min != channels.max (every channel mapped to stream 0)",
        "configure", True),
    "waterfall_rules_not_enforced": _D(
        "waterfall accepts displayTimeAxisDuration, frequencyRange and any nfftSelection", "configure"),
    "historic_without_recordings_accepted": _D(
        "historic configure with no recordings in the window answers 200 and starts a job", "configure"),
    "missing_fields_defaulted": _D(
        "configure fills in defaults for a missing view_type, channels, displayInfo, displayTimeAxisDuration "
        "or frequencyRange instead of rejecting the request", "configure"),
    "unknown_view_type_accepted": _D("configure treats an unknown view_type (e.g. \"3\") as multichannel",
                                     "configure"),
    "numeric_view_type_rejected": _D("configure rejects view_type given as an integer (only strings accepted)",
                                     "configure"),
    "channel_bounds_not_validated": _D(
        "configure accepts channels.min < 1, min > max and max beyond the highest channel", "configure"),
    "duration_not_validated": _D("configure accepts displayTimeAxisDuration <= 0", "configure"),
    "negative_frequency_accepted": _D("configure accepts frequencyRange.min < 0", "configure"),
    "range_limits_exclusive": _D(
        "configure treats the upper limits as exclusive: 2222 channels, the highest NFFT of a view and "
        "frequencyRange.max at the highest allowed frequency are rejected", "configure"),
    "half_open_window_treated_as_live": _D(
        "configure with only one of start_time/end_time is served as a live view instead of rejected",
        "configure"),
    "window_order_not_validated": _D("configure does not reject end_time <= start_time with a 422", "configure"),
    "window_length_not_validated": _D("configure accepts historic windows longer than 30 time-axis durations",
                                      "configure", True),
    "waterfall_nfft_one_rejected": _D(
        "waterfall requests are held to the multichannel NFFT rule, so the valid nfftSelection 1 is rejected",
        "configure"),
    "historic_job_started_before_lookup": _D(
        "historic configure starts the job before looking up recordings, so a 404 or 503 leaves a job running",
        "configure"),
    "queue_declared_before_validation": _D(
        "configure declares the job's RabbitMQ queue before validating, so a rejected request leaks it",
        "configure"),
    # configure response (contract 3 and 9)
    "status_empty": _D('configure and metadata answer status "" instead of "success"', "response", True),
    "full_band_frequency_bins": _D(
        "frequencies_list is the full band (nfft/2+1 bins) regardless of frequencyRange", "response"),
    "decimated_frequency_bins": _D(
        "multichannel bins are 4x coarser than prr/nfft, floor(band / spacing) of them from the band's start "
        "(the recorded answer: 64 bins spaced 7.797 Hz for NFFT 1024 over 0-500 Hz)", "response", True),
    "wrong_lines_dt": _D("lines_dt is height / displayTimeAxisDuration (inverted)", "response"),
    "job_id_reused": _D("job ids restart from the number of live jobs, so ids are reused", "response"),
    "view_type_echoed_as_int": _D("configure and metadata answer view_type as an int (0/1/2), not a string",
                                  "response", True),
    "stream_port_as_string": _D('configure and metadata answer stream_port as a string ("12301")', "response",
                                True),
    "stream_url_with_scheme": _D('configure and metadata answer stream_url with its scheme ("http://127.0.0.1")',
                                 "response", True),
    "channel_amount_off_by_one": _D("multichannel and waterfall channel_amount is max - min (the +1 forgotten)",
                                    "response"),
    "channel_keys_zero_based": _D("channel_to_stream_index keys are 0-based (channel - 1)", "response"),
    "waterfall_split_into_streams": _D("waterfall splits its channels into up to 3 streams like multichannel",
                                       "response"),
    "frequency_resolution_assumes_1000hz": _D(
        "frequency bins are spaced by 1000/nfft (a hard-coded prr) instead of live prr/nfft", "response"),
    "frequencies_amount_off_by_one": _D("frequencies_amount is len(frequencies_list) + 1", "response"),
    "waterfall_has_frequency_axis": _D("waterfall answers one DC frequency bin (frequencies_amount 1)",
                                       "response"),
    "waterfall_lines_dt_inverted": _D("waterfall lines_dt is prr instead of 1/prr", "response"),
    "large_roi_fewer_bins": _D("views of more than 256 channels keep every second frequency bin only",
                               "response"),
    "metadata_view_type_as_int": _D("/metadata/{job_id} answers view_type as an int, unlike the configure "
                                    "response", "response"),
    # job lifecycle (contract 4, Issue #26)
    "no_cancel_route": _D("DELETE /job/{job_id} does not exist (404 Not Found)", "lifecycle", True),
    "janitor_keeps_queue": _D("the janitor never deletes the job's RabbitMQ queue (shell typo)",
                              "lifecycle", True),
    "janitor_stuck_pending": _D("janitor pods never schedule (nodeSelector matches no node)",
                                "lifecycle", True),
    "metadata_after_cancel": _D("/metadata/{job_id} still answers 200 after the job was cancelled",
                                "lifecycle"),
    "job_service_not_created": _D("configure creates no grpc-service-<id> Service", "lifecycle"),
    "stream_port_mismatch": _D(
        "the streaming pod listens on another port than the job's stream_port, so the job never becomes ready",
        "lifecycle"),
    "idle_jobs_never_end": _D("the streaming pod ignores the idle timeout: a job nobody watches runs forever",
                              "lifecycle"),
    "failed_jobs_not_cleaned": _D(
        "a crashed streaming job is kept (no TTL) and the janitor waits for completion only, so nothing of it "
        "is removed", "lifecycle"),
    "unknown_job_metadata_answers_200": _D(
        "/metadata of a job id the server does not know (never issued, expired or cancelled) answers 200 {}",
        "lifecycle"),
    # the job's gRPC data stream (contract 16)
    "stream_frames_outside_range": _D(
        "the job's stream labels its frames with channels just past the configured range", "stream"),
    "stream_row_index_frozen": _D("every row of a stream carries the same row_index", "stream"),
    "stream_empty_payloads": _D("stream frames state a non-zero shape but carry no main_data", "stream"),
    "stream_never_sends": _D("the job accepts StreamData calls but never sends a frame", "stream"),
    "stream_watched_job_idles_out": _D(
        "the streaming pod counts idle time even while a client watches, so a watched job ends at the idle "
        "timeout", "stream"),
    # MongoDB (contract 7)
    "deleted_index_missing": _D("the recordings collection has no index on 'deleted'", "mongodb", True),
    "recordings_unsorted": _D("/recordings_in_time_range answers in storage order, not by start",
                              "mongodb"),
    "recordings_contained_only": _D(
        "/recordings_in_time_range and historic configure see only recordings wholly inside the window",
        "mongodb"),
    "future_window_lists_ongoing_recording": _D(
        "an ongoing recording (no end_time) is listed for windows in the future", "mongodb"),
    "recording_without_start_time": _D("the seed writes one recording without start_time", "mongodb"),
    "unrecognized_folders_in_recordings": _D(
        "the seed writes the unrecognized folders into the recordings collection too", "mongodb"),
    "base_path_names_unrecognized_collection": _D(
        "base_paths names the -unrecognized_recordings collection as the live root's recordings", "mongodb"),
    "base_path_names_missing_collection": _D("base_paths names a recordings collection that does not exist",
                                             "mongodb"),
    "recordings_indexes_missing": _D("the recordings collection has no index besides _id", "mongodb"),
    "uuid_index_not_unique": _D("the recordings collection's uuid index does not enforce unique values",
                                "mongodb"),
    # dependencies (contract 11)
    "mongodb_slow_failure": _D(
        "historic configure during a MongoDB outage retries MongoDB for 8 s before its 503 (contract: 5 s)",
        "resilience"),
    "mongodb_outage_answers_500": _D("a historic configure during a MongoDB outage answers 500, not 503",
                                     "resilience"),
    "live_configure_needs_mongodb": _D(
        "live configure also reads MongoDB, so it fails with 503 during a MongoDB outage", "resilience"),
    "mongodb_connection_not_reopened": _D(
        "the server keeps the MongoDB connection it opened at start; once MongoDB restarts, historic requests "
        "answer 503 until the server restarts", "resilience"),
    "broker_connection_not_reopened": _D(
        "the server keeps one RabbitMQ connection opened at start; after a connection reset or broker "
        "restart, configure and alert pushes answer 503 until the server restarts", "resilience"),
    # live metadata (contract 8)
    "live_metadata_missing_fields": _D("live metadata lacks num_samples_per_trace and dtype",
                                       "metadata", True),
    "live_metadata_float_channels": _D("live metadata number_of_channels is a float (N + 0.75)",
                                       "metadata", True),
    "live_metadata_numbers_as_text": _D(
        "live metadata sends prr, dx, fiber_start_meters and fiber_length_meters as strings", "metadata"),
    "live_metadata_text_empty": _D("live metadata sw_version and fiber_description are empty strings",
                                   "metadata"),
    "live_metadata_has_dy": _D("live metadata carries a 'dy' field the contract does not have", "metadata"),
    "channels_zero_based": _D("/channels answers lowest 0 and highest number_of_channels - 1", "metadata"),
    "channels_disagree_with_live_metadata": _D(
        "/channels answers a stale highest channel (number_of_channels - 10)", "metadata"),
    # health probe (contract 2)
    "ack_body_not_empty": _D('GET /ack answers {"status": "ok"} instead of {}', "api"),
    "ack_accepts_any_method": _D("/ack answers 200 to POST, PUT and DELETE too (no 405)", "api"),
    # rate limiting (contract 5)
    "no_rate_limit": _D("POST /configure is never throttled (no 429)", "rate_limit", True),
    "rate_limit_without_retry_after": _D("429 from /configure has no Retry-After header", "rate_limit"),
    "throttled_request_creates_job": _D("a throttled /configure still creates its job before the 429",
                                        "rate_limit"),
    "retry_after_understated": _D(
        "after a 429 the client is locked out for 3x the Retry-After it was told", "rate_limit"),
    # capacity under load (contract 4 and 5, issue 17)
    "capacity_below_requirement": _D(
        "configure answers 503 once 35 jobs are live, short of the 40 required (staging failed around 40)",
        "capacity"),
    "throttled_alerts_published": _D(
        "push-to-rabbit publishes an alert it then refuses with 429, so a refused push is still reported",
        "capacity"),
    # Prisma Web App alerts (contract 6, Issue #29)
    "alert_class_id_not_validated": _D("push-to-rabbit accepts any classId", "alerts", True),
    "alert_dof_not_validated": _D("push-to-rabbit accepts a negative dofM", "alerts", True),
    "alert_dof_beyond_fibre_accepted": _D("push-to-rabbit accepts a dofM beyond the fibre's length", "alerts"),
    "alert_missing_fields_accepted": _D("push-to-rabbit accepts bodies with missing fields",
                                        "alerts", True),
    "alert_severity_zero_accepted": _D("push-to-rabbit accepts severity 0", "alerts", True),
    "alerts_published_twice": _D("push-to-rabbit publishes every alert message twice", "alerts"),
    "alert_severity_not_validated": _D("push-to-rabbit accepts any integer severity", "alerts"),
    "alert_push_without_session_accepted": _D("push-to-rabbit accepts pushes without a valid access-token",
                                              "alerts"),
    "rejected_alerts_published": _D("push-to-rabbit publishes the alert before validating it", "alerts"),
    "alerts_published_on_wrong_routing_key": _D(
        "push-to-rabbit publishes with routing key Algorithm.Alert instead of Algorithm.AlertReport", "alerts"),
    "alert_response_not_echoed": _D("push-to-rabbit answers 201 with an empty body instead of the alert",
                                    "alerts"),
    "alert_delete_without_permission": _D("alert delete is allowed for users without delete permission",
                                          "alerts"),
}

# What a run with the switch must show, for the defect matrix (docs/DEFECT_MATRIX.md). Every switch
# not listed must produce a *new* product bug that fails the run. An observed switch replays a known
# bug of config/known_bugs.yaml ("bug:<id>") or an open question of config/evidence.yaml
# ("question:<id>"); a switch that breaks only a derived rule is an open question too, never a new
# bug; "fidelity" switches change nothing a scenario asserts (the golden corpus compares them).
REPLAYS: dict[str, str] = {
    "height_not_validated": "bug:lax-configure-validation",
    "nfft_not_validated": "bug:lax-configure-validation",
    "frequency_range_not_validated": "bug:lax-configure-validation",
    "channel_count_not_validated": "bug:lax-configure-validation",
    "future_times_accepted": "bug:lax-configure-validation",
    "singlechannel_range_accepted": "bug:lax-configure-validation",
    "window_length_not_validated": "question:window-limit",
    "status_empty": "question:status-empty",
    "decimated_frequency_bins": "question:frequency-axis",
    "view_type_echoed_as_int": "question:wire-types",
    "stream_port_as_string": "question:wire-types",
    "stream_url_with_scheme": "fidelity",
    "no_cancel_route": "bug:cancel-route",
    "janitor_keeps_queue": "bug:26",
    "janitor_stuck_pending": "bug:26",
    "deleted_index_missing": "question:deleted-index",
    "live_metadata_missing_fields": "bug:live-metadata-types",
    "live_metadata_float_channels": "bug:live-metadata-types",
    "no_rate_limit": "question:rate-limit",
    "alert_class_id_not_validated": "bug:29",
    "alert_dof_not_validated": "bug:29",
    "alert_missing_fields_accepted": "bug:29",
    "alert_severity_zero_accepted": "bug:29",
    # not observed, but only a derived rule says otherwise
    "waterfall_has_frequency_axis": "question:waterfall-shape",
    "waterfall_lines_dt_inverted": "question:waterfall-shape",
    "waterfall_split_into_streams": "question:waterfall-shape",
    "live_metadata_has_dy": "question:metadata-dy",
}


def expectation(name: str) -> str:
    """``new``, ``bug:<id>``, ``question:<id>`` or ``fidelity``: what a run with the switch must show."""
    return REPLAYS.get(name, "new")


PROFILES = ("spec", "observed")


def resolve(profile: str, switches: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Return the sorted defect names active for a profile plus extra switches."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; known profiles: {', '.join(PROFILES)}")
    unknown = sorted(set(switches) - set(DEFECTS))
    if unknown:
        raise ValueError(f"unknown defect switch(es) {', '.join(unknown)}; known: {', '.join(sorted(DEFECTS))}")
    active = {name for name, d in DEFECTS.items() if profile == "observed" and d.observed}
    return sorted(active | set(switches))


def describe() -> str:
    """Human-readable table of every switch, grouped by area, marking the observed ones."""
    lines = []
    for area in sorted({d.area for d in DEFECTS.values()}):
        lines.append(f"[{area}]")
        for name, d in sorted(DEFECTS.items()):
            if d.area == area:
                mark = "observed" if d.observed else "        "
                lines.append(f"  {name:<38} {mark}  {d.description}")
    return "\n".join(lines)
