"""``MongoDBManager``: the recordings index by URI (seed sections 2.1, 2.2; contract section 7).

The recordings collection is found through ``base_paths`` (never by a name substring, which lands on
``<guid>-unrecognized_recordings``). Indexes are compared by key fields, never by name. Outage
operations act on the cluster (the ``mongodb`` deployment), so they need Kubernetes.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from focus_support.config import MongoSettings
from focus_support.verdict.findings import fail
from focus_support.errors import MisconfiguredError, UnreachableError
from focus_support.waiting import wait_for_infra

UNRECOGNIZED_SUFFIX = "-unrecognized_recordings"
# MongoDB-wire servers that only allow identifier-like collection names store it with an underscore
UNRECOGNIZED_SUFFIXES = (UNRECOGNIZED_SUFFIX, "_unrecognized_recordings")
SPEC_INDEXES: tuple[tuple[str, ...], ...] = (("start_time",), ("end_time",), ("uuid",), ("deleted",))
LIVE_MAX_AGE = dt.timedelta(hours=24)


@dataclass(frozen=True)
class RecordingsCollections:
    """The live storage root and its two collections."""

    base_path: str
    guid: str
    unrecognized: str = ""   # the collection of folders the indexer could not parse

    def __post_init__(self) -> None:
        if not self.unrecognized:
            object.__setattr__(self, "unrecognized", self.guid + UNRECOGNIZED_SUFFIX)

    @property
    def recordings(self) -> str:
        """The collection of recordings (named by the guid)."""
        return self.guid


@dataclass
class SchemaReport:
    """Fields, their types and the problems found in one collection."""

    collection: str
    documents: int = 0
    field_types: dict[str, set[str]] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    nulls: dict[str, int] = field(default_factory=dict)
    stale_live: list[str] = field(default_factory=list)
    live: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One readable paragraph for reports and failure messages."""
        types = ", ".join(f"{k}: {'|'.join(sorted(v))}" for k, v in sorted(self.field_types.items()))
        return (f"{self.collection}: {self.documents} documents; fields {types}; missing {self.missing or 'none'}; "
                f"null {self.nulls or 'none'}; stale live recordings {self.stale_live or 'none'}")


@dataclass(frozen=True)
class IndexInfo:
    name: str
    keys: tuple[str, ...]
    unique: bool


@dataclass
class IndexReport:
    """Indexes of a collection compared by key fields with what the spec expects."""

    collection: str
    present: list[IndexInfo]
    expected: tuple[tuple[str, ...], ...]

    @property
    def missing(self) -> list[tuple[str, ...]]:
        """Expected key lists no index starts with."""
        return [keys for keys in self.expected if not self.find(keys)]

    def find(self, keys: tuple[str, ...]) -> IndexInfo | None:
        """An index whose leading key fields are ``keys``."""
        return next((i for i in self.present if i.keys[: len(keys)] == tuple(keys)), None)


def _type_name(value: Any) -> str:
    return "null" if value is None else {dt.datetime: "date", bool: "bool", int: "int", float: "double",
                                         str: "string", dict: "object", list: "array"}.get(type(value),
                                                                                           type(value).__name__)


def locate_recordings_collections(db: Any, archive: bool = False) -> RecordingsCollections:
    """The storage root's recordings collection, found through ``base_paths`` (never by a name
    substring: "recording" lands on the unrecognized-folders collection, seed 2.1 and 2.2).

    Real sites name the collection by a dashed UUID and put the unrecognized folders in
    ``<guid>-unrecognized_recordings``; a MongoDB-wire stand-in that allows only identifier names
    uses the 32-hex form and ``<guid>_unrecognized_recordings``. Both forms are found.
    """
    roots = list(db["base_paths"].find({"is_archive": archive}, {"_id": 0}))
    if not roots:
        # the index answered and lacks its root: the product's data is wrong, not our access to it
        every = list(db["base_paths"].find({}, {"_id": 0}).limit(20))
        raise fail(f"expected base_paths to list a storage root with is_archive={archive}; it holds {every}",
                   "recordings.base_path", f"a root with is_archive={archive}", "no root")
    existing = set(db.list_collection_names())
    # several roots: prefer the one whose collection exists, report the first otherwise
    chosen = next((r for r in roots if r.get("guid") in existing), roots[0])
    guid = str(chosen.get("guid"))
    unrecognized = next((guid + s for s in UNRECOGNIZED_SUFFIXES if guid + s in existing), "")
    return RecordingsCollections(base_path=str(chosen.get("base_path")), guid=guid, unrecognized=unrecognized)


