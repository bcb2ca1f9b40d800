"""Issue 11's property: over random batches and random steps (pauses for credits, caps, top-ups,
resumes, cancels, reprocess with every option, refresh, a vendor failing then back), after each
step every number agrees: status counts = /rows totals by status = summary.json; credits_spent
= the batch's ledger charges = credits.csv = the balance's change; every input row is in
results.csv once, at its place in the file.

Bounded (few examples, small batches in chunks of 4 rows) so the suite stays fast.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import app
from chalicelib.services.ports import Clock
from tests.agreement import assert_agree, books
from tests.api_client import Http, chalice_transport
from tests.conftest import ADMIN_KEY, Aws, fresh_aws
from tests.helpers import email_outage

STEPS = ("top_up", "resume", "raise_cap", "cancel", "reprocess", "reprocess_all", "refresh",
         "incomplete", "vendor_back")
DOWN: set[str] = set()  # emails the vendor fails for while it is down


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Aws, Http]]:
    """One moto for every example (each has a tenant of its own), chunks of 4 rows, and an email
    provider that fails for the addresses in DOWN."""
    monkeypatch.setenv("BATCH_ENRICH_CHUNK_ROWS", "4")
    email_outage(monkeypatch, DOWN)
    with fresh_aws() as aws, Client(app) as client:
        # 100 ms a reading: the API's requests-per-second allowance is never what a test meets
        ticks = itertools.count()
        aws.ports.clock = Clock(epoch=lambda: 1_760_000_000.0 + next(ticks) * 0.1,
                                sleep=lambda _: None)
        yield aws, Http(chalice_transport(client))
    DOWN.clear()


def _records(kinds: list[str]) -> list[dict[str, str]]:
    emails = {"match": "p{}@example.com", "miss": "nobody{}@@bad", "fail": "flaky{}@example.com",
              "skip": ""}
    return [{"id": f"R{n}", "email": emails[kind].format(n)} for n, kind in enumerate(kinds)]


def _step(http: Http, key: str, tenant_id: str, batch_id: str, step: str, amount: int) -> None:
    base = f"/v1/batches/{batch_id}"
    if step == "top_up":
        http.post_json(f"/v1/admin/tenants/{tenant_id}/credits", ADMIN_KEY, {"amount": amount})
    elif step == "raise_cap":
        cap = http.status(key, batch_id)["max_credits"]
        if cap is not None:
            http.send("PATCH", base, key, {"max_credits": cap + amount})
    elif step == "vendor_back":
        DOWN.clear()
    elif step in ("resume", "cancel"):
        http.call("POST", f"{base}/{step}", key)
    else:
        body: dict[str, Any] = {"reprocess": {}, "reprocess_all": {"failed_only": False},
                                "refresh": {"refresh": True},
                                "incomplete": {"incomplete_only": True}}[step]
        http.post_json(f"{base}/reprocess", key, body)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(st.sampled_from(["match", "match", "miss", "fail", "skip"]), min_size=1,
                      max_size=14),
       balance=st.integers(0, 12), cap=st.none() | st.integers(1, 10),
       row_limit=st.none() | st.integers(1, 14),
       steps=st.lists(st.tuples(st.sampled_from(STEPS), st.integers(1, 8)), max_size=5))
def test_every_number_agrees_after_every_step(world: tuple[Aws, Http], kinds: list[str], balance: int,
                                              cap: int | None, row_limit: int | None,
                                              steps: list[tuple[str, int]]) -> None:
    aws, http = world
    records = _records(kinds)
    DOWN.clear()
    DOWN.update(r["email"] for r, kind in zip(records, kinds, strict=True) if kind == "fail")
    tenant = aws.tenant(balance)
    created = http.post_json("/v1/batches", tenant.api_key, {
        "records": records, "max_credits": cap, "row_limit": row_limit, "auto_resume": False})
    if created.status != 202:  # e.g. no usable row under row_limit: refused, nothing stored
        assert created.status in (400, 422), created.raw
        return
    batch_id, topped = created.json()["batch_id"], 0
    for step, amount in [("start", 0), *steps]:
        if step != "start":
            _step(http, tenant.api_key, tenant.tenant_id, batch_id, step, amount)
            topped += amount if step == "top_up" else 0
        aws.drain()
        found = books(http, aws, tenant, batch_id)
        assert_agree(found, [r["id"] for r in records] if found.summary else None)
        assert aws.balance(tenant.tenant_id) == balance + topped - found.ledger_charged
