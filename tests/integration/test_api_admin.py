"""Admin routes and the 422 shape: tenants, top-ups, the admin key."""

from __future__ import annotations

import json

from tests import csvs
from tests.api_client import (
    Cases,
    Http,
    create,
    detail_locs,
    error,
)
from tests.conftest import ADMIN_KEY, Aws

# --- admin -------------------------------------------------------------------------------------


def test_admin_creates_a_tenant_whose_key_works(http: Http) -> None:
    reply = http.post_json("/v1/admin/tenants", ADMIN_KEY, {"name": "Globex", "credits": 25})

    assert reply.status == 201, reply.raw
    body = reply.json()
    assert body["balance"] == 25
    assert body["tenant_id"].startswith("t_")
    assert body["api_key"]
    listed = http.get("/v1/batches", body["api_key"])
    assert listed.status == 200
    assert listed.json()["batches"] == []


def test_admin_routes_need_the_admin_key(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(10)
    cases = Cases()

    for authorization in (None, "Bearer not-the-admin-key", f"Basic {ADMIN_KEY}", "Bearer ",
                          f"Bearer {tenant.api_key}"):
        for path, body in (("/v1/admin/tenants", b'{"name": "Evil"}'),
                           (f"/v1/admin/tenants/{tenant.tenant_id}/credits", b'{"amount": 5}')):
            with cases.case(f"{path} with {authorization!r}"):
                reply = http.call("POST", path, body=body, content_type="application/json",
                                  authorization=authorization)
                error(reply, 401, "unauthorized")

    cases.check()
    assert aws.balance(tenant.tenant_id) == 10


def test_admin_malformed_json_is_a_400(http: Http) -> None:
    reply = http.call("POST", "/v1/admin/tenants", ADMIN_KEY, b'{"name": "Globex",', "application/json")

    body = error(reply, 400, "bad_input")
    assert "JSON" in body["message"]


def test_admin_invalid_tenant_is_a_422_naming_the_field(http: Http) -> None:
    cases = Cases()

    for payload, field in (
        ({"credits": 5}, "name"),
        ({"name": "Globex", "credits": -1}, "credits"),
        ({"name": "Globex", "credits": "lots"}, "credits"),
        ({"name": "Globex", "plan": "gold"}, "plan"),
    ):
        with cases.case(json.dumps(payload)):
            body = error(http.post_json("/v1/admin/tenants", ADMIN_KEY, payload), 422, "validation_error")
            assert field in body["message"], body
            assert [field] in detail_locs(body), body

    cases.check()


def test_admin_top_up_answers_the_new_balance(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(10)

    reply = http.post_json(f"/v1/admin/tenants/{tenant.tenant_id}/credits", ADMIN_KEY, {"amount": 15})

    assert reply.status == 200, reply.raw
    assert reply.json() == {"tenant_id": tenant.tenant_id, "balance": 25, "resumed_batches": []}
    assert aws.balance(tenant.tenant_id) == 25


def test_a_new_api_key_takes_no_body_fields(http: Http, aws: Aws) -> None:
    """A field the route does not take is a 422 naming it, as on every other route."""
    tenant = aws.tenant(0)
    path = f"/v1/admin/tenants/{tenant.tenant_id}/api-keys"

    refused = http.post_json(path, ADMIN_KEY, {"name": "ci"})
    created = http.post_json(path, ADMIN_KEY, {})

    assert ["name"] in detail_locs(error(refused, 422, "validation_error"))
    assert created.status == 201 and created.json()["api_key"]


def test_admin_top_up_of_an_unknown_tenant_is_a_404(http: Http) -> None:
    reply = http.post_json("/v1/admin/tenants/t_doesnotexist/credits", ADMIN_KEY, {"amount": 5})

    error(reply, 404, "not_found")


def test_admin_top_up_needs_a_positive_whole_amount(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(10)
    cases = Cases()

    for amount in (0, -5, 2.5, "ten"):
        with cases.case(f"amount {amount!r}"):
            reply = http.post_json(f"/v1/admin/tenants/{tenant.tenant_id}/credits", ADMIN_KEY,
                                   {"amount": amount})
            body = error(reply, 422, "validation_error")
            assert ["amount"] in detail_locs(body), body

    cases.check()
    assert aws.balance(tenant.tenant_id) == 10


def test_every_422_carries_a_detail_list_naming_the_field(http: Http, aws: Aws) -> None:
    """SPEC §2: 422 bodies carry ``detail: [{loc, msg, type}]``, whichever check refused the request."""
    tenant = aws.tenant(100)
    batch_id = create(http, tenant.api_key)
    aws.drain()
    cases = Cases()

    for label, reply, loc in (
        ("tenant without a name", http.post_json("/v1/admin/tenants", ADMIN_KEY, {"credits": 5}),
         ["name"]),
        ("blank tenant name", http.post_json("/v1/admin/tenants", ADMIN_KEY, {"name": "   "}), ["name"]),
        ("top-up of 0", http.post_json(f"/v1/admin/tenants/{tenant.tenant_id}/credits", ADMIN_KEY,
                                       {"amount": 0}), ["amount"]),
        ("JSON max_credits 0", http.post_json("/v1/batches", tenant.api_key,
                                              {"records": [{"email": "a@example.com"}], "max_credits": 0}),
         ["max_credits"]),
        ("form metadata not JSON", http.upload(tenant.api_key, csvs.leads(1), {"metadata": "{oops"}),
         ["metadata"]),
        ("list limit 0", http.get("/v1/batches?limit=0", tenant.api_key), ["limit"]),
        ("results format xml", http.get(f"/v1/batches/{batch_id}/results.csv?format=xml", tenant.api_key),
         ["format"]),
    ):
        with cases.case(label):
            body = error(reply, 422, "validation_error")
            assert any(loc == found[-len(loc):] for found in detail_locs(body)), body

    cases.check()
