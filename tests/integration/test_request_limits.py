"""Issue 11 findings 1 and 2, issue 12 finding 5: every body and field has a documented limit
(README, "Limits") and a request beyond it gets a 4xx naming it, never a 500."""

from __future__ import annotations

import json

from chalicelib.domain.limits import (
    MAX_COLUMN_MAP_ENTRIES,
    MAX_CREDITS,
    MAX_JSON_BODY_BYTES,
    MAX_JSON_DEPTH,
    MAX_METADATA_BYTES,
)
from tests.api_client import MULTIPART, Cases, Http, detail_locs, error, multipart
from tests.conftest import ADMIN_KEY, Aws

ONE = [{"email": "a@example.com"}]
NESTED = b"[" * 2000 + b"]" * 2000
CSV = ("a.csv", b"email\r\na@example.com\r\n")


def test_deeply_nested_json_is_a_400_on_every_route_that_takes_json(http: Http, aws: Aws) -> None:
    """#1: "[" * 2000 + "]" * 2000 was a 500 (RecursionError)."""
    tenant = aws.tenant(10)
    batch_id = http.post_json("/v1/batches", tenant.api_key, {"records": ONE}).json()["batch_id"]
    cases = Cases()

    for label, reply in (
        ("create", http.call("POST", "/v1/batches", tenant.api_key, NESTED, "application/json")),
        ("admin tenants", http.call("POST", "/v1/admin/tenants", ADMIN_KEY, NESTED, "application/json")),
        ("patch", http.call("PATCH", f"/v1/batches/{batch_id}", tenant.api_key, NESTED,
                            "application/json")),
        ("metadata field", http.call("POST", "/v1/batches/preflight", tenant.api_key,
                                     multipart({"metadata": NESTED.decode()}, CSV), MULTIPART)),
        ("nested 40 deep", http.post_json("/v1/batches", tenant.api_key,
                                          {"records": ONE, "metadata": json.loads("{\"a\":" * 40 + "1"
                                                                                   + "}" * 40)})),
    ):
        with cases.case(label):
            body = error(reply, 400, "bad_input")
            assert f"deeper than {MAX_JSON_DEPTH}" in body["message"], body

    cases.check()


def test_metadata_over_its_limit_is_refused_on_create_and_patch(http: Http, aws: Aws) -> None:
    """#2: a 564 KB metadata object was a 500 (DynamoDB's item limit)."""
    tenant = aws.tenant(10)
    batch_id = http.post_json("/v1/batches", tenant.api_key, {"records": ONE}).json()["batch_id"]
    big = {"x": "y" * MAX_METADATA_BYTES}
    fits = {"x": "y" * (MAX_METADATA_BYTES - 20)}

    created = http.post_json("/v1/batches", tenant.api_key, {"records": ONE, "metadata": big})
    patched = http.send("PATCH", f"/v1/batches/{batch_id}", tenant.api_key, {"metadata": big})
    huge = http.send("PATCH", f"/v1/batches/{batch_id}", tenant.api_key, {"metadata": {"x": "y" * 564_000}})
    kept = http.send("PATCH", f"/v1/batches/{batch_id}", tenant.api_key, {"metadata": fits})

    for reply in (created, patched):
        body = error(reply, 422, "validation_error")
        assert ["metadata"] in detail_locs(body) and str(MAX_METADATA_BYTES) in body["message"]
    assert str(MAX_JSON_BODY_BYTES) in error(huge, 413, "payload_too_large")["message"]
    assert kept.status == 200 and kept.json()["metadata"] == fits


def test_huge_integers_are_a_422_naming_the_field(http: Http, aws: Aws) -> None:
    """Issue 12 #5: 10**40 for max_credits, row_limit, admin credits or amount was a 500."""
    tenant = aws.tenant(10)
    batch_id = http.post_json("/v1/batches", tenant.api_key, {"records": ONE}).json()["batch_id"]
    cases = Cases()

    for label, reply, field in (
        ("max_credits", http.post_json("/v1/batches", tenant.api_key,
                                       {"records": ONE, "max_credits": 10**40}), "max_credits"),
        ("row_limit", http.post_json("/v1/batches", tenant.api_key,
                                     {"records": ONE, "row_limit": 10**40}), "row_limit"),
        ("patch cap", http.send("PATCH", f"/v1/batches/{batch_id}", tenant.api_key,
                                {"max_credits": MAX_CREDITS + 1}), "max_credits"),
        ("form cap", http.call("POST", "/v1/batches", tenant.api_key,
                               multipart({"max_credits": str(10**40)}, CSV), MULTIPART), "max_credits"),
        ("credits", http.post_json("/v1/admin/tenants", ADMIN_KEY,
                                   {"name": "Big", "credits": 10**40}), "credits"),
        ("amount", http.post_json(f"/v1/admin/tenants/{tenant.tenant_id}/credits", ADMIN_KEY,
                                  {"amount": 10**40}), "amount"),
        ("price", http.send("PUT", f"/v1/admin/tenants/{tenant.tenant_id}/config", ADMIN_KEY,
                            {"prices": {"basic": 10**40}}), "prices"),
    ):
        with cases.case(label):
            assert [field] == detail_locs(error(reply, 422, "validation_error"))[0][:1]

    cases.check()
    assert aws.balance(tenant.tenant_id) == 10


def test_a_column_map_over_its_limit_and_an_11_mb_patch_are_refused(http: Http, aws: Aws) -> None:
    """Issue 12 #5: a 30,000-entry column_map; an 11 MB PATCH body."""
    tenant = aws.tenant(10)
    batch_id = http.post_json("/v1/batches", tenant.api_key, {"records": ONE}).json()["batch_id"]
    column_map = {f"c{n}": "email" for n in range(30_000)}

    mapped = http.post_json("/v1/batches/preflight", tenant.api_key,
                            {"records": ONE, "column_map": column_map})
    patched = http.call("PATCH", f"/v1/batches/{batch_id}", tenant.api_key,
                        b'{"name": "' + b"n" * (11 * 2**20) + b'"}', "application/json")

    body = error(mapped, 422, "validation_error")
    assert ["column_map"] in detail_locs(body) and str(MAX_COLUMN_MAP_ENTRIES) in body["message"]
    assert "bytes" in error(patched, 413, "payload_too_large")["message"]


def test_json_without_numbers_json_knows_is_a_400(http: Http, aws: Aws) -> None:
    """NaN and Infinity are no JSON: a vendor timeout of Infinity would never end."""
    tenant = aws.tenant(10)
    config = b'{"sources": [], "prices": {"basic": NaN}}'

    got = http.call("PUT", f"/v1/admin/tenants/{tenant.tenant_id}/config", ADMIN_KEY, config,
                    "application/json")

    assert "NaN" in error(got, 400, "bad_input")["message"]


def test_options_beside_a_file_and_dataset_fields_are_bounded(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(10)

    fields = http.call("POST", "/v1/batches/preflight", tenant.api_key,
                       multipart({"name": "n", "dedupe": "x" * 70_000}, CSV), MULTIPART)
    unknown = http.call("POST", "/v1/datasets", tenant.api_key,
                        multipart({"colour": "blue"}, CSV), MULTIPART)
    long_name = http.call("POST", "/v1/datasets", tenant.api_key,
                          multipart({"name": "n" * 201}, CSV), MULTIPART)

    assert "option fields" in error(fields, 413, "payload_too_large")["message"]
    assert ["colour"] in detail_locs(error(unknown, 422, "validation_error"))
    assert ["name"] in detail_locs(error(long_name, 422, "validation_error"))
