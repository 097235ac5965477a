"""Steps of features/recordings: the MongoDB recordings index and recordings in a time range."""
import time

from behave import given, register_type, then, when
from hamcrest import described_as, empty, equal_to, greater_than, greater_than_or_equal_to, is_not, none, not_none

from focus_support.matchers import has_status, is_rejection, names_field
from focus_support.scenarios import notes_of
from focus_support.scenarios import recordings as rec
from focus_support.scenarios.recordings import RecordingNotes
from focus_support.reporting.observations import observe
from focus_support.verdict import expect


def _db(context):
    return context.suite.mongo.db


def _location(context) -> rec.RecordingsLocation:
    notes = notes_of(context.state, RecordingNotes)
    if notes.location is None:
        notes.location = rec.locate_recordings(_db(context))
    return notes.location


# --- the index ---------------------------------------------------------------------------------------
@given("the recordings collection of the live storage root, found through its base path")
def step_locate(context):
    _location(context)


@then("the recordings collection exists and is not empty")
def step_exists(context):
    loc = _location(context)
    expect(rec.collection_exists(_db(context), loc.collection), described_as(
        f"collection '{loc.collection}' named by base path '{loc.base_path}' exists", equal_to(True)))
    expect(rec.count(_db(context), loc.collection), described_as(
        f"recordings in collection '{loc.collection}' (base path '{loc.base_path}')", greater_than(0)))


@then("the recordings collection is not the collection of unrecognized folders")
def step_not_unrecognized(context):
    loc = _location(context)
    expect(loc.collection, described_as(
        f"the recordings collection of base path '{loc.base_path}' is not an unrecognized-folders collection",
        is_not(equal_to(loc.unrecognized_collection))))
    expect(rec.UNRECOGNIZED_MARK in loc.collection, described_as(
        f"collection name '{loc.collection}' without the mark '{rec.UNRECOGNIZED_MARK}'", equal_to(False)))


def _require_recordings(context, loc):
    """A check over no recordings at all would pass vacuously."""
    expect(_db(context)[loc.collection].estimated_document_count(), described_as(
        f"recordings in '{loc.collection}' to check (an empty collection proves nothing)", greater_than(0)))


@then("every recording has a unique id and a start time")
def step_identity(context):
    loc = _location(context)
    _require_recordings(context, loc)
    lacking = rec.recordings_lacking_identity(_db(context), loc.collection)
    observe("mongodb-schema", f"recordings collection '{loc.collection}' (base path '{loc.base_path}'): "
                              f"{rec.count(_db(context), loc.collection)} documents, {len(lacking)} without uuid or "
                              f"start_time; the unrecognized folders are in '{loc.unrecognized_collection or 'none'}'")
    expect(lacking, described_as(
        f"no recording in '{loc.collection}' without uuid or start_time (first offenders listed)", empty()))


@then("no folder the indexer could not parse appears among the recordings")
def step_no_unrecognized(context):
    loc = _location(context)
    _require_recordings(context, loc)
    expect(rec.unrecognized_among_recordings(_db(context), loc), described_as(
        f"no unparsed folder (from '{loc.unrecognized_collection}') in recordings collection '{loc.collection}'",
        empty()))


@then('the recordings collection has an index on "{key}"')
def step_index(context, key):
    loc = _location(context)
    present = rec.indexes(_db(context), loc.collection)
    observe("deleted-index" if key == "deleted" else "recordings-indexes",
            f"indexes of '{loc.collection}' by keys: {[i['keys'] for i in present]}")
    expect(rec.index_led_by(_db(context), loc.collection, key), described_as(
        f"an index of '{loc.collection}' led by key '{key}' (compared by keys; present: "
        f"{[i['keys'] for i in present]})", not_none()))


@then('the recordings collection\'s index on "{key}" enforces unique values')
def step_unique_index(context, key):
    loc = _location(context)
    index = rec.index_led_by(_db(context), loc.collection, key)
    expect(index, described_as(f"an index of '{loc.collection}' led by key '{key}'", not_none()))
    expect(index["unique"], described_as(f"index {index['name']} on {index['keys']} is unique", equal_to(True)))


