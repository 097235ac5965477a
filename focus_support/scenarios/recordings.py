"""The MongoDB recordings index as the recordings scenarios see it (contract section 7).

The recordings collection is always found through ``base_paths`` (never by a name substring such
as "recording", which lands on ``<guid>-unrecognized_recordings``: the mistake of seed sections 2.1 and 2.2).
Queries use ``$exists`` rather than matching ``null`` (the sandbox's MongoDB-wire server mishandles
explicit null matches). A recording marked ``deleted`` is soft-deleted and not expected in answers.
Windows chosen here avoid unfinished recordings, whose end marker the contract leaves open (``-1``,
unverified), and boundaries that coincide with a recording's start or end.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pymongo.database import Database

from focus_support.context import SuiteContext
from focus_support.errors import PreconditionNotMetError
from focus_support.mongo import locate_recordings_collections
from focus_support.scenario_state import ScenarioState
from focus_support.scenarios import notes_of

UNRECOGNIZED_MARK = "unrecognized_recordings"


@dataclass(frozen=True)
class RecordingsLocation:
    """Where the live storage root keeps its recordings."""

    base_path: str
    collection: str
    unrecognized_collection: str | None  # None when the indexer has set none aside


@dataclass(frozen=True)
class Recording:
    """One recording of the index, times in epoch seconds (``end`` None while unfinished)."""

    uuid: str
    start: int
    end: int | None
    deleted: bool

    @property
    def pair(self) -> tuple[int, int]:
        """How an answer lists it: ``[start, end]``, end ``-1`` while recording (contract 2, unverified)."""
        return self.start, (self.end if self.end is not None else -1)

    def overlaps(self, start: int, end: int) -> bool:
        """True when the recording shares time with the window ``[start, end]``."""
        return self.start < end and (self.end is None or self.end > start)


@dataclass(frozen=True)
class TimeWindow:
    """A query window in epoch seconds."""

    start: int
    end: int


def to_epoch(value: dt.datetime) -> int:
    """Naive UTC datetime (how recordings store times) -> epoch seconds."""
    return int(value.replace(tzinfo=dt.timezone.utc).timestamp())


def locate_recordings(db: Database) -> RecordingsLocation:
    """The recordings collection of the live (non-archive) storage root, found through ``base_paths``
    (``focus_support.mongo.locate_recordings_collections``: a missing root is a product failure)."""
    found = locate_recordings_collections(db, archive=False)
    return RecordingsLocation(base_path=found.base_path, collection=found.guid,
                              unrecognized_collection=found.unrecognized or None)


def collection_exists(db: Database, name: str) -> bool:
    """True when the database has a collection of that name."""
    return name in db.list_collection_names()


def count(db: Database, name: str) -> int:
    """Documents in a collection."""
    return db[name].count_documents({})


def recordings_lacking_identity(db: Database, name: str, limit: int = 5) -> list[dict[str, Any]]:
    """Up to ``limit`` recordings without a ``uuid`` or a ``start_time`` (absent, empty or null)."""
    found = []
    # scanned client-side: a null-or-absent query is exactly what the sandbox's wire server mishandles
    for doc in db[name].find({}, {"uuid": 1, "start_time": 1, "folder_name": 1}):
        if doc.get("uuid") in (None, "") or doc.get("start_time") is None:
            found.append({k: str(v) for k, v in doc.items()})
            if len(found) >= limit:
                break
    return found


def unrecognized_among_recordings(db: Database, location: RecordingsLocation, limit: int = 5) -> list[dict]:
    """Recordings that are really unparsed folders: they carry a folder name, or one the indexer gave up on."""
    folders: set[str] = set()
    if location.unrecognized_collection:
        folders = {str(d["folder_name"]) for d in db[location.unrecognized_collection].find({}, {"folder_name": 1})
                   if d.get("folder_name")}
    found = []
    for doc in db[location.collection].find({}, {"_id": 0, "uuid": 1, "folder_name": 1}):
        if "folder_name" in doc or doc.get("uuid") in folders:
            found.append(doc)
            if len(found) >= limit:
                break
    return found


def indexes(db: Database, name: str) -> list[dict[str, Any]]:
    """Every index of the collection as ``{"name", "keys", "unique"}``; keys is the list of field names."""
    return [{"name": idx_name, "keys": [k for k, _ in info["key"]], "unique": bool(info.get("unique"))}
            for idx_name, info in db[name].index_information().items()]


def index_led_by(db: Database, name: str, key: str) -> dict[str, Any] | None:
    """The first index whose leading key field is ``key`` (compared by keys, never by index name)."""
    return next((i for i in indexes(db, name) if i["keys"][:1] == [key]), None)


def recordings(db: Database, name: str) -> list[Recording]:
    """Every recording with a start time, sorted by start."""
    found = []
    for doc in db[name].find({"start_time": {"$exists": True}}, {"uuid": 1, "start_time": 1, "end_time": 1,
                                                                   "deleted": 1}):
        if not isinstance(doc.get("start_time"), dt.datetime):
            continue
        end = doc.get("end_time")
        found.append(Recording(uuid=str(doc.get("uuid")), start=to_epoch(doc["start_time"]),
                               end=to_epoch(end) if isinstance(end, dt.datetime) else None,
                               deleted=bool(doc.get("deleted"))))
    return sorted(found, key=lambda r: r.start)


def expected_in_window(all_recordings: list[Recording], window: TimeWindow) -> list[Recording]:
    """Recordings the spec requires in the answer: not deleted, overlapping the window, by start."""
    return [r for r in all_recordings if not r.deleted and r.overlaps(window.start, window.end)]


def _unambiguous(all_recordings: list[Recording], window: TimeWindow) -> bool:
    """No unfinished recording overlaps the window, and no boundary coincides with a start or end."""
    live = [r for r in all_recordings if not r.deleted]
    touched = [r for r in live if r.overlaps(window.start - 1, window.end + 1)]
    edges = {t for r in live for t in (r.start, r.end) if t is not None}
    return (all(r.end is not None for r in touched)
            and window.start not in edges and window.end not in edges)


def _finished(all_recordings: list[Recording]) -> list[Recording]:
    return [r for r in all_recordings if not r.deleted and r.end is not None and r.end - r.start >= 4]


def window_from_middle_of_a_recording(all_recordings: list[Recording]) -> TimeWindow:
    """A window starting halfway through a finished recording and ending inside the next one.

    That recording overlaps the window only partly, so a server that lists only recordings
    wholly inside the window is caught.
    """
    done = _finished(all_recordings)
    for first, second in zip(done, done[1:]):
        window = TimeWindow(start=(first.start + first.end) // 2, end=(second.start + second.end) // 2)
        if window.end > window.start and _unambiguous(all_recordings, window):
            return window
    raise PreconditionNotMetError(f"no two consecutive finished recordings to span among {len(done)}")


def window_spanning(all_recordings: list[Recording], how_many: int = 5) -> TimeWindow:
    """A window from the middle of one finished recording to the middle of the ``how_many``-th after it."""
    done = _finished(all_recordings)
    for i in range(len(done) - how_many + 1):
        first, last = done[i], done[i + how_many - 1]
        window = TimeWindow(start=(first.start + first.end) // 2, end=(last.start + last.end) // 2)
        if _unambiguous(all_recordings, window):
            return window
    raise PreconditionNotMetError(f"no {how_many} consecutive finished recordings among {len(done)}")


def window_inside_a_recording(all_recordings: list[Recording], length_s: int = 120) -> TimeWindow:
    """A short window wholly inside the latest finished recording (a valid historic request)."""
    for r in reversed(_finished(all_recordings)):
        if r.end - r.start > length_s + 20:
            window = TimeWindow(start=r.start + 10, end=r.start + 10 + length_s)
            if _unambiguous(all_recordings, window):
                return window
    raise PreconditionNotMetError("no finished recording long enough for a historic window")


def window_in_future(now_s: int, offset_s: int = 86_400, length_s: int = 3_600) -> TimeWindow:
    """A window that starts ``offset_s`` from now."""
    return TimeWindow(start=now_s + offset_s, end=now_s + offset_s + length_s)


def mismatches(expected: list[Recording], listed: list[tuple[int, int]], tolerance_s: int = 1) -> list[str]:
    """Differences between the spec's recordings and the listed ``[start, end]`` pairs (order ignored)."""
    remaining = list(listed)
    problems = []
    for rec in expected:
        match = next((p for p in remaining if abs(p[0] - rec.start) <= tolerance_s
                      and abs(p[1] - (rec.end if rec.end is not None else -1)) <= tolerance_s), None)
        if match is None:
            problems.append(f"missing recording {rec.uuid} [{rec.start}, {rec.end}]")
        else:
            remaining.remove(match)
    problems += [f"unexpected entry {list(p)}" for p in remaining]
    return problems


