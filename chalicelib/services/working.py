"""work: enrich one part of a chunk, store its results, settle it exactly once."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from chalicelib.domain.billing import (
    Counted,
    PauseReason,
    Settlement,
    counted_before,
    park_everything,
    plan_settlement,
)
from chalicelib.domain.enrich.pipeline import Pipeline, built_in_pipeline
from chalicelib.domain.errors import AlreadySettled, BalanceChanged, BatchChanged, SettleConflict
from chalicelib.domain.models import (
    PAUSED_STATUSES,
    TERMINAL_STATUSES,
    Batch,
    BatchStatus,
    BillingKind,
    ChunkMessage,
    ChunkRow,
    Mode,
    PartRecord,
    RowResult,
    RowStatus,
    Tenant,
    part_rows,
)
from chalicelib.domain.records import canonical_record, row_id
from chalicelib.domain.rendering import part_body
from chalicelib.keys import part_key
from chalicelib.observability import correlated, logger, request_id
from chalicelib.ports.settlements import SettleRequest
from chalicelib.services import history
from chalicelib.services.batches import request_finalize
from chalicelib.services.ports import Ports
from chalicelib.services.sources import for_batch, waterfall_for
from chalicelib.services.stats import count_settled_rows
from chalicelib.services.tenants import get_tenant

MAX_SETTLE_ATTEMPTS = 12
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


class Invocation:
    """What one invocation of the work function has read, shared by the chunk parts it works.

    The batch and the tenant are read once per invocation instead of once per part: the
    settle transaction's conditions (status, cap, balance) refuse a plan made from a stale
    read, and the refusal carries the current item, so nothing stale is ever written. Which
    batches settled a part is kept so the finalize check runs once per batch at the end.
    """

    def __init__(self, ports: Ports) -> None:
        self._ports = ports
        self._batches: dict[tuple[str, str], Batch] = {}
        self._tenants: dict[str, Tenant] = {}
        self._pipelines: dict[tuple[str, str], Pipeline] = {}
        # batches to check for finalize, with the request whose work settled their last part
        self._settled: dict[tuple[str, str], str | None] = {}

    def batch(self, tenant_id: str, batch_id: str) -> Batch | None:
        """The batch as last read or written by this invocation."""
        key = (tenant_id, batch_id)
        if key not in self._batches:
            batch = self._ports.batches.get(tenant_id, batch_id)
            if batch is None:
                return None
            self._batches[key] = batch
        return self._batches[key]

    def remember(self, batch: Batch) -> Batch:
        """Keep a fresher copy of a batch."""
        self._batches[(batch.tenant_id, batch.batch_id)] = batch
        return batch

    def tenant(self, tenant_id: str) -> Tenant:
        """The tenant as last read by this invocation, its balance less what it since charged."""
        if tenant_id not in self._tenants:
            self._tenants[tenant_id] = get_tenant(self._ports, tenant_id)
        return self._tenants[tenant_id]

    def balance_is(self, tenant_id: str, balance: int) -> None:
        """Record the balance a refused settlement reported (or one this invocation left)."""
        if tenant_id in self._tenants:
            self._tenants[tenant_id] = replace(self._tenants[tenant_id], balance=balance)

    def pipeline(self, batch: Batch) -> Pipeline:
        """The batch's pipeline (built once per invocation: the waterfall keeps rate state)."""
        key = (batch.tenant_id, batch.batch_id)
        if key not in self._pipelines:
            self._pipelines[key] = _pipeline(self._ports, batch, self.tenant(batch.tenant_id))
        return self._pipelines[key]

    def duplicate(self, batch: Batch) -> None:
        """A part was found settled already: its winner may have died before the finalize check."""
        self._settled[(batch.tenant_id, batch.batch_id)] = request_id()

    def settled(self, batch: Batch, settlement: Settlement) -> None:
        """A part settled: keep the spend and balance it left; check for finalize at the end."""
        tenant = self._tenants.get(batch.tenant_id)
        if tenant is not None and tenant.billing is BillingKind.PREPAID:
            self.balance_is(batch.tenant_id, tenant.balance - settlement.cost)
        if not settlement.done:  # the batch paused (or was paused): read it afresh next time
            self._batches.pop((batch.tenant_id, batch.batch_id), None)
            return
        self._settled[(batch.tenant_id, batch.batch_id)] = request_id()
        self.remember(replace(batch, credits_spent=batch.credits_spent + settlement.cost))

    def finish(self) -> None:
        """Ask for finalize for every batch of this invocation whose chunks have all settled."""
        for (tenant_id, batch_id), cause in sorted(self._settled.items()):
            with correlated(tenant_id=tenant_id, batch_id=batch_id, request_id=cause):
                fresh = self._ports.batches.get(tenant_id, batch_id)
                if fresh and fresh.all_chunks_done and fresh.status not in TERMINAL_STATUSES:
                    request_finalize(self._ports, tenant_id, batch_id)
        self._settled.clear()


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
        paused = batch.status in PAUSED_STATUSES
        if not paused and not part.enriched:
            part = _enrich(seen.pipeline(batch), part, message.fields)
        if part.key is None:  # results are stored before the transaction, under the attempt
            part = replace(part, key=_store(ports, message, part, attempt, batch))
        assert part.key is not None
        tenant = seen.tenant(batch.tenant_id)
        settlement = (park_everything(part.rows, batch.price) if paused
                      else _plan(tenant, batch, part.rows))
        request = SettleRequest(
            batch=batch, chunk=message.chunk, part=message.part, settlement=settlement,
            record=PartRecord(part.key, message.start, settlement.settled),
            prepaid=tenant.billing is BillingKind.PREPAID, before=part.before,
            now=ports.clock.now(),
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
        seen.settled(batch, settlement)
        _counted(ports, seen, batch, settlement, request.now)
        if not settlement.done:
            logger.info("parked", extra={"batch_id": batch.batch_id, "parked": settlement.parked})
            return "parked"
        return "settled"
    raise SettleGaveUp(f"chunk {message.chunk} part {message.part} of {message.batch_id}")


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


def _pipeline(ports: Ports, batch: Batch, tenant: Tenant) -> Pipeline:
    """The built-ins for the batch's entity type, and in advanced mode the tenant's waterfall."""
    region = batch.default_country or ports.settings.default_phone_region
    pipeline = built_in_pipeline(batch.entity_type or "person", region,
                                 frozenset(batch.fields or {}), batch.platform)
    if batch.mode is not Mode.ADVANCED:
        return pipeline
    steps = for_batch(ports, batch, waterfall_for(ports, tenant))
    return pipeline.with_waterfall(steps, batch.price) if steps else pipeline


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
    lines = part_rows(ports.blobs.read(message.source_key))
    rows = [RowResult.model_validate_json(line) for line in lines[message.source_skip:]]
    # A reprocessed part's rows were taken off the counters when the batch reopened.
    before = Counted() if message.reprocess else counted_before(rows, price)
    reuse = not message.refresh and all(row.status in _REUSABLE for row in rows)
    return _Part(rows, enriched=reuse, before=before, refresh=message.refresh)


def _pending(row: ChunkRow, fields: dict[str, int]) -> RowResult:
    rid = row_id(row.v, canonical_record(row.v, fields))
    if row.skip:
        return RowResult(i=row.i, v=row.v, row_id=rid, status=RowStatus.SKIPPED, error=row.skip)
    return RowResult(i=row.i, v=row.v, row_id=rid, status=RowStatus.PENDING)


def _enrich(pipeline: Pipeline, part: _Part, fields: dict[str, int]) -> _Part:
    kept = (RowStatus.SKIPPED,) if part.refresh else _REUSABLE
    todo = [row for row in part.rows if row.status not in kept]
    fresh = iter(pipeline.enrich_rows([ChunkRow(i=row.i, v=row.v) for row in todo], fields))
    rows = [row if row.status in kept else next(fresh) for row in part.rows]
    return replace(part, rows=rows, enriched=True)


def _store(ports: Ports, message: ChunkMessage, part: _Part, attempt: str, batch: Batch) -> str:
    suffix = "" if part.enriched else "-raw"  # raw: parked without work while paused
    key = part_key(message.batch_id, message.chunk, message.part, attempt + suffix)
    # An enriched part carries its rows rendered for the results files (finalize joins them).
    body = part_body(part.rows, batch.price, batch.escape_formulas) if part.enriched else \
        "\n".join(row.model_dump_json() for row in part.rows).encode()
    ports.blobs.put(key, body, "application/x-ndjson")
    return key


def _plan(tenant: Tenant, batch: Batch, rows: list[RowResult]) -> Settlement:
    balance = tenant.balance if tenant.billing is BillingKind.PREPAID else None
    cap_left = None if batch.max_credits is None else batch.max_credits - batch.credits_spent
    return plan_settlement(rows, batch.price, balance, cap_left)


def _start(ports: Ports, batch: Batch) -> Batch:
    now = ports.clock.now()
    started = ports.batches.transition(
        batch.tenant_id, batch.batch_id, BatchStatus.PROCESSING,
        (BatchStatus.VALIDATING, BatchStatus.QUEUED), now, started_at=now,
    )
    return started or ports.batches.get(batch.tenant_id, batch.batch_id) or batch
