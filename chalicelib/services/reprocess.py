"""Reprocess: enrich again the rows of a completed batch that failed, found nothing, or (refresh) all."""

from __future__ import annotations

from collections import Counter

from chalicelib import topology
from chalicelib.domain.errors import Conflict, InvalidRequest
from chalicelib.domain.models import Batch, BatchStatus, ChunkMessage, RowResult, RowStatus
from chalicelib.keys import part_key
from chalicelib.services.batches import get_batch
from chalicelib.services.ports import Ports
from chalicelib.services.settled import latest_rows


def targets(failed_only: bool, incomplete_only: bool, refresh: bool) -> set[RowStatus]:
    """Which row statuses a reprocess takes: failed; not found too; completed too (refresh)."""
    chosen = {RowStatus.FAILED}
    if incomplete_only or not failed_only or refresh:
        chosen.add(RowStatus.NOT_FOUND)
    if refresh:
        chosen.add(RowStatus.COMPLETED)
    return chosen


def reprocess_batch(ports: Ports, tenant_id: str, batch_id: str, failed_only: bool = True,
                    incomplete_only: bool = False, refresh: bool = False) -> tuple[Batch, int]:
    """Re-enqueue only the chosen rows; a charged row is charged again only with ``refresh``."""
    batch = get_batch(ports, tenant_id, batch_id)
    if batch.status is not BatchStatus.COMPLETED:
        raise Conflict(f"The batch is {batch.status.value}; only a completed batch can be "
                       "reprocessed.", status=batch.status.value)
    wanted = targets(failed_only, incomplete_only, refresh)
    statuses: Counter[RowStatus] = Counter()
    found: Counter[str] = Counter()
    messages: list[tuple[int, int, list[RowResult]]] = []
    for chunk in ports.batches.chunks(batch_id):
        rows = [row for row in latest_rows(ports, chunk) if row.status in wanted]
        if rows:
            messages.append((chunk.chunk, chunk.next_part, rows))
            statuses.update(row.status for row in rows)
            found.update(name for row in rows for name in row.found)
    if not messages:
        raise InvalidRequest("No row of the batch matches: nothing to reprocess.",
                             field="failed_only")
    count = sum(len(rows) for _, _, rows in messages)
    reopened = ports.batches.reopen(tenant_id, batch_id, dict(statuses), dict(found), len(messages),
                                    ports.clock.now(), f"Reprocessing {count} rows.")
    if reopened is None:
        raise Conflict("The batch changed while reprocessing; read its status and retry.")
    bodies = [_part(ports, batch, chunk, part, rows) for chunk, part, rows in messages]
    ports.queue.send(ports.queue_name(topology.WORK), bodies)
    return reopened, count


def _part(ports: Ports, batch: Batch, chunk: int, part: int, rows: list[RowResult]) -> str:
    """Store the rows to redo as the chunk's next part (outcomes cleared) and open the chunk."""
    fresh = [RowResult(i=row.i, v=row.v, row_id=row.row_id, status=RowStatus.PENDING)
             for row in rows]
    key = part_key(batch.batch_id, chunk, part, "reprocess")
    ports.blobs.put(key, "\n".join(r.model_dump_json() for r in fresh).encode(),
                    "application/x-ndjson")
    ports.batches.reopen_chunk(batch.batch_id, chunk, part)
    message = ChunkMessage(tenant_id=batch.tenant_id, batch_id=batch.batch_id, chunk=chunk,
                           fields=batch.fields or {}, part=part, source_key=key, reprocess=True)
    return message.model_dump_json(exclude_none=True)
