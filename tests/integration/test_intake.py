"""Intake through the API: preflight, mapping on create, row_limit, dedupe, cached maps, bad files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from app import app
from tests.conftest import Aws
from tests.helpers import results_rows


@pytest.fixture
def client(aws: Aws) -> Iterator[Client]:
    with Client(app) as test_client:
        yield test_client


def _post(client: Client, path: str, key: str, body: dict[str, Any]) -> Any:
    return client.http.post(path, body=json.dumps(body), headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json"})


def _records(n: int, **extra: str) -> list[dict[str, str]]:
    return [{"id": f"L{i}", "Email Address": f"p{i}@example.com", **extra} for i in range(n)]


def test_preflight_answers_mapping_counts_and_cost_and_stores_nothing(aws: Aws, client: Client) -> None:
    tenant = aws.tenant(100)
    records = [*_records(4), {"id": "L9", "Email Address": "p0@example.com"}, {"id": "L10"}]

    answer = _post(client, "/v1/batches/preflight", tenant.api_key,
                   {"records": records, "dedupe": True})

    assert answer.status_code == 200
    body = answer.json_body
    assert body["entity_type"] == "person"
    assert body["mapping"]["fields"] == {"id": 0, "email": 1}
    assert body["rows"] == 6 and body["usable"] == 4 and body["duplicates"] == 1
    assert body["skipped_by_reason"] == {"duplicate": 1, "missing_person_fields": 1}
    assert body["cost_estimate"] == {"min": 0, "max": 4, "price_per_match": 1}
    listed = client.http.get("/v1/batches", headers={"Authorization": f"Bearer {tenant.api_key}"})
    assert listed.json_body["batches"] == []
    assert aws.balance(tenant.tenant_id) == 100


def test_create_answers_how_the_columns_were_read(aws: Aws, client: Client) -> None:
    tenant = aws.tenant(100)

    answer = _post(client, "/v1/batches", tenant.api_key, {"records": _records(3)})

    assert answer.status_code == 202
    columns = answer.json_body["input"]["mapping"]["columns"]
    assert [(c["column"], c["field"]) for c in columns] == [("id", "id"), ("Email Address", "email")]


def test_rows_beyond_row_limit_are_skipped_and_never_charged(aws: Aws, client: Client) -> None:
    tenant = aws.tenant(100)
    created = _post(client, "/v1/batches", tenant.api_key, {"records": _records(10), "row_limit": 4})

    aws.drain()

    batch = aws.ports.batches.get(tenant.tenant_id, created.json_body["batch_id"])
    assert batch is not None and batch.credits_spent == 4 and batch.counts.skipped == 6
    assert aws.balance(tenant.tenant_id) == 96


def test_duplicates_cost_nothing_with_dedupe(aws: Aws, client: Client) -> None:
    tenant = aws.tenant(100)
    records = [*_records(3), {"id": "X", "Email Address": " P1@Example.com "}]
    created = _post(client, "/v1/batches", tenant.api_key, {"records": records, "dedupe": True})

    aws.drain()

    batch = aws.ports.batches.get(tenant.tenant_id, created.json_body["batch_id"])
    assert batch is not None and batch.credits_spent == 3

    rows = results_rows(aws.ports, batch)
    assert [r["enrich_error"] for r in rows] == ["", "", "", "duplicate"]


def test_a_tenants_column_map_is_remembered_for_the_same_header_set(aws: Aws, client: Client) -> None:
    tenant = aws.tenant(100)
    first = [{"Ref": "1", "Kontaktweg": "a@example.com"}]
    _post(client, "/v1/batches", tenant.api_key,
          {"records": first, "column_map": {"Kontaktweg": "email", "Ref": "id"}})

    answer = _post(client, "/v1/batches/preflight", tenant.api_key,
                   {"records": [{"Kontaktweg": "b@example.com", "Ref": "2"}]})

    decisions = {c["column"]: (c["field"], c["how"]) for c in answer.json_body["mapping"]["columns"]}
    assert decisions == {"Kontaktweg": ("email", "cached"), "Ref": ("id", "cached")}


def test_a_file_with_no_usable_column_is_a_400_naming_what_it_needs(aws: Aws, client: Client) -> None:
    tenant = aws.tenant(100)

    answer = _post(client, "/v1/batches", tenant.api_key, {"records": [{"colour": "red"}]})

    assert answer.status_code == 400
    assert "column_map" in answer.json_body["message"]
    assert "email" in answer.json_body["message"]


def test_a_file_of_bare_emails_without_a_header_is_enriched(aws: Aws, client: Client) -> None:
    tenant = aws.tenant(100)
    data = b"ada@example.com\r\nalan@example.org\r\ngrace@example.net\r\n"
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"e.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    created = client.http.post("/v1/batches", body=body, headers={
        "Authorization": f"Bearer {tenant.api_key}",
        "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert created.status_code == 202, created.json_body

    aws.drain()

    batch = aws.ports.batches.get(tenant.tenant_id, created.json_body["batch_id"])
    assert batch is not None and batch.credits_spent == 3

    rows = results_rows(aws.ports, batch)
    assert [r["column_1"] for r in rows] == ["ada@example.com", "alan@example.org", "grace@example.net"]


def test_a_megabyte_in_one_field_is_a_400(aws: Aws, client: Client) -> None:
    tenant = aws.tenant(100)
    records = [{"email": "a@example.com", "notes": "x" * 1_000_000}]

    answer = _post(client, "/v1/batches", tenant.api_key, {"records": records})

    assert answer.status_code == 400
    assert "128 KB" in answer.json_body["message"]



def test_default_country_reads_local_phone_numbers(aws: Aws, client: Client) -> None:
    tenant = aws.tenant(100)
    records = [{"phone": "030 901820"}, {"phone": "+1 415 555 2671"}]
    created = _post(client, "/v1/batches", tenant.api_key,
                    {"records": records, "default_country": "de"})

    aws.drain()

    rows = _get_rows(aws, tenant.tenant_id, created.json_body["batch_id"])
    assert [r["phone.e164"] for r in rows] == ["+4930901820", "+14155552671"]


def _get_rows(aws: Aws, tenant_id: str, batch_id: str) -> list[dict[str, str]]:

    batch = aws.ports.batches.get(tenant_id, batch_id)
    assert batch is not None
    return results_rows(aws.ports, batch)
