"""A small HTTP client over Chalice's test client, and the checks every API test shares."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

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
