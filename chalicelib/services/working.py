"""work: enrich one part of a chunk, store its results, settle it exactly once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from chalicelib import topology
from chalicelib.domain.billing import (
    Counted,
    PauseReason,
    Settlement,
    counted_before,
    park_everything,
    plan_settlement,
    prefix_settlement,
)
from chalicelib.domain.enrich.pipeline import Pipeline
from chalicelib.domain.errors import AlreadySettled, BalanceChanged, BatchChanged, SettleConflict
from chalicelib.domain.messages import ChunkMessage, ChunkRow
from chalicelib.domain.models import (
    PAUSED_STATUSES,
    TERMINAL_STATUSES,
    Batch,
    BatchStatus,
    BillingKind,
    PartRecord,
    RowResult,
    RowStatus,
    Tenant,
)
from chalicelib.domain.parts import part_body, rows_body, stored_rows
from chalicelib.domain.records import canonical_record, row_id
from chalicelib.keys import part_key
from chalicelib.observability import logger
from chalicelib.ports.settlements import SettleRequest
from chalicelib.services import history
from chalicelib.services.announcing import pause_mark, ring
from chalicelib.services.failing import check_failed_share, stop_reason
from chalicelib.services.invocation import Invocation
from chalicelib.services.outbox import note_status
from chalicelib.services.ports import Ports
from chalicelib.services.stats import count_settled_rows

MAX_SETTLE_ATTEMPTS = 12
NOT_PROCESSED = "not_processed"  # a row's error when its batch stopped before working it
# Rows whose outcome an earlier part already paid the provider for: reused on resume.
_REUSABLE = (RowStatus.COMPLETED, RowStatus.NOT_FOUND, RowStatus.SKIPPED)


class SettleGaveUp(Exception):
    """Settling kept conflicting; the message is retried by SQS."""


@dataclass(frozen=True)
class _Part:
    """The rows of one part, whether they are enriched, and the object that holds them."""

    rows: list[RowResult]
    enriched: bool
    key: str | None = None
    before: Counted = field(default_factory=Counted)  # as counted when an earlier part parked them
    refresh: bool = False  # enrich again even the rows an earlier part kept an outcome for
    stopped: bool = False  # its batch is past max_failed_percent: rows settle not processed


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


def _work(ports: Ports, seen: Invocation, message: ChunkMessage, attempt: str) -> str:
    batch = seen.batch(message.tenant_id, message.batch_id)
    if batch is None or batch.status in TERMINAL_STATUSES:
        return "closed"
    part = _load_part(ports, message, batch.price)
    for attempt_no in range(MAX_SETTLE_ATTEMPTS):
        if batch.status in (BatchStatus.VALIDATING, BatchStatus.QUEUED):
            batch = seen.remember(_start(ports, batch))
        part = _ready(ports, seen, batch, part, message, attempt)
        assert part.key is not None
        tenant = seen.tenant(batch.tenant_id)
        paused = batch.status in PAUSED_STATUSES
        settlement = (park_everything(part.rows, batch.price) if paused
                      else _plan(tenant, batch, part.rows))
        handed_on = 0 if paused else len(part.rows) - _worked(part.rows)
        now = ports.clock.now()
        request = SettleRequest(
            batch=batch, chunk=message.chunk, part=message.part, settlement=settlement,
            record=PartRecord(part.key, message.start, settlement.settled),
            prepaid=tenant.billing is BillingKind.PREPAID, before=part.before,
            now=now, failure=stop_reason(batch) if part.stopped else None,
            announce=pause_mark(batch, settlement.pause, now),
        )
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
            _hand_on(ports, message, part.key, settlement.settled)
            return "continued"
        return outcome
    raise SettleGaveUp(f"chunk {message.chunk} part {message.part} of {message.batch_id}")


def _ready(ports: Ports, seen: Invocation, batch: Batch, part: _Part, message: ChunkMessage,
           attempt: str) -> _Part:
    """The part as the batch now takes it (enriched; not worked if the batch is paused; not
    processed if it stopped), its rows stored before the transaction, under the attempt."""
    paused = batch.status in PAUSED_STATUSES
    if not paused and not part.stopped and stop_reason(batch):
        # past max_failed_percent: nothing more is worked, nothing more is charged
        part = replace(part, rows=[not_processed(row) for row in part.rows], enriched=True,
                       stopped=True, key=None)
    if not paused and not part.enriched:
        part = _enrich(seen.pipeline(batch), part, message.fields, seen.out_of_time)
    if part.key is None:
        part = replace(part, key=_store(ports, message, part, attempt, batch))
    return part


def _settled(ports: Ports, seen: Invocation, batch: Batch, part: _Part,
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
    count_settled_rows(ports, settlement.settled)
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


def part_rows_of(ports: Ports, message: ChunkMessage, price: int) -> tuple[list[RowResult], Counted]:
    """A chunk part's rows as its message carries them (or the object it points at holds them),
    and how they were counted when an earlier part parked them."""
    part = _load_part(ports, message, price)
    return part.rows, part.before


def store_final_rows(ports: Ports, message: ChunkMessage, rows: list[RowResult], attempt: str,
                     batch: Batch) -> str:
    """Store a part's rows whose outcome is final (rendered for the results files); the key."""
    return _store(ports, message, _Part(rows, enriched=True), attempt, batch)


