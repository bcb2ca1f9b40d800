"""SQS long polling in the emulator, without holding its one-request-at-a-time lock.

moto answers a ``ReceiveMessage`` with ``WaitTimeSeconds`` by sleeping and looking again inside
the request, so under the emulator's lock (``emulator_server.Serialized``) a long poll would stop
every other request for its whole wait. Here a long poll is answered as SQS answers it, from
outside the lock: the same request with a wait of 0 goes in (moto's own answer), and while it
finds no message and the wait is not over, it waits for any request that can make a message
visible in its queue (a send, a visibility change) or at most ``_LOOK_AGAIN`` seconds (a
message whose visibility timeout or delay ran out), then asks again. The answer is moto's answer
to the last of those asks: the messages as soon as one is there, or none once the wait is over.
A request to another queue does not make it ask again: each ask is a request behind the lock,
and the local runtime's idle pollers (the ingest, finalize and webhook queues', each worker's
on the work queue of the mode not running) would otherwise ask after every send and heartbeat
of a batch's work.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_RECEIVE = "AmazonSQS.ReceiveMessage"
# Requests after which a waiting receive asks again at once.
_WAKES = frozenset(f"AmazonSQS.{name}" for name in (
    "SendMessage", "SendMessageBatch", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch"))
_LOOK_AGAIN = 0.25  # seconds: a message may become visible by time alone (its timeout, a delay)
# A request's queue: the first "QueueUrl" member of its JSON (one inside a message body is escaped,
# \"QueueUrl\", and cannot match), its last path segment (clients may name the host differently).
_QUEUE_URL = re.compile(rb'"QueueUrl"\s*:\s*"[^"]*/([^"/]+)"')
_ANY = ""  # a waking request whose queue was not found wakes every poll


class LongPolls:
    """WSGI middleware: an SQS ``ReceiveMessage`` with a wait is answered when a message is
    there or the wait is over, asking the app (behind the lock) again as requests come."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self._changed = threading.Condition()
        # requests that could have made a message visible so far, by queue name (``_ANY``: any)
        self._changes: dict[str, int] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET")
        if target == _RECEIVE:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            asked = json.loads(body or b"{}")
            wait = float(asked.get("WaitTimeSeconds") or 0)
            if wait > 0:
                return self._long_poll(environ, start_response, asked, wait)
            environ["wsgi.input"] = io.BytesIO(body)
        if target not in _WAKES:
            return self._app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        found = _QUEUE_URL.search(body)
        queue = found.group(1).decode() if found else _ANY
        answer = list(self._app(environ, start_response))  # served: its messages are in the queue now
        with self._changed:
            self._changes[queue] = self._changes.get(queue, 0) + 1
            self._changed.notify_all()
        return answer

    def _seen(self, queue: str) -> tuple[int, int]:
        """The changes so far that concern a poll of ``queue`` (its own, and those of no known
        queue); call holding ``_changed``."""
        return self._changes.get(queue, 0), self._changes.get(_ANY, 0)

    def _long_poll(self, environ: dict[str, Any], start_response: Callable[..., Any],
                   asked: dict[str, Any], wait: float) -> Iterable[bytes]:
        body = json.dumps({**asked, "WaitTimeSeconds": 0}).encode()
        queue = str(asked.get("QueueUrl", "")).rstrip("/").rsplit("/", 1)[-1]
        deadline = time.monotonic() + wait
        while True:
            with self._changed:
                seen = self._seen(queue)
            status, headers, answer = self._ask(environ, body)
            left = deadline - time.monotonic()
            if left <= 0 or not status.startswith("200") or json.loads(answer or b"{}").get("Messages"):
                start_response(status, headers)
                return [answer]
            with self._changed:  # a send between the ask and here is not missed: ``seen``
                self._changed.wait_for(lambda seen=seen: self._seen(queue) != seen,  # type: ignore[misc]
                                       timeout=min(left, _LOOK_AGAIN))

    def _ask(self, environ: dict[str, Any], body: bytes) -> tuple[str, list[tuple[str, str]], bytes]:
        """The app's answer to the request with ``body``: status, headers, body."""
        answered: list[Any] = []

        def keep(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
            answered[:] = [status, headers]

        ask = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        content = b"".join(self._app(ask, keep))
        return answered[0], answered[1], content
