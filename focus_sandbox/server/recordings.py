"""Read the MongoDB recordings index (contract section 7) with short timeouts.

Queries avoid explicit ``null`` matches (nx-27017 mishandles them) and use ``$exists`` instead;
conditions are combined with an explicit ``$and`` (nx-27017 drops siblings of a top-level ``$or``).
"""
from __future__ import annotations

import datetime as dt
import time

import pymongo
import pymongo.errors

from focus_sandbox.settings import SandboxConfig


class MongoUnavailable(Exception):
    """MongoDB did not answer within the server's short timeouts."""


def make_client(uri: str, timeout_ms: int = 1500) -> pymongo.MongoClient:
    """A client that fails fast, so a down MongoDB yields 503 well within 5 s."""
    return pymongo.MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms,
                               socketTimeoutMS=timeout_ms, retryReads=False, retryWrites=False)


def to_naive_utc(epoch_s: float) -> dt.datetime:
    """Epoch seconds -> naive UTC datetime (how recordings store their times)."""
    return dt.datetime.fromtimestamp(epoch_s, dt.timezone.utc).replace(tzinfo=None)


def to_epoch(value: dt.datetime) -> int:
    """Naive UTC datetime -> epoch seconds."""
    return int(value.replace(tzinfo=dt.timezone.utc).timestamp())


class Recordings:
    """Find recordings intersecting a time window."""

    def __init__(self, config: SandboxConfig, client: pymongo.MongoClient):
        self.config = config
        self.db = client[config.mongodb_database]

    def _collection(self):
        base = self.db["base_paths"].find_one({"is_archive": False})
        if not base or not base.get("guid"):
            return None
        return self.db[base["guid"]]

    def intersecting(self, start_s: int, end_s: int) -> list[list[int]]:
        """``[start, end]`` pairs (epoch s, end -1 while recording) of live recordings in the window."""
        try:
            col = self._collection()
            if col is None:
                return []
            ends_after_start = [{"end_time": {"$gt": to_naive_utc(start_s)}}]
            if start_s < time.time():  # an ongoing recording has data up to now, not in the future
                ends_after_start.append({"end_time": {"$exists": False}})
            # Explicit $and: nx-27017 loses the sibling conditions of a top-level $or.
            query = {"$and": [
                {"deleted": False},
                {"start_time": {"$lt": to_naive_utc(end_s)}},
                {"$or": ends_after_start},
            ]}
            cursor = col.find(query, {"_id": 0, "start_time": 1, "end_time": 1})
            if not self.config.has("recordings_unsorted"):
                cursor = cursor.sort("start_time", pymongo.ASCENDING)
            docs = list(cursor)
        except pymongo.errors.PyMongoError as exc:
            raise MongoUnavailable(f"MongoDB unavailable: {type(exc).__name__}") from None
        return [[to_epoch(d["start_time"]), to_epoch(d["end_time"]) if d.get("end_time") else -1]
                for d in docs]
