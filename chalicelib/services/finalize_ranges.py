"""Which rows each finalize step takes, so that every step is bounded and every row is written once.

A step takes whole chunks (consecutive positions in the batch's chunk records) until they hold
``finalize_step_rows`` rows: their settled rows, and for a stopped batch the rows of the chunks
no record holds (counted at the chunk size; their rows are read from the input file). The rows
no part holds before a step's first settled row are that step's. Past the last chunk record, a
stopped batch (cancelled, or failed with rows never processed) may have rows no chunk holds
(split never sent them): those are taken ``finalize_step_rows`` at a time, until the file ends.
A step's end (``end``, ``stop``) is fixed when its checkpoint is recorded.
"""

from __future__ import annotations

from chalicelib.domain.finalize_checkpoint import FinalizeCheckpoint, SurveyedHeader
from chalicelib.domain.models import Batch, ChunkState, Mode
from chalicelib.services.finalize_rows import RowRange
from chalicelib.services.ports import Ports


def step_end(chunks: list[ChunkState], start: int, rows: int, per_chunk: int = 0) -> int:
    """Where the step that starts at chunk position ``start`` ends: after whole chunks holding at
    least ``rows`` rows (one chunk at least; a chunk number no record holds counts
    ``per_chunk``), or at the end."""
    held, end = 0, start
    while end < len(chunks) and (held < rows or end == start):
        before = chunks[end - 1].chunk + 1 if end else 0
        held += (chunks[end].chunk - before) * per_chunk  # chunks that never settled a row
        held += sum(part.settled for part in chunks[end].parts)
        end += 1
    return end


def chunk_rows(ports: Ports, batch: Batch) -> int:
    """The rows of a chunk of this batch (as split packs them, at most)."""
    settings = ports.settings
    return settings.advanced_chunk_rows if batch.mode is Mode.ADVANCED else settings.chunk_rows


def first_step(ports: Ports, batch: Batch, chunks: list[ChunkState], step: int,
               uploads: dict[str, str], header: SurveyedHeader) -> FinalizeCheckpoint:
    """The checkpoint of a step ``step`` that starts at the batch's first row."""
    rows = ports.settings.finalize_step_rows
    end = step_end(chunks, 0, rows, chunk_rows(ports, batch))
    return FinalizeCheckpoint(step=step, chunk=0, end=end, row=0, stop=None if chunks else rows,
                              uploads=uploads, header=header)


def span_end(ports: Ports, chunks: list[ChunkState], at: FinalizeCheckpoint) -> int:
    """The chunk position after the last chunk of the step ``at`` names."""
    if at.chunk >= len(chunks):
        return at.chunk
    return at.end if at.end is not None else step_end(chunks, at.chunk,
                                                      ports.settings.finalize_step_rows)


def step_rows(ports: Ports, batch: Batch, chunks: list[ChunkState], at: FinalizeCheckpoint) -> RowRange:
    """The rows of the step checkpoint ``at`` names, in row order."""
    if at.chunk < len(chunks):
        return RowRange(ports, batch, chunks[at.chunk:span_end(ports, chunks, at)], at.row)
    return RowRange(ports, batch, [], at.row or 0, tail=True, stop=at.stop)


def is_last(ports: Ports, batch: Batch, chunks: list[ChunkState], at: FinalizeCheckpoint,
            taken: RowRange) -> bool:
    """True when the step ``at`` (its rows ``taken``, read) took the batch's last rows."""
    if at.chunk >= len(chunks):
        return taken.ended
    return span_end(ports, chunks, at) >= len(chunks) and batch.total_rows is not None \
        and taken.next_row >= batch.total_rows


def following(ports: Ports, batch: Batch, chunks: list[ChunkState], at: FinalizeCheckpoint,
              taken: RowRange) -> tuple[int, int, int, int | None]:
    """The next step's first chunk position, end, first row and stop (``at``'s rows read)."""
    rows = ports.settings.finalize_step_rows
    chunk = span_end(ports, chunks, at)
    if chunk < len(chunks):
        return chunk, step_end(chunks, chunk, rows, chunk_rows(ports, batch)), taken.next_row, None
    return chunk, chunk, taken.next_row, taken.next_row + rows
