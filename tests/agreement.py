"""Every number a user sees about one batch, gathered from each place that shows it, and the check
that they agree (issue 11): status body, /rows, summary.json, credits.csv, the ledger, the balance."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from chalicelib.keys import results_key
from chalicelib.services.tenants import NewTenant
from tests.api_client import Http
from tests.conftest import Aws
from tests.csvs import read_rows

ROW_STATUSES = ("pending", "completed", "not_found", "failed", "skipped", "parked")


@dataclass
class Books:
    """One batch as every view shows it at one moment."""

    status: dict[str, Any]
    rows_by_status: dict[str, int]  # /rows?status=... totals
    rows: list[dict[str, Any]]  # /rows, every page
    ledger_charged: int  # what the batch's ledger entries charged
    summary: dict[str, Any] | None = None  # summary.json once the results exist
    credits_lines: list[dict[str, str]] = field(default_factory=list)
    results: list[dict[str, str]] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """The status body's counts as row statuses (queued and processing rows are pending)."""
        c = self.status["counts"]
        return {"pending": c["queued"] + c["processing"], **{s: c[s] for s in ROW_STATUSES[1:]}}


def books(http: Http, aws: Aws, tenant: NewTenant, batch_id: str) -> Books:
    """Read every view of the batch."""
    key = tenant.api_key
    status = http.status(key, batch_id)
    by_status = {}
    for name in ROW_STATUSES:
        page = http.get(f"/v1/batches/{batch_id}/rows?status={name}&limit=1", key)
        assert page.status == 200, page.raw
        by_status[name] = page.json()["total"]
    rows = all_rows(http, key, batch_id)
    entries = http.get(f"/v1/credits/ledger?batch_id={batch_id}&limit=200", key).json()["entries"]
    found = Books(status, by_status, rows, -sum(int(e["credits"]) for e in entries))
    if status["results"]:
        batch = aws.ports.batches.get(tenant.tenant_id, batch_id)
        assert batch is not None
        found.summary = json.loads(aws.ports.blobs.read(results_key(batch, "summary.json")))
        found.credits_lines = read_rows(aws.ports.blobs.read(results_key(batch, "credits.csv")))
        found.results = read_rows(aws.ports.blobs.read(results_key(batch, "results.csv")))
    return found


def all_rows(http: Http, key: str, batch_id: str) -> list[dict[str, Any]]:
    """Every row /rows lists, page after page."""
    rows: list[dict[str, Any]] = []
    while True:
        page = http.get(f"/v1/batches/{batch_id}/rows?limit=1000&offset={len(rows)}", key).json()
        rows += page["rows"]
        if not page["rows"] or len(rows) >= page["total"]:
            return rows


def assert_agree(found: Books, input_ids: list[str] | None = None) -> None:
    """Counts agree everywhere, charges agree everywhere, every input row once at its place."""
    counts = found.counts
    assert counts == found.rows_by_status, (counts, found.rows_by_status)
    assert Counter(row["status"] for row in found.rows) == +Counter(counts)
    assert sum(counts.values()) == found.status["counts"]["total"] == len(found.rows)
    assert [row["row_index"] for row in found.rows] == list(range(len(found.rows)))
    assert found.status["credits_spent"] == found.ledger_charged
    assert sum(row["credits"] for row in found.rows) == found.ledger_charged
    if found.summary is None:
        return
    assert found.summary["by_status"] == +Counter(counts), (found.summary, counts)
    assert found.summary["rows"] == len(found.results) == found.status["counts"]["total"]
    assert found.summary["credits"] == found.ledger_charged
    assert sum(int(line["credits"]) for line in found.credits_lines) == found.ledger_charged
    assert found.summary["charges"] == len(found.credits_lines)
    assert sum(int(row["enrich_credits"]) for row in found.results) == found.ledger_charged
    assert [int(row["row_index"]) for row in found.results] == list(range(len(found.results)))
    if input_ids is not None:
        assert [row["id"] for row in found.results] == input_ids
