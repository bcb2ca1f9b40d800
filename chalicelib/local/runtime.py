"""The local runtime: the declared queues drive the same handlers Lambda would, with the same events.

Each queue of the declaration gets an event source mapping whose pollers receive up to
``batch_size`` messages, build the SQS event Lambda builds, call the handler named in the
declaration, delete what succeeded and leave what the partial batch response (or a crash)
reports failed to be redelivered; SQS's redrive moves a message to the DLQ after
``max_receive_count`` receives.
"""

from __future__ import annotations

import importlib
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from chalicelib import topology
from chalicelib.clients import get_clients, reset_clients
from chalicelib.local.emulator import Emulator
from chalicelib.local.provision import provision
from chalicelib.services.ports import reset_ports
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

logger = Logger(service="batch-enrich-local")
_MIN_WAIT, _MAX_WAIT = 0.02, 0.5  # seconds between empty polls
# moto's SQS rescans every message on each request: keep the work queue short locally.
_QUEUED_CHUNKS = 40
Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LambdaContext:
    """The parts of Lambda's context object handlers and Powertools read."""

    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = ""
    timeout_seconds: int = 60

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left (locally: the whole timeout)."""
        return self.timeout_seconds * 1000


def sqs_event(messages: list[Any], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS poller hands a function for these received messages."""
    return {"Records": [
        {
            "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
            "attributes": m.get("Attributes", {}), "messageAttributes": {},
            "md5OfBody": m.get("MD5OfBody", ""), "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn, "awsRegion": region,
        }
        for m in messages
    ]}


class EventSourceMapping:
    """One queue feeding one handler, as Lambda's SQS event source mapping does."""

    def __init__(self, sqs: SQSClient, spec: topology.QueueSpec, handler: Handler, url: str,
                 retry_delay: int) -> None:
        self.spec = spec
        self._sqs = sqs
        self._handler = handler
        self._url = url
        self._retry_delay = retry_delay
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        self._arn = arn["Attributes"]["QueueArn"]

    def poll_once(self) -> int:
        """Receive one batch and deliver it; returns how many messages it held."""
        # A short poll: a long poll would hold the emulator's one-request-at-a-time lock.
        got = self._sqs.receive_message(
            QueueUrl=self._url, MaxNumberOfMessages=self.spec.batch_size, WaitTimeSeconds=0,
            VisibilityTimeout=self.spec.visibility_timeout, MessageSystemAttributeNames=["All"],
        )
        messages: list[Any] = list(got.get("Messages", []))
        if messages:
            self._deliver(messages)
        return len(messages)

    def _deliver(self, messages: list[Any]) -> None:
        event = sqs_event(messages, self._arn, get_settings().region)
        context = LambdaContext(self.spec.handler, timeout_seconds=self.spec.function_timeout)
        try:
            answer = self._handler(event, context) or {}
            failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
        except Exception:  # a crashed invocation fails the whole batch, as on Lambda
            logger.exception("handler crashed", extra={"handler": self.spec.handler})
            failed = {m["MessageId"] for m in messages}
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


def scheduled_event(spec: topology.ScheduleSpec, region: str, now: str) -> dict[str, Any]:
    """The event EventBridge hands a function on a schedule."""
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
        "source": "aws.events", "account": "123456789012", "time": now, "region": region,
        "resources": [f"arn:aws:events:{region}:123456789012:rule/{spec.name}"], "detail": {},
    }


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


class LocalRuntime:
    """Emulator + provisioned resources + pollers feeding the handlers declared in topology."""

    def __init__(self, work_concurrency: int = 2, retry_delay: int = 1,
                 emulator: Emulator | None = None, tick_seconds: float = 10.0) -> None:
        self.emulator = emulator or Emulator()
        self._tick_seconds = tick_seconds  # AWS ticks every minute; locally sooner is friendlier
        self._concurrency = {topology.WORK.name: work_concurrency}
        self._retry_delay = retry_delay
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._busy = 0
        self._busy_lock = threading.Lock()
        self.mappings: list[EventSourceMapping] = []

    def start(self) -> LocalRuntime:
        """Start the emulator, point this process at it, provision, start the pollers."""
        self.emulator.start()
        os.environ.update(self.emulator.environment())
        os.environ.setdefault("BATCH_ENRICH_MAX_QUEUED_CHUNKS", str(_QUEUED_CHUNKS))
        reset_clients()
        reset_ports()
        provision(get_clients(), get_settings())
        self.mappings = mappings(retry_delay=self._retry_delay)
        for mapping in self.mappings:
            for n in range(self._concurrency.get(mapping.spec.name, 1)):
                thread = threading.Thread(target=self._poll, args=(mapping,), daemon=True,
                                          name=f"poll-{mapping.spec.name}-{n}")
                thread.start()
                self._threads.append(thread)
        app = importlib.import_module("app")
        for spec in topology.SCHEDULES:
            thread = threading.Thread(target=self._schedule, args=(spec, getattr(app, spec.handler)),
                                      daemon=True, name=f"schedule-{spec.name}")
            thread.start()
            self._threads.append(thread)
        return self

    def _schedule(self, spec: topology.ScheduleSpec, handler: Handler) -> None:
        while not self._stop.wait(self._tick_seconds):
            with self._busy_lock:
                self._busy += 1
            try:
                now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                handler(scheduled_event(spec, get_settings().region, now), LambdaContext(spec.name))
            except Exception:  # a failed tick is logged; the next one tries again, as on AWS
                logger.exception("scheduled handler failed", extra={"handler": spec.handler})
            finally:
                with self._busy_lock:
                    self._busy -= 1

    def stop(self) -> None:
        """Stop the pollers (after their current batch) and the emulator."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        self.emulator.stop()

    def _poll(self, mapping: EventSourceMapping) -> None:
        wait = _MIN_WAIT
        while not self._stop.is_set():
            with self._busy_lock:
                self._busy += 1
            try:
                got = mapping.poll_once()
            finally:
                with self._busy_lock:
                    self._busy -= 1
            wait = _MIN_WAIT if got else min(wait * 2, _MAX_WAIT)
            if not got:
                self._stop.wait(wait)

    def idle(self) -> bool:
        """True when no handler runs and every queue is empty (visible and in flight)."""
        with self._busy_lock:
            if self._busy:
                return False
        return not any(mapping.outstanding() for mapping in self.mappings)
