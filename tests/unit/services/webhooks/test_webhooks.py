"""Webhooks on the fakes: endpoints, what a batch may name, events after their writes, recovery."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook

from chalicelib import topology
from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.models import BatchStatus
from chalicelib.domain.options import BatchOptions
from chalicelib.domain.webhook_requests import WebhookCreate, WebhookPatch
from chalicelib.domain.webhooks import DeliveryStatus, WebhookEvent
from chalicelib.services import delivering
from chalicelib.services.batches import cancel_batch
from chalicelib.services.lifecycle import tick, top_up_and_resume
from chalicelib.services.ports import Ports
from chalicelib.services.tenants import create_tenant
from chalicelib.services.webhook_endpoints import (
    create_endpoint,
    patch_endpoint,
    rotate_endpoint_secret,
    rotate_tenant_secret,
)
from chalicelib.services.webhook_sender import Outcome
from tests.csvs import leads
from tests.helpers import Ticking, create_batch, deliver, reload, take_messages

COMPLETED = [WebhookEvent.BATCH_COMPLETED]


class Receiver:
    """Stands in for ``webhook_sender.post``: answers the given codes in turn, keeps what came."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *codes: int) -> None:
        self.codes = list(codes)
        self.got: list[tuple[str, bytes, dict[str, str]]] = []
        monkeypatch.setattr(delivering, "post", self)

    def __call__(self, url: str, body: bytes, headers: dict[str, str], *_: object) -> Outcome:
        self.got.append((url, body, headers))
        code = self.codes.pop(0) if len(self.codes) > 1 else self.codes[0]
        return Outcome(3, status_code=code, response="ok" if code == 200 else "down")




def signed_by(secret: str, body: bytes, headers: dict[str, str]) -> dict[str, object]:
    """The event, if one of the signatures is the library's own for this secret (at any timestamp:
    these tests move their clock by hours, past the library's five minutes of tolerance)."""
    at = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)
    expected = Webhook(secret).sign(headers["webhook-id"], at, body.decode())
    assert expected in headers["webhook-signature"].split(" ")
    event: dict[str, object] = json.loads(body)
    return event


def _endpoint(ports: Ports, tenant_id: str, url: str = "https://hooks.example.com/in",
              events: list[WebhookEvent] | None = None) -> str:
    request = WebhookCreate(url=url, events=events or COMPLETED)
    return create_endpoint(ports, tenant_id, request).webhook_id


def test_urls_into_the_service_s_own_network_are_refused_when_configured(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 100)
    for url in ("http://169.254.169.254/latest/meta-data", "http://10.0.0.1/hook", "http://127.0.0.1/",
                "http://[::ffff:10.0.0.1]/", "ftp://hooks.example.com/"):
        with pytest.raises(InvalidRequest, match="url"):
            _endpoint(ports, tenant.tenant_id, url)
    webhook_id = _endpoint(ports, tenant.tenant_id)
    with pytest.raises(InvalidRequest, match="url"):
        patch_endpoint(ports, tenant.tenant_id, webhook_id, WebhookPatch(url="http://10.1.2.3/"))
    rotate_tenant_secret(ports, tenant.tenant_id)
    with pytest.raises(InvalidRequest, match="webhook_url"):
        create_batch(ports, tenant.tenant_id, leads(2), options=BatchOptions(webhook_url="http://10.0.0.1/"))


def test_a_batch_names_an_endpoint_that_hears_batch_events_or_a_url_with_a_default_secret(
        ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 100)
    low_only = _endpoint(ports, tenant.tenant_id, events=[WebhookEvent.CREDITS_LOW])

    with pytest.raises(InvalidRequest, match="not subscribed to any batch event"):
        create_batch(ports, tenant.tenant_id, leads(2), options=BatchOptions(webhook_id=low_only))
    with pytest.raises(InvalidRequest, match="no webhook endpoint"):
        create_batch(ports, tenant.tenant_id, leads(2), options=BatchOptions(webhook_id="we_nope"))
    with pytest.raises(InvalidRequest, match="default secret"):
        create_batch(ports, tenant.tenant_id, leads(2),
                     options=BatchOptions(webhook_url="https://mine.example.com/"))
    other = create_tenant(ports, "Other", 100)
    with pytest.raises(InvalidRequest, match="no webhook endpoint"):  # another tenant's endpoint
        create_batch(ports, other.tenant_id, leads(2), options=BatchOptions(webhook_id=low_only))
    assert ports.batches.page(tenant.tenant_id, 10, None)[0] == []


def test_completion_is_delivered_signed_retried_with_backoff_and_logged(
        ports: Ports, ticking: Ticking, monkeypatch: pytest.MonkeyPatch) -> None:
    receiver = Receiver(monkeypatch, 500, 500, 200)
    tenant = create_tenant(ports, "Acme", 100)
    endpoint = create_endpoint(ports, tenant.tenant_id, WebhookCreate(
        url="https://hooks.example.com/in", events=COMPLETED))
    batch = create_batch(ports, tenant.tenant_id, leads(3),
                         options=BatchOptions(webhook_id=endpoint.webhook_id))

    for _ in range(10):  # the pipeline, then each retry once its delay has passed
        deliver(ports)
        ticking.at += 300

    assert reload(ports, batch).status is BatchStatus.COMPLETED
    assert len(receiver.got) == 3
    for url, body, headers in receiver.got:
        assert url == endpoint.url
        event = signed_by(endpoint.secret, body, headers)
        assert (event["type"], event["data"]["batch_id"]) == ("batch.completed", batch.batch_id)  # type: ignore[index]
    assert len({headers["webhook-id"] for _, _, headers in receiver.got}) == 1
    [logged] = ports.deliveries.for_batch(tenant.tenant_id, batch.batch_id)
    assert logged.status is DeliveryStatus.SUCCEEDED
    assert [a.status_code for a in logged.attempts] == [500, 500, 200]
    assert ports.announcements.pending() == []


