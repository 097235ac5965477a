"""PyHamcrest matchers for the domain, whose mismatch text shows the whole exchange or resource names.

Each also knows its *finding* (``finding(item)``): the subject it checks and the kinds it expected
and saw, so that ``focus_support.verdict.expect`` can raise a structured product failure that the
known-bug registry matches by signature.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import requests
from hamcrest.core.base_matcher import BaseMatcher
from hamcrest.core.description import Description

from focus_support.clients.base import describe_response
from focus_support.models import ErrorBody
from focus_support.verdict.findings import Finding, seen_kinds, status_kind

JOB_ID = re.compile(r"^[0-9]+-[0-9]+$")


def _body(item: Any) -> Any:
    if isinstance(item, requests.Response):
        try:
            return item.json()
        except ValueError:
            return item.text
    return item


_ROUTING_ANSWERS = ("Not Found", "Method Not Allowed")


def response_kind(item: Any) -> str:
    """A response as a finding names it: ``accepted`` for 2xx, else the code; a 404/405 that comes
    from routing (``{"detail": "Not Found"}``) rather than from the application is ``404 no route``."""
    if not isinstance(item, requests.Response):
        return "no response"
    kind = status_kind(item.status_code)
    if item.status_code in (404, 405):
        try:
            body = item.json()
        except ValueError:
            return kind
        if isinstance(body, dict) and body.get("detail") in _ROUTING_ANSWERS:
            return f"{kind} no route"
    return kind


class HasStatus(BaseMatcher[requests.Response]):
    def __init__(self, status: int) -> None:
        self.status = status

    def _matches(self, item: Any) -> bool:
        return isinstance(item, requests.Response) and item.status_code == self.status

    def describe_to(self, description: Description) -> None:
        description.append_text(f"an HTTP response with status {self.status}")

    def describe_mismatch(self, item: Any, mismatch_description: Description) -> None:
        if not isinstance(item, requests.Response):
            mismatch_description.append_text(f"was not a response: {item!r}")
            return
        mismatch_description.append_text(f"got status {item.status_code}:\n{describe_response(item)}")

    def finding(self, item: Any) -> Finding:
        return Finding("http.status", status_kind(self.status), (response_kind(item),))


def has_status(status: int) -> HasStatus:
    """Response with this status; a mismatch shows method, URL, request body and response body."""
    return HasStatus(status)


REJECTION_STATUSES = (400, 422)
MALFORMED_ID_STATUSES = (400, 404)


class HasStatusAmong(BaseMatcher[requests.Response]):
    """One of several statuses, where the product's documents allow each of them."""

    def __init__(self, statuses: tuple[int, ...], kind: str, label: str) -> None:
        self.statuses = statuses
        self.kind = kind       # the finding's "expected" (known-bug signatures match it)
        self.label = label

    def _matches(self, item: Any) -> bool:
        return isinstance(item, requests.Response) and item.status_code in self.statuses

    def describe_to(self, description: Description) -> None:
        description.append_text(f"{self.label}: an HTTP response with status "
                                + " or ".join(str(s) for s in self.statuses))

    def describe_mismatch(self, item: Any, mismatch_description: Description) -> None:
        HasStatus(0).describe_mismatch(item, mismatch_description)

    def finding(self, item: Any) -> Finding:
        return Finding("http.status", self.kind, (response_kind(item),))


def is_rejection() -> HasStatusAmong:
    """A 400 or a 422 (either may be right until the product team answers, contract 15)."""
    return HasStatusAmong(REJECTION_STATUSES, "rejected", "a rejection")


def is_refusal_of_a_malformed_id() -> HasStatusAmong:
    """A 400 or a 404: contract 2 allows either for an id that is not a job id."""
    return HasStatusAmong(MALFORMED_ID_STATUSES, "refused as malformed", "a refusal of a malformed id")


