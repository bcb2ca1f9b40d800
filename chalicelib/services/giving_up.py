"""What the tick does with work that kept failing after every re-drive: end it, say why, charge nothing.

- A chunk part: its rows settle as ``failed`` (reason ``not_processed``), at no cost, in the
  settle transaction like any part, so every count stays exact and the rows can be reprocessed;
  the batch keeps the reason as its ``failure`` and finalize ends it ``failed`` with results.
- A split: the batch ends ``failed`` with the reason (nothing was sent, nothing charged).
- A finalize: the batch ends ``failed`` with the reason (its rows stay settled and charged as
  they were; the ledger and the counters still agree).
"""

from __future__ import annotations

from chalicelib.domain.billing import plan_settlement
from chalicelib.domain.errors import AlreadySettled, BalanceChanged, BatchChanged, SettleConflict
from chalicelib.domain.messages import ChunkMessage
from chalicelib.domain.models import (
    ACTIVE_STATUSES,
    TERMINAL_STATUSES,
    Batch,
    BatchStatus,
    BillingKind,
    PartRecord,
    RowStatus,
)
from chalicelib.observability import logger
from chalicelib.ports.settlements import SettleRequest
from chalicelib.services import history
from chalicelib.services.announcing import announce, marked_by_id
from chalicelib.services.batches import request_finalize
from chalicelib.services.part_rows import not_processed, part_rows_of
from chalicelib.services.ports import Ports
from chalicelib.services.tenants import get_tenant
from chalicelib.services.working import store_final_rows

_ATTEMPTS = 5


def give_up_part(ports: Ports, message: ChunkMessage, reason: str) -> str:
    """Settle a part that keeps failing as failed rows; the outcome (settled, duplicate, closed)."""
    batch = ports.batches.get(message.tenant_id, message.batch_id)
    if batch is None or batch.status in TERMINAL_STATUSES:
        return "closed"
    loaded, before = part_rows_of(ports, message, batch.price)
    rows = [not_processed(row) for row in loaded]
    failure = (f"{sum(r.status is RowStatus.FAILED for r in rows)} rows could not be processed: "
               f"chunk {message.chunk} kept failing ({reason}). They are failed and were not "
               "charged; reprocess the batch's failed rows once the cause is fixed.")
    key = store_final_rows(ports, message, rows, "given-up", batch)
    for _ in range(_ATTEMPTS):
        request = SettleRequest(
            batch=batch, chunk=message.chunk, part=message.part,
            settlement=plan_settlement(rows, batch.price, None, None),
            record=PartRecord(key, message.start, len(rows)),
            prepaid=get_tenant(ports, batch.tenant_id).billing is BillingKind.PREPAID,
            before=before,
            now=ports.clock.now(), failure=failure)
        try:
            ports.settlement.settle(request)
        except AlreadySettled:
            return "duplicate"
        except (BatchChanged, BalanceChanged, SettleConflict):
            fresh = ports.batches.get(batch.tenant_id, batch.batch_id)
            if fresh is None or fresh.status in TERMINAL_STATUSES:
                return "closed"
            batch = fresh
            continue
        logger.warning("chunk part given up", extra={"batch_id": batch.batch_id,
                                                     "chunk": message.chunk, "reason": reason})
        _finalize_if_done(ports, batch)
        return "settled"
    raise SettleConflict(f"could not give up chunk {message.chunk} of {message.batch_id}")


def _finalize_if_done(ports: Ports, batch: Batch) -> None:
    fresh = ports.batches.get(batch.tenant_id, batch.batch_id)
    if fresh is not None and fresh.all_chunks_done and fresh.status not in TERMINAL_STATUSES:
        request_finalize(ports, batch.tenant_id, batch.batch_id)


def fail_batch(ports: Ports, tenant_id: str, batch_id: str, reason: str) -> bool:
    """End an unfinished batch ``failed`` with the reason, without results; False if it had ended."""
    now = ports.clock.now()
    failed = ports.batches.transition(tenant_id, batch_id, BatchStatus.FAILED, ACTIVE_STATUSES, now,
                                      message=reason, finished_at=now,
                                      **marked_by_id(ports, tenant_id, batch_id, BatchStatus.FAILED, now))
    announce(ports, failed)
    if failed is not None:
        logger.warning("batch failed", extra={"batch_id": batch_id, "reason": reason})
        history.happened(ports, tenant_id, batch_id, history.Step.FAILED, reason=reason)
    return failed is not None


def fail_unfinalized(ports: Ports, tenant_id: str, batch_id: str, reason: str) -> bool:
    """End a batch whose results could not be written ``failed`` (its rows stay as they settled)."""
    now = ports.clock.now()
    statuses = (*ACTIVE_STATUSES, BatchStatus.CANCELLED)
    failed = ports.batches.transition(tenant_id, batch_id, BatchStatus.FAILED, statuses, now,
                                      message=reason, finished_at=now,
                                      **marked_by_id(ports, tenant_id, batch_id, BatchStatus.FAILED, now))
    announce(ports, failed)
    if failed is not None:
        history.happened(ports, tenant_id, batch_id, history.Step.FAILED, reason=reason)
    return failed is not None
