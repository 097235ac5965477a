"""A Focus job's resources and lifecycle as the job features see them (contract section 4, Issue #26).

A job owns five things: the streaming Job ``grpc-job-<id>`` and its pod, the janitor Job
``cleanup-job-<id>``, the Service ``grpc-service-<id>`` and the queue ``grpc-job-<id>-<stamp>``.
Every wait here polls with a deadline taken from the environment's timings, and a timeout names
what was still missing or still present.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from focus_support.clients import describe_response
from focus_support.context import SuiteContext
from focus_support.k8s.resources import job_names
from focus_support.matchers import has_status, resource_kinds
from focus_support.scenario_state import ScenarioState
from focus_support.scenarios import notes_of
from focus_support.verdict import expect
from focus_support.verdict.findings import Finding, fail, status_kind
from focus_support.waiting import ProductTimeoutError, wait_for_product


@dataclass
class JobNotes:
    """What the job steps of one scenario hand each other."""

    ended_job_id: str | None = None
    cancelled: list[str] = field(default_factory=list)
    configured: dict[str, Any] = field(default_factory=dict)  # the configure response body, as sent on the wire


def start_ready_job(suite: SuiteContext, state: ScenarioState, view: str,
                    channels: tuple[int, int] | None = None) -> str:
    """Configure a job of the view (its default range unless given), require acceptance, keep its
    configure body in the notes and wait until it is ready; returns its id."""
    from focus_support.scenarios import configuration as cfg  # configuration builds on this module

    response = cfg.send_configure_body(suite, state, cfg.valid_payload(view, channels))
    expect(response, has_status(200))
    notes_of(state, JobNotes).configured = response.json()
    wait_until_ready(suite, state.job_id)
    return state.job_id


def start_and_cancel(suite: SuiteContext, state: ScenarioState, count: int) -> list[str]:
    """Start ``count`` multichannel jobs one after another (channels 1-10, 11-20, ...), each accepted,
    then cancel each, each confirmed with 200; the cancelled ids are kept in the notes and returned."""
    from focus_support.scenarios import configuration as cfg  # configuration builds on this module

    started = []
    for i in range(count):
        first = 1 + 10 * i
        response = cfg.send_configure_body(suite, state, cfg.valid_payload("multichannel", (first, first + 9)))
        expect(response, has_status(200))
        started.append(state.job_id)
    notes = notes_of(state, JobNotes)
    for job_id in started:
        response = suite.focus.send_cancel(job_id)
        state.remember(response)
        expect(response, has_status(200))
        notes.cancelled.append(job_id)
    return started


INVALID_JOB = "Invalid job_id"
NEVER_ISSUED_JOB_ID = "999999-999999"  # shape-valid, far beyond any sequence a test run reaches


@dataclass(frozen=True)
class JobParts:
    """Which of a job's resources exist right now."""

    job_id: str
    streaming_job: bool
    streaming_pod_running: bool
    janitor_job: bool
    service: bool
    queues: tuple[str, ...]

    def missing(self) -> list[str]:
        """Names of the parts a ready job must have but this one lacks."""
        grpc, janitor, service = job_names(self.job_id)
        wanted = {f"job/{grpc}": self.streaming_job, f"running pod of job/{grpc}": self.streaming_pod_running,
                  f"job/{janitor}": self.janitor_job, f"service/{service}": self.service,
                  f"queue grpc-job-{self.job_id}-*": bool(self.queues)}
        return [name for name, present in wanted.items() if not present]


def job_parts(suite: SuiteContext, job_id: str) -> JobParts:
    """Look up the job's cluster objects and queues once."""
    grpc, janitor, service = job_names(job_id)
    found = suite.k8s.job_resources(job_id)
    jobs = {j.name for j in found.jobs}
    running = any(p.phase == "Running" and (p.job_name == grpc or p.name.startswith(grpc + "-"))
                  for p in found.pods)
    return JobParts(job_id=job_id, streaming_job=grpc in jobs, streaming_pod_running=running,
                    janitor_job=janitor in jobs, service=service in {s.name for s in found.services},
                    queues=tuple(suite.rabbit_management.job_queues(job_id)))


