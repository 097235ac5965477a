"""A job whose metadata answered must take a connection at its stream address at once (job.ready-when-metadata-answers)."""
from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest

from focus_support.errors import UnreachableError
from focus_support.scenarios.streaming import require_stream_takes_connection
from focus_support.verdict.findings import ProductFailure


def _state(url: str, port) -> SimpleNamespace:
    return SimpleNamespace(configure_response=SimpleNamespace(job_id="7-1", stream_url=url, stream_port=port))


def _closed_port() -> int:
    with socket.socket() as probe:   # bound, never listening, then released: nothing answers there
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_listening_stream_passes():
    with socket.create_server(("127.0.0.1", 0)) as server:
        require_stream_takes_connection(_state("http://127.0.0.1", server.getsockname()[1]))


def test_a_port_nobody_listens_on_is_a_product_failure_naming_the_job_and_address():
    port = _closed_port()
    with pytest.raises(ProductFailure) as failure:
        require_stream_takes_connection(_state("127.0.0.1", port))
    assert f"127.0.0.1:{port}" in str(failure.value) and "7-1" in str(failure.value)
    assert failure.value.finding.seen == ("connection refused",)


def test_an_answer_without_a_usable_address_is_the_servers_fault_not_the_suites():
    with pytest.raises(ProductFailure) as failure:
        require_stream_takes_connection(_state("", 12323))
    assert failure.value.finding.seen == ("no usable stream address",)


def test_an_address_out_of_reach_is_infrastructure(monkeypatch):
    def unreachable(*_args, **_kwargs):
        raise OSError(113, "No route to host")
    monkeypatch.setattr(socket, "create_connection", unreachable)
    with pytest.raises(UnreachableError):
        require_stream_takes_connection(_state("10.255.255.1", 12323))
