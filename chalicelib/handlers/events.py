"""Event handlers: split (S3 events via the ingest queue), work (chunks), finalize."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from chalice.app import CloudWatchEvent, SQSEvent
from pydantic import BaseModel

from chalicelib.domain.models import ChunkMessage, FinalizeMessage, Mode, SplitRequest
from chalicelib.domain.webhook_messages import DeliverMessage, FanOutMessage
from chalicelib.handlers.heartbeat import Heartbeat
from chalicelib.keys import upload_ids
from chalicelib.observability import bind, correlated, current, logger
from chalicelib.services.delivering import attempt_delivery
from chalicelib.services.failures import finalize_subject, noting_failures, part_subject, split_subject
from chalicelib.services.fanning import fan_out
from chalicelib.services.finalizing import finalize_batch
from chalicelib.services.ingesting import ingest
from chalicelib.services.invocation import Invocation
from chalicelib.services.lifecycle import tick
from chalicelib.services.ports import Ports, get_ports
from chalicelib.services.splitting import UploadedObject
from chalicelib.services.working import work_chunk


class _S3Object(BaseModel):
    key: str
    eTag: str = ""


class _S3Bucket(BaseModel):
    name: str


class _S3Entity(BaseModel):
    bucket: _S3Bucket
    object: _S3Object


class _S3Record(BaseModel):
    """Only what split needs of an S3 notification record (moto omits fields AWS sends)."""

    eventName: str
    s3: _S3Entity


def uploaded_objects(body: str) -> list[UploadedObject]:
    """The created objects an S3 notification names (none for ``s3:TestEvent``)."""
    payload = json.loads(body)
    records = [_S3Record.model_validate(r) for r in payload.get("Records", [])]
    return [
        UploadedObject(r.s3.bucket.name, unquote_plus(r.s3.object.key), r.s3.object.eTag)
        for r in records if r.eventName.startswith("ObjectCreated")
    ]


def _split_records(seconds_left: Callable[[], float] | None) -> Callable[[SQSRecord], None]:
    def split_record(record: SQSRecord) -> None:
        ports = get_ports()
        request = SplitRequest.from_body(record.body)
        for obj in uploaded_objects(record.body):
            ids = upload_ids(obj.key)
            with noting_failures(ports, split_subject(ids[1]) if ids else None):
                # a batch's input is split; a dropped file starts one
                ingest(ports, obj, request.only, seconds_left, request.start)

    return split_record


def _work_records(invocation: Invocation) -> Callable[[SQSRecord], None]:
    def work_record(record: SQSRecord) -> None:
        ports = get_ports()
        started = time.perf_counter()
        message = ChunkMessage.model_validate_json(record.body)
        with noting_failures(ports, part_subject(message)):
            outcome = work_chunk(ports, message, uuid.uuid4().hex[:16], invocation)
        logger.info("chunk worked", extra={
            "outcome": outcome, "duration_ms": round((time.perf_counter() - started) * 1000, 1)})

    return work_record


def _finalize_record(record: SQSRecord) -> None:
    ports = get_ports()
    message = FinalizeMessage.model_validate_json(record.body)
    with noting_failures(ports, finalize_subject(message.batch_id)):
        finalize_batch(ports, message.tenant_id, message.batch_id)


def message_ids(body: str) -> dict[str, Any]:
    """The correlation ids a queue message names, read leniently (a body that fails to parse
    is still logged with what it names)."""
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    ids = {key: data[key] for key in ("tenant_id", "batch_id", "request_id")
           if isinstance(data.get(key), str)}
    ids.update({key: data[key] for key in ("chunk", "part") if type(data.get(key)) is int})
    return ids


def deliver_message(ports: Ports, body: str) -> None:
    """One deliver-queue message: fan an event out, or make a delivery attempt."""
    message = DeliverMessage.parse(body)
    if isinstance(message, FanOutMessage):
        fan_out(ports, message.tenant_id, message.batch_id)
    else:
        attempt_delivery(ports, message)


def _deliver_record(record: SQSRecord) -> None:
    deliver_message(get_ports(), record.body)


def _logged(handler: Callable[[SQSRecord], None]) -> Callable[[SQSRecord], None]:
    """Run a record with its message's ids on every log line; log a failure with its traceback
    (the record is reported failed and redelivered)."""

    def run(record: SQSRecord) -> None:
        with correlated(message_id=record.message_id, **message_ids(record.body)):
            try:
                handler(record)
            except Exception:
                logger.exception("record failed")
                raise

    return run


class RecordsFailed(Exception):
    """Some records of a batch failed and the mapping cannot be told which: retry them all."""


def _partial(event: SQSEvent, handler: Callable[[SQSRecord], None], at_once: int = 1) -> dict[str, Any]:
    """Run every record (``at_once`` of them side by side); failures never end as a deleted message.

    A batch whose every record failed raises (Powertools' default), so Lambda retries it even
    where the event source mapping does not read ``batchItemFailures``. Without the setting
    ``partial_batch_responses`` (infra/ turns it on with ``ReportBatchItemFailures``), any failed
    record raises too: Lambda would otherwise delete the whole batch, failures included; the
    records that succeeded are safe to run again.
    """
    ports = get_ports()
    records = event.to_dict()["Records"]
    with Heartbeat(ports.queue, records, ports.settings.heartbeat_seconds):
        if at_once > 1:
            answer = _side_by_side(records, _logged(handler), at_once)
        else:
            answer = dict(process_partial_response(
                event=event.to_dict(), record_handler=_logged(handler),
                processor=BatchProcessor(event_type=EventType.SQS),
                context=event.context))  # type: ignore[arg-type]
    failed = answer.get("batchItemFailures") or []
    if failed and not get_ports().settings.partial_batch_responses:
        raise RecordsFailed(f"{len(failed)} of {len(event.to_dict()['Records'])} records failed")
    return dict(answer)


def _side_by_side(records: list[dict[str, Any]], handler: Callable[[SQSRecord], None],
                  at_once: int) -> dict[str, Any]:
    """Run the records ``at_once`` at a time, each in a copy of the invocation's context (its
    ids, its metrics); the partial batch response as Powertools answers it (raising when every
    record failed)."""

    def succeeded(record: dict[str, Any]) -> bool:
        try:
            handler(SQSRecord(record))
        except Exception:  # logged by the handler; the record is reported failed
            return False
        return True

    with ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="part") as pool:
        running = [pool.submit(copy_context().run, succeeded, record) for record in records]
        outcomes = [one.result() for one in running]
    failed = [{"itemIdentifier": str(record["messageId"])}
              for record, ok in zip(records, outcomes, strict=True) if not ok]
    if failed and len(failed) == len(records):
        raise RecordsFailed(f"all {len(records)} records failed")
    return {"batchItemFailures": failed}


def _parts_at_once(invocation: Invocation, records: list[dict[str, Any]]) -> int:
    """How many chunk parts the invocation runs side by side: advanced-mode parts wait on
    vendors, so one part's last calls, its storing and settling and the next part's start
    overlap another part's calls (``work_parts_at_once``); basic-mode parts are CPU work, one
    after another."""
    for record in records:
        try:
            message = ChunkMessage.model_validate_json(record["body"])
            batch = invocation.batch(message.tenant_id, message.batch_id)
        except Exception:  # the record's own handling reports what is wrong with it
            continue
        if batch is not None and batch.mode is Mode.ADVANCED:
            return min(get_ports().settings.work_parts_at_once, len(records))
    return 1


def handle_tick(event: CloudWatchEvent) -> dict[str, Any]:
    """The scheduled sweep: auto-resume paused batches, finalize batches whose request was lost."""
    del event  # every tick does the same sweep
    bind(request_id=current().get("function_request_id"))  # what a tick starts carries its id
    return dict(tick(get_ports()))


def handle_split(event: SQSEvent) -> dict[str, Any]:
    """Split every uploaded file named by the S3 events in an ingest-queue batch (a big file
    in steps that end before the invocation's deadline)."""
    return _partial(event, _split_records(_seconds_left(event.context)))


def handle_work(event: SQSEvent) -> dict[str, Any]:
    """Work every chunk part in a work-queue batch; failures are reported per message.

    The parts share one read of each batch and tenant, and one finalize check per batch at the
    end (if that check fails, the whole batch is retried: its parts are found settled and the
    check runs again).
    """
    invocation = Invocation(get_ports(), _seconds_left(event.context))
    try:
        records = event.to_dict()["Records"]
        return _partial(event, _work_records(invocation), _parts_at_once(invocation, records))
    finally:  # the parts that settled may complete their batch even when a neighbour failed
        invocation.finish()


def _seconds_left(context: Any) -> Callable[[], float] | None:
    """The invocation's time left, in seconds, from Lambda's context (None without one)."""
    millis = getattr(context, "get_remaining_time_in_millis", None)
    return None if millis is None else lambda: float(millis()) / 1000


def handle_finalize(event: SQSEvent) -> dict[str, Any]:
    """Finalize every batch named in a finalize-queue batch."""
    return _partial(event, _finalize_record)


def handle_deliver(event: SQSEvent) -> dict[str, Any]:
    """Fan out events into webhook deliveries, and make the delivery attempts that are due."""
    return _partial(event, _deliver_record)
