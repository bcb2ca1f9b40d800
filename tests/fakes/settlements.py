"""The settle transaction in memory: every condition checked first, then all four writes or none."""

from __future__ import annotations

import copy
from dataclasses import replace

from chalicelib.domain.billing import PauseReason, pause_message, pause_status
from chalicelib.domain.errors import AlreadySettled, BalanceChanged, BatchChanged, SettleConflict
from chalicelib.domain.models import (
    ACTIVE_STATUSES,
    PAUSED_STATUSES,
    Batch,
    BatchCounts,
    ChunkState,
)
from chalicelib.ports.ledger import charge_entry, charge_entry_id
from chalicelib.ports.settlements import SettleRequest, check_together
from tests.fakes.tables import Tables


class InMemorySettlements:
    """The Settlements port over the shared tables, refusing exactly when the transaction would."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def settle(self, req: SettleRequest) -> None:
        """Write the settlement or raise what the adapter raises, in the adapter's order."""
        with self._t.lock:
            self._check(req)
            self._write(req)

    def settle_together(self, reqs: list[SettleRequest]) -> None:
        """All the settlements or none, refused as one transaction (SettleConflict)."""
        check_together(reqs)
        with self._t.lock:
            held = copy.deepcopy((self._t.chunks, self._t.batches, self._t.tenants, self._t.ledger))
            try:
                for req in reqs:  # each one's conditions against what the ones before it wrote
                    self._check(req)
                    self._write(req)
            except (AlreadySettled, BalanceChanged, BatchChanged, SettleConflict) as exc:
                self._t.chunks, self._t.batches, self._t.tenants, self._t.ledger = held
                raise SettleConflict(f"settled together: refused by {type(exc).__name__}") from exc

    def _check(self, req: SettleRequest) -> None:
        s, batch = req.settlement, req.batch
        chunk = self._t.chunks.get(batch.batch_id, {}).get(req.chunk)
        if (chunk is not None) if req.part == 0 else (chunk is None or chunk.next_part != req.part):
            raise AlreadySettled()
        stored = self._t.batches.get((batch.tenant_id, batch.batch_id))
        if stored is None:
            raise SettleConflict(f"no batch {batch.batch_id}")
        allowed = PAUSED_STATUSES if s.pause is PauseReason.PAUSED else ACTIVE_STATUSES
        cap_ok = stored.max_credits is None if batch.max_credits is None else (
            stored.max_credits == batch.max_credits and stored.credits_spent <= batch.max_credits - s.cost)
        if stored.status not in allowed or not cap_ok:
            raise BatchChanged(copy.deepcopy(stored))
        if s.cost:
            tenant = self._t.tenants.get(batch.tenant_id)
            if tenant is None or (req.prepaid and tenant["tenant"].balance < s.cost):
                raise BalanceChanged(tenant["tenant"].balance if tenant else 0)
            charged = self._t.ledger.get(batch.tenant_id, {})
            if charge_entry_id(batch.batch_id, req.chunk, req.part) in charged:
                raise AlreadySettled()

    def _write(self, req: SettleRequest) -> None:
        s, batch = req.settlement, req.batch
        chunks = self._t.chunks.setdefault(batch.batch_id, {})
        before = chunks.get(req.chunk)
        chunks[req.chunk] = ChunkState(batch.batch_id, req.chunk, req.part + 1, s.done,
                                       (*(before.parts if before else ()), req.record))  # no pending
        stored = self._t.batches[(batch.tenant_id, batch.batch_id)]
        self._t.batches[(batch.tenant_id, batch.batch_id)] = _counted(stored, req)
        if not s.cost:
            return
        held = self._t.tenants[batch.tenant_id]
        held["credits_used"] += s.cost
        if req.prepaid:
            held["tenant"] = replace(held["tenant"], balance=held["tenant"].balance - s.cost)
        self._t.add_entry(charge_entry(batch.tenant_id, batch.batch_id, req.chunk, req.part, s.cost,
                                       s.completed, req.now))


def _counted(stored: Batch, req: SettleRequest) -> Batch:
    """The batch with the settlement's counters added (and the pause it caused)."""
    s, c, before = req.settlement, stored.counts, req.before
    counts = BatchCounts(completed=c.completed + s.completed, not_found=c.not_found + s.not_found,
                         failed=c.failed + s.failed, skipped=c.skipped + s.skipped - before.skipped,
                         parked=c.parked + s.parked - before.parked)
    found = dict(stored.found)
    for name, count in s.found.items():
        if count:
            found[name] = found.get(name, 0) + count
    lookups = dict(stored.lookups)
    for how, count in s.lookups.items():
        if count:
            lookups[how] = lookups.get(how, 0) + count
    changed = replace(stored, counts=counts, found=found, lookups=lookups,
                      credits_spent=stored.credits_spent + s.cost,
                      parked_cost=stored.parked_cost + s.parked_cost - before.parked_cost,
                      chunks_done=stored.chunks_done + (1 if s.done else 0), updated_at=req.now)
    if req.shape is not None:
        changed = replace(changed, shaped_parts=changed.shaped_parts + 1,
                          shape_columns=changed.shape_columns | set(req.shape.columns),
                          shape_width=max(changed.shape_width, req.shape.width))
    if req.failure and stored.failure is None:
        changed = replace(changed, failure=req.failure)
    pause_to = pause_status(s.pause)
    if not pause_to:
        return changed
    return replace(changed, status=pause_to, message=pause_message(pause_to),
                   announce=req.announce or changed.announce)
