"""Reprocess after injected provider failures: only the redone rows cost, counters stay exact."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.domain.enrich.base import CanonicalRecord
from chalicelib.domain.enrich.email import EmailEnricher
from chalicelib.services.finalizing import results_key
from tests.conftest import Aws
from tests.csvs import read_rows


@pytest.fixture
def client(aws: Aws) -> Iterator[Client]:
    with Client(app) as test_client:
        yield test_client


def _call(client: Client, method: str, path: str, key: str, body: Any = None) -> Any:
    return getattr(client.http, method)(path, headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        **({"body": json.dumps(body)} if body is not None else {}))


def _outage(monkeypatch: pytest.MonkeyPatch, down: set[str]) -> None:
    """The email provider errors for these addresses (a flaky vendor)."""
    real = EmailEnricher.enrich

    def flaky(self: EmailEnricher, record: CanonicalRecord) -> Any:
        if record.get("email") in down:
            raise TimeoutError("provider timed out")
        return real(self, record)

    monkeypatch.setattr(EmailEnricher, "enrich", flaky)


RECORDS = [{"id": str(i), "email": f"p{i}@example.com" if i % 5 else f"bad{i}@@x"}
           for i in range(250)]  # 200 billable rows, 50 that find nothing


def _books(aws: Aws, tenant_id: str, batch_id: str) -> tuple[Any, list[dict[str, str]]]:
    batch = aws.ports.batches.get(tenant_id, batch_id)
    assert batch is not None
    charged = -sum(int(e["credits"]) for e in aws.ports.ledger.entries(tenant_id)
                   if e["kind"] == "charge")
    assert charged == batch.credits_spent == 1000 - aws.balance(tenant_id)
    return batch, read_rows(aws.ports.blobs.read(results_key(batch, "results.csv")))


def test_reprocess_after_failures_charges_only_the_newly_matched_rows(
    aws: Aws, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = aws.tenant(1000)
    down = {f"p{i}@example.com" for i in range(1, 250, 7) if i % 5}
    _outage(monkeypatch, down)
    batch_id = _call(client, "post", "/v1/batches", tenant.api_key,
                     {"records": RECORDS}).json_body["batch_id"]
    aws.drain()
    first, _ = _books(aws, tenant.tenant_id, batch_id)
    assert first.counts.failed == len(down) and first.credits_spent == 200 - len(down)

    monkeypatch.undo()  # the vendor is back
    answer = _call(client, "post", f"/v1/batches/{batch_id}/reprocess", tenant.api_key, {})
    assert answer.status_code == 202 and answer.json_body["reprocessing_rows"] == len(down)
    aws.drain()

    done, rows = _books(aws, tenant.tenant_id, batch_id)
    assert done.status.value == "completed"
    assert done.credits_spent == 200  # the failed rows, now matched, paid once; nothing else
    assert (done.counts.completed, done.counts.not_found, done.counts.failed) == (200, 50, 0)
    assert [r["id"] for r in rows] == [str(i) for i in range(250)]  # every row once, in order
    assert sum(r["enrich_status"] == "failed" for r in rows) == 0
    preview = _call(client, "get", f"/v1/batches/{batch_id}/preview", tenant.api_key).json_body
    assert preview["found"]["emails"] == 200  # found counters not counted twice


def test_refresh_charges_the_matched_rows_again_and_plain_reprocess_never_does(
    aws: Aws, client: Client
) -> None:
    tenant = aws.tenant(1000)
    batch_id = _call(client, "post", "/v1/batches", tenant.api_key,
                     {"records": RECORDS}).json_body["batch_id"]
    aws.drain()

    nothing = _call(client, "post", f"/v1/batches/{batch_id}/reprocess", tenant.api_key, {})
    incomplete = _call(client, "post", f"/v1/batches/{batch_id}/reprocess", tenant.api_key,
                       {"incomplete_only": True})
    aws.drain()
    after_incomplete, _ = _books(aws, tenant.tenant_id, batch_id)
    refreshed = _call(client, "post", f"/v1/batches/{batch_id}/reprocess", tenant.api_key,
                      {"refresh": True})
    aws.drain()

    assert nothing.status_code == 422  # no failed row: nothing to do, nothing charged
    assert incomplete.json_body["reprocessing_rows"] == 50
    assert after_incomplete.credits_spent == 200  # not-found rows stay free
    assert refreshed.json_body["reprocessing_rows"] == 250
    done, rows = _books(aws, tenant.tenant_id, batch_id)
    assert done.credits_spent == 400 and done.counts.completed == 200
    assert len(rows) == 250


def test_only_a_completed_batch_can_be_reprocessed(aws: Aws, client: Client) -> None:
    tenant = aws.tenant(1000)
    batch_id = _call(client, "post", "/v1/batches", tenant.api_key,
                     {"records": RECORDS[:3]}).json_body["batch_id"]

    early = _call(client, "post", f"/v1/batches/{batch_id}/reprocess", tenant.api_key, {})
    bad = _call(client, "post", f"/v1/batches/{batch_id}/reprocess", tenant.api_key, {"all": 1})

    assert early.status_code == 409 and bad.status_code == 422
