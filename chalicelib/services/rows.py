"""Reading a batch's rows back: a page of per-row results, and the no-personal-data preview."""

from __future__ import annotations

import itertools
from typing import Any

from chalicelib.domain.limits import MAX_ROW_IDS_PER_STATUS
from chalicelib.domain.models import Batch, RowStatus
from chalicelib.domain.results import vendor_lookups
from chalicelib.services.batch_rows import current_rows
from chalicelib.services.ports import Ports

# Enricher name -> what the preview calls what it found.
PREVIEW_NAMES = {"email": "emails", "phone": "phones", "name": "names", "company": "companies",
                 "place": "places", "creator": "creators"}


def rows_page(ports: Ports, batch: Batch, status: RowStatus | None, limit: int,
              offset: int) -> dict[str, Any]:
    """``{rows, total, limit, offset}``: every row in input order with its status now (pending,
    parked or settled), optionally of one status."""
    rows = current_rows(ports, batch)
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


def row_ids(ports: Ports, batch: Batch) -> dict[str, Any]:
    """The batch's row ids grouped by row status now (seed 003's ``jobs``), at most
    ``MAX_ROW_IDS_PER_STATUS`` a status; ``complete`` says whether every id is listed."""
    grouped: dict[str, list[str]] = {status.value: [] for status in RowStatus}
    complete = True
    for row in current_rows(ports, batch):
        ids = grouped[row["status"]]
        if len(ids) < MAX_ROW_IDS_PER_STATUS:
            ids.append(row["row_id"])
        else:
            complete = False
    return {"by_status": grouped, "complete": complete, "limit_per_status": MAX_ROW_IDS_PER_STATUS}
