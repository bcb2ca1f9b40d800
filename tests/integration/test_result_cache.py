"""The result cache end to end through the API: every lookup input paid for once, across rows
and batches; refresh (a create option, a reprocess option) asks again; billing unchanged; the
summary, the preview and the batch's counters tell the same calls and calls saved."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.keys import results_key
from chalicelib.services.tenants import authenticate
from tests.api_client import Http
from tests.conftest import ADMIN_KEY, Aws
from tests.fake_vendor import JsonHandler, serving_handler

KNOWN = {"ada@acme.de": "CTO", "bo@acme.de": "CFO"}
# Six rows, three lookup inputs: ada twice more (one spelled otherwise), cy (unknown) twice.
RECORDS = [{"email": e} for e in ("ada@acme.de", "bo@acme.de", "ADA@acme.de", "cy@acme.de",
                                  "ada@acme.de", "cy@acme.de")]


class _People(JsonHandler):
    asked: Counter[str] = Counter()

    def do_GET(self) -> None:
        email = parse_qs(urlsplit(self.path).query).get("email", [""])[0]
        _People.asked[email] += 1
        title = KNOWN.get(email.lower())
        self.reply(200 if title else 404, {"person": {"title": title}} if title else {"error": "none"})


@pytest.fixture
def people(aws: Aws) -> Iterator[str]:
    aws.ports.settings = aws.ports.settings.model_copy(update={"outbound_allow_loopback": True})
    _People.asked = Counter()
    with serving_handler(_People) as base:
        yield base + "/v1/people"


def _tenant(aws: Aws, http: Http, url: str, **source: Any) -> str:
    tenant = aws.tenant(10_000)
    config = {"name": "people", "url": url, "query": {"email": "email"}, "requires": ["email"],
              "price": 5, "outputs": {"title": "person.title"}, **source}
    answer = http.call("PUT", f"/v1/admin/tenants/{tenant.tenant_id}/config", ADMIN_KEY,
                       json.dumps({"sources": [{"type": "http", "config": config}]}).encode(),
                       "application/json")
    assert answer.status == 200, answer.body
    return tenant.api_key


def _run(aws: Aws, http: Http, key: str, **options: Any) -> dict[str, Any]:
    created = http.post_json("/v1/batches", key, {"records": RECORDS, "mode": "advanced", **options})
    assert created.status == 202, created.body
    aws.drain()
    return _outcome(aws, http, key, created.body["batch_id"])


def _outcome(aws: Aws, http: Http, key: str, batch_id: str) -> dict[str, Any]:
    """What the vendor was asked since the last look, and what the batch says of it everywhere."""
    batch = aws.ports.batches.get(authenticate(aws.ports, f"Bearer {key}"), batch_id)
    assert batch is not None and batch.status.value == "completed"
    summary = json.loads(aws.ports.blobs.read(results_key(batch, "summary.json")))
    preview = http.get(f"/v1/batches/{batch_id}/preview", key).body
    assert summary["vendor_lookups"] == preview["vendor_lookups"]  # the numbers agree everywhere
    assert batch.lookups == {how: n for how, n in (("vendor", summary["vendor_lookups"]["calls"]),
                             ("cache", summary["vendor_lookups"]["cache_hits"]),
                             ("batch", summary["vendor_lookups"]["duplicates"])) if n}
    asked = sum(_People.asked.values())
    _People.asked.clear()
    return {"batch_id": batch_id, "asked": asked, "lookups": summary["vendor_lookups"],
            "credits": batch.credits_spent, "status": batch.status.value}


def test_each_input_is_paid_for_once_and_an_identical_batch_asks_nothing(aws: Aws, http: Http,
                                                                        people: str) -> None:
    key = _tenant(aws, http, people)

    first = _run(aws, http, key)
    second = _run(aws, http, key)

    assert first["asked"] == 3  # ada, bo, cy: distinct inputs, not rows
    assert first["lookups"] == {"calls": 3, "cache_hits": 0, "duplicates": 3, "calls_saved": 3}
    assert second["asked"] == 0
    assert second["lookups"] == {"calls": 0, "cache_hits": 6, "duplicates": 0, "calls_saved": 6}
    # Billed as before: 4 rows the vendor matched at its price, 2 the built-in email check
    # matched at the advanced price, whoever answered.
    assert first["credits"] == second["credits"] == 4 * 5 + 2 * 3


def test_refresh_asks_the_vendor_again_on_create_and_on_reprocess(aws: Aws, http: Http,
                                                                  people: str) -> None:
    key = _tenant(aws, http, people)
    first = _run(aws, http, key)

    refreshed = _run(aws, http, key, refresh=True)
    again = http.post_json(f"/v1/batches/{first['batch_id']}/reprocess", key, {"refresh": True})
    assert again.status == 202, again.body
    aws.drain()
    reprocessed = _outcome(aws, http, key, first["batch_id"])

    assert refreshed["asked"] == reprocessed["asked"] == 3  # afresh, still once per input
    assert refreshed["lookups"] == reprocessed["lookups"] == first["lookups"]
    assert refreshed["credits"] == first["credits"]


def test_a_source_that_may_keep_nothing_asks_every_row(aws: Aws, http: Http, people: str) -> None:
    key = _tenant(aws, http, people, cache_days=0)

    first, second = _run(aws, http, key), _run(aws, http, key)

    assert first["asked"] == second["asked"] == len(RECORDS)
    assert second["lookups"] == {"calls": 6, "cache_hits": 0, "duplicates": 0, "calls_saved": 0}
