"""Property: whatever the delivery chaos, every row is charged at most once and exactly once in the end.

Each example runs a batch through the real handlers on moto with duplicated deliveries,
workers that die before or after the settle transaction, small chunks, and a balance that
runs out and is topped up until the batch completes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.adapters.queue import MessageQueue
from chalicelib.adapters.settlement import SettlementStore
from chalicelib.domain.models import PAUSED_STATUSES, BatchStatus
from chalicelib.domain.options import BatchOptions
from chalicelib.services.batches import resume_batch
from chalicelib.services.tenants import top_up
from tests.conftest import Aws, fresh_aws
from tests.csvs import leads
from tests.helpers import charged, create_batch, results_rows


class Chaos:
    """Seeded misfortune: duplicate sends, deaths before and after the transaction."""

    def __init__(self, seed: int, duplicate: float, die_before: float, die_after: float) -> None:
        self.rng = random.Random(seed)
        self.duplicate, self.die_before, self.die_after = duplicate, die_before, die_after
        self._send = MessageQueue.send
        self._settle = SettlementStore.settle
        self.deaths: dict[tuple[int, int], int] = {}

    def send(self, queue: MessageQueue, name: str, bodies: Sequence[str]) -> None:
        extra = [b for b in bodies if self.rng.random() < self.duplicate]
        self._send(queue, name, [*bodies, *extra])

    def settle(self, store: SettlementStore, request: Any) -> None:
        # At most two deaths per part: below the queue's max receives, so nothing goes to the
        # DLQ (reclaiming dead-lettered chunks is the scheduled tick's job, not this test's).
        key = (request.chunk, request.part)
        dies = self.deaths.get(key, 0) < 2
        if dies and self.rng.random() < self.die_before:
            self.deaths[key] = self.deaths.get(key, 0) + 1
            raise RuntimeError("died before the transaction")
        self._settle(store, request)
        if dies and self.rng.random() < self.die_after:
            self.deaths[key] = self.deaths.get(key, 0) + 1
            raise RuntimeError("died after the transaction")


def _check_books(aws: Aws, tenant_id: str, batch_id: str, credited: int, rows: int) -> int:
    batch = aws.ports.batches.get(tenant_id, batch_id)
    assert batch is not None
    balance = aws.balance(tenant_id)
    assert balance >= 0
    assert charged(aws.ports, tenant_id) == batch.credits_spent == credited - balance
    assert batch.counts.settled + batch.counts.parked <= rows
    return balance


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    rows=st.integers(1, 180), matched_every=st.integers(1, 4), chunk_rows=st.integers(3, 40),
    balance=st.integers(0, 60), seed=st.integers(0, 2**32),
    duplicate=st.floats(0, 0.5), die_before=st.floats(0, 0.4), die_after=st.floats(0, 0.4),
)
def test_chaos_never_charges_a_row_twice_and_loses_none(
    rows: int, matched_every: int, chunk_rows: int, balance: int, seed: int,
    duplicate: float, die_before: float, die_after: float,
) -> None:
    chaos = Chaos(seed, duplicate, die_before, die_after)
    with fresh_aws() as aws, \
            mock.patch.object(MessageQueue, "send", lambda q, n, b: chaos.send(q, n, b)), \
            mock.patch.object(SettlementStore, "settle", lambda s, r: chaos.settle(s, r)):
        aws.ports.settings = aws.ports.settings.model_copy(update={"chunk_rows": chunk_rows})
        tenant = aws.tenant(balance)
        batch = create_batch(aws.ports, tenant.tenant_id, leads(rows, matched_every), "c.csv",
                             BatchOptions())
        credited = balance
        for _ in range(60):
            aws.drain()
            _check_books(aws, tenant.tenant_id, batch.batch_id, credited, rows)
            current = aws.ports.batches.get(tenant.tenant_id, batch.batch_id)
            assert current is not None
            if current.status is BatchStatus.COMPLETED:
                break
            assert current.status in PAUSED_STATUSES, current.status
            top_up(aws.ports, tenant.tenant_id, 1 + chaos.rng.randrange(40))
            credited = aws.balance(tenant.tenant_id) + current.credits_spent
            resume_batch(aws.ports, tenant.tenant_id, batch.batch_id)
        done = aws.ports.batches.get(tenant.tenant_id, batch.batch_id)
        assert done is not None and done.status is BatchStatus.COMPLETED
        matched = len(range(0, rows, matched_every))
        assert done.credits_spent == matched
        results = results_rows(aws.ports, done)
        assert [int(r["row_index"]) for r in results] == list(range(rows))
        assert sum(int(r["enrich_credits"]) for r in results) == matched