class NamesField(BaseMatcher[Any]):
    def __init__(self, field: str) -> None:
        self.field = field
        self.parts = field.split(".")

    def _named(self, item: Any) -> list[list[str]]:
        body = _body(item)
        try:
            error = ErrorBody.model_validate(body)
        except ValueError:
            return []
        if isinstance(error.detail, list):
            return [[str(p) for p in issue.loc if p != "body"] for issue in error.detail]
        text = error.message
        return [[text]] if text else []

    def _matches(self, item: Any) -> bool:
        for loc in self._named(item):
            if loc[: len(self.parts)] == self.parts or self.field in loc:
                return True
            if len(loc) == 1 and re.search(rf"\b{re.escape(self.field)}\b", loc[0]):  # a plain-text message
                return True
        return False

    def describe_to(self, description: Description) -> None:
        description.append_text(f"an error whose detail names the field '{self.field}'")

    def describe_mismatch(self, item: Any, mismatch_description: Description) -> None:
        named = [".".join(loc) for loc in self._named(item)]
        mismatch_description.append_text(f"it named {named or 'no field'}")
        if isinstance(item, requests.Response):
            mismatch_description.append_text(f"\n{describe_response(item)}")

    def finding(self, item: Any) -> Finding:
        named = [".".join(loc) for loc in self._named(item)]
        return Finding("error.field", self.field, tuple(named) or ("no field named",))


def names_field(field: str) -> NamesField:
    """A 422 ``detail`` (or a 400 message) naming the field (dotted paths such as ``channels.min`` allowed)."""
    return NamesField(field)


class HasErrorContaining(BaseMatcher[Any]):
    def __init__(self, text: str) -> None:
        self.text = text

    def _message(self, item: Any) -> str:
        try:
            return ErrorBody.model_validate(_body(item)).message
        except ValueError:
            return str(_body(item))

    def _matches(self, item: Any) -> bool:
        return self.text.lower() in self._message(item).lower()

    def describe_to(self, description: Description) -> None:
        description.append_text(f"an error message containing {self.text!r}")

    def describe_mismatch(self, item: Any, mismatch_description: Description) -> None:
        mismatch_description.append_text(f"the message was {self._message(item)!r}")
        if isinstance(item, requests.Response):
            mismatch_description.append_text(f"\n{describe_response(item)}")

    def finding(self, item: Any) -> Finding:
        return Finding("error.message", self.text, ("other message",))


def has_error_containing(text: str) -> HasErrorContaining:
    """An ``error``/``detail`` message containing the text (case-insensitive)."""
    return HasErrorContaining(text)


class IsJobId(BaseMatcher[Any]):
    def _matches(self, item: Any) -> bool:
        return isinstance(item, str) and bool(JOB_ID.match(item))

    def describe_to(self, description: Description) -> None:
        description.append_text("a job id like '31-3633' (digits-digits)")


def is_job_id() -> IsJobId:
    """A string of the job id shape ``^[0-9]+-[0-9]+$``."""
    return IsJobId()


class NoResourcesForJob(BaseMatcher[str]):
    def __init__(self, k8s: Any, management: Any = None) -> None:
        self.k8s = k8s
        self.management = management
        self._left: dict[str, list[str]] = {}

    def _remaining(self, job_id: str) -> list[str]:
        names = self.k8s.job_resources(job_id).names() if self.k8s is not None else []
        if self.management is not None:
            names += [f"queue/{q}" for q in self.management.job_queues(job_id)]
        return names

    def _matches(self, item: Any) -> bool:
        self._left[item] = self._remaining(item)
        return not self._left[item]

    def describe_to(self, description: Description) -> None:
        description.append_text("a job with no job, pod, service or queue left")

    def describe_mismatch(self, item: Any, mismatch_description: Description) -> None:
        left = self._left.get(item) or self._remaining(item)
        mismatch_description.append_text(f"job {item} still has: {', '.join(left)}")

    def finding(self, item: Any) -> Finding:
        return Finding("job.resources", "gone", resource_kinds(self._left.get(item) or self._remaining(item)))


def no_resources_for_job(k8s: Any, management: Any = None) -> NoResourcesForJob:
    """Matches a job id when the cluster (and broker, if given) hold nothing of it; mismatch names what is left."""
    return NoResourcesForJob(k8s, management)


_RESOURCE_KINDS = (
    ("job/grpc-job-", "stream-job"), ("pod/grpc-job-", "stream-pod"),
    ("job/cleanup-job-", "janitor-job"), ("pod/cleanup-job-", "janitor-pod"),
    ("service/grpc-service-", "service"), ("queue/", "queue"),
)


def resource_kind(ref: str) -> str:
    """What a job resource is (``stream-job``, ``janitor-pod``, ``queue``...) from its ``kind/name``."""
    return next((kind for prefix, kind in _RESOURCE_KINDS if ref.startswith(prefix)), ref.split("/", 1)[0])


def resource_kinds(refs: Iterable[str]) -> tuple[str, ...]:
    """The distinct kinds of a list of job resources, sorted: what a known-bug signature names."""
    return seen_kinds(resource_kind(r) for r in refs)
