"""N live jobs at once, configured at the pace Focus Server allows (contract sections 4, 5 and 15; issue 17).

The load loop is bounded by count and by time: exactly N configure requests, each sent once — a
429 is waited out as its ``Retry-After`` says (the server did not process it, so sending it again is
no replay), while a refused, failed or unanswered configure is never sent again — and a deadline
derived from the environment's rate limit stops it early. Every accepted job is registered for
cleanup the moment its id arrives. A poller marks a job ready when its metadata answers 200 and
opens a watch on its stream at once, so the job stays live (a job nobody watches idles out) while
the others are configured. Only jobs whose ids the suite received are looked at, counted or
cancelled: on a shared staging other clients' jobs are never ours.

The requests of the loop go through clients of their own whose exchanges are not attached one by
one (hundreds of polls would bury the report); the step attaches the figures instead, and failure
messages quote the answers that matter.
"""
from __future__ import annotations

import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from focus_support.clients import FocusClient
from focus_support.config import Environment
from focus_support.context import SuiteContext
from focus_support.errors import InfraTimeoutError, ThrottledError
from focus_support.exchanges import Recorder
from focus_support.models import ViewType, build_configure_request
from focus_support.rate_limiter import RateLimiter
from focus_support.retry import RetryPolicy
from focus_support.scenario_state import ScenarioState
from focus_support.scenarios.alert_load import PushLoad
from focus_support.scenarios.capacity_figures import StepFigures, percentile
from focus_support.scenarios.common import register_job_from
from focus_support.streaming import StreamWatch, stream_target
from focus_support.waiting import ProductTimeoutError, wait_for_product

POLL_INTERVAL_S = 0.05
MAX_WAITS_PER_CONFIGURE = 10   # 429s waited out for one configure before it counts as refused
UNKNOWN_PACE_S = 3.0           # seconds allowed per configure where the environment names no rate limit
DEADLINE_MARGIN_S = 30.0
# One row a second (30 s over 30 rows) on 8 channels: fifty watched jobs stay cheap to stream.
LOAD_REQUEST = build_configure_request(ViewType.MULTICHANNEL, channels=(1, 8), duration_s=30, height=30)
_JOB_ID_IN_NAME = re.compile(r"(?:grpc-job|cleanup-job|grpc-service)-(\d+-\d+)")


def step_skip_reason(environment: Environment, jobs: int) -> str | None:
    """Why a step does not run here: more jobs than the environment declares it can carry."""
    if jobs <= environment.capacity:
        return None
    return (f"the {jobs}-job step is above the capacity environment '{environment.name}' declares "
            f"({environment.capacity} concurrent jobs, config/environments.yaml)")


def configure_deadline_s(environment: Environment, jobs: int) -> float:
    """How long configuring ``jobs`` may take: the rate limit's pace with room to spare, plus the start timeout."""
    limit = environment.rate_limit
    if limit.capacity and limit.refill_per_s:
        pace_s = max(0, jobs - limit.capacity) / limit.refill_per_s * 1.5
    else:
        pace_s = jobs * UNKNOWN_PACE_S
    return pace_s + environment.timings.job_start_timeout_s + DEADLINE_MARGIN_S


@dataclass(eq=False)
class JobOutcome:
    """One configure of the step and what became of its job."""

    index: int
    status: int | None = None         # the configure's final answer; None: none came
    job_id: str | None = None
    refusal: str = ""                 # what a configure that started no job was answered
    waits: int = 0                    # 429s waited out before the final answer
    sent_at: float | None = None      # when the answered attempt was sent
    answered_at: float | None = None
    target: str | None = None         # host:port of the job's stream
    ready_at: float | None = None
    expired: bool = False             # not ready within the start timeout
    last_metadata: str = ""
    watch: StreamWatch | None = None

    @property
    def accepted(self) -> bool:
        return self.status == 200 and self.job_id is not None

    @property
    def first_frame_s(self) -> float | None:
        """Seconds from connecting to the job's stream to its first frame (None before one arrived)."""
        frames = self.watch.frames if self.watch else []
        return frames[0].arrived_s if frames else None

    def stream_settled(self, timeout_s: float) -> bool:
        """The watch has a frame, has ended, or waited ``timeout_s`` for one."""
        watch = self.watch
        return (watch is None or self.first_frame_s is not None or watch.ended is not None
                or watch.elapsed_s() >= timeout_s)

    @property
    def ready_s(self) -> float | None:
        """Seconds from sending the configure to the first 200 of the job's metadata."""
        if self.ready_at is None or self.sent_at is None:
            return None
        return self.ready_at - self.sent_at

    def describe(self) -> str:
        """One line for failure messages."""
        if not self.accepted:
            return f"configure #{self.index}: {self.refusal or 'no answer'}"
        if self.ready_at is None:
            return f"job {self.job_id}: not ready within the start timeout; last metadata answer {self.last_metadata}"
        if self.watch is None:
            return f"job {self.job_id}: ready, but it gave no stream address to watch"
        return f"job {self.job_id}: {self.watch.describe()}"


