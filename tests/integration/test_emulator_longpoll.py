"""SQS long polls in the emulator (``emulator_longpoll``): answered as soon as a message is there,
never holding up other requests, empty once the wait is over."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from mypy_boto3_sqs import SQSClient

from chalicelib.clients import Clients
from chalicelib.local.emulator import Emulator
from chalicelib.settings import get_settings


@pytest.fixture
def sqs(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Callable[[], SQSClient]:
    """A new client of the emulator each call (each its own connections, as separate processes)."""
    for name, value in emulator.environment().items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return lambda: Clients(get_settings()).sqs


def _queue(sqs: SQSClient, name: str) -> str:
    return sqs.create_queue(QueueName=name)["QueueUrl"]


def _receive_later(sqs: SQSClient, url: str, wait: int) -> tuple[threading.Thread, dict[str, Any]]:
    """A long poll on a thread of its own; what it got and when it returned, once joined."""
    got: dict[str, Any] = {}

    def receive() -> None:
        started = time.monotonic()
        got["messages"] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=wait).get("Messages", [])
        got["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=receive)
    thread.start()
    return thread, got


def test_a_long_poll_gets_a_message_sent_while_it_waits_before_its_wait_is_over(
        sqs: Callable[[], SQSClient]) -> None:
    sender = sqs()
    url = _queue(sender, "long-poll-send")
    thread, got = _receive_later(sqs(), url, 10)
    time.sleep(0.5)  # the poll waits
    sender.send_message(QueueUrl=url, MessageBody="hello")
    thread.join(timeout=20)
    assert [m["Body"] for m in got["messages"]] == ["hello"]
    assert got["seconds"] < 5  # not at the end of its 10 s


def test_other_requests_are_served_while_a_long_poll_waits(sqs: Callable[[], SQSClient]) -> None:
    other = sqs()
    url = _queue(other, "long-poll-others")
    thread, got = _receive_later(sqs(), url, 3)
    time.sleep(0.3)
    started = time.monotonic()
    for _ in range(5):  # under moto's own long poll each would wait for the lock: 3 s
        other.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    assert time.monotonic() - started < 2.5
    assert thread.is_alive()  # still waiting: nothing was sent
    thread.join(timeout=20)
    assert got["messages"] == [] and got["seconds"] >= 2.9  # empty once its wait is over


def test_a_message_whose_visibility_runs_out_is_got_by_a_waiting_poll(sqs: Callable[[], SQSClient]) -> None:
    client = sqs()
    url = _queue(client, "long-poll-visibility")
    client.send_message(QueueUrl=url, MessageBody="again")
    taken = client.receive_message(QueueUrl=url, VisibilityTimeout=1)["Messages"]
    assert [m["Body"] for m in taken] == ["again"]
    thread, got = _receive_later(sqs(), url, 10)  # no request wakes it: the time does
    thread.join(timeout=20)
    assert [m["Body"] for m in got["messages"]] == ["again"]
    assert got["seconds"] < 5


def test_a_send_is_served_while_every_poller_the_runtime_can_run_waits(sqs: Callable[[], SQSClient]) -> None:
    # The local runtime runs a poller a queue and one a worker (up to the work mapping's
    # concurrency); with all of them long-polling, a send must still find a thread at once.
    from chalicelib.local.emulator_server import _POLLERS

    sender = sqs()
    url = _queue(sender, "long-poll-crowd")
    pollers = [sqs() for _ in range(_POLLERS // 32 + 1)]  # a client holds 32 connections
    waiting = [_receive_later(pollers[n % len(pollers)], url, 6) for n in range(_POLLERS)]
    time.sleep(1)  # every poll waits
    started = time.monotonic()
    sender.send_message(QueueUrl=url, MessageBody="through")
    sent = time.monotonic() - started
    for thread, _ in waiting:
        thread.join(timeout=20)
    # Queued behind the polls, the send would wait for the first of them to end (>= 5 s after
    # it was made); served at once it takes a few ms, ~1.4 s seen on a machine at a load of 9.
    assert sent < 3
    assert sum(len(got["messages"]) for _, got in waiting) == 1
