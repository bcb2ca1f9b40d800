"""The one API test client (Chalice's test client or a served port) and the checks API tests share."""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

BOUNDARY = "----batch-enrich-test-7d1c2b"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
UNKNOWN_BATCH = "b_0000000000000000000000"
Answer = tuple[int, dict[str, str], bytes]  # status, headers, body
Transport = Callable[[str, str, dict[str, str], bytes], Answer]  # method, path, headers, body


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
    headers: dict[str, str]  # names in lower case
    raw: bytes

    @cached_property
    def body(self) -> Any:
        """The body parsed as JSON (None when empty)."""
        return json.loads(self.raw) if self.raw else None

    def json(self) -> dict[str, Any]:
        """The body as a JSON object."""
        assert isinstance(self.body, dict), self.raw
        return self.body


def chalice_transport(client: Any) -> Transport:
    """Requests through Chalice's test client (``chalice.test.Client``), in process."""

    def send(method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        got = getattr(client.http, method.lower())(path, headers=headers, body=body)
        raw = got.body if isinstance(got.body, bytes) else str(got.body).encode()
        return int(got.status_code), dict(got.headers), raw

    return send


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None


def network_transport(base_url: str) -> Transport:
    """Requests over HTTP to a served API (``batch-enrich serve``); redirects are answered, not followed."""
    opener = urllib.request.build_opener(_NoRedirect)

    def send(method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        request = urllib.request.Request(base_url + path, data=body or None, method=method, headers=headers)
        try:
            with opener.open(request, timeout=30) as answer:
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as refused:
            return refused.code, dict(refused.headers), refused.read()

    return send


class Http:
    """The API as a client sees it; every answer is checked for 500s and leaked tracebacks."""

    def __init__(self, transport: Transport) -> None:
        self._send = transport

    def call(self, method: str, path: str, key: str | None = None, body: bytes = b"",
             content_type: str | None = None, authorization: str | None = None,
             headers: dict[str, str] | None = None) -> Reply:
        """One request: ``key`` as a bearer key (or any ``authorization``), raw body bytes."""
        sent = dict(headers or {})
        if key is not None:
            sent["Authorization"] = f"Bearer {key}"
        if authorization is not None:
            sent["Authorization"] = authorization
        if content_type is not None:
            sent["Content-Type"] = content_type
        status, got, raw = self._send(method.upper(), path, sent, body)
        reply = Reply(status, {k.lower(): v for k, v in got.items()}, raw)
        assert reply.status < 500, f"{method} {path} answered {reply.status}: {raw!r}"
        assert b"Traceback" not in raw, raw
        return reply

    def get(self, path: str, key: str | None = None, **kwargs: Any) -> Reply:
        """A GET."""
        return self.call("GET", path, key, **kwargs)

    def send(self, method: str, path: str, key: str | None, payload: Any = None,
             headers: dict[str, str] | None = None) -> Reply:
        """A request with a JSON body (none when ``payload`` is None)."""
        if payload is None:
            return self.call(method, path, key, headers=headers)
        return self.call(method, path, key, json.dumps(payload).encode(), "application/json",
                         headers=headers)

    def post_json(self, path: str, key: str | None, payload: Any) -> Reply:
        """A POST with a JSON body."""
        return self.send("POST", path, key, payload)

    def upload(self, key: str, data: bytes, fields: dict[str, str] | None = None,
               filename: str = "leads.csv") -> Reply:
        """POST /v1/batches with a multipart file and option fields."""
        return self.call("POST", "/v1/batches", key, multipart(fields, (filename, data)), MULTIPART)

    def status(self, key: str, batch_id: str) -> dict[str, Any]:
        """A batch's status body (asserting a 200)."""
        reply = self.get(f"/v1/batches/{batch_id}", key)
        assert reply.status == 200, reply.raw
        return reply.json()


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


def read_csv(data: bytes) -> list[list[str]]:
    """A CSV file's records, as lists of cells."""
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def create(http: Http, key: str, n: int = 3, **options: Any) -> str:
    """A batch from JSON records; its id."""
    records = [{"email": f"person{i}@example.com", "id": f"J{i}"} for i in range(n)]
    reply = http.post_json("/v1/batches", key, {"records": records, **options})
    assert reply.status == 202, reply.raw
    batch_id = reply.json()["batch_id"]
    assert isinstance(batch_id, str)
    return batch_id


def all_entries(http: Http, key: str, query: str = "", limit: int = 2) -> list[dict[str, Any]]:
    """Every ledger entry, following next_cursor page by page."""
    entries: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(100):
        page = http.get(f"/v1/credits/ledger?limit={limit}{query}{cursor}", key)
        assert page.status == 200, page.body
        assert len(page.body["entries"]) <= limit
        entries += page.body["entries"]
        if page.body["next_cursor"] is None:
            return entries
        assert len(page.body["entries"]) == limit
        cursor = f"&cursor={page.body['next_cursor']}"
    raise AssertionError("the ledger never ended")


class Cases:
    """Runs every row of a table of cases on one moto and reports all rows that failed."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    @contextmanager
    def case(self, label: str) -> Iterator[None]:
        """One case: an assertion failing inside is recorded, the next case still runs."""
        try:
            yield
        except AssertionError as exc:
            self.failures.append(f"{label}: {exc}".splitlines()[0][:400])

    def check(self) -> None:
        """Fail with every recorded case."""
        assert not self.failures, "\n".join(["failed cases:", *self.failures])


def api_routes(keyed_only: bool = False) -> list[tuple[str, str]]:
    """(method, path) of every /v1 route, its path parameters filled with ids that exist nowhere
    (the 404 and 405 answers of ``handlers.fallback`` are no routes); ``keyed_only``: only those
    whose declaration asks for a key (``GET /v1/openapi.json`` does not)."""
    from app import app
    from chalicelib.handlers.declare import DECLARED
    from chalicelib.handlers.fallback import is_fallback

    found = []
    for path, methods in app.routes.items():
        if path.startswith("/v1/"):
            concrete = re.sub(r"\{(\w+)\}", lambda m: f"{m.group(1)}-0", path)
            found += [(method, concrete) for method, entry in methods.items()
                      if not is_fallback(entry.view_function) and not (
                          keyed_only and DECLARED[(path, method)].auth == "none")]
    return sorted(found)
