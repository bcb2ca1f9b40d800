"""Reprocess: enrich again the rows of a finished batch that failed, found nothing, or (refresh)
all of them; or (``incomplete_only``) the rows of a paused batch that have not settled yet."""

from __future__ import annotations

import re
from collections import Counter

from chalicelib.domain.errors import Conflict, InvalidRequest
from chalicelib.domain.models import (
    PAUSED_STATUSES,
    TERMINAL_STATUSES,
    Batch,
    BatchStatus,
    RowResult,
    RowStatus,
)
from chalicelib.domain.parts import rows_body
from chalicelib.keys import part_key
from chalicelib.services import history
from chalicelib.services.batches import get_batch, resume_batch
from chalicelib.services.dispatch import dispatch
from chalicelib.services.ports import Ports
from chalicelib.services.settled import latest_rows

# The batch's message while a reprocess runs, and once its batch completed again.
_REPROCESSING = "Reprocessing {count} rows."
_DONE = "Reprocessed {count} rows."
_UNDER_WAY = re.compile(r"Reprocessing (\d+) rows\.")


def message_when_done(message: str | None) -> str | None:
    """A completed batch's message: a reprocess's says it was done, no longer that it is under way."""
    under_way = _UNDER_WAY.fullmatch(message or "")
    return _DONE.format(count=under_way.group(1)) if under_way else message


def targets(failed_only: bool, refresh: bool) -> set[RowStatus]:
    """Which settled row statuses a reprocess takes: failed; not found too (``failed_only``
    false); completed too (``refresh``)."""
    chosen = {RowStatus.FAILED}
    if not failed_only or refresh:
        chosen.add(RowStatus.NOT_FOUND)
    if refresh:
        chosen.add(RowStatus.COMPLETED)
    return chosen


def reprocess_batch(ports: Ports, tenant_id: str, batch_id: str, failed_only: bool = True,
                    incomplete_only: bool = False, refresh: bool = False) -> tuple[Batch, int]:
    """Re-enqueue only the chosen rows; a charged row is charged again only with ``refresh``.

    Safe to redo from any point: the chunks are staged first (each one's rows to redo stored,
    the chunk open again), then the batch reopens with its dispatch mark in one write, then
    the parts are sent. A call that died while staging is redone by calling again (the same
    rows are chosen); one that died after the batch reopened is finished by the tick.
    """
    batch = get_batch(ports, tenant_id, batch_id)
    if incomplete_only:
        return _incomplete(ports, batch, refresh)
    if not (batch.status is BatchStatus.COMPLETED or (batch.status is BatchStatus.FAILED
                                                       and batch.has_results)):
        raise Conflict(f"The batch is {batch.status.value}; only a completed batch (or a failed "
                       "one with results) can be reprocessed (incomplete_only takes the rows of "
                       "a paused one).", status=batch.status.value)
    wanted = targets(failed_only, refresh)
    statuses: Counter[RowStatus] = Counter()
    found: Counter[str] = Counter()
    lookups: Counter[str] = Counter()
    staged = 0
    for chunk in ports.batches.chunks(batch_id):
        rows = [row for row in latest_rows(ports, chunk) if row.status in wanted]
        if rows:
            _stage(ports, batch, chunk.chunk, chunk.next_part, rows)
            statuses.update(row.status for row in rows)
            found.update(name for row in rows for name in row.found)
            lookups.update(how for row in rows for how in row.lookups.values())
            staged += 1
    if not staged:
        raise InvalidRequest("No row of the batch matches: nothing to reprocess.",
                             field="failed_only")
    count = sum(statuses.values())
    now = ports.clock.now()
    # refresh: vendor answers kept until now are not reused (answers this reprocess gets are).
    reopened = ports.batches.reopen(tenant_id, batch_id, dict(statuses), dict(found), staged,
                                    now, _REPROCESSING.format(count=count), int(ports.clock.epoch()),
                                    lookups=dict(lookups), refresh_after=now if refresh else None)
    if reopened is None:
        raise Conflict("The batch changed while reprocessing; read its status and retry.")
    dispatch(ports, reopened)
    history.happened(ports, tenant_id, batch_id, history.Step.REPROCESS, rows=count)
    return reopened, count


def _stage(ports: Ports, batch: Batch, chunk: int, part: int, rows: list[RowResult]) -> None:
    """Store the rows to redo as the chunk's next part (outcomes cleared) and open the chunk."""
    fresh = [RowResult(i=row.i, v=row.v, row_id=row.row_id, status=RowStatus.PENDING)
             for row in rows]
    key = part_key(batch.batch_id, chunk, part, "reprocess")
    ports.blobs.put(key, rows_body(fresh), "application/x-ndjson")
    ports.batches.reopen_chunk(batch.batch_id, chunk, part, key)


def _incomplete(ports: Ports, batch: Batch, refresh: bool) -> tuple[Batch, int]:
    """Seed 003's ``incomplete_only``: the rows not settled yet, i.e. a paused batch's parked rows
    (re-enqueued as a resume is, with its credit checks; ``refresh`` enriches them afresh)."""
    if batch.status in PAUSED_STATUSES:
        parked = batch.counts.parked
        return resume_batch(ports, batch.tenant_id, batch.batch_id, refresh), parked
    if batch.status in TERMINAL_STATUSES:
        raise InvalidRequest(f"The batch is {batch.status.value}: every row settled, none is "
                             "incomplete.", field="incomplete_only")
    raise Conflict(f"The batch is {batch.status.value}: its rows are on their way (a chunk whose "
                   "worker died is sent again by the scheduled tick).", status=batch.status.value)
