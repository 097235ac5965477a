"""Read the MongoDB recordings index (contract section 7) with short timeouts.

Queries avoid explicit ``null`` matches (nx-27017 mishandles them) and use ``$exists`` instead;
conditions are combined with an explicit ``$and`` (nx-27017 drops siblings of a top-level ``$or``).
"""
from __future__ import annotations

import datetime as dt
import socket
import threading
import time

import pymongo
import pymongo.errors
import pymongo.uri_parser

from focus_sandbox.settings import SandboxConfig


class MongoUnavailable(Exception):
    """MongoDB did not answer within the server's short timeouts."""


SLOW_FAILURE_S = 8.0  # mongodb_slow_failure: retries this long, beyond the contract's 5 s for a refusal


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


class PinnedConnection:
    """One TCP connection to MongoDB opened at start and never reopened (mongodb_connection_not_reopened).

    Replays a server that caches its first client: once MongoDB restarts, the socket is dead and the
    server keeps refusing historic requests although MongoDB is back.
    """

    def __init__(self, uri: str):
        self.address = pymongo.uri_parser.parse_uri(uri)["nodelist"][0]
        self.sock: socket.socket | None = None
        self.lost = False
        self._lock = threading.Lock()
        threading.Thread(target=self._connect, name="mongodb-pinned-connection", daemon=True).start()

    def _connect(self, within_s: float = 60.0) -> None:
        """Open the connection as soon as MongoDB accepts it (the server may start first)."""
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            with self._lock:
                if self.sock is None:
                    self._open()
                if self.sock is not None:
                    return
            time.sleep(0.5)  # poll interval while MongoDB starts

    def _open(self) -> None:
        try:
            self.sock = socket.create_connection(self.address, timeout=1.5)
            self.sock.settimeout(None)  # blocking mode: a MSG_DONTWAIT peek then answers at once
        except OSError:
            self.sock = None

    def check(self) -> None:
        """Raise MongoUnavailable once the connection was ever lost (opened lazily if start failed)."""
        with self._lock:
            if not self.lost and self.sock is None:
                self._open()
            if self.sock is None:
                raise MongoUnavailable("MongoDB unavailable: no connection")
            if not self.lost:
                try:
                    self.lost = self.sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
                except BlockingIOError:
                    pass  # nothing to read: the connection is alive
                except OSError:
                    self.lost = True
            if self.lost:
                raise MongoUnavailable("MongoDB unavailable: cached connection lost and never reopened")

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()


class Recordings:
    """Find recordings intersecting a time window."""

    def __init__(self, config: SandboxConfig, client: pymongo.MongoClient):
        self.config = config
        self.db = client[config.mongodb_database]
        self.pinned = (PinnedConnection(config.mongodb_uri)
                       if config.has("mongodb_connection_not_reopened") else None)

    def ping(self) -> None:
        """Raise MongoUnavailable unless MongoDB answers a ping."""
        try:
            self.db.command("ping")
        except pymongo.errors.PyMongoError as exc:
            raise MongoUnavailable(f"MongoDB unavailable: {type(exc).__name__}") from None

    def _collection(self):
        base = self.db["base_paths"].find_one({"is_archive": False})
        if not base or not base.get("guid"):
            return None
        return self.db[base["guid"]]

    def intersecting(self, start_s: int, end_s: int) -> list[list[int]]:
        """``[start, end]`` pairs (epoch s, end -1 while recording) of live recordings in the window."""
        if not self.config.has("mongodb_slow_failure"):
            return self._intersecting(start_s, end_s)
        deadline = time.monotonic() + SLOW_FAILURE_S
        while True:  # the replayed bug: a retry loop far longer than the client can wait
            try:
                return self._intersecting(start_s, end_s)
            except MongoUnavailable:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.5)  # poll interval of the retry loop

    def _intersecting(self, start_s: int, end_s: int) -> list[list[int]]:
        if self.pinned is not None:
            self.pinned.check()
        try:
            col = self._collection()
            if col is None:
                return []
            ends_after_start = [{"end_time": {"$gt": to_naive_utc(start_s)}}]
            # an ongoing recording has data up to now, not in the future
            if start_s < time.time() or self.config.has("future_window_lists_ongoing_recording"):
                ends_after_start.append({"end_time": {"$exists": False}})
            # Explicit $and: nx-27017 loses the sibling conditions of a top-level $or.
            query = {"$and": [
                {"deleted": False},
                {"start_time": {"$lt": to_naive_utc(end_s)}},
                {"$or": ends_after_start},
            ]}
            if self.config.has("recordings_contained_only"):
                query = {"$and": [{"deleted": False}, {"start_time": {"$gte": to_naive_utc(start_s)}},
                                  {"end_time": {"$lte": to_naive_utc(end_s)}}]}
            cursor = col.find(query, {"_id": 0, "start_time": 1, "end_time": 1})
            if not self.config.has("recordings_unsorted"):
                cursor = cursor.sort("start_time", pymongo.ASCENDING)
            docs = list(cursor)
        except pymongo.errors.PyMongoError as exc:
            raise MongoUnavailable(f"MongoDB unavailable: {type(exc).__name__}") from None
        return [[to_epoch(d["start_time"]), to_epoch(d["end_time"]) if d.get("end_time") else -1]
                for d in docs]
