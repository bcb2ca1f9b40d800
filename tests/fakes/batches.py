"""Batches in memory: by tenant, newest first, with their chunks' settlement records."""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from typing import Any

from chalicelib.domain.cursors import decode_cursor, encode_cursor
from chalicelib.domain.errors import Conflict
from chalicelib.domain.finalize_checkpoint import FinalizeCheckpoint
from chalicelib.domain.messages import SplitCheckpoint
from chalicelib.domain.models import Batch, BatchStatus, ChunkState, RowStatus, Tenant
from chalicelib.domain.options import BatchPatch
from tests.fakes.tables import Tables

_BATCH_ID = re.compile(r"b_[0-9a-f]{22}")


class InMemoryBatches:
    """The Batches port on plain dicts."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def put_new(self, batch: Batch) -> None:
        """Store a new batch (Conflict if it exists)."""
        with self._t.lock:
            key = (batch.tenant_id, batch.batch_id)
            if key in self._t.batches:
                raise Conflict(f"A batch {batch.batch_id!r} exists already.")
            self._t.batches[key] = copy.deepcopy(batch)

    def get(self, tenant_id: str, batch_id: str) -> Batch | None:
        """One tenant's batch, or None."""
        with self._t.lock:
            found = self._t.batches.get((tenant_id, batch_id))
            return copy.deepcopy(found) if found else None

    def get_with_tenant(self, tenant_id: str, batch_id: str) -> tuple[Batch | None, Tenant | None]:
        """The batch and its tenant (None for either that does not exist), at one moment."""
        with self._t.lock:
            held = self._t.tenants.get(tenant_id)
            return self.get(tenant_id, batch_id), copy.deepcopy(held["tenant"]) if held else None

    def page(self, tenant_id: str, limit: int, cursor: str | None,
             statuses: tuple[BatchStatus, ...] = (), name_contains: str | None = None,
             ) -> tuple[list[Batch], str | None]:
        """A page of a tenant's batches, newest first, and the next cursor (a full page has one)."""
        after = decode_cursor(cursor, _BATCH_ID) if cursor else None
        with self._t.lock:
            mine = sorted((b for (t, _), b in self._t.batches.items() if t == tenant_id),
                          key=lambda b: b.batch_id, reverse=True)
        wanted = [copy.deepcopy(b) for b in mine
                  if (after is None or b.batch_id < after)
                  and (not statuses or b.status in statuses)
                  and (not name_contains or name_contains.lower() in b.name.lower())]
        page = wanted[:limit]
        return page, encode_cursor(page[-1].batch_id) if len(page) == limit else None

    def patch(self, tenant_id: str, batch_id: str, patch: BatchPatch, now: str) -> Batch | None:
        """Apply a patch; None when its max_credits is below what was spent (or no batch)."""
        with self._t.lock:
            batch = self._t.batches.get((tenant_id, batch_id))
            if batch is None or (patch.max_credits is not None and batch.credits_spent > patch.max_credits):
                return None
            return self._replace(batch, updated_at=now, **patch.model_dump(exclude_none=True))

    def transition(self, tenant_id: str, batch_id: str, to: BatchStatus,
                   allowed_from: tuple[BatchStatus, ...], now: str, **fields: Any) -> Batch | None:
        """Move a batch to ``to`` if its status is allowed; the new batch or None."""
        with self._t.lock:
            batch = self._t.batches.get((tenant_id, batch_id))
            if batch is None or batch.status not in allowed_from:
                return None
            if fields.get("finished_at"):  # a finished batch is no longer dispatching
                fields = {**fields, "dispatch_at": None, "finalize_checkpoint": None}
            return self._replace(batch, status=to, updated_at=now, **fields)

    def record_split(self, tenant_id: str, batch_id: str, total_rows: int, chunks_total: int,
                     now: str) -> Batch:
        """Record rows and chunks of the split file; the batch as it now is."""
        with self._t.lock:
            batch = self._t.batches[(tenant_id, batch_id)]
            return self._replace(batch, total_rows=total_rows, chunks_total=chunks_total, updated_at=now)

    def reopen(self, tenant_id: str, batch_id: str, rows: dict[RowStatus, int], found: dict[str, int],
               chunks: int, now: str, message: str, dispatch_at: int,
               lookups: dict[str, int] | None = None, refresh_after: str | None = None) -> Batch | None:
        """Take a finished batch back to processing, its reprocessed rows off the counters."""
        with self._t.lock:
            batch = self._t.batches.get((tenant_id, batch_id))
            if batch is None or not (batch.status is BatchStatus.COMPLETED or (
                    batch.status is BatchStatus.FAILED and batch.failure is not None
                    and batch.finished_at is not None)):
                return None
            counts = replace(batch.counts, **{s.value: getattr(batch.counts, s.value) - n
                                              for s, n in rows.items()})
            taken = {**batch.found, **{name: batch.found.get(name, 0) - n for name, n in found.items()}}
            asked = {**batch.lookups, **{how: batch.lookups.get(how, 0) - n
                                         for how, n in (lookups or {}).items()}}
            return self._replace(batch, status=BatchStatus.PROCESSING, updated_at=now, message=message,
                                 finished_at=None, chunks_done=batch.chunks_done - chunks,
                                 counts=counts, found=taken, lookups=asked, failure=None,
                                 dispatch_at=dispatch_at,
                                 refresh_after=refresh_after or batch.refresh_after)

    def reopen_chunk(self, batch_id: str, chunk: int, next_part: int, key: str) -> None:
        """Mark a settled chunk open again for its next part (Conflict if it moved on)."""
        with self._t.lock:
            state = self._t.chunks.get(batch_id, {}).get(chunk)
            if state is None or state.next_part != next_part:
                raise Conflict(f"Chunk {chunk} of {batch_id} moved past part {next_part}.")
            self._t.chunks[batch_id][chunk] = replace(state, done=False, reprocess_key=key)

    def skip_unsettled(self, batch: Batch, now: str) -> Batch | None:
        """A cancelled batch's unsettled rows counted as skipped, from ``batch``'s counters."""
        assert batch.total_rows is not None, "a batch that was split"
        with self._t.lock:
            stored = self._t.batches.get((batch.tenant_id, batch.batch_id))
            if stored is None or stored.status is not BatchStatus.CANCELLED or stored.finished_at:
                return None
            c = batch.counts
            final = replace(c, skipped=batch.total_rows - c.completed - c.not_found - c.failed,
                            parked=0)
            return self._replace(stored, counts=final, parked_cost=0, updated_at=now)

    def chunks(self, batch_id: str, parked_only: bool = False) -> list[ChunkState]:
        """A batch's chunk records in chunk order (or only those with parked rows)."""
        with self._t.lock:
            held = self._t.chunks.get(batch_id, {})
            return [held[n] for n in sorted(held) if not (parked_only and held[n].done)]

    def needing_attention(self) -> list[Batch]:
        """Every unfinished batch of every tenant, in batch id order."""
        with self._t.lock:
            open_batches = [copy.deepcopy(b) for b in self._t.batches.values() if b.finished_at is None]
        return sorted(open_batches, key=lambda b: b.batch_id)

    def advance_split(self, tenant_id: str, batch_id: str, sent_before: int, sent_now: int,
                      now: str, checkpoint: SplitCheckpoint | None = None) -> bool:
        """Record split's progress unless another split got further first."""
        with self._t.lock:
            batch = self._t.batches.get((tenant_id, batch_id))
            if batch is None or batch.split_sent != sent_before:
                return False
            at = {"split_checkpoint": checkpoint} if checkpoint is not None else {}
            self._replace(batch, split_sent=sent_now, updated_at=now, **at)
            return True

    def dispatched(self, tenant_id: str, batch_id: str, since: int) -> None:
        """Clear the dispatch mark set at ``since``."""
        with self._t.lock:
            batch = self._t.batches.get((tenant_id, batch_id))
            if batch is not None and batch.dispatch_at == since:
                self._replace(batch, dispatch_at=None)

    def healed(self, tenant_id: str, batch_id: str, heals: int, at: int) -> None:
        """Record a continue by the tick."""
        with self._t.lock:
            batch = self._t.batches.get((tenant_id, batch_id))
            if batch is not None:
                self._replace(batch, heals=heals, healed_at=at)

    def advance_finalize(self, tenant_id: str, batch_id: str, before: int,
                         checkpoint: FinalizeCheckpoint, at: int) -> bool:
        """Record a finalize step's checkpoint if the finalize still stands at step ``before``."""
        with self._t.lock:
            batch = self._t.batches.get((tenant_id, batch_id))
            standing = None if batch is None else batch.finalize_checkpoint
            if batch is None or (standing.step if standing else 0) != before or (
                    before == 0 and batch.finished_at is not None):
                return False
            self._replace(batch, finalize_checkpoint=checkpoint, finalizing_at=at)
            return True

    def finalizing(self, tenant_id: str, batch_id: str, at: int) -> None:
        """Record when a finalize began."""
        with self._t.lock:
            batch = self._t.batches.get((tenant_id, batch_id))
            if batch is not None:
                self._replace(batch, finalizing_at=at)

    def _replace(self, batch: Batch, **changes: Any) -> Batch:
        changed = replace(batch, **copy.deepcopy(changes))
        self._t.batches[(batch.tenant_id, batch.batch_id)] = changed
        return copy.deepcopy(changed)
