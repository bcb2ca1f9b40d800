"""Reprocess after injected provider failures: only the redone rows cost, counters stay exact."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api_client import Http
from tests.conftest import Aws
from tests.helpers import charged, email_outage, results_rows

RECORDS = [{"id": str(i), "email": f"p{i}@example.com" if i % 5 else f"bad{i}@@x"}
           for i in range(250)]  # 200 billable rows, 50 that find nothing


def _books(aws: Aws, tenant_id: str, batch_id: str) -> tuple[Any, list[dict[str, str]]]:
    batch = aws.ports.batches.get(tenant_id, batch_id)
    assert batch is not None
    assert charged(aws.ports, tenant_id) == batch.credits_spent == 1000 - aws.balance(tenant_id)
    return batch, results_rows(aws.ports, batch)


def test_reprocess_after_failures_charges_only_the_newly_matched_rows(
    aws: Aws, http: Http, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = aws.tenant(1000)
    down = {f"p{i}@example.com" for i in range(1, 250, 7) if i % 5}
    email_outage(monkeypatch, down)
    batch_id = http.send("POST", "/v1/batches", tenant.api_key,
                     {"records": RECORDS}).body["batch_id"]
    aws.drain()
    first, _ = _books(aws, tenant.tenant_id, batch_id)
    assert first.counts.failed == len(down) and first.credits_spent == 200 - len(down)

    monkeypatch.undo()  # the vendor is back
    answer = http.send("POST", f"/v1/batches/{batch_id}/reprocess", tenant.api_key, {})
    assert answer.status == 202 and answer.body["reprocessing_rows"] == len(down)
    aws.drain()

    done, rows = _books(aws, tenant.tenant_id, batch_id)
    assert done.status.value == "completed"
    assert done.credits_spent == 200  # the failed rows, now matched, paid once; nothing else
    assert (done.counts.completed, done.counts.not_found, done.counts.failed) == (200, 50, 0)
    assert [r["id"] for r in rows] == [str(i) for i in range(250)]  # every row once, in order
    assert sum(r["enrich_status"] == "failed" for r in rows) == 0
    preview = http.send("GET", f"/v1/batches/{batch_id}/preview", tenant.api_key).body
    assert preview["found"]["emails"] == 200  # found counters not counted twice
    # the status tells what was done, not what was about to be
    status = http.send("GET", f"/v1/batches/{batch_id}", tenant.api_key).body
    assert status["status"] == "completed"
    assert status["message"] == f"Reprocessed {len(down)} rows."


def test_refresh_charges_the_matched_rows_again_and_plain_reprocess_never_does(
    aws: Aws, http: Http
) -> None:
    tenant = aws.tenant(1000)
    batch_id = http.send("POST", "/v1/batches", tenant.api_key,
                     {"records": RECORDS}).body["batch_id"]
    aws.drain()

    nothing = http.send("POST", f"/v1/batches/{batch_id}/reprocess", tenant.api_key, {})
    incomplete = http.send("POST", f"/v1/batches/{batch_id}/reprocess", tenant.api_key,
                       {"incomplete_only": True})
    aws.drain()
    after_incomplete, _ = _books(aws, tenant.tenant_id, batch_id)
    refreshed = http.send("POST", f"/v1/batches/{batch_id}/reprocess", tenant.api_key,
                      {"refresh": True})
    aws.drain()

    assert nothing.status == 422  # no failed row: nothing to do, nothing charged
    # Every row settled: none is incomplete (not-found rows are settled; seed 003's
    # incomplete_only takes pending, queued and in-progress rows only).
    assert incomplete.status == 422 and "incomplete" in incomplete.body["message"]
    assert after_incomplete.credits_spent == 200
    assert refreshed.body["reprocessing_rows"] == 250
    done, rows = _books(aws, tenant.tenant_id, batch_id)
    assert done.credits_spent == 400 and done.counts.completed == 200
    assert len(rows) == 250


def test_only_a_completed_batch_can_be_reprocessed(aws: Aws, http: Http) -> None:
    tenant = aws.tenant(1000)
    batch_id = http.send("POST", "/v1/batches", tenant.api_key,
                     {"records": RECORDS[:3]}).body["batch_id"]

    early = http.send("POST", f"/v1/batches/{batch_id}/reprocess", tenant.api_key, {})
    bad = http.send("POST", f"/v1/batches/{batch_id}/reprocess", tenant.api_key, {"all": 1})

    assert early.status == 409 and bad.status == 422
