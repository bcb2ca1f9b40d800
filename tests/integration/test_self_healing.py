"""Findings 1-3: nothing stays stuck. A failed split is redone, dead-lettered chunks are re-driven
(charged once), a resume or reprocess that died half-way is continued by the tick, and what
keeps failing ends ``failed`` with the reason, its unprocessed rows uncharged and reprocessable.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import topology
from chalicelib.clients import get_clients
from chalicelib.domain.models import Batch, BatchStatus
from chalicelib.domain.options import BatchOptions
from chalicelib.services.batches import resume_batch
from chalicelib.services.datasets import create_dataset
from chalicelib.services.lifecycle import tick
from chalicelib.services.ports import Clock
from chalicelib.services.reprocess import reprocess_batch
from chalicelib.services.sources import configure
from chalicelib.services.tenants import top_up
from chalicelib.sources.spec import TenantConfig
from tests.conftest import Aws
from tests.csvs import leads
from tests.faults import ITEM_TOO_LARGE, Faults, Killed, settles_chunk, table_is, transaction_touches
from tests.helpers import charged, create_batch, reload, results_rows, take_messages

START = 1_760_000_000.0


class Hours:
    """The service's clock, moved on by hand (SQS in moto keeps real time)."""

    def __init__(self) -> None:
        self.at = START

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def clock(aws: Aws) -> Hours:
    hours = Hours()
    aws.ports.clock = Clock(epoch=hours, sleep=lambda _: None)
    return hours


@pytest.fixture
def faults(aws: Aws) -> Iterator[Faults]:
    injected = Faults(get_clients())
    yield injected
    injected.clear()


def _heal(aws: Aws, clock: Hours, ticks: int = 1) -> list[dict[str, Any]]:
    """Let time pass and the tick run (then the queues drain), ``ticks`` times."""
    reports = []
    for _ in range(ticks):
        clock.at += 600
        reports.append(dict(tick(aws.ports)))
        aws.drain()
    return reports


def _batch(aws: Aws, tenant_id: str, rows: int = 250, mode: str = "basic") -> Batch:
    """A batch of ``mode``; an advanced one runs a dataset source at the basic price (1 a matched
    row), so its books are a basic batch's and only its work queue differs."""
    if mode == "advanced":
        dataset = create_dataset(aws.ports, tenant_id, b"email,title\r\na@example.com,CTO\r\n", "titles")
        configure(aws.ports, tenant_id, TenantConfig.model_validate({
            "prices": {"advanced": 1}, "sources": [{"type": "dataset", "dataset_id": dataset.dataset_id}]}))
    return create_batch(aws.ports, tenant_id, leads(rows), "leads.csv",
                        BatchOptions(mode=mode))  # type: ignore[arg-type]


def _assert_every_row_once(aws: Aws, batch: Batch, rows: int) -> None:
    results = results_rows(aws.ports, batch)
    assert [int(r["row_index"]) for r in results] == list(range(rows))
    assert [r["id"] for r in results] == [f"L{i}" for i in range(rows)]


def _queued_update(params: dict[str, Any]) -> bool:
    """Split's own write on the batch: validating -> queued."""
    return table_is("batches")(params) and params.get("ExpressionAttributeValues", {}).get(
        ":f0") == {"S": "queued"}


def test_a_split_that_failed_once_is_redone_not_acknowledged_as_a_duplicate(
        aws: Aws, faults: Faults, clock: Hours) -> None:
    tenant = aws.tenant(1000)
    batch = _batch(aws, tenant.tenant_id)
    faults.fail("dynamodb.UpdateItem", *ITEM_TOO_LARGE, match=_queued_update)

    aws.drain()

    done = reload(aws.ports, batch)
    assert done.status is BatchStatus.COMPLETED, done
    assert done.credits_spent == 250 == charged(aws.ports, tenant.tenant_id)
    _assert_every_row_once(aws, done, 250)


