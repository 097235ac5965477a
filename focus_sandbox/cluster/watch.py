"""``?watch=true``: a stream of JSON watch events, computed by polling the store for changes."""
from __future__ import annotations

import asyncio
import json
import time
from typing import AsyncIterator, Awaitable, Callable

from .selectors import matches

_POLL_S = 0.1


def _event(kind: str, obj: dict) -> bytes:
    return (json.dumps({"type": kind, "object": obj}) + "\n").encode()


async def watch_events(cluster, resource: str, namespace: str | None, label_selector: str | None,
                       field_selector: str | None, resource_version: str | None, timeout_s: float,
                       disconnected: Callable[[], Awaitable[bool]]) -> AsyncIterator[bytes]:
    """Yield watch events until ``timeout_s`` passes, the client goes or the cluster shuts down.

    Without a resourceVersion (or "0") every current object comes first as ADDED; with one, only
    what changed after it (including deletions, from the store's tombstones). Async, so that a
    client that hangs up ends the poll loop at once.
    """
    deadline = time.monotonic() + timeout_s
    items, revision = cluster.list_objects(resource, namespace, label_selector, field_selector)
    known = {obj["metadata"]["uid"]: obj for obj in items}
    since = int(resource_version) if resource_version and resource_version.isdigit() and resource_version != "0" else None
    for obj in items:
        if since is None:
            yield _event("ADDED", obj)
        elif int(obj["metadata"]["resourceVersion"]) > since:
            yield _event("MODIFIED", obj)
    if since is not None:
        for _, obj in cluster.deleted_since(resource, namespace, since):
            if obj["metadata"]["uid"] not in known and matches(obj, label_selector, field_selector):
                yield _event("DELETED", obj)
    while time.monotonic() < deadline and not cluster.closed:
        await asyncio.sleep(_POLL_S)
        if await disconnected():
            return
        items, new_revision = cluster.list_objects(resource, namespace, label_selector, field_selector)
        if new_revision == revision:
            continue
        current = {obj["metadata"]["uid"]: obj for obj in items}
        for uid, obj in current.items():
            if uid not in known:
                yield _event("ADDED", obj)
            elif obj["metadata"]["resourceVersion"] != known[uid]["metadata"]["resourceVersion"]:
                yield _event("MODIFIED", obj)
        gone = set(known) - set(current)
        if gone:
            tombstones = {obj["metadata"]["uid"]: obj for _, obj in cluster.deleted_since(resource, namespace, revision)}
            for uid in gone:
                yield _event("DELETED", tombstones.get(uid, known[uid]))
        known, revision = current, new_revision
