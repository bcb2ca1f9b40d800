"""Claimable anonymous uploads: kept without a key, readable with its token, started by a claim."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from app import app
from tests.conftest import Aws


@pytest.fixture
def client(aws: Aws) -> Iterator[Client]:
    aws.ports.settings = aws.ports.settings.model_copy(update={"anonymous_uploads": True})
    with Client(app) as test_client:
        yield test_client


def _post(client: Client, path: str, body: Any, authorization: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if authorization:
        headers["Authorization"] = authorization
    return client.http.post(path, body=json.dumps(body), headers=headers)


RECORDS = {"records": [{"email": "ada@example.com"}, {"email": "alan@example.org"}]}


def test_an_anonymous_upload_waits_then_a_claim_starts_it_for_the_tenant(
    aws: Aws, client: Client
) -> None:
    created = _post(client, "/v1/batches", RECORDS)
    assert created.status_code == 202
    batch_id, token = created.json_body["batch_id"], created.json_body["upload_token"]
    aws.drain()  # nothing runs before the claim

    waiting = client.http.get(f"/v1/batches/{batch_id}", headers={"Authorization": f"Batch {token}"})
    assert waiting.json_body["status"] == "validating" and "claimed" in waiting.json_body["message"]
    wrong = client.http.get(f"/v1/batches/{batch_id}", headers={"Authorization": "Batch bt_nope"})
    assert wrong.status_code == 404

    tenant = aws.tenant(10)
    claimed = _post(client, f"/v1/batches/{batch_id}/link", {"upload_token": token},
                    f"Bearer {tenant.api_key}")
    assert claimed.status_code == 202 and claimed.json_body["batch_id"] == batch_id
    aws.drain()

    done = client.http.get(f"/v1/batches/{batch_id}",
                           headers={"Authorization": f"Bearer {tenant.api_key}"}).json_body
    assert done["status"] == "completed" and done["credits_spent"] == 2
    again = _post(client, f"/v1/batches/{batch_id}/link", {"upload_token": token},
                  f"Bearer {aws.tenant(10).api_key}")
    assert again.status_code == 404  # claimed once, by one tenant


def test_a_claim_the_tenant_cannot_pay_for_leaves_the_upload_claimable(aws: Aws, client: Client) -> None:
    from chalicelib.services.sources import configure
    from chalicelib.sources.spec import TenantConfig

    created = _post(client, "/v1/batches", RECORDS).json_body
    poor = aws.tenant(0)
    configure(aws.ports, poor.tenant_id, TenantConfig(require_full_balance=True))

    refused = _post(client, f"/v1/batches/{created['batch_id']}/link",
                    {"upload_token": created["upload_token"]}, f"Bearer {poor.api_key}")
    rich = _post(client, f"/v1/batches/{created['batch_id']}/link",
                 {"upload_token": created["upload_token"]}, f"Bearer {aws.tenant(5).api_key}")

    assert refused.status_code == 402 and rich.status_code == 202


def test_without_the_setting_a_keyless_create_is_a_401(aws: Aws) -> None:
    with Client(app) as plain:
        answer = plain.http.post("/v1/batches", body=json.dumps(RECORDS),
                                 headers={"Content-Type": "application/json"})
    assert answer.status_code == 401