def wait_for_every_resource(suite: SuiteContext, job_id: str) -> JobParts:
    """Wait until the job has all five resources, within ``job_start_timeout_s``."""
    last: list[JobParts] = []

    def complete() -> JobParts | None:
        last[:] = [job_parts(suite, job_id)]
        return None if last[0].missing() else last[0]

    timeout = suite.environment.timings.job_start_timeout_s
    try:
        return wait_for_product(complete, timeout, describe=f"every resource of job {job_id}")
    except ProductTimeoutError:
        missing = last[0].missing() if last else ["(never looked up)"]
        raise ProductTimeoutError(f"job {job_id} was not complete {timeout:g} s after it was configured; "
                                  f"missing: {', '.join(missing)}", last,
                                  Finding("job.resources", "present", tuple(f"missing {m}" for m in missing))) from None


def remaining_resources(suite: SuiteContext, job_id: str) -> list[str]:
    """Every cluster object and queue of the job still present."""
    return suite.jobs.remaining_resources(job_id)


def wait_until_gone(suite: SuiteContext, job_ids: list[str], timeout_s: float, why: str) -> None:
    """Wait until none of the jobs has any resource left; a timeout lists what remained, per job."""
    left: dict[str, list[str]] = {}

    def nothing_left() -> bool:
        left.clear()
        for job_id in job_ids:
            names = remaining_resources(suite, job_id)
            if names:
                left[job_id] = names
        return not left

    try:
        wait_for_product(nothing_left, timeout_s, 0.3, describe=f"every resource of {', '.join(job_ids)} to go")
    except ProductTimeoutError:
        detail = "; ".join(f"job {j}: {', '.join(n)}" for j, n in left.items())
        kinds = resource_kinds(name for names in left.values() for name in names)
        raise ProductTimeoutError(f"expected every resource gone {timeout_s:g} s after {why}; resources remain: "
                                  f"{detail}", dict(left), Finding("job.resources", "gone", kinds)) from None


