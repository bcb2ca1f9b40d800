"""One work invocation reads each batch and tenant once for all its parts: try to make that overcharge.

A stale read must be refused by the settle transaction and corrected from what it reports;
the finalize check that moved to the end of the invocation must survive a crash.
"""

from __future__ import annotations

import pytest

from chalicelib import topology
from chalicelib.domain.messages import ChunkMessage
from chalicelib.domain.models import Batch, BatchStatus
from chalicelib.domain.options import BatchOptions, BatchPatch
from chalicelib.services import invocation
from chalicelib.services.batches import patch_batch, request_finalize
from chalicelib.services.invocation import Invocation
from chalicelib.services.working import work_chunk
from tests.conftest import Aws
from tests.csvs import leads
from tests.helpers import charged, create_batch, reload, take_messages


def _split(aws: Aws, rows: int, tenant_id: str) -> tuple[Batch, list[ChunkMessage]]:
    batch = create_batch(aws.ports, tenant_id, leads(rows), f"{rows}.csv", BatchOptions())
    aws.pump(topology.INGEST)
    return _take(aws, batch)


def _take(aws: Aws, batch: Batch) -> tuple[Batch, list[ChunkMessage]]:
    taken = [ChunkMessage.model_validate_json(body) for body in take_messages(aws.ports, topology.WORK)]
    return batch, sorted((m for m in taken if m.batch_id == batch.batch_id), key=lambda m: m.chunk)


def test_a_balance_spent_by_another_worker_mid_invocation_is_not_overdrawn(aws: Aws) -> None:
    tenant = aws.tenant(300)
    first, first_chunks = _split(aws, 200, tenant.tenant_id)  # 2 chunks of 100 billable rows
    second, second_chunks = _split(aws, 150, tenant.tenant_id)  # 100 + 50
    invocation = Invocation(aws.ports)

    assert work_chunk(aws.ports, first_chunks[0], "a0", invocation) == "settled"  # reads 300, leaves 200
    for message in second_chunks:  # another worker spends 150 meanwhile: 50 left, this one still thinks 200
        assert work_chunk(aws.ports, message, f"b{message.chunk}") == "settled"
    outcome = work_chunk(aws.ports, first_chunks[1], "a1", invocation)
    invocation.finish()

    assert outcome == "parked"
    assert aws.balance(tenant.tenant_id) == 0
    assert charged(aws.ports, tenant.tenant_id) == 300
    paused = reload(aws.ports, first)
    assert paused.status is BatchStatus.PAUSED_INSUFFICIENT_CREDITS
    assert (paused.credits_spent, paused.counts.parked) == (150, 50)
    assert reload(aws.ports, second).credits_spent == 150


def test_one_invocation_runs_out_of_credits_on_its_third_part_and_parks_the_rest(aws: Aws) -> None:
    tenant = aws.tenant(250)
    batch, chunks = _split(aws, 400, tenant.tenant_id)
    invocation = Invocation(aws.ports)

    outcomes = [work_chunk(aws.ports, m, f"x{m.chunk}", invocation) for m in chunks]
    invocation.finish()

    assert outcomes == ["settled", "settled", "parked", "parked"]
    paused = reload(aws.ports, batch)
    assert paused.status is BatchStatus.PAUSED_INSUFFICIENT_CREDITS
    assert (paused.credits_spent, paused.counts.completed, paused.counts.parked) == (250, 250, 150)
    assert aws.balance(tenant.tenant_id) == 0 and charged(aws.ports, tenant.tenant_id) == 250


def test_a_cap_raised_mid_invocation_is_read_afresh_not_paused_on(aws: Aws) -> None:
    tenant = aws.tenant(1000)
    batch = create_batch(aws.ports, tenant.tenant_id, leads(300), "capped.csv",
                         BatchOptions(max_credits=150))
    aws.pump(topology.INGEST)
    _, chunks = _take(aws, batch)
    invocation = Invocation(aws.ports)

    assert work_chunk(aws.ports, chunks[0], "c0", invocation) == "settled"  # reads the cap of 150
    patch_batch(aws.ports, tenant.tenant_id, batch.batch_id, BatchPatch(max_credits=300))
    outcomes = [work_chunk(aws.ports, m, f"c{m.chunk}", invocation) for m in chunks[1:]]
    invocation.finish()

    assert outcomes == ["settled", "settled"]
    done = reload(aws.ports, batch)
    assert done.credits_spent == 300 == charged(aws.ports, tenant.tenant_id)
    assert done.counts.parked == 0 and done.status is not BatchStatus.PAUSED_CREDIT_CAP


def test_a_crash_in_the_end_of_invocation_finalize_check_is_retried_until_results_exist(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = aws.tenant(1000)
    batch = create_batch(aws.ports, tenant.tenant_id, leads(250), "f.csv", BatchOptions())
    real = request_finalize
    failures = {"left": 1}

    def fails_once(*args: object) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("finalize queue unreachable")
        real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(invocation, "request_finalize", fails_once)
    aws.drain()

    done = reload(aws.ports, batch)
    assert failures["left"] == 0
    assert done.status is BatchStatus.COMPLETED
    assert done.credits_spent == 250 == charged(aws.ports, tenant.tenant_id)
    assert aws.balance(tenant.tenant_id) == 750
