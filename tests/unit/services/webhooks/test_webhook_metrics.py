"""Webhook deliveries in the metrics (by event and answer, never a tenant or a URL) and the
correlation ids every deliver-queue message carries to the deliver function's log lines."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib import topology
from chalicelib.domain.options import BatchOptions
from chalicelib.domain.webhook_requests import WebhookCreate
from chalicelib.domain.webhooks import WebhookEvent
from chalicelib.handlers.deliver_events import deliver_message
from chalicelib.handlers.sqs_batches import message_ids
from chalicelib.observability import correlated, metrics
from chalicelib.services import delivering
from chalicelib.services.ports import Ports
from chalicelib.services.tenants import create_tenant
from chalicelib.services.webhook_endpoints import create_endpoint, rotate_tenant_secret
from chalicelib.services.webhook_sender import Outcome
from tests.csvs import leads
from tests.helpers import Ticking, create_batch, deliver, take_messages

REQUEST = "0f1e2d3c-4b5a-6978-8a9b-acbdcedf0011"





def _answers(monkeypatch: pytest.MonkeyPatch, *outcomes: Outcome) -> None:
    """``webhook_sender.post`` answering these outcomes in turn (the last one repeats)."""
    queue = list(outcomes)
    monkeypatch.setattr(delivering, "post", lambda *_: queue.pop(0) if len(queue) > 1 else queue[0])


def _totals(lines: list[dict[str, Any]]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    totals: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for line in lines:
        (declared,) = line["_aws"]["CloudWatchMetrics"]
        labels = tuple(sorted((k, line[k]) for k in max(declared["Dimensions"], key=len) if k != "service"))
        for metric in declared["Metrics"]:
            key = (metric["Name"], labels)
            totals[key] = totals.get(key, 0) + sum(line[metric["Name"]])
    return totals


def test_attempts_are_counted_by_event_and_answer_and_deliveries_by_outcome(
        ports: Ports, ticking: Ticking, monkeypatch: pytest.MonkeyPatch,
        written: list[dict[str, Any]]) -> None:
    _answers(monkeypatch, Outcome(12, status_code=500), Outcome(10_000, error="no answer within 10 s"),
             Outcome(8, status_code=204))
    tenant = create_tenant(ports, "Acme", 100)
    endpoint = create_endpoint(ports, tenant.tenant_id, WebhookCreate(
        url="https://hooks.example.com/in", events=[WebhookEvent.BATCH_COMPLETED]))
    rotate_tenant_secret(ports, tenant.tenant_id)
    create_batch(ports, tenant.tenant_id, leads(2), options=BatchOptions(
        webhook_id=endpoint.webhook_id, webhook_url="https://own.example.com/hook"))

    with metrics.measured():
        for _ in range(10):  # the pipeline, then each retry once its delay has passed
            deliver(ports)
            ticking.at += 600

    totals = _totals(written)
    completed = ("event", "batch.completed")
    assert totals[("WebhookEvents", (completed,))] == 1  # one event, two targets
    assert totals[("WebhookAttempts", (("answer", "5xx"), completed))] == 1
    assert totals[("WebhookAttempts", (("answer", "timeout"), completed))] == 1
    assert totals[("WebhookAttempts", (("answer", "2xx"), completed))] == 2
    assert totals[("WebhookDeliveries", (completed, ("outcome", "succeeded")))] == 2
    assert totals[("WebhookLatency", ())] == 12 + 10_000 + 8 + 8
    assert "hooks.example.com" not in json.dumps(written) and tenant.tenant_id not in json.dumps(written)


def test_a_delivery_refused_for_good_is_counted_failed(
        ports: Ports, monkeypatch: pytest.MonkeyPatch, written: list[dict[str, Any]]) -> None:
    _answers(monkeypatch, Outcome(1, error="refused: 10.0.0.7 is private", refused=True))
    tenant = create_tenant(ports, "Acme", 100)
    endpoint = create_endpoint(ports, tenant.tenant_id, WebhookCreate(
        url="https://hooks.example.com/in", events=[WebhookEvent.BATCH_COMPLETED]))
    create_batch(ports, tenant.tenant_id, leads(2), options=BatchOptions(webhook_id=endpoint.webhook_id))

    with metrics.measured():
        deliver(ports)

    totals = _totals(written)
    assert totals[("WebhookAttempts", (("answer", "refused"), ("event", "batch.completed")))] == 1
    assert totals[("WebhookDeliveries", (("event", "batch.completed"), ("outcome", "failed")))] == 1


def test_every_deliver_message_names_its_tenant_batch_and_the_request_behind_it(
        ports: Ports, ticking: Ticking, monkeypatch: pytest.MonkeyPatch) -> None:
    _answers(monkeypatch, Outcome(5, status_code=503))
    tenant = create_tenant(ports, "Acme", 1000)  # far above the credits.low threshold
    endpoint = create_endpoint(ports, tenant.tenant_id, WebhookCreate(
        url="https://hooks.example.com/in", events=[WebhookEvent.BATCH_COMPLETED]))
    with correlated(request_id=REQUEST):  # the API call that created the batch
        batch = create_batch(ports, tenant.tenant_id, leads(2),
                             options=BatchOptions(webhook_id=endpoint.webhook_id))
    everything = (topology.INGEST, topology.WORK, topology.FINALIZE)
    deliver(ports, everything)

    [fan_out] = take_messages(ports, topology.DELIVER)
    ids = {"tenant_id": tenant.tenant_id, "batch_id": batch.batch_id, "request_id": REQUEST}
    assert message_ids(fan_out) == ids
    with correlated(**message_ids(fan_out)):  # as the deliver handler runs it
        deliver_message(ports, fan_out)
    [attempt] = take_messages(ports, topology.DELIVER)
    assert message_ids(attempt) == ids
    with correlated(**message_ids(attempt)):
        deliver_message(ports, attempt)
    ticking.at += 900  # the retry's delay
    [retry] = take_messages(ports, topology.DELIVER)
    assert message_ids(retry) == ids and json.loads(retry)["attempt"] == 2
