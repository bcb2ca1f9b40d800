"""The emulator's SQS sends a message without counting its queue (``moto_fixes``): moto computed
every attribute of the queue for each message sent, the three message counts among them (each a
scan of the queue), to read whether the queue deduplicates by content. What a client sees is the
same: the counts afterwards, FIFO deduplication and its refusals."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.sqs.models import Message

from chalicelib.clients import get_clients
from tests.conftest import Aws


@pytest.fixture
def sqs(aws: Aws) -> Any:
    return get_clients().sqs


def _counts(sqs: Any, url: str) -> dict[str, str]:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
             "ApproximateNumberOfMessagesDelayed"]
    answer: dict[str, str] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return answer


def _watched(watched: property, looked: list[str]) -> property:
    """A message's property that notes each look at it."""

    def get(message: Message) -> Any:
        looked.append(message.id)
        return watched.fget(message)  # type: ignore[misc]

    return property(get)


def test_a_send_looks_at_no_message_of_a_full_queue_and_the_counts_stay_right(
        sqs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a queue holding 300 messages, 10 of them received (in flight), 10 delayed
    url = sqs.create_queue(QueueName="sends-full")["QueueUrl"]
    for start in range(0, 290, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": f"m{start + n}"}
                                                      for n in range(10)])
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": str(n), "MessageBody": "later", "DelaySeconds": 60} for n in range(10)])
    taken = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60)["Messages"]
    assert len(taken) == 10
    looked: list[str] = []
    for name in ("visible", "delayed"):
        monkeypatch.setattr(Message, name, _watched(getattr(Message, name), looked))

    # WHEN ten more are sent in one batch
    sent = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": f"new{n}"}
                                                         for n in range(10)])

    # THEN no message of the queue was looked at (moto looked at each one three times a message
    # sent: 9,000 times), and the counts are what they are
    assert len(sent["Successful"]) == 10 and looked == []
    assert _counts(sqs, url) == {"ApproximateNumberOfMessages": "290",
                                 "ApproximateNumberOfMessagesNotVisible": "10",
                                 "ApproximateNumberOfMessagesDelayed": "10"}


def test_a_fifo_queue_still_deduplicates_by_content_and_refuses_what_it_refused(sqs: Any) -> None:
    by_content = sqs.create_queue(QueueName="sends-content.fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    for _ in range(3):
        sqs.send_message(QueueUrl=by_content, MessageBody="same", MessageGroupId="g")
    assert _counts(sqs, by_content)["ApproximateNumberOfMessages"] == "1"

    by_id = sqs.create_queue(QueueName="sends-id.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    with pytest.raises(ClientError) as refused:
        sqs.send_message(QueueUrl=by_id, MessageBody="no id", MessageGroupId="g")
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(ClientError) as missing:
        sqs.send_message(QueueUrl=by_id, MessageBody="no group", MessageDeduplicationId="d")
    assert missing.value.response["Error"]["Code"] == "MissingParameter"
