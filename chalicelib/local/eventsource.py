"""Lambda's SQS event source mapping, locally: a queue's pollers feed the handler declared for it.

Each poller receives up to ``batch_size`` messages, builds the SQS event Lambda builds, calls
the handler named in the declaration, deletes what succeeded and leaves what the partial batch
response (or a crash) reports failed to be redelivered; SQS's redrive moves a message to the
DLQ after ``max_receive_count`` receives.
"""

from __future__ import annotations

import importlib
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalicelib import topology
from chalicelib.clients import get_clients
from chalicelib.handlers.heartbeat import RECEIVED_HIDDEN
from chalicelib.observability import correlated
from chalicelib.observability import local_logger as logger
from chalicelib.services.ports import get_ports
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

_MIN_WAIT = 0.02  # seconds after a failed poll
_LONG_POLL_SECONDS = 1  # an idle poller's wait for a message (Lambda's wait 20 s; the runtime stops sooner)
Handler = Callable[[dict[str, Any], Any], Any]


class Busy:
    """How many handler invocations are running in this process."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        with self._lock:
            self._count += 1

    def __exit__(self, *_: object) -> None:
        with self._lock:
            self._count -= 1

    def __bool__(self) -> bool:
        with self._lock:
            return self._count > 0


@dataclass
class LambdaContext:
    """The parts of Lambda's context object handlers and Powertools read."""

    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = ""
    timeout_seconds: int = 60
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the timeout, counted from the invocation's start (as on
        Lambda; locally nothing kills the invocation when it reaches 0)."""
        return max(0, int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000))


def sqs_event(messages: list[Any], queue_arn: str, region: str, hidden: int = 0) -> dict[str, Any]:
    """The event Lambda's SQS poller hands a function for these received messages (``hidden``:
    the seconds the receive hid them for, told to the heartbeat in each record's attributes)."""
    told = {RECEIVED_HIDDEN: str(hidden)} if hidden else {}
    return {"Records": [
        {
            "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
            "attributes": {**m.get("Attributes", {}), **told}, "messageAttributes": {},
            "md5OfBody": m.get("MD5OfBody", ""), "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn, "awsRegion": region,
        }
        for m in messages
    ]}


@dataclass
class Timings:
    """How long a mapping's invocations ran, against the function's timeout (nothing kills an
    invocation locally, so this is where one that would have been killed on Lambda shows)."""

    invocations: int = 0
    longest_seconds: float = 0.0
    over_timeout: int = 0

    def add(self, seconds: float, timeout: float) -> None:
        """Count one invocation that ran ``seconds``."""
        self.invocations += 1
        self.longest_seconds = max(self.longest_seconds, seconds)
        if seconds > timeout:
            self.over_timeout += 1
            logger.warning("invocation ran over its timeout", extra={"seconds": round(seconds, 1),
                                                                      "timeout": timeout})

    def reset(self) -> None:
        """Start counting again."""
        self.invocations, self.longest_seconds, self.over_timeout = 0, 0.0, 0

    @staticmethod
    def summed(timings: list[Timings]) -> Timings:
        """Several mappings' timings as one (the work queues' in one worker process)."""
        return Timings(sum(t.invocations for t in timings),
                       max((t.longest_seconds for t in timings), default=0.0),
                       sum(t.over_timeout for t in timings))


