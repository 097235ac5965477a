"""Free loopback ports for the sandbox's processes.

Ports are chosen by binding and closing a socket. Another program could take the port in the gap
before our component binds it; the allocator at least never hands the same port out twice and skips
any port something already listens on.
"""
from __future__ import annotations

import socket

LOOPBACK = "127.0.0.1"


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """True when nothing listens on ``host:port`` and we could bind it now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # No SO_REUSEADDR: a port in TIME_WAIT or held by a listener counts as taken.
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def ephemeral_port(host: str = LOOPBACK) -> int:
    """A port the kernel considers free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class PortAllocator:
    """Hands out distinct free ports: from ``base`` upwards when given, otherwise from the kernel."""

    def __init__(self, base: int | None = None, host: str = LOOPBACK, span: int = 2000):
        self.host = host
        self._next = base
        self._limit = (base + span) if base is not None else None
        self.taken: dict[str, int] = {}
        self.skipped: list[int] = []  # ports found in use (for the start report and tests)

    def take(self, name: str) -> int:
        """Reserve a free port under ``name`` and return it."""
        if self._next is None:
            port = self._from_kernel()
        else:
            port = self._from_range()
        self.taken[name] = port
        return port

    def _from_kernel(self) -> int:
        for _ in range(50):
            port = ephemeral_port(self.host)
            if port not in self.taken.values():
                return port
        raise RuntimeError("the kernel kept offering ports this run already uses")

    def _from_range(self) -> int:
        assert self._next is not None and self._limit is not None
        while self._next < self._limit:
            port = self._next
            self._next += 1
            if port in self.taken.values():
                continue
            if port_is_free(port, self.host):
                return port
            self.skipped.append(port)
        raise RuntimeError(f"no free port left below {self._limit} on {self.host}")
