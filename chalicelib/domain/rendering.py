"""Each row's lines of the results files, rendered once, by the worker that enriched the row.

finalize then joins text instead of formatting every row itself: a batch's rows are rendered
in parallel by the work invocations, while they run, and not one by one at the end. What
finalize cannot know until every row has settled (every output column, the widest row) stays
apart: a row's input cells, enrich cells and output cells are rendered as three runs of csv
fields, the outputs in the order of the part's own columns, and finalize assembles them into
results.csv lines once the batch's columns are known (``results_line``).

The rendering travels in the part object (``parts.part_body``): a head line with the part's
output columns and each row's pieces, then each row's rows.jsonl line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import NamedTuple

from chalicelib.domain.billing import row_cost
from chalicelib.domain.fields import csv_field, csv_fields, text_fields
from chalicelib.domain.formulas import neutralize
from chalicelib.domain.models import RowResult, RowStatus
from chalicelib.domain.results import OutputShape, flatten_outputs, output_shape
from chalicelib.domain.row_lines import row_line

_ERRORS = (RowStatus.FAILED, RowStatus.SKIPPED)  # the rows errors.csv lists (``results.is_error``)


class Rendered(NamedTuple):
    """One row's share of every results file, and what summary.json counts of it."""

    i: int
    cells: int  # how many input cells the row has (results.csv pads it to the widest row)
    status: str
    credits: int
    reason: str | None  # errors.csv's reason code, counted in the summary; None unless an error
    inputs: str  # the input cells, as csv fields
    enrich: str  # results.csv's enrich columns, as csv fields
    outputs: str  # the output cells in the order of its part's columns, as csv fields
    credit_line: str  # the credits.csv line ("" when the row costs nothing)
    error_line: str  # the errors.csv line ("" unless the row failed or was skipped)
    lookups: list[str]  # how each vendor source answered the row (summary.json counts them)
    jsonl: str  # the rows.jsonl line (last: a part object's head leaves it out)


class RenderedPart(NamedTuple):
    """The rendered rows of one part (None: a row finalize renders) and their output columns."""

    columns: tuple[str, ...]
    rows: list[Rendered | None]


def render_rows(rows: Sequence[RowResult], price: int, escape: bool = True) -> RenderedPart:
    """Render settled rows (each ``v`` the input cells as the file has them).

    ``escape``: cells a spreadsheet would run as formulas are neutralized (``domain.formulas``)
    in every csv piece; rows.jsonl stays raw.
    """
    shapes = [output_shape(row.outputs) for row in rows]
    columns = shapes_columns(shapes)
    rendered = [_render(row, price, shape.cells(row.outputs, columns), escape)
                for row, shape in zip(rows, shapes, strict=True)]
    return RenderedPart(columns, list(rendered))


def shapes_columns(shapes: Sequence[OutputShape]) -> tuple[str, ...]:
    """The output columns of rows of these shapes, in results.csv's order (a part's ``columns``)."""
    return tuple(sorted({name for shape in set(shapes) for name in shape.names}))


def render_row(row: RowResult, price: int, escape: bool = True,
               charged: int | None = None) -> tuple[Rendered, tuple[str, ...]]:
    """Render one settled row; returns it with its output columns.

    ``charged``: what every enrichment of the row was charged, when a reprocess charged it
    more than once (results.csv and rows.jsonl show that; credits.csv has a line per charge).
    """
    flat = flatten_outputs(row.outputs)
    columns = tuple(sorted(flat))
    return _render(row, price, [flat[name] for name in columns], escape, charged), columns


def _render(row: RowResult, price: int, outputs: Sequence[str], escape: bool,
            charged: int | None = None) -> Rendered:
    fields = text_fields if escape else csv_fields
    field = _text_field if escape else csv_field  # for the cells only a row has (its id, its error)
    own = row_cost(row, price)
    cost = own if charged is None else charged
    # a row index, a status, a boolean and a cost are never quoted nor neutralized
    index, status, ident, error = str(row.i), row.status.value, field(row.row_id), row.error
    listed = row.status in _ERRORS
    reason = field(error) if error else ""
    return Rendered(
        row.i, len(row.v), status, cost, (error or "").split(":")[0] if listed else None,
        fields(row.v),
        f"{index},{ident},{status},{'true' if row.matched else 'false'},{cost},{reason}",
        fields(outputs),
        f"{index},{ident},{own}\r\n" if own else "",  # credits.csv
        f"{index},{ident},{status},{reason}\r\n" if listed else "",  # errors.csv
        list(row.lookups.values()),
        row_line(row, cost),
    )


def _text_field(cell: str) -> str:
    return csv_field(neutralize(cell))


def charge_line(credit_line: str, entry_id: str) -> str:
    """A row's credits.csv line for one charge: its rendered ``credit_line`` and the ledger entry
    that charged it (``CREDITS_COLUMNS``)."""
    return credit_line[:-2] + "," + csv_field(entry_id) + "\r\n"


def results_line(cells: int, inputs: str, enrich: str, outputs: str | None, width: int) -> str:
    """A row's results.csv line from its rendered pieces (``Rendered``'s fields of those names):
    the input cells padded to ``width``, the enrich columns, then the outputs (None: no output
    columns), already in the order of the file's columns (``reorder``).
    """
    line = inputs + "," * (width - cells + 1) if cells else "," * width
    line += enrich
    if outputs is not None:
        line += "," + outputs
    return line + "\r\n"


def reorder(outputs: str, columns: Sequence[str], wanted: Sequence[str]) -> str:
    """Output cells rendered in the order of ``columns``, in the order of ``wanted`` (a superset)."""
    parsed = next(csv.reader(io.StringIO(outputs, newline="")), [])
    found = dict(zip(columns, parsed + [""] * (len(columns) - len(parsed)), strict=True))
    return csv_fields([found.get(name, "") for name in wanted])


def row_json(row: RowResult, price: int, charged: int | None = None) -> dict[str, object]:
    """One row as rows.jsonl and the rows route show it (``charged``: what every enrichment of
    the row was charged, when a reprocess charged it more than once; ``lookups`` on rows that
    asked a vendor)."""
    credits = row_cost(row, price) if charged is None else charged
    shown: dict[str, object] = {
        "row_index": row.i, "row_id": row.row_id, "status": row.status.value,
        "matched": row.matched, "credits": credits, "error": row.error,
        "input": row.v, "outputs": row.outputs, "attributes": row.attributes, "found": row.found}
    if row.lookups:
        shown["lookups"] = row.lookups
    return shown
