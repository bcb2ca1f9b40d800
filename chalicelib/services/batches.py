"""Submitting batches and controlling them: create, read, list, resume, cancel."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass, replace
from typing import IO, Any

from chalicelib import topology
from chalicelib.domain.billing import pause_message
from chalicelib.domain.errors import Conflict, InsufficientCredits, InvalidRequest, NotFound
from chalicelib.domain.messages import FinalizeMessage
from chalicelib.domain.models import (
    PAUSED_STATUSES,
    TERMINAL_STATUSES,
    Batch,
    BatchStatus,
    BillingKind,
    Mode,
    Tenant,
)
from chalicelib.domain.options import BatchOptions, BatchPatch
from chalicelib.domain.upload import Layout
from chalicelib.keys import input_key
from chalicelib.observability import bind, request_id
from chalicelib.services import history
from chalicelib.services.announcing import announce, marked
from chalicelib.services.dispatch import dispatch
from chalicelib.services.intake import Intake, price_for, remember_layout, take_in
from chalicelib.services.outbox import note_status
from chalicelib.services.ports import Ports
from chalicelib.services.tenants import get_tenant
from chalicelib.services.webhook_endpoints import check_batch_target


def new_batch_id(epoch: float) -> str:
    """A batch id that sorts by creation time (newest-first listing needs no index)."""
    return f"b_{int(epoch * 1000):012x}{secrets.token_hex(5)}"


@dataclass(frozen=True)
class Submitted:
    """A created batch and how its file was read."""

    batch: Batch
    intake: Intake


def submit(ports: Ports, tenant_id: str, data: bytes, filename: str, options: BatchOptions,
           batch_id: str | None = None, created_at: str | None = None) -> Submitted:
    """Accept a CSV (read whole here, so bad files get a 4xx), store it and start the pipeline.

    ``created_at``: when the batch was first handed in (a claimed anonymous upload keeps it).
    """
    tenant = get_tenant(ports, tenant_id)
    intake = take_in(ports, tenant_id, data, options)
    _check_balance(ports, tenant, intake)
    batch = start_batch(ports, tenant_id, io.BytesIO(data), filename, options, intake.layout,
                        batch_id, created_at)
    remember_layout(ports, tenant_id, intake.layout.columns, intake.layout)
    return Submitted(batch, intake)


def _check_balance(ports: Ports, tenant: Tenant, intake: Intake) -> None:
    """A prepaid tenant's balance must reach the minimum, and (if it asked) the batch's max cost:
    every usable row matched, but never more than the batch's cap."""
    if tenant.billing is not BillingKind.PREPAID:
        return
    needed = ports.settings.min_balance_to_start
    most = intake.max_cost()
    if tenant.config.get("require_full_balance"):
        needed = max(needed, most)
    if tenant.balance < needed:
        raise InsufficientCredits(
            f"This batch can cost up to {most} credits; the balance is {tenant.balance}. Top up "
            f"at least {needed - tenant.balance} credits.",
            credits_required=needed, credits_remaining=tenant.balance)


def start_batch(ports: Ports, tenant_id: str, stream: IO[bytes], filename: str,
                options: BatchOptions, layout: Layout | None = None,
                batch_id: str | None = None, created_at: str | None = None,
                origin: str = "api") -> Batch:
    """Record a batch and stream its file to the uploads prefix (no size limit on this path).

    Without a layout (a file too large to read here), split resolves the columns. ``origin``:
    the door the file came through (its row limit: ``Batch.origin``).
    """
    kept = {"created_at": created_at} if created_at else {}  # a claimed upload keeps its creation
    batch = record_batch(ports, tenant_id, filename, options, layout, batch_id, origin=origin, **kept)
    ports.blobs.upload(batch.input_key, stream, "text/csv",
                       metadata={"tenant-id": tenant_id, "batch-id": batch.batch_id})
    return batch