def test_a_split_that_died_after_sending_chunks_is_redone_and_charged_once(
        aws: Aws, faults: Faults, clock: Hours) -> None:
    tenant = aws.tenant(2000)
    batch = _batch(aws, tenant.tenant_id, 1250)  # 13 chunks: two SendMessageBatch calls
    faults.kill("sqs.SendMessageBatch", "after")

    with pytest.raises(Killed):
        aws.pump(topology.INGEST)
    faults.revive()
    faults.expire_in_flight()
    aws.drain()

    done = reload(aws.ports, batch)
    assert done.status is BatchStatus.COMPLETED, done
    assert done.credits_spent == 1250 == charged(aws.ports, tenant.tenant_id)
    _assert_every_row_once(aws, done, 1250)


def test_a_split_that_keeps_failing_ends_failed_with_the_reason(
        aws: Aws, faults: Faults, clock: Hours) -> None:
    tenant = aws.tenant(1000)
    batch = _batch(aws, tenant.tenant_id)
    faults.fail("dynamodb.UpdateItem", *ITEM_TOO_LARGE, times=1000, match=_queued_update)

    aws.drain()
    _heal(aws, clock, ticks=6)

    failed = reload(aws.ports, batch)
    assert failed.status is BatchStatus.FAILED, failed
    assert failed.message and "Item size has exceeded" in failed.message
    assert failed.finished_at is not None and failed.credits_spent == 0
    assert aws.balance(tenant.tenant_id) == 1000
    assert take_messages(aws.ports, topology.INGEST, dead_letters=True) == []


@pytest.mark.parametrize("mode", ["basic", "advanced"])
def test_a_chunk_dead_lettered_by_a_passing_fault_is_redriven_and_charged_once(
        aws: Aws, faults: Faults, clock: Hours, mode: str) -> None:
    tenant = aws.tenant(1000)
    batch = _batch(aws, tenant.tenant_id, mode=mode)  # chunks of 100, 100, 50
    # every delivery of chunk 2 fails (a basic one's first tries it twice: with the other parts,
    # then alone; an advanced part settles alone)
    queue = topology.work_queue(mode)
    faults.fail("dynamodb.TransactWriteItems", *ITEM_TOO_LARGE,
                times=queue.max_receive_count + (mode == "basic"), match=settles_chunk(2))

    aws.drain()
    stuck = reload(aws.ports, batch)
    assert stuck.status is BatchStatus.PROCESSING and stuck.chunks_done == 2  # one chunk in the DLQ
    assert aws.ports.queue.depth(aws.ports.settings.name(queue.dlq_name)) == 1  # its mode's DLQ
    _heal(aws, clock)

    done = reload(aws.ports, batch)
    assert done.status is BatchStatus.COMPLETED, done
    assert done.credits_spent == 250 == charged(aws.ports, tenant.tenant_id) == 1000 - aws.balance(
        tenant.tenant_id)
    _assert_every_row_once(aws, done, 250)


def test_an_unreadable_dead_letter_never_stops_the_tick_from_healing_the_others(
        aws: Aws, faults: Faults, clock: Hours) -> None:
    tenant = aws.tenant(1000)
    batch = _batch(aws, tenant.tenant_id)
    # every delivery of chunk 2 fails; the first tries it twice: with the other parts, then alone
    faults.fail("dynamodb.TransactWriteItems", *ITEM_TOO_LARGE, times=topology.WORK.max_receive_count + 1,
                match=settles_chunk(2))
    aws.drain()  # chunk 2 is dead-lettered; a message nobody can read sits in the ingest DLQ
    aws.ports.queue.send(aws.ports.settings.name(topology.INGEST.dlq_name), ["not a message"])

    report = _heal(aws, clock)[0]

    assert report["dropped"] == ["an unreadable message"]
    done = reload(aws.ports, batch)
    assert done.status is BatchStatus.COMPLETED, done
    assert done.credits_spent == 250 == charged(aws.ports, tenant.tenant_id)
    assert take_messages(aws.ports, topology.INGEST, dead_letters=True) == []