@dataclass
class Ramp:
    """One graduated step: N configures and their jobs."""

    jobs: int
    start_timeout_s: float
    outcomes: list[JobOutcome] = field(default_factory=list)
    not_sent: int = 0                 # configures left unsent because the deadline passed
    duration_s: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, outcome: JobOutcome) -> None:
        with self._lock:
            self.outcomes.append(outcome)

    def accepted(self) -> list[JobOutcome]:
        with self._lock:
            return [o for o in self.outcomes if o.accepted]

    def job_ids(self) -> list[str]:
        return [o.job_id for o in self.accepted() if o.job_id]

    def waiting_for_ready(self) -> list[JobOutcome]:
        return [o for o in self.accepted() if o.ready_at is None and not o.expired]

    def ready_in_time(self) -> list[JobOutcome]:
        return [o for o in self.accepted() if o.ready_s is not None and o.ready_s <= self.start_timeout_s]

    def streaming(self) -> list[JobOutcome]:
        return [o for o in self.ready_in_time()
                if o.first_frame_s is not None and o.first_frame_s <= self.start_timeout_s]

    def settled(self) -> bool:
        """Every accepted job is ready or expired, and every watch has a frame, an error or timed out."""
        accepted = self.accepted()
        return (all(o.ready_at is not None or o.expired for o in accepted)
                and all(o.stream_settled(self.start_timeout_s) for o in accepted))

    def watches(self) -> list[StreamWatch]:
        return [o.watch for o in self.accepted() if o.watch]

    def figures(self) -> StepFigures:
        times = [o.ready_s for o in self.ready_in_time() if o.ready_s is not None]
        return StepFigures(jobs=self.jobs, accepted=len(self.accepted()), ready=len(times),
                           streaming=len(self.streaming()), ready_p50_s=percentile(times, 50),
                           ready_p95_s=percentile(times, 95), throttled=sum(o.waits for o in self.outcomes),
                           duration_s=self.duration_s)


def quiet_focus_client(suite: SuiteContext, *, paced: bool = False) -> FocusClient:
    """A Focus client whose exchanges stay out of the report; ``paced`` adds the environment's rate
    limit on our side (when it names one) and waits out 429s as their Retry-After says."""
    limit = suite.environment.rate_limit
    limiter = (RateLimiter(limit.refill_per_s, burst=limit.capacity)
               if paced and limit.capacity and limit.refill_per_s else None)
    retry = RetryPolicy(max_retries=MAX_WAITS_PER_CONFIGURE, initial_delay=0.5) if paced else RetryPolicy()
    client = suite.new_focus_client(limiter=limiter, retry=retry)
    client.recorder = Recorder()  # its own list, with no listener attaching each exchange
    return client


class _ReadinessPoller(threading.Thread):
    """Polls the metadata of every accepted, not yet ready job; opens a watch the moment one is ready."""

    def __init__(self, ramp: Ramp, client: FocusClient, open_watch: Callable[[JobOutcome], None],
                 clock: Callable[[], float]) -> None:
        super().__init__(name="capacity-readiness", daemon=True)
        self.ramp, self.client, self.open_watch, self.clock = ramp, client, open_watch, clock
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                for outcome in self.ramp.waiting_for_ready():
                    self._check(outcome)
                self.stopping.wait(POLL_INTERVAL_S)
        except Exception as exc:  # handed to the loop's thread, which raises it (nothing is swallowed)
            self.error = exc

    def _check(self, outcome: JobOutcome) -> None:
        response = self.client.get_metadata_response(outcome.job_id or "")
        now = self.clock()
        if response.status_code == 200:
            outcome.ready_at = now
            self.open_watch(outcome)
            return
        outcome.last_metadata = f"{response.status_code} {response.text[:160]}"
        if outcome.sent_at is not None and now - outcome.sent_at > self.ramp.start_timeout_s:
            outcome.expired = True


def _refusal(response: Any) -> str:
    return f"HTTP {response.status_code} {response.text[:200]}"


def run_ramp(suite: SuiteContext, state: ScenarioState, jobs: int, *,
             clock: Callable[[], float] = time.monotonic) -> Ramp:
    """Configure ``jobs`` live jobs at the server's pace, wait until each is ready and watched (or late).

    Clients and watches are closed by the scenario's cleanup; the jobs themselves are registered
    with the run's job tracker as they are accepted (so an interrupted run still removes them).
    """
    environment: Environment = suite.environment
    ramp = Ramp(jobs=jobs, start_timeout_s=environment.timings.job_start_timeout_s)
    configurer = quiet_focus_client(suite, paced=True)
    poller_client = quiet_focus_client(suite)
    state.cleanup.register("close the capacity clients", lambda: (configurer.close(), poller_client.close()))
    state.cleanup.register(f"stop watching the {jobs}-job step's streams",
                           lambda: [w.close() for w in ramp.watches()])

    def open_watch(outcome: JobOutcome) -> None:
        if outcome.target is not None:
            outcome.watch = StreamWatch(outcome.target, clock=clock).open()

    poller = _ReadinessPoller(ramp, poller_client, open_watch, clock)
    started = clock()
    deadline = started + configure_deadline_s(environment, jobs)
    poller.start()
    try:
        for index in range(1, jobs + 1):
            if clock() > deadline:
                ramp.not_sent = jobs - index + 1
                break
            ramp.add(_configure_once(suite, state, configurer, index, clock))
            if poller.error:
                raise poller.error
        wait_for_product(lambda: poller.error is not None or ramp.settled(),
                         2 * ramp.start_timeout_s + 10, 0.1, describe=f"the {jobs}-job step to settle")
        if poller.error:
            raise poller.error
    finally:
        poller.stopping.set()
        poller.join(timeout=10)
        ramp.duration_s = clock() - started
    return ramp


