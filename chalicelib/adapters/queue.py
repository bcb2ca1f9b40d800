"""SQS adapter: send message bodies in batches of ten, take them off, resolving queue URLs once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from chalicelib.ports.queue import SEND_BATCH, Received

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

_RESEND_ATTEMPTS = 5


class QueueSendError(Exception):
    """Some messages could not be sent after retries."""


class MessageQueue:
    """The Queue port on SQS: queue URLs resolved once per name."""

    def __init__(self, client: SQSClient) -> None:
        self._sqs = client
        self._urls: dict[str, str] = {}

    def _url(self, name: str) -> str:
        """The URL of a queue by its physical name."""
        if name not in self._urls:
            self._urls[name] = self._sqs.get_queue_url(QueueName=name)["QueueUrl"]
        return self._urls[name]

    def depth(self, name: str) -> int:
        """Messages waiting in a queue (approximate, as SQS reports it)."""
        got = self._sqs.get_queue_attributes(QueueUrl=self._url(name),
                                             AttributeNames=["ApproximateNumberOfMessages"])
        return int(got["Attributes"]["ApproximateNumberOfMessages"])

    def send(self, name: str, bodies: Sequence[str], delay_seconds: int = 0) -> None:
        """Send every body, ten per request, re-sending entries SQS reports failed.

        ``delay_seconds`` (at most 900, SQS's limit) keeps them invisible that long.
        """
        delay = {"DelaySeconds": delay_seconds} if delay_seconds else {}
        url = self._url(name)
        for start in range(0, len(bodies), SEND_BATCH):
            pending = {str(n): body for n, body in enumerate(bodies[start:start + SEND_BATCH])}
            for _ in range(_RESEND_ATTEMPTS):
                entries = [{"Id": n, "MessageBody": body, **delay} for n, body in pending.items()]
                answer = self._sqs.send_message_batch(QueueUrl=url, Entries=entries)  # type: ignore[arg-type]
                pending = {f["Id"]: pending[f["Id"]] for f in answer.get("Failed", [])}
                if not pending:
                    break
            if pending:
                raise QueueSendError(f"{len(pending)} messages to {name} failed to send")

    def receive(self, name: str, visibility_timeout: int, most: int = SEND_BATCH) -> list[Received]:
        """Up to ``most`` (at most ten) visible messages, hidden for ``visibility_timeout`` seconds."""
        got = self._sqs.receive_message(QueueUrl=self._url(name), MaxNumberOfMessages=most,
                                        VisibilityTimeout=visibility_timeout, WaitTimeSeconds=0)
        return [Received(m["Body"], m["ReceiptHandle"]) for m in got.get("Messages", [])]

    def delete(self, name: str, receipts: Sequence[str]) -> None:
        """Delete received messages by their receipts, ten per request."""
        url = self._url(name)
        for start in range(0, len(receipts), SEND_BATCH):
            entries = [{"Id": str(n), "ReceiptHandle": receipt}
                       for n, receipt in enumerate(receipts[start:start + SEND_BATCH])]
            self._sqs.delete_message_batch(QueueUrl=url, Entries=entries)  # type: ignore[arg-type]

    def hide(self, name: str, receipts: Sequence[str], seconds: int) -> None:
        """Keep received messages invisible for ``seconds`` from now (a heartbeat's extension).

        A receipt that is no longer valid (its message was deleted, or received again by
        someone else after its visibility lapsed) is skipped: that message is not ours to keep.
        """
        url = self._url(name)
        for start in range(0, len(receipts), SEND_BATCH):
            entries = [{"Id": str(n), "ReceiptHandle": receipt, "VisibilityTimeout": seconds}
                       for n, receipt in enumerate(receipts[start:start + SEND_BATCH])]
            self._sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)  # type: ignore[arg-type]
