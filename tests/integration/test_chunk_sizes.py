"""Rows per chunk by mode: basic batches travel in large chunks, advanced ones (vendor calls) in small."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib import topology
from chalicelib.domain.messages import ChunkMessage
from chalicelib.domain.models import BatchStatus
from chalicelib.domain.options import BatchOptions
from chalicelib.services.datasets import create_dataset
from chalicelib.services.sources import configure
from chalicelib.sources.spec import TenantConfig
from tests.conftest import Aws, fresh_aws
from tests.csvs import leads
from tests.helpers import create_batch, take_messages


@pytest.fixture
def defaults(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """A fresh AWS with the chunk sizes a deployment gets when nobody sets them."""
    monkeypatch.delenv("BATCH_ENRICH_CHUNK_ROWS")
    with fresh_aws() as aws:
        yield aws


def _chunk_sizes(aws: Aws, spec: topology.QueueSpec) -> list[int]:
    """Rows of every chunk message on a work queue, taken off it."""
    return [len(ChunkMessage.model_validate_json(body).rows or []) for body in take_messages(aws.ports, spec)]


@pytest.mark.parametrize(("mode", "expected", "queue", "other"), [
    ("basic", [500, 500, 200], topology.WORK, topology.ADVANCED_WORK),
    ("advanced", [100] * 12, topology.ADVANCED_WORK, topology.WORK)])
def test_rows_per_chunk_and_the_work_queue_follow_the_mode(
        defaults: Aws, mode: str, expected: list[int], queue: topology.QueueSpec,
        other: topology.QueueSpec) -> None:
    tenant = defaults.tenant(10_000)
    dataset = create_dataset(defaults.ports, tenant.tenant_id, b"email,title\r\na@example.com,CTO\r\n",
                             "titles")  # advanced mode runs a configured source
    configure(defaults.ports, tenant.tenant_id, TenantConfig.model_validate(
        {"sources": [{"type": "dataset", "dataset_id": dataset.dataset_id}]}))
    batch = create_batch(defaults.ports, tenant.tenant_id, leads(1_200), "leads.csv",
                         BatchOptions(mode=mode))  # type: ignore[arg-type]
    defaults.pump(topology.INGEST)

    # THEN the chunks go to the mode's own work queue (basic parts ten to an invocation,
    # advanced parts four), none to the other
    assert sorted(_chunk_sizes(defaults, queue), reverse=True) == expected
    assert _chunk_sizes(defaults, other) == []
    split = defaults.ports.batches.get(tenant.tenant_id, batch.batch_id)
    assert split is not None and split.chunks_total == len(expected)


def test_a_basic_batch_in_large_chunks_is_charged_each_row_once(defaults: Aws) -> None:
    tenant = defaults.tenant(1_000)
    batch = create_batch(defaults.ports, tenant.tenant_id, leads(1_200), "leads.csv", BatchOptions())
    defaults.drain()  # 1,000 credits for 1,200 rows: pauses in the second chunk

    paused = defaults.ports.batches.get(tenant.tenant_id, batch.batch_id)
    assert paused is not None and paused.status is BatchStatus.PAUSED_INSUFFICIENT_CREDITS
    assert paused.credits_spent == 1_000 and defaults.balance(tenant.tenant_id) == 0
    assert paused.counts.completed == 1_000 and paused.counts.parked == 200
