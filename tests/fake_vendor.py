"""A fake vendor API on 127.0.0.1 and a fake clock, for the HTTP provider's tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from chalicelib.local.fake_vendor import send_json

# What the fake vendor answers by default: a person it knows.
HIT: dict[str, Any] = {
    "person": {"id": "p_981", "skills": ["sales", "sql"],
               "job": {"title": "VP Sales", "company": {"name": "Acme GmbH"}}},
    "emails": [{"address": "jane@acme.de", "type": "work"}, {"address": "j@gmail.com"}],
}


@dataclass
class Reply:
    """One scripted answer of the fake vendor."""

    status: int = 200
    body: Any = field(default_factory=lambda: HIT)  # bytes are sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    """One request the fake vendor received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


class FakeVendor(ThreadingHTTPServer):
    """Answers each path from its script (the last reply repeats) and records every request."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[Seen] = []
        self.released = threading.Event()  # cuts delayed replies short at teardown
        self._script: dict[str, list[Reply]] = {"*": [Reply()]}
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def route(self, path: str, *replies: Reply) -> None:
        self._script[path] = list(replies)

    def answer(self, seen: Seen) -> Reply:
        with self._lock:
            self.requests.append(seen)
            replies = self._script.get(unquote(seen.path)) or self._script["*"]
            return replies.pop(0) if len(replies) > 1 else replies[0]


class _Handler(BaseHTTPRequestHandler):
    server: FakeVendor

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        reply = self.server.answer(Seen(self.command, parts.path, parse_qs(parts.query),
                                        dict(self.headers.items()), body))
        self.server.released.wait(reply.delay)
        payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
        try:
            self.send_response(reply.status)
            for name, value in {**reply.headers, "Content-Length": str(len(payload))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client timed out and hung up

    def do_POST(self) -> None:
        self.do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FakeClock:
    """Monotonic time that moves only when slept through or advanced; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def epoch(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@contextmanager
def serving() -> Iterator[FakeVendor]:
    """A fake vendor serving on a thread until the block ends (delayed replies cut short)."""
    server = FakeVendor()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.released.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def serving_handler(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Any request handler served on 127.0.0.1 on a thread; yields the server's base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class JsonHandler(BaseHTTPRequestHandler):
    """A quiet request handler with one way to answer JSON (subclasses write ``do_GET``)."""

    def reply(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        """Send ``payload`` as JSON with ``status`` and extra headers."""
        send_json(self, status, payload, headers)

    def log_message(self, format: str, *args: Any) -> None:
        pass
