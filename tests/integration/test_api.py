"""The REST API through Chalice's test client on moto: status codes, one error shape, never a 500."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.domain.results import ENRICH_COLUMNS
from chalicelib.services.finalizing import results_key
from chalicelib.services.ports import Clock, get_ports, reset_ports
from chalicelib.settings import get_settings
from tests import csvs
from tests.conftest import ADMIN_KEY, Aws

BOUNDARY = "----batch-enrich-test-7d1c2b"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
UNKNOWN_BATCH = "b_0000000000000000000000"


def multipart(fields: dict[str, str] | None = None, file: tuple[str, bytes] | None = None,
              file_field: str = "file") -> bytes:
    """A multipart/form-data body: text fields, then one file part (if any)."""
    out = io.BytesIO()
    for name, text in (fields or {}).items():
        out.write(f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n".encode())
        out.write(text.encode() + b"\r\n")
    if file is not None:
        filename, data = file
        out.write(f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{file_field}\"; "
                  f"filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n".encode())
        out.write(data + b"\r\n")
    out.write(f"--{BOUNDARY}--\r\n".encode())
    return out.getvalue()


@dataclass
class Reply:
    """One HTTP answer, already checked to be no 500 and to leak no traceback."""

    status: int
    headers: dict[str, str]
    raw: bytes

    def json(self) -> dict[str, Any]:
        body = json.loads(self.raw)
        assert isinstance(body, dict), self.raw
        return body


class Http:
    """The Chalice test client with a few conveniences; every answer is checked for leaks."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def call(self, method: str, path: str, key: str | None = None, body: bytes = b"",
             content_type: str | None = None, authorization: str | None = None) -> Reply:
        headers: dict[str, str] = {}
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        if authorization is not None:
            headers["Authorization"] = authorization
        if content_type is not None:
            headers["Content-Type"] = content_type
        got = getattr(self._client.http, method.lower())(path, headers=headers, body=body)
        raw = got.body if isinstance(got.body, bytes) else str(got.body).encode()
        reply = Reply(int(got.status_code), {k.lower(): v for k, v in dict(got.headers).items()}, raw)
        assert reply.status < 500, f"{method} {path} answered {reply.status}: {raw!r}"
        assert b"Traceback" not in raw, raw
        return reply

    def get(self, path: str, key: str | None = None, **kwargs: Any) -> Reply:
        return self.call("GET", path, key, **kwargs)

    def post_json(self, path: str, key: str | None, payload: Any) -> Reply:
        return self.call("POST", path, key, json.dumps(payload).encode(), "application/json")

    def upload(self, key: str, data: bytes, fields: dict[str, str] | None = None,
               filename: str = "leads.csv") -> Reply:
        return self.call("POST", "/v1/batches", key, multipart(fields, (filename, data)), MULTIPART)


