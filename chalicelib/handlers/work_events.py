"""The work function: chunk parts -> enriched, stored, settled; a partial batch response."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from chalice.app import SQSEvent
from pydantic import ValidationError

from chalicelib.domain.enrich.phone import keep_patterns
from chalicelib.domain.messages import ChunkMessage
from chalicelib.domain.models import Mode
from chalicelib.handlers.heap import settle_heap
from chalicelib.handlers.sqs_batches import partial, seconds_left
from chalicelib.observability import logger
from chalicelib.services.failures import noting_failures, part_subject
from chalicelib.services.invocation import Invocation
from chalicelib.services.ports import get_ports
from chalicelib.services.working import work_chunk

# What the work function has loaded by now (the enrichers and their data: phonenumbers' geocoder
# alone is ~290,000 prefixes) lives as long as its sandbox. Frozen, it is left out of every full
# garbage collection, each of which walked it again (~0.1 s; about two per 10,000 rows); and a
# part's live rows no longer set off collections every 700 containers (handlers/heap.py).
settle_heap()
# phonenumbers' patterns compiled once for the sandbox's life, not looked up in (and dropped
# from) the re module's cache for every number (domain/enrich/phone.py).
keep_patterns()


def _work_records(invocation: Invocation, messages: dict[str, ChunkMessage]) -> Callable[[SQSRecord], None]:
    def work_record(record: SQSRecord) -> None:
        ports = get_ports()
        started = time.perf_counter()
        message = messages.get(record.message_id) or ChunkMessage.model_validate_json(record.body)
        with noting_failures(ports, part_subject(message)):
            outcome = work_chunk(ports, message, uuid.uuid4().hex[:16], invocation)
        logger.info("chunk worked", extra={
            "outcome": outcome, "duration_ms": round((time.perf_counter() - started) * 1000, 1)})

    return work_record


def _messages(records: list[dict[str, Any]]) -> dict[str, ChunkMessage]:
    """Each record's chunk message by message id, parsed once for the invocation (a 500-row
    body costs ~15 µs a row to parse); a body that does not parse is left out, for its record's
    own handling to report."""
    parsed: dict[str, ChunkMessage] = {}
    for record in records:
        try:
            parsed[str(record["messageId"])] = ChunkMessage.model_validate_json(record["body"])
        except ValidationError:
            continue
    return parsed


def _advanced(invocation: Invocation, messages: dict[str, ChunkMessage]) -> bool:
    """True when a part of the invocation belongs to an advanced-mode batch."""
    for message in messages.values():
        try:
            batch = invocation.batch(message.tenant_id, message.batch_id)
        except Exception:  # the record's own handling reports what is wrong with it
            continue
        if batch is not None and batch.mode is Mode.ADVANCED:
            return True
    return False


def handle_work(event: SQSEvent) -> dict[str, Any]:
    """Work every chunk part in a work-queue batch; failures are reported per message.

    The parts share one read of each batch and tenant, and one finalize check per batch at the
    end (if that check fails, the whole batch is retried: its parts are found settled and the
    check runs again). Parts worked one after another settle together where they can
    (``services/settle_group.py``): a held part whose settlement then fails is reported failed.
    """
    invocation = Invocation(get_ports(), seconds_left(event.context))
    try:
        messages = _messages(event.to_dict()["Records"])
        at_once = 1
        if _advanced(invocation, messages):
            # advanced-mode parts wait on vendors: one part's last calls, its storing and settling
            # and the next part's start overlap another part's calls (``work_parts_at_once``),
            # and each settles as soon as it is done (its vendor calls are paid for)
            at_once = min(get_ports().settings.work_parts_at_once, len(messages))
        else:  # basic-mode parts are CPU work, one after another, settled together
            invocation.hold_parts()
        return partial(event, _work_records(invocation, messages), at_once,
                       lambda: _ids(messages, invocation.held_failures()))
    finally:  # the parts that settled may complete their batch even when a neighbour failed
        invocation.finish()


def _ids(messages: dict[str, ChunkMessage], failed: list[ChunkMessage]) -> list[str]:
    """The message ids of these parts' records."""
    return [message_id for message_id, message in messages.items()
            if any(message is one for one in failed)]
