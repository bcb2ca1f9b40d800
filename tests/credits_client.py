"""A JSON client over Chalice's test client and the checks the credits tests share."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.conftest import Aws


@dataclass
class Reply:
    """One HTTP answer, already checked to be no 500."""

    status: int
    body: Any


class Http:
    """The Chalice test client: JSON in, JSON out, a bearer key per call."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def call(self, method: str, path: str, key: str | None, payload: Any = None) -> Reply:
        headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
        body = b""
        if payload is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(payload).encode()
        got = getattr(self._client.http, method.lower())(path, headers=headers, body=body)
        assert got.status_code < 500, f"{method} {path}: {got.status_code} {got.body!r}"
        return Reply(got.status_code, json.loads(got.body) if got.body else None)

    def get(self, path: str, key: str | None) -> Reply:
        return self.call("GET", path, key)


class Ticking:
    """A clock that moves 10 ms a reading and can jump (to cross a month)."""

    def __init__(self, start: float) -> None:
        self.at = start

    def __call__(self) -> float:
        self.at += 0.01
        return self.at



def run_batch(http: Http, aws: Aws, key: str, matched: int, unmatched: int = 0) -> dict[str, Any]:
    """A batch of ``matched`` good emails and ``unmatched`` bad ones, run to the end; its status."""
    records = [{"email": f"p{i}@example.com"} for i in range(matched)]
    records += [{"email": f"not-an-email-{i}"} for i in range(unmatched)]
    created = http.call("POST", "/v1/batches", key, {"records": records})
    assert created.status == 202, created.body
    aws.drain()
    status = http.get(f"/v1/batches/{created.body['batch_id']}", key).body
    assert status["status"] == "completed", status
    return dict(status)


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


def error(reply: Reply, status: int, code: str) -> dict[str, Any]:
    """Assert the one error shape ``{error, message, details, request_id}``."""
    assert reply.status == status, reply.body
    assert reply.body["error"] == code, reply.body
    assert isinstance(reply.body["message"], str) and isinstance(reply.body["details"], dict)
    assert reply.body["request_id"], reply.body
    return dict(reply.body)
