"""A loopback vendor API for the benchmark: fixed latency, a hard rate limit, counts of everything.

It answers ``GET /v1/people?email=…`` like a person-enrichment API: 200 with a profile for
most addresses, 404 for the rest (decided by a hash, so the same email always gets the same
answer). Beyond ``limit`` accepted requests in any sliding one-second window it answers 429
with ``Retry-After: 1`` at once (a 429 is not counted against the window). It keeps HTTP/1.1
connections alive and counts the connections its clients opened.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class VendorStats:
    """What the fake vendor saw since its last reset."""

    calls: int = 0
    accepted: int = 0
    throttled: int = 0
    connections: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    inputs: set[str] = field(default_factory=set)
    first: float | None = None
    last: float | None = None
    # gaps of over 0.25 s between accepted calls: when (seconds after the first) and how long
    gaps: list[tuple[float, float]] = field(default_factory=list)

    def to_json(self, limit: float) -> dict[str, Any]:
        """The figures the bench reports: rate used against the limit, 429s, concurrency."""
        span = (self.last - self.first) if self.first is not None and self.last is not None else 0.0
        # n accepted calls fill n - 1 gaps of the window they span
        rate = (self.accepted - 1) / span if span > 0 else 0.0
        return {"calls": self.calls, "accepted": self.accepted, "throttled_429": self.throttled,
                "throttled_share": round(self.throttled / self.calls, 4) if self.calls else 0.0,
                "distinct_inputs": len(self.inputs), "connections": self.connections,
                "max_in_flight": self.max_in_flight, "active_seconds": round(span, 2),
                "idle_seconds": round(sum(length for _, length in self.gaps), 2),
                "idle_gaps": [[round(at, 2), round(length, 2)] for at, length in self.gaps],
                "rate_per_second": round(rate, 1), "limit_per_second": limit,
                "used_of_limit": round(rate / limit, 3) if limit else 0.0}


def knows(email: str) -> bool:
    """Whether the fake vendor has a profile for this address (8 in 10 addresses)."""
    return hashlib.sha256(email.encode()).digest()[0] % 10 < 8


class FakeVendor(ThreadingHTTPServer):
    """The vendor: serve it with ``start()``, read ``stats``, ``reset()`` between batches."""

    daemon_threads = True

    def __init__(self, port: int = 0, latency: float = 0.1, limit: float = 40.0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.latency = latency
        self.limit = limit
        self.stats = VendorStats()
        self._window: deque[float] = deque()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The people endpoint's URL."""
        return f"http://127.0.0.1:{self.server_address[1]}/v1/people"

    def start(self) -> FakeVendor:
        """Serve on a daemon thread."""
        threading.Thread(target=self.serve_forever, daemon=True, name="fake-vendor").start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.shutdown()
        self.server_close()

    def reset(self, latency: float | None = None, limit: float | None = None) -> None:
        """Count from zero (optionally with another latency or limit)."""
        with self._lock:
            self.latency = self.latency if latency is None else latency
            self.limit = self.limit if limit is None else limit
            self.stats = VendorStats()
            self._window.clear()

    def connected(self) -> None:
        """A client opened a connection."""
        with self._lock:
            self.stats.connections += 1

    def admit(self, email: str) -> bool:
        """Count a request; False when it is over the limit (answered 429)."""
        now = time.monotonic()
        with self._lock:
            stats = self.stats
            stats.calls += 1
            while self._window and self._window[0] <= now - 1.0:
                self._window.popleft()
            if len(self._window) >= self.limit:
                stats.throttled += 1
                return False
            self._window.append(now)
            stats.accepted += 1
            stats.inputs.add(email)
            stats.first = now if stats.first is None else stats.first
            if stats.first is not None and stats.last is not None and now - stats.last > 0.25:
                stats.gaps.append((stats.last - stats.first, now - stats.last))
            stats.last = now
            stats.in_flight += 1
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
            return True

    def answered(self) -> None:
        """An admitted request was answered."""
        with self._lock:
            self.stats.in_flight -= 1


class _Handler(BaseHTTPRequestHandler):
    server: FakeVendor
    protocol_version = "HTTP/1.1"  # keep-alive

    def setup(self) -> None:
        super().setup()
        self.server.connected()

    def do_GET(self) -> None:
        email = parse_qs(urlsplit(self.path).query).get("email", [""])[0].strip().lower()
        if not self.server.admit(email):
            self._send(429, {"error": "rate limit exceeded"}, {"Retry-After": "1"})
            return
        try:
            time.sleep(self.server.latency)
            if email and knows(email):
                local = email.partition("@")[0]
                self._send(200, {"person": {"title": "Head of Sales", "seniority": "director",
                                            "linkedin": f"https://www.linkedin.com/in/{local}"}})
            else:
                self._send(404, {"error": "not found"})
        finally:
            self.server.answered()

    def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        send_json(self, status, body, headers)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def send_json(handler: BaseHTTPRequestHandler, status: int, body: Any,
              headers: dict[str, str] | None = None) -> None:
    """Answer ``body`` as JSON; a client that already hung up is not an error."""
    payload = json.dumps(body).encode()
    try:
        handler.send_response(status)
        for name, value in {**(headers or {}), "Content-Type": "application/json",
                            "Content-Length": str(len(payload))}.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)
    except OSError:
        pass  # the client gave up and hung up
