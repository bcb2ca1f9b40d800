"""The rows finalize writes, in row order: each settled row's latest version (as the worker
rendered it), every charge of the row (one credits.csv line each), and the rows a cancelled
batch never settled, read from the input file with their skip reason and row id."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Generator, Iterator
from typing import NamedTuple

from chalicelib.domain.billing import row_cost
from chalicelib.domain.fields import csv_line
from chalicelib.domain.formulas import neutralize_all
from chalicelib.domain.models import Batch, ChunkState, RowResult
from chalicelib.domain.parts import read_part, stored_row
from chalicelib.domain.rendering import Rendered, charge_line, render_row
from chalicelib.domain.results import credit_cells
from chalicelib.ports.ledger import charge_entry_id
from chalicelib.services.input_rows import InputRows
from chalicelib.services.ports import Ports
from chalicelib.services.settled import READ_AHEAD, read_ahead, settled_parts

Columns = tuple[str, ...]  # the output columns of a rendered row's ``outputs``


class FinalRow(NamedTuple):
    """One row of the results files: rendered, with its output columns and its charges."""

    rendered: Rendered
    columns: Columns
    charges: list[str]  # credits.csv lines, one per charge of the row (in part order)


class _Settled(NamedTuple):
    latest: tuple[Rendered, Columns] | RowResult  # rendered by a worker, or as stored
    line: str  # the latest version's line (to render it again when charged more than once)
    charges: list[str]
    charged: int


def final_rows(ports: Ports, batch: Batch, chunks: list[ChunkState]) -> Iterator[FinalRow]:
    """Every input row in input order, rendered, with its charges (``chunks``: the batch's)."""
    cells = InputRows(ports, batch)
    expected = 0
    settled = _settled(ports, batch, chunks)
    try:
        for found in settled:
            index = found.latest.i if isinstance(found.latest, RowResult) else found.latest[0].i
            for missing in range(expected, index):  # only a cancelled batch has rows never settled
                yield FinalRow(*render_row(cells.row(missing, *cells.at(missing)), batch.price,
                                                 batch.escape_formulas), [])
            expected = index + 1
            yield _final(batch, found, cells)
    finally:
        settled.close()
    if batch.total_rows is None or expected < batch.total_rows:
        for index, values, reason in cells.rest():
            if index >= expected:
                yield FinalRow(*render_row(cells.row(index, values, reason), batch.price,
                                                 batch.escape_formulas), [])


def _final(batch: Batch, found: _Settled, cells: InputRows | None) -> FinalRow:
    latest = found.latest
    if isinstance(latest, RowResult):  # original cells, even those too large to travel
        if cells is None:
            raise LookupError(f"row {latest.i} needs its cells from the input file")
        latest.v = cells.at(latest.i)[0]
        return FinalRow(*render_row(latest, batch.price, batch.escape_formulas, found.charged), found.charges)
    if latest[0].credits != found.charged:  # charged more than once: show the row's total
        row = stored_row(found.line)
        return FinalRow(*render_row(row, batch.price, batch.escape_formulas, found.charged), found.charges)
    return FinalRow(latest[0], latest[1], found.charges)


def settled_rows(ports: Ports, batch: Batch, chunks: list[ChunkState]) -> Iterator[FinalRow]:
    """The settled rows of these chunks in row order, rendered, with their charges: the rows a
    step of a completed batch writes (every row settled; none is read from the input file)."""
    settled = _settled(ports, batch, chunks)
    try:
        for found in settled:
            yield _final(batch, found, None)
    finally:
        settled.close()


def _settled(ports: Ports, batch: Batch, chunks: list[ChunkState]) -> Generator[_Settled, None, None]:
    """Every settled row in row order: its latest version and every charge of every version."""
    keys = [part.key for chunk in chunks for part in settled_parts(chunk)]
    bodies = read_ahead(ports.blobs.read, keys, READ_AHEAD)
    try:
        for chunk in chunks:
            yield from _chunk(batch, chunk, bodies)
    finally:
        bodies.close()


def _chunk(batch: Batch, chunk: ChunkState, bodies: Iterator[bytes]) -> list[_Settled]:
    latest: dict[int, tuple[tuple[Rendered, Columns] | RowResult, str]] = {}
    charges: defaultdict[int, list[str]] = defaultdict(list)
    charged: Counter[int] = Counter()
    for number, part in enumerate(chunk.parts):
        if not part.settled:
            continue
        lines, rendered = read_part(next(bodies))
        entry = charge_entry_id(batch.batch_id, chunk.chunk, number)
        for n in range(part.settled):
            done = rendered.rows[n] if rendered else None
            if done is not None and rendered is not None:
                latest[done.i] = ((done, rendered.columns), lines[n])
                index, cost, credit_line = done.i, done.credits, done.credit_line
            else:
                row = stored_row(lines[n])
                latest[row.i] = (row, lines[n])
                index, cost = row.i, row_cost(row, batch.price)
                cells = credit_cells(row, batch.price) or []
                credit_line = csv_line(neutralize_all(cells) if batch.escape_formulas else cells)
            if cost:
                charges[index].append(charge_line(credit_line, entry))
                charged[index] += cost
    return [_Settled(latest[i][0], latest[i][1], charges.get(i, []), charged[i])
            for i in sorted(latest)]
