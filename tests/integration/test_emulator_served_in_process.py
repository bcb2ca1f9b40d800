"""The emulator's server run in this process, to count what it asks of moto and what it buffers on
disk: a long poll asks moto again only when a message could have become visible in its queue
(``emulator_longpoll``), and bodies the size of part objects never go through a temporary file
(``emulator_server``). The answers are the ones the emulator gave before."""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from moto.sqs.models import SQSBackend
from waitress.buffers import TempfileBasedBuffer

from chalicelib.clients import Clients
from chalicelib.local.emulator_server import serve
from chalicelib.settings import get_settings
from tests.integration.test_emulator_longpoll import _receive_later

MB = 1024 * 1024


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """The emulator's server (its application, its buffers) on a thread of this process."""
    server = serve("127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture
def clients(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Clients:
    for name, value in {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return Clients(get_settings())


@pytest.fixture
def asks(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """moto's receives, by queue name (each ask of a long poll is one)."""
    asked: Counter[str] = Counter()
    receive = SQSBackend.receive_message

    def counted(self: SQSBackend, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        asked[queue_name] += 1
        return receive(self, queue_name, *args, **kwargs)

    monkeypatch.setattr(SQSBackend, "receive_message", counted)
    return asked


def _until(done: Any) -> None:
    deadline = time.monotonic() + 10
    while not done():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_an_idle_queues_long_poll_asks_moto_once(clients: Clients, asks: Counter[str]) -> None:
    # GIVEN an empty queue (as the runtime's ingest, finalize and webhook queues are in a batch)
    url = clients.sqs.create_queue(QueueName="idle-poll")["QueueUrl"]

    # WHEN a client long-polls it for 2 s
    started = time.monotonic()
    answer = clients.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2)

    # THEN it is answered empty once its wait is over, having asked moto once (a timer asked 9 times)
    assert "Messages" not in answer and time.monotonic() - started >= 1.9
    assert asks["idle-poll"] == 1


def test_a_poll_asks_again_when_a_received_messages_visibility_runs_out(
        clients: Clients, asks: Counter[str]) -> None:
    sqs = clients.sqs
    url = sqs.create_queue(QueueName="poll-visibility")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="again")
    assert sqs.receive_message(QueueUrl=url, VisibilityTimeout=1)["Messages"]

    thread, got = _receive_later(Clients(get_settings()).sqs, url, 10)
    thread.join(timeout=20)

    assert [m["Body"] for m in got["messages"]] == ["again"] and got["seconds"] < 5
    assert asks["poll-visibility"] == 1 + 2  # the receive above; the poll's start, the timeout's end


def test_a_delayed_message_is_got_when_its_delay_ends(clients: Clients, asks: Counter[str]) -> None:
    sqs = clients.sqs
    url = sqs.create_queue(QueueName="poll-delay")["QueueUrl"]
    thread, got = _receive_later(Clients(get_settings()).sqs, url, 10)
    _until(lambda: asks["poll-delay"] == 1)

    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    thread.join(timeout=20)

    assert [m["Body"] for m in got["messages"]] == ["later"] and got["seconds"] < 5
    assert asks["poll-delay"] == 3  # the start, after the send (still delayed), the delay's end


def test_a_message_moved_to_a_dlq_wakes_a_poll_of_the_dlq(clients: Clients, asks: Counter[str]) -> None:
    # GIVEN a queue whose messages go to its DLQ on their second receive, one message received once
    sqs = clients.sqs
    dlq = sqs.create_queue(QueueName="poll-dead")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName="poll-source", Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": arn, "maxReceiveCount": 1})})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="failing")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)

    # WHEN a poll waits on the DLQ and a receive of the source moves the message there
    thread, got = _receive_later(Clients(get_settings()).sqs, dlq, 10)
    _until(lambda: asks["poll-dead"] == 1)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    thread.join(timeout=20)

    # THEN the poll gets it at once, not at the end of its wait
    assert [m["Body"] for m in got["messages"]] == ["failing"] and got["seconds"] < 5
    assert asks["poll-dead"] == 2


def test_a_fifo_groups_next_message_is_got_when_the_one_in_flight_is_deleted(
        clients: Clients, asks: Counter[str]) -> None:
    sqs = clients.sqs
    url = sqs.create_queue(QueueName="poll-group.fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    for body in ("first", "second"):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
    first = sqs.receive_message(QueueUrl=url, VisibilityTimeout=30)["Messages"]
    assert [m["Body"] for m in first] == ["first"]

    thread, got = _receive_later(Clients(get_settings()).sqs, url, 10)
    _until(lambda: asks["poll-group.fifo"] == 2)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    thread.join(timeout=20)

    assert [m["Body"] for m in got["messages"]] == ["second"] and got["seconds"] < 5


def test_a_part_objects_body_and_answer_never_go_through_a_temporary_file(
        clients: Clients, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the server counting the temporary files it buffers a request or an answer in
    files: list[object] = []
    newfile = TempfileBasedBuffer.newfile

    def counted(self: TempfileBasedBuffer) -> Any:
        files.append(self)
        return newfile(self)

    monkeypatch.setattr(TempfileBasedBuffer, "newfile", counted)
    s3 = clients.s3
    s3.create_bucket(Bucket="in-memory")
    body = os.urandom(7 * MB)  # a group of ten 500-row parts of the generated leads file

    # WHEN an object that size is put and got back whole and by range
    s3.put_object(Bucket="in-memory", Key="parts", Body=body)
    whole = s3.get_object(Bucket="in-memory", Key="parts")["Body"].read()
    span = s3.get_object(Bucket="in-memory", Key="parts", Range="bytes=1000-3000999")["Body"].read()

    # THEN the same bytes come back, and no temporary file was made for them
    assert whole == body and span == body[1000:3001000]
    assert files == []
