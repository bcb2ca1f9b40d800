"""Reading a batch's rows back: a page of per-row results, and the no-personal-data preview."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any, BinaryIO

from chalicelib.domain.models import Batch, RowStatus
from chalicelib.domain.rendering import row_json
from chalicelib.domain.results import vendor_lookups
from chalicelib.keys import results_key
from chalicelib.services.ports import Ports
from chalicelib.services.settled import settled_rows

# Enricher name -> what the preview calls what it found.
PREVIEW_NAMES = {"email": "emails", "phone": "phones", "name": "names", "company": "companies",
                 "place": "places", "creator": "creators"}


def _rows(ports: Ports, batch: Batch) -> Iterator[dict[str, Any]]:
    """Every row with an outcome so far: the results file once written, else the settled parts."""
    if batch.has_results:
        for line in _lines(ports.blobs.open(results_key(batch, "rows.jsonl"))):
            yield json.loads(line)
    else:
        for row in settled_rows(ports, batch):
            yield row_json(row, batch.price)


def _lines(stream: BinaryIO) -> Iterator[bytes]:
    """A stream's non-empty lines, read a block at a time (rows.jsonl breaks lines on \\n only)."""
    pending = b""
    while block := stream.read(1 << 16):
        *whole, pending = (pending + block).split(b"\n")
        yield from (line for line in whole if line)
    if pending:
        yield pending


def rows_page(ports: Ports, batch: Batch, status: RowStatus | None, limit: int,
              offset: int) -> dict[str, Any]:
    """``{rows, total, limit, offset}``: rows in input order, optionally of one status."""
    rows = _rows(ports, batch)
    if status is not None:
        rows = (row for row in rows if row["status"] == status.value)
    before = sum(1 for _ in itertools.islice(rows, offset))
    page = list(itertools.islice(rows, limit))
    total = before + len(page) + sum(1 for _ in rows)
    return {"rows": page, "total": total, "limit": limit, "offset": offset}


def preview(batch: Batch) -> dict[str, Any]:
    """Counts only, never a value from the file: rows, matches, what each enricher found, and
    the vendor calls made and saved."""
    found = {PREVIEW_NAMES.get(name, name): count for name, count in sorted(batch.found.items())}
    return {
        "batch_id": batch.batch_id, "status": batch.status.value, "rows": batch.total_rows,
        "matched": batch.counts.completed, "not_found": batch.counts.not_found,
        "found": found, "vendor_lookups": vendor_lookups(batch.lookups),
    }
