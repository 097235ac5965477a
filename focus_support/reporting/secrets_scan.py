"""Find secret values in files that are about to be shared (reports, logs)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from focus_support.reporting.redaction import _variants


def find_secrets(root: Path | str, secrets: Iterable[str]) -> list[str]:
    """Relative paths of files under ``root`` that contain any secret (in any of its encodings)."""
    root = Path(root)
    needles = {form.encode() for s in secrets if s for form in _variants(s)}
    if not needles or not root.exists():
        return []
    hits = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if any(n in data for n in needles):
            hits.append(str(path.relative_to(root)))
    return hits