def test_a_chunk_that_keeps_failing_ends_the_batch_failed_uncharged_and_reprocessable(
        aws: Aws, faults: Faults, clock: Hours) -> None:
    tenant = aws.tenant(1000)
    batch = _batch(aws, tenant.tenant_id, 150)  # chunks of 100 and 50: the second keeps failing
    # every charge of chunk 1 fails (its give-up, which charges nothing, does not)
    faults.fail("dynamodb.TransactWriteItems", *ITEM_TOO_LARGE, times=10_000,
                match=lambda p: settles_chunk(1)(p) and transaction_touches("tenants")(p))

    aws.drain()
    _heal(aws, clock, ticks=6)

    failed = reload(aws.ports, batch)
    assert failed.status is BatchStatus.FAILED, failed
    assert failed.message and "Item size has exceeded" in failed.message
    assert failed.credits_spent == 100 == charged(aws.ports, tenant.tenant_id)
    assert failed.counts.completed == 100 and failed.counts.failed == 50
    rows = results_rows(aws.ports, failed)
    assert [r["enrich_status"] for r in rows[100:]] == ["failed"] * 50
    assert {r["enrich_credits"] for r in rows[100:]} == {"0"}

    faults.clear()
    reprocess_batch(aws.ports, tenant.tenant_id, batch.batch_id)
    aws.drain()

    done = reload(aws.ports, batch)
    assert done.status is BatchStatus.COMPLETED, done
    assert done.credits_spent == 150 == charged(aws.ports, tenant.tenant_id)
    _assert_every_row_once(aws, done, 150)


def _paused(aws: Aws, rows: int = 250, credits: int = 120, mode: str = "basic") -> tuple[str, Batch]:
    tenant = aws.tenant(credits)
    batch = _batch(aws, tenant.tenant_id, rows, mode)
    aws.drain()
    paused = reload(aws.ports, batch)
    assert paused.status is BatchStatus.PAUSED_INSUFFICIENT_CREDITS
    return tenant.tenant_id, paused


@pytest.mark.parametrize("mode", ["basic", "advanced"])
def test_a_resume_that_died_before_sending_is_continued_by_the_tick(
        aws: Aws, faults: Faults, clock: Hours, mode: str) -> None:
    tenant_id, batch = _paused(aws, mode=mode)
    top_up(aws.ports, tenant_id, 1000)
    faults.kill("sqs.SendMessageBatch", "before")

    with pytest.raises(Killed):
        resume_batch(aws.ports, tenant_id, batch.batch_id)
    faults.revive()
    aws.drain()
    assert reload(aws.ports, batch).status is BatchStatus.PROCESSING
    clock.at += 600
    tick(aws.ports)  # sends the parked parts to the work queue of the batch's mode
    depth = {spec: aws.ports.queue.depth(aws.ports.queue_name(spec)) for spec in topology.WORK_QUEUES}
    assert depth == {spec: 2 if spec is topology.work_queue(mode) else 0 for spec in topology.WORK_QUEUES}
    aws.drain()

    done = reload(aws.ports, batch)
    assert done.status is BatchStatus.COMPLETED, done
    assert done.credits_spent == 250 == charged(aws.ports, tenant_id)
    _assert_every_row_once(aws, done, 250)


def test_a_reprocess_that_died_before_sending_is_continued_by_the_tick(
        aws: Aws, faults: Faults, clock: Hours) -> None:
    tenant = aws.tenant(1000)
    batch = create_batch(aws.ports, tenant.tenant_id, leads(250, matched_every=2), "leads.csv",
                         BatchOptions())
    aws.drain()
    assert reload(aws.ports, batch).status is BatchStatus.COMPLETED
    faults.kill("sqs.SendMessageBatch", "before")

    with pytest.raises(Killed):
        reprocess_batch(aws.ports, tenant.tenant_id, batch.batch_id, failed_only=False)
    faults.revive()
    aws.drain()
    _heal(aws, clock)

    done = reload(aws.ports, batch)
    assert done.status is BatchStatus.COMPLETED, done
    assert done.credits_spent == 125 == charged(aws.ports, tenant.tenant_id)
    assert done.counts.completed == 125 and done.counts.not_found == 125
    _assert_every_row_once(aws, done, 250)
