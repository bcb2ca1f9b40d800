"""The results files: every input row in order, original columns untouched, then outputs."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

from chalicelib.domain.billing import row_cost
from chalicelib.domain.models import RowResult, RowStatus

ENRICH_COLUMNS = (
    "row_index", "row_id", "enrich_status", "enrich_matched", "enrich_credits", "enrich_error",
)
CREDITS_COLUMNS = ("row_index", "row_id", "credits")
ERRORS_COLUMNS = ("row_index", "row_id", "enrich_status", "reason")


def flatten_outputs(outputs: dict[str, dict[str, Any]]) -> dict[str, str]:
    """``{"email": {"domain": "x.com"}}`` -> ``{"email.domain": "x.com"}`` as CSV text."""
    flat: dict[str, str] = {}
    for source, values in outputs.items():
        for name, value in values.items():
            flat[f"{source}.{name}"] = _cell(value)
    return flat


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def input_header(header: list[str], width: int) -> list[str]:
    """The file's header, widened with ``extra_N`` names when some row had more cells."""
    extra = [f"extra_{n}" for n in range(1, width - len(header) + 1)]
    return list(header) + extra


def write_results_csv(
    out: TextIO,
    header: list[str],
    output_columns: list[str],
    rows: Iterable[RowResult],
    price: int,
) -> None:
    """Write results.csv: input cells as given (short rows padded), then enrich columns and outputs."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*header, *ENRICH_COLUMNS, *output_columns])
    width = len(header)
    for row in rows:
        cells = row.v + [""] * (width - len(row.v))
        flat = flatten_outputs(row.outputs)
        enrich = [
            str(row.i), row.row_id, row.status.value, _cell(row.matched),
            str(row_cost(row, price)), row.error or "",
        ]
        writer.writerow([*cells, *enrich, *(flat.get(c, "") for c in output_columns)])


def write_credits_csv(out: TextIO, rows: Iterable[RowResult], price: int) -> None:
    """Write credits.csv: one line per charged row."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CREDITS_COLUMNS)
    for row in rows:
        cost = row_cost(row, price)
        if cost:
            writer.writerow([row.i, row.row_id, cost])


def write_errors_csv(out: TextIO, rows: Iterable[RowResult]) -> None:
    """Write errors.csv: every failed or skipped row with its reason code."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ERRORS_COLUMNS)
    for row in rows:
        if row.status in (RowStatus.FAILED, RowStatus.SKIPPED):
            writer.writerow([row.i, row.row_id, row.status.value, row.error or ""])
