"""advanced mode: a tenant's waterfall of a vendor API and a reference dataset, priced per source."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
from chalice.test import Client

from app import app
from chalicelib.keys import results_key
from tests.conftest import ADMIN_KEY, Aws
from tests.fake_vendor import JsonHandler, serving_handler

VENDOR_PEOPLE = {"bo@vendor-knows.com": {"person": {"title": "CTO", "city": "Lyon"}}}


class _Vendor(JsonHandler):
    def do_GET(self) -> None:
        email = parse_qs(urlparse(self.path).query).get("email", [""])[0]
        found = VENDOR_PEOPLE.get(email)
        self.reply(200 if found else 404, found or {"error": "not found"})


@pytest.fixture
def vendor(aws: Aws) -> Iterator[str]:
    # The vendor listens on loopback, as with `batch-enrich serve`, which allows it.
    aws.ports.settings = aws.ports.settings.model_copy(update={"outbound_allow_loopback": True})
    with serving_handler(_Vendor) as base:
        yield base + "/v1/people"


@pytest.fixture
def client(aws: Aws) -> Iterator[Client]:
    with Client(app) as test_client:
        yield test_client


def _multipart(data: bytes, **fields: str) -> tuple[bytes, str]:
    boundary = "xYzBoundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="d.csv"'
                 f'\r\nContent-Type: text/csv\r\n\r\n'.encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _configure(aws: Aws, client: Client, vendor: str) -> str:
    tenant = aws.tenant(100)
    body, kind = _multipart(b"Email,Job Title,City\r\nal@crm-knows.com,Founder,Oslo\r\n"
                            b"bo@vendor-knows.com,Intern,Rome\r\n", name="crm")
    created = client.http.post("/v1/datasets", body=body, headers={
        "Authorization": f"Bearer {tenant.api_key}", "Content-Type": kind})
    assert created.status_code == 201, created.json_body
    config = {"sources": [
        {"type": "http", "config": {"name": "vendor", "url": vendor, "query": {"email": "email"},
                                    "requires": ["email"], "price": 5,
                                    "outputs": {"title": "person.title", "city": "person.city"}}},
        {"type": "dataset", "dataset_id": created.json_body["dataset_id"], "price": 4},
    ]}
    answer = client.http.put(f"/v1/admin/tenants/{tenant.tenant_id}/config",
                             body=json.dumps(config), headers={
                                 "Authorization": f"Bearer {ADMIN_KEY}",
                                 "Content-Type": "application/json"})
    assert answer.status_code == 200, answer.json_body
    return tenant.api_key


def test_first_source_misses_second_hits_and_bills_the_seconds_price_once(
    aws: Aws, client: Client, vendor: str
) -> None:
    key = _configure(aws, client, vendor)
    records = [{"email": "al@crm-knows.com"}, {"email": "bo@vendor-knows.com"},
               {"email": "cy@nobody-knows.com"}]
    created = client.http.post("/v1/batches", body=json.dumps({"records": records,
                                                               "mode": "advanced"}),
                               headers={"Authorization": f"Bearer {key}",
                                        "Content-Type": "application/json"})
    assert created.status_code == 202, created.json_body

    aws.drain()

    batch = aws.ports.batches.get(*_ids(aws, key, created.json_body["batch_id"]))
    assert batch is not None and batch.status.value == "completed"
    rows = [json.loads(line) for line in
            aws.ports.blobs.read(results_key(batch, "rows.jsonl")).decode().splitlines()]
    crm, vendor_row, nobody = rows
    # The vendor missed al@; the dataset hit: its price, once.
    assert crm["outputs"]["waterfall"] == {"job_title": "Founder", "city": "Oslo",
                                           "email": "al@crm-knows.com"}
    assert set(crm["outputs"]["waterfall_source"].values()) == {"dataset_crm"}
    assert crm["credits"] == 4
    # The vendor hit bo@ first: the dataset still adds the fields the vendor lacked, and the
    # vendor's city is kept (first source wins a field).
    assert vendor_row["outputs"]["waterfall"]["title"] == "CTO"
    assert vendor_row["outputs"]["waterfall"]["city"] == "Lyon"
    assert vendor_row["outputs"]["waterfall_source"]["title"] == "vendor"
    assert vendor_row["outputs"]["waterfall_source"]["job_title"] == "dataset_crm"
    assert vendor_row["credits"] == 5 + 4
    # Nobody knew cy@: the built-in email check matched, at the advanced price.
    assert "waterfall" not in nobody["outputs"] and nobody["credits"] == 3
    assert batch.credits_spent == 4 + 9 + 3 == 100 - aws.balance(batch.tenant_id)


def test_a_tenant_price_override_applies_to_new_batches(aws: Aws, client: Client) -> None:
    tenant = aws.tenant(100)
    client.http.put(f"/v1/admin/tenants/{tenant.tenant_id}/config",
                    body=json.dumps({"prices": {"basic": 2}}),
                    headers={"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"})
    created = client.http.post("/v1/batches", body=json.dumps({"records": [{"email": "a@b.com"}]}),
                               headers={"Authorization": f"Bearer {tenant.api_key}",
                                        "Content-Type": "application/json"})

    aws.drain()

    assert created.json_body["price_per_match"] == 2
    assert aws.balance(tenant.tenant_id) == 98


def test_config_naming_a_missing_dataset_is_a_422(aws: Aws, client: Client) -> None:
    tenant = aws.tenant(1)
    answer = client.http.put(
        f"/v1/admin/tenants/{tenant.tenant_id}/config",
        body=json.dumps({"sources": [{"type": "dataset", "dataset_id": "ds_0123456789abcdef"}]}),
        headers={"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"})

    assert answer.status_code == 422 and "ds_0123456789abcdef" in answer.json_body["message"]


def _ids(aws: Aws, key: str, batch_id: str) -> tuple[str, str]:
    from chalicelib.services.tenants import authenticate

    return authenticate(aws.ports, f"Bearer {key}"), batch_id
