"""Property test: no generated request makes the sandbox server answer 5xx or hang.

At least 1,000 generated requests (malformed JSON, wrong types, huge and deeply nested bodies,
unknown fields, odd content types and headers, odd ids) go over real HTTP to a server whose
orchestration points at a running stack. Jobs that a request happens to create are cancelled at once.
"""
from __future__ import annotations

import json
import time

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from focus_sandbox import testing as t
from focus_sandbox.settings import RateLimit

pytestmark = [pytest.mark.stack, pytest.mark.slow]

EXAMPLES = 1000
VALID = {"view_type": "0", "channels": {"min": 1, "max": 8}, "displayInfo": {"height": 768},
         "displayTimeAxisDuration": 30, "nfftSelection": 256, "frequencyRange": {"min": 0, "max": 500},
         "start_time": None, "end_time": None}
ALERT = {"classId": 103, "severity": 1, "dofM": 5, "alertsAmount": 1, "alertIds": ["r"]}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10 ** 30), max_value=10 ** 30)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12)


@st.composite
def mutated(draw, base: dict) -> dict:
    """``base`` with a few fields replaced, removed, nested-replaced or added (unknown fields)."""
    body = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["replace", "remove", "add", "nested"]))
        key = draw(st.sampled_from(sorted(body) or ["x"]))
        if action == "replace":
            body[key] = draw(json_values)
        elif action == "remove":
            body.pop(key, None)
        elif action == "add":
            body[draw(st.text(min_size=1, max_size=15))] = draw(json_values)
        elif isinstance(body.get(key), dict):
            body[key][draw(st.sampled_from(["min", "max", "height", "extra"]))] = draw(json_values)
    return body


def as_bytes(value) -> bytes:
    return json.dumps(value).encode()


bodies = st.one_of(
    mutated(VALID).map(as_bytes), mutated(ALERT).map(as_bytes), json_values.map(as_bytes),
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"", b"{", b"[" * 5000 + b"]" * 5000, b'{"a":' * 3000, b"NaN", b'{"view_type": Infinity}',
                     b"\xff\xfe\x00{", b'{"view_type": "0"' + b" " * 400_000 + b"}",
                     json.dumps({**VALID, "pad": "x" * 300_000}).encode(),
                     b'{"channels": {"min": 1e999, "max": 1}}', b'{"start_time": ' + b"9" * 5000 + b"}"]),
)
content_types = st.sampled_from([None, "application/json", "text/plain", "application/x-www-form-urlencoded",
                                 "multipart/form-data; boundary=x", "application/json; charset=utf-16",
                                 "*/*", "garbage/;;;", "application/json" + "x" * 500])
extra_headers = st.dictionaries(
    st.sampled_from(["X-Forwarded-For", "Accept", "Accept-Encoding", "Cookie", "X-Unknown", "Origin",
                     "Transfer-Encoding-Hint", "Authorization"]),
    # requests itself refuses values with leading whitespace, so the client never sends those
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=300).map(str.lstrip), max_size=3)
odd_ids = st.one_of(st.from_regex(r"[0-9]{1,20}-[0-9]{1,20}", fullmatch=True),
                    st.text(st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters="/?#%"),
                            min_size=1, max_size=40))
targets = st.sampled_from([("POST", "/focus-server/configure"), ("POST", "/focus-server/recordings_in_time_range"),
                           ("GET", "/focus-server/metadata/{id}"), ("DELETE", "/focus-server/job/{id}"),
                           ("POST", "/prisma/api/{site}/api/push-to-rabbit"), ("POST", "/prisma/api/auth/login"),
                           ("DELETE", "/prisma/api/{site}/api/alert/delete"), ("PATCH", "/focus-server/ack"),
                           ("PUT", "/focus-server/configure")])


@pytest.fixture(scope="module")
def infra(tmp_path_factory):
    with t.stack_infra(tmp_path_factory.mktemp("stack-home")) as infra:
        yield infra


def test_generated_requests_never_get_5xx(infra, tmp_path):
    config = infra.variant(tmp_path / "robust", rate_limit=RateLimit(capacity=100_000, refill_per_s=100_000.0))
    sent: list[tuple[str, str, int]] = []
    created: list[str] = []
    kube = infra.kube()
    with t.serve(config, seed_mongodb=False) as base:
        session = requests.Session()
        user = infra.runtime["web_app_users"]["qa"]
        assert session.post(f"{base}/prisma/api/auth/login", json={"username": "qa", "password": user["password"]}).ok
        cookie = session.cookies.get("access-token")

        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
        @given(target=targets, body=bodies, ctype=content_types, headers=extra_headers, job_id=odd_ids,
               with_cookie=st.booleans())
        def one_request(target, body, ctype, headers, job_id, with_cookie):
            method, path = target
            path = path.format(id=requests.utils.quote(job_id, safe=""), site=config.site_id)
            headers = dict(headers)
            if ctype:
                headers["Content-Type"] = ctype
            cookies = {"access-token": cookie} if with_cookie else {}
            started = time.monotonic()
            resp = requests.request(method, base + path, data=body, headers=headers, cookies=cookies, timeout=15)
            sent.append((method, path, resp.status_code))
            assert resp.status_code < 500, (
                f"{method} {path} -> {resp.status_code} {resp.text[:300]!r} for body {body[:200]!r} headers {headers}")
            assert time.monotonic() - started < 10, f"{method} {path} took {time.monotonic() - started:.1f} s"
            if resp.status_code >= 400:
                assert resp.headers.get("content-type", "").startswith("application/json"), resp.headers
                assert {"detail", "error"} & resp.json().keys(), resp.text[:300]
            if path.endswith("/configure") and resp.status_code == 200:
                job = resp.json()["job_id"]
                created.append(job)
                requests.delete(f"{base}/focus-server/job/{job}", timeout=10)

        try:
            one_request()
        finally:
            for job in created:
                t.force_remove_job(kube, job)
    assert len(sent) >= EXAMPLES, f"only {len(sent)} requests were sent"
    assert not [s for s in sent if s[2] >= 500]
