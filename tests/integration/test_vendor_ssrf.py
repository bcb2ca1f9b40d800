"""Finding 7: a vendor source may not point at the service's own network, in any spelling.

Refused when configured (422), and again when the worker connects (a name that resolved to a
public address at configuration and to loopback later is refused all the same).
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.keys import results_key
from tests.api_client import Http
from tests.conftest import ADMIN_KEY, Aws
from tests.fake_vendor import FakeVendor, Reply
from tests.helpers import reload

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


@pytest.fixture
def loopback_vendor() -> Iterator[FakeVendor]:
    server = FakeVendor()
    server.route("*", Reply(body={"person": {"title": "CTO"}}))
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _source(url: str) -> dict[str, Any]:
    return {"type": "http", "config": {"name": "vendor", "url": url, "query": {"email": "email"},
                                       "requires": ["email"], "price": 5,
                                       "outputs": {"title": "person.title"}}}


def _put_config(http: Http, tenant_id: str, url: str) -> int:
    answer = http.send("PUT", f"/v1/admin/tenants/{tenant_id}/config", ADMIN_KEY,
                       {"sources": [_source(url)]})
    if answer.status == 422:
        body = answer.json()
        where = body["details"].get("field") or body["detail"][0]["loc"][0]
        assert where == "sources", body
        assert "refused" in body["message"] or "host" in body["message"], body
    return answer.status


def _advanced_batch(http: Http, aws: Aws, api_key: str, tenant_id: str) -> dict[str, Any]:
    created = http.post_json("/v1/batches", api_key,
                             {"records": [{"email": "bo@example.com"}], "mode": "advanced"})
    assert created.status == 202, created.raw
    aws.drain()
    batch = aws.ports.batches.get(tenant_id, created.json()["batch_id"])
    assert batch is not None and batch.status.value == "completed"
    row: dict[str, Any] = json.loads(aws.ports.blobs.read(results_key(reload(aws.ports, batch),
                                                                      "rows.jsonl")))
    return row


def test_every_spelling_of_a_special_address_is_refused_at_configuration(aws: Aws, http: Http) -> None:
    tenant = aws.tenant(10)
    accepted = [(url, status) for url in REFUSED
                if (status := _put_config(http, tenant.tenant_id, url)) != 422]
    assert not accepted, accepted
    stored = aws.ports.accounts.get_tenant(tenant.tenant_id)
    assert stored is not None and not stored.config.get("sources")


def test_a_name_that_rebinds_to_loopback_is_refused_when_the_worker_connects(
        aws: Aws, http: Http, loopback_vendor: FakeVendor, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = aws.tenant(100)
    real = socket.getaddrinfo
    answers = {"vendor.example": "93.184.216.34"}  # public while it is being configured

    def rebinding(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in answers:
            port = args[0] if args else kwargs.get("port", 80)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    url = f"http://vendor.example:{loopback_vendor.server_address[1]}/people"
    assert _put_config(http, tenant.tenant_id, url) == 200
    answers["vendor.example"] = "127.0.0.1"  # then the name points at the machine itself

    row = _advanced_batch(http, aws, tenant.api_key, tenant.tenant_id)

    assert loopback_vendor.requests == []  # the loopback server never heard from us
    assert "waterfall" not in row["outputs"]
    assert row["attributes"]["vendor"] == "ERROR" and "destination refused" in row["error"]
    assert row["credits"] == 3  # the built-in email check's match only; the vendor billed nothing


def test_loopback_is_allowed_when_the_setting_says_so(
        aws: Aws, http: Http, loopback_vendor: FakeVendor) -> None:
    aws.ports.settings = aws.ports.settings.model_copy(update={"outbound_allow_loopback": True})
    tenant = aws.tenant(100)
    assert _put_config(http, tenant.tenant_id, loopback_vendor.url + "/people") == 200

    row = _advanced_batch(http, aws, tenant.api_key, tenant.tenant_id)

    assert row["outputs"]["waterfall"]["title"] == "CTO" and len(loopback_vendor.requests) == 1
    # Link-local (the metadata service) stays refused whatever the setting.
    assert _put_config(http, tenant.tenant_id, "http://169.254.169.254/x") == 422
