"""Batches by tenant, the settlement records of their chunks, and what recovery keeps on them."""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib.domain.finalize_checkpoint import FinalizeCheckpoint
from chalicelib.domain.messages import SplitCheckpoint
from chalicelib.domain.models import Batch, BatchStatus, ChunkState, RowStatus, Tenant
from chalicelib.domain.options import BatchPatch


class Batches(Protocol):
    """Batches by tenant (newest first) and chunk settlement records by batch."""

    def put_new(self, batch: Batch) -> None:
        """Store a new batch (never overwrites one: Conflict)."""

    def get(self, tenant_id: str, batch_id: str) -> Batch | None:
        """One tenant's batch, read consistently, or None (also for another tenant's id)."""

    def get_with_tenant(self, tenant_id: str, batch_id: str) -> tuple[Batch | None, Tenant | None]:
        """``get``'s batch and the tenant, both read consistently in one request (what a work
        invocation plans its first part from); None for either that does not exist."""

    def page(self, tenant_id: str, limit: int, cursor: str | None,
             statuses: tuple[BatchStatus, ...] = (), name_contains: str | None = None,
             ) -> tuple[list[Batch], str | None]:
        """A page of a tenant's batches, newest first (optionally filtered), and the next cursor."""

    def patch(self, tenant_id: str, batch_id: str, patch: BatchPatch, now: str) -> Batch | None:
        """Apply a customer's patch; None when its max_credits is below what the batch spent."""

    def transition(self, tenant_id: str, batch_id: str, to: BatchStatus,
                   allowed_from: tuple[BatchStatus, ...], now: str, **fields: Any) -> Batch | None:
        """Move a batch to ``to`` (setting Batch ``fields``) if its status is allowed; else None."""

    def record_split(self, tenant_id: str, batch_id: str, total_rows: int, chunks_total: int,
                     now: str) -> Batch:
        """Record how many rows and chunks the file split into; the batch as it now is."""

    def reopen(self, tenant_id: str, batch_id: str, rows: dict[RowStatus, int], found: dict[str, int],
               chunks: int, now: str, message: str, dispatch_at: int,
               lookups: dict[str, int] | None = None, refresh_after: str | None = None) -> Batch | None:
        """Take a finished batch (completed, or failed with results) back to processing, its
        reprocessed rows off the counters (``lookups``: their vendor lookups by how), open again
        and dispatching since ``dispatch_at``; ``refresh_after`` set: no vendor answer kept
        before it is reused."""

    def reopen_chunk(self, batch_id: str, chunk: int, next_part: int, key: str) -> None:
        """Mark a settled chunk open again for its next (reprocess) part, whose rows are stored at
        ``key`` (Conflict if it moved on)."""

    def skip_unsettled(self, batch: Batch, now: str) -> Batch | None:
        """Count a cancelled batch's rows that never settled as skipped (from its counters as
        ``batch`` holds them); None when it is not cancelled or finalize counted its rows."""

    def chunks(self, batch_id: str, parked_only: bool = False) -> list[ChunkState]:
        """Every chunk settlement record of a batch, in chunk order (or only the parked ones)."""

    def needing_attention(self) -> list[Batch]:
        """Every open (unfinished) batch of every tenant, from the sparse attention index."""

    def advance_split(self, tenant_id: str, batch_id: str, sent_before: int, sent_now: int,
                      now: str, checkpoint: SplitCheckpoint | None = None) -> bool:
        """Record that split sent chunks up to ``sent_now`` (and its checkpoint, if given);
        False if another split got further."""

    def dispatched(self, tenant_id: str, batch_id: str, since: int) -> None:
        """Clear the dispatch mark set at ``since`` (a later one stays)."""

    def healed(self, tenant_id: str, batch_id: str, heals: int, at: int) -> None:
        """Record that the tick continued the batch (``heals`` times without progress) at ``at``."""

    def advance_finalize(self, tenant_id: str, batch_id: str, before: int,
                         checkpoint: FinalizeCheckpoint, at: int) -> bool:
        """Record a finalize step's ``checkpoint`` (and ``finalizing_at``) if the batch's finalize
        still stands at step ``before`` (0: none began yet) and is not finished; False if not."""

    def finalizing(self, tenant_id: str, batch_id: str, at: int) -> None:
        """Record that a finalize began writing the batch's results at ``at`` (epoch seconds)."""
