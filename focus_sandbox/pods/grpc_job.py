"""The streaming pod of a job: serves synthetic spectrogram rows over TCP (stdlib only).

Each client receives frames ``<4-byte big-endian length><payload>`` every LINES_DT seconds; the
payload is one row of ROW_FLOATS little-endian float32 values. The process exits 0 once no client
has been connected for IDLE_TIMEOUT_S, and on SIGTERM.

Env: JOB_ID, STREAM_HOST, STREAM_PORT, IDLE_TIMEOUT_S, ROW_FLOATS, LINES_DT.
"""
from __future__ import annotations

import array
import math
import os
import signal
import socket
import struct
import sys
import threading
import time

MIN_LINES_DT = 0.001  # a lax-validated job can carry a zero or negative lines_dt
MAX_ROW_FLOATS = 8_000_000  # 32 MB per row: bounded even for a lax-validated huge view


class Stream:
    """Accepts clients and tracks when the last one left."""

    def __init__(self, row_floats: int, lines_dt: float, idle_timeout_s: float):
        self.row_floats = row_floats
        self._rows: list[bytes] | None = None  # built at the first client: idle jobs stay small
        self.lines_dt = lines_dt
        self.idle_timeout_s = idle_timeout_s
        self.clients = 0
        self.idle_since = time.monotonic()
        self.lock = threading.Lock()

    def serve_client(self, conn: socket.socket, peer) -> None:
        """Send one frame per lines_dt until the client goes away."""
        with self.lock:
            self.clients += 1
        log(f"client {peer} connected")
        rows = self.rows()
        next_at = time.monotonic()
        i = 0
        try:
            while True:
                row = rows[i % len(rows)]
                conn.sendall(struct.pack(">I", len(row)) + row)
                i += 1
                next_at += self.lines_dt
                delay = next_at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)  # pacing the stream at lines_dt, not waiting for a condition
                else:
                    next_at = time.monotonic()
        except OSError:
            pass  # the client disconnected
        finally:
            conn.close()
            with self.lock:
                self.clients -= 1
                self.idle_since = time.monotonic()
            log(f"client {peer} disconnected")

    def rows(self) -> list[bytes]:
        with self.lock:
            if self._rows is None:
                self._rows = synthetic_rows(self.row_floats)
            return self._rows

    def idle_for(self) -> float:
        with self.lock:
            return 0.0 if self.clients else time.monotonic() - self.idle_since


def synthetic_rows(floats: int) -> list[bytes]:
    """A few distinct rows of smooth synthetic power values (one if rows are large), cycled."""
    count = 4 if floats <= 65536 else 1
    rows = []
    for r in range(count):
        base = array.array("f", (1.0 + math.sin((k + 7 * r) / 13.0) for k in range(min(floats, 4096))))
        row = array.array("f", base * (floats // len(base) + 1) if base else base)[:floats]
        if sys.byteorder != "little":
            row.byteswap()
        rows.append(row.tobytes())
    return rows


def log(message: str) -> None:
    """One line on stdout (the pod log)."""
    print(f"{time.strftime('%H:%M:%S')} grpc-job {os.environ.get('JOB_ID', '?')}: {message}", flush=True)


def main() -> int:
    """Listen on STREAM_PORT and stream until idle or terminated."""
    port = int(os.environ["STREAM_PORT"])
    host = os.environ.get("STREAM_HOST", "127.0.0.1")
    idle_timeout = float(os.environ.get("IDLE_TIMEOUT_S", "50"))
    floats = max(1, min(int(os.environ.get("ROW_FLOATS", "1")), MAX_ROW_FLOATS))
    lines_dt = max(float(os.environ.get("LINES_DT", "0.1")), MIN_LINES_DT)

    def on_sigterm(_signum, _frame):
        log("SIGTERM: stopping")
        os._exit(0)
    signal.signal(signal.SIGTERM, on_sigterm)

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((host, port))
    server.listen(64)
    server.settimeout(0.2)
    stream = Stream(floats, lines_dt, idle_timeout)
    log(f"streaming {floats} float32 per row every {lines_dt:g} s on {host}:{port}")
    while stream.idle_for() < idle_timeout:
        try:
            conn, peer = server.accept()
        except socket.timeout:
            continue
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=stream.serve_client, args=(conn, peer), daemon=True).start()
    log(f"no client for {idle_timeout:g} s: exiting")
    server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
