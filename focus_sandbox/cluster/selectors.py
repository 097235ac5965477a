"""Label and field selectors as Kubernetes parses them (the subset clients send)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .resources import ApiError

_SET_RE = re.compile(r"^\s*(!?)\s*([^\s!=()]+)\s*(?:(in|notin)\s*\(([^)]*)\))?\s*$")
_EQ_RE = re.compile(r"^\s*([^\s!=()]+)\s*(==|=|!=)\s*([^\s,()]*)\s*$")


@dataclass(frozen=True)
class Requirement:
    """One clause of a selector: key, operator and values."""

    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!exists"
    values: tuple[str, ...] = ()

    def matches(self, value: str | None) -> bool:
        """True when a label (or field) value satisfies this clause."""
        if self.op == "exists":
            return value is not None
        if self.op == "!exists":
            return value is None
        if self.op in ("=", "in"):
            return value is not None and value in self.values
        # "!=" and "notin" also match objects without the key, as in Kubernetes.
        return value is None or value not in self.values


def _split_clauses(text: str) -> list[str]:
    """Split on commas that are not inside ``in (...)`` value lists."""
    clauses, depth, current = [], 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            clauses.append("".join(current))
            current = []
        else:
            current.append(char)
    clauses.append("".join(current))
    return [c for c in (c.strip() for c in clauses) if c]


def parse_selector(text: str | None, *, allow_sets: bool = True) -> list[Requirement]:
    """Parse a label (or, with ``allow_sets=False``, field) selector; 400 ApiError when invalid."""
    requirements = []
    for clause in _split_clauses(text or ""):
        eq = _EQ_RE.match(clause)
        if eq:
            key, op, value = eq.groups()
            requirements.append(Requirement(key, "!=" if op == "!=" else "=", (value,)))
            continue
        st = _SET_RE.match(clause) if allow_sets else None
        if not st:
            raise ApiError(400, "BadRequest", f"unable to parse requirement: {clause!r}")
        negated, key, op, values = st.groups()
        if op:
            if negated:
                raise ApiError(400, "BadRequest", f"unable to parse requirement: {clause!r}")
            requirements.append(Requirement(key, op, tuple(v.strip() for v in values.split(","))))
        else:
            requirements.append(Requirement(key, "!exists" if negated else "exists"))
    return requirements


def labels_match(requirements: list[Requirement], labels: dict | None) -> bool:
    """True when an object's labels satisfy every requirement."""
    labels = labels or {}
    return all(req.matches(labels.get(req.key)) for req in requirements)


def _field_value(obj: dict, path: str) -> str | None:
    value = obj
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value if isinstance(value, str) else None


def fields_match(requirements: list[Requirement], obj: dict) -> bool:
    """True when an object's fields (``metadata.name``, ``status.phase``...) satisfy the selector."""
    return all(req.matches(_field_value(obj, req.key) or "") for req in requirements)


def matches(obj: dict, label_selector: str | None, field_selector: str | None) -> bool:
    """Apply both selectors of a list request to one object."""
    return (labels_match(parse_selector(label_selector), obj["metadata"].get("labels"))
            and fields_match(parse_selector(field_selector, allow_sets=False), obj))
