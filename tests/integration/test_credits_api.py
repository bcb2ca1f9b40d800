"""GET /v1/credits, GET /v1/credits/ledger and the admin key routes, through Chalice's test client on moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from chalice.test import Client

from app import app
from chalicelib import topology
from chalicelib.adapters.ledger import LedgerReader
from chalicelib.clients import get_clients
from chalicelib.services.ports import Clock
from tests.api_client import Http, all_entries, chalice_transport, error
from tests.conftest import ADMIN_KEY, Aws
from tests.helpers import Ticking, run_batch

OCT = datetime(2025, 10, 31, 23, 0, tzinfo=UTC).timestamp()
NOV = datetime(2025, 11, 1, 0, 0, tzinfo=UTC).timestamp()



@pytest.fixture(params=["fallback", "index"])
def ledger_mode(request: pytest.FixtureRequest, aws: Aws, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test on the ledger as declared (with its by-time index), and on a ledger table made
    before the index existed (the adapter falls back to reading the partition)."""
    if request.param == "fallback":
        _recreate_ledger_without_time_index(aws)
    return str(request.param)


def _recreate_ledger_without_time_index(aws: Aws) -> None:
    db, name = get_clients().dynamodb, aws.ports.settings.name(topology.LEDGER.name)
    db.delete_table(TableName=name)
    db.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "tenant_id", "KeyType": "HASH"},
                   {"AttributeName": "entry_id", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"}
                              for a in ("tenant_id", "entry_id")],
    )


