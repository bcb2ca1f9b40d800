"""Reading results back: per-row pages (during and after the run) and the data-free preview."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib import topology
from tests.conftest import Aws
from tests.helpers import results_rows


@pytest.fixture
def client(aws: Aws) -> Iterator[Client]:
    with Client(app) as test_client:
        yield test_client


def _create(client: Client, key: str, records: list[dict[str, str]]) -> str:
    answer = client.http.post("/v1/batches", body=json.dumps({"records": records}), headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    assert answer.status_code == 202, answer.json_body
    return str(answer.json_body["batch_id"])


def _get(client: Client, key: str, path: str) -> Any:
    return client.http.get(path, headers={"Authorization": f"Bearer {key}"})


RECORDS = [
    {"id": "1", "email": "ada@example.com", "phone": "+44 20 7946 0018"},
    {"id": "2", "email": "nope@@bad", "phone": ""},
    {"id": "3", "email": "", "phone": "+1 415 555 2671"},
    {"id": "4", "email": "", "phone": ""},
]


def test_rows_pages_filter_by_status_and_count_the_total(aws: Aws, client: Client) -> None:
    tenant = aws.tenant(100)
    batch_id = _create(client, tenant.api_key, RECORDS)
    aws.drain()

    page = _get(client, tenant.api_key, f"/v1/batches/{batch_id}/rows?limit=1&offset=1").json_body
    completed = _get(client, tenant.api_key, f"/v1/batches/{batch_id}/rows?status=completed").json_body

    assert page["total"] == 4 and [r["row_id"] for r in page["rows"]] == ["2"]
    assert page["rows"][0]["status"] == "not_found" and page["rows"][0]["credits"] == 0
    assert [r["row_id"] for r in completed["rows"]] == ["1", "3"] and completed["total"] == 2
    assert completed["rows"][0]["outputs"]["email"]["normalized"] == "ada@example.com"
    assert _get(client, tenant.api_key, f"/v1/batches/{batch_id}/rows?status=won").status_code == 422


def test_rows_are_readable_while_the_batch_is_still_running(aws: Aws, client: Client) -> None:
    tenant = aws.tenant(100)
    batch_id = _create(client, tenant.api_key, RECORDS)
    aws.pump(topology.INGEST)
    aws.pump(topology.WORK)  # settled, not yet finalized

    page = _get(client, tenant.api_key, f"/v1/batches/{batch_id}/rows").json_body

    assert [r["row_id"] for r in page["rows"]] == ["1", "2", "3", "4"]


def test_preview_counts_what_was_found_without_personal_data(aws: Aws, client: Client) -> None:
    tenant = aws.tenant(100)
    batch_id = _create(client, tenant.api_key, RECORDS)
    aws.drain()

    answer = _get(client, tenant.api_key, f"/v1/batches/{batch_id}/preview")

    assert answer.status_code == 200
    body = answer.json_body
    assert body["rows"] == 4 and body["matched"] == 2
    assert body["found"]["emails"] == 1 and body["found"]["phones"] == 2
    assert "ada@example.com" not in json.dumps(body)


def test_errors_csv_and_summary_json_account_for_every_row(aws: Aws, client: Client) -> None:
    from chalicelib.keys import results_key

    tenant = aws.tenant(100)
    batch_id = _create(client, tenant.api_key, RECORDS)
    aws.drain()
    assert _get(client, tenant.api_key, f"/v1/batches/{batch_id}/errors.csv").status_code == 302
    batch = aws.ports.batches.get(tenant.tenant_id, batch_id)
    assert batch is not None

    errors = results_rows(aws.ports, batch, "errors.csv")
    summary = json.loads(aws.ports.blobs.read(results_key(batch, "summary.json")))

    assert [(r["row_id"], r["enrich_status"], r["reason"]) for r in errors] == [
        ("4", "skipped", "missing_person_fields")]
    assert summary["rows"] == 4 and summary["credits"] == 2 == batch.credits_spent
    assert summary["by_status"] == {"completed": 2, "not_found": 1, "skipped": 1}