class MongoDBManager:
    """Recordings index access by URI, plus outage operations through the cluster."""

    def __init__(self, uri: str, database: str = "prisma", *, k8s: Any = None, deployment: str = "mongodb",
                 timeout_s: float = 5.0) -> None:
        self.uri = uri
        self.database_name = database
        self.k8s = k8s
        self.deployment = deployment
        self.timeout_s = timeout_s
        self._client: MongoClient | None = None

    @classmethod
    def from_settings(cls, settings: MongoSettings, k8s: Any = None) -> "MongoDBManager":
        """Build from an environment's MongoDB settings."""
        return cls(settings.uri.get_secret_value(), settings.database, k8s=k8s, deployment=settings.deployment,
                   timeout_s=settings.timeout_s)

    @property
    def client(self) -> MongoClient:
        """The (lazily created) client; short timeouts so an outage shows quickly."""
        if self._client is None:
            ms = int(self.timeout_s * 1000)
            self._client = MongoClient(self.uri, serverSelectionTimeoutMS=ms, connectTimeoutMS=ms,
                                       socketTimeoutMS=ms, tz_aware=False)
        return self._client

    @property
    def db(self) -> Any:
        """The product database."""
        return self.client[self.database_name]

    def is_available(self) -> bool:
        """True when the server answers a ping."""
        try:
            self.client.admin.command("ping")
            return True
        except PyMongoError:
            return False

    def ping(self) -> None:
        """Ping or raise UnreachableError naming the database."""
        try:
            self.client.admin.command("ping")
        except PyMongoError as exc:
            raise UnreachableError(f"mongodb ({self.database_name}) unreachable: {exc}") from exc

    def is_k8s_available(self) -> bool:
        """True when outage operations can act on the cluster."""
        return self.k8s is not None and self.k8s.is_k8s_available()

    # --- the recordings index --------------------------------------------------------------
    def recordings_collections(self, archive: bool = False) -> RecordingsCollections:
        """The storage root's collections, found through ``base_paths``."""
        return locate_recordings_collections(self.db, archive)

    def schema_report(self, collection: str, required: tuple[str, ...] = ("uuid", "start_time"),
                      now: dt.datetime | None = None, limit: int = 10_000) -> SchemaReport:
        """Field types, missing/null required fields and stale live recordings of one collection."""
        now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        report = SchemaReport(collection=collection)
        types: dict[str, set[str]] = defaultdict(set)
        missing: Counter[str] = Counter()
        nulls: Counter[str] = Counter()
        for doc in self.db[collection].find({}).limit(limit):
            report.documents += 1
            for key, value in doc.items():
                if key != "_id":
                    types[key].add(_type_name(value))
            for key in required:
                if key not in doc:
                    missing[key] += 1
                elif doc[key] is None:
                    nulls[key] += 1
            start = doc.get("start_time")
            if isinstance(start, dt.datetime) and doc.get("end_time") is None and not doc.get("deleted"):
                (report.live if now - start < LIVE_MAX_AGE else report.stale_live).append(str(doc.get("uuid")))
        report.field_types, report.missing, report.nulls = dict(types), dict(missing), dict(nulls)
        return report

    def schema_reports(self) -> dict[str, SchemaReport]:
        """Schema report of the recordings and the unrecognized collection (each judged on its own terms)."""
        where = self.recordings_collections()
        return {where.recordings: self.schema_report(where.recordings),
                where.unrecognized: self.schema_report(where.unrecognized, required=("folder_name",))}

    def index_report(self, collection: str | None = None,
                     expected: tuple[tuple[str, ...], ...] = SPEC_INDEXES) -> IndexReport:
        """Indexes of the collection (default: recordings) by key fields against ``expected``."""
        name = collection or self.recordings_collections().recordings
        present = [IndexInfo(name=n, keys=tuple(k for k, _ in info["key"]), unique=bool(info.get("unique")))
                   for n, info in self.db[name].index_information().items()]
        return IndexReport(collection=name, present=present, expected=expected)

    # --- outages (act on the cluster) ------------------------------------------------------
    def _require_k8s(self) -> Any:
        if not self.is_k8s_available():
            raise MisconfiguredError("mongodb outage operations need the cluster, and no Kubernetes route works")
        return self.k8s

    def stop(self, timeout_s: float = 30.0) -> None:
        """Scale the MongoDB deployment to 0 and wait until it stops answering."""
        self._require_k8s().scale_deployment(self.deployment, 0)
        wait_for_infra(lambda: not self.is_available(), timeout_s, describe="mongodb to stop answering")

    def start(self, timeout_s: float = 60.0) -> None:
        """Scale the MongoDB deployment back to 1 and wait until it answers."""
        self._require_k8s().scale_deployment(self.deployment, 1)
        wait_for_infra(self.is_available, timeout_s, interval_s=0.3, describe="mongodb to answer again")

    def close(self) -> None:
        """Close the client."""
        if self._client is not None:
            self._client.close()
            self._client = None
