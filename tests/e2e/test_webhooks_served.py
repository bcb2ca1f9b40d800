"""Webhooks through ``batch-enrich serve``: a receiver on 127.0.0.1 verifies every delivery with the
``standardwebhooks`` library, answers 500 twice and then 200; the service's SSRF guard refuses
endpoints into its own network."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api_client import Http, create, error, network_transport
from tests.served import free_port, served_api
from tests.webhook_receiver import PORTS, Receiver

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """serve, retrying a failed delivery after about a second (doubling) instead of thirty."""
    monkeypatch.setenv("BATCH_ENRICH_WEBHOOK_RETRY_BASE_SECONDS", "1")
    with served_api(free_port(PORTS), "adm") as base:
        yield base


def _log(http: Http, key: str, batch_id: str, attempts: int) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for _ in range(300):
        reply = http.get(f"/v1/batches/{batch_id}/webhooks", key)
        assert reply.status == 200, reply.raw
        body = reply.json()
        if body["deliveries"] and len(body["deliveries"][0]["attempts"]) >= attempts:
            return body
        time.sleep(0.1)
    raise AssertionError(f"never {attempts} attempts: {body}")


def test_a_receiver_failing_twice_gets_the_event_on_the_third_attempt_all_signed(server: str) -> None:
    http = Http(network_transport(server))
    key = http.post_json("/v1/admin/tenants", "adm", {"name": "Acme", "credits": 100}).json()["api_key"]
    with Receiver(500, 500, 200) as receiver:
        created = http.post_json("/v1/webhooks", key, {"url": receiver.url, "events": ["batch.completed"]})
        assert created.status == 201, created.raw
        endpoint = created.json()
        receiver.secret = endpoint["secret"]
        assert endpoint["secret"].startswith("whsec_")
        shown = http.get(f"/v1/webhooks/{endpoint['webhook_id']}", key).json()
        assert "secret" not in shown and endpoint["secret"] not in str(shown)  # shown once

        batch_id = create(http, key, 3, webhook_id=endpoint["webhook_id"])
        got = receiver.wait_for(3, timeout=60)

        assert [r.answered for r in got] == [500, 500, 200]
        assert all(r.event is not None for r in got)  # every attempt verified by the library
        assert {r.event["type"] for r in got if r.event} == {"batch.completed"}
        assert {r.event["data"]["batch_id"] for r in got if r.event} == {batch_id}
        assert len({r.headers["webhook-id"] for r in got}) == 1  # one message, three attempts
        log = _log(http, key, batch_id, 3)
        [delivery] = log["deliveries"]
        assert delivery["status"] == "succeeded"
        assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 200]
        assert delivery["attempts"][0]["response"] == '{"error": "try later"}'
        assert http.status(key, batch_id)["status"] == "completed"

        again = http.call("POST", f"/v1/webhooks/deliveries/{delivery['delivery_id']}/redeliver", key)
        assert again.status == 202, again.raw
        assert [r.answered for r in receiver.wait_for(4, timeout=30)][3:] == [200]
        resent = _log(http, key, batch_id, 4)["deliveries"][0]["attempts"][3]
        assert (resent["trigger"], resent["status_code"]) == ("manual", 200)


def test_endpoints_into_the_service_s_network_are_refused_without_a_connection(server: str) -> None:
    http = Http(network_transport(server))
    key = http.post_json("/v1/admin/tenants", "adm", {"name": "Acme", "credits": 100}).json()["api_key"]
    for url in ("http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/hooks"):
        refused = error(http.post_json("/v1/webhooks", key, {"url": url, "events": ["batch.failed"]}), 422)
        assert "url" in refused["message"]
    assert http.post_json("/v1/webhooks/secret", key, {}).status == 201
    own_url = http.post_json("/v1/batches", key, {"records": [{"email": "a@example.com"}],
                                                  "webhook_url": "http://10.0.0.1/hooks"})
    assert "webhook_url" in error(own_url, 422)["message"]
    assert http.get("/v1/webhooks", key).json()["webhooks"] == []