def test_a_receiver_that_never_answers_2xx_is_tried_for_a_day_then_given_up_and_re_sendable(
        ports: Ports, ticking: Ticking, monkeypatch: pytest.MonkeyPatch) -> None:
    receiver = Receiver(monkeypatch, 503)
    tenant = create_tenant(ports, "Acme", 100)
    webhook_id = _endpoint(ports, tenant.tenant_id)
    batch = create_batch(ports, tenant.tenant_id, leads(2), options=BatchOptions(webhook_id=webhook_id))
    started = ticking.at

    while ticking.at - started < 2 * 86400:
        deliver(ports)
        ticking.at += 600

    [gave_up] = ports.deliveries.for_batch(tenant.tenant_id, batch.batch_id)
    assert gave_up.status is DeliveryStatus.FAILED
    last = gave_up.attempts[-1]
    assert 10 <= len(gave_up.attempts) == len(receiver.got) <= 20
    tried_for = datetime.fromisoformat(last.at).timestamp() - gave_up.first_attempt_at
    assert 86400 <= tried_for <= 86400 + 600  # the last try at the end of the day (this loop's step late)
    assert last.status_code == 503

    receiver.codes = [200]
    delivering.redeliver(ports, tenant.tenant_id, gave_up.delivery_id)
    deliver(ports)
    again = ports.deliveries.get(tenant.tenant_id, gave_up.delivery_id)
    assert again is not None and again.status is DeliveryStatus.SUCCEEDED
    assert (again.attempts[-1].trigger, again.attempts[-1].status_code) == ("manual", 200)


def test_during_a_rotation_deliveries_carry_both_signatures(
        ports: Ports, monkeypatch: pytest.MonkeyPatch) -> None:
    receiver = Receiver(monkeypatch, 200)
    tenant = create_tenant(ports, "Acme", 100)
    first = create_endpoint(ports, tenant.tenant_id,
                            WebhookCreate(url="https://h.example.com", events=COMPLETED))
    rotated = rotate_endpoint_secret(ports, tenant.tenant_id, first.webhook_id)
    create_batch(ports, tenant.tenant_id, leads(2), options=BatchOptions(webhook_id=first.webhook_id))

    deliver(ports)

    [(_, body, headers)] = receiver.got
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(first.secret).verify(body, headers)
    Webhook(rotated.secret).verify(body, headers)


def test_pause_cancel_and_credits_low_reach_their_targets_once(
        ports: Ports, monkeypatch: pytest.MonkeyPatch) -> None:
    receiver = Receiver(monkeypatch, 200)
    tenant = create_tenant(ports, "Acme", 3)
    secret = rotate_tenant_secret(ports, tenant.tenant_id)
    _endpoint(ports, tenant.tenant_id, "https://ops.example.com/low", [WebhookEvent.CREDITS_LOW])
    batch = create_batch(ports, tenant.tenant_id, leads(5),
                         options=BatchOptions(webhook_url="https://mine.example.com/b"))

    deliver(ports)
    assert reload(ports, batch).status is BatchStatus.PAUSED_INSUFFICIENT_CREDITS
    top_up_and_resume(ports, tenant.tenant_id, 1)  # still below the threshold: not news again
    deliver(ports)
    cancel_batch(ports, tenant.tenant_id, batch.batch_id)
    deliver(ports)

    kinds = [(url, Webhook(secret.secret).verify(body, headers)["type"]) if "mine" in url
             else (url, "low") for url, body, headers in receiver.got]
    assert kinds.count(("https://ops.example.com/low", "low")) == 1
    assert [k for u, k in kinds if "mine" in u] == ["batch.paused", "batch.paused", "batch.cancelled"]


def test_an_event_whose_fan_out_was_lost_is_fanned_out_by_the_tick(
        ports: Ports, ticking: Ticking, monkeypatch: pytest.MonkeyPatch) -> None:
    receiver = Receiver(monkeypatch, 200)
    tenant = create_tenant(ports, "Acme", 1000)
    batch = create_batch(ports, tenant.tenant_id, leads(2),
                         options=BatchOptions(webhook_id=_endpoint(ports, tenant.tenant_id)))
    deliver(ports, queues=(topology.INGEST, topology.WORK, topology.FINALIZE))
    assert len(take_messages(ports, topology.DELIVER)) == 1  # the fan-out message, lost here

    assert tick(ports)["fanned_out_again"] == []  # too recent: its message may still be on its way
    ticking.at += ports.settings.webhook_refan_after_seconds
    assert tick(ports)["fanned_out_again"] == [batch.batch_id]
    deliver(ports)
    tick(ports)
    deliver(ports)

    assert len(receiver.got) == 1 and ports.announcements.pending() == []
