"""work: enrich one part of a chunk, store its results, settle it exactly once."""

from __future__ import annotations

from contextvars import copy_context
from dataclasses import replace

from chalicelib import topology
from chalicelib.domain.billing import (
    PauseReason,
    Settlement,
    park_everything,
    plan_settlement,
    prefix_settlement,
)
from chalicelib.domain.errors import AlreadySettled, BalanceChanged, BatchChanged, SettleConflict
from chalicelib.domain.messages import ChunkMessage
from chalicelib.domain.models import (
    PAUSED_STATUSES,
    TERMINAL_STATUSES,
    Batch,
    BatchStatus,
    BillingKind,
    PartRecord,
    RowResult,
    Tenant,
)
from chalicelib.domain.parts import PartShape, part_shape, rendered_body, rows_body
from chalicelib.keys import part_key
from chalicelib.observability import logger
from chalicelib.ports.settlements import SettleRequest, settles_whole
from chalicelib.services import history
from chalicelib.services.announcing import pause_mark, ring
from chalicelib.services.failing import check_failed_share, stop_reason
from chalicelib.services.invocation import Invocation
from chalicelib.services.outbox import note_status
from chalicelib.services.part_rows import Part, as_pending, enrich_part, load_part, not_processed, worked
from chalicelib.services.ports import Ports
from chalicelib.services.settle_group import Held, SettleGroup

MAX_SETTLE_ATTEMPTS = 12


class SettleGaveUp(Exception):
    """Settling kept conflicting; the message is retried by SQS."""


def work_chunk(ports: Ports, message: ChunkMessage, attempt: str,
               invocation: Invocation | None = None) -> str:
    """Process one chunk part; returns the outcome: settled, parked, duplicate or closed.

    Without an ``invocation`` the part is worked alone (and the finalize check runs at once).
    """
    alone = invocation is None
    seen = invocation or Invocation(ports)
    try:
        return _work(ports, seen, message, attempt)
    finally:
        if alone:
            seen.finish()


def _work(ports: Ports, seen: Invocation, message: ChunkMessage, attempt: str,
          part: Part | None = None, alone: bool = False) -> str:
    """The part worked and settled (``alone``: never held for the invocation's group: it is
    a held part settling by itself after the group's transaction was refused)."""
    group = seen.group_for(message.batch_id, alone)
    batch = _open_batch(seen, message)
    if batch is None:
        return "closed"
    part = part or load_part(ports, message, batch.price)
    for attempt_no in range(MAX_SETTLE_ATTEMPTS):
        if batch.status in (BatchStatus.VALIDATING, BatchStatus.QUEUED):
            batch = seen.remember(_start(ports, batch))
        part = _ready(ports, seen, batch, part, message, attempt, defer=group is not None)
        assert part.key is not None
        tenant = seen.tenant(batch.tenant_id)
        paused = batch.status in PAUSED_STATUSES
        settlement = (park_everything(part.rows, batch.price) if paused
                      else _plan(tenant, batch, part.rows, group))
        handed_on = 0 if paused else len(part.rows) - worked(part.rows)
        request = _request(ports, batch, tenant, part, message, settlement)
        grouped = _grouped(ports, seen, group, part, message, attempt, request, handed_on)
        if grouped:
            return grouped
        part = _put(ports, part)  # its rows stored (under the key its record names) before it settles
        assert part.key is not None
        try:
            ports.settlement.settle(request)
        except AlreadySettled:
            # The winner may have died before asking for finalize: asking again is harmless.
            seen.duplicate(batch)
            return "duplicate"
        except (BalanceChanged, BatchChanged, SettleConflict) as exc:
            fresh = _after_refusal(ports, seen, batch, exc, attempt_no)
            if fresh is None:
                return "closed"
            batch = fresh
            continue
        outcome = _settled(ports, seen, batch, part, request)
        if handed_on and settlement.pause is None:  # out of time, not out of credits
            _hand_on(ports, batch, message, part.key, settlement.settled)
            return "continued"
        return outcome
    raise SettleGaveUp(f"chunk {message.chunk} part {message.part} of {message.batch_id}")


def _open_batch(seen: Invocation, message: ChunkMessage) -> Batch | None:
    """The part's batch as the invocation knows it; None once it closed (or never was)."""
    batch = seen.batch(message.tenant_id, message.batch_id)
    return None if batch is None or batch.status in TERMINAL_STATUSES else batch


