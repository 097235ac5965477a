"""The object store of the cluster: Kubernetes objects as plain dicts, errors as Status objects."""
from __future__ import annotations

import copy
import datetime as _dt
import secrets
import uuid
from dataclasses import dataclass

# Kubernetes' own alphabet for generated name suffixes (no vowels, no look-alike digits).
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

NAMESPACES = ("default", "panda", "sandbox-system")


def now_rfc3339() -> str:
    """Current UTC time as Kubernetes writes timestamps (second precision, trailing Z)."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_uid() -> str:
    """A fresh object uid."""
    return str(uuid.uuid4())


def random_suffix(length: int = 5) -> str:
    """A random name suffix such as the ones ReplicaSets and Jobs give their pods."""
    return "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(length))


class ApiError(Exception):
    """An API failure that is answered as a Kubernetes ``Status`` object."""

    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> dict:
        """The ``Status`` body for this error."""
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message, "reason": self.reason, "code": self.code}
        if self.details:
            body["details"] = self.details
        return body


@dataclass(frozen=True)
class Kind:
    """What the API needs to know about one resource type."""

    resource: str          # plural, as in the URL ("jobs")
    kind: str              # "Job"
    group: str             # "" for the core group
    version: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """The name Kubernetes uses in messages: ``jobs.batch``, ``pods``."""
        return f"{self.resource}.{self.group}" if self.group else self.resource


KINDS = {k.resource: k for k in (
    Kind("pods", "Pod", "", "v1"),
    Kind("services", "Service", "", "v1"),
    Kind("namespaces", "Namespace", "", "v1", namespaced=False),
    Kind("nodes", "Node", "", "v1", namespaced=False),
    Kind("events", "Event", "", "v1"),  # always empty; ``kubectl describe`` lists them
    Kind("jobs", "Job", "batch", "v1"),
    Kind("deployments", "Deployment", "apps", "v1"),
)}


def not_found(resource: str, name: str) -> ApiError:
    """The 404 Kubernetes answers for a missing object."""
    kind = KINDS[resource]
    return ApiError(404, "NotFound", f'{kind.qualified} "{name}" not found',
                    {"name": name, "group": kind.group, "kind": resource})


def already_exists(resource: str, name: str) -> ApiError:
    """The 409 Kubernetes answers for a duplicate name."""
    kind = KINDS[resource]
    return ApiError(409, "AlreadyExists", f'{kind.qualified} "{name}" already exists',
                    {"name": name, "group": kind.group, "kind": resource})


@dataclass
class Tombstone:
    """A deleted object, kept briefly so watches that start late still see the deletion."""

    resource_version: int
    resource: str
    namespace: str
    obj: dict


class Store:
    """Objects by (resource, namespace, name); not thread-safe: the cluster's lock guards it."""

    _TOMBSTONES_KEPT = 500

    def __init__(self) -> None:
        self._objects: dict[tuple[str, str, str], dict] = {}
        self._revision = 1
        self.tombstones: list[Tombstone] = []

    @property
    def revision(self) -> int:
        """The latest resourceVersion handed out."""
        return self._revision

    def _bump(self, obj: dict) -> None:
        self._revision += 1
        obj["metadata"]["resourceVersion"] = str(self._revision)

    def create(self, resource: str, namespace: str, obj: dict) -> dict:
        """Store a new object, filling uid, timestamps and version; 409 if the name is taken."""
        name = obj["metadata"]["name"]
        key = (resource, namespace, name)
        if key in self._objects:
            raise already_exists(resource, name)
        meta = obj["metadata"]
        meta.setdefault("uid", new_uid())
        meta.setdefault("creationTimestamp", now_rfc3339())
        meta.setdefault("generation", 1)
        if KINDS[resource].namespaced:
            meta["namespace"] = namespace
        self._bump(obj)
        self._objects[key] = obj
        return obj

    def find(self, resource: str, namespace: str, name: str) -> dict | None:
        """The live (mutable) object, or None."""
        return self._objects.get((resource, namespace, name))

    def get(self, resource: str, namespace: str, name: str) -> dict:
        """The live (mutable) object; 404 ApiError if absent."""
        obj = self.find(resource, namespace, name)
        if obj is None:
            raise not_found(resource, name)
        return obj

    def touch(self, obj: dict) -> None:
        """Record that a stored object was changed in place."""
        self._bump(obj)

    def delete(self, resource: str, namespace: str, name: str) -> dict:
        """Remove an object and remember its tombstone; 404 ApiError if absent."""
        obj = self._objects.pop((resource, namespace, name), None)
        if obj is None:
            raise not_found(resource, name)
        self._bump(obj)
        self.tombstones.append(Tombstone(self._revision, resource, namespace, copy.deepcopy(obj)))
        del self.tombstones[:-self._TOMBSTONES_KEPT]
        return obj

    def items(self, resource: str, namespace: str | None = None) -> list[dict]:
        """Live objects of one resource, in one namespace or all, ordered by name."""
        found = [obj for (res, ns, _), obj in self._objects.items()
                 if res == resource and (namespace is None or ns == namespace)]
        return sorted(found, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