def _is_invalid_job(response: requests.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return response.status_code == 404 and isinstance(body, dict) and body.get("error") == INVALID_JOB


def _poll_metadata(suite: SuiteContext, job_id: str, accepted: Callable[[requests.Response], bool], timeout_s: float,
                   waiting_for: str, failure: str) -> requests.Response:
    """Poll the job's metadata until ``accepted`` holds; a timeout says ``failure`` and shows the last answer."""
    last: list[requests.Response] = []

    def answered() -> bool:  # a Response is falsy for 4xx, so answer a plain bool
        last[:] = [suite.focus.get_metadata_response(job_id)]
        return accepted(last[0])

    try:
        wait_for_product(answered, timeout_s, describe=f"metadata of job {job_id} {waiting_for}")
        return last[0]
    except ProductTimeoutError:
        seen = describe_response(last[0]) if last else "no answer"
        kind = status_kind(last[0].status_code) if last else "no answer"
        raise ProductTimeoutError(f"{failure} within {timeout_s:g} s; last answer:\n{seen}",
                                  last[-1] if last else None, Finding("metadata.answer", waiting_for, (kind,))) from None


def wait_until_ready(suite: SuiteContext, job_id: str) -> requests.Response:
    """Poll the job's metadata until it answers 200, within ``job_start_timeout_s``; returns that answer."""
    return _poll_metadata(suite, job_id, lambda r: r.status_code == 200,
                          suite.environment.timings.job_start_timeout_s, "to answer",
                          f"metadata of job {job_id} did not answer 200")


def wait_until_metadata_refused(suite: SuiteContext, job_id: str, timeout_s: float) -> requests.Response:
    """Poll until the job's metadata answers 404 "Invalid job_id"; a timeout shows the last answer."""
    return _poll_metadata(suite, job_id, _is_invalid_job, timeout_s, "to be refused",
                          f"metadata of the removed job {job_id} still did not answer 404 '{INVALID_JOB}'")


def wait_until_streaming_ends(suite: SuiteContext, job_id: str, timeout_s: float) -> None:
    """Wait until the job's streaming pod is no longer running (it ends by itself when idle)."""
    def ended() -> bool:
        return not job_parts(suite, job_id).streaming_pod_running

    try:
        wait_for_product(ended, timeout_s, 0.3, describe=f"the idle job {job_id} to stop streaming")
    except ProductTimeoutError:
        raise ProductTimeoutError(f"job {job_id} was still streaming {timeout_s:g} s after it was started "
                                  "although nobody watched it", job_id,
                                  Finding("job.streaming", "ended after the idle timeout", ("still streaming",))) from None


def crash_streaming_pod(suite: SuiteContext, job_id: str) -> str:
    """Kill the job's running streaming pod (a crash as the cluster sees it); returns its name."""
    grpc, _, _ = job_names(job_id)
    pods = [p for p in suite.k8s.job_resources(job_id).pods
            if p.phase == "Running" and (p.job_name == grpc or p.name.startswith(grpc + "-"))]
    if not pods:
        raise fail(f"expected job {job_id} to have a running streaming pod to crash; the cluster lists "
                   f"{[p.name + ' ' + p.phase for p in suite.k8s.job_resources(job_id).pods] or 'no pod'}",
                   "job.resources", "a running streaming pod", "no running stream-pod")
    suite.k8s.delete_pod(pods[0].name)
    return pods[0].name


def streaming_job_ids(suite: SuiteContext) -> set[str]:
    """Ids of every Focus job whose streaming Job exists in the cluster right now."""
    return {j.name.removeprefix("grpc-job-") for j in suite.k8s.list_jobs() if j.name.startswith("grpc-job-")}


def id_order(job_id: str) -> tuple[int, int]:
    """Both parts of a job id as numbers, for ordering ids across server generations."""
    first, second = job_id.split("-", 1)
    return int(first), int(second)


def differing_fields(configured: dict[str, Any], metadata: dict[str, Any]) -> list[str]:
    """Fields whose value differs between a configure response and the job's metadata."""
    keys = sorted(set(configured) | set(metadata))
    return [f"{k}: configure said {configured.get(k, '<absent>')!r}, metadata says {metadata.get(k, '<absent>')!r}"
            for k in keys if configured.get(k, "<absent>") != metadata.get(k, "<absent>")]


JOB_PREFIXES = ("grpc-job-", "cleanup-job-", "grpc-service-")


def orchestration_snapshot(suite: SuiteContext) -> frozenset[str]:
    """Every Focus job object (jobs, pods, services) and ``grpc-job-*`` queue present right now."""
    k8s = suite.k8s
    objects = [*k8s.list_jobs(), *k8s.list_pods(), *k8s.list_services()]
    names = {o.ref for o in objects if o.name.startswith(JOB_PREFIXES)}
    names |= {f"queue/{q}" for q in suite.rabbit_management.queue_names("grpc-job-")}
    return frozenset(names)


def wait_until_cluster_objects_gone(suite: SuiteContext, job_id: str, timeout_s: float) -> None:
    """Wait until the cluster lists no object of the job (its name is free again); queues aside."""
    last: list[list[str]] = [[]]

    def gone() -> bool:
        last[0] = suite.k8s.job_resources(job_id).names()
        return not last[0]

    try:
        wait_for_product(gone, timeout_s, 0.3, describe=f"the cluster objects of job {job_id} to go")
    except ProductTimeoutError:
        raise ProductTimeoutError(f"{timeout_s:g} s after job {job_id} ended, the cluster still lists: "
                                  f"{', '.join(last[0])}", last[0],
                                  Finding("job.resources", "gone", resource_kinds(last[0]))) from None