# --- time range --------------------------------------------------------------------------------------
def _all_recordings(context):
    return rec.recordings(_db(context), _location(context).collection)


@given("a time window that starts in the middle of a recording")
def step_window_partial(context):
    notes_of(context.state, RecordingNotes).window = rec.window_from_middle_of_a_recording(_all_recordings(context))


@given("a time window that spans several recordings")
def step_window_spanning(context):
    notes_of(context.state, RecordingNotes).window = rec.window_spanning(_all_recordings(context))


@given("a time window that starts one day from now")
def step_window_future(context):
    notes_of(context.state, RecordingNotes).window = rec.window_in_future(int(time.time()))


@when("I ask for the recordings in that window")
def step_ask(context):
    notes = notes_of(context.state, RecordingNotes)
    rec.ask_for_window(context.suite, context.state, notes.window)


@then("the answer lists exactly the recordings of the index that overlap the window")
def step_exactly_overlapping(context):
    notes = notes_of(context.state, RecordingNotes)
    expect(notes.response, has_status(200))
    expected = rec.expected_in_window(_all_recordings(context), notes.window)
    problems = rec.mismatches(expected, rec.listed_pairs(notes.response))
    expect(problems, described_as(
        f"the answer for window [{notes.window.start}, {notes.window.end}] to hold the {len(expected)} "
        f"overlapping recordings of the index and nothing else", empty()))


@then("the recordings are listed in order of their start time")
def step_sorted(context):
    notes = notes_of(context.state, RecordingNotes)
    expect(notes.response, has_status(200))
    starts = [p[0] for p in rec.listed_pairs(notes.response)]
    expect(len(starts), described_as(
        f"several recordings listed for window [{notes.window.start}, {notes.window.end}]",
        greater_than_or_equal_to(2)))
    expect(starts, described_as("start times in ascending order", equal_to(sorted(starts))))


@then("the answer is an empty list")
def step_empty(context):
    notes = notes_of(context.state, RecordingNotes)
    expect(notes.response, has_status(200))
    expect(notes.response.json(), described_as(
        f"an empty list for window [{notes.window.start}, {notes.window.end}]", equal_to([])))


# --- one recording against a window in every overlap case (issue 12) -------------------------------
register_type(RecordingKind=rec.recording_kind)


@given("a time window that {relation} {kind:RecordingKind}")
def step_window_related(context, relation, kind):
    notes = notes_of(context.state, RecordingNotes)
    notes.window, notes.recording = rec.window_related_to(_all_recordings(context), relation, kind, int(time.time()))


def _listed(context):
    notes = notes_of(context.state, RecordingNotes)
    expect(notes.response, has_status(200))
    return notes, rec.listed_pair_of(notes.response, notes.recording)


@then("the answer lists that recording with its start and end time")
def step_lists_recording(context):
    notes, pair = _listed(context)
    expect(pair, described_as(
        f"recording {notes.recording.uuid} {list(notes.recording.pair)} listed for window "
        f"[{notes.window.start}, {notes.window.end}] as [start, end]", equal_to(notes.recording.pair)))


@then("the answer lists that recording as ongoing")
def step_lists_ongoing(context):
    notes, pair = _listed(context)
    expect(pair, described_as(
        f"recording {notes.recording.uuid} still in progress listed for window [{notes.window.start}, "
        f"{notes.window.end}] as [start, -1]", equal_to((notes.recording.start, -1))))


@then("the answer does not list that recording")
def step_not_listed(context):
    notes, pair = _listed(context)
    expect(pair, described_as(
        f"recording {notes.recording.uuid} {list(notes.recording.pair)} not listed for window "
        f"[{notes.window.start}, {notes.window.end}]", none()))


@when("I ask for the recordings with a query that has {problem}")
def step_bad_query(context, problem):
    rec.send_query(context.suite, context.state, rec.query_with(problem, int(time.time())))


@then('the query is refused as invalid, naming "{field}"')
def step_query_refused(context, field):
    response = notes_of(context.state, RecordingNotes).response
    expect(response, is_rejection())
    expect(response, names_field(field))


@given("a time window over the first minute of epoch time")
def step_window_epoch(context):
    notes_of(context.state, RecordingNotes).window = rec.TimeWindow(0, 60)
