"""A preset configured through the admin API and used by an advanced batch, end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.keys import results_key
from chalicelib.services.tenants import authenticate
from tests.api_client import Http
from tests.conftest import ADMIN_KEY, Aws
from tests.fake_vendor import JsonHandler, serving_handler


class _Hunter(JsonHandler):
    """Hunter's Email Finder as documented: data.email, null when nothing was found."""

    def do_GET(self) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        if self.headers.get("X-API-KEY") != "hunter-key":
            self.reply(401, {"errors": [{"id": "authentication_failed", "code": 401}]})
            return
        found = query.get("last_name") == "Ohanian"
        email = f"{query['first_name'].lower()}@{query['domain']}" if found else None
        self.reply(200, {"data": {"email": email, "score": 97 if found else None,
                                  "position": "Cofounder" if found else None},
                         "meta": {"params": query}})


@pytest.fixture
def hunter(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    aws.ports.settings = aws.ports.settings.model_copy(update={"outbound_allow_loopback": True})
    monkeypatch.setenv("BATCH_ENRICH_SECRET_HUNTER", "hunter-key")
    with serving_handler(_Hunter) as base:
        yield base + "/v2/email-finder"


def _configure(http: Http, tenant_id: str, source: dict[str, Any]) -> Any:
    return http.call("PUT", f"/v1/admin/tenants/{tenant_id}/config", ADMIN_KEY,
                     json.dumps({"sources": [source]}).encode(), "application/json")


def test_a_preset_with_a_secret_and_a_price_enriches_a_batch(aws: Aws, http: Http, hunter: str) -> None:
    tenant = aws.tenant(1000)
    source = {"preset": "hunter_email_finder", "secret_name": "hunter", "price": 4, "url": hunter}
    stored = _configure(http, tenant.tenant_id, source)
    records = [{"First Name": "Alexis", "Last Name": "Ohanian", "Website": "reddit.com"},
               {"First Name": "Zed", "Last Name": "Nobody", "Website": "reddit.com"}]

    created = http.post_json("/v1/batches", tenant.api_key,
                             {"records": records, "mode": "advanced", "entity_type": "person",
                              "column_map": {"Website": "domain"}})
    assert created.status == 202, created.body
    aws.drain()

    assert stored.status == 200 and stored.body["sources"][0]["preset"] == "hunter_email_finder"
    batch = aws.ports.batches.get(authenticate(aws.ports, f"Bearer {tenant.api_key}"),
                                  created.body["batch_id"])
    assert batch is not None
    rows = [json.loads(line) for line in aws.ports.blobs.read(results_key(batch, "rows.jsonl")).splitlines()]
    assert rows[0]["outputs"]["waterfall"]["email"] == "alexis@reddit.com"
    assert rows[0]["outputs"]["waterfall_source"]["email"] == "hunter"
    assert rows[0]["credits"] == 4 and rows[1]["status"] == "not_found"
    assert batch.credits_spent == 4


def test_a_preset_needs_its_secret_set_and_a_valid_override(aws: Aws, http: Http, hunter: str) -> None:
    tenant = aws.tenant(10)

    no_secret = _configure(http, tenant.tenant_id,
                           {"preset": "hunter_email_finder", "secret_name": "other", "price": 4})
    bad = _configure(http, tenant.tenant_id,
                     {"preset": "hunter_email_finder", "secret_name": "hunter", "price": 4,
                      "timeout_seconds": -1})

    assert no_secret.status == 422 and "BATCH_ENRICH_SECRET_OTHER" in no_secret.body["message"]
    assert bad.status == 422
    assert [d["loc"][-1] for d in bad.body["detail"]] == ["timeout_seconds"]
