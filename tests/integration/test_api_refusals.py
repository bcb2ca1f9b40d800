"""Input the API refuses, with a 4xx that says what to fix: bad files, options, sizes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from chalicelib.services.ports import get_ports, reset_ports
from chalicelib.settings import get_settings
from tests import csvs
from tests.api_client import (
    MULTIPART,
    Cases,
    Http,
    detail_locs,
    error,
    multipart,
)
from tests.conftest import Aws

# --- input that is refused -----------------------------------------------------------------------


def test_unusable_files_are_a_400_saying_what_to_fix(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    cases = Cases()

    for label, data, hint in (
        ("xlsx", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml", "Excel"),
        ("xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "Excel"),
        ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        ("empty", b"", "empty"),
        ("blank lines", b"\r\n  \r\n", "empty"),
        ("header only", b"id,Email Address,Phone\r\n", "row"),
        ("NUL bytes", b"id,email\r\nL1,a@example.com\x00\x00\x00\r\n", "NUL"),
    ):
        with cases.case(label):
            body = error(http.upload(tenant.api_key, data), 400, "bad_input")
            assert hint.lower() in body["message"].lower(), body["message"]

    cases.check()
    assert http.get("/v1/batches", tenant.api_key).json()["batches"] == []


def test_a_file_over_the_row_limit_is_a_400(http: Http, aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = aws.tenant(100)
    settings = aws.ports.settings.model_copy(update={"max_rows_per_batch": 3})
    monkeypatch.setattr(aws.ports, "settings", settings)

    body = error(http.upload(tenant.api_key, csvs.leads(4)), 400, "bad_input")

    assert "4 rows" in body["message"]
    assert "3" in body["message"]


def test_missing_file_or_boundary_is_refused(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)

    no_file = http.call("POST", "/v1/batches", tenant.api_key, multipart({"name": "x"}), MULTIPART)
    wrong_name = http.call("POST", "/v1/batches", tenant.api_key,
                           multipart(file=("leads.csv", csvs.leads(2)), file_field="upload"), MULTIPART)
    no_boundary = http.call("POST", "/v1/batches", tenant.api_key,
                            multipart(file=("a.csv", csvs.leads(1))), "multipart/form-data")

    assert "'file'" in error(no_file, 400, "bad_input")["message"]
    assert "'file'" in error(wrong_name, 400, "bad_input")["message"]
    assert no_boundary.status in (400, 415)
    assert "boundary" in error(no_boundary, no_boundary.status)["message"]


def test_invalid_json_create_is_a_422_naming_the_field(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    one = [{"email": "a@example.com"}]
    cases = Cases()

    for payload, loc in (
        ({"records": []}, ["records"]),
        ({}, ["records"]),
        ({"records": one, "colour": "blue"}, ["colour"]),
        ({"records": one, "max_credits": 0}, ["max_credits"]),
        ({"records": one, "mode": "turbo"}, ["mode"]),
        ({"records": one, "metadata": [1, 2]}, ["metadata"]),
        ({"records": one, "column_map": {"email": "e_mail"}}, ["column_map"]),
        ({"records": ["a@example.com"]}, ["records", 0]),
    ):
        with cases.case(json.dumps(payload)):
            body = error(http.post_json("/v1/batches", tenant.api_key, payload), 422, "validation_error")
            assert loc in detail_locs(body), body

    cases.check()
    assert http.get("/v1/batches", tenant.api_key).json()["batches"] == []


def test_invalid_multipart_option_is_a_422_naming_the_field(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    cases = Cases()

    for fields, field in (
        ({"max_credits": "0"}, "max_credits"),
        ({"max_credits": "-3"}, "max_credits"),
        ({"colour": "blue"}, "colour"),
        ({"mode": "turbo"}, "mode"),
        ({"metadata": "{not json"}, "metadata"),
    ):
        with cases.case(json.dumps(fields)):
            body = error(http.upload(tenant.api_key, csvs.leads(2), fields), 422, "validation_error")
            assert field in body["message"], body

    cases.check()
    assert http.get("/v1/batches", tenant.api_key).json()["batches"] == []


def test_unknown_canonical_field_in_column_map_lists_the_known_ones(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)

    reply = http.upload(tenant.api_key, csvs.leads(2), {"column_map": json.dumps({"Phone": "mobile"})})

    body = error(reply, 422, "validation_error")
    assert "mobile" in body["message"]
    assert "phone" in body["message"]  # the list of known fields


def test_malformed_json_body_is_a_400(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    cases = Cases()

    for raw in (b'{"records": [', b"records=1", b"\xff\xfe{}", b""):
        with cases.case(repr(raw)):
            body = error(http.call("POST", "/v1/batches", tenant.api_key, raw, "application/json"), 400)
            assert "JSON" in body["message"], body

    cases.check()


def test_unsupported_content_type_is_a_415_in_the_error_shape(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    cases = Cases()

    for content_type in ("text/plain", "text/csv", "application/xml"):
        with cases.case(content_type):
            reply = http.call("POST", "/v1/batches", tenant.api_key, csvs.leads(2), content_type)
            body = error(reply, 415, "unsupported_media_type")
            assert "multipart/form-data" in body["message"], body

    cases.check()


# --- size limit ----------------------------------------------------------------------------------

SMALL_LIMIT = 4096


@pytest.fixture
def small_uploads(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """The API's upload limit lowered to 4 KiB (settings and ports rebuilt on the same moto)."""
    monkeypatch.setenv("BATCH_ENRICH_MAX_UPLOAD_BYTES", str(SMALL_LIMIT))
    get_settings.cache_clear()
    reset_ports()
    get_ports().clock = aws.ports.clock
    yield SMALL_LIMIT
    monkeypatch.delenv("BATCH_ENRICH_MAX_UPLOAD_BYTES")
    get_settings.cache_clear()
    reset_ports()


def sized_csv(size: int) -> bytes:
    """A valid leads CSV of exactly ``size`` bytes (its last note padded)."""
    data = csvs.leads(3)
    assert len(data) <= size
    return data[:-2] + b"x" * (size - len(data)) + b"\r\n"


def test_upload_limit_is_enforced_at_the_byte(http: Http, aws: Aws, small_uploads: int) -> None:
    tenant = aws.tenant(100)

    over = http.upload(tenant.api_key, sized_csv(small_uploads + 1))
    exact = http.upload(tenant.api_key, sized_csv(small_uploads))
    records = [{"email": f"person{i}@example.com", "note": "x" * 1000} for i in range(100)]
    huge_json = http.post_json("/v1/batches", tenant.api_key, {"records": records})

    body = error(over, 413, "payload_too_large")
    assert "split" in body["message"] and "POST /v1/uploads" in body["message"]
    assert "GET /v1/drop-folder" in body["message"]
    assert exact.status == 202, exact.raw
    error(huge_json, 413, "payload_too_large")
    listed = http.get("/v1/batches", tenant.api_key).json()["batches"]
    assert [b["batch_id"] for b in listed] == [exact.json()["batch_id"]]


def test_an_11_mb_file_is_a_413_at_the_default_limit(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    data = csvs.leads(1) + (b"L9,x@example.com,,US," + b"n" * 1000 + b"\r\n") * (11 * 1024)

    body = error(http.upload(tenant.api_key, data), 413, "payload_too_large")

    assert "10 MB" in body["message"]
