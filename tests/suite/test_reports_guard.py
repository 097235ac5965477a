"""The session guard of tests/conftest.py names every file a test added, changed or removed under reports/."""
from __future__ import annotations

from tests.conftest import _snapshot, reports_changes


def test_a_file_added_changed_or_removed_is_named(tmp_path):
    (tmp_path / "kept.json").write_text("1")
    (tmp_path / "edited.json").write_text("1")
    (tmp_path / "gone.json").write_text("1")
    before = _snapshot(tmp_path)
    (tmp_path / "edited.json").write_text("22")
    (tmp_path / "gone.json").unlink()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "new.png").write_text("x")
    assert reports_changes(before, _snapshot(tmp_path)) == [
        "added sub/new.png", "removed gone.json", "changed edited.json"]


def test_an_untouched_folder_has_no_changes(tmp_path):
    (tmp_path / "kept.json").write_text("1")
    assert reports_changes(_snapshot(tmp_path), _snapshot(tmp_path)) == []
