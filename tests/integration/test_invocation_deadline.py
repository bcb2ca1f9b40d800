"""Deadlines in advanced mode: a work invocation short of time settles what it did and hands the
rest on at once; a row slower than its deadline fails alone."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from chalicelib import topology
from chalicelib.adapters.queue import MessageQueue
from chalicelib.local.eventsource import LambdaContext
from chalicelib.observability import metrics
from chalicelib.services.tenants import NewTenant
from tests.api_client import Http
from tests.conftest import ADMIN_KEY, Aws
from tests.fake_vendor import JsonHandler, serving_handler
from tests.helpers import charged, results_rows

SLOW = "p3@example.com"


class _Vendor(JsonHandler):
    """Knows everyone; one address takes ``slow_seconds``."""

    slow_seconds = 3.0

    def do_GET(self) -> None:
        if parse_qs(urlparse(self.path).query).get("email", [""])[0] == SLOW:
            time.sleep(self.slow_seconds)
        self.reply(200, {"person": {"title": "CTO"}})


@pytest.fixture
def vendor(aws: Aws) -> Iterator[str]:
    aws.ports.settings = aws.ports.settings.model_copy(update={"outbound_allow_loopback": True})
    with serving_handler(_Vendor) as base:
        yield base + "/v1/people"


def _advanced(aws: Aws, http: Http, vendor: str, rows: int) -> tuple[NewTenant, str]:
    tenant = aws.tenant(1000)
    config = {"sources": [{"type": "http", "config": {
        "name": "people", "url": vendor, "query": {"email": "email"}, "requires": ["email"],
        "price": 5, "max_in_flight": 4, "outputs": {"title": "person.title"}}}]}
    answer = http.send("PUT", f"/v1/admin/tenants/{tenant.tenant_id}/config", ADMIN_KEY, config)
    assert answer.status == 200, answer.body
    records = [{"id": str(i), "email": f"p{i}@example.com"} for i in range(rows)]
    created = http.send("POST", "/v1/batches", tenant.api_key, {"records": records, "mode": "advanced"})
    assert created.status == 202, created.body
    return tenant, created.body["batch_id"]


def _books(aws: Aws, tenant: NewTenant, batch_id: str, rows: int) -> list[dict[str, str]]:
    """The finished batch's rows, after checking each is there once and the charges agree."""
    batch = aws.ports.batches.get(tenant.tenant_id, batch_id)
    assert batch is not None and batch.status.value == "completed", batch
    results = results_rows(aws.ports, batch)
    assert sorted(int(r["id"]) for r in results) == list(range(rows))
    paid = sum(int(r["enrich_credits"]) for r in results)
    assert batch.credits_spent == paid == charged(aws.ports, tenant.tenant_id) == \
        1000 - aws.balance(tenant.tenant_id)
    assert batch.counts.parked == 0 and batch.counts.completed + batch.counts.failed == rows
    return results


def test_an_invocation_short_of_time_settles_its_rows_and_hands_the_rest_on(
    aws: Aws, http: Http, vendor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = aws.ports.settings
    needed = settings.row_deadline_seconds + settings.work_reserve_seconds
    asked = {"n": 0}

    def time_left(self: LambdaContext) -> int:  # enough for four rows, then never again
        asked["n"] += 1
        return int((needed + (1 if asked["n"] <= 4 else -1)) * 1000)

    monkeypatch.setattr(LambdaContext, "get_remaining_time_in_millis", time_left)
    sent: list[str] = []  # the queue of every chunk message sent
    send = MessageQueue.send

    def recorded(queue: MessageQueue, name: str, bodies: Sequence[str], **kwargs: Any) -> None:
        sent.extend(name for body in bodies if '"chunk"' in body)
        send(queue, name, bodies, **kwargs)

    monkeypatch.setattr(MessageQueue, "send", recorded)
    written: list[dict[str, Any]] = []
    metrics.emit_to(written.append)
    try:
        tenant, batch_id = _advanced(aws, http, vendor, rows=8)
        aws.drain()
    finally:
        metrics.emit_to(metrics.to_stdout)

    results = _books(aws, tenant, batch_id, 8)
    assert all(r["enrich_status"] == "completed" for r in results if r["email"] != SLOW)
    (chunk,) = aws.ports.batches.chunks(batch_id)
    # four rows in the first invocation; every later one starts one row (it always makes
    # progress) and hands the rest on at once, without waiting for the tick
    assert [part.settled for part in chunk.parts] == [4, 1, 1, 1, 1]
    # the split's part and the four handed on, all on advanced mode's work queue
    assert sent == [aws.ports.queue_name(topology.ADVANCED_WORK)] * 5
    # the metrics count every row once where it settled, and the rows handed on as such
    # (not as parked: no pause)
    def total(name: str) -> float:
        return float(sum(value for line in written if name in line for value in line[name]))

    assert total("RowsMatched") + total("RowsFailed") == 8
    assert (total("RowsHandedOn"), total("ChunksHandedOn"), total("ChunksSettled")) == (10, 4, 1)
    assert total("RowsParked") == total("ChunksParked") == 0


def test_a_row_slower_than_its_deadline_fails_alone_uncharged(
    aws: Aws, http: Http, vendor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the deadline well above a quick answer on a loaded machine (a row's first call also pays
    # its client's start: a 1 s deadline cut a quick row at a load of 7), the slow one far above it
    aws.ports.settings = aws.ports.settings.model_copy(update={"row_deadline_seconds": 3.0})
    monkeypatch.setattr(_Vendor, "slow_seconds", 8.0)
    tenant, batch_id = _advanced(aws, http, vendor, rows=6)
    started = time.monotonic()
    aws.drain()

    results = _books(aws, tenant, batch_id, 6)
    slow = next(r for r in results if r["email"] == SLOW)
    assert slow["enrich_status"] == "failed" and slow["enrich_credits"] == "0"
    assert "timeout" in slow["enrich_error"]
    others = [(r["enrich_status"], r["enrich_error"]) for r in results if r["email"] != SLOW]
    assert others == [("completed", "")] * 5
    assert time.monotonic() - started < 20  # the slow call was cut at the deadline, not waited out
