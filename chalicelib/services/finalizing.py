"""finalize: once every chunk has settled (or the batch was cancelled), write the results files.

The workers render each row's lines as they store its part (``domain.rendering``), so finalize
mostly joins text: one pass over the settled rows in row order writes credits.csv, errors.csv,
rows.jsonl and results.csv and counts the summary (results.csv's header, which needs every output
column and the widest row, comes from the shapes the settlements recorded: ``results_shape``;
where they are not all known, the pass spools each row's pieces and a second pass over that
spool writes results.csv: ``finalize_files``). A row the workers did not render (a part stored without its
rendering, a row that travelled without its cells, a row a cancelled batch never settled) is
rendered here, with its cells read from the input file, which is read only as far as such a
row needs. Every file is written to local disk (flat memory), then uploaded. The part objects
are read a few ahead of the join, in threads.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import TextIO

from chalicelib.domain.models import (
    ACTIVE_STATUSES,
    PAUSED_STATUSES,
    Batch,
    BatchCounts,
    BatchStatus,
    ChunkState,
)
from chalicelib.observability import logger
from chalicelib.services import history
from chalicelib.services.announcing import announce, marked
from chalicelib.services.finalize_files import (
    FILES,
    SPOOL,
    ResultsWriter,
    RowsPass,
    ShapeUnknown,
    Tally,
    open_text,
    write_results,
)
from chalicelib.services.finalize_rows import Block, FinalRow, final_rows
from chalicelib.services.finalize_steps import finalize_step, in_steps
from chalicelib.services.finalize_uploads import StreamedUploads, open_counted
from chalicelib.services.ports import Ports
from chalicelib.services.reprocess import message_when_done
from chalicelib.services.results_shape import ResultsShape, file_header, known_shape, widened


def finalize_batch(ports: Ports, tenant_id: str, batch_id: str) -> bool:
    """Write the results files, then complete (or close the cancelled or failed) batch; False if
    not due."""
    batch = ports.batches.get(tenant_id, batch_id)
    if batch is None or not finalize_due(batch):
        return False
    ports.batches.finalizing(tenant_id, batch_id, int(ports.clock.epoch()))  # the tick waits for it
    counted = _results(ports, batch)
    if counted is None:  # handed on to its next step (or another finalize is ahead)
        return False
    now = ports.clock.now()
    final = _final_status(batch)
    message = batch.failure if final is BatchStatus.FAILED and batch.failure else batch.message
    if final is BatchStatus.COMPLETED:
        message = message_when_done(message)
    # A stopped batch's counters become the rows as written: those it never settled skipped.
    counters = _counters(counted) if final is not BatchStatus.COMPLETED else {}
    done = ports.batches.transition(tenant_id, batch_id, final, (batch.status,), now,
                                    finished_at=now, message=message, **counters,
                                    **marked(batch, final, now))
    if done is not None and final is not batch.status:  # a cancel or a failure was its own step
        history.happened(ports, tenant_id, batch_id, history.Step(final.value), reason=message)
    announce(ports, done)  # after the write it reports; a lost one is the tick's (announcing.recover)
    logger.info("finalized", extra={"batch_id": batch_id, "status": final.value, "ok": bool(done)})
    return done is not None


def finalize_due(batch: Batch) -> bool:
    """True when a batch's results are to be written: every chunk settled, or it was stopped
    (cancelled, or failed with some rows never processed) and has no results yet."""
    if batch.finished_at is not None:
        return False
    if batch.status is BatchStatus.CANCELLED or (
            batch.status is BatchStatus.FAILED and batch.failure is not None):
        return True
    return (batch.all_chunks_done and batch.status in ACTIVE_STATUSES
            and batch.status not in PAUSED_STATUSES)


def _final_status(batch: Batch) -> BatchStatus:
    if batch.status is BatchStatus.CANCELLED:
        return BatchStatus.CANCELLED
    return BatchStatus.FAILED if batch.failure is not None else BatchStatus.COMPLETED


def _counters(counted: Counter[str]) -> dict[str, object]:
    counts = BatchCounts(completed=counted["completed"], not_found=counted["not_found"],
                         failed=counted["failed"], skipped=counted["skipped"])
    return {"total_rows": sum(counted.values()), "counts": counts, "parked_cost": 0}


def _results(ports: Ports, batch: Batch) -> Counter[str] | None:
    """Write and upload the results files (or the next step's share of them); how many rows of
    each status they hold, None until the last step."""
    chunks = ports.batches.chunks(batch.batch_id)
    header = file_header(ports, batch)
    if in_steps(ports, batch):
        return finalize_step(ports, batch, chunks, header)
    shape = known_shape(batch, chunks, header)
    # the files side by side, their parts sent while the pass writes them
    with tempfile.TemporaryDirectory() as folder, \
            ThreadPoolExecutor(max_workers=len(FILES), thread_name_prefix="results-uploads") as pool:
        uploads = StreamedUploads(ports, batch, Path(folder), pool)
        try:
            counted = _write_files(ports, batch, Path(folder), (chunks, header, shape), uploads)
            uploads.finish()
        except BaseException:
            uploads.abort()
            raise
    return counted


Known = tuple[list[ChunkState], list[str], ResultsShape | None]  # chunks, file header, shape


def _write_files(ports: Ports, batch: Batch, folder: Path, known: Known | None = None,
                 uploads: StreamedUploads | None = None) -> Counter[str]:
    """Write the five results files into ``folder``; returns how many rows of each status they
    hold. One pass when results.csv's header is known before its first row (its files' parts
    sent by ``uploads`` as they are written), else two (sent after them)."""
    if known is None:
        chunks = ports.batches.chunks(batch.batch_id)
        header = file_header(ports, batch)
        known = (chunks, header, known_shape(batch, chunks, header))
    chunks, header, shape = known
    tally = None
    if shape is not None:
        try:
            tally = _one_pass(final_rows(ports, batch, chunks), folder, shape, uploads)
        except ShapeUnknown:  # a row the recorded shapes did not cover: the two passes
            logger.warning("results shape unknown", extra={"batch_id": batch.batch_id})
            if uploads is not None:
                uploads.abort()  # the files are written again from their start
    if tally is None:
        tally = _two_passes(final_rows(ports, batch, chunks), folder, batch, header)
    with open_text(folder / "summary.json") as out:
        json.dump(tally.summary(batch), out, indent=2)
    return tally.statuses


def _one_pass(rows: Iterable[FinalRow | Block], folder: Path, shape: ResultsShape,
              uploads: StreamedUploads | None = None) -> Tally:
    """Write results.csv, credits.csv, errors.csv and rows.jsonl in one pass over the rows
    (``uploads``: sending each file's parts as they are written)."""
    opened = open_text if uploads is None else open_counted
    with ExitStack() as files:
        texts: dict[str, TextIO] = {name: files.enter_context(opened(folder / name))
                                    for name in ("results.csv", "credits.csv", "errors.csv", "rows.jsonl")}
        results = ResultsWriter(texts["results.csv"], shape.header, shape.columns, first=True)
        one_pass = RowsPass(texts, Tally(), results=results)
        for row in rows:
            one_pass.add(row)
            if uploads is not None:
                uploads.send_ready(texts)
    return one_pass.tally


def _two_passes(rows: Iterable[FinalRow | Block], folder: Path, batch: Batch, header: list[str]) -> Tally:
    """Write credits.csv, errors.csv, rows.jsonl and the spool, then results.csv from the spool."""
    with ExitStack() as files:
        texts = {name: files.enter_context(open_text(folder / name))
                 for name in ("credits.csv", "errors.csv", "rows.jsonl", SPOOL)}
        done = RowsPass(texts, Tally())
        for row in rows:
            done.add(row)
    header = widened(batch, header, done.width)
    with open_text(folder / SPOOL, "r") as spool, open_text(folder / "results.csv") as out:
        write_results(out, spool, header, done)
    (folder / SPOOL).unlink()
    return done.tally
