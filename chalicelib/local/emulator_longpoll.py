"""SQS long polling in the emulator, without holding its one-request-at-a-time lock.

moto answers a ``ReceiveMessage`` with ``WaitTimeSeconds`` by sleeping and looking again inside
the request, so under the emulator's lock (``emulator_server.Serialized``) a long poll would stop
every other request for its whole wait. Here a long poll is answered as SQS answers it, from
outside the lock: the same request with a wait of 0 goes in (moto's own answer), and while it
finds no message and the wait is not over, it waits until a message could have become visible
in its queue, then asks again. A message becomes visible in a queue in two ways only:
- a request puts one there or shows one sooner: a send, a visibility change, a message moved to
  the queue as its DLQ (during another queue's receive), a delete in a FIFO queue (the next
  message of its group); each wakes the queue's waiting polls (``_WAKES``, ``watch_moto``);
- time: a received message's visibility timeout or a sent message's delay runs out. An empty
  ask reports the soonest of those in its queue (``watch_moto``), and the poll asks again then.
So an idle queue's poll asks once at its start and answers moto's empty answer at its end; one
ask every ``_LOOK_AGAIN`` seconds is left only where moto said nothing (a message visible but
not given: a FIFO group in flight, a message past its retention). A request to another queue
does not make it ask again: each ask is a request behind the lock, and the local runtime's idle
pollers (the ingest, finalize and webhook queues', each worker's on the work queue of the mode
not running) would otherwise ask after every send and heartbeat of a batch's work.
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
# Requests after which a waiting receive of their queue asks again at once; deletes only in a
# FIFO queue (a delete there can free the next message of the group).
_WAKES = frozenset(f"AmazonSQS.{name}" for name in (
    "SendMessage", "SendMessageBatch", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch"))
_FIFO_WAKES = frozenset(("AmazonSQS.DeleteMessage", "AmazonSQS.DeleteMessageBatch"))
_LOOK_AGAIN = 0.25  # seconds: where moto did not say when a message may become visible
_LATE = 0.002  # seconds after a message's visible time (moto: visible once past it, in ms)
# A request's queue: the first "QueueUrl" member of its JSON (one inside a message body is escaped,
# \"QueueUrl\", and cannot match), its last path segment (clients may name the host differently).
_QUEUE_URL = re.compile(rb'"QueueUrl"\s*:\s*"[^"]*/([^"/]+)"')
_ANY = ""  # a waking request whose queue was not found wakes every poll
_UNTOLD = -1.0  # moto said nothing of when a message becomes visible


class _Told(threading.local):
    """What moto told this thread during the request it serves (``watch_moto``'s hooks)."""

    def __init__(self) -> None:
        self.soonest: float | None = _UNTOLD  # an empty receive's queue: see ``soonest``
        self.added: set[str] = set()  # queues a message was put in (sent, moved to a DLQ)


_told = _Told()


def soonest(queue: Any) -> float | None:
    """When a message of moto's ``queue`` that no receive can get now becomes visible by time
    alone (epoch seconds; None: none will); ``_UNTOLD`` when one is visible already (then a
    receive that found nothing did so for another reason: a FIFO group in flight)."""
    now = time.time() * 1000
    first: float | None = None
    for message in queue._messages:
        due = max(message.visible_at, message.delayed_until)  # moto's milliseconds
        if due < now:
            return _UNTOLD
        first = due if first is None else min(first, due)
    return None if first is None else first / 1000


def watch_moto() -> None:
    """Make moto's SQS tell the serving thread when a receive finds nothing (and when a message
    of that queue becomes visible by time) and when a message is put in a queue."""
    from moto.sqs.models import Queue, SQSBackend

    receive, add = SQSBackend.receive_message, Queue.add_message
    if getattr(receive, "told", False):
        return

    def receive_message(self: SQSBackend, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        got = receive(self, queue_name, *args, **kwargs)
        _told.soonest = _UNTOLD if got else soonest(self.get_queue(queue_name))
        return got

    def add_message(self: Queue, message: Any) -> None:
        add(self, message)
        _told.added.add(self.name)

    receive_message.told = True  # type: ignore[attr-defined]
    SQSBackend.receive_message = receive_message  # type: ignore[method-assign]
    Queue.add_message = add_message  # type: ignore[method-assign]


class LongPolls:
    """WSGI middleware: an SQS ``ReceiveMessage`` with a wait is answered when a message is
    there or the wait is over, asking the app (behind the lock) again when one could be."""

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
        queue = None
        if target in _WAKES or target in _FIFO_WAKES:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            found = _QUEUE_URL.search(body)
            queue = found.group(1).decode() if found else _ANY
            if target in _FIFO_WAKES and not queue.endswith(".fifo"):
                queue = None
        _told.added.clear()
        answer = list(self._app(environ, start_response))  # served: its messages are in the queue now
        woken = {queue} if queue is not None else set()
        self._wake(woken | _told.added)
        return answer

    def _wake(self, queues: set[str]) -> None:
        """Wake the polls waiting on these queues."""
        if not queues:
            return
        _told.added.clear()
        with self._changed:
            for queue in queues:
                self._changes[queue] = self._changes.get(queue, 0) + 1
            self._changed.notify_all()

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
            status, headers, answer, due = self._ask(environ, body)
            left = deadline - time.monotonic()
            if left <= 0 or not status.startswith("200") or json.loads(answer or b"{}").get("Messages"):
                start_response(status, headers)
                return [answer]
            if due == _UNTOLD:
                timeout = min(left, _LOOK_AGAIN)
            elif due is None:
                timeout = left
            else:
                timeout = min(left, max(0.0, due - time.time()) + _LATE)
            with self._changed:  # a send between the ask and here is not missed: ``seen``
                woken = self._changed.wait_for(lambda seen=seen: self._seen(queue) != seen,  # type: ignore[misc]
                                               timeout=timeout)
            if not woken and timeout >= left and due != _UNTOLD:
                # the wait is over and nothing could have made a message visible: moto's answer
                # to the ask above stands (asking again would find the same nothing)
                start_response(status, headers)
                return [answer]

    def _ask(self, environ: dict[str, Any],
             body: bytes) -> tuple[str, list[tuple[str, str]], bytes, float | None]:
        """The app's answer to the request with ``body``: status, headers, body, and when moto
        said a message of the queue becomes visible by time (``soonest``; ``_UNTOLD``)."""
        answered: list[Any] = []

        def keep(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
            answered[:] = [status, headers]

        ask = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        _told.soonest, _told.added = _UNTOLD, set()
        content = b"".join(self._app(ask, keep))
        due, added = _told.soonest, _told.added
        self._wake(added)  # a receive may move messages to a DLQ
        return answered[0], answered[1], content, due
