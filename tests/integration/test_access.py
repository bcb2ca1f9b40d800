"""Least privilege that works: every AWS call a function makes in the flows a customer runs is
allowed by the IAM statements infra/ derives from that function's ``FunctionSpec``, and a
function touches nothing it does not declare.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from chalice.test import Client

import app as entry_points
from chalicelib import topology
from chalicelib.clients import get_clients
from chalicelib.local.eventsource import EventSourceMapping, LambdaContext
from chalicelib.local.runtime import scheduled_event
from infra.permissions import statements
from tests.access_log import AccessLog, StackArns, allowed
from tests.api_client import MULTIPART, Http, chalice_transport, multipart
from tests.conftest import ADMIN_KEY, Aws


@pytest.fixture
def log(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> AccessLog:
    recorder = AccessLog(get_clients(), aws.ports.settings)
    deliver = EventSourceMapping.poll_once

    def poll_once(mapping: EventSourceMapping) -> int:
        with recorder.running(mapping.spec.handler):
            return deliver(mapping)

    monkeypatch.setattr(EventSourceMapping, "poll_once", poll_once)
    return recorder


@pytest.fixture
def api(aws: Aws, log: AccessLog) -> Iterator[Http]:
    aws.ports.settings = aws.ports.settings.model_copy(update={"anonymous_uploads": True})
    with Client(entry_points.app) as client:
        send = chalice_transport(client)

        def as_api(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[
                int, dict[str, str], bytes]:
            with log.running("api_handler"):
                return send(method, path, headers, body)

        yield Http(as_api)


def _customer_flows(aws: Aws, api: Http, log: AccessLog) -> None:
    """Admin, create (JSON, multipart, idempotent, anonymous), pause, top-up, results, reprocess,
    cancel, datasets and the advanced waterfall, the other doors, keys, timeline, stats, the tick."""
    created = api.post_json("/v1/admin/tenants", ADMIN_KEY, {"name": "Acme", "credits": 120}).json()
    tenant, key = created["tenant_id"], created["api_key"]
    records = [{"email": f"p{i}@example.com"} for i in range(150)]
    batch = api.send("POST", "/v1/batches", key, {"records": records},
                     headers={"Idempotency-Key": "k1"}).json()["batch_id"]
    assert api.call("POST", "/v1/batches/preflight", key, multipart(None, ("a.csv", b"email\na@b.co\n")),
                    MULTIPART).status == 200
    aws.drain()
    assert api.status(key, batch)["status"] == "paused_insufficient_credits"
    api.post_json(f"/v1/admin/tenants/{tenant}/credits", ADMIN_KEY, {"amount": 1000})
    aws.drain()
    for path in ("", "/rows", "/preview", "/results.csv", "/results.csv?format=jsonl",
                 "/credits.csv", "/errors.csv", "/summary.json"):
        assert api.get(f"/v1/batches/{batch}{path}", key).status in (200, 302), path
    assert api.send("PATCH", f"/v1/batches/{batch}", key, {"name": "renamed"}).status == 200
    assert api.post_json(f"/v1/batches/{batch}/reprocess", key, {"refresh": True}).status == 202
    aws.drain()
    other = api.upload(key, b"email\nx@example.com\n").json()["batch_id"]
    api.send("POST", f"/v1/batches/{other}/cancel", key)
    aws.drain()
    dataset = api.call("POST", "/v1/datasets", key, multipart({"name": "crm"}, (
        "d.csv", b"Email,City\r\nal@crm.com,Oslo\r\n")), MULTIPART).json()["dataset_id"]
    api.send("PUT", f"/v1/admin/tenants/{tenant}/config", ADMIN_KEY,
             {"sources": [{"type": "dataset", "dataset_id": dataset, "price": 2}]})
    api.post_json("/v1/batches", key, {"records": [{"email": "al@crm.com"}], "mode": "advanced"})
    aws.drain()
    anonymous = api.post_json("/v1/batches", None, {"records": records[:2]}).json()
    api.get(f"/v1/batches/{anonymous['batch_id']}", authorization=f"Batch {anonymous['upload_token']}")
    api.post_json(f"/v1/batches/{anonymous['batch_id']}/link", key,
                  {"upload_token": anonymous["upload_token"]})
    aws.drain()
    _doors(aws, api, tenant, key)
    key_id = api.post_json(f"/v1/admin/tenants/{tenant}/api-keys", ADMIN_KEY, {}).json()["key_id"]
    api.get(f"/v1/admin/tenants/{tenant}/api-keys", ADMIN_KEY)
    api.send("DELETE", f"/v1/admin/tenants/{tenant}/api-keys/{key_id}", ADMIN_KEY)
    for path in ("/v1/batches?limit=5", "/v1/credits", "/v1/credits/ledger", "/v1/datasets",
                 f"/v1/batches/{batch}/timeline"):
        assert api.get(path, key).status == 200, path
    assert api.get("/v1/admin/stats", ADMIN_KEY).status == 200
    with log.running("tick"):
        entry_points.tick(scheduled_event(topology.TICK, "us-east-1", "2026-11-25T00:00:00Z"),
                          LambdaContext("tick"))
    assert api.get("/v1/schedules", key).json()["schedules"][0]["last_runs"][0]["batch_id"]


def _doors(aws: Aws, api: Http, tenant: str, key: str) -> None:
    """Webhooks (an endpoint, a batch's own URL), a presigned upload, a dropped file and its sidecar,
    a schedule."""
    webhook_id = api.post_json("/v1/webhooks", key, {"url": "https://hooks.invalid/in",
                                                     "events": ["batch.completed"]}).json()["webhook_id"]
    api.post_json(f"/v1/webhooks/{webhook_id}/rotate-secret", key, {})
    api.post_json("/v1/webhooks/secret", key, {})
    hooked = api.post_json("/v1/batches", key, {"records": [{"email": "w@example.com"}],
                                                "webhook_id": webhook_id}).json()["batch_id"]
    upload = api.post_json("/v1/uploads", key, {"filename": "big.csv", "size": 100}).json()
    aws.ports.blobs.put(upload["upload"]["fields"]["key"], b"email\nu@example.com\n", "text/csv")
    aws.ports.blobs.put(f"inbox/{tenant}/q4/d.csv.json", b'{"name": "dropped"}')
    aws.ports.blobs.put(f"inbox/{tenant}/q4/d.csv", b"email\nd@example.com\n", "text/csv")
    aws.drain()
    assert api.get(f"/v1/batches/{hooked}/webhooks", key).json()["deliveries"]
    assert aws.ports.blobs.exists(f"outbox/{tenant}/q4/d.enriched.csv")
    # a schedule made due now, for the tick at the end of the flows to start
    aws.ports.blobs.put(f"sources/{tenant}/crm/s.csv", b"email\ns@example.com\n", "text/csv")
    made = api.post_json("/v1/schedules", key, {"name": "s", "rate_minutes": 60,
                                                "source_key": "crm/s.csv"}).json()["schedule_id"]
    api.send("PATCH", f"/v1/schedules/{made}", key, {"paused": False})
    held = aws.ports.schedules.get(tenant, made)
    assert held is not None
    aws.ports.schedules.replace(replace(held, next_run_at=int(time.time()) - 1), held.updated_at)


def test_every_call_of_every_function_is_allowed_by_its_derived_policy(
        aws: Aws, api: Http, log: AccessLog) -> None:
    _customer_flows(aws, api, log)

    arns = StackArns(aws.ports.settings)
    policies = {f.name: statements(f, arns) for f in topology.FUNCTIONS}
    refused = sorted({f"{c.function}: {c.action} {c.resource} {c.prefix or ''}"
                      for c in log.calls if not allowed(c, policies[c.function])})
    assert not refused, json.dumps(refused, indent=1)
    # Every function the flows ran made calls: the check saw each of them.
    assert {c.function for c in log.calls} == {f.name for f in topology.FUNCTIONS}