def _request(ports: Ports, batch: Batch, tenant: Tenant, part: Part, message: ChunkMessage,
             settlement: Settlement) -> SettleRequest:
    """What the part's settlement writes."""
    assert part.key is not None
    now = ports.clock.now()
    return SettleRequest(
        batch=batch, chunk=message.chunk, part=message.part, settlement=settlement,
        record=PartRecord(part.key, message.start, settlement.settled),
        prepaid=tenant.billing is BillingKind.PREPAID, before=part.before,
        now=now, failure=stop_reason(batch) if part.stopped else None,
        announce=pause_mark(batch, settlement.pause, now),
        shape=_shape(part, message, settlement.settled),
    )


def _may_wait(batch: Batch, part: Part, message: ChunkMessage, request: SettleRequest,
              handed_on: int) -> bool:
    """True when a part may be held for the group: it settles whole (as ``check_together`` takes
    it), and nothing the parts after it do depends on its settlement (a stop, a failed share to
    check, a hand-on, a reprocess)."""
    return (settles_whole(request) and not handed_on and not part.stopped and not message.reprocess
            and not (request.settlement.failed and batch.max_failed_percent is not None))


def _grouped(ports: Ports, seen: Invocation, group: SettleGroup | None, part: Part,
             message: ChunkMessage, attempt: str, request: SettleRequest, handed_on: int) -> str:
    """Hold the part for the group's transaction ("held"); or settle the parts held before it,
    then the part from a fresh plan (its outcome); or "": it settles now, nothing is held."""
    if group is None:
        return ""
    if _may_wait(request.batch, part, message, request, handed_on) and group.takes(request.batch, message):
        def settled(batch: Batch) -> str:  # once the group's transaction wrote the settlement
            return _settled(ports, seen, batch, part, request)

        def alone() -> str:  # once it was refused: the part settles by itself
            return _work(ports, seen, message, attempt, part, alone=True)

        group.hold(Held(message, request, settled, alone, copy_context(), part.unstored))
        return "held"
    if group.empty:
        return ""
    seen.settle_held()
    return _work(ports, seen, message, attempt, part)  # planned again after what they left


def _ready(ports: Ports, seen: Invocation, batch: Batch, part: Part, message: ChunkMessage,
           attempt: str, defer: bool = False) -> Part:
    """The part as the batch now takes it (enriched; not worked if the batch is paused; not
    processed if it stopped), its rows stored before the transaction, under the attempt
    (``defer``: only rendered, for the group to store with its parts or for ``_put``)."""
    paused = batch.status in PAUSED_STATUSES
    stopping = not paused and not part.stopped and stop_reason(batch) is not None
    if paused or stopping:
        part = as_pending(part, message.fields)  # not worked now: each row as it travelled
    if stopping:
        # past max_failed_percent: nothing more is worked, nothing more is charged
        part = replace(part, rows=[not_processed(row) for row in part.rows], enriched=True,
                       stopped=True, key=None)
    if not paused and not part.enriched:
        part = enrich_part(seen.pipeline(batch), part, message.fields, seen.out_of_time)
    if part.key is None:
        key, body, columns = _rendered(message, part, attempt, batch)
        part = replace(part, key=key, unstored=body,
                       stored_columns=None if columns is None else (key, columns))
        if not defer:
            part = _put(ports, part)
    return part


def _put(ports: Ports, part: Part) -> Part:
    """The part with its rows stored under its key (if they were not yet)."""
    if part.unstored is None:
        return part
    assert part.key is not None
    ports.blobs.put(part.key, part.unstored, "application/x-ndjson")
    return replace(part, unstored=None)


def _settled(ports: Ports, seen: Invocation, batch: Batch, part: Part,
             request: SettleRequest) -> str:
    """After the part settled: what the invocation learns, its metrics, and the outcome."""
    settlement = request.settlement
    seen.settled(batch, settlement)
    _counted(ports, seen, batch, settlement, request.now)
    if request.announce:  # the pause this settlement wrote is news (webhooks, a drop's status)
        ring(ports, batch.tenant_id, batch.batch_id)
    if settlement.failed and batch.max_failed_percent is not None and not part.stopped:
        fresh = check_failed_share(ports, batch)  # past it, the parts that follow stop
        if fresh is not None and fresh.status not in TERMINAL_STATUSES:
            seen.remember(fresh)
    if not settlement.done:
        logger.info("parked", extra={"batch_id": batch.batch_id, "parked": settlement.parked})
        return "parked"
    return "settled"


