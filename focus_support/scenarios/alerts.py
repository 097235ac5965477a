"""Alert pushes for the alert-validation feature (contract section 6, Issue #29).

Bodies are plain dicts so that invalid ones reach the Web App untouched (no client-side model).
Published reports are matched to a push by the alert ids it carried: ids are unique per scenario,
so reports of other producers on a shared broker never count.
"""
from __future__ import annotations

import json
from http.cookies import SimpleCookie
import math
import re
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from focus_support.clients import describe_response
from focus_support.config import Timings
from focus_support.context import SuiteContext
from focus_support.errors import InfrastructureError, MisconfiguredError
from focus_support.models import ALERT_ROUTING_KEY, AlertClass, Severity
from focus_support.scenario_state import ScenarioState
from focus_support.scenarios import notes_of
from focus_support.verdict import fail

ALERT_EXCHANGE = "prisma"
REPORT_ROUTING_KEY = ALERT_ROUTING_KEY
ALERT_FIELDS = ("classId", "severity", "dofM", "alertsAmount", "alertIds")
CLASSES = {"single-channel": AlertClass.SC, "spatial-distribution": AlertClass.SD}
_OWN_ID_KEYS = ("alertId", "alert_id", "id")
_OFFSET = re.compile(r"^(\d+) m (before the start of fibre|beyond the end of the fibre)$")


def new_alert_ids(count: int) -> list[str]:
    """Fresh alert ids no other run can produce."""
    return [f"focus-suite-{uuid.uuid4().hex[:16]}" for _ in range(count)]


def class_id(name: str) -> int:
    """``classId`` for a Gherkin class name (single-channel, spatial-distribution)."""
    try:
        return int(CLASSES[name.strip().lower()])
    except KeyError:
        raise ValueError(f"unknown alert class {name!r}; known: {', '.join(CLASSES)}") from None


def distance_m(phrase: str, fibre_length_m: float) -> int:
    """``dofM`` for a Gherkin distance: the start/end of the fibre or N m before/beyond it."""
    text = phrase.strip().lower()
    last_metre = math.floor(fibre_length_m)  # dofM is whole metres and must not exceed the length
    if text in ("the start of fibre", "the start of the fibre"):
        return 0
    if text == "the end of the fibre":
        return last_metre
    match = _OFFSET.match(text)
    if not match:
        raise ValueError(f"unknown distance {phrase!r}")
    metres = int(match.group(1))
    return -metres if match.group(2).startswith("before") else last_metre + metres


def valid_alert(alert_ids: list[str], *, class_id: int = AlertClass.SD, severity: int = Severity.HIGH,
                dof_m: int = 0) -> dict[str, Any]:
    """A well-formed push body for the ids (``alertsAmount`` consistent with them)."""
    return {"classId": int(class_id), "severity": int(severity), "dofM": int(dof_m),
            "alertsAmount": len(alert_ids), "alertIds": list(alert_ids)}


