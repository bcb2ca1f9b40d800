"""Batches through the API: auth first, create, run, download, tenant isolation."""

from __future__ import annotations

import json

from chalicelib.domain.results import ENRICH_COLUMNS
from chalicelib.keys import results_key
from tests import csvs
from tests.api_client import (
    MULTIPART,
    UNKNOWN_BATCH,
    Cases,
    Http,
    create,
    error,
    multipart,
    read_csv,
)
from tests.conftest import Aws

# --- authentication of /v1/batches ---------------------------------------------------------------


def test_batch_routes_need_a_valid_api_key_before_anything_else(http: Http) -> None:
    routes = [
        ("GET", "/v1/batches"),
        ("GET", "/v1/batches?limit=0"),
        ("POST", "/v1/batches"),
        ("GET", f"/v1/batches/{UNKNOWN_BATCH}"),
        ("GET", f"/v1/batches/{UNKNOWN_BATCH}/results.csv"),
        ("GET", f"/v1/batches/{UNKNOWN_BATCH}/results.csv?format=xml"),
        ("GET", f"/v1/batches/{UNKNOWN_BATCH}/credits.csv"),
        ("POST", f"/v1/batches/{UNKNOWN_BATCH}/resume"),
        ("POST", f"/v1/batches/{UNKNOWN_BATCH}/cancel"),
    ]
    cases = Cases()

    for authorization in (None, "Bearer be_live_wrong", "Basic xyz", "Bearer", "bearer  "):
        for method, path in routes:
            with cases.case(f"{method} {path} with {authorization!r}"):
                body = multipart(file=("leads.csv", csvs.leads(2))) if method == "POST" else b""
                reply = http.call(method, path, body=body, content_type=MULTIPART if body else None,
                                  authorization=authorization)
                message = error(reply, 401, "unauthorized")["message"]
                assert "Authorization" in message or "API key" in message, message

    cases.check()


# --- create, run, download -----------------------------------------------------------------------


