"""Raw /configure payloads for the configuration features: a valid base and one-change variants.

Invalid requests must reach the server as raw JSON, so the variants here edit the wire dict of a
valid request instead of building a model (which would refuse them client-side). Each Gherkin phrase
("a canvas height of 0", "no frequency range", ...) maps to one edit of one field.
"""
from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from focus_support import run_ledger
from focus_support.clients import expect_json, is_waiting_for_fibre
from focus_support.errors import PreconditionNotMetError
from focus_support.matchers import has_status
from focus_support.retry import RetryPolicy
from focus_support.scenarios import notes_of
from focus_support.scenarios.common import adopt_stray_jobs, register_job_from, require_namespace_to_itself
from focus_support.scenarios.jobs import orchestration_snapshot
from focus_support.verdict import expect
from focus_support.models import (ConfigureRequest, ConfigureResponse, LiveMetadata, ViewType,
                                   build_configure_request)
from focus_support.context import SuiteContext
from focus_support.scenario_state import ScenarioState

VIEWS = {"multichannel": ViewType.MULTICHANNEL, "singlechannel": ViewType.SINGLECHANNEL,
         "waterfall": ViewType.WATERFALL}
MAX_FREQUENCY_HZ = 1000    # contract 2.1: frequencyRange.max <= min(1000, prr / 2)
HISTORIC_WINDOW_FACTOR = 30  # contract 2.1: window <= displayTimeAxisDuration x 30
DEFAULT_RANGE = {ViewType.MULTICHANNEL: (1, 50), ViewType.SINGLECHANNEL: (7, 7), ViewType.WATERFALL: (1, 50)}


@dataclass(frozen=True)
class FibreFacts:
    """What some edits need to know about the live fibre: its channel count and pulse rate."""

    highest_channel: int
    prr: float