def _configure_once(suite: SuiteContext, state: ScenarioState, client: FocusClient, index: int,
                    clock: Callable[[], float]) -> JobOutcome:
    """One logical configure (429s waited out inside the client); its job is registered at once."""
    outcome = JobOutcome(index)
    mark = len(client.recorder.exchanges)
    try:
        response = client.send_configure(LOAD_REQUEST)
    except ThrottledError as exc:
        outcome.status, outcome.refusal = 429, f"still throttled after {MAX_WAITS_PER_CONFIGURE} waits: {exc}"
        return outcome
    except InfraTimeoutError as exc:  # sent, never answered: counted as not accepted, never re-sent
        outcome.refusal = f"no answer: {exc}"
        return outcome
    finally:
        outcome.waits = sum(1 for e in client.recorder.exchanges[mark:] if e.status == 429)
    outcome.answered_at = clock()
    outcome.sent_at = outcome.answered_at - response.elapsed.total_seconds()
    outcome.status = response.status_code
    job_id = register_job_from(suite, state, response) if response.status_code == 200 else None
    if job_id is None:
        outcome.refusal = _refusal(response)
        return outcome
    outcome.job_id = job_id
    body = response.json()
    try:
        outcome.target = stream_target(body.get("stream_url"), body.get("stream_port"))
    except (TypeError, ValueError):
        outcome.target = None  # reported by the streaming check as "no stream address"
    return outcome


def shared_stream_addresses(ramp: Ramp) -> dict[str, list[str]]:
    """Stream addresses (host:port) given to more than one of the step's jobs, with those jobs."""
    by_target: dict[str, list[str]] = defaultdict(list)
    for outcome in ramp.accepted():
        by_target[outcome.target or "(no stream address)"].append(outcome.job_id or "?")
    return {t: ids for t, ids in by_target.items() if len(ids) > 1 or t == "(no stream address)"}


def cancel_all(ramp: Ramp, client: FocusClient) -> list[tuple[str, Any]]:
    """Stop watching, then cancel every accepted job of the step; returns (job id, answer) of the
    cancels not answered 200."""
    for watch in ramp.watches():
        watch.close()
    refused = []
    for job_id in ramp.job_ids():
        response = client.send_cancel(job_id)
        if response.status_code != 200:
            refused.append((job_id, response))
    return refused


def describe_refused_cancel(job_id: str, response: Any) -> str:
    """One line for a failure message."""
    return f"DELETE /job/{job_id} -> {_refusal(response)}"


def leftovers(suite: SuiteContext, job_ids: list[str]) -> dict[str, list[str]]:
    """Cluster objects and queues of the given jobs still present (one listing per kind, ours only)."""
    wanted = set(job_ids)
    found: dict[str, list[str]] = defaultdict(list)
    k8s = suite.k8s
    for obj in [*k8s.list_jobs(), *k8s.list_pods(), *k8s.list_services()]:
        match = _JOB_ID_IN_NAME.search(obj.name)
        if match and match.group(1) in wanted:
            found[match.group(1)].append(obj.ref)
    for queue in suite.rabbit_management.queue_names("grpc-job-"):
        match = _JOB_ID_IN_NAME.search(queue)
        if match and match.group(1) in wanted:
            found[match.group(1)].append(f"queue/{queue}")
    return dict(found)


def leftovers_after(suite: SuiteContext, job_ids: list[str], timeout_s: float) -> dict[str, list[str]] | None:
    """Wait until no resource of the jobs is left: None once everything went, else what the last look
    still saw (job id -> names) when ``timeout_s`` passed."""
    left: dict[str, list[str]] = {}

    def nothing_left() -> bool:
        left.clear()
        left.update(leftovers(suite, job_ids))
        return not left

    try:
        wait_for_product(nothing_left, timeout_s, 0.3, describe=f"every resource of {len(job_ids)} jobs to go")
    except ProductTimeoutError:
        return dict(left)
    return None


@dataclass
class CapacityNotes:
    """What the capacity steps of one scenario hand each other."""

    ramp: Ramp | None = None
    load: PushLoad | None = None
    reports: Any = None
    pushed_ids: list[str] = field(default_factory=list)
