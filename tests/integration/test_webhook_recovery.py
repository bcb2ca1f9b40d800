"""Webhooks when things fail on moto: a batch the tick fails is announced, a dead-lettered
webhook message is re-driven, a lost fan-out is sent again."""

from __future__ import annotations

import json

import pytest

from chalicelib import topology
from chalicelib.clients import get_clients
from chalicelib.domain.models import BatchStatus
from chalicelib.domain.options import BatchOptions
from chalicelib.domain.webhooks import DeliveryStatus
from chalicelib.services import delivering
from chalicelib.services.lifecycle import tick
from chalicelib.services.ports import Clock
from chalicelib.services.webhook_endpoints import rotate_tenant_secret
from chalicelib.services.webhook_sender import Outcome
from tests.conftest import Aws
from tests.csvs import leads
from tests.faults import ITEM_TOO_LARGE, Faults, table_is
from tests.helpers import Ticking, create_batch, reload, take_messages

URL = "https://mine.example.com/hooks"


@pytest.fixture
def clock(aws: Aws) -> Ticking:
    """The service's clock, moved on by hand (SQS in moto keeps real time)."""
    ticking = Ticking(1_760_000_000.0)
    aws.ports.clock = Clock(epoch=ticking, sleep=lambda _: None)
    return ticking


@pytest.fixture
def posted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The events POSTed (every receiver answers 200)."""
    got: list[str] = []

    def post(url: str, body: bytes, *_: object) -> Outcome:
        got.append(body.decode())
        return Outcome(2, status_code=200)

    monkeypatch.setattr(delivering, "post", post)
    return got


def test_a_split_the_tick_gives_up_on_announces_batch_failed(
        aws: Aws, clock: Ticking, posted: list[str]) -> None:
    tenant = aws.tenant(1000)
    rotate_tenant_secret(aws.ports, tenant.tenant_id)
    batch = create_batch(aws.ports, tenant.tenant_id, leads(20), options=BatchOptions(webhook_url=URL))
    faults = Faults(get_clients())
    faults.fail("dynamodb.UpdateItem", *ITEM_TOO_LARGE, times=1000, match=lambda p: table_is("batches")(p)
                and p.get("ExpressionAttributeValues", {}).get(":f0") == {"S": "queued"})
    try:
        aws.drain()
        for _ in range(6):
            clock.at += 600
            tick(aws.ports)
            aws.drain()
    finally:
        faults.clear()

    assert reload(aws.ports, batch).status is BatchStatus.FAILED
    assert [json.loads(p)["type"] for p in posted] == ["batch.failed"]
    [delivery] = aws.ports.deliveries.for_batch(tenant.tenant_id, batch.batch_id)
    assert delivery.status is DeliveryStatus.SUCCEEDED


def test_a_dead_lettered_webhook_message_is_redriven_by_the_tick(
        aws: Aws, clock: Ticking, posted: list[str]) -> None:
    tenant = aws.tenant(1000)
    rotate_tenant_secret(aws.ports, tenant.tenant_id)
    batch = create_batch(aws.ports, tenant.tenant_id, leads(5), options=BatchOptions(webhook_url=URL))
    for spec in (topology.INGEST, topology.WORK, topology.FINALIZE):
        aws.pump(spec)
    [fan_out] = take_messages(aws.ports, topology.DELIVER)
    dlq = aws.ports.settings.name(topology.DELIVER.dlq_name)
    aws.ports.queue.send(dlq, [fan_out])  # as if every receive of it had failed

    report = tick(aws.ports)
    aws.drain()

    assert report["redriven"] == [batch.batch_id]
    assert [json.loads(p)["type"] for p in posted] == ["batch.completed"]
    assert aws.ports.announcements.pending() == []
