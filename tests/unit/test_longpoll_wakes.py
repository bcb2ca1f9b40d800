"""A waiting SQS long poll in the emulator asks moto again after a send to its own queue, not after
every send: the local runtime's idle pollers (the queues a batch does not use) would otherwise
ask behind the emulator's lock after each send and heartbeat of the batch's work."""

from __future__ import annotations

import io
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from chalicelib.local import emulator_longpoll
from chalicelib.local.emulator_longpoll import LongPolls

URL = "http://localhost:5000/123456789012/"


class _Sqs:
    """A WSGI app answering ReceiveMessage with no message; counts each queue's receives."""

    def __init__(self) -> None:
        self.receives: Counter[str] = Counter()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        asked = json.loads(environ["wsgi.input"].read() or b"{}")
        if environ["HTTP_X_AMZ_TARGET"] == "AmazonSQS.ReceiveMessage":
            self.receives[asked["QueueUrl"].rsplit("/", 1)[-1]] += 1
        start_response("200 OK", [("Content-Type", "application/x-amz-json-1.0")])
        return [b"{}"]


def _request(app: LongPolls, operation: str, body: dict[str, Any]) -> bytes:
    data = json.dumps(body).encode()
    environ = {"HTTP_X_AMZ_TARGET": f"AmazonSQS.{operation}", "CONTENT_LENGTH": str(len(data)),
               "wsgi.input": io.BytesIO(data)}
    return b"".join(app(environ, lambda *_: None))


@pytest.fixture(autouse=True)
def no_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """A waiting poll asks again only when a request wakes it (and once its wait is over)."""
    monkeypatch.setattr(emulator_longpoll, "_LOOK_AGAIN", 60.0)


def _long_poll(app: LongPolls, sqs: _Sqs, queue: str, wait: int) -> threading.Thread:
    """A long poll on a thread of its own, returned once it asked the first time (it waits)."""
    thread = threading.Thread(target=_request, args=(app, "ReceiveMessage", {
        "QueueUrl": URL + queue, "WaitTimeSeconds": wait}))
    thread.start()
    _until(lambda: sqs.receives[queue] == 1)
    return thread


def _until(done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not done():
        assert time.monotonic() < deadline
        time.sleep(0.005)


def test_sends_to_another_queue_do_not_make_a_waiting_poll_ask_again() -> None:
    # GIVEN a long poll of 2 s waiting on the idle queue
    sqs = _Sqs()
    app = LongPolls(sqs)
    poll = _long_poll(app, sqs, "idle", 2)

    # WHEN 40 sends and visibility changes go to the busy queue meanwhile (a chunk message's body
    # naming a queue inside it too)
    for n in range(20):
        _request(app, "SendMessageBatch", {"QueueUrl": URL + "busy", "Entries": [
            {"Id": "0", "MessageBody": json.dumps({"QueueUrl": URL + "idle", "n": n})}]})
        _request(app, "ChangeMessageVisibilityBatch", {"QueueUrl": URL + "busy", "Entries": []})
        time.sleep(0.01)  # room for the poll to ask again, were it woken
    poll.join(timeout=10)

    # THEN the idle queue was asked when the poll began and when its wait was over, no more
    assert sqs.receives["idle"] == 2, sqs.receives


def test_a_send_to_its_own_queue_still_makes_a_waiting_poll_ask_again() -> None:
    sqs = _Sqs()
    app = LongPolls(sqs)
    poll = _long_poll(app, sqs, "work", 3)

    _request(app, "SendMessage", {"QueueUrl": URL + "work", "MessageBody": "{}"})

    _until(lambda: sqs.receives["work"] == 2)  # at once, not when its 3 s are over
    poll.join(timeout=10)
