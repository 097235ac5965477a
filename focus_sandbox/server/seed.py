"""Seed the MongoDB recordings index once per database (idempotent).

Layout (contract section 7): ``base_paths`` maps a storage root to a ``<guid>`` collection of
recordings; ``<guid>-unrecognized_recordings`` holds folders the indexer could not parse.
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import uuid

import pymongo
import pymongo.errors

from focus_sandbox.settings import SandboxConfig

log = logging.getLogger(__name__)

RECORDING_COUNT = 300
RECORDING_SPACING_S = 864   # 300 recordings over the last 3 days
RECORDING_LENGTH_S = 600    # leaves a gap of 264 s between recordings (historic "no recording" windows)
INDEXED_FIELDS = ("start_time", "end_time", "uuid", "deleted")
LIVE_ROOT = "/prisma/root/recordings"
ARCHIVE_ROOT = "/prisma/root/archive"


def identifier_uuid() -> str:
    """A random UUID in 32-hex form starting with a letter: a valid collection name on nx-27017 too."""
    while True:
        value = uuid.uuid4().hex
        if value[0].isalpha():
            return value


def _fiber_metadata(config: SandboxConfig) -> dict:
    """The fibre a recording was made on, in the live metadata's own shape."""
    return config.fibre.model_dump()


def _recordings(config: SandboxConfig, now: dt.datetime) -> list[dict]:
    first = now - dt.timedelta(seconds=RECORDING_COUNT * RECORDING_SPACING_S)
    docs = []
    for i in range(RECORDING_COUNT):
        start = first + dt.timedelta(seconds=i * RECORDING_SPACING_S)
        docs.append({"uuid": str(uuid.uuid4()), "start_time": start,
                     "end_time": start + dt.timedelta(seconds=RECORDING_LENGTH_S),
                     "deleted": i % 25 == 7, "fiber_metadata": _fiber_metadata(config)})
    # Still recording: no end_time, started minutes ago.
    docs.append({"uuid": str(uuid.uuid4()), "start_time": now - dt.timedelta(minutes=5), "deleted": False,
                 "fiber_metadata": _fiber_metadata(config)})
    # "Deleted while running": never got an end_time, days old.
    docs.append({"uuid": str(uuid.uuid4()), "start_time": now - dt.timedelta(days=4, hours=3),
                 "deleted": True, "fiber_metadata": _fiber_metadata(config)})
    if config.has("recording_without_start_time"):
        docs.append({"uuid": str(uuid.uuid4()), "end_time": now - dt.timedelta(hours=2), "deleted": False,
                     "fiber_metadata": _fiber_metadata(config)})
    if config.has("unrecognized_folders_in_recordings"):
        # the indexer keyed the folders it could not parse by their name, next to real recordings
        docs += [{**folder, "uuid": folder["folder_name"]} for folder in _unrecognized(now)]
    random.Random(26).shuffle(docs)  # storage order != time order, as on a real indexer
    return docs


def _unrecognized(now: dt.datetime) -> list[dict]:
    return [{"folder_name": f"{LIVE_ROOT}/broken_{i:03d}", "file_count": i * 3,
             "update_time": now - dt.timedelta(hours=i * 7)} for i in range(1, 6)]


def _drop_indexes_on(col, keys: set[str], unique_only: bool = False) -> None:
    """Drop the single-field indexes on ``keys`` (only the unique ones if ``unique_only``)."""
    for name, info in col.index_information().items():
        fields = [k for k, _ in info["key"]]
        if len(fields) == 1 and fields[0] in keys and (info.get("unique") or not unique_only):
            col.drop_index(name)


def _sync_indexes(config: SandboxConfig, col) -> None:
    """Create the spec indexes; the index switches leave some out or make uuid's non-unique."""
    if config.has("recordings_indexes_missing"):
        _drop_indexes_on(col, set(INDEXED_FIELDS))
        return
    col.create_index([("start_time", pymongo.ASCENDING)])
    col.create_index([("end_time", pymongo.ASCENDING)])
    if config.has("uuid_index_not_unique"):
        _drop_indexes_on(col, {"uuid"}, unique_only=True)
        col.create_index([("uuid", pymongo.ASCENDING)])
    else:
        col.create_index([("uuid", pymongo.ASCENDING)], unique=True)
    if not config.has("deleted_index_missing"):
        col.create_index([("deleted", pymongo.ASCENDING)])
        return
    for name, info in col.index_information().items():
        if [k for k, _ in info["key"]] == ["deleted"]:
            col.drop_index(name)


def seed(config: SandboxConfig, client: pymongo.MongoClient) -> str:
    """Seed the database unless already seeded; return the recordings collection name (guid)."""
    db = client[config.mongodb_database]
    base = db["base_paths"].find_one({"is_archive": False})
    if base:
        guid = base["guid"]
        log.info("MongoDB already seeded (recordings collection %s)", guid)
        if any(config.has(d) for d in ("base_path_names_unrecognized_collection",
                                       "base_path_names_missing_collection")):
            return guid  # a folders-only or missing "collection": creating indexes would make it up
    else:
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
        guid = str(uuid.uuid4())  # real sites name the collection by a dashed UUID (contract 15)
        try:
            db[guid].insert_many(_recordings(config, now))
        except pymongo.errors.OperationFailure:
            # nx-27017 accepts only identifier-like collection names: the 32-hex form there
            guid = identifier_uuid()
            db[guid].insert_many(_recordings(config, now))
        unrecognized = f"{guid}-unrecognized_recordings"
        try:
            db[unrecognized].insert_many(_unrecognized(now))
        except pymongo.errors.OperationFailure:
            # nx-27017 accepts only identifier-like collection names: no hyphen there.
            unrecognized = f"{guid}_unrecognized_recordings"
            db[unrecognized].insert_many(_unrecognized(now))
        live = unrecognized if config.has("base_path_names_unrecognized_collection") else guid
        if config.has("base_path_names_missing_collection"):
            live = identifier_uuid()  # a guid no collection was ever created for
        db["base_paths"].insert_many([  # staging's roots (contract 15)
            {"base_path": LIVE_ROOT, "guid": live, "is_archive": False},
            {"base_path": ARCHIVE_ROOT, "guid": identifier_uuid(), "is_archive": True},
        ])
        log.info("MongoDB seeded: %d recordings in %s", RECORDING_COUNT + 2, guid)
    _sync_indexes(config, db[guid])
    return guid