def record_batch(ports: Ports, tenant_id: str, filename: str, options: BatchOptions,
                 layout: Layout | None = None, batch_id: str | None = None,
                 **door: Any) -> Batch:
    """Store a new batch as ``options`` ask (``door``: its origin, status, outbox, expiry)."""
    tenant = get_tenant(ports, tenant_id)
    check_batch_target(ports, tenant_id, options.webhook_id, options.webhook_url)
    now = ports.clock.now()
    batch_id = batch_id or new_batch_id(ports.clock.epoch())
    bind(batch_id=batch_id)
    batch = Batch(
        tenant_id=tenant.tenant_id, batch_id=batch_id, name=options.name or filename,
        status=BatchStatus.VALIDATING, mode=Mode(options.mode),
        entity_type=layout.entity_type if layout else options.entity_type or "",
        price=price_for(ports, tenant, Mode(options.mode)), created_at=now,
        updated_at=now, input_key=input_key(tenant_id, batch_id), metadata=options.metadata,
        column_map=options.column_map, max_credits=options.max_credits,
        max_failed_percent=options.max_failed_percent,
        fields=dict(layout.mapping.fields) if layout else None,
        has_header=layout.mapping.has_header if layout else True,
        skip_rows=layout.mapping.skip_rows if layout else 0,
        row_limit=options.row_limit, dedupe=options.dedupe, auto_resume=options.auto_resume,
        escape_formulas=options.escape_formulas, refresh_after=now if options.refresh else None,
        default_country=options.default_country,
        platform=options.platform or (layout.platform if layout else None),
        request_id=request_id(), webhook_id=options.webhook_id, webhook_url=options.webhook_url,
    )
    batch = replace(batch, **door) if door else batch
    ports.batches.put_new(batch)
    history.happened(ports, tenant_id, batch_id, history.Step.CREATED, mode=batch.mode.value,
                     price=batch.price)
    return batch


def get_batch(ports: Ports, tenant_id: str, batch_id: str) -> Batch:
    """A tenant's batch, or 404 (another tenant's batch is a 404 too)."""
    batch = ports.batches.get(tenant_id, batch_id)
    if batch is None:
        raise NotFound(f"No batch {batch_id!r}.")
    return batch


def patch_batch(ports: Ports, tenant_id: str, batch_id: str, patch: BatchPatch) -> Batch:
    """Rename, re-tag or change the cap of a batch; a cap below what it spent is refused."""
    batch = get_batch(ports, tenant_id, batch_id)
    if not patch.model_dump(exclude_none=True):
        return batch
    updated = ports.batches.patch(tenant_id, batch_id, patch, ports.clock.now())
    if updated is None:
        fresh = get_batch(ports, tenant_id, batch_id)
        raise InvalidRequest(
            f"max_credits cannot be below what the batch already spent ({fresh.credits_spent}).",
            field="max_credits")
    return updated


def list_batches(ports: Ports, tenant_id: str, limit: int, cursor: str | None, offset: int | None,
                 statuses: tuple[BatchStatus, ...], name: str | None) -> tuple[list[Batch], str | None]:
    """A page of the tenant's batches, newest first, after a ``cursor`` or ``offset`` batches in."""
    if cursor is not None and offset is not None:
        raise InvalidRequest("Page with cursor or with offset, not both.", field="offset")
    if not offset:
        return ports.batches.page(tenant_id, limit, cursor, statuses, name)
    found, after = ports.batches.page(tenant_id, offset + limit, None, statuses, name)
    return found[offset:], after


def resume_batch(ports: Ports, tenant_id: str, batch_id: str, refresh: bool = False,
                 by: str = "customer") -> Batch:
    """Resume a paused batch: re-enqueue every parked chunk part; 402 if credits still lack.

    ``refresh``: enrich the parked rows afresh instead of settling the outcomes they were parked with.
    ``by``: who resumed it (``customer``, ``top_up``, ``tick``), for its timeline.
    """
    batch = get_batch(ports, tenant_id, batch_id)
    if batch.status not in PAUSED_STATUSES:
        raise Conflict(f"The batch is {batch.status.value}; only a paused batch can resume.",
                       status=batch.status.value)
    tenant = get_tenant(ports, tenant_id)
    needed = batch.parked_cost  # what the parked rows will cost at most (known once enriched)
    if tenant.billing is BillingKind.PREPAID and tenant.balance < batch.price:
        raise InsufficientCredits(
            "The balance cannot pay for one more row. Top up credits, then resume.",
            credits_required=batch.price, credits_remaining=tenant.balance,
            credits_to_finish=needed,
        )
    if batch.max_credits is not None and batch.max_credits - batch.credits_spent < batch.price:
        if batch.status is BatchStatus.PAUSED_INSUFFICIENT_CREDITS:  # both ran out on one row:
            _waits_for_the_cap(ports, batch)  # the balance is back, so the cap is what it waits for
        raise InsufficientCredits(
            "The batch is at its max_credits. Raise max_credits, then resume.",
            credits_required=batch.price, credits_remaining=batch.max_credits - batch.credits_spent,
            credits_to_finish=needed,
        )
    # dispatch_at: if this process dies before every parked part is sent, the tick sends them;
    # refresh: vendor answers kept until now are not reused for the rows enriched again
    now = ports.clock.now()
    fresh = {"refresh_after": now} if refresh else {}
    resumed = ports.batches.transition(tenant_id, batch_id, BatchStatus.PROCESSING,
                                       PAUSED_STATUSES, now, message=None,
                                       dispatch_at=int(ports.clock.epoch()), **fresh)
    if resumed is None:
        raise Conflict("The batch changed while resuming; read its status and retry.")
    dispatch(ports, resumed, refresh)
    history.happened(ports, tenant_id, batch_id, history.Step.RESUMED, by=by,
                     balance=tenant.balance if tenant.billing is BillingKind.PREPAID else None)
    note_status(ports, resumed)  # a dropped file's status file says processing again
    return resumed