class EventSourceMapping:
    """One queue feeding one handler, as Lambda's SQS event source mapping does."""

    def __init__(self, sqs: SQSClient, spec: topology.QueueSpec, handler: Handler, url: str,
                 retry_delay: int) -> None:
        self.spec = spec
        self._sqs = sqs
        self._handler = handler
        self._url = url
        self._retry_delay = retry_delay
        # Lambda's mapping setting ReportBatchItemFailures (infra/ turns it on). Without it a
        # batch whose invocation returns is deleted whole, whatever the answer says.
        self.report_batch_item_failures = True
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        self._arn = arn["Attributes"]["QueueArn"]
        self.timings = Timings()

    def poll_once(self, wait_seconds: int = 0, busy: Busy | None = None) -> int:
        """Receive one batch (waiting up to ``wait_seconds`` for a message: a long poll) and
        deliver it (``busy`` while it does); returns how many messages it held."""
        hidden = self._receive_visibility()
        got = self._sqs.receive_message(
            QueueUrl=self._url, MaxNumberOfMessages=self.spec.batch_size, WaitTimeSeconds=wait_seconds,
            VisibilityTimeout=hidden, MessageSystemAttributeNames=["All"],
        )
        messages: list[Any] = list(got.get("Messages", []))
        if messages:
            with busy or Busy():
                self._deliver(messages, hidden)
        return len(messages)

    def _receive_visibility(self) -> int:
        """How long a receive hides its messages: the heartbeat's window, which the invocation's
        heartbeat then keeps renewing (``handlers/heartbeat.py``). Lambda's poller receives with
        the queue's visibility timeout and does not die with a sandbox; locally the poller is in
        the worker process, so a worker that dies after a receive and before its heartbeat's
        first beat (or with a long poll still waiting in the emulator, which may yet take
        messages for it) would leave them hidden for the whole timeout (6 minutes for work).
        The records say so (``heartbeat.RECEIVED_HIDDEN``): the heartbeat's first beat would only
        repeat the receive, and comes a third of the window later instead."""
        heartbeat = get_ports().settings.heartbeat_seconds
        timeout = self.spec.visibility_timeout
        return heartbeat if 0 < heartbeat < timeout else timeout

    def _deliver(self, messages: list[Any], hidden: int) -> None:
        event = sqs_event(messages, self._arn, get_ports().settings.region, hidden)
        context = LambdaContext(self.spec.handler, timeout_seconds=self.spec.function_timeout)
        try:
            answer = self._handler(event, context) or {}
            failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])
                      if self.report_batch_item_failures}
        except Exception:  # a crashed invocation fails the whole batch, as on Lambda
            with correlated(function_request_id=context.aws_request_id, function_name=context.function_name):
                logger.exception("handler crashed", extra={"handler": self.spec.handler})
            failed = {m["MessageId"] for m in messages}
        self.timings.add(time.monotonic() - context.started, self.spec.function_timeout)
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            entries: Any = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                            for n, m in enumerate(done[start:start + 10])]
            self._sqs.delete_message_batch(QueueUrl=self._url, Entries=entries)
        for m in messages:
            if m["MessageId"] in failed:  # redelivered after the retry delay, not 6 minutes
                self._sqs.change_message_visibility(QueueUrl=self._url,
                                                    ReceiptHandle=m["ReceiptHandle"],
                                                    VisibilityTimeout=self._retry_delay)

    def outstanding(self) -> int:
        """Messages in the queue, visible or in flight."""
        attrs = self._sqs.get_queue_attributes(
            QueueUrl=self._url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(count) for count in attrs.values())


@dataclass(frozen=True)
class QueueState:
    """What one queue holds: messages waiting, in flight (received, not deleted), dead-lettered."""

    name: str
    visible: int
    in_flight: int
    dead: int


def queue_state(sqs: SQSClient, spec: topology.QueueSpec) -> QueueState:
    """A declared queue's messages now (SQS's approximate counts), and its DLQ's."""
    settings = get_settings()
    urls = [sqs.get_queue_url(QueueName=settings.name(name))["QueueUrl"]
            for name in (spec.name, spec.dlq_name)]
    queue = sqs.get_queue_attributes(QueueUrl=urls[0], AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    dead = sqs.get_queue_attributes(QueueUrl=urls[1],
                                    AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return QueueState(spec.name, int(queue["ApproximateNumberOfMessages"]),
                      int(queue["ApproximateNumberOfMessagesNotVisible"]),
                      int(dead["ApproximateNumberOfMessages"]))


def mappings(app_module: str = "app", retry_delay: int = 1) -> list[EventSourceMapping]:
    """An event source mapping for every declared queue, bound to its handler in ``app``."""
    app = importlib.import_module(app_module)
    sqs = get_clients().sqs
    settings = get_settings()
    return [
        EventSourceMapping(sqs, spec, getattr(app, spec.handler),
                           sqs.get_queue_url(QueueName=settings.name(spec.name))["QueueUrl"],
                           retry_delay)
        for spec in topology.QUEUES
    ]


def poll_until(mapping: EventSourceMapping, stop: threading.Event, busy: Busy | None = None) -> None:
    """Poll and deliver until ``stop`` is set: while the queue is empty, a long poll (as Lambda's
    pollers do; the emulator answers it from outside its lock), so a message sent is taken at
    once and an idle queue costs a request a second. ``busy`` while a batch is delivered (a
    message received is in flight, so ``LocalRuntime.idle`` sees it from the receive on)."""
    got = 1
    while not stop.is_set():
        try:
            got = mapping.poll_once(0 if got else _LONG_POLL_SECONDS, busy)
        except Exception:  # a poller outlives a failed poll, as Lambda's does
            if stop.is_set():
                return
            logger.exception("poll failed", extra={"queue": mapping.spec.name})
            got = 0
            stop.wait(_MIN_WAIT)