def _load_part(ports: Ports, message: ChunkMessage, price: int) -> _Part:
    if message.rows is not None:
        return _Part([_pending(row, message.fields) for row in message.rows], enriched=False)
    assert message.source_key is not None, "a later part points at its previous part"
    rows = stored_rows(ports.blobs.read(message.source_key))[message.source_skip:]
    # A reprocessed part's rows were taken off the counters when the batch reopened.
    before = Counted() if message.reprocess else counted_before(rows, price)
    reuse = not message.refresh and all(row.status in _REUSABLE for row in rows)
    return _Part(rows, enriched=reuse, before=before, refresh=message.refresh)


def not_processed(row: RowResult) -> RowResult:
    """A row as it settles when its batch stopped before working it (a skipped row stays skipped)."""
    if row.status is RowStatus.SKIPPED:
        return row
    return RowResult(i=row.i, v=row.v, row_id=row.row_id, status=RowStatus.FAILED,
                     error=NOT_PROCESSED)


def _pending(row: ChunkRow, fields: dict[str, int]) -> RowResult:
    rid = row_id(row.v, canonical_record(row.v, fields))
    if row.skip:
        return RowResult(i=row.i, v=row.v, row_id=rid, status=RowStatus.SKIPPED, error=row.skip)
    return RowResult(i=row.i, v=row.v, row_id=rid, status=RowStatus.PENDING)


def _enrich(pipeline: Pipeline, part: _Part, fields: dict[str, int],
            out_of_time: Callable[[], bool]) -> _Part:
    """The part's rows worked in order until the invocation runs out of time (the rows it did
    not reach stay pending: they go on as the chunk's next part)."""
    kept = (RowStatus.SKIPPED,) if part.refresh else _REUSABLE
    todo = [row for row in part.rows if row.status not in kept]
    fresh = iter(pipeline.enrich_until([ChunkRow(i=row.i, v=row.v) for row in todo], fields,
                                       out_of_time))
    rows = [row if row.status in kept else next(fresh, None) or _not_reached(row)
            for row in part.rows]
    return replace(part, rows=rows, enriched=True, key=None)


def _not_reached(row: RowResult) -> RowResult:
    """A row the invocation had no time for: pending again (its next part enriches it)."""
    return RowResult(i=row.i, v=row.v, row_id=row.row_id, status=RowStatus.PENDING)


def _worked(rows: list[RowResult]) -> int:
    """How many of a part's rows, from its first, were worked (the rest were not reached)."""
    return next((n for n, row in enumerate(rows) if row.status is RowStatus.PENDING), len(rows))


def _hand_on(ports: Ports, message: ChunkMessage, key: str, settled: int) -> None:
    """Send the rows after a part's settled ones as the chunk's next part, to be worked at once
    by a fresh invocation (they were counted parked by the settle; a lost message is sent
    again by the tick, as for a paused batch)."""
    later = ChunkMessage(tenant_id=message.tenant_id, batch_id=message.batch_id,
                         chunk=message.chunk, fields=message.fields, part=message.part + 1,
                         start=message.start + settled, source_key=key, source_skip=settled)
    ports.queue.send(ports.queue_name(topology.WORK), [later.model_dump_json(exclude_none=True)])
    logger.info("handed on", extra={"batch_id": message.batch_id, "chunk": message.chunk,
                                    "rows": settled})


def _store(ports: Ports, message: ChunkMessage, part: _Part, attempt: str, batch: Batch) -> str:
    suffix = "" if part.enriched else "-raw"  # raw: parked without work while paused
    key = part_key(message.batch_id, message.chunk, message.part, attempt + suffix)
    # An enriched part carries its rows rendered for the results files (finalize joins them).
    body = part_body(part.rows, batch.price, batch.escape_formulas) if part.enriched else \
        rows_body(part.rows)
    ports.blobs.put(key, body, "application/x-ndjson")
    return key


def _plan(tenant: Tenant, batch: Batch, rows: list[RowResult]) -> Settlement:
    """Settle the worked rows the balance and the cap cover; park the rest (rows not reached
    included: a settlement parked by a limit pauses the batch, one parked for time does not)."""
    balance = tenant.balance if tenant.billing is BillingKind.PREPAID else None
    cap_left = None if batch.max_credits is None else batch.max_credits - batch.credits_spent
    worked = _worked(rows)
    plan = plan_settlement(rows[:worked], batch.price, balance, cap_left)
    return plan if worked == len(rows) else prefix_settlement(rows, plan.settled, batch.price,
                                                              plan.pause)


def _start(ports: Ports, batch: Batch) -> Batch:
    now = ports.clock.now()
    started = ports.batches.transition(
        batch.tenant_id, batch.batch_id, BatchStatus.PROCESSING,
        (BatchStatus.VALIDATING, BatchStatus.QUEUED), now, started_at=now,
    )
    note_status(ports, started)  # a dropped file's status file says processing
    return started or ports.batches.get(batch.tenant_id, batch.batch_id) or batch
