"""The local address a worker's HTTP clients connect from (``FOCUS_CLIENT_SOURCE_ADDRESS``).

The parallel runner gives each worker on the sandbox its own loopback address (127.0.0.11, .12,
...), so that each is its own client to the sandbox's per-client rate limit, as separate machines
would be. Unset (the default, and always against remote environments) changes nothing.
"""
from __future__ import annotations

import os

import requests
from requests.adapters import HTTPAdapter

ENV_VAR = "FOCUS_CLIENT_SOURCE_ADDRESS"


class SourceAddressAdapter(HTTPAdapter):
    """An adapter whose connections are made from ``address`` (any free port)."""

    def __init__(self, address: str, **kwargs) -> None:
        self.source_address = (address, 0)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = self.source_address
        return super().init_poolmanager(*args, **kwargs)


def new_session(address: str | None = None) -> requests.Session:
    """A session bound to ``address`` (default: ``$FOCUS_CLIENT_SOURCE_ADDRESS``, else unbound)."""
    session = requests.Session()
    address = address if address is not None else os.environ.get(ENV_VAR, "").strip()
    if address:
        adapter = SourceAddressAdapter(address)
        session.mount("http://", adapter)
        session.mount("https://", SourceAddressAdapter(address))
    return session
