"""SQS adapter: send message bodies in batches of ten, resolving queue URLs once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

SEND_BATCH = 10  # SendMessageBatch takes at most ten entries
_RESEND_ATTEMPTS = 5


class QueueSendError(Exception):
    """Some messages could not be sent after retries."""


class MessageQueue:
    """Sends to named queues."""

    def __init__(self, client: SQSClient) -> None:
        self._sqs = client
        self._urls: dict[str, str] = {}

    def url(self, name: str) -> str:
        """The URL of a queue by its physical name."""
        if name not in self._urls:
            self._urls[name] = self._sqs.get_queue_url(QueueName=name)["QueueUrl"]
        return self._urls[name]

    def depth(self, name: str) -> int:
        """Messages waiting in a queue (approximate, as SQS reports it)."""
        got = self._sqs.get_queue_attributes(QueueUrl=self.url(name),
                                             AttributeNames=["ApproximateNumberOfMessages"])
        return int(got["Attributes"]["ApproximateNumberOfMessages"])

    def send(self, name: str, bodies: Sequence[str]) -> None:
        """Send every body, ten per request, re-sending entries SQS reports failed."""
        url = self.url(name)
        for start in range(0, len(bodies), SEND_BATCH):
            pending = {str(n): body for n, body in enumerate(bodies[start:start + SEND_BATCH])}
            for _ in range(_RESEND_ATTEMPTS):
                entries = [{"Id": n, "MessageBody": body} for n, body in pending.items()]
                answer = self._sqs.send_message_batch(QueueUrl=url, Entries=entries)  # type: ignore[arg-type]
                pending = {f["Id"]: pending[f["Id"]] for f in answer.get("Failed", [])}
                if not pending:
                    break
            if pending:
                raise QueueSendError(f"{len(pending)} messages to {name} failed to send")
