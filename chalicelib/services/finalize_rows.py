"""The rows finalize writes, in row order: each settled row's latest version (as the worker
rendered it), every charge of the row (one credits.csv line each), and the rows a cancelled
batch never settled, read from the input file with their skip reason and row id.

A chunk settled by one part its worker rendered whole (every row once, consecutive: a completed
batch's chunks) comes as one ``Block``, written whole (``RowRange.items``); any other row comes
as a ``FinalRow``. Both say the same lines (``Block.final_rows``)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Generator, Iterator
from typing import NamedTuple

from chalicelib.domain.billing import row_cost
from chalicelib.domain.fields import csv_line
from chalicelib.domain.formulas import neutralize_all
from chalicelib.domain.models import Batch, ChunkState, RowResult
from chalicelib.domain.parts import StoredPart, read_part, stored_row
from chalicelib.domain.rendering import Rendered, charge_line, render_row
from chalicelib.domain.results import credit_cells
from chalicelib.ports.ledger import charge_entry_id
from chalicelib.services.input_rows import InputRows
from chalicelib.services.ports import Ports
from chalicelib.services.settled import part_bodies, place, settled_parts

Columns = tuple[str, ...]  # the output columns of a rendered row's ``outputs``


class FinalRow(NamedTuple):
    """One row of the results files: rendered, with its output columns and its charges."""

    rendered: Rendered
    columns: Columns
    charges: list[str]  # credits.csv lines, one per charge of the row (in part order)


class Block(NamedTuple):
    """The rows of a chunk's one settled part, consecutive, each settled once, as its worker
    rendered them: their output columns, and the ledger entry that charged them."""

    rows: list[Rendered]
    columns: Columns
    entry: str

    def final_rows(self) -> Iterator[FinalRow]:
        """The block's rows one by one (the lines a row at a time writes are the same)."""
        for row in self.rows:
            charges = [charge_line(row.credit_line, self.entry)] if row.credits else []
            yield FinalRow(row, self.columns, charges)


class _Settled(NamedTuple):
    latest: tuple[Rendered, Columns] | RowResult  # rendered by a worker, or as stored
    line: str  # the latest version's line (to render it again when charged more than once)
    charges: list[str]
    charged: int


def final_rows(ports: Ports, batch: Batch, chunks: list[ChunkState]) -> Iterator[FinalRow | Block]:
    """Every input row in input order, rendered, with its charges (``chunks``: the batch's), a
    chunk its worker rendered whole as one Block."""
    return RowRange(ports, batch, chunks, 0, tail=True).items()


class RowRange:
    """The rows a finalize writes of ``chunks`` (consecutive chunks of the batch), in row order,
    from row ``first`` (None: their first settled row): the rows no part holds before and between
    their settled rows (a stopped batch's, read from the input file), each settled row's latest
    version, and with ``tail`` the input's rows after them up to ``stop`` (None: the file's end).
    Afterwards ``next_row`` is the first row not given and ``ended`` whether the file has no more
    (known with ``tail`` only)."""

    def __init__(self, ports: Ports, batch: Batch, chunks: list[ChunkState], first: int | None,
                 tail: bool = False, stop: int | None = None) -> None:
        self._ports = ports
        self._batch = batch
        self._chunks = chunks
        self._tail = tail
        self._stop = stop
        self.next_row = -1 if first is None else first  # -1: from the first settled row
        self.ended = False

    def __iter__(self) -> Iterator[FinalRow]:
        for item in self.items():
            if isinstance(item, Block):
                yield from item.final_rows()
            else:
                yield item

    def items(self) -> Iterator[FinalRow | Block]:
        """The rows in row order, a chunk written whole by its worker as one ``Block``."""
        batch = self._batch
        cells = InputRows(self._ports, batch)
        settled = _settled(self._ports, batch, self._chunks)
        try:
            for found in settled:
                if isinstance(found, Block):
                    index = found.rows[0].i
                else:
                    index = found.latest.i if isinstance(found.latest, RowResult) else found.latest[0].i
                # only a stopped batch has rows never settled
                for missing in range(self.next_row if self.next_row >= 0 else index, index):
                    yield FinalRow(*render_row(cells.row(missing, *cells.at(missing)), batch.price,
                                               batch.escape_formulas), [])
                if isinstance(found, Block):
                    self.next_row = found.rows[-1].i + 1
                    yield found
                    continue
                self.next_row = index + 1
                yield _final(batch, found, cells)
        finally:
            settled.close()
        if not self._tail:
            return
        if batch.total_rows is not None and self.next_row >= batch.total_rows:
            self.ended = True
            return
        for index, values, reason in cells.between(self.next_row, self._stop):
            self.next_row = index + 1
            yield FinalRow(*render_row(cells.row(index, values, reason), batch.price,
                                       batch.escape_formulas), [])
        self.ended = cells.ended


def _final(batch: Batch, found: _Settled, cells: InputRows) -> FinalRow:
    latest = found.latest
    if isinstance(latest, RowResult):  # original cells, even those too large to travel
        latest.v = cells.at(latest.i)[0]
        return FinalRow(*render_row(latest, batch.price, batch.escape_formulas, found.charged), found.charges)
    if latest[0].credits != found.charged:  # charged more than once: show the row's total
        row = stored_row(found.line)
        return FinalRow(*render_row(row, batch.price, batch.escape_formulas, found.charged), found.charges)
    return FinalRow(latest[0], latest[1], found.charges)


def _settled(ports: Ports, batch: Batch,
             chunks: list[ChunkState]) -> Generator[_Settled | Block, None, None]:
    """Every settled row in row order (its latest version and every charge of every version), a
    chunk its worker rendered whole as one ``Block``."""
    bodies = part_bodies(ports.blobs, [place(part) for chunk in chunks for part in settled_parts(chunk)])
    try:
        for chunk in chunks:
            yield from _chunk(batch, chunk, bodies)
    finally:
        bodies.close()


def _chunk(batch: Batch, chunk: ChunkState, bodies: Iterator[bytes]) -> list[_Settled] | list[Block]:
    settled = [number for number, part in enumerate(chunk.parts) if part.settled]
    if len(settled) == 1:
        body = next(bodies)
        block = _block(batch, chunk, settled[0], read_part(body))
        return [block] if block is not None else _versions(batch, chunk, iter([body]))
    return _versions(batch, chunk, bodies)


def _block(batch: Batch, chunk: ChunkState, number: int, stored: StoredPart) -> Block | None:
    """A chunk's one settled part as a Block, if its worker rendered every settled row and they
    are consecutive (in row order, none twice)."""
    rendered = stored[1]
    if rendered is None:
        return None
    rows = rendered.rows[:chunk.parts[number].settled]
    first = rows[0].i if rows and rows[0] is not None else -1
    if first < 0 or not all(row is not None and row.i == first + k for k, row in enumerate(rows)):
        return None
    return Block(rows, rendered.columns,  # type: ignore[arg-type]  # none is None: checked above
                 charge_entry_id(batch.batch_id, chunk.chunk, number))


def _versions(batch: Batch, chunk: ChunkState, bodies: Iterator[bytes]) -> list[_Settled]:
    """A chunk's settled rows, row by row: each row's latest version and all its charges."""
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
