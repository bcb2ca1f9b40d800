"""work: enrich one part of a chunk, store its results, settle it exactly once."""

from __future__ import annotations

from dataclasses import dataclass, replace

from aws_lambda_powertools import Logger

from chalicelib import topology
from chalicelib.adapters.settlement import BalanceChanged, BatchChanged, SettleRequest
from chalicelib.domain.billing import Settlement, park_everything, plan_settlement
from chalicelib.domain.enrich.pipeline import Pipeline, built_in_pipeline
from chalicelib.domain.errors import AlreadySettled, SettleConflict
from chalicelib.domain.models import (
    PAUSED_STATUSES,
    TERMINAL_STATUSES,
    Batch,
    BatchStatus,
    BillingKind,
    ChunkMessage,
    ChunkRow,
    PartRecord,
    RowResult,
    RowStatus,
    Tenant,
)
from chalicelib.domain.records import canonical_record, row_id
from chalicelib.services.batches import request_finalize
from chalicelib.services.ports import Ports
from chalicelib.services.sources import waterfall_for
from chalicelib.services.tenants import get_tenant

logger = Logger(service="batch-enrich")
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


def part_key(batch_id: str, chunk: int, part: int, attempt: str) -> str:
    """Where one attempt stores one part's rows; only the winning attempt's key is recorded."""
    return f"{topology.WORK_PREFIX}{batch_id}/chunks/{chunk:06d}/p{part:03d}-{attempt}.jsonl"


def work_chunk(ports: Ports, message: ChunkMessage, attempt: str) -> str:
    """Process one chunk part; returns the outcome: settled, parked, duplicate or closed."""
    batch = ports.batches.get(message.tenant_id, message.batch_id)
    if batch is None or batch.status in TERMINAL_STATUSES:
        return "closed"
    part = _load_part(ports, message)
    pipeline = _pipeline(ports, batch)
    for attempt_no in range(MAX_SETTLE_ATTEMPTS):
        if batch.status in (BatchStatus.VALIDATING, BatchStatus.QUEUED):
            batch = _start(ports, batch)
        paused = batch.status in PAUSED_STATUSES
        if not paused and not part.enriched:
            part = _enrich(pipeline, part, message.fields)
        if part.key is None:  # results are stored before the transaction, under the attempt
            part = replace(part, key=_store(ports, message, part, attempt))
        assert part.key is not None
        tenant = get_tenant(ports, batch.tenant_id)
        settlement = park_everything(part.rows) if paused else _plan(tenant, batch, part.rows)
        request = SettleRequest(
            batch=batch, chunk=message.chunk, part=message.part, settlement=settlement,
            record=PartRecord(part.key, message.start, settlement.settled),
            prepaid=tenant.billing is BillingKind.PREPAID,
            parked_before=len(part.rows) if message.part > 0 and not message.reprocess else 0,
            now=ports.clock.now(),
        )
        try:
            ports.settlement.settle(request)
        except AlreadySettled:
            # The winner may have died before asking for finalize: asking again is harmless.
            _finalize_if_due(ports, batch)
            return "duplicate"
        except (BalanceChanged, BatchChanged, SettleConflict) as exc:
            fresh = ports.batches.get(batch.tenant_id, batch.batch_id)
            if fresh is None or fresh.status in TERMINAL_STATUSES:
                return "closed"
            batch = fresh
            if isinstance(exc, SettleConflict):
                ports.clock.sleep(min(0.02 * 2**attempt_no, 1.0))
            continue
        return _after_settle(ports, batch, settlement)
    raise SettleGaveUp(f"chunk {message.chunk} part {message.part} of {message.batch_id}")


def _pipeline(ports: Ports, batch: Batch) -> Pipeline:
    """The built-ins for the batch's entity type, and in advanced mode the tenant's waterfall."""
    region = batch.default_country or ports.settings.default_phone_region
    pipeline = built_in_pipeline(batch.entity_type or "person", region)
    if batch.mode != "advanced":
        return pipeline
    steps = waterfall_for(ports, get_tenant(ports, batch.tenant_id))
    return pipeline.with_waterfall(steps, batch.price) if steps else pipeline


def _load_part(ports: Ports, message: ChunkMessage) -> _Part:
    if message.rows is not None:
        return _Part([_pending(row, message.fields) for row in message.rows], enriched=False)
    assert message.source_key is not None, "a later part points at its previous part"
    lines = ports.blobs.read(message.source_key).decode().splitlines()
    rows = [RowResult.model_validate_json(line) for line in lines[message.source_skip:]]
    return _Part(rows, enriched=all(row.status in _REUSABLE for row in rows))


def _pending(row: ChunkRow, fields: dict[str, int]) -> RowResult:
    rid = row_id(row.v, canonical_record(row.v, fields))
    if row.skip:
        return RowResult(i=row.i, v=row.v, row_id=rid, status=RowStatus.SKIPPED, error=row.skip)
    return RowResult(i=row.i, v=row.v, row_id=rid, status=RowStatus.PENDING)


def _enrich(pipeline: Pipeline, part: _Part, fields: dict[str, int]) -> _Part:
    rows = [
        row if row.status in _REUSABLE else pipeline.enrich_row(ChunkRow(i=row.i, v=row.v), fields)
        for row in part.rows
    ]
    return _Part(rows, enriched=True)


def _store(ports: Ports, message: ChunkMessage, part: _Part, attempt: str) -> str:
    suffix = "" if part.enriched else "-raw"  # raw: parked without work while paused
    key = part_key(message.batch_id, message.chunk, message.part, attempt + suffix)
    body = "\n".join(row.model_dump_json() for row in part.rows).encode()
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


def _after_settle(ports: Ports, batch: Batch, settlement: Settlement) -> str:
    if not settlement.done:
        logger.info("parked", extra={"batch_id": batch.batch_id, "parked": settlement.parked})
        return "parked"
    _finalize_if_due(ports, batch)
    return "settled"


def _finalize_if_due(ports: Ports, batch: Batch) -> None:
    fresh = ports.batches.get(batch.tenant_id, batch.batch_id)
    if fresh and fresh.all_chunks_done and fresh.status not in TERMINAL_STATUSES:
        request_finalize(ports, batch.tenant_id, batch.batch_id)
