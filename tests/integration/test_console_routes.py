"""The console's routes: its page and files, and what the API gives a page (JSON links, unused columns)."""

from __future__ import annotations

import json
import re

from chalicelib.keys import results_key
from tests.api_client import MULTIPART, Http, create, error, multipart
from tests.conftest import Aws

_REFERENCE = re.compile(r'(?:src|href)="console/([^"]+)"')
_IMPORT = re.compile(r'from "\./([^"]+)"')
_TYPES = {"css": "text/css", "js": "text/javascript"}


def test_the_console_page_and_every_file_it_loads_are_served_without_a_key(http: Http) -> None:
    page = http.get("/console")

    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy
    wanted = _REFERENCE.findall(page.raw.decode())
    assert {"console.css", "app.js"} <= set(wanted)
    served: set[str] = set()
    while wanted:  # the page's files, then every module each script imports
        name = wanted.pop()
        if name in served:
            continue
        got = http.get(f"/console/{name}")
        assert got.status == 200, f"{name}: {got.raw!r}"
        assert got.headers["content-type"].startswith(_TYPES[name.rsplit(".", 1)[1]]), name
        assert got.headers["x-content-type-options"] == "nosniff"
        served.add(name)
        if name.endswith(".js"):
            wanted.extend(_IMPORT.findall(got.raw.decode()))
    assert {"api.js", "upload.js", "batch.js", "batches.js"} <= served


def test_names_outside_the_consoles_files_are_not_found(http: Http) -> None:
    for name in ("nope.js", "..%2Fapp.py", "app.py", "index.html", ".env", "x" * 300 + ".js"):
        reply = http.get(f"/console/{name}")
        error(reply, 404, "not_found")


def test_a_file_the_browser_already_holds_answers_304(http: Http) -> None:
    first = http.get("/console/app.js")

    again = http.call("GET", "/console/app.js", headers={"If-None-Match": first.headers["etag"]})

    assert again.status == 304 and again.raw == b""
    assert http.call("GET", "/console/app.js", headers={"If-None-Match": '"old"'}).status == 200


def test_a_results_file_link_comes_as_json_when_only_json_is_accepted(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    batch_id = create(http, tenant.api_key, 3)
    waiting = http.call("GET", f"/v1/batches/{batch_id}/results.csv", tenant.api_key,
                        headers={"Accept": "application/json"})
    error(waiting, 409, "conflict")
    aws.drain()
    batch = aws.ports.batches.get(tenant.tenant_id, batch_id)
    assert batch is not None

    for path, name in (("results.csv", "results.csv"), ("results.csv?format=jsonl", "rows.jsonl"),
                       ("credits.csv", "credits.csv"), ("summary.json", "summary.json")):
        reply = http.call("GET", f"/v1/batches/{batch_id}/{path}", tenant.api_key,
                          headers={"Accept": "application/json"})
        assert reply.status == 200, reply.raw
        link = reply.json()
        assert results_key(batch, name) in link["url"]
        assert link["filename"] == f"{batch_id}-{name}" and link["expires_in"] > 0
    for accept in (None, "*/*", "application/json, */*", "text/csv"):
        headers = {"Accept": accept} if accept else {}
        reply = http.call("GET", f"/v1/batches/{batch_id}/results.csv", tenant.api_key, headers=headers)
        assert reply.status == 302, (accept, reply.raw)


def _preflight(http: Http, key: str, data: bytes, column_map: object) -> dict[str, object]:
    body = multipart({"column_map": json.dumps(column_map)}, ("people.csv", data))
    reply = http.call("POST", "/v1/batches/preflight", key, body, MULTIPART)
    assert reply.status == 200, reply.raw
    return reply.json()


def test_a_column_map_to_null_leaves_that_column_unused(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    data = b"Name,Email,Phone\nAda Lovelace,ada@example.com,+1 415 555 0100\n"

    found = _preflight(http, tenant.api_key, data, {"Email": None})

    mapping = found["mapping"]
    assert isinstance(mapping, dict)
    assert "email" not in mapping["fields"]
    email = next(c for c in mapping["columns"] if c["column"] == "Email")
    assert (email["field"], email["how"]) == (None, "explicit")
    refused = http.call("POST", "/v1/batches/preflight", tenant.api_key,
                        multipart({"column_map": '{"Email": "e-mail"}'}, ("people.csv", data)), MULTIPART)
    assert "null to leave a column unused" in error(refused, 422)["message"]