# --- scenario flow ---------------------------------------------------------------------------------
@dataclass
class RecordingNotes:
    """The located collection, the chosen window and the listed answer of one recordings scenario."""

    location: RecordingsLocation | None = None
    window: TimeWindow | None = None
    response: Any = None
    recording: Recording | None = None    # the one recording a window was chosen around


def ask_for_window(suite: SuiteContext, state: ScenarioState, window: TimeWindow) -> Any:
    """Ask Focus Server for the recordings in a window (the raw response is kept)."""
    notes = notes_of(state, RecordingNotes)
    notes.window = window
    body = {"start_time": window.start, "end_time": window.end}
    notes.response = state.remember(suite.focus.send_recordings_query(body), body)
    return notes.response


def listed_pairs(response: Any) -> list[tuple[int, int]]:
    """The answer's ``[start, end]`` pairs, in the order listed."""
    return [(int(p[0]), int(p[1])) for p in response.json()]


# --- a window in a given relation to one recording (issue 12: every overlap case) -------------------
MARGIN_S = 60   # how far a window reaches past a recording's edge, or stays inside it
RELATIONS = {
    "starts before and ends inside": lambda r: TimeWindow(r.start - MARGIN_S, r.start + MARGIN_S),
    "starts inside and ends after": lambda r: TimeWindow(r.end - MARGIN_S, r.end + MARGIN_S),
    "contains": lambda r: TimeWindow(r.start - MARGIN_S, r.end + MARGIN_S),
    "lies inside": lambda r: TimeWindow(r.start + MARGIN_S, r.end - MARGIN_S),
    "ends at the start of": lambda r: TimeWindow(r.start - MARGIN_S, r.start),
    "starts at the end of": lambda r: TimeWindow(r.end, r.end + MARGIN_S),
}
KINDS = ("a finished recording", "a deleted recording", "a recording still in progress")
ONGOING_MAX_AGE_S = 86_400   # contract 7: a recording without end_time is live only if younger than 24 h


