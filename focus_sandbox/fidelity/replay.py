"""Replay the recorded exchanges against a sandbox and compare the answers field by field.

Plain ``requests`` on purpose: this judges the sandbox, so it must not depend on the suite's clients.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

CORPUS = Path(__file__).with_name("recorded_exchanges.yaml")
UNKNOWN_JOB = "999999-999999"


@dataclass(frozen=True)
class Exchange:
    name: str
    source: str
    request: dict[str, Any]
    response: dict[str, Any]
    compare: dict[str, str] = field(default_factory=dict)
    cleanup: str | None = None


@dataclass
class FieldResult:
    field: str
    rule: str
    recorded: Any
    answered: Any
    ok: bool

    def describe(self) -> str:
        mark = "✓" if self.ok else "✗"
        return (f"{mark} {self.field} ({self.rule}): recorded {json.dumps(self.recorded)[:60]}, "
                f"answered {json.dumps(self.answered)[:60]}")


@dataclass
class Replay:
    exchange: Exchange
    fields: list[FieldResult]
    job_id: str | None = None

    @property
    def reproduced(self) -> bool:
        return all(f.ok for f in self.fields)


def load_corpus(path: Path = CORPUS) -> list[Exchange]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Exchange(**entry) for entry in data["exchanges"]]


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return type(value).__name__


def _same_type(a: Any, b: Any) -> bool:
    return _json_type(a) == _json_type(b)


def compare_field(rule: str, recorded: Any, answered: Any) -> bool:
    """Whether an answered value reproduces the recorded one under a comparison rule."""
    kind, _, arg = rule.partition(":")
    if kind == "absent":
        return answered is _ABSENT
    if answered is _ABSENT:
        return False
    if kind == "type":
        return _same_type(recorded, answered)
    if kind == "pattern":
        return _same_type(recorded, answered) and re.search(arg, str(answered)) is not None
    if kind == "approx":
        return (isinstance(answered, (int, float)) and not isinstance(answered, bool)
                and math.isclose(answered, recorded, abs_tol=float(arg)))
    if kind == "prefix":
        return (isinstance(answered, list) and len(answered) >= len(recorded) and all(
            _same_type(r, a) and math.isclose(a, r, abs_tol=float(arg)) for r, a in zip(recorded, answered)))
    if kind == "subset":
        return isinstance(answered, dict) and all(k in answered and answered[k] == v for k, v in recorded.items())
    return _same_type(recorded, answered) and answered == recorded


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


_ABSENT: Any = _Absent()


def _fill(text: str, site: str) -> str:
    return text.replace("{site}", site).replace("{unknown_job}", UNKNOWN_JOB)


def replay(exchange: Exchange, focus_url: str, web_app_url: str, site: str,
           login: tuple[str, str] | None = None) -> Replay:
    """Send the recorded request to the sandbox and compare status and body field by field."""
    req = exchange.request
    base = focus_url if req["service"] == "focus" else web_app_url
    session = requests.Session()
    if req.get("signed_in"):
        if login is None:
            raise ValueError(f"{exchange.name}: needs a Web App user to sign in")
        answer = session.post(f"{web_app_url}/auth/login", json={"username": login[0], "password": login[1]},
                              timeout=10)
        answer.raise_for_status()
    response = session.request(req["method"], f"{base}/{_fill(req['path'], site)}", json=req.get("body"), timeout=30)
    recorded = exchange.response
    results = [FieldResult("(status)", "exact", recorded["status"], response.status_code,
                           response.status_code == recorded["status"])]
    try:
        body = response.json()
    except ValueError:
        body = response.text
    fields = dict(recorded.get("body") or {})
    fields.update({k: _ABSENT for k, rule in exchange.compare.items() if rule == "absent" and k not in fields})
    for key, value in fields.items():
        rule = exchange.compare.get(key, "exact")
        answered = body.get(key, _ABSENT) if isinstance(body, dict) else _ABSENT
        results.append(FieldResult(key, rule, None if value is _ABSENT else value,
                                   None if answered is _ABSENT else answered, compare_field(rule, value, answered)))
    job_id = body.get("job_id") if isinstance(body, dict) and exchange.cleanup == "job" else None
    return Replay(exchange, results, job_id if isinstance(job_id, str) else None)
