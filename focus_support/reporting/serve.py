"""Serve a generated Allure report on loopback (it is a JS app that will not work from file://)."""
from __future__ import annotations

import functools
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's signature
        pass


def make_server(directory: Path | str, port: int = 0) -> ThreadingHTTPServer:
    """An HTTP server for ``directory`` bound to 127.0.0.1 (port 0: any free port)."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    return ThreadingHTTPServer(("127.0.0.1", port), handler)


@contextmanager
def serving(directory: Path | str) -> Iterator[str]:
    """Serve ``directory`` in a background thread; yields the base URL; stops on exit."""
    server = make_server(directory)
    thread = threading.Thread(target=server.serve_forever, name="report-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
