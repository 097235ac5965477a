"""Typed failures on the real components: refused credentials, closed ports, no fibre."""
from __future__ import annotations

import pytest

from focus_support.errors import MisconfiguredError, PreconditionNotMetError, UnreachableError
from focus_support.models import ViewType, build_configure_request
from focus_support.preflight import Status
from focus_support.rabbit import RabbitManagement, ResilientConnection
from focus_support.scenario_state import ScenarioState
from focus_support.scenarios import configuration as cfg

from .cluster_fixture import free_port


def test_scenario_state_refuses_to_invent_a_response_or_job():
    state = ScenarioState()
    with pytest.raises(RuntimeError, match="no request was sent"):
        state.response
    with pytest.raises(RuntimeError, match="no job was created"):
        state.job_id
    state.created_job_ids.append("1-1")
    assert state.job_id == "1-1"


def test_amqp_to_a_closed_port_is_unreachable_within_its_deadline():
    conn = ResilientConnection(f"amqp://u:p@127.0.0.1:{free_port()}/%2F", reconnect_timeout_s=0.5)
    with pytest.raises(UnreachableError, match="unreachable for 0.5 s"):
        conn.ensure()
    with pytest.raises(UnreachableError):
        conn.run(lambda ch: None)


@pytest.mark.stack
def test_wrong_broker_credentials_are_misconfiguration(spec_stack):
    url = spec_stack.rabbit_url.replace(spec_stack.environment.rabbitmq.password.get_secret_value(), "wrong")
    with pytest.raises(MisconfiguredError, match="refused the credentials"):
        ResilientConnection(url, reconnect_timeout_s=5).ensure()
    mgmt = RabbitManagement(spec_stack.environment.rabbitmq.management_url, "focus", "wrong")
    try:
        assert not mgmt.is_available()
        with pytest.raises(MisconfiguredError, match="refused the credentials"):
            mgmt.queues()
    finally:
        mgmt.close()


@pytest.mark.stack
def test_waiting_for_fibre_is_a_precondition_everywhere(fibreless_stack):
    report = fibreless_stack.preflight()
    print(report.table())
    fibre = report.get("fibre")
    assert fibre.status is Status.PRECONDITION and "waiting for fibre" in fibre.detail
    report.require_focus_server()  # the server itself is up: the run goes on
    assert "precondition" in fibreless_stack.skip_reason(["requires_fibre"])
    assert fibreless_stack.focus.live_metadata().waiting_for_fibre
    state = fibreless_stack.new_scenario("fibreless")
    with pytest.raises(PreconditionNotMetError, match="waiting for fibre"):
        cfg.configure_job(fibreless_stack, state, build_configure_request(ViewType.MULTICHANNEL))
    with pytest.raises(PreconditionNotMetError):
        fibreless_stack.focus.configure(build_configure_request(ViewType.WATERFALL))
    assert fibreless_stack.finish_scenario(state).clean