@pytest.fixture
def clock(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Ticking:
    """Time starts late on 31 October 2025 (UTC); chunks of 2 rows, so a batch charges several times."""
    ticking = Ticking(OCT)
    aws.ports.clock = Clock(epoch=ticking, sleep=lambda _: None)
    monkeypatch.setattr(aws.ports, "settings", aws.ports.settings.model_copy(update={"chunk_rows": 2}))
    return ticking


@pytest.fixture
def http(aws: Aws, clock: Ticking) -> Iterator[Http]:
    """A test client of the app, made once moto is up."""
    with Client(app) as client:
        yield Http(chalice_transport(client))



# --- GET /v1/credits ------------------------------------------------------------------------------


def test_credits_after_a_batch_show_balance_billing_and_spend(http: Http, aws: Aws, ledger_mode: str) -> None:
    tenant = aws.tenant(100)
    http.send("POST", f"/v1/admin/tenants/{tenant.tenant_id}/credits", ADMIN_KEY, {"amount": 15})
    batch = run_batch(http, aws, tenant.api_key, matched=5, unmatched=2)

    body = http.get("/v1/credits", tenant.api_key).body

    assert batch["credits_spent"] == 5
    assert body == {"balance": 110, "billing": "prepaid", "spent_this_month": 5, "spent_total": 5,
                    "topped_up_total": 115}
    assert aws.balance(tenant.tenant_id) == 110


def test_spent_this_month_counts_only_the_current_utc_month(http: Http, aws: Aws, clock: Ticking,
                                                            ledger_mode: str) -> None:
    tenant = aws.tenant(100)
    october = run_batch(http, aws, tenant.api_key, matched=3)
    clock.at = NOV
    november = run_batch(http, aws, tenant.api_key, matched=4)

    body = http.get("/v1/credits", tenant.api_key).body

    assert (october["credits_spent"], november["credits_spent"]) == (3, 4)
    assert body["spent_this_month"] == 4
    assert body["spent_total"] == 7
    assert body["balance"] == 93


def test_a_postpaid_tenant_reports_its_billing_and_usage(http: Http, aws: Aws) -> None:
    created = http.send("POST", "/v1/admin/tenants", ADMIN_KEY, {"name": "Later", "credits": 0,
                                                                 "billing": "postpaid"}).body
    run_batch(http, aws, created["api_key"], matched=3)

    body = http.get("/v1/credits", created["api_key"]).body

    assert body == {"balance": 0, "billing": "postpaid", "spent_this_month": 3, "spent_total": 3,
                    "topped_up_total": 0}


# --- GET /v1/credits/ledger -----------------------------------------------------------------------


def test_the_ledger_sums_to_the_balance_and_the_charges_to_the_batches(http: Http, aws: Aws,
                                                                       ledger_mode: str) -> None:
    tenant = aws.tenant(50)
    first = run_batch(http, aws, tenant.api_key, matched=5, unmatched=1)
    http.send("POST", f"/v1/admin/tenants/{tenant.tenant_id}/credits", ADMIN_KEY, {"amount": 20})
    second = run_batch(http, aws, tenant.api_key, matched=3)

    entries = all_entries(http, tenant.api_key, limit=200)

    assert sum(e["credits"] for e in entries) == aws.balance(tenant.tenant_id) == 62
    charges = [e for e in entries if e["kind"] == "charge"]
    assert -sum(e["credits"] for e in charges) == first["credits_spent"] + second["credits_spent"]
    assert sum(e["rows"] for e in charges) == 8
    for batch in (first, second):
        mine = all_entries(http, tenant.api_key, f"&batch_id={batch['batch_id']}")
        assert mine and all(e["batch_id"] == batch["batch_id"] for e in mine)
        assert -sum(e["credits"] for e in mine) == batch["credits_spent"]
    assert len(charges) == 3 + 2  # chunks of 2 rows: 6 rows -> 3 charges, 3 rows -> 2


def test_the_ledger_pages_newest_first_without_gaps_or_repeats(http: Http, aws: Aws,
                                                                ledger_mode: str) -> None:
    tenant = aws.tenant(10)
    for amount in (1, 2):
        http.send("POST", f"/v1/admin/tenants/{tenant.tenant_id}/credits", ADMIN_KEY, {"amount": amount})
    run_batch(http, aws, tenant.api_key, matched=5)
    http.send("POST", f"/v1/admin/tenants/{tenant.tenant_id}/credits", ADMIN_KEY, {"amount": 3})

    paged = all_entries(http, tenant.api_key, limit=2)
    whole = http.get("/v1/credits/ledger", tenant.api_key).body

    assert whole["next_cursor"] is None and whole["limit"] == 50
    assert paged == whole["entries"]
    assert len(paged) == 1 + 2 + 3 + 1  # initial top-up, two top-ups, 3 charges, a last top-up
    assert len({e["entry_id"] for e in paged}) == len(paged)
    times = [e["created_at"] for e in paged]
    assert times == sorted(times, reverse=True) and len(set(times)) >= 5
    assert [e["credits"] for e in paged if e["kind"] == "topup"] == [3, 2, 1, 10]
    assert set(paged[0]) == {"entry_id", "kind", "credits", "rows", "batch_id", "created_at"}
    ledger = aws.ports.ledger
    assert isinstance(ledger, LedgerReader) and ledger.has_time_index is (ledger_mode == "index")


def test_the_ledger_filters_by_kind_and_batch(http: Http, aws: Aws, ledger_mode: str) -> None:
    tenant = aws.tenant(20)
    first = run_batch(http, aws, tenant.api_key, matched=3)
    http.send("POST", f"/v1/admin/tenants/{tenant.tenant_id}/credits", ADMIN_KEY, {"amount": 5})
    second = run_batch(http, aws, tenant.api_key, matched=2)

    topups = all_entries(http, tenant.api_key, "&kind=topup", limit=1)
    charges = all_entries(http, tenant.api_key, "&kind=charge", limit=1)
    of_first = all_entries(http, tenant.api_key, f"&batch_id={first['batch_id']}", limit=1)
    none = http.get(f"/v1/credits/ledger?kind=topup&batch_id={first['batch_id']}", tenant.api_key).body

    assert [e["credits"] for e in topups] == [5, 20]
    assert [e["rows"] for e in topups] == [None, None]
    assert [e["batch_id"] for e in charges] == [second["batch_id"]] + [first["batch_id"]] * 2
    assert [e["entry_id"] for e in of_first] == [e["entry_id"] for e in charges[1:]]
    assert none["entries"] == [] and none["next_cursor"] is None


def test_bad_ledger_parameters_are_refused_in_the_error_shape(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(5)

    for query, field in (("limit=0", "limit"), ("limit=abc", "limit"),
                         ("limit=2.5", "limit"), ("limit=", "limit"), ("kind=refund", "kind"),
                         ("batch_id=a%23b", "batch_id"), ("colour=blue", "colour")):
        body = error(http.get(f"/v1/credits/ledger?{query}", tenant.api_key), 422, "validation_error")
        assert ["query", field] in [item["loc"] for item in body["detail"]], (query, body)
    for cursor in ("garbage", "____", "!!!", "%25%25", "bm90IGEgcG9zaXRpb24"):
        body = error(http.get(f"/v1/credits/ledger?cursor={cursor}", tenant.api_key), 400, "bad_input")
        assert "cursor" in body["message"], body


def test_credit_routes_need_a_valid_api_key(http: Http, aws: Aws) -> None:
    aws.tenant(5)

    for path in ("/v1/credits", "/v1/credits/ledger", "/v1/credits/ledger?limit=0"):
        for key in (None, "be_live_wrong", ADMIN_KEY):
            error(http.get(path, key), 401, "unauthorized")


def test_another_tenants_ledger_is_never_visible(http: Http, aws: Aws, ledger_mode: str) -> None:
    owner, other = aws.tenant(30), aws.tenant(7)
    batch = run_batch(http, aws, owner.api_key, matched=3)
    owner_page = http.get("/v1/credits/ledger?limit=1", owner.api_key).body

    seen = all_entries(http, other.api_key, limit=200)
    by_batch = http.get(f"/v1/credits/ledger?batch_id={batch['batch_id']}", other.api_key).body
    with_owner_cursor = http.get(f"/v1/credits/ledger?cursor={owner_page['next_cursor']}", other.api_key).body

    assert [(e["kind"], e["credits"]) for e in seen] == [("topup", 7)]
    assert by_batch["entries"] == []
    assert all(e["entry_id"] in {s["entry_id"] for s in seen} for e in with_owner_cursor["entries"])
    assert http.get("/v1/credits", other.api_key).body["spent_total"] == 0


# --- admin: API keys ------------------------------------------------------------------------------


def test_a_revoked_key_gets_401_while_the_tenants_other_keys_work(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(10)
    keys_path = f"/v1/admin/tenants/{tenant.tenant_id}/api-keys"

    created = http.call("POST", keys_path, ADMIN_KEY)
    listed = http.get(keys_path, ADMIN_KEY).body["api_keys"]
    assert created.status == 201, created.body
    new_key, new_id = created.body["api_key"], created.body["key_id"]
    assert new_id.startswith("key_") and new_key.startswith("be_live_")
    assert [k["key_id"] for k in listed][1:] == [new_id] and len(listed) == 2
    assert all(set(k) == {"key_id", "created_at", "revoked_at"} and k["revoked_at"] is None for k in listed)
    assert new_key not in json.dumps(listed) and tenant.api_key not in json.dumps(listed)
    first_id = listed[0]["key_id"]

    revoked = http.call("DELETE", f"{keys_path}/{first_id}", ADMIN_KEY)
    again = http.call("DELETE", f"{keys_path}/{first_id}", ADMIN_KEY)

    assert (revoked.status, again.status) == (204, 204)
    for path in ("/v1/credits", "/v1/credits/ledger", "/v1/batches"):
        error(http.get(path, tenant.api_key), 401, "unauthorized")
        assert http.get(path, new_key).status == 200, path
    after = {k["key_id"]: k["revoked_at"] for k in http.get(keys_path, ADMIN_KEY).body["api_keys"]}
    assert after[new_id] is None and after[first_id] is not None


def test_key_routes_answer_404_for_unknown_tenants_and_keys(http: Http, aws: Aws) -> None:
    tenant, other = aws.tenant(10), aws.tenant(10)
    other_key = http.get(f"/v1/admin/tenants/{other.tenant_id}/api-keys", ADMIN_KEY).body["api_keys"][0]

    for method, path in (("POST", "/v1/admin/tenants/t_nope/api-keys"),
                         ("GET", "/v1/admin/tenants/t_nope/api-keys"),
                         ("DELETE", "/v1/admin/tenants/t_nope/api-keys/key_00000000"),
                         ("DELETE", f"/v1/admin/tenants/{tenant.tenant_id}/api-keys/key_00000000"),
                         ("DELETE", f"/v1/admin/tenants/{tenant.tenant_id}/api-keys/{other_key['key_id']}")):
        error(http.call(method, path, ADMIN_KEY), 404, "not_found")

    assert http.get("/v1/credits", other.api_key).status == 200


def test_key_routes_need_the_admin_key(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(10)
    path = f"/v1/admin/tenants/{tenant.tenant_id}/api-keys"
    key_id = http.get(path, ADMIN_KEY).body["api_keys"][0]["key_id"]

    for key in (None, tenant.api_key, "not-the-admin-key"):
        for method, route in (("POST", path), ("GET", path), ("DELETE", f"{path}/{key_id}")):
            error(http.call(method, route, key), 401, "unauthorized")

    assert len(http.get(path, ADMIN_KEY).body["api_keys"]) == 1
    assert http.get("/v1/credits", tenant.api_key).status == 200
