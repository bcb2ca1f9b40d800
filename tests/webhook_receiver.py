"""A webhook receiver on 127.0.0.1 as a customer writes one: verifies with ``standardwebhooks``."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.served import worker_share

PORTS = range(8150, 8160)  # this suite's share of the machine's ports (any free one otherwise)


@dataclass(frozen=True)
class Received:
    """One delivery as the receiver saw it: its headers, the verified event (None: not verified)."""

    headers: dict[str, str]
    body: bytes
    event: dict[str, Any] | None
    answered: int


class Receiver(ThreadingHTTPServer):
    """Verifies every POST with the endpoint's secret, then answers the scripted codes in turn
    (the last one repeats); a delivery that does not verify is answered 400."""

    def __init__(self, *codes: int) -> None:
        for port in [*worker_share(PORTS), 0]:  # bound at once, not checked first
            try:
                super().__init__(("127.0.0.1", port), _Handler)
                break
            except OSError:
                if port == 0:
                    raise
        self.codes = list(codes) or [200]
        self.secret = ""
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)

    @property
    def url(self) -> str:
        """Where deliveries go."""
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/batch-enrich"

    def take(self, headers: dict[str, str], body: bytes) -> int:
        """Verify one delivery, record it, choose the answer."""
        try:
            event = Webhook(self.secret).verify(body, headers) if self.secret else None
        except WebhookVerificationError:
            event = None
        with self.arrived:
            code = self.codes.pop(0) if len(self.codes) > 1 else self.codes[0]
            answered = code if event is not None else 400
            self.received.append(Received(headers, body, event, answered))
            self.arrived.notify_all()
        return answered

    def wait_for(self, count: int, timeout: float) -> list[Received]:
        """The deliveries once ``count`` arrived (or what came within ``timeout``)."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        """A delivery: verified, recorded, answered."""
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        code = self.server.take({k.lower(): v for k, v in self.headers.items()}, body)
        answer = b'{"ok": true}' if code < 300 else b'{"error": "try later"}'
        self.send_response(code)
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        """Quiet."""
