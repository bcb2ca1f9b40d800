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
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Literal, TextIO

from chalicelib.domain.csvinput import open_csv
from chalicelib.domain.formulas import neutralize_text
from chalicelib.domain.models import (
    ACTIVE_STATUSES,
    PAUSED_STATUSES,
    Batch,
    BatchStatus,
    RowResult,
    RowStatus,
)
from chalicelib.domain.rendering import Rendered, csv_line, read_part, render_row, reorder, results_line
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
from chalicelib.services.ports import Ports
from chalicelib.services.settled import settled_entries

NOT_PROCESSED = "cancelled_before_processing"
_BUFFER = 1 << 20  # bytes per results file buffer
# The files in upload order, with their content types.
FILES = (("results.csv", "text/csv"), ("credits.csv", "text/csv"),
         ("rows.jsonl", "application/x-ndjson"), ("errors.csv", "text/csv"),
         ("summary.json", "application/json"))
SPOOL = "results.spool"  # results.csv's cells between the two passes, one JSON list a line
_JSONL = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(..., ensure_ascii=False), made once


def finalize_batch(ports: Ports, tenant_id: str, batch_id: str) -> bool:
    """Write the results files, then complete (or close the cancelled) batch; False if not due."""
    batch = ports.batches.get(tenant_id, batch_id)
    if batch is None or not finalize_due(batch):
        return False
    with tempfile.TemporaryDirectory() as folder:
        _write_files(ports, batch, Path(folder))
        with ThreadPoolExecutor(max_workers=len(FILES)) as pool:  # the five files side by side
            uploads = [pool.submit(_upload, ports, results_key(batch, name), Path(folder) / name,
                                   content_type) for name, content_type in FILES]
            for upload in uploads:
                upload.result()
    now = ports.clock.now()
    final = _final_status(batch)
    message = batch.failure if final is BatchStatus.FAILED and batch.failure else batch.message
    done = ports.batches.transition(tenant_id, batch_id, final, (batch.status,), now,
                                    finished_at=now, message=message)
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


def _upload(ports: Ports, key: str, path: Path, content_type: str) -> None:
    with path.open("rb") as stream:
        ports.blobs.upload(key, stream, content_type)


class _InputCells:
    """The input file's data rows, read only as far as a row that needs its cells from the file."""

    def __init__(self, rows: Iterator[list[str]]) -> None:
        self._rows = rows
        self._next = 0  # index of the row ``self._rows`` yields next

    def at(self, index: int) -> list[str]:
        """Row ``index``'s cells (indexes asked for only ever increase)."""
        for _ in range(index - self._next):
            next(self._rows)
        self._next = index + 1
        return next(self._rows)

    def rest(self) -> Iterator[tuple[int, list[str]]]:
        """The rows after the last one read, with their indexes."""
        for values in self._rows:
            self._next += 1
            yield self._next - 1, values


Columns = tuple[str, ...]  # the output columns of a rendered row's ``outputs``


def _rendered_or_row(body: bytes, settled: int) -> Iterator[tuple[int, tuple[Rendered, Columns] | RowResult]]:
    """A part's settled rows: rendered, or as stored where the worker did not render it."""
    lines, rendered = read_part(body)
    for n in range(settled):
        entry = rendered.rows[n] if rendered else None
        if entry is not None and rendered is not None:
            yield entry.i, (entry, rendered.columns)
        else:
            row = RowResult.model_validate_json(lines[n])
            yield row.i, row


def rendered_rows(ports: Ports, batch: Batch,
                  rows: Iterator[list[str]]) -> Iterator[tuple[Rendered, Columns]]:
    """Every input row in input order, rendered (``rows``: the input file's data rows)."""
    cells = _InputCells(rows)
    expected = 0
    settled = settled_entries(ports, batch, _rendered_or_row)
    try:
        for found in settled:
            index = found.i if isinstance(found, RowResult) else found[0].i
            for missing in range(expected, index):  # only a cancelled batch has rows never settled
                yield render_row(_not_processed(missing, cells.at(missing), batch), batch.price,
                                 batch.escape_formulas)
            if isinstance(found, RowResult):  # original cells, even those too large to travel
                found.v = cells.at(index)
                found = render_row(found, batch.price, batch.escape_formulas)
            expected = index + 1
            yield found
    finally:
        settled.close()
    if batch.total_rows is None or expected < batch.total_rows:
        for index, values in cells.rest():
            if index >= expected:
                yield render_row(_not_processed(index, values, batch), batch.price,
                                 batch.escape_formulas)


def _not_processed(index: int, values: list[str], batch: Batch) -> RowResult:
    """A row that never settled: the batch was cancelled, or failed, before it was processed."""
    reason = NOT_PROCESSED if batch.status is BatchStatus.CANCELLED else "not_processed"
    return RowResult(i=index, v=values, row_id="", status=RowStatus.SKIPPED, error=reason)


def _write_files(ports: Ports, batch: Batch, folder: Path) -> None:
    """Write the five results files into ``folder``: one pass over the rows, then results.csv."""
    table = open_csv(ports.blobs.open(batch.input_key))
    header, rows = columns_and_rows(table, batch.has_header, batch.skip_rows)
    done = _first_pass(rendered_rows(ports, batch, rows), folder)
    with _open_text(folder / "summary.json") as out:
        json.dump(done.summary(batch), out, indent=2)
    header = input_header(header, max(len(header), done.width))
    if batch.escape_formulas:  # a column name is a cell like any other
        header = neutralize_text(header)
    with _open_text(folder / SPOOL, "r") as spool, _open_text(folder / "results.csv") as out:
        _write_results(out, spool, header, done)
    (folder / SPOOL).unlink()


def _first_pass(rows: Iterable[tuple[Rendered, Columns]], folder: Path) -> _RowsPass:
    """Write credits.csv, errors.csv, rows.jsonl and the spool from the rendered rows."""
    with ExitStack() as files:
        texts = {name: files.enter_context(_open_text(folder / name))
                 for name in ("credits.csv", "errors.csv", "rows.jsonl", SPOOL)}
        one_pass = _RowsPass(texts)
        for row, columns in rows:
            one_pass.add(row, columns)
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
        self._statuses: Counter[str] = Counter()
        self._reasons: Counter[str] = Counter()
        self._lookups: Counter[str] = Counter()
        self._credits_total = 0

    def add(self, row: Rendered, columns: Columns) -> None:
        """Write one row's lines and count it."""
        number = self.column_sets.setdefault(columns, len(self.column_sets))
        self.width = max(self.width, row.cells)
        self._spool.write(_JSONL([row.cells, row.inputs, row.enrich, number, row.outputs]) + "\n")
        self._jsonl.write(row.jsonl + "\n")
        if row.credit_line:
            self._credits.write(row.credit_line)
        if row.error_line:
            self._errors.write(row.error_line)
        self._statuses[row.status] += 1
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
        return {"batch_id": batch.batch_id, "name": batch.name, "rows": sum(self._statuses.values()),
                "by_status": dict(self._statuses), "credits": self._credits_total,
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
