"""A real HTTP server on loopback that answers from a script: for client behaviours the sandbox
cannot be made to show on demand (5xx, dropped connections, Retry-After dates)."""
from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _QuietServer(ThreadingHTTPServer):
    """Scripted replies drop connections on purpose; the client's side of that is what tests check."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering
    delay_s: float = 0.0  # answer late (to provoke client read timeouts)


class ScriptedServer:
    """Serves ``Reply`` objects queued per (method, path); the last one repeats."""

    def __init__(self) -> None:
        self.script: dict[tuple[str, str], deque[Reply]] = defaultdict(deque)
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return None

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                owner.requests.append({"method": self.command, "path": self.path, "body": body,
                                       "headers": dict(self.headers)})
                queue = owner.script.get((self.command, self.path))
                reply = (queue.popleft() if len(queue) > 1 else queue[0]) if queue else Reply(404, {"detail": "Not Found"})
                if reply.delay_s:
                    owner.release.wait(reply.delay_s)  # a slow server; released early at shutdown
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                for k, v in {"Content-Type": "application/json", **reply.headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = do_PUT = _handle

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=lambda: self.httpd.serve_forever(poll_interval=0.05), name="scripted-http", daemon=True)

    def on(self, method: str, path: str, *replies: Reply) -> None:
        """Queue replies for a route."""
        self.script[(method, path)].extend(replies)

    def count(self, method: str, path: str) -> int:
        """How many requests reached the route."""
        return sum(1 for r in self.requests if r["method"] == method and r["path"] == path)

    def __enter__(self) -> "ScriptedServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


class RegisteredJobs:
    """What registering a started job needs of the run's JobTracker: the ids, in order."""

    def __init__(self) -> None:
        self.registered: list[str] = []

    def register(self, job_id: str) -> None:
        self.registered.append(job_id)
