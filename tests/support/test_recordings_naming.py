"""The recordings collection is found through base_paths under both naming forms (contract 15):
real sites use a dashed UUID and ``<guid>-unrecognized_recordings``; a MongoDB-wire stand-in that
allows only identifier names uses the 32-hex form and ``<guid>_unrecognized_recordings``."""
from __future__ import annotations

import pytest

from focus_support.mongo import locate_recordings_collections
from focus_support.scenarios.recordings import locate_recordings


class FakeCollection:
    def __init__(self, docs):
        self.docs = docs

    def find(self, query, projection=None):
        return _Cursor([d for d in self.docs if all(d.get(k) == v for k, v in query.items())])


class _Cursor(list):
    def limit(self, n):
        return _Cursor(self[:n])


class FakeDb:
    def __init__(self, base_paths, collections):
        self.base_paths, self.collections = base_paths, collections

    def __getitem__(self, name):
        assert name == "base_paths", name
        return FakeCollection(self.base_paths)

    def list_collection_names(self):
        return list(self.collections)


DASHED = "24774bcb-a6f6-4e23-aa49-c100ad717bf0"
IDENTIFIER = "c24774bcba6f64e23aa49c100ad717bf0"


@pytest.mark.parametrize("guid, unrecognized", [
    (DASHED, f"{DASHED}-unrecognized_recordings"),
    (IDENTIFIER, f"{IDENTIFIER}_unrecognized_recordings"),
])
def test_both_naming_forms_are_found_through_the_base_path(guid, unrecognized):
    db = FakeDb([{"base_path": "/prisma/root/recordings", "guid": guid, "is_archive": False},
                 {"base_path": "/prisma/root/recordings/segy", "guid": "other", "is_archive": True}],
                [guid, unrecognized, "base_paths", "other"])
    found = locate_recordings_collections(db)
    assert (found.base_path, found.guid, found.unrecognized) == ("/prisma/root/recordings", guid, unrecognized)
    location = locate_recordings(db)
    assert (location.collection, location.unrecognized_collection) == (guid, unrecognized)


def test_a_name_substring_never_picks_the_unrecognized_collection():
    db = FakeDb([{"base_path": "/prisma/root/recordings", "guid": DASHED, "is_archive": False}],
                [f"{DASHED}-unrecognized_recordings", DASHED])
    assert locate_recordings_collections(db).guid == DASHED


def test_a_missing_live_root_is_a_product_failure():
    db = FakeDb([{"base_path": "/prisma/root/archive", "guid": "x", "is_archive": True}], ["x"])
    with pytest.raises(AssertionError, match="expected base_paths to list a storage root with is_archive=False"):
        locate_recordings(db)
