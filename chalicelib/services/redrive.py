"""The tick's re-drive of dead-lettered messages: back to their queue, or given up after the limit.

A message lands in a DLQ after ``max_receive_count`` failed receives. The tick sends it back
(``redrives`` + 1) up to ``redrive_limit`` times, for faults that pass (throttling, a deploy, a
vendor down for an hour); then it gives up on it with the reason its handler noted
(``services/failures.py``; ``services/giving_up.py`` says what giving up means for each).
A message whose work is already done or whose batch ended is dropped. Sending back before
deleting means a tick that dies in between leaves a duplicate, never a loss. A message that
cannot be handled now (its queue throttled) stays in the DLQ for a later tick, one nothing can
read is dropped: neither stops the tick's other work.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from chalicelib import topology
from chalicelib.domain.messages import ChunkMessage, FinalizeMessage, SplitRequest
from chalicelib.domain.models import TERMINAL_STATUSES
from chalicelib.keys import upload_ids
from chalicelib.observability import logger, metrics
from chalicelib.services.failures import finalize_subject, noted_failure, part_subject, split_subject
from chalicelib.services.giving_up import fail_batch, fail_unfinalized, give_up_part
from chalicelib.services.ports import Ports

_PER_TICK = 100  # messages a tick takes off one DLQ at most; the next tick takes the rest
_HIDE_SECONDS = 60  # a tick that dies with a message lets it come back to the DLQ after this
Outcome = str  # "redriven", "given_up", "dropped" (or "unfixed": it stays for the next tick)


def redrive_dead_letters(ports: Ports) -> dict[str, list[str]]:
    """Re-drive or give up every dead-lettered message (up to a bound per tick); what was done."""
    report: dict[str, list[str]] = {"redriven": [], "given_up": [], "dropped": [], "unfixed": []}
    for spec, handle in ((topology.INGEST, _split), (topology.WORK, _part),
                         (topology.ADVANCED_WORK, _part), (topology.FINALIZE, _finalize),
                         (topology.DELIVER, _deliver)):
        dlq = ports.settings.name(spec.dlq_name)
        for _ in range(_PER_TICK // 10):
            received = ports.queue.receive(dlq, _HIDE_SECONDS)
            for message in received:
                outcome, what = _handled(ports, handle, message.body)
                if outcome != "unfixed":
                    ports.queue.delete(dlq, [message.receipt])
                report[outcome].append(what)
                if outcome in ("redriven", "given_up"):
                    metrics.count("MessagesRedriven" if outcome == "redriven" else "MessagesGivenUp",
                                  queue=spec.name)
            if not received:
                break
    if any(report.values()):
        logger.info("dead letters", extra=report)
    return report


def _handled(ports: Ports, handle: Callable[[Ports, str], tuple[Outcome, str]],
             body: str) -> tuple[Outcome, str]:
    """The outcome for one dead letter: one no handler can read is dropped (it never will be);
    one that cannot be handled now stays in the DLQ for a later tick, never stopping this one."""
    try:
        return handle(ports, body)
    except ValueError:  # not JSON, or not the queue's message model
        logger.exception("dropped an unreadable dead letter")  # never its body: rows are data
        return "dropped", "an unreadable message"
    except Exception:
        logger.exception("could not re-drive a dead letter; the next tick tries again")
        return "unfixed", "a dead letter"


def _attempts(spec: topology.QueueSpec, redrives: int) -> int:
    return (redrives + 1) * spec.max_receive_count


def _again(ports: Ports, spec: topology.QueueSpec, body: str) -> None:
    """Send a message back to its queue, counting the re-drive in its body."""
    payload = json.loads(body)
    payload["redrives"] = int(payload.get("redrives", 0)) + 1
    ports.queue.send(ports.queue_name(spec), [json.dumps(payload)])


def _reason(ports: Ports, subject: str) -> str:
    return noted_failure(ports, subject) or "no error was recorded"


def _part(ports: Ports, body: str) -> tuple[Outcome, str]:
    message = ChunkMessage.model_validate_json(body)
    what = f"{message.batch_id}#{message.chunk}#{message.part}"
    batch = ports.batches.get(message.tenant_id, message.batch_id)
    if batch is None or batch.status in TERMINAL_STATUSES:
        return "dropped", what
    if message.redrives < ports.settings.redrive_limit:
        _again(ports, topology.work_queue(batch.mode), body)  # its mode's queue, whichever DLQ
        return "redriven", what
    tries = _attempts(topology.work_queue(batch.mode), message.redrives)
    give_up_part(ports, message, f"{tries} attempts; {_reason(ports, part_subject(message))}")
    return "given_up", what


def _split(ports: Ports, body: str) -> tuple[Outcome, str]:
    request = SplitRequest.from_body(body)
    keys = [record.get("s3", {}).get("object", {}).get("key", "")
            for record in json.loads(body).get("Records", [])]
    ids = [found for found in map(upload_ids, keys) if found is not None]
    if not ids:
        return "dropped", "not a batch upload"
    tenant_id, batch_id = ids[0]
    batch = ports.batches.get(tenant_id, batch_id)
    if batch is None or batch.status in TERMINAL_STATUSES or (
            batch.chunks_total is not None and request.only is None):
        return "dropped", batch_id
    if request.redrives < ports.settings.redrive_limit:
        _again(ports, topology.INGEST, body)
        return "redriven", batch_id
    tries = _attempts(topology.INGEST, request.redrives)
    fail_batch(ports, tenant_id, batch_id, f"The file could not be split ({tries} attempts: "
               f"{_reason(ports, split_subject(batch_id))}). Nothing was charged; create the "
               "batch again once the cause is fixed.")
    return "given_up", batch_id


def _finalize(ports: Ports, body: str) -> tuple[Outcome, str]:
    message = FinalizeMessage.model_validate_json(body)
    batch = ports.batches.get(message.tenant_id, message.batch_id)
    if batch is None or batch.finished_at is not None:
        return "dropped", message.batch_id
    if message.redrives < ports.settings.redrive_limit:
        _again(ports, topology.FINALIZE, body)
        return "redriven", message.batch_id
    tries = _attempts(topology.FINALIZE, message.redrives)
    fail_unfinalized(ports, message.tenant_id, message.batch_id,
                     f"The results files could not be written ({tries} attempts: "
                     f"{_reason(ports, finalize_subject(message.batch_id))}). Every settled row "
                     "and its charge stay as they are.")
    return "given_up", message.batch_id


def _deliver(ports: Ports, body: str) -> tuple[Outcome, str]:
    """A webhook message: back to its queue up to the limit (fan-out and attempts are idempotent).

    Given up, a fan-out's mark stays (the tick fans it out again later); an attempt's delivery
    stays ``pending`` in the log, where the customer can re-send it.
    """
    payload = json.loads(body)
    what = str(payload.get("delivery_id") or payload.get("batch_id") or payload.get("tenant_id"))
    if int(payload.get("redrives", 0)) < ports.settings.redrive_limit:
        _again(ports, topology.DELIVER, body)
        return "redriven", what
    logger.warning("webhook message given up", extra={"subject": what})
    return "given_up", what
