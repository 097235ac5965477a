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
    # configure response (contract 3 and 9)
    "status_empty": _D('configure and metadata answer status "" instead of "success"', "response", True),
    "full_band_frequency_bins": _D(
        "frequencies_list is the full band (nfft/2+1 bins) regardless of frequencyRange", "response"),
    "decimated_frequency_bins": _D("multichannel frequencies_list keeps every 4th bin only", "response"),
    "wrong_lines_dt": _D("lines_dt is height / displayTimeAxisDuration (inverted)", "response"),
    "job_id_reused": _D("job ids restart from the number of live jobs, so ids are reused", "response"),
    # job lifecycle (contract 4, Issue #26)
    "no_cancel_route": _D("DELETE /job/{job_id} does not exist (404 Not Found)", "lifecycle", True),
    "janitor_keeps_queue": _D("the janitor never deletes the job's RabbitMQ queue (shell typo)",
                              "lifecycle", True),
    "janitor_stuck_pending": _D("janitor pods never schedule (nodeSelector matches no node)",
                                "lifecycle", True),
    "metadata_after_cancel": _D("/metadata/{job_id} still answers 200 after the job was cancelled",
                                "lifecycle"),
    # MongoDB (contract 7)
    "deleted_index_missing": _D("the recordings collection has no index on 'deleted'", "mongodb", True),
    "recordings_unsorted": _D("/recordings_in_time_range answers in storage order, not by start",
                              "mongodb"),
    # live metadata (contract 8)
    "live_metadata_missing_fields": _D("live metadata lacks num_samples_per_trace and dtype",
                                       "metadata", True),
    "live_metadata_float_channels": _D("live metadata number_of_channels is a float (N + 0.75)",
                                       "metadata", True),
    # rate limiting (contract 5)
    "no_rate_limit": _D("POST /configure is never throttled (no 429)", "rate_limit", True),
    "rate_limit_without_retry_after": _D("429 from /configure has no Retry-After header", "rate_limit"),
    "throttled_request_creates_job": _D("a throttled /configure still creates its job before the 429",
                                        "rate_limit"),
    # Prisma Web App alerts (contract 6, Issue #29)
    "alert_class_id_not_validated": _D("push-to-rabbit accepts any classId", "alerts", True),
    "alert_dof_not_validated": _D("push-to-rabbit accepts negative or too large dofM", "alerts", True),
    "alert_missing_fields_accepted": _D("push-to-rabbit accepts bodies with missing fields",
                                        "alerts", True),
    "alert_severity_zero_accepted": _D("push-to-rabbit accepts severity 0", "alerts", True),
    "alerts_published_twice": _D("push-to-rabbit publishes every alert message twice", "alerts"),
}

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
