"""Finding 7: a vendor source may not point at the service's own network, in any spelling.

Refused when configured (422), and again when the worker connects (a name that resolved to a
public address at configuration and to loopback later is refused all the same).
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.services.finalizing import results_key
from tests.conftest import ADMIN_KEY, Aws

REFUSED = [
    "http://169.254.169.254/latest/meta-data/{email}",
    "http://10.0.0.1/people",
    "http://192.168.1.20:8080/people",
    "http://localhost/people",
    "http://[::1]/people",
    "http://0x7f000001/people",
    "http://2130706433/people",
    "http://0177.0.0.1/people",
    "http://127.1/people",
    "http://[::ffff:127.0.0.1]/people",
    "http://[::ffff:a9fe:a9fe]/people",
    "http://[64:ff9b::a9fe:a9fe]/people",
    "http://[2002:7f00:1::]/people",
    "http://[fd00:ec2::254]/people",
    "http://100.100.100.200/people",
    "http://0.0.0.0/people",
    "http://{domain}/people",
    "http://evil.example@127.0.0.1/people",
]


class _Vendor(BaseHTTPRequestHandler):
    calls: list[str] = []

    def do_GET(self) -> None:
        _Vendor.calls.append(self.path)
        body = json.dumps({"person": {"title": "CTO"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def loopback_vendor() -> Iterator[int]:
    _Vendor.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Vendor)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(aws: Aws) -> Iterator[Client]:
    with Client(app) as test_client:
        yield test_client


def _source(url: str) -> dict[str, Any]:
    return {"type": "http", "config": {"name": "vendor", "url": url, "query": {"email": "email"},
                                       "requires": ["email"], "price": 5,
                                       "outputs": {"title": "person.title"}}}


def _put_config(client: Client, tenant_id: str, url: str) -> Any:
    return client.http.put(f"/v1/admin/tenants/{tenant_id}/config",
                           body=json.dumps({"sources": [_source(url)]}),
                           headers={"Authorization": f"Bearer {ADMIN_KEY}",
                                    "Content-Type": "application/json"})


def test_every_spelling_of_a_special_address_is_refused_at_configuration(
        aws: Aws, client: Client) -> None:
    tenant = aws.tenant(10)
    accepted = []
    for url in REFUSED:
        answer = _put_config(client, tenant.tenant_id, url)
        if answer.status_code != 422:
            accepted.append((url, answer.status_code))
        else:
            body = answer.json_body
            where = body["details"].get("field") or body["detail"][0]["loc"][0]
            assert (where == "sources" and "refused" in body["message"]) or "host" in body["message"], body
    assert not accepted, accepted
    stored = aws.ports.accounts.get_tenant(tenant.tenant_id)
    assert stored is not None and not stored.config.get("sources")


def test_a_name_that_rebinds_to_loopback_is_refused_when_the_worker_connects(
        aws: Aws, client: Client, loopback_vendor: int, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = aws.tenant(100)
    real = socket.getaddrinfo
    answers = {"vendor.example": "93.184.216.34"}  # public while it is being configured

    def rebinding(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in answers:
            port = args[0] if args else kwargs.get("port", 80)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    url = f"http://vendor.example:{loopback_vendor}/people"
    assert _put_config(client, tenant.tenant_id, url).status_code == 200
    answers["vendor.example"] = "127.0.0.1"  # then the name points at the machine itself
    created = client.http.post(
        "/v1/batches", body=json.dumps({"records": [{"email": "bo@example.com"}], "mode": "advanced"}),
        headers={"Authorization": f"Bearer {tenant.api_key}", "Content-Type": "application/json"})
    assert created.status_code == 202, created.json_body

    aws.drain()

    batch = aws.ports.batches.get(tenant.tenant_id, created.json_body["batch_id"])
    assert batch is not None and batch.status.value == "completed"
    assert _Vendor.calls == []  # the loopback server never heard from us
    row = json.loads(aws.ports.blobs.read(results_key(batch, "rows.jsonl")))
    assert "waterfall" not in row["outputs"]
    assert row["attributes"]["vendor"] == "ERROR" and "destination refused" in row["error"]
    assert row["credits"] == 3  # the built-in email check's match only; the vendor billed nothing


def test_loopback_is_allowed_when_the_setting_says_so(
        aws: Aws, client: Client, loopback_vendor: int) -> None:
    aws.ports.settings = aws.ports.settings.model_copy(update={"outbound_allow_loopback": True})
    tenant = aws.tenant(100)
    url = f"http://127.0.0.1:{loopback_vendor}/people"
    assert _put_config(client, tenant.tenant_id, url).status_code == 200
    created = client.http.post(
        "/v1/batches", body=json.dumps({"records": [{"email": "bo@example.com"}], "mode": "advanced"}),
        headers={"Authorization": f"Bearer {tenant.api_key}", "Content-Type": "application/json"})

    aws.drain()

    batch = aws.ports.batches.get(tenant.tenant_id, created.json_body["batch_id"])
    assert batch is not None
    row = json.loads(aws.ports.blobs.read(results_key(batch, "rows.jsonl")))
    assert row["outputs"]["waterfall"]["title"] == "CTO" and len(_Vendor.calls) == 1
    # Link-local (the metadata service) stays refused whatever the setting.
    assert _put_config(client, tenant.tenant_id, "http://169.254.169.254/x").status_code == 422
