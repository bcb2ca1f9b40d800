"""A part object: the rows of one settled (or parked) part of a chunk, as stored in S3.

Since ``PART_VERSION`` 5 each row is stored once: a head line (``{"part": 5, ...}``: the part's
output columns and each row's results-file pieces, ``rendering.Rendered`` without its last field),
then one line per row, its rows.jsonl line (a row that travelled without its cells, which finalize
renders from the input file, has its ``RowResult`` JSON line instead). Every reader reads the
older layouts too, since the parts of batches in flight during a deploy keep them:

- rows only: one ``RowResult`` JSON line per row (parts parked without work, reprocess parts);
- rendered (versions 3 and 4): the rows' ``RowResult`` lines, then a trailer line
  ``{"rendered": {...}}``, then each row's rows.jsonl line (each row stored twice).

A reader of an older release meeting a version 5 part fails (no line of it parses as a
``RowResult``): its message is retried, rather than reading rows that are not there.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import NamedTuple

from chalicelib.domain.chunking import TOO_LARGE
from chalicelib.domain.models import RowResult, RowStatus
from chalicelib.domain.rendering import Rendered, RenderedPart, render_rows, shapes_columns
from chalicelib.domain.results import output_shape

PART_VERSION = 5
HEAD = '{"part":'  # a version 5 part's first line starts so (a row's line never does)
TRAILER = '{"rendered":'  # versions 3-4: the line after the rows' own lines starts so
_TRAILER_VERSIONS = (4,)  # older renderings whose pieces are a version 5 head's: still joined
_ROW = '{"i":'  # a RowResult JSON line starts so; a rows.jsonl line starts '{"row_index":'


class PartShape(NamedTuple):
    """What results.csv needs of a settled part before its first line: the part's output columns
    (as its head stores them) and the most input cells a settled row of it has."""

    columns: tuple[str, ...]
    width: int


class StoredPart(NamedTuple):
    """A part object as read: a line per row (``stored_row`` parses either kind) and, when the
    worker rendered them, the rows' results-file pieces."""

    lines: list[str]
    rendered: RenderedPart | None


def part_body(rows: Sequence[RowResult], price: int, escape: bool = True) -> bytes:
    """A part object of enriched rows, each row rendered for the results files and stored once.

    A row that travelled without its cells (too large for a message) is not rendered (null):
    finalize renders it with the cells it reads from the input file.
    """
    return rendered_body(rows, price, escape)[0]


def rendered_body(rows: Sequence[RowResult], price: int,
                  escape: bool = True) -> tuple[bytes, tuple[str, ...]]:
    """``part_body``'s bytes and the output columns its head names (``part_shape``'s columns,
    so a worker need not work them out again from every row)."""
    carried = [row for row in rows if not _uncarried(row)]
    part = render_rows(carried, price, escape)
    by_index = {done.i: done for done in part.rows if done is not None}
    entries = [by_index.get(row.i) for row in rows]
    head = {"part": PART_VERSION, "columns": part.columns,
            "rows": [None if done is None else done[:-1] for done in entries]}
    lines = [json.dumps(head, ensure_ascii=False)]
    lines.extend(row.model_dump_json() if done is None else done.jsonl
                 for row, done in zip(rows, entries, strict=True))
    return "\n".join(lines).encode(), part.columns


def part_shape(rows: Sequence[RowResult], settled: int,
               columns: tuple[str, ...] | None = None) -> PartShape | None:
    """The shape of an enriched part whose first ``settled`` rows settle (``part_body``'s
    columns, or ``columns`` when ``rendered_body`` gave them); None when one of those rows is
    one finalize renders (it travelled without cells)."""
    if any(_uncarried(row) for row in rows[:settled]):
        return None
    if columns is None:
        columns = shapes_columns([output_shape(row.outputs) for row in rows if not _uncarried(row)])
    return PartShape(columns, max((len(row.v) for row in rows[:settled]), default=0))


def _uncarried(row: RowResult) -> bool:
    return row.error == TOO_LARGE and not row.v


def rows_body(rows: Sequence[RowResult]) -> bytes:
    """A part object of rows only (parked without work, or waiting to be reprocessed)."""
    return "\n".join(row.model_dump_json() for row in rows).encode()


def read_part(body: bytes) -> StoredPart:
    """A part object of any layout: its rows' lines, and their rendering where it has one."""
    lines = _lines(body)
    if lines and lines[0].startswith(HEAD):
        head = json.loads(lines[0])
        rows = [None if entry is None else Rendered._make([*entry, line])
                for entry, line in zip(head["rows"], lines[1:], strict=True)]
        return StoredPart(lines[1:], RenderedPart(tuple(head["columns"]), rows))
    for n, line in enumerate(lines):
        if line.startswith(TRAILER):
            trailer = json.loads(line)["rendered"]
            rest = lines[n + 1:]
            if trailer.get("v") not in _TRAILER_VERSIONS or not len(trailer["rows"]) == n == len(rest):
                return StoredPart(lines[:n], None)
            rendered = [None if entry is None else Rendered._make([*entry, jsonl])
                        for entry, jsonl in zip(trailer["rows"], rest, strict=True)]
            return StoredPart(lines[:n], RenderedPart(tuple(trailer["columns"]), rendered))
    return StoredPart(lines, None)


def stored_rows(body: bytes) -> list[RowResult]:
    """Every row a part object holds, in its order, whichever its layout."""
    return [stored_row(line) for line in read_part(body).lines]


def stored_row(line: str) -> RowResult:
    """One row from its line in a part object: a ``RowResult`` JSON line or a rows.jsonl line.

    From a rows.jsonl line ``credits`` is what the row costs (set on a matched row only): all
    that any reader asks of it (``billing.row_cost``).
    """
    if line.startswith(_ROW):
        return RowResult.model_validate_json(line)
    shown = json.loads(line)
    status = RowStatus(shown["status"])
    return RowResult(i=shown["row_index"], v=shown["input"], row_id=shown["row_id"], status=status,
                     matched=shown["matched"], outputs=shown["outputs"], attributes=shown["attributes"],
                     found=shown["found"], error=shown["error"], lookups=shown.get("lookups", {}),
                     credits=shown["credits"] if status is RowStatus.COMPLETED else None)


def _lines(body: bytes) -> list[str]:
    """A stored part's non-empty lines, split on ``\\n`` only: a cell may hold U+2028, U+0085 or
    other characters that ``str.splitlines`` also breaks on, and JSON keeps them unescaped."""
    return [line for line in body.decode().split("\n") if line]
