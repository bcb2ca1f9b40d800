"""What every queue-fed function shares: each record run inside its message's ids, the partial
batch response, the invocation's time left. (The heartbeat is a middleware, ``heartbeat.kept_alive``,
registered in ``app.py``: it starts before anything here.)

Each event function has a module of its own (``split_events``, ``work_events``,
``finalize_events``, ``deliver_events``, ``tick_events``), imported by its entry point in
``app.py`` on its first invocation: a function loads its own step's code only (the cold starts
are in docs/performance.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from chalice.app import SQSEvent

from chalicelib.observability import correlated, logger
from chalicelib.services.ports import get_ports

RecordHandler = Callable[[SQSRecord], None]


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


def _logged(handler: RecordHandler) -> RecordHandler:
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


def partial(event: SQSEvent, handler: RecordHandler, at_once: int = 1,
            later: Callable[[], list[str]] | None = None) -> dict[str, Any]:
    """Run every record (``at_once`` of them side by side); failures never end as a deleted message.

    The answer is a partial batch response (``batchItemFailures``). A batch whose every record
    failed raises, so Lambda retries it even where the event source mapping does not read
    ``batchItemFailures``. Without the setting ``partial_batch_responses`` (infra/ turns it on
    with ``ReportBatchItemFailures``), any failed record raises too: Lambda would otherwise
    delete the whole batch, failures included; the records that succeeded are safe to run again.
    ``later`` finishes what the records left for after the last of them (the work function's
    parts settled together) and names the message ids of those that failed then.
    """
    ports = get_ports()
    records = event.to_dict()["Records"]
    failed = _failed_records(records, _logged(handler), at_once)
    if later is not None:
        failed += [{"itemIdentifier": message_id} for message_id in later()
                   if {"itemIdentifier": message_id} not in failed]
    if failed and len(failed) == len(records):
        raise RecordsFailed(f"all {len(records)} records failed")
    if failed and not ports.settings.partial_batch_responses:
        raise RecordsFailed(f"{len(failed)} of {len(records)} records failed")
    return {"batchItemFailures": failed}


def _failed_records(records: list[dict[str, Any]], handler: RecordHandler,
                    at_once: int) -> list[dict[str, str]]:
    """Run the records, one after another or ``at_once`` at a time (each in a copy of the
    invocation's context: its ids, its metrics); the failed ones as ``batchItemFailures`` name
    them. (Powertools' batch utility does the same for one at a time; importing it cost every
    event function ~80-190 ms of its cold start.)"""

    def succeeded(record: dict[str, Any]) -> bool:
        try:
            handler(SQSRecord(record))
        except Exception:  # logged by the handler; the record is reported failed
            return False
        return True

    if at_once > 1:
        with ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="part") as pool:
            running = [pool.submit(copy_context().run, succeeded, record) for record in records]
            outcomes = [one.result() for one in running]
    else:
        outcomes = [succeeded(record) for record in records]
    return [{"itemIdentifier": str(record["messageId"])}
            for record, ok in zip(records, outcomes, strict=True) if not ok]


def seconds_left(context: Any) -> Callable[[], float] | None:
    """The invocation's time left, in seconds, from Lambda's context (None without one)."""
    millis = getattr(context, "get_remaining_time_in_millis", None)
    return None if millis is None else lambda: float(millis()) / 1000