def _candidates(all_recordings: list[Recording], kind: str, now_s: int) -> list[Recording]:
    if kind == "a finished recording":
        found = [r for r in all_recordings if not r.deleted and r.end is not None]
    elif kind == "a deleted recording":
        found = [r for r in all_recordings if r.deleted and r.end is not None]
    elif kind == "a recording still in progress":
        found = [r for r in all_recordings if not r.deleted and r.end is None and now_s - ONGOING_MAX_AGE_S < r.start]
    else:
        raise ValueError(f"unknown recording {kind!r}; known: {', '.join(KINDS)}")
    return sorted(found, key=lambda r: r.start, reverse=True)   # the latest first


def window_related_to(all_recordings: list[Recording], relation: str, kind: str,
                      now_s: int) -> tuple[TimeWindow, Recording]:
    """A past window in ``relation`` to a recording of ``kind`` that shares no time (not even an edge)
    with any other recording a server could list, so the answer about that one recording is clear."""
    if relation not in RELATIONS:
        raise ValueError(f"unknown relation {relation!r}; known: {', '.join(RELATIONS)}")
    for rec in _candidates(all_recordings, kind, now_s):
        if rec.end is None:   # in progress: the window lies inside what it has recorded so far
            if relation != "lies inside":
                raise ValueError(f"a recording still in progress has no end: only 'lies inside' applies")
            window = TimeWindow(rec.start + MARGIN_S, now_s - 5)
        elif rec.end - rec.start <= 3 * MARGIN_S:
            continue
        else:
            window = RELATIONS[relation](rec)
        # a stale recording (no end, older than a day: contract 7) is no candidate for any answer
        others = [r for r in all_recordings if r.uuid != rec.uuid
                  and not (r.end is None and r.start <= now_s - ONGOING_MAX_AGE_S)]
        if window.end < now_s and window.end > window.start and not any(
                r.overlaps(window.start - 1, window.end + 1) for r in others):
            return window, rec
    raise PreconditionNotMetError(f"no {kind.removeprefix('a ')} with a window that '{relation}' it and no other "
                                  f"recording near it ({len(all_recordings)} recordings in the index)")


def listed_pair_of(response: Any, rec: Recording, tolerance_s: int = 1) -> tuple[int, int] | None:
    """The listed ``[start, end]`` pair of that recording (by its start), if any."""
    return next((p for p in listed_pairs(response) if abs(p[0] - rec.start) <= tolerance_s), None)


def recording_kind(text: str) -> str:
    """Step-type converter for the kind of recording a window is chosen around."""
    return text


recording_kind.pattern = "|".join(KINDS)  # type: ignore[attr-defined]


QUERY_PROBLEMS = {
    "an end time equal to its start time": lambda w: {"start_time": w.start, "end_time": w.start},
    "an end time before its start time": lambda w: {"start_time": w.end, "end_time": w.start},
    "no start time": lambda w: {"end_time": w.end},
    "no end time": lambda w: {"start_time": w.start},
    "a start time given as text": lambda w: {"start_time": str(w.start), "end_time": w.end},
    "an end time given as a fraction": lambda w: {"start_time": w.start, "end_time": w.end + 0.5},
    "an end time given as true": lambda w: {"start_time": w.start, "end_time": True},
    "a start time before 1970": lambda w: {"start_time": -1, "end_time": w.end},
    # the same past hour in milliseconds: thousands of years ahead, past what a date can hold
    "times given in milliseconds": lambda w: {"start_time": w.start * 1000, "end_time": w.end * 1000},
}


def query_with(problem: str, now_s: int) -> dict[str, Any]:
    """A raw time-range query body of the past hour with one problem (never modelled client-side)."""
    if problem not in QUERY_PROBLEMS:
        raise ValueError(f"unknown query problem {problem!r}; known: {', '.join(QUERY_PROBLEMS)}")
    return QUERY_PROBLEMS[problem](TimeWindow(now_s - 3600, now_s - 60))


def send_query(suite: SuiteContext, state: ScenarioState, body: dict[str, Any]) -> Any:
    """Send a raw time-range query body; the response is the scenario's latest."""
    notes = notes_of(state, RecordingNotes)
    notes.response = state.remember(suite.focus.send_recordings_query(body), body)
    return notes.response
