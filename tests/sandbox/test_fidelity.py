"""The observed profile replays the golden corpus of recorded exchanges, field by field.

Each recorded exchange (focus_sandbox/fidelity/recorded_exchanges.yaml) is sent to an in-process
server in the observed profile, on the running stack's cluster, broker and MongoDB; every recorded
field must come back with the recorded type and value (or shape, where values differ per site). The
spec profile must *not* reproduce the configure record: that difference is what the open questions
of the triage are about, and it shows the comparison can fail.
"""
from __future__ import annotations

import pytest

from focus_sandbox.defects import resolve
from focus_sandbox.fidelity.replay import load_corpus, replay
from focus_sandbox import testing as t
from focus_sandbox.settings import RateLimit, fibre_of

pytestmark = pytest.mark.stack
NO_LIMIT = RateLimit(capacity=1000, refill_per_s=1000.0)
CORPUS = load_corpus()


@pytest.fixture(scope="module")
def infra(tmp_path_factory):
    with t.stack_infra(tmp_path_factory.mktemp("stack-home")) as infra:
        yield infra


def _served(infra, tmp_path, profile):
    config = infra.variant(tmp_path / profile, *resolve(profile), profile=profile, fibre=fibre_of(profile),
                           rate_limit=NO_LIMIT)
    return t.serve(config)


def _replay(infra, base, exchange):
    user = infra.runtime["web_app_users"]["qa"]
    outcome = replay(exchange, f"{base}/focus-server", f"{base}/prisma/api", infra.runtime["site_id"],
                     login=("qa", user["password"]))
    if outcome.job_id:
        kube = infra.kube()
        t.force_remove_job(kube, outcome.job_id, infra.config.rabbitmq_url, t.job_queue(kube, outcome.job_id))
    return outcome


@pytest.mark.parametrize("exchange", CORPUS, ids=[e.name for e in CORPUS])
def test_the_observed_profile_replays_each_recorded_exchange(infra, tmp_path, exchange):
    with _served(infra, tmp_path, "observed") as base:
        outcome = _replay(infra, base, exchange)
    assert outcome.reproduced, f"{exchange.name} ({exchange.source}):\n" + "\n".join(
        f.describe() for f in outcome.fields if not f.ok)


def test_the_spec_profile_answers_the_recorded_configure_differently(infra, tmp_path):
    configure = next(e for e in CORPUS if e.request["path"] == "configure")
    with _served(infra, tmp_path, "spec") as base:
        outcome = _replay(infra, base, configure)
    differing = {f.field for f in outcome.fields if not f.ok}
    assert {"status", "view_type", "stream_port", "stream_url", "frequencies_list", "frequencies_amount"} <= differing
    assert {"(status)", "lines_dt", "channel_amount", "stream_amount", "channel_to_stream_index"}.isdisjoint(differing)
