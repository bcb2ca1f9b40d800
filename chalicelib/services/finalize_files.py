"""The pass over a batch's rendered rows that writes its results files.

One pass writes credits.csv, errors.csv and rows.jsonl and counts what summary.json says. When
results.csv's header is known before the first row (``results_shape``: every settled part
recorded its output columns and widest row), the same pass writes results.csv too; otherwise it
spools each row's results pieces and a second pass over the spool writes results.csv once every
output column and the widest row are known (``write_results``).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Literal, TextIO

from chalicelib.domain.fields import csv_line
from chalicelib.domain.models import Batch
from chalicelib.domain.rendering import Rendered, charge_line, reorder, results_line
from chalicelib.domain.results import CREDITS_COLUMNS, ERRORS_COLUMNS, results_header, vendor_lookups
from chalicelib.services.finalize_rows import Block, Columns, FinalRow

BUFFER = 1 << 20  # bytes per results file buffer
# The files in upload order, with their content types; the first four are written row by row.
FILES = (("results.csv", "text/csv"), ("credits.csv", "text/csv"),
         ("rows.jsonl", "application/x-ndjson"), ("errors.csv", "text/csv"),
         ("summary.json", "application/json"))
PARTED = FILES[:4]
SPOOL = "results.spool"  # results.csv's cells between the two passes, one JSON list a line
_JSONL = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(..., ensure_ascii=False), made once


class ShapeUnknown(Exception):
    """A row does not fit the results.csv header written before it (wider, or other columns)."""


class Tally:
    """What summary.json counts of the rows written so far (kept across finalize's steps)."""

    def __init__(self, kept: dict[str, Any] | None = None) -> None:
        kept = kept or {}
        self.statuses: Counter[str] = Counter(kept.get("statuses", {}))
        self.reasons: Counter[str] = Counter(kept.get("reasons", {}))
        self.lookups: Counter[str] = Counter(kept.get("lookups", {}))
        self.credits = int(kept.get("credits", 0))
        self.charges = int(kept.get("charges", 0))

    def kept(self) -> dict[str, Any]:
        """The tally as a checkpoint keeps it (JSON)."""
        return {"statuses": dict(self.statuses), "reasons": dict(self.reasons),
                "lookups": dict(self.lookups), "credits": self.credits, "charges": self.charges}

    def summary(self, batch: Batch) -> dict[str, object]:
        """summary.json: the totals of the results files, counted from the rows themselves."""
        return {"batch_id": batch.batch_id, "name": batch.name, "rows": sum(self.statuses.values()),
                "by_status": dict(self.statuses), "credits": self.credits,
                "charges": self.charges,
                "price_per_match": batch.price, "skip_and_failure_reasons": dict(self.reasons),
                "vendor_lookups": vendor_lookups(self.lookups), "metadata": batch.metadata}


class ResultsWriter:
    """results.csv's lines written as the rows come, its header known before the first."""

    def __init__(self, out: TextIO, header: list[str], columns: list[str], first: bool) -> None:
        self._out = out
        self._columns = columns
        self._width = len(header)
        self._same: dict[Columns, bool] = {}
        if first:
            out.write(csv_line(results_header(header, columns)))

    def add(self, final: FinalRow) -> None:
        """Write one row's results.csv line (ShapeUnknown if it does not fit the header)."""
        self.add_rows([final.rendered], final.columns)

    def add_rows(self, rows: list[Rendered], columns: Columns) -> None:
        """Write the lines of rows rendered with the same output columns (ShapeUnknown if one
        does not fit the header)."""
        same = self._same.get(columns)
        if same is None:
            if not set(columns) <= set(self._columns):
                raise ShapeUnknown(f"row {rows[0].i} has output columns the header lacks")
            same = self._same[columns] = list(columns) == self._columns
        width = self._width
        if max(row.cells for row in rows) > width:
            raise ShapeUnknown(f"a row of {rows[0].i}-{rows[-1].i} is wider than the header")
        if not self._columns:
            lines = [results_line(row.cells, row.inputs, row.enrich, None, width) for row in rows]
        elif same:
            lines = [results_line(row.cells, row.inputs, row.enrich, row.outputs, width) for row in rows]
        else:  # rendered with fewer columns than the batch has
            wanted = self._columns
            lines = [results_line(row.cells, row.inputs, row.enrich,
                                  reorder(row.outputs, columns, wanted), width) for row in rows]
        self._out.write("".join(lines))


class RowsPass:
    """The pass over the rendered rows: credits.csv, errors.csv, rows.jsonl, and results.csv
    (``results``) or the spool."""

    def __init__(self, files: dict[str, TextIO], tally: Tally, first: bool = True,
                 results: ResultsWriter | None = None) -> None:
        self._credits = files["credits.csv"]
        self._errors = files["errors.csv"]
        if first:
            self._credits.write(csv_line(CREDITS_COLUMNS))
            self._errors.write(csv_line(ERRORS_COLUMNS))
        self._jsonl = files["rows.jsonl"]
        self._spool = files.get(SPOOL)
        self._results = results
        self.column_sets: dict[Columns, int] = {}  # each distinct set of output columns -> its number
        self.width = 0
        self.tally = tally

    def add(self, item: FinalRow | Block) -> None:
        """Write one row's lines (or a block's, whole) and count them."""
        if isinstance(item, Block):
            if self._results is None:  # spooled a row at a time
                for final in item.final_rows():
                    self._add(final)
            else:
                self._add_block(item)
            return
        self._add(item)

    def _add_block(self, block: Block) -> None:
        """A block's lines, each file's in one write, counted as a row at a time counts them."""
        rows, tally = block.rows, self.tally
        assert self._results is not None
        self._results.add_rows(rows, block.columns)
        self._jsonl.write("\n".join([row.jsonl for row in rows]) + "\n")
        charges = [charge_line(row.credit_line, block.entry) for row in rows if row.credits]
        self._credits.write("".join(charges))
        tally.charges += len(charges)
        self._errors.write("".join([row.error_line for row in rows if row.error_line]))
        tally.statuses.update([row.status for row in rows])
        tally.credits += sum([row.credits for row in rows])
        tally.reasons.update([row.reason for row in rows if row.reason])
        for row in rows:
            if row.lookups:
                tally.lookups.update(row.lookups)

    def _add(self, final: FinalRow) -> None:
        row = final.rendered
        if self._results is not None:
            self._results.add(final)
        else:
            assert self._spool is not None
            number = self.column_sets.setdefault(final.columns, len(self.column_sets))
            self.width = max(self.width, row.cells)
            self._spool.write(_JSONL([row.cells, row.inputs, row.enrich, number, row.outputs]) + "\n")
        self._jsonl.write(row.jsonl + "\n")
        tally = self.tally
        for charge in final.charges:
            self._credits.write(charge)
        tally.charges += len(final.charges)
        if row.error_line:
            self._errors.write(row.error_line)
        tally.statuses[row.status] += 1
        tally.credits += row.credits
        if row.reason:
            tally.reasons[row.reason] += 1
        if row.lookups:
            tally.lookups.update(row.lookups)

    @property
    def columns(self) -> list[str]:
        """Every output column of the spooled rows, in results.csv's order."""
        return sorted({name for columns in self.column_sets for name in columns})


def open_text(path: Path, mode: Literal["r", "w", "a"] = "w") -> TextIO:
    """A results file (or the spool) as UTF-8 text, newlines kept as written.

    A large buffer: each flush is a system call that lets the read-ahead threads take the
    interpreter, and taking it back can wait a whole switch interval.
    """
    return path.open(mode, encoding="utf-8", newline="", buffering=BUFFER)


def write_results(out: TextIO, spool: TextIO, header: list[str], done: RowsPass) -> None:
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
