"""A work invocation settles its whole parts in one transaction: try to make that overcharge,
lose a row, charge a part twice or pause at the wrong part.

Every case runs the work function as Lambda would (the local event source mapping: one poll,
one invocation of up to ``topology.WORK.batch_size`` parts); a refused group must end exactly
as parts settled one by one end.
"""

from __future__ import annotations

from typing import Any

from chalicelib import topology
from chalicelib.clients import get_clients
from chalicelib.domain.messages import ChunkMessage
from chalicelib.domain.models import Batch, BatchStatus
from chalicelib.domain.options import BatchOptions
from chalicelib.local.counting import RequestCounter
from chalicelib.services.working import work_chunk
from tests.conftest import Aws
from tests.csvs import leads
from tests.faults import settles_together
from tests.helpers import charged, create_batch, reload, take_messages


def _queued(aws: Aws, tenant_id: str, rows: int, name: str = "leads.csv") -> Batch:
    batch = create_batch(aws.ports, tenant_id, leads(rows), name, BatchOptions())
    aws.pump(topology.INGEST)
    return batch


def _poll(aws: Aws) -> int:
    return aws.mappings[topology.WORK.name].poll_once()


def _charges(aws: Aws, tenant_id: str) -> list[str]:
    return sorted(e["entry_id"] for e in aws.ports.ledger.entries(tenant_id) if e["kind"] == "charge")


def test_whole_parts_settle_in_one_transaction_as_they_would_one_by_one(aws: Aws) -> None:
    # GIVEN the same file twice, for two tenants
    grouped, alone = aws.tenant(10_000), aws.tenant(10_000)
    together = _queued(aws, grouped.tenant_id, 350, "a.csv")  # 100 x 3 + 50
    messages = take_messages(aws.ports, topology.WORK)
    one_by_one = _queued(aws, alone.tenant_id, 350, "b.csv")
    others = [ChunkMessage.model_validate_json(b) for b in take_messages(aws.ports, topology.WORK)]
    aws.ports.queue.send(aws.ports.queue_name(topology.WORK), messages)
    counter = RequestCounter().attach()

    # WHEN one invocation works the first batch's four parts; the other's are worked alone
    assert _poll(aws) == 4
    transactions = counter.calls["dynamodb.TransactWriteItems"]
    for message in others:
        assert work_chunk(aws.ports, message, f"x{message.chunk}") == "settled"

    # THEN one transaction wrote the four settlements, and the books are those of four
    assert transactions == 1
    a, b = reload(aws.ports, together), reload(aws.ports, one_by_one)
    def books(x: Batch) -> tuple[Any, ...]:
        return (x.counts, x.credits_spent, x.chunks_done, x.found, x.parked_cost, x.shaped_parts,
                x.shape_columns, x.shape_width)

    assert books(a) == books(b)
    assert a.chunks_done == 4 and a.credits_spent == charged(aws.ports, grouped.tenant_id)
    assert aws.balance(grouped.tenant_id) == aws.balance(alone.tenant_id) == 10_000 - a.credits_spent
    assert [c.split("#", 2)[2] for c in _charges(aws, grouped.tenant_id)] == [
        c.split("#", 2)[2] for c in _charges(aws, alone.tenant_id)]  # a ledger line a part
    assert len(_charges(aws, grouped.tenant_id)) == 4


def test_the_pause_falls_on_the_first_part_the_balance_cannot_pay(aws: Aws) -> None:
    tenant = aws.tenant(250)
    batch = _queued(aws, tenant.tenant_id, 400)
    counter = RequestCounter().attach()

    _poll(aws)

    paused = reload(aws.ports, batch)
    assert paused.status is BatchStatus.PAUSED_INSUFFICIENT_CREDITS
    assert (paused.credits_spent, paused.counts.completed, paused.counts.parked) == (250, 250, 150)
    assert aws.balance(tenant.tenant_id) == 0 == 250 - charged(aws.ports, tenant.tenant_id)
    assert len(_charges(aws, tenant.tenant_id)) == 3  # parts 0 and 1 together, 50 rows of part 2
    assert counter.calls["dynamodb.TransactWriteItems"] == 3  # the two, part 2's pause, part 3 parked


def test_a_balance_spent_by_another_worker_before_the_group_settles_is_not_overdrawn(aws: Aws) -> None:
    # GIVEN a tenant of 300 credits, one batch of 300 rows queued and another of 150 split
    tenant = aws.tenant(300)
    other = _queued(aws, tenant.tenant_id, 150, "other.csv")
    rival = [ChunkMessage.model_validate_json(b) for b in take_messages(aws.ports, topology.WORK)]
    batch = _queued(aws, tenant.tenant_id, 300)

    def rival_spends(params: dict[str, Any], **_: Any) -> None:
        if settles_together(params) and rival:  # another worker settles 150 first
            for message in rival:
                work_chunk(aws.ports, message, f"r{message.chunk}")
            rival.clear()

    get_clients().dynamodb.meta.events.register("before-parameter-build.dynamodb.TransactWriteItems",
                                                rival_spends)
    # WHEN the invocation planned its three parts from a balance of 300 and settles them together
    _poll(aws)

    # THEN the group was refused and each part settled alone: 150 left paid 150 rows, no more
    assert not rival
    paused = reload(aws.ports, batch)
    assert paused.status is BatchStatus.PAUSED_INSUFFICIENT_CREDITS
    assert (paused.credits_spent, paused.counts.completed, paused.counts.parked) == (150, 150, 150)
    assert reload(aws.ports, other).credits_spent == 150
    assert aws.balance(tenant.tenant_id) == 0 and charged(aws.ports, tenant.tenant_id) == 300


def test_a_part_settled_by_a_duplicate_delivery_is_charged_once_and_the_others_settle(aws: Aws) -> None:
    tenant = aws.tenant(1000)
    batch = _queued(aws, tenant.tenant_id, 300)
    messages = [ChunkMessage.model_validate_json(b) for b in take_messages(aws.ports, topology.WORK)]
    duplicate = next(m for m in messages if m.chunk == 1)
    assert work_chunk(aws.ports, duplicate, "first") == "settled"  # the first delivery won
    aws.ports.queue.send(aws.ports.queue_name(topology.WORK), [m.model_dump_json() for m in messages])

    assert _poll(aws) == 3
    aws.drain()

    done = reload(aws.ports, batch)
    assert done.status is BatchStatus.COMPLETED
    assert done.credits_spent == 300 == charged(aws.ports, tenant.tenant_id) == 1000 - aws.balance(
        tenant.tenant_id)
    assert len(_charges(aws, tenant.tenant_id)) == 3 and done.counts.completed == 300