def _waits_for_the_cap(ports: Ports, batch: Batch) -> None:
    """A batch paused for credits whose cap is reached too says, once topped up, to raise the cap."""
    status = BatchStatus.PAUSED_CREDIT_CAP
    ports.batches.transition(batch.tenant_id, batch.batch_id, status,
                             (BatchStatus.PAUSED_INSUFFICIENT_CREDITS,), ports.clock.now(),
                             message=pause_message(status))


def cancel_batch(ports: Ports, tenant_id: str, batch_id: str) -> Batch:
    """Stop a batch: rows not yet settled are never charged; results cover what settled."""
    batch = get_batch(ports, tenant_id, batch_id)
    if batch.status is BatchStatus.AWAITING_UPLOAD:
        closed = _cancel_upload(ports, batch)
        if closed is not None:
            return closed  # else its file came meanwhile: cancelled as any other batch
    active = tuple(s for s in BatchStatus if s not in TERMINAL_STATUSES)
    cancelled = ports.batches.transition(tenant_id, batch_id, BatchStatus.CANCELLED, active,
                                         ports.clock.now(), message="Cancelled by the customer.")
    if cancelled is None:
        raise Conflict(f"The batch is already {batch.status.value}.", status=batch.status.value)
    request_finalize(ports, tenant_id, batch_id)
    history.happened(ports, tenant_id, batch_id, history.Step.CANCELLED)
    return _unprocessed_skipped(ports, cancelled)


def _cancel_upload(ports: Ports, batch: Batch) -> Batch | None:
    """A batch whose presigned upload never came closes at once: there is no file to split and
    no results to write (finalize would look for the file, and fail, until its message went to
    the dead-letter queue). A file sent later is ignored: split starts only open batches."""
    at = ports.clock.now()
    closed = ports.batches.transition(batch.tenant_id, batch.batch_id, BatchStatus.CANCELLED,
                                      (BatchStatus.AWAITING_UPLOAD,), at, finished_at=at,
                                      message="Cancelled by the customer before its file came.",
                                      **marked(batch, BatchStatus.CANCELLED, at))
    if closed is not None:
        history.happened(ports, batch.tenant_id, batch.batch_id, history.Step.CANCELLED)
        announce(ports, closed)
    return closed


def _unprocessed_skipped(ports: Ports, batch: Batch) -> Batch:
    """A cancelled batch's rows that never settled are skipped (``cancelled_before_processing``).

    Nothing settles after the cancel, so its counters are final: every row not completed, not
    found or failed is skipped now (finalize then counts each row it writes; only a cancel in
    the middle of a reprocess can move a row back to its earlier outcome there).
    """
    if batch.total_rows is None:  # not split yet: finalize counts the rows it reads
        return batch
    updated = ports.batches.skip_unsettled(batch, ports.clock.now())
    return updated or get_batch(ports, batch.tenant_id, batch.batch_id)


def request_finalize(ports: Ports, tenant_id: str, batch_id: str) -> None:
    """Ask the finalize function to write the results files (duplicates are harmless)."""
    body = FinalizeMessage(tenant_id=tenant_id, batch_id=batch_id,
                           request_id=request_id()).model_dump_json(exclude_none=True)
    ports.queue.send(ports.queue_name(topology.FINALIZE), [body])
