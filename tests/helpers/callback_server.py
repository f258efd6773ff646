"""A trading platform's callback endpoint for tests: a real HTTP server on 127.0.0.1 that answers
each POST with the next status of a script (the last one repeats) and keeps what it received."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]


@dataclass
class CallbackServer:
    url: str
    statuses: list[int]
    received: list[Received] = field(default_factory=list)

    def answer(self, body: bytes, headers: dict[str, str]) -> int:
        self.received.append(Received(body, headers))
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]

    def wait_for(self, count: int, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"{len(self.received)} callbacks received, not {count}"
            time.sleep(0.05)


@contextmanager
def callback_server(*statuses: int) -> Iterator[CallbackServer]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = server.answer(body, dict(self.headers.items()))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server = CallbackServer(f"http://127.0.0.1:{http.server_address[1]}/signing/callback", list(statuses or (200,)))
    thread = threading.Thread(target=http.serve_forever, name="callback-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        http.shutdown()
        http.server_close()
        thread.join(5)
