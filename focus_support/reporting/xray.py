"""Test-management keys on scenarios: ``@xray:PZ-13873`` tags (Jira Xray test cases).

A scenario may carry one or more keys. They travel into every result format: a ``test_key``
property in JUnit (Xray's JUnit extension), the bare key as a scenario tag in Cucumber JSON (how Xray
links a Cucumber result to its Test: ``@PZ-13873``), and a TMS link in Allure. The link target is
``FOCUS_XRAY_URL`` (a pattern with ``{id}``), by default a placeholder that names no real server.
"""
from __future__ import annotations

import os
import re
from typing import Iterable

XRAY_PREFIX = "xray:"
KEY = re.compile(r"^[A-Z][A-Z0-9_]*-\d+$")
DEFAULT_URL = "https://jira.example.invalid/browse/{id}"


def xray_keys(tags: Iterable[str]) -> list[str]:
    """Keys from ``@xray:KEY`` tags, in tag order, without duplicates; malformed keys are ignored."""
    keys: list[str] = []
    for tag in tags:
        text = str(tag).lstrip("@")
        if text.lower().startswith(XRAY_PREFIX):
            key = text[len(XRAY_PREFIX):].strip()
            if KEY.match(key) and key not in keys:
                keys.append(key)
    return keys


def tms_url(key: str, pattern: str | None = None) -> str:
    """Where a key's test case lives (``FOCUS_XRAY_URL``, ``{id}`` replaced)."""
    pattern = pattern or os.environ.get("FOCUS_XRAY_URL") or DEFAULT_URL
    return pattern.replace("{id}", key).replace("{}", key)