def view_of(name: str) -> ViewType:
    """The view type for a Gherkin view name (multichannel, singlechannel, waterfall)."""
    try:
        return VIEWS[name.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown view {name!r}; known: {', '.join(VIEWS)}") from None


def view_name(text: str) -> str:
    """Step-type converter for a view name; ``pattern`` keeps other words from matching."""
    return text


view_name.pattern = "|".join(VIEWS)  # type: ignore[attr-defined]


def view_of_body(body: dict[str, Any]) -> str:
    """The view name (multichannel, singlechannel, waterfall) of a wire request body."""
    kind = ViewType.parse(body.get("view_type"))
    return next(name for name, view in VIEWS.items() if view is kind)


def valid_payload(view: str, channels: tuple[int, int] | None = None, **options: Any) -> dict[str, Any]:
    """The wire body of a valid request for the view (options as in ``build_configure_request``)."""
    kind = view_of(view)
    return build_configure_request(kind, channels=channels or DEFAULT_RANGE[kind], **options).to_wire()


def highest_allowed_frequency(prr: float) -> int:
    """The largest frequencyRange.max the contract allows for this pulse rate."""
    return int(min(MAX_FREQUENCY_HZ, prr / 2))


def _set(path: str, value: Any) -> Callable[[dict, FibreFacts], None]:
    """An edit that sets a (dotted) field, creating nothing but the leaf."""
    def edit(body: dict, _: FibreFacts) -> None:
        *parents, leaf = path.split(".")
        node = body
        for part in parents:
            node = node[part]
        node[leaf] = value
    return edit


def _drop(path: str) -> Callable[[dict, FibreFacts], None]:
    """An edit that removes a (dotted) field."""
    def edit(body: dict, _: FibreFacts) -> None:
        *parents, leaf = path.split(".")
        node = body
        for part in parents:
            node = node[part]
        node.pop(leaf, None)
    return edit


def _window(start_ago_s: int | None, end_ago_s: int | None) -> Callable[[dict, FibreFacts], None]:
    """An edit that sets start/end times relative to now (negative "ago" = in the future)."""
    def edit(body: dict, _: FibreFacts) -> None:
        now = int(time.time())
        body["start_time"] = None if start_ago_s is None else now - start_ago_s
        body["end_time"] = None if end_ago_s is None else now - end_ago_s
    return edit


def _window_before_1970(body: dict, _: FibreFacts) -> None:
    """Half a minute from one second before the epoch (the earliest negative epoch second)."""
    body["start_time"], body["end_time"] = -1, 29


def _too_long_window(body: dict, _: FibreFacts) -> None:
    limit = body["displayTimeAxisDuration"] * HISTORIC_WINDOW_FACTOR
    end = int(time.time()) - 3600
    body["start_time"], body["end_time"] = end - limit - 1, end


def _beyond_highest(body: dict, facts: FibreFacts) -> None:
    body["channels"] = {"min": facts.highest_channel - 8, "max": facts.highest_channel + 1}


def _top_frequency(body: dict, facts: FibreFacts) -> None:
    body["frequencyRange"] = {"min": 0, "max": highest_allowed_frequency(facts.prr)}


def _numeric_view(body: dict, _: FibreFacts) -> None:
    body["view_type"] = int(body["view_type"])


# The request's fields as a product person names them (contract 2.1), for the generic phrases below.
FIELD_NAMES = {
    "view type": "view_type", "channel range": "channels", "first channel": "channels.min",
    "last channel": "channels.max", "canvas": "displayInfo", "canvas height": "displayInfo.height",
    "time-axis duration": "displayTimeAxisDuration", "NFFT selection": "nfftSelection",
    "frequency range": "frequencyRange", "lowest frequency": "frequencyRange.min",
    "highest frequency": "frequencyRange.max", "start time": "start_time", "end time": "end_time",
}
OBJECT_FIELDS = ("channels", "displayInfo", "frequencyRange")
_FIELD = "|".join(re.escape(name) for name in sorted(FIELD_NAMES, key=len, reverse=True))


def _json_value(text: str) -> Any:
    """A JSON literal of a Gherkin cell (``768.5``, ``"768"``, ``true``, ``null``, ``[1, 50]``)."""
    try:
        return json.loads(text)
    except ValueError:
        raise ValueError(f"not a JSON value: {text!r} (write text in double quotes)") from None


def _empty(field: str) -> Callable[[dict, FibreFacts], None]:
    path = FIELD_NAMES[field]
    return _set(path, {} if path in OBJECT_FIELDS else "")


def _single_channel(where: str) -> Callable[[dict, FibreFacts], None]:
    def edit(body: dict, facts: FibreFacts) -> None:
        channel = {"beyond the highest channel": facts.highest_channel + 1,
                   "at the highest channel": facts.highest_channel}.get(where)
        channel = int(where) if channel is None else channel
        body["channels"] = {"min": channel, "max": channel}
    return edit


def _ending_at_highest(body: dict, facts: FibreFacts) -> None:
    body["channels"] = {"min": facts.highest_channel - 49, "max": facts.highest_channel}


def _above_top_frequency(body: dict, facts: FibreFacts) -> None:
    body["frequencyRange"] = {"min": 0, "max": highest_allowed_frequency(facts.prr) + 1}


def _window_with(which: str, kind: str) -> Callable[[dict, FibreFacts], None]:
    """A past historic window of one minute whose start or end time is then sent as text, a fraction or true."""
    def edit(body: dict, facts: FibreFacts) -> None:
        _window(3600, 3540)(body, facts)
        key = f"{which}_time"
        body[key] = {"text": str(body[key]), "a fraction": body[key] + 0.5, "true": True}[kind]
    return edit


def _patterns() -> list[tuple[re.Pattern[str], Callable[..., Callable[[dict, FibreFacts], None]]]]:
    """Phrase patterns and the edit each builds from its captured values (the first match wins)."""
    rules: list[tuple[str, Callable[..., Callable[[dict, FibreFacts], None]]]] = [
        (r'the view type "(.*)"', lambda v: _set("view_type", v)),
        (r"the view type given as a number", lambda: _numeric_view),
        (r"a channel range starting at channel (-?\d+)", lambda v: _set("channels.min", int(v))),
        (r"a channel range that ends before it starts", lambda: _set("channels", {"min": 50, "max": 10})),
        (r"a channel range ending beyond the highest channel", lambda: _beyond_highest),
        (r"a channel range ending at the highest channel", lambda: _ending_at_highest),
        (r"a channel range of (\d+) channels", lambda n: _set("channels", {"min": 1, "max": int(n)})),
        (r"a channel range from (-?\d+) to (-?\d+)",
         lambda lo, hi: _set("channels", {"min": int(lo), "max": int(hi)})),
        (r"the single channel (-?\d+|beyond the highest channel|at the highest channel)", _single_channel),
        (r"a time-axis duration of (-?\d+) s", lambda v: _set("displayTimeAxisDuration", int(v))),
        (r"a frequency range from (-?\d+) to (-?\d+) Hz",
         lambda lo, hi: _set("frequencyRange", {"min": int(lo), "max": int(hi)})),
        (r"a frequency range up to the highest allowed frequency", lambda: _top_frequency),
        (r"a frequency range up to 1 Hz above the highest allowed frequency", lambda: _above_top_frequency),
        (r"a start time but no end time", lambda: _window(3600, None)),
        (r"an end time but no start time", lambda: _window(None, 3600)),
        (r"an end time before its start time", lambda: _window(3600, 3900)),
        (r"a window that ends when it starts", lambda: _window(3600, 3600)),
        (r"a window that ends in the future", lambda: _window(60, -600)),
        (r"a window that starts in the future", lambda: _window(-600, -1200)),
        (r"a window longer than 30 time-axis durations", lambda: _too_long_window),
        (r"a window that starts before 1970", lambda: _window_before_1970),
        (r"a window whose (start|end) time is given as (text|a fraction|true)", _window_with),
        # generic: any field missing, null, empty or of a raw JSON value (a fraction, text, true ...)
        (rf"no ({_FIELD})", lambda f: _drop(FIELD_NAMES[f])),
        (rf"an empty ({_FIELD})", _empty),
        (rf"an? ({_FIELD}) of (.+)", lambda f, v: _set(FIELD_NAMES[f], _json_value(v))),
    ]
    return [(re.compile(rf"^{pattern}$"), factory) for pattern, factory in rules]


_RULES = _patterns()


def apply_change(body: dict[str, Any], change: str, facts: FibreFacts) -> dict[str, Any]:
    """Return a copy of ``body`` with the one change a Gherkin phrase names."""
    for pattern, factory in _RULES:
        match = pattern.match(change.strip())
        if match:
            edited = _deep_copy(body)
            factory(*match.groups())(edited, facts)
            return edited
    known = ", ".join(p.pattern.strip("^$") for p, _ in _RULES)
    raise ValueError(f"no request change is defined for {change!r}; known phrases: {known}")


def _deep_copy(body: dict[str, Any]) -> dict[str, Any]:
    """A copy whose nested dicts can be edited without touching the original."""
    return {k: (_deep_copy(v) if isinstance(v, dict) else v) for k, v in body.items()}


@dataclass
class ConfigurationNotes:
    """What the configuration steps of one scenario hand each other."""

    period: tuple[int, int] | None = None             # a historic window chosen by a Given step
    earlier_body: dict[str, Any] | None = None        # the first of two configured views
    earlier_job: ConfigureResponse | None = None
    before: frozenset[str] | None = None               # Focus job objects and queues before a request
    sent_view_type: Any = None                         # the view_type as the read request sent it


def take_orchestration_snapshot(suite: SuiteContext, state: ScenarioState) -> frozenset[str] | None:
    """Record every Focus job object and queue present now, to show later that nothing new appeared.

    Only where the run has the namespace to itself; on a shared environment other clients' jobs
    come and go, so nothing is recorded and the answer alone is judged.
    """
    if suite.environment.shared:
        return None
    notes_of(state, ConfigurationNotes).before = snapshot = orchestration_snapshot(suite)
    return snapshot


def new_orchestration(suite: SuiteContext, state: ScenarioState) -> list[str]:
    """Job objects and queues present now that were not there at the last snapshot (unshared only),
    except those of jobs the run was told about: its earlier scenarios' (a janitor appearing late),
    its parallel workers' (``run_ledger``), an accepted request's of this scenario. What is left
    belongs to a job whose id nobody received."""
    require_namespace_to_itself(suite, "looking for new job resources")
    before = notes_of(state, ConfigurationNotes).before
    if before is None:
        raise RuntimeError("no orchestration snapshot was taken before the request (suite bug)")
    return run_ledger.unexplained(orchestration_snapshot(suite) - before, own=suite.jobs.run_jobs)


def adopt_new_orchestration(suite: SuiteContext, state: ScenarioState) -> list[str]:
    """What ``new_orchestration`` finds, with every job among it registered for cleanup (they are the
    run's: unshared only); the step then expects none."""
    created = new_orchestration(suite, state)
    adopt_stray_jobs(suite, state, created)
    return created


def send_rejectable(suite: SuiteContext, state: ScenarioState, body: dict[str, Any]) -> Any:
    """Snapshot what is orchestrated, then send a body the server may reject (raw, never modelled)."""
    take_orchestration_snapshot(suite, state)
    return send_configure_body(suite, state, body)


def send_configure_body(suite: SuiteContext, state: ScenarioState, body: dict[str, Any],
                        retry: RetryPolicy | None = None) -> requests.Response:
    """Send a wire body as is, remember it, register any job it started.

    By default the client waits out a 429 as told (never replaying a processed request); pass
    ``retry=NO_RETRY`` when the first answer itself is under test.
    """
    response = suite.focus.send_configure(body, retry=retry)
    state.remember(response, body)
    register_job_from(suite, state, response)
    state.configure_response = None
    if response.status_code == 200:
        try:
            state.configure_response = ConfigureResponse.model_validate(response.json())
        except ValueError:
            pass  # the "accepted" step reports a body of the wrong shape with the whole exchange
    return response


def configure_job(suite: SuiteContext, state: ScenarioState, request: ConfigureRequest) -> ConfigureResponse:
    """Configure a job from a typed request that must be accepted; its job is registered the moment its
    id is known, and a server waiting for fibre is a precondition error (unless its live metadata
    reports fibre: then the two answers contradict each other, a product failure)."""
    response = suite.focus.send_configure(request)
    state.remember(response, request.to_wire())
    state.configure_request = request
    register_job_from(suite, state, response)
    if is_waiting_for_fibre(response):
        raise suite.focus.waiting_for_fibre_error(response)
    state.configure_response = expect_json(response, ConfigureResponse)
    return state.configure_response


def changed_payload(suite: SuiteContext, state: ScenarioState, view: str, change: str,
                    channels: tuple[int, int] | None = None) -> dict[str, Any]:
    """A valid wire body for the view with the one change a Gherkin phrase names (live facts applied)."""
    return apply_change(valid_payload(view, channels), change, fibre_facts(suite, state))


def request_model(body: dict[str, Any]) -> ConfigureRequest:
    """The typed request of a valid wire body (for computing expected response values)."""
    return ConfigureRequest.model_validate(body)


def live_metadata(suite: SuiteContext, state: ScenarioState) -> LiveMetadata:
    """The live metadata of this scenario, read once (expected values need the live prr)."""
    if state.live_metadata is None:
        state.live_metadata = suite.focus.live_metadata()
    return state.live_metadata


def fibre_facts(suite: SuiteContext, state: ScenarioState) -> FibreFacts:
    """The highest channel Focus Server offers and the live pulse rate, for edits that depend on them."""
    return FibreFacts(highest_channel=suite.focus.channels().highest_channel, prr=live_metadata(suite, state).prr)


RECORDED_LOOKBACK_S = 7 * 86_400
HISTORIC_LENGTH_S = 60
# Far-past windows tried in turn for "no recording": 2000-01-01, 2005-06-01, 2010-03-01 (UTC).
UNRECORDED_CANDIDATES = (946_684_800, 1_117_584_000, 1_267_401_600)


def recorded_period(suite: SuiteContext, now_s: int | None = None) -> tuple[int, int]:
    """A short window inside the latest finished recording Focus Server lists for the last week."""
    now_s = int(time.time()) if now_s is None else now_s
    windows = suite.focus.recordings_in_time_range(now_s - RECORDED_LOOKBACK_S, now_s)
    finished = [w for w in windows if not w.ongoing and 2 <= w.end - w.start and w.end <= now_s]
    if not finished:
        raise PreconditionNotMetError(f"Focus Server lists no finished recording in the last "
                                      f"{RECORDED_LOOKBACK_S // 86_400} days ({len(windows)} listed)")
    latest = max(finished, key=lambda w: w.start)
    return latest.start, min(latest.end, latest.start + HISTORIC_LENGTH_S)


def unrecorded_period(suite: SuiteContext) -> tuple[int, int]:
    """A short past window for which Focus Server lists no recording at all."""
    for start in UNRECORDED_CANDIDATES:
        if not suite.focus.recordings_in_time_range(start, start + HISTORIC_LENGTH_S):
            return start, start + HISTORIC_LENGTH_S
    raise PreconditionNotMetError("every candidate past window has recordings; cannot find an unrecorded period")


def first_minute_of_epoch(suite: SuiteContext) -> tuple[int, int]:
    """The window 0-60 s: the earliest valid epoch times, which no recording can fall in."""
    window = (0, HISTORIC_LENGTH_S)
    if suite.focus.recordings_in_time_range(*window):
        raise PreconditionNotMetError("Focus Server lists recordings in the first minute of 1970; cannot use it as "
                                      "an unrecorded period")
    return window


ANSWERS = ("configuration response", "job's metadata")


def read_answer_of_view(suite: SuiteContext, state: ScenarioState, answer: str, channels: tuple[int, int]) -> Any:
    """Configure a multichannel view and keep, as the scenario's latest response, its configuration
    response or (once the job is ready) its metadata; the view type sent is kept in the notes."""
    if answer not in ANSWERS:
        raise ValueError(f"unknown answer {answer!r}; known: {', '.join(ANSWERS)}")
    body = valid_payload("multichannel", channels)
    notes_of(state, ConfigurationNotes).sent_view_type = body["view_type"]
    response = send_configure_body(suite, state, body)
    expect(response, has_status(200))
    if answer == "job's metadata":
        from focus_support.scenarios.jobs import wait_until_ready

        state.remember(wait_until_ready(suite, state.job_id))
    return state.response


def sent_view_type(state: ScenarioState) -> Any:
    """The view_type the scenario's read request sent (see ``read_answer_of_view``)."""
    sent = notes_of(state, ConfigurationNotes).sent_view_type
    if sent is None:
        raise RuntimeError("no view type was sent in this scenario yet (suite bug)")
    return sent


def json_kind(value: Any) -> str:
    """How a JSON value is named in findings: text, number, bool, null, list, object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    return "list" if isinstance(value, list) else "object"


HISTORIC_WINDOWS = {"one second": lambda duration: 1,
                    "exactly 30 time-axis durations": lambda duration: duration * HISTORIC_WINDOW_FACTOR}
PAST_MARGIN_S = 120  # a window must end this long before now: "not in the future" with room for clock skew


def window_over_a_recording(suite: SuiteContext, name: str, duration_s: int,
                            now_s: int | None = None) -> tuple[int, int]:
    """A window of the named length starting at the start of a finished recording, ending in the past."""
    try:
        length = HISTORIC_WINDOWS[name](duration_s)
    except KeyError:
        raise ValueError(f"unknown window {name!r}; known: {', '.join(HISTORIC_WINDOWS)}") from None
    now_s = int(time.time()) if now_s is None else now_s
    windows = suite.focus.recordings_in_time_range(now_s - RECORDED_LOOKBACK_S, now_s)
    starts = sorted((w.start for w in windows if not w.ongoing and w.end <= now_s
                     and w.start + length <= now_s - PAST_MARGIN_S), reverse=True)
    if not starts:
        raise PreconditionNotMetError(f"Focus Server lists no finished recording that starts at least {length} s "
                                      f"before now ({len(windows)} listed)")
    return starts[0], starts[0] + length
