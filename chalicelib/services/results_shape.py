"""results.csv's header before its first row: from the shapes the settlements recorded.

Each settlement of an enriched part adds the part's output columns and its widest settled row to
the batch item (``Batch.shaped_parts``, ``shape_columns``, ``shape_width``; set ADDs). When every
settled part of a completed batch recorded its shape, their union is exactly what finalize would
gather from the rows themselves, so results.csv can be written in the same pass as the other files.
Not when a part settled without it (a part stored before this was recorded, a part parked without
work, a given-up part, a reprocess part: its rows replace earlier versions, so the union could hold
columns no row shows), nor for a cancelled or failed batch (finalize renders the rows it never
settled itself): those batches take the two passes.
"""

from __future__ import annotations

from typing import NamedTuple

from chalicelib.domain.csvinput import open_csv
from chalicelib.domain.formulas import neutralize_text
from chalicelib.domain.models import Batch, BatchStatus, ChunkState
from chalicelib.domain.results import input_header
from chalicelib.domain.upload import columns_and_rows
from chalicelib.services.ports import Ports


class ResultsShape(NamedTuple):
    """results.csv's input header (widened to the widest row) and its output columns."""

    header: list[str]
    columns: list[str]


def settled_part_count(chunks: list[ChunkState]) -> int:
    """How many parts of these chunks settled at least one row."""
    return sum(1 for chunk in chunks for part in chunk.parts if part.settled)


def known_shape(batch: Batch, chunks: list[ChunkState], file_header: list[str]) -> ResultsShape | None:
    """results.csv's header as the settlements recorded it; None when they did not all record it."""
    if batch.status is BatchStatus.CANCELLED or batch.failure is not None:
        return None
    settled = settled_part_count(chunks)
    if not settled or batch.shaped_parts != settled or batch.total_rows != sum(
            part.settled for chunk in chunks for part in chunk.parts):  # every row settled once
        return None
    return ResultsShape(widened(batch, file_header, batch.shape_width), sorted(batch.shape_columns))


def widened(batch: Batch, file_header: list[str], width: int) -> list[str]:
    """The file's header widened with ``extra_N`` names to ``width`` cells (neutralized for a
    spreadsheet unless the batch opted out: a column name is a cell like any other)."""
    header = input_header(file_header, max(len(file_header), width))
    return neutralize_text(header) if batch.escape_formulas else header


def file_header(ports: Ports, batch: Batch) -> list[str]:
    """The input file's header as results.csv repeats it (read from the start of the file)."""
    table = open_csv(ports.blobs.open(batch.input_key))
    header, _ = columns_and_rows(table, batch.has_header, batch.skip_rows)
    return header
