"""The local runtime: the declared queues drive the same handlers Lambda would, with the same events.

Each queue of the declaration gets pollers that receive up to ``batch_size`` messages, build
the SQS event Lambda builds, call the handler named in the declaration, delete what succeeded,
and leave what the partial batch response (or a crash) reports failed to be redelivered;
SQS's own redrive moves a message to the DLQ after ``max_receive_count`` receives.
"""

from __future__ import annotations

import importlib
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib import topology
from chalicelib.clients import get_clients, reset_clients
from chalicelib.local.emulator import Emulator
from chalicelib.local.provision import provision
from chalicelib.services.ports import reset_ports
from chalicelib.settings import get_settings

logger = Logger(service="batch-enrich-local")
_MIN_WAIT, _MAX_WAIT = 0.02, 0.5  # seconds between empty polls
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


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
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


class LocalRuntime:
    """Emulator + provisioned resources + pollers feeding the handlers declared in topology."""

    def __init__(self, work_concurrency: int = 2, retry_delay: int = 1,
                 environment: dict[str, str] | None = None, app_module: str = "app") -> None:
        self.emulator = Emulator()
        self._concurrency = {topology.WORK.name: work_concurrency}
        self._retry_delay = retry_delay
        self._extra_env = environment or {}
        self._app_module = app_module
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._busy = 0
        self._busy_lock = threading.Lock()
        self.queue_urls: dict[str, str] = {}

    def start(self) -> LocalRuntime:
        """Start the emulator, point this process at it, provision, start the pollers."""
        self.emulator.start()
        os.environ.update(self.emulator.environment())
        os.environ.update(self._extra_env)
        reset_clients()
        reset_ports()
        self.queue_urls = provision(get_clients(), get_settings())
        app = importlib.import_module(self._app_module)
        for spec in topology.QUEUES:
            handler = getattr(app, spec.handler)
            for n in range(self._concurrency.get(spec.name, 1)):
                thread = threading.Thread(target=self._poll, args=(spec, handler), daemon=True,
                                          name=f"poll-{spec.name}-{n}")
                thread.start()
                self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop the pollers (after their current batch) and the emulator."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        self.emulator.stop()

    def _poll(self, spec: topology.QueueSpec, handler: Handler) -> None:
        sqs = get_clients().sqs
        url = self.queue_urls[spec.name]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        queue_arn = arn["Attributes"]["QueueArn"]
        idle_wait = _MIN_WAIT
        while not self._stop.is_set():
            # Short polls with a client-side back-off: a long poll would hold the emulator's lock.
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=spec.batch_size,
                                      WaitTimeSeconds=0, VisibilityTimeout=spec.visibility_timeout,
                                      MessageSystemAttributeNames=["All"])
            messages: list[Any] = list(got.get("Messages", []))
            if messages:
                idle_wait = _MIN_WAIT
                self._deliver(spec, handler, url, queue_arn, messages)
            else:
                self._stop.wait(idle_wait)
                idle_wait = min(idle_wait * 2, _MAX_WAIT)

    def _deliver(self, spec: topology.QueueSpec, handler: Handler, url: str, queue_arn: str,
                 messages: list[dict[str, Any]]) -> None:
        sqs = get_clients().sqs
        with self._busy_lock:
            self._busy += 1
        try:
            event = sqs_event(messages, queue_arn, get_settings().region)
            context = LambdaContext(function_name=spec.handler, timeout_seconds=spec.function_timeout)
            try:
                answer = handler(event, context) or {}
                failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
            except Exception:  # a crashed invocation fails the whole batch, as on Lambda
                logger.exception("handler crashed", extra={"handler": spec.handler})
                failed = {m["MessageId"] for m in messages}
            done = [m for m in messages if m["MessageId"] not in failed]
            for start in range(0, len(done), 10):
                entries = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                           for n, m in enumerate(done[start:start + 10])]
                sqs.delete_message_batch(QueueUrl=url, Entries=entries)  # type: ignore[arg-type]
            for m in messages:
                if m["MessageId"] in failed:  # redeliver after the retry delay, not 6 minutes
                    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"],
                                                  VisibilityTimeout=self._retry_delay)
        finally:
            with self._busy_lock:
                self._busy -= 1

    def idle(self) -> bool:
        """True when no handler runs and every queue is empty (visible and in flight)."""
        with self._busy_lock:
            if self._busy:
                return False
        sqs = get_clients().sqs
        for spec in topology.QUEUES:
            attrs = sqs.get_queue_attributes(
                QueueUrl=self.queue_urls[spec.name],
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            if any(int(count) for count in attrs.values()):
                return False
        return True
