"""The /v1/webhooks routes through Chalice's test client on moto: endpoints, secrets, refusals."""

from __future__ import annotations

from tests.api_client import Http, create, error
from tests.conftest import Aws

HOOK = {"url": "https://hooks.example.com/in", "events": ["batch.completed", "batch.failed"]}


def test_an_endpoint_shows_its_secret_once_and_a_hint_afterwards(aws: Aws, http: Http) -> None:
    key = aws.tenant(100).api_key
    created = http.post_json("/v1/webhooks", key, {**HOOK, "description": "CRM sync"})
    assert created.status == 201, created.raw
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_") and endpoint["description"] == "CRM sync"

    listed = http.get("/v1/webhooks", key).json()["webhooks"]
    assert [e["webhook_id"] for e in listed] == [endpoint["webhook_id"]]
    assert "secret" not in listed[0] and endpoint["secret"] not in str(listed)
    assert listed[0]["secret_hint"] == endpoint["secret"][:10] + "…"

    rotated = http.post_json(f"/v1/webhooks/{endpoint['webhook_id']}/rotate-secret", key, {}).json()
    assert rotated["secret"] != endpoint["secret"] and rotated["previous_secret_expires_at"] is not None

    patched = http.send("PATCH", f"/v1/webhooks/{endpoint['webhook_id']}", key, {"events": ["batch.paused"]})
    assert patched.status == 200 and patched.json()["events"] == ["batch.paused"]
    assert http.call("DELETE", f"/v1/webhooks/{endpoint['webhook_id']}", key).status == 204
    error(http.get(f"/v1/webhooks/{endpoint['webhook_id']}", key), 404)


def test_another_tenant_never_sees_or_uses_an_endpoint(aws: Aws, http: Http) -> None:
    owner, other = aws.tenant(100).api_key, aws.tenant(100).api_key
    webhook_id = http.post_json("/v1/webhooks", owner, HOOK).json()["webhook_id"]

    error(http.get(f"/v1/webhooks/{webhook_id}", other), 404)
    assert http.get("/v1/webhooks", other).json()["webhooks"] == []
    refused = http.post_json("/v1/batches", other, {"records": [{"email": "a@example.com"}],
                                                    "webhook_id": webhook_id})
    assert "no webhook endpoint" in error(refused, 422)["message"]
    error(http.get("/v1/webhooks", None), 401)


def test_bad_bodies_say_what_to_fix(aws: Aws, http: Http) -> None:
    key = aws.tenant(100).api_key
    for body in ({"url": "https://h.example.com"}, {**HOOK, "events": []},
                 {**HOOK, "events": ["batch.done"]}, {**HOOK, "events": ["batch.failed"] * 2},
                 {**HOOK, "secret": "whsec_mine"}, {**HOOK, "url": "https://h.example.com/" + "x" * 2100},
                 {**HOOK, "url": "ftp://h.example.com/"}, {**HOOK, "url": "http://169.254.169.254/"}):
        error(http.post_json("/v1/webhooks", key, body), 422)
    assert http.get("/v1/webhooks", key).json()["webhooks"] == []


def test_a_batch_names_an_endpoint_that_hears_batch_events(aws: Aws, http: Http) -> None:
    key = aws.tenant(100).api_key
    low_only = http.post_json("/v1/webhooks", key, {**HOOK, "events": ["credits.low"]}).json()
    refused = http.post_json("/v1/batches", key, {"records": [{"email": "a@example.com"}],
                                                  "webhook_id": low_only["webhook_id"]})
    assert "not subscribed to any batch event" in error(refused, 422)["message"]
    no_secret = http.post_json("/v1/batches", key, {"records": [{"email": "a@example.com"}],
                                                    "webhook_url": "https://mine.example.com/"})
    assert "default secret" in error(no_secret, 422)["message"]

    listening = http.post_json("/v1/webhooks", key, HOOK).json()
    batch_id = create(http, key, 2, webhook_id=listening["webhook_id"])
    log = http.get(f"/v1/batches/{batch_id}/webhooks", key).json()
    assert (log["webhook_id"], log["deliveries"]) == (listening["webhook_id"], [])
    error(http.call("POST", "/v1/webhooks/deliveries/msg_nope/redeliver", key), 404)