def error(reply: Reply, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert the one error shape ``{error, message, details, request_id}`` with a useful message."""
    assert reply.status == status, reply.raw
    body = reply.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    if code is not None:
        assert body["error"] == code, body
    assert isinstance(body.get("message"), str) and len(body["message"]) >= 15, body
    assert isinstance(body.get("details"), dict), body
    assert isinstance(body.get("request_id"), str) and body["request_id"], body
    return body


def detail_locs(body: dict[str, Any]) -> list[list[Any]]:
    """The ``loc`` of every item of a 422's ``detail: [{loc, msg, type}]`` (SPEC §2)."""
    detail = body.get("detail")
    assert isinstance(detail, list) and detail, body
    assert all(isinstance(item, dict) and {"loc", "msg", "type"} <= set(item) for item in detail), body
    return [item["loc"] for item in detail]


@pytest.fixture
def http(aws: Aws) -> Iterator[Http]:
    """A test client of the app, made once moto is up; batch ids strictly increase with time."""
    ticks = itertools.count()
    aws.ports.clock = Clock(epoch=lambda: 1_760_000_000.0 + next(ticks) * 0.01, sleep=lambda _: None)
    with Client(app) as client:
        yield Http(client)


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def create(http: Http, key: str, n: int = 3, **options: Any) -> str:
    """A batch from JSON records; its id."""
    records = [{"email": f"person{i}@example.com", "id": f"J{i}"} for i in range(n)]
    reply = http.post_json("/v1/batches", key, {"records": records, **options})
    assert reply.status == 202, reply.raw
    batch_id = reply.json()["batch_id"]
    assert isinstance(batch_id, str)
    return batch_id


class Cases:
    """Runs every row of a table of cases on one moto and reports all rows that failed."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    @contextmanager
    def case(self, label: str) -> Iterator[None]:
        try:
            yield
        except AssertionError as exc:
            self.failures.append(f"{label}: {exc}".splitlines()[0][:400])

    def check(self) -> None:
        assert not self.failures, "\n".join(["failed cases:", *self.failures])


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
    assert charged == [["row_index", "row_id", "credits"]] + [[str(i), f"L{i}", "1"] for i in range(5)]


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
    assert "split" in body["message"]
    assert exact.status == 202, exact.raw
    error(huge_json, 413, "payload_too_large")
    listed = http.get("/v1/batches", tenant.api_key).json()["batches"]
    assert [b["batch_id"] for b in listed] == [exact.json()["batch_id"]]


def test_an_11_mb_file_is_a_413_at_the_default_limit(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    data = csvs.leads(1) + (b"L9,x@example.com,,US," + b"n" * 1000 + b"\r\n") * (11 * 1024)

    body = error(http.upload(tenant.api_key, data), 413, "payload_too_large")

    assert "10 MB" in body["message"]


# --- listing -------------------------------------------------------------------------------------


def test_list_pages_newest_first_with_a_cursor(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    first, second, third = (create(http, tenant.api_key, name=f"batch {i}") for i in range(3))

    page = http.get("/v1/batches?limit=2", tenant.api_key)

    assert page.status == 200
    body = page.json()
    assert [b["batch_id"] for b in body["batches"]] == [third, second]
    assert [b["name"] for b in body["batches"]] == ["batch 2", "batch 1"]
    assert body["next_cursor"]
    rest = http.get(f"/v1/batches?limit=2&cursor={body['next_cursor']}", tenant.api_key).json()
    assert [b["batch_id"] for b in rest["batches"]] == [first]
    assert rest["next_cursor"] is None
    everything = http.get("/v1/batches", tenant.api_key).json()
    assert [b["batch_id"] for b in everything["batches"]] == [third, second, first]
    assert everything["next_cursor"] is None


def test_list_with_a_bad_limit_is_a_422(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    cases = Cases()

    for limit in ("0", "101", "abc", "-1", "2.5", "", "%C2%B2"):  # the last is "²", a digit to isdigit()
        with cases.case(f"limit={limit}"):
            body = error(http.get(f"/v1/batches?limit={limit}", tenant.api_key), 422, "validation_error")
            assert "limit" in body["message"], body

    cases.check()


def test_list_with_a_garbage_cursor_is_a_400(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    create(http, tenant.api_key)
    cases = Cases()

    for cursor in ("garbage", "____", "!!!", "%25%25", "...."):
        with cases.case(f"cursor={cursor}"):
            body = error(http.get(f"/v1/batches?cursor={cursor}", tenant.api_key), 400, "bad_input")
            assert "cursor" in body["message"], body

    cases.check()


# --- results before the end, resume, cancel ------------------------------------------------------


def test_results_before_the_batch_finished_are_a_409(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    batch_id = create(http, tenant.api_key)
    cases = Cases()

    for path in ("results.csv", "results.csv?format=jsonl", "credits.csv"):
        with cases.case(path):
            body = error(http.get(f"/v1/batches/{batch_id}/{path}", tenant.api_key), 409, "conflict")
            assert "not ready" in body["message"], body

    cases.check()


def test_results_in_an_unknown_format_are_a_422(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    batch_id = create(http, tenant.api_key)
    aws.drain()

    jsonl = http.get(f"/v1/batches/{batch_id}/results.csv?format=jsonl", tenant.api_key)
    assert jsonl.status == 302
    assert "rows.jsonl" in jsonl.headers["location"]
    body = error(http.get(f"/v1/batches/{batch_id}/results.csv?format=xml", tenant.api_key), 422)
    assert "format" in body["message"]


def test_resume_of_a_batch_that_is_not_paused_is_a_409(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    batch_id = create(http, tenant.api_key)

    while_running = http.call("POST", f"/v1/batches/{batch_id}/resume", tenant.api_key)
    aws.drain()
    once_completed = http.call("POST", f"/v1/batches/{batch_id}/resume", tenant.api_key)

    assert "paused" in error(while_running, 409, "conflict")["message"]
    assert "completed" in error(once_completed, 409, "conflict")["message"]
    assert http.get(f"/v1/batches/{batch_id}", tenant.api_key).json()["status"] == "completed"


def test_cancel_stops_the_batch_charges_nothing_and_a_second_cancel_is_a_409(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    batch_id = create(http, tenant.api_key, n=4)

    cancelled = http.call("POST", f"/v1/batches/{batch_id}/cancel", tenant.api_key)

    assert cancelled.status == 202, cancelled.raw
    assert cancelled.json()["status"] == "cancelled"
    again = error(http.call("POST", f"/v1/batches/{batch_id}/cancel", tenant.api_key), 409, "conflict")
    assert "cancelled" in again["message"]
    aws.drain()
    body = http.get(f"/v1/batches/{batch_id}", tenant.api_key).json()
    assert body["status"] == "cancelled"
    assert body["finished_at"] is not None
    assert body["credits_spent"] == 0
    assert aws.balance(tenant.tenant_id) == 100
    assert http.get(f"/v1/batches/{batch_id}/results.csv", tenant.api_key).status == 302
    error(http.call("POST", f"/v1/batches/{batch_id}/cancel", tenant.api_key), 409, "conflict")
    error(http.call("POST", f"/v1/batches/{batch_id}/resume", tenant.api_key), 409, "conflict")


def test_cancel_of_a_completed_batch_is_a_409_and_changes_nothing(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    batch_id = create(http, tenant.api_key)
    aws.drain()

    body = error(http.call("POST", f"/v1/batches/{batch_id}/cancel", tenant.api_key), 409, "conflict")

    assert "completed" in body["message"]
    assert http.get(f"/v1/batches/{batch_id}", tenant.api_key).json()["status"] == "completed"