def with_value(body: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    """A copy of the body with one field set to a raw value."""
    if field not in ALERT_FIELDS:
        raise ValueError(f"unknown alert field {field!r}; known: {', '.join(ALERT_FIELDS)}")
    return {**body, field: value}


def without(body: dict[str, Any], field: str) -> dict[str, Any]:
    """A copy of the body lacking one field."""
    if field not in ALERT_FIELDS:
        raise ValueError(f"unknown alert field {field!r}; known: {', '.join(ALERT_FIELDS)}")
    return {k: v for k, v in body.items() if k != field}


def parse_int(text: str) -> int:
    """A Gherkin integer cell such as ``-1``."""
    return int(text.strip())


def parse_value(text: str) -> Any:
    """A Gherkin cell holding a raw JSON value: ``103.5``, ``"103"``, ``true``, ``null``, ``[]``, ``[""]``."""
    try:
        return json.loads(text.strip())
    except ValueError:
        raise ValueError(f"not a JSON value: {text!r} (write text in double quotes)") from None


def _strings_in(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings_in(item)


def ids_in_report(body: bytes, alert_ids: Iterable[str]) -> set[str]:
    """Which of the ids a published report is about.

    A report names its own id in ``alertId`` (it may also repeat the whole push's ``alertIds``);
    without that field, any of the ids appearing in its JSON or text counts.
    """
    wanted = set(alert_ids)
    try:
        doc = json.loads(body)
    except ValueError:
        text = body.decode("utf-8", "replace")
        return {i for i in wanted if i in text}
    if isinstance(doc, dict):
        own = next((doc[k] for k in _OWN_ID_KEYS if isinstance(doc.get(k), str)), None)
        if own is not None:
            return wanted & {own}
    return wanted & set(_strings_in(doc))


def reports_per_id(bodies: Iterable[bytes], alert_ids: list[str]) -> Counter[str]:
    """How many published reports name each id (ids never named count 0)."""
    counts: Counter[str] = Counter({i: 0 for i in alert_ids})
    for body in bodies:
        counts.update(ids_in_report(body, alert_ids))
    return counts


def reports_of(bodies: Iterable[bytes], pushed: dict[str, Any], shared: bool = False) -> list[bytes]:
    """Reports that belong to a push: those naming one of its ids; when it had no usable ids, every
    report - or, on a shared broker, every report echoing the push's other fields.

    Where the suite has the broker to itself any report in the window is the push's. On a shared one
    other clients' alerts arrive too (their own ids, their own fields): only a report that repeats
    every non-id field the push sent can be this push's.
    """
    ids = [i for i in pushed.get("alertIds") or [] if isinstance(i, str)] if isinstance(
        pushed.get("alertIds"), list) else []
    bodies = list(bodies)
    if ids:
        return [b for b in bodies if ids_in_report(b, ids)]
    if not shared:
        return bodies
    fields = {k: v for k, v in pushed.items() if k not in ("alertIds", "alertsAmount")}
    if not fields:
        raise MisconfiguredError("a push with neither ids nor other fields cannot be told apart from other "
                                 "clients' alerts on a shared broker; the scenario must be tagged @exclusive")
    return [b for b in bodies if _echoes(b, fields)]


def _echoes(body: bytes, fields: dict[str, Any]) -> bool:
    """True when a report carries each of ``fields`` with the value pushed."""
    try:
        doc = json.loads(body)
    except ValueError:
        return False
    return isinstance(doc, dict) and all(k in doc and doc[k] == v for k, v in fields.items())


# --- scenario flow: watching, pushing and cleaning up -------------------------------------------
@dataclass
class AlertNotes:
    """What one alert scenario pushed, through which client, and the reports it watches."""

    client: Any = None
    listener: Any = None
    pushed: dict[str, Any] | None = None
    response: Any = None
    shared: bool = False  # other clients publish on the broker too: reports are attributed strictly


def publish_deadline_s(timings: Timings) -> float:
    """How long a valid push may take to show up as reports: the time a job may take to start."""
    return timings.job_start_timeout_s


def quiet_window_s(timings: Timings) -> float:
    """How long to watch for reports that must not come: short, scaled to the environment's pace.

    A report is published while its push is handled, before the answer, so it arrives within
    milliseconds of it; a twentieth of the start timeout (0.25 s on the sandbox, 2 s at most on
    staging) leaves a wide margin without making some forty alert scenarios wait a second each."""
    return min(2.0, max(0.25, timings.job_start_timeout_s / 20))


def start_watching(suite: SuiteContext, state: ScenarioState) -> AlertNotes:
    """Bind a temporary queue to the report routing key *before* any push (closed at cleanup)."""
    notes = notes_of(state, AlertNotes)
    notes.shared = suite.environment.shared
    notes.listener = suite.listen_to_prisma([REPORT_ROUTING_KEY])
    state.listener = notes.listener
    state.cleanup.register("stop watching alert reports", notes.listener.close)
    return notes


def sign_in(suite: SuiteContext, state: ScenarioState) -> None:
    """Use the environment's signed-in Web App user for this scenario's pushes."""
    notes_of(state, AlertNotes).client = state.web_app = suite.web_app


CREDENTIALS = ("without signing in", "with an empty access token", "with a malformed access token",
               "with the access token of a signed-out session")
MALFORMED_TOKEN = "not-a-session-token"


def use_credential(suite: SuiteContext, state: ScenarioState, credential: str) -> Any:
    """A Web App client presenting the named credential (closed at cleanup); it is this scenario's client.

    "the access token of a signed-out session": the environment's user signs in on a fresh session,
    signs out (which must succeed), and the client keeps presenting that session's token.
    """
    if credential not in CREDENTIALS:
        raise ValueError(f"unknown credential {credential!r}; known: {', '.join(CREDENTIALS)}")
    client = suite.new_web_app()
    state.cleanup.register("close the Web App client of the credential under test", client.close)
    if credential == "with an empty access token":
        client.use_cookie("")
    elif credential == "with a malformed access token":
        client.use_cookie(MALFORMED_TOKEN)
    elif credential == "with the access token of a signed-out session":
        user = suite.environment.web_app.user
        client.login(user.username, user.password)
        token = client.access_token()
        response = state.remember(client.send_logout())
        if not 200 <= response.status_code < 300:
            raise fail(f"expected the Web App to end a session on POST auth/logout (2xx); it answered "
                       f"{response.status_code}\n{describe_response(response)}", "http.status", "accepted",
                       str(response.status_code))
        client.use_cookie(token)
    notes_of(state, AlertNotes).client = state.web_app = client
    return client


def fibre_length_m(suite: SuiteContext) -> float:
    """The live fibre's length in metres (the upper bound of ``dofM``)."""
    return suite.focus.live_metadata().fiber_length_meters


def push(suite: SuiteContext, state: ScenarioState, body: dict[str, Any]) -> Any:
    """Push a raw body; its ids are deleted at cleanup, whatever the answer (a bug may store it)."""
    notes = notes_of(state, AlertNotes)
    ids = [i for i in body.get("alertIds") or [] if isinstance(i, str)] if isinstance(body.get("alertIds"), list) else []
    if ids:
        state.cleanup.register(f"delete alerts {', '.join(ids)}", lambda: delete_alerts(suite, ids))
    notes.pushed = body
    notes.response = state.remember(notes.client.send_push(body), body)
    return notes.response


def delete_alerts(suite: SuiteContext, alert_ids: list[str]) -> None:
    """Delete alerts through the Web App as the signed-in user; raise when it refuses."""
    response = suite.web_app.send_delete_alerts(alert_ids)
    if response.status_code not in (200, 204):
        raise InfrastructureError(f"could not delete alerts {alert_ids}: HTTP {response.status_code} "
                                  f"{response.text[:200]}")


def received_reports(notes: AlertNotes) -> list[bytes]:
    """Bodies of the reports of this scenario's push received so far."""
    return reports_of((m.body for m in notes.listener.messages), notes.pushed or {}, notes.shared)


def wait_for_reports(notes: AlertNotes, deadline_s: float, settle_s: float) -> Counter[str]:
    """Wait until every id of the push was reported (or the deadline), then ``settle_s`` more for
    duplicates; returns the report count per id, so a failure names exactly which ids are off."""
    ids = list((notes.pushed or {}).get("alertIds") or [])
    deadline = time.monotonic() + deadline_s
    while min(reports_per_id(received_reports(notes), ids).values(), default=1) == 0:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        notes.listener.poll(min(0.2, remaining))
    notes.listener.collect(settle_s)
    return reports_per_id(received_reports(notes), ids)


def reports_within(notes: AlertNotes, window_s: float) -> list[bytes]:
    """Reports of the push that arrive within a bounded window (for "nothing is published")."""
    notes.listener.collect(window_s)
    return received_reports(notes)


SIGN_IN_ATTEMPTS = ("as the environment's user", "with a wrong password", "as a user the Web App does not know",
                    "without a password")


def sign_in_attempt(suite: SuiteContext, state: ScenarioState, attempt: str) -> Any:
    """One login on a fresh client (closed at cleanup); the response, as answered."""
    if attempt not in SIGN_IN_ATTEMPTS:
        raise ValueError(f"unknown sign-in attempt {attempt!r}; known: {', '.join(SIGN_IN_ATTEMPTS)}")
    user = suite.environment.web_app.user
    client = suite.new_web_app()
    state.cleanup.register("close the Web App client of the sign-in attempt", client.close)
    body: dict[str, Any] = {"username": user.username, "password": user.password.get_secret_value()}
    if attempt == "with a wrong password":
        body["password"] = f"focus-suite-wrong-{uuid.uuid4().hex[:12]}"
    elif attempt == "as a user the Web App does not know":
        body["username"] = f"focus-suite-nobody-{uuid.uuid4().hex[:8]}"
    elif attempt == "without a password":
        del body["password"]
    response = client.request("POST", "auth/login", json=body)
    # the password never reaches the report: only the user name and the answer are kept
    return state.remember(response, {"username": body["username"], "password": "***" if "password" in body else None})


UNKNOWN_SITE = "focus-suite-no-such-site"


def push_to_unknown_site(suite: SuiteContext, state: ScenarioState) -> Any:
    """Push a valid alert, as the signed-in user, to a site id the Web App does not serve (raw request)."""
    body = valid_alert(new_alert_ids(1))
    notes = notes_of(state, AlertNotes)
    notes.pushed = body
    ids = body["alertIds"]
    state.cleanup.register(f"delete alerts {', '.join(ids)}", lambda: delete_alerts(suite, ids))
    notes.response = state.remember(notes.client.request("POST", f"{UNKNOWN_SITE}/api/push-to-rabbit", json=body), body)
    return notes.response


def send_raw_delete(suite: SuiteContext, state: ScenarioState, alert_ids: Any) -> Any:
    """A deletion as the signed-in user whose ``alertIds`` is a raw JSON value (never modelled client-side)."""
    client = suite.web_app
    body = {"alertIds": alert_ids}
    return state.remember(client.request("DELETE", f"{client.site_id}/api/alert/delete", json=body), body)


# --- who may delete alerts (contract section 6) ------------------------------------------------
def push_valid_alert(suite: SuiteContext, state: ScenarioState) -> Any:
    """Push one valid alert as the signed-in user (its ids are deleted at cleanup); the response."""
    sign_in(suite, state)
    return push(suite, state, valid_alert(new_alert_ids(1)))


def viewer_client(suite: SuiteContext, state: ScenarioState) -> Any:
    """A Web App client signed in as the environment's user without delete permission (closed at cleanup)."""
    viewer = suite.environment.web_app.viewer
    if viewer is None:
        raise MisconfiguredError(f"environment {suite.environment.name!r} declares no web_app.viewer user "
                                 "(a user without delete permission)")
    client = suite.new_web_app()
    state.cleanup.register("close the viewer's Web App client", client.close)
    client.login(viewer.username, viewer.password)
    return client


def pushed_ids(state: ScenarioState) -> list[str]:
    """The alert ids of this scenario's last push."""
    return list((notes_of(state, AlertNotes).pushed or {}).get("alertIds") or [])


def listed_ids(suite: SuiteContext) -> set[str]:
    """Ids of the alerts the Web App lists for the site (read as the signed-in user)."""
    return {str(a.get("alertId")) for a in suite.web_app.list_alerts() if isinstance(a, dict)}


def cookie_flags(response: Any, name: str) -> set[str]:
    """The flags (httponly, secure) the response's Set-Cookie gives cookie ``name``; empty when not set."""
    jar = SimpleCookie()
    for header in response.raw.headers.getlist("Set-Cookie") if hasattr(response.raw, "headers") else []:
        jar.load(header)
    morsel = jar.get(name)
    return {flag for flag in ("httponly", "secure") if morsel is not None and morsel[flag]}
