"""max_failed_percent: past it the batch stops failed with the reason, uncharged, and reprocess
picks up every row it did not enrich."""

from __future__ import annotations

import pytest

from chalicelib.services.tenants import NewTenant
from tests.api_client import Http
from tests.conftest import Aws
from tests.helpers import charged, email_outage, results_rows

RECORDS = [{"id": str(i), "email": f"p{i}@example.com"} for i in range(40)]
DOWN = {f"p{i}@example.com" for i in range(5, 10)}  # the second chunk's rows: 5 of 40 = 12.5%


def _run(aws: Aws, http: Http, monkeypatch: pytest.MonkeyPatch,
         threshold: float) -> tuple[NewTenant, str]:
    monkeypatch.setattr(aws.ports, "settings", aws.ports.settings.model_copy(update={"chunk_rows": 5}))
    tenant = aws.tenant(1000)
    email_outage(monkeypatch, DOWN)
    created = http.send("POST", "/v1/batches", tenant.api_key,
                        {"records": RECORDS, "max_failed_percent": threshold})
    assert created.status == 202, created.body
    assert created.body["max_failed_percent"] == threshold
    aws.drain()
    return tenant, created.body["batch_id"]


def test_past_max_failed_percent_the_batch_stops_failed_and_charges_only_enriched_rows(
    aws: Aws, http: Http, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant, batch_id = _run(aws, http, monkeypatch, 10)
    tenant_id = tenant.tenant_id

    batch = aws.ports.batches.get(tenant_id, batch_id)
    assert batch is not None and batch.status.value == "failed"
    assert batch.message and "max_failed_percent (10%)" in batch.message
    rows = results_rows(aws.ports, batch)
    assert sorted(int(r["id"]) for r in rows) == list(range(40))  # every row once
    not_processed = [r for r in rows if r["enrich_error"] == "not_processed"]
    assert not_processed, "the batch went on after it passed its threshold"
    assert all(r["enrich_status"] == "failed" and r["enrich_credits"] == "0" for r in not_processed)
    completed = sum(r["enrich_status"] == "completed" for r in rows)
    counts = batch.counts
    assert (counts.completed, counts.failed) == (completed, 40 - completed)
    # only the rows enriched before the stop were charged, and the books agree
    assert batch.credits_spent == completed == charged(aws.ports, tenant_id) == 1000 - aws.balance(tenant_id)
    # its timeline says why it stopped
    steps = http.send("GET", f"/v1/batches/{batch_id}/timeline", tenant.api_key).body["steps"]
    assert steps[-1]["step"] == "failed" and "max_failed_percent" in steps[-1]["reason"]

    monkeypatch.undo()  # the cause is fixed: reprocess picks up every failed row
    monkeypatch.setattr(aws.ports, "settings", aws.ports.settings.model_copy(update={"chunk_rows": 5}))
    answer = http.send("POST", f"/v1/batches/{batch_id}/reprocess", tenant.api_key,
                       {"failed_only": True})
    assert answer.status == 202 and answer.body["reprocessing_rows"] == 40 - completed
    aws.drain()
    done = aws.ports.batches.get(tenant_id, batch_id)
    assert done is not None and done.status.value == "completed"
    assert done.counts.completed == 40 and done.credits_spent == 40 == 1000 - aws.balance(tenant_id)


def test_a_failed_share_at_the_threshold_is_tolerated(
    aws: Aws, http: Http, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant, batch_id = _run(aws, http, monkeypatch, 12.5)
    tenant_id = tenant.tenant_id

    batch = aws.ports.batches.get(tenant_id, batch_id)
    assert batch is not None and batch.status.value == "completed"
    assert (batch.counts.completed, batch.counts.failed) == (35, 5)


def test_max_failed_percent_out_of_range_is_refused(aws: Aws, http: Http) -> None:
    tenant = aws.tenant(10)
    answer = http.send("POST", "/v1/batches", tenant.api_key,
                       {"records": RECORDS[:1], "max_failed_percent": 101})
    assert answer.status in (400, 422) and "max_failed_percent" in str(answer.body)
