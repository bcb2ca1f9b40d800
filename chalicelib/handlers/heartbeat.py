"""The heartbeat: an invocation keeps the messages it works invisible only while it is alive.

Lambda's event source mapping receives a batch with the queue's visibility timeout, which must
be at least six times the function's timeout (so a slow invocation never sees its messages
delivered twice). A process that dies with them (a crashed sandbox, a killed worker) would
leave them hidden that long: 6 minutes for the work queue. So on receipt the invocation sets
its messages' visibility to ``heartbeat_seconds`` and extends it every third of that while it
works: if it dies, they come back within ``heartbeat_seconds``; if it lives, they never do.
The same code runs on AWS and in the local runtime.

It starts first in every queue function's invocation (``kept_alive``, the outermost middleware):
what runs before the records (the tracer, a first read building its client on a cold start) is
inside it, so a sandbox that dies there leaves its messages hidden seconds, not minutes.

The local runtime's poller dies with its worker, so it receives with a visibility of
``heartbeat_seconds`` already (``local/eventsource.py``) and says so in each record's attributes
(``RECEIVED_HIDDEN``, never set by Lambda): a beat at once would repeat the receive, so the
first beat comes a third of the window in, as every later one does.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

from chalicelib.observability import logger
from chalicelib.ports.queue import Queue

# A record attribute of the local runtime's own: the seconds its receive hid the message for.
RECEIVED_HIDDEN = "LocalReceiveVisibilitySeconds"


class Heartbeat:
    """A context manager: the records' messages stay invisible for ``seconds`` at a time."""

    def __init__(self, queue: Queue, records: Sequence[dict[str, Any]], seconds: int) -> None:
        self._queue = queue
        self._seconds = seconds
        self._receipts: dict[str, list[str]] = defaultdict(list)  # queue name -> receipts
        # received hidden no longer than a window: the receive was the first beat
        self._received_beating = bool(records) and all(
            0 < int(record.get("attributes", {}).get(RECEIVED_HIDDEN, 0)) <= seconds for record in records)
        for record in records:
            name = str(record.get("eventSourceARN", "")).rsplit(":", 1)[-1]
            if name and record.get("receiptHandle"):
                self._receipts[name].append(str(record["receiptHandle"]))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True, name="heartbeat")

    def __enter__(self) -> Heartbeat:
        if self._receipts and self._seconds > 0:
            if not self._received_beating:
                self._extend()
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self._seconds / 3):
            self._extend()

    def _extend(self) -> None:
        for name, receipts in self._receipts.items():
            try:
                self._queue.hide(name, receipts, self._seconds)
            except Exception:  # the next beat tries again; the messages are safe for a while
                logger.exception("heartbeat failed", extra={"queue": name})


def kept_alive(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Chalice middleware for queue events: the invocation's messages stay hidden while it lives."""
    from chalicelib.services.ports import get_ports  # the API never needs the ports built here

    ports = get_ports()
    with Heartbeat(ports.queue, event.to_dict()["Records"], ports.settings.heartbeat_seconds):
        return get_response(event)