def _counted(ports: Ports, seen: Invocation, batch: Batch, settlement: Settlement, at: str) -> None:
    """The settlement's metrics; a pause it caused is a step of the batch (with the balance left),
    dated as its charge is: the pause is written in the same transaction."""
    history.settled(settlement)
    seen.count_rows(settlement.settled)
    if settlement.pause in (PauseReason.BALANCE, PauseReason.CAP):
        assert settlement.pause is not None
        balance = seen.tenant(batch.tenant_id).balance
        history.happened(ports, batch.tenant_id, batch.batch_id, history.Step.PAUSED, at=at,
                         reason=settlement.pause.value, balance=balance, rows=settlement.parked)


def _after_refusal(ports: Ports, seen: Invocation, batch: Batch, refusal: Exception,
                   attempt_no: int) -> Batch | None:
    """The batch to plan the next try with, learning what the refusal said; None once it closed."""
    if isinstance(refusal, BalanceChanged):
        seen.balance_is(batch.tenant_id, refusal.balance)
    fresh = refusal.batch if isinstance(refusal, BatchChanged) else ports.batches.get(
        batch.tenant_id, batch.batch_id)
    if fresh is None or fresh.status in TERMINAL_STATUSES:
        return None
    if isinstance(refusal, SettleConflict):
        ports.clock.sleep(min(0.02 * 2**attempt_no, 1.0))
    return seen.remember(fresh)


def store_final_rows(ports: Ports, message: ChunkMessage, rows: list[RowResult], attempt: str,
                     batch: Batch) -> str:
    """Store a part's rows whose outcome is final (rendered for the results files); the key."""
    key, body, _ = _rendered(message, Part(rows, enriched=True), attempt, batch)
    ports.blobs.put(key, body, "application/x-ndjson")
    return key


def _hand_on(ports: Ports, batch: Batch, message: ChunkMessage, key: str, settled: int) -> None:
    """Send the rows after a part's settled ones as the chunk's next part, to be worked at once
    by a fresh invocation (they were counted parked by the settle; a lost message is sent
    again by the tick, as for a paused batch)."""
    later = ChunkMessage(tenant_id=message.tenant_id, batch_id=message.batch_id,
                         chunk=message.chunk, fields=message.fields, part=message.part + 1,
                         start=message.start + settled, source_key=key, source_skip=settled)
    ports.queue.send(ports.queue_name(topology.work_queue(batch.mode)),
                     [later.model_dump_json(exclude_none=True)])
    logger.info("handed on", extra={"batch_id": message.batch_id, "chunk": message.chunk,
                                    "rows": settled})


def _shape(part: Part, message: ChunkMessage, settled: int) -> PartShape | None:
    """What results.csv's header needs of this part, if finalize can use it: an enriched part
    that settles rows, not a reprocess (whose rows replace others': not a union finalize
    could use)."""
    if not part.enriched or not settled or message.reprocess:
        return None
    return part_shape(part.rows, settled, part.columns())


def _rendered(message: ChunkMessage, part: Part, attempt: str,
              batch: Batch) -> tuple[str, bytes, tuple[str, ...] | None]:
    """The part's key, its bytes, and the output columns of an enriched part's rows."""
    suffix = "" if part.enriched else "-raw"  # raw: parked without work while paused
    key = part_key(message.batch_id, message.chunk, message.part, attempt + suffix)
    # An enriched part carries its rows rendered for the results files (finalize joins them).
    if part.enriched:
        body, columns = rendered_body(part.rows, batch.price, batch.escape_formulas)
        return key, body, columns
    return key, rows_body(part.rows), None


def _plan(tenant: Tenant, batch: Batch, rows: list[RowResult], group: SettleGroup | None) -> Settlement:
    """Settle the worked rows the balance and the cap cover (less what the parts held in the
    group will cost: they settle first); park the rest (rows not reached included: a settlement
    parked by a limit pauses the batch, one parked for time does not)."""
    held_cost = 0 if group is None else group.cost
    balance = tenant.balance - held_cost if tenant.billing is BillingKind.PREPAID else None
    cap_left = (None if batch.max_credits is None
                else batch.max_credits - batch.credits_spent - held_cost)
    done = worked(rows)
    plan = plan_settlement(rows[:done], batch.price, balance, cap_left)
    return plan if done == len(rows) else prefix_settlement(rows, plan.settled, batch.price,
                                                            plan.pause)


def _start(ports: Ports, batch: Batch) -> Batch:
    now = ports.clock.now()
    started = ports.batches.transition(
        batch.tenant_id, batch.batch_id, BatchStatus.PROCESSING,
        (BatchStatus.VALIDATING, BatchStatus.QUEUED), now, started_at=now,
    )
    note_status(ports, started)  # a dropped file's status file says processing
    return started or ports.batches.get(batch.tenant_id, batch.batch_id) or batch
