"""finalize's survey steps: results.csv's header for a batch whose settlements did not record it.

A stopped batch (cancelled, or failed with rows never processed: finalize reads those rows from
the input file), a reprocessed one (a set ADD cannot drop the columns of a row version a reprocess
replaced), one with parts of an older release or rows too large to travel: their header, every
output column and the widest row, is only known once every row was seen. So the first steps read
the rows the writing steps will write, step by step over the same ranges (``finalize_ranges``),
and keep the output columns and the widest row found so far in the checkpoint (a conditional
write, as every step's). The last survey step begins the uploads and records the first writing
step's checkpoint with the header known; the writing steps follow as for any batch.

A survey step writes nothing but its checkpoint: run again (a duplicate, a crash, a race) it
finds the same columns and records the same checkpoint, or finds its step gone and stops. The
header fits the batch item: its output columns are those the settlements would record on it
(``Batch.shape_columns``), and the input's header is not kept (each step reads it from the file).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from chalicelib.domain.finalize_checkpoint import FinalizeCheckpoint, SurveyedHeader
from chalicelib.domain.models import Batch, ChunkState
from chalicelib.keys import results_key
from chalicelib.observability import logger
from chalicelib.services.finalize_files import PARTED
from chalicelib.services.finalize_ranges import first_step, following, is_last, step_rows
from chalicelib.services.finalize_rows import FinalRow
from chalicelib.services.ports import Ports


def survey_step(ports: Ports, batch: Batch, chunks: list[ChunkState], at: FinalizeCheckpoint,
                started: float) -> bool:
    """Survey the rows of step ``at`` and record the next checkpoint (the first writing step's
    after the last survey step); False if another finalize is ahead."""
    assert at.header is not None
    taken = step_rows(ports, batch, chunks, at)
    columns, width = surveyed(taken, at.header)
    seconds = at.seconds + time.perf_counter() - started
    if is_last(ports, batch, chunks, at, taken):
        header = SurveyedHeader(columns=sorted(columns), width=width, known=True, first=at.step + 1)
        writing = first_step(ports, batch, chunks, at.step + 1, {}, header)
        logger.info("finalize survey done", extra={"batch_id": batch.batch_id,
                                                   "columns": len(columns), "width": width})
        return begin_uploads(ports, batch, at.step,
                             writing.model_copy(update={"seconds": seconds})) is not None
    chunk, end, row, stop = following(ports, batch, chunks, at, taken)
    header = SurveyedHeader(columns=sorted(columns), width=width)
    after = at.model_copy(update={"step": at.step + 1, "chunk": chunk, "end": end, "row": row,
                                  "stop": stop, "header": header, "seconds": seconds})
    if ports.batches.advance_finalize(batch.tenant_id, batch.batch_id, at.step, after,
                                      int(ports.clock.epoch())):
        return True
    logger.info("another finalize is ahead", extra={"batch_id": batch.batch_id})
    return False


def surveyed(rows: Iterable[FinalRow], so_far: SurveyedHeader) -> tuple[set[str], int]:
    """The output columns and the widest row of ``rows`` and of what was surveyed ``so_far``."""
    columns, width = set(so_far.columns), so_far.width
    seen: set[tuple[str, ...]] = set()
    for final in rows:
        if final.columns not in seen:  # most rows share their part's columns
            seen.add(final.columns)
            columns.update(final.columns)
        if final.rendered.cells > width:
            width = final.rendered.cells
    return columns, width


def begin_uploads(ports: Ports, batch: Batch, before: int,
                  at: FinalizeCheckpoint) -> FinalizeCheckpoint | None:
    """Record checkpoint ``at`` after step ``before`` (0: none), with its uploads begun when its
    header is known; if another finalize recorded one first, this one's uploads are aborted and
    the standing checkpoint is returned when ``before`` is 0 (None once the batch is finished)."""
    uploads: dict[str, str] = {}
    if at.header is not None and at.header.known:
        uploads = {name: ports.blobs.start_upload(results_key(batch, name), kind)
                   for name, kind in PARTED}
        at = at.model_copy(update={"uploads": uploads})
    if ports.batches.advance_finalize(batch.tenant_id, batch.batch_id, before, at,
                                      int(ports.clock.epoch())):
        return at
    for name, upload in uploads.items():
        ports.blobs.abort_upload(results_key(batch, name), upload)
    logger.info("another finalize is ahead", extra={"batch_id": batch.batch_id})
    if before:
        return None
    fresh = ports.batches.get(batch.tenant_id, batch.batch_id)
    return None if fresh is None or fresh.finished_at else fresh.finalize_checkpoint