def test_multipart_csv_runs_to_completion_with_results_in_input_order(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    data = csvs.leads(5)

    created = http.upload(tenant.api_key, data, {"name": "March leads"})

    assert created.status == 202, created.raw
    accepted = created.json()
    assert accepted["status"] in ("validating", "queued")
    assert accepted["name"] == "March leads"
    batch_id = accepted["batch_id"]

    aws.drain()

    status = http.get(f"/v1/batches/{batch_id}", tenant.api_key)
    assert status.status == 200
    body = status.json()
    assert body["status"] == "completed"
    assert body["og_input_number"] == 5
    assert body["counts"] == {"total": 5, "queued": 0, "processing": 0, "completed": 5,
                              "not_found": 0, "failed": 0, "skipped": 0, "parked": 0}
    assert body["credits_spent"] == 5
    assert body["progress"] == 1.0
    assert aws.balance(tenant.tenant_id) == 95

    batch = aws.ports.batches.get(tenant.tenant_id, batch_id)
    assert batch is not None
    results = http.get(f"/v1/batches/{batch_id}/results.csv", tenant.api_key)
    assert results.status == 302
    assert results_key(batch, "results.csv") in results.headers["location"]
    credits = http.get(f"/v1/batches/{batch_id}/credits.csv", tenant.api_key)
    assert credits.status == 302
    assert results_key(batch, "credits.csv") in credits.headers["location"]

    table = read_csv(aws.ports.blobs.read(results_key(batch, "results.csv")))
    source = read_csv(data)
    width = len(csvs.HEADER)
    assert table[0][:width] == csvs.HEADER
    assert table[0][width:width + len(ENRICH_COLUMNS)] == list(ENRICH_COLUMNS)
    assert len(table) == len(source)  # every input row once, nothing added
    for index, (row, given) in enumerate(zip(table[1:], source[1:], strict=True)):
        assert row[:width] == given  # untouched, "note, with comma N" included
        assert row[width:width + len(ENRICH_COLUMNS)] == [
            str(index), f"L{index}", "completed", "true", "1", "",
        ]
    charged = read_csv(aws.ports.blobs.read(results_key(batch, "credits.csv")))
    entry = f"charge#{batch_id}#000000#000"  # the ledger entry of the one chunk's charge
    assert charged == [["row_index", "row_id", "credits", "ledger_entry"]] + [
        [str(i), f"L{i}", "1", entry] for i in range(5)]


def test_semicolon_cp1252_file_keeps_its_cells_in_utf8_results(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    data = "Name;E-Mail\r\nJürgen Müller;jm@example.de\r\nZoë Café;not-an-email\r\n".encode("cp1252")

    batch_id = http.upload(tenant.api_key, data).json()["batch_id"]
    aws.drain()

    body = http.get(f"/v1/batches/{batch_id}", tenant.api_key).json()
    assert body["status"] == "completed"
    assert body["counts"]["completed"] == 1
    assert body["credits_spent"] == 1
    batch = aws.ports.batches.get(tenant.tenant_id, batch_id)
    assert batch is not None
    table = read_csv(aws.ports.blobs.read(results_key(batch, "results.csv")))
    assert [row[:2] for row in table] == [
        ["Name", "E-Mail"], ["Jürgen Müller", "jm@example.de"], ["Zoë Café", "not-an-email"],
    ]


def test_json_records_are_accepted_and_metadata_is_echoed(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    payload = {"records": [{"email": "ada@example.com"}, {"email": "grace@example.org"}],
               "name": "x", "metadata": {"a": 1, "campaign": "spring"}}

    created = http.post_json("/v1/batches", tenant.api_key, payload)

    assert created.status == 202, created.raw
    assert created.json()["metadata"] == {"a": 1, "campaign": "spring"}
    batch_id = created.json()["batch_id"]
    aws.drain()
    body = http.get(f"/v1/batches/{batch_id}", tenant.api_key).json()
    assert body["name"] == "x"
    assert body["metadata"] == {"a": 1, "campaign": "spring"}
    assert body["status"] == "completed"
    assert body["counts"]["completed"] == 2


def test_multipart_options_metadata_and_column_map_are_applied(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    data = b"contact,who\r\nada@example.com,Ada\r\n"

    created = http.upload(tenant.api_key, data, {
        "metadata": json.dumps({"source": "crm"}), "column_map": json.dumps({"contact": "email"}),
    })

    assert created.status == 202, created.raw
    batch_id = created.json()["batch_id"]
    aws.drain()
    body = http.get(f"/v1/batches/{batch_id}", tenant.api_key).json()
    assert body["metadata"] == {"source": "crm"}
    assert body["counts"]["completed"] == 1


# --- tenant isolation ----------------------------------------------------------------------------


def test_another_tenants_batch_is_a_404_like_an_unknown_id(http: Http, aws: Aws) -> None:
    owner, other = aws.tenant(100), aws.tenant(100)
    batch_id = create(http, owner.api_key)
    aws.drain()
    cases = Cases()

    for method, suffix in (("GET", ""), ("GET", "/results.csv"), ("GET", "/credits.csv"),
                           ("POST", "/resume"), ("POST", "/cancel")):
        with cases.case(f"{method} {suffix or '/'}"):
            theirs = error(http.call(method, f"/v1/batches/{batch_id}{suffix}", other.api_key), 404,
                           "not_found")
            unknown = error(http.call(method, f"/v1/batches/{UNKNOWN_BATCH}{suffix}", other.api_key), 404)
            assert set(theirs) == set(unknown)
            assert theirs["message"].replace(batch_id, UNKNOWN_BATCH) == unknown["message"]
            assert (json.dumps(theirs["details"]).replace(batch_id, UNKNOWN_BATCH)
                    == json.dumps(unknown["details"]))

    cases.check()
    still = http.get(f"/v1/batches/{batch_id}", owner.api_key).json()
    assert still["status"] == "completed"
    assert http.get("/v1/batches", other.api_key).json()["batches"] == []
