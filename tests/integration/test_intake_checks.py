"""Issue 11 findings 7 and 11, advanced mode without sources, and enrichment by the columns a
file has, through the REST API."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from chalicelib.services.ports import get_ports, reset_ports
from chalicelib.settings import get_settings
from tests.agreement import assert_agree, books
from tests.api_client import Cases, Http, detail_locs, error
from tests.conftest import ADMIN_KEY, Aws
from tests.csvs import leads


@pytest.fixture
def small_uploads(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """The API's upload limit lowered to 1 MiB (settings and ports rebuilt on the same moto)."""
    monkeypatch.setenv("BATCH_ENRICH_MAX_UPLOAD_BYTES", str(2**20))
    get_settings.cache_clear()
    reset_ports()
    get_ports().clock = aws.ports.clock
    yield 2**20
    get_settings.cache_clear()
    reset_ports()


def test_a_file_over_the_limit_is_told_what_works_today(http: Http, aws: Aws, small_uploads: int) -> None:
    """#7: the 413 told the user to use a drop folder that did not exist yet; now that it does (and
    presigned uploads), the message names both, and each route it names answers."""
    tenant = aws.tenant(10)

    body = error(http.upload(tenant.api_key, leads(1) + b"x" * small_uploads), 413, "payload_too_large")

    assert "split it into files under 1 MB" in body["message"]
    assert "POST /v1/uploads" in body["message"] and "GET /v1/drop-folder" in body["message"]
    assert http.get("/v1/drop-folder", tenant.api_key).status == 200
    assert http.post_json("/v1/uploads", tenant.api_key, {"filename": "big.csv", "size": 2**21}).status == 201


def test_a_column_map_naming_a_missing_column_or_an_unknown_country_is_a_422(http: Http, aws: Aws) -> None:
    """#11: both were accepted silently."""
    tenant = aws.tenant(10)
    one = [{"email": "a@example.com", "phone": "555 0100"}]
    cases = Cases()

    for label, payload, field, named in (
        ("missing column", {"records": one, "column_map": {"Mail": "email"}}, "column_map", "'Mail'"),
        ("unknown country", {"records": one, "default_country": "ZZ"}, "default_country", "'ZZ'"),
        ("unknown platform", {"records": one, "platform": "myspace"}, "platform", "'myspace'"),
    ):
        with cases.case(label):
            for path in ("/v1/batches/preflight", "/v1/batches"):
                body = error(http.post_json(path, tenant.api_key, payload), 422, "validation_error")
                assert [field] in detail_locs(body) and named in body["message"], body

    cases.check()
    assert http.get("/v1/batches", tenant.api_key).json()["batches"] == []
    lower = http.post_json("/v1/batches/preflight", tenant.api_key, {"records": one, "default_country": "gb"})
    assert lower.status == 200, lower.raw


def test_advanced_mode_without_sources_is_refused_at_create_and_nothing_is_charged(
        http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)

    refused = http.post_json("/v1/batches", tenant.api_key,
                             {"records": [{"email": "a@example.com"}], "mode": "advanced"})

    body = error(refused, 422, "validation_error")
    assert ["mode"] in detail_locs(body) and tenant.tenant_id in body["message"]
    assert aws.balance(tenant.tenant_id) == 100
    assert http.get("/v1/batches", tenant.api_key).json()["batches"] == []


def test_a_file_of_places_is_enriched_as_places_and_a_zip_no_city_has_is_not_billed(
        http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    data = (b"id,name,address,city,state,zip,phone\r\n"
            b"P1,Joe's Diner,12 Elm St,Palo Alto,CA,94301,\r\n"
            b"P2,Nowhere Inn,1 Main St,Springfield,IL,00000,\r\n")

    created = http.upload(tenant.api_key, data).json()
    aws.drain()

    found = books(http, aws, tenant, created["batch_id"])
    assert created["entity_type"] == "place"
    assert [(r["id"], r["enrich_status"], r["enrich_credits"]) for r in found.results] == [
        ("P1", "completed", "1"), ("P2", "not_found", "0")]
    assert found.results[0]["place.time_zone"] == "America/Los_Angeles"
    assert not any(column.startswith("name.") for column in found.results[0])  # no "first: Joe's"
    assert_agree(found, ["P1", "P2"])


def test_a_person_with_an_address_gets_the_address_enrichment_too(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    records = [{"id": "A", "email": "ada@example.com", "street": "1600 Amphitheatre Pkwy",
                "zip": "94043"}, {"id": "B", "email": "not-an-email", "street": "1 Main St", "zip": "94043"}]

    batch_id = http.post_json("/v1/batches", tenant.api_key, {"records": records}).json()["batch_id"]
    aws.drain()

    found = books(http, aws, tenant, batch_id)
    assert found.status["entity_type"] == "person"
    assert [r["place.city"] for r in found.results] == ["Mountain View", "Mountain View"]
    assert [r["enrich_credits"] for r in found.results] == ["1", "0"]  # the address is a free extra
    assert_agree(found, ["A", "B"])


def test_preflight_and_the_admin_config_use_json_fields_as_they_are(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(10)
    config = {"sources": [], "require_full_balance": True, "prices": {"basic": 2}}

    stored = http.call("PUT", f"/v1/admin/tenants/{tenant.tenant_id}/config", ADMIN_KEY,
                       json.dumps(config).encode(), "application/json")
    preflight = http.post_json("/v1/batches/preflight", tenant.api_key,
                               {"records": [{"email": "a@example.com"}] * 3})

    assert stored.status == 200, stored.raw
    assert preflight.json()["cost_estimate"] == {"min": 0, "max": 6, "price_per_match": 2}
