"""The batch lifecycle through the API: caps, prepaid 402, postpaid, auto-resume, PATCH, filters."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.domain.models import BillingKind
from chalicelib.services.lifecycle import tick, top_up_and_resume
from chalicelib.services.sources import configure
from chalicelib.services.tenants import create_tenant, top_up
from chalicelib.sources.spec import TenantConfig
from tests.conftest import Aws


@pytest.fixture
def client(aws: Aws) -> Iterator[Client]:
    with Client(app) as test_client:
        yield test_client


def _call(client: Client, method: str, path: str, key: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return getattr(client.http, method)(path, headers=headers,
                                        **({"body": json.dumps(body)} if body is not None else {}))


def _records(n: int) -> list[dict[str, str]]:
    return [{"id": f"L{i}", "email": f"p{i}@example.com"} for i in range(n)]


def _status(client: Client, key: str, batch_id: str) -> dict[str, Any]:
    body: dict[str, Any] = _call(client, "get", f"/v1/batches/{batch_id}", key).json_body
    return body


def test_a_cap_pauses_at_exactly_the_cap_and_raising_it_completes(aws: Aws, client: Client) -> None:
    tenant = aws.tenant(1000)
    created = _call(client, "post", "/v1/batches", tenant.api_key,
                    {"records": _records(150), "max_credits": 40, "auto_resume": False})
    batch_id = created.json_body["batch_id"]
    aws.drain()

    capped = _status(client, tenant.api_key, batch_id)
    assert capped["status"] == "paused_credit_cap" and capped["credits_spent"] == 40
    assert capped["counts"]["parked"] == 110
    too_low = _call(client, "patch", f"/v1/batches/{batch_id}", tenant.api_key, {"max_credits": 10})
    assert too_low.status_code == 422

    raised = _call(client, "patch", f"/v1/batches/{batch_id}", tenant.api_key, {"max_credits": 500})
    assert raised.status_code == 200 and raised.json_body["max_credits"] == 500
    assert _call(client, "post", f"/v1/batches/{batch_id}/resume", tenant.api_key).status_code == 202
    aws.drain()

    done = _status(client, tenant.api_key, batch_id)
    assert done["status"] == "completed" and done["credits_spent"] == 150
    assert aws.balance(tenant.tenant_id) == 850


def test_prepaid_preflight_refuses_a_batch_the_balance_cannot_cover(aws: Aws, client: Client) -> None:
    tenant = aws.tenant(7)
    configure(aws.ports, tenant.tenant_id, TenantConfig(require_full_balance=True))

    refused = _call(client, "post", "/v1/batches", tenant.api_key, {"records": _records(10)})

    assert refused.status_code == 402
    assert refused.json_body["credits_required"] == 10
    assert refused.json_body["credits_remaining"] == 7
    listed = _call(client, "get", "/v1/batches", tenant.api_key).json_body
    assert listed["batches"] == [] and aws.balance(tenant.tenant_id) == 7


def test_a_postpaid_tenant_is_never_paused_and_its_usage_is_in_the_ledger(aws: Aws,
                                                                          client: Client) -> None:
    tenant = create_tenant(aws.ports, "Invoice Inc", 0, BillingKind.POSTPAID)
    created = _call(client, "post", "/v1/batches", tenant.api_key, {"records": _records(120)})

    aws.drain()

    done = _status(client, tenant.api_key, created.json_body["batch_id"])
    assert done["status"] == "completed" and done["credits_spent"] == 120
    charges = [e for e in aws.ports.ledger.entries(tenant.tenant_id) if e["kind"] == "charge"]
    assert -sum(int(e["credits"]) for e in charges) == 120


def test_a_top_up_resumes_a_batch_paused_for_credits_by_itself(aws: Aws, client: Client) -> None:
    tenant = aws.tenant(30)
    batch_id = _call(client, "post", "/v1/batches", tenant.api_key,
                     {"records": _records(100)}).json_body["batch_id"]
    aws.drain()
    assert _status(client, tenant.api_key, batch_id)["status"] == "paused_insufficient_credits"

    balance, resumed = top_up_and_resume(aws.ports, tenant.tenant_id, 500)
    aws.drain()

    assert resumed == [batch_id] and balance == 500
    assert _status(client, tenant.api_key, batch_id)["status"] == "completed"
    assert aws.balance(tenant.tenant_id) == 430


def test_the_tick_resumes_what_a_top_up_made_possible_unless_the_batch_opted_out(
    aws: Aws, client: Client
) -> None:
    tenant = aws.tenant(10)
    waiting = _call(client, "post", "/v1/batches", tenant.api_key,
                    {"records": _records(30)}).json_body["batch_id"]
    opted_out = _call(client, "post", "/v1/batches", tenant.api_key,
                      {"records": _records(30), "auto_resume": False}).json_body["batch_id"]
    aws.drain()
    top_up(aws.ports, tenant.tenant_id, 1000)  # a plain top-up: the tick notices

    swept = tick(aws.ports)
    aws.drain()

    assert swept["resumed"] == [waiting]
    assert _status(client, tenant.api_key, waiting)["status"] == "completed"
    assert _status(client, tenant.api_key, opted_out)["status"] == "paused_insufficient_credits"


def test_patch_renames_and_list_filters_by_status_and_name(aws: Aws, client: Client) -> None:
    tenant = aws.tenant(1000)
    first = _call(client, "post", "/v1/batches", tenant.api_key,
                  {"records": _records(3), "name": "Spring webinar"}).json_body["batch_id"]
    _call(client, "post", "/v1/batches", tenant.api_key, {"records": _records(3), "name": "Fair"})
    aws.drain()
    patched = _call(client, "patch", f"/v1/batches/{first}", tenant.api_key,
                    {"name": "Autumn webinar", "metadata": {"owner": "kim"}})
    assert patched.json_body["name"] == "Autumn webinar"
    assert patched.json_body["metadata"] == {"owner": "kim"}

    found = _call(client, "get", "/v1/batches?query=WEBINAR&status=completed",
                  tenant.api_key).json_body["batches"]
    none = _call(client, "get", "/v1/batches?status=cancelled", tenant.api_key).json_body["batches"]

    assert [b["batch_id"] for b in found] == [first] and none == []
    assert _call(client, "get", "/v1/batches?status=done", tenant.api_key).status_code == 422
    assert _call(client, "patch", f"/v1/batches/{first}", tenant.api_key,
                 {"colour": "red"}).status_code == 422


def _create_with_key(client: Client, key: str, idem: str, body: Any) -> Any:
    return client.http.post("/v1/batches", body=json.dumps(body), headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json",
        "Idempotency-Key": idem})


def test_the_same_idempotency_key_twice_creates_one_batch(aws: Aws, client: Client) -> None:
    tenant = aws.tenant(100)
    body = {"records": _records(5), "name": "once"}

    first = _create_with_key(client, tenant.api_key, "order-42", body)
    again = _create_with_key(client, tenant.api_key, "order-42", body)
    changed = _create_with_key(client, tenant.api_key, "order-42", {**body, "name": "twice"})

    assert first.status_code == 202 and again.status_code == 200
    assert again.json_body["batch_id"] == first.json_body["batch_id"]
    assert changed.status_code == 409
    listed = _call(client, "get", "/v1/batches", tenant.api_key).json_body["batches"]
    assert len(listed) == 1
    other = aws.tenant(100)  # keys are per tenant
    assert _create_with_key(client, other.api_key, "order-42", body).status_code == 202


def test_a_refused_request_leaves_its_idempotency_key_free(aws: Aws, client: Client) -> None:
    tenant = aws.tenant(100)

    refused = _create_with_key(client, tenant.api_key, "k1", {"records": [{"colour": "red"}]})
    fixed = _create_with_key(client, tenant.api_key, "k1", {"records": _records(2)})

    assert refused.status_code == 400 and fixed.status_code == 202


def test_a_tenant_over_its_request_rate_gets_a_429_with_retry_after(
    aws: Aws, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = aws.tenant(1)
    other = aws.tenant(1)
    aws.ports.settings = aws.ports.settings.model_copy(update={"requests_per_second": 3})
    aws.ports.clock = type(aws.ports.clock)(epoch=lambda: 1_800_000_000.0, sleep=lambda _: None)

    codes = [_call(client, "get", "/v1/batches", tenant.api_key).status_code for _ in range(5)]
    limited = _call(client, "get", "/v1/batches", tenant.api_key)

    assert codes == [200, 200, 200, 429, 429]
    assert limited.headers["Retry-After"] == "1" and limited.json_body["error"] == "rate_limited"
    assert _call(client, "get", "/v1/batches", other.api_key).status_code == 200  # per tenant
    aws.ports.clock = type(aws.ports.clock)(epoch=lambda: 1_800_000_001.0, sleep=lambda _: None)
    assert _call(client, "get", "/v1/batches", tenant.api_key).status_code == 200  # next second
