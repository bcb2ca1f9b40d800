"""Checking an uploaded file before it is accepted, and turning JSON records into a CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.csvinput import open_csv
from chalicelib.domain.errors import BadInput

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
class FileCheck:
    """What a quick read of an accepted file found."""

    header: list[str]
    rows: int


def check_csv(data: bytes, max_rows: int) -> FileCheck:
    """Reject what is not a usable CSV with a message saying what to fix; count its rows."""
    for signature, what in _BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise BadInput(f"The file is {what}, not a CSV.")
    table = open_csv(io.BytesIO(data))
    try:
        rows = sum(1 for _ in table.rows)
    except csv.Error as exc:
        raise BadInput(f"The CSV could not be read: {exc}.") from exc
    if rows == 0:
        raise BadInput("The file has a header but no data rows: add at least one row.")
    if rows > max_rows:
        raise BadInput(
            f"The file has {rows} rows; a batch takes at most {max_rows}. Split the file.",
            rows=rows, max_rows=max_rows,
        )
    return FileCheck(header=table.header, rows=rows)


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
