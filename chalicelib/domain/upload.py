"""Checking a file before it is accepted: what it is, how its columns map, what it will cost."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

from chalicelib.domain.columns import ColumnMap, ColumnMapping, resolve_columns
from chalicelib.domain.csvinput import CsvTable, open_csv
from chalicelib.domain.enrich.creator import platform_in_header
from chalicelib.domain.entities import ENTITY_TYPES, can_map, infer_entity_type, needs
from chalicelib.domain.errors import BadInput, InvalidRequest
from chalicelib.domain.inspection import FileReport, inspect_rows
from chalicelib.domain.limits import MAX_COLUMNS
from chalicelib.domain.records import RowClassifier

SAMPLE_ROWS = 200  # rows the column detector looks at
# Magic numbers of files people rename to .csv by mistake.
_BINARY_SIGNATURES = {
    b"PK\x03\x04": "an Excel workbook or a ZIP archive: save it as CSV (File > Save As > CSV UTF-8)",
    b"\xd0\xcf\x11\xe0": "an old Excel (.xls) workbook: save it as CSV",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
}


@dataclass(frozen=True)
class Layout:
    """How a file's columns read: the names results will show, the mapping, the entity type."""

    columns: list[str]
    mapping: ColumnMapping
    entity_type: str
    platform: str | None = None  # a creator file's platform, read from its handle column's name


def synthetic_names(width: int) -> list[str]:
    """Column names for a file without a header row."""
    return [f"column_{n}" for n in range(1, width + 1)]


def columns_and_rows(table: CsvTable, has_header: bool,
                     skip_rows: int) -> tuple[list[str], Iterator[list[str]]]:
    """The input columns as the customer wrote them, and every data row after them.

    Past a preamble the real header is its last row; a file without a header gets
    ``column_N`` names and its first line is data. ``skip_rows`` counts lines that are not
    blank (the column detector never sees blank lines).
    """
    if not has_header:
        return synthetic_names(len(table.header)), itertools.chain([table.header], table.rows)
    if skip_rows:
        preamble = itertools.islice((row for row in table.rows if row), skip_rows)
        return list(preamble)[-1], table.rows
    return table.header, table.rows


def reject_binary(data: bytes) -> None:
    """A 400 for files that are not text at all, naming what they are."""
    for signature, what in _BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise BadInput(f"The file is {what}, not a CSV.")


CachedMaps = Callable[[list[str]], "dict[str, str] | None"]


def read_layout(table: CsvTable, explicit: ColumnMap, cached: CachedMaps,
                entity_type: str | None) -> tuple[Layout, Iterator[list[str]]]:
    """Resolve the columns from the header and a sample; returns the layout and every data row."""
    if len(table.header) > MAX_COLUMNS:
        raise BadInput(f"The file has {len(table.header)} columns; a batch takes at most "
                       f"{MAX_COLUMNS}. Remove the columns you do not need.")
    sample = list(itertools.islice(table.rows, SAMPLE_ROWS))
    mapping = resolve_columns(table.header, [row for row in sample if row], explicit,
                              cached(table.header))
    everything = CsvTable(table.header, itertools.chain(sample, table.rows), table.encoding,
                          table.delimiter)
    columns, rows = columns_and_rows(everything, mapping.has_header, mapping.skip_rows)
    _check_column_map(explicit, mapping)
    resolved = entity_type or infer_entity_type(mapping.fields)
    if resolved is None or not can_map(resolved, mapping.fields):
        wanted = resolved or "any entity type"
        hint = needs(resolved) if resolved else "; ".join(f"{t}: {needs(t)}" for t in ENTITY_TYPES)
        raise BadInput(
            f"No column can be enriched as {wanted}: found {', '.join(columns)}. The file needs "
            f"{hint}. Rename a column or pass column_map, e.g. {{\"Mail\": \"email\"}}.",
            mapping=mapping.to_json(),
        )
    return Layout(columns, mapping, resolved, _platform(resolved, columns, mapping)), rows


def _check_column_map(explicit: ColumnMap, mapping: ColumnMapping) -> None:
    """A 422 naming every column ``column_map`` names that the file does not have."""
    missing = [name for name in explicit if name not in mapping.header]
    if missing:
        raise InvalidRequest(
            f"column_map names columns the file does not have: {', '.join(map(repr, missing))}. "
            f"Its columns are: {', '.join(mapping.header)}.", field="column_map")


def _platform(entity_type: str, columns: list[str], mapping: ColumnMapping) -> str | None:
    """The platform a creator file's handle column is named after ("Instagram", "TikTok handle")."""
    index = mapping.fields.get("handle")
    if entity_type != "creator" or index is None or "platform" in mapping.fields:
        return None
    return platform_in_header(columns[index]) if index < len(columns) else None


def check_file(stream: BinaryIO, explicit: ColumnMap, cached: CachedMaps,
               entity_type: str | None, classifier_options: dict[str, Any],
               max_rows: int) -> tuple[Layout, FileReport]:
    """Read a whole file as the pipeline will; 4xx with what to fix when it is unusable."""
    reader = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(
        cast(io.RawIOBase, stream))
    reject_binary(reader.peek(len(max(_BINARY_SIGNATURES, key=len))))
    layout, rows = read_layout(open_csv(reader), explicit, cached, entity_type)
    classifier = RowClassifier(layout.mapping.fields, layout.entity_type, max_rows=max_rows,
                               **classifier_options)
    report = inspect_rows(rows, len(layout.columns), classifier)
    if report.records == 0:
        raise BadInput("The file has a header but no data rows: add at least one row.")
    if report.records > max_rows:
        raise BadInput(
            f"The file has {report.records} rows; a batch takes at most {max_rows}. Split the file.",
            rows=report.records, max_rows=max_rows)
    if report.usable == 0:
        raise BadInput(
            f"No row can be enriched as {layout.entity_type}: every row lacks "
            f"{needs(layout.entity_type)} (or is over row_limit).",
            skipped_by_reason=dict(report.skipped))
    return layout, report


def records_to_csv(records: Sequence[dict[str, Any]]) -> bytes:
    """JSON records as CSV bytes: columns are the union of keys in first-seen order."""
    columns: dict[str, None] = {}
    for record in records:
        columns.update(dict.fromkeys(str(k) for k in record))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow(_text(record.get(name)) for name in columns)
    return out.getvalue().encode()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
