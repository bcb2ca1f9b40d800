"""finalize: once every chunk has settled (or the batch was cancelled), write the results files.

The workers render each row's lines as they store its part (``domain.rendering``), so finalize
mostly joins text: one pass over the settled rows in row order writes credits.csv, errors.csv
and rows.jsonl and counts the summary; results.csv needs the output columns of every row and
the widest row before its first line, so the pass spools each row's pieces and a second pass
over that spool writes it. A row the workers did not render (a part stored without its
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
from typing import Literal, TextIO

from chalicelib.domain.csvinput import open_csv
from chalicelib.domain.fields import csv_line
from chalicelib.domain.formulas import neutralize_text
from chalicelib.domain.models import ACTIVE_STATUSES, PAUSED_STATUSES, Batch, BatchCounts, BatchStatus
from chalicelib.domain.rendering import reorder, results_line
from chalicelib.domain.results import (
    CREDITS_COLUMNS,
    ERRORS_COLUMNS,
    input_header,
    results_header,
    vendor_lookups,
)
from chalicelib.domain.upload import columns_and_rows
from chalicelib.keys import results_key
from chalicelib.observability import logger
from chalicelib.services import history
from chalicelib.services.announcing import announce, marked
from chalicelib.services.finalize_rows import Columns, FinalRow, final_rows
from chalicelib.services.ports import Ports
from chalicelib.services.reprocess import message_when_done

_BUFFER = 1 << 20  # bytes per results file buffer
# The files in upload order, with their content types.
FILES = (("results.csv", "text/csv"), ("credits.csv", "text/csv"),
         ("rows.jsonl", "application/x-ndjson"), ("errors.csv", "text/csv"),
         ("summary.json", "application/json"))
SPOOL = "results.spool"  # results.csv's cells between the two passes, one JSON list a line
_JSONL = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(..., ensure_ascii=False), made once


def finalize_batch(ports: Ports, tenant_id: str, batch_id: str) -> bool:
    """Write the results files, then complete (or close the cancelled or failed) batch; False if
    not due."""
    batch = ports.batches.get(tenant_id, batch_id)
    if batch is None or not finalize_due(batch):
        return False
    ports.batches.finalizing(tenant_id, batch_id, int(ports.clock.epoch()))  # the tick waits for it
    with tempfile.TemporaryDirectory() as folder:
        counted = _write_files(ports, batch, Path(folder))
        with ThreadPoolExecutor(max_workers=len(FILES)) as pool:  # the five files side by side
            uploads = [pool.submit(ports.blobs.upload_file, results_key(batch, name),
                                   Path(folder) / name, content_type) for name, content_type in FILES]
            for upload in uploads:
                upload.result()
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


def _write_files(ports: Ports, batch: Batch, folder: Path) -> Counter[str]:
    """Write the five results files into ``folder``: one pass over the rows, then results.csv;
    returns how many rows of each status they hold."""
    table = open_csv(ports.blobs.open(batch.input_key))
    header, _ = columns_and_rows(table, batch.has_header, batch.skip_rows)  # final_rows reads on
    done = _first_pass(final_rows(ports, batch), folder)
    with _open_text(folder / "summary.json") as out:
        json.dump(done.summary(batch), out, indent=2)
    header = input_header(header, max(len(header), done.width))
    if batch.escape_formulas:  # a column name is a cell like any other
        header = neutralize_text(header)
    with _open_text(folder / SPOOL, "r") as spool, _open_text(folder / "results.csv") as out:
        _write_results(out, spool, header, done)
    (folder / SPOOL).unlink()
    return done.statuses


def _first_pass(rows: Iterable[FinalRow], folder: Path) -> _RowsPass:
    """Write credits.csv, errors.csv, rows.jsonl and the spool from the rendered rows."""
    with ExitStack() as files:
        texts = {name: files.enter_context(_open_text(folder / name))
                 for name in ("credits.csv", "errors.csv", "rows.jsonl", SPOOL)}
        one_pass = _RowsPass(texts)
        for row in rows:
            one_pass.add(row)
    return one_pass


def _open_text(path: Path, mode: Literal["r", "w"] = "w") -> TextIO:
    """A results file (or the spool) as UTF-8 text, newlines kept as written.

    A large buffer: each flush is a system call that lets the read-ahead threads take the
    interpreter, and taking it back can wait a whole switch interval.
    """
    return path.open(mode, encoding="utf-8", newline="", buffering=_BUFFER)


class _RowsPass:
    """The pass over the rendered rows: writes credits.csv, errors.csv, rows.jsonl and the spool."""

    def __init__(self, files: dict[str, TextIO]) -> None:
        self._credits = files["credits.csv"]
        self._credits.write(csv_line(CREDITS_COLUMNS))
        self._errors = files["errors.csv"]
        self._errors.write(csv_line(ERRORS_COLUMNS))
        self._jsonl = files["rows.jsonl"]
        self._spool = files[SPOOL]
        self.column_sets: dict[Columns, int] = {}  # each distinct set of output columns -> its number
        self.width = 0
        self.statuses: Counter[str] = Counter()
        self._reasons: Counter[str] = Counter()
        self._lookups: Counter[str] = Counter()
        self._credits_total = 0
        self.charges = 0

    def add(self, final: FinalRow) -> None:
        """Write one row's lines and count it."""
        row = final.rendered
        number = self.column_sets.setdefault(final.columns, len(self.column_sets))
        self.width = max(self.width, row.cells)
        self._spool.write(_JSONL([row.cells, row.inputs, row.enrich, number, row.outputs]) + "\n")
        self._jsonl.write(row.jsonl + "\n")
        for charge in final.charges:
            self._credits.write(charge)
        self.charges += len(final.charges)
        if row.error_line:
            self._errors.write(row.error_line)
        self.statuses[row.status] += 1
        self._credits_total += row.credits
        if row.reason:
            self._reasons[row.reason] += 1
        if row.lookups:
            self._lookups.update(row.lookups)

    @property
    def columns(self) -> list[str]:
        """Every output column of the batch's rows, in results.csv's order."""
        return sorted({name for columns in self.column_sets for name in columns})

    def summary(self, batch: Batch) -> dict[str, object]:
        """summary.json: the totals of the results files, counted from the rows themselves."""
        return {"batch_id": batch.batch_id, "name": batch.name, "rows": sum(self.statuses.values()),
                "by_status": dict(self.statuses), "credits": self._credits_total,
                "charges": self.charges,
                "price_per_match": batch.price, "skip_and_failure_reasons": dict(self._reasons),
                "vendor_lookups": vendor_lookups(self._lookups), "metadata": batch.metadata}


def _write_results(out: TextIO, spool: TextIO, header: list[str], done: _RowsPass) -> None:
    """The second pass: results.csv from the spooled pieces, now that every output column is known."""
    columns = done.columns
    out.write(csv_line(results_header(header, columns)))
    width = len(header)
    same = {number: list(own) == columns for own, number in done.column_sets.items()}
    own_columns = {number: own for own, number in done.column_sets.items()}
    for line in spool:
        cells, inputs, enrich, number, outputs = json.loads(line)
        if not columns:
            outputs = None
        elif not same[number]:  # rendered with fewer columns than the batch has
            outputs = reorder(outputs, own_columns[number], columns)
        out.write(results_line(cells, inputs, enrich, outputs, width))
