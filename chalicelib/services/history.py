"""What happened to a batch: each step of its life counted as a metric and kept for its timeline.

The services call ``happened`` right after the change it describes has been written. Money is
not recorded here: the timeline takes a batch's charges from the ledger, which the settle
transaction writes with the money itself. A step that is retried after its change was written
may be recorded twice (both are kept: each really ran); a process that dies between the change
and this call loses the step, never a credit.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from chalicelib.domain.billing import Settlement
from chalicelib.observability import metrics
from chalicelib.services.ports import Ports


class Step(StrEnum):
    """A step of a batch's life."""

    CREATED = "created"
    SPLIT = "split"
    PAUSED = "paused"
    TOPPED_UP = "topped_up"
    RESUMED = "resumed"
    REPROCESS = "reprocess"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


_METRIC = {Step.CREATED: "BatchesCreated", Step.PAUSED: "BatchesPaused", Step.RESUMED: "BatchesResumed",
           Step.REPROCESS: "BatchesReprocessed", Step.COMPLETED: "BatchesCompleted",
           Step.FAILED: "BatchesFailed", Step.CANCELLED: "BatchesCancelled"}


def happened(ports: Ports, tenant_id: str, batch_id: str, step: Step, at: str | None = None,
             **details: Any) -> None:
    """Record one step of a batch (``details``: counts, reasons, balances; never a row's value).

    ``at``: when it happened, if earlier than now (a top-up recorded once it resumed the batch).
    """
    when = at or ports.clock.now()
    kept = {key: value for key, value in details.items() if value is not None}
    ports.timeline.add({"batch_id": batch_id, "event_id": f"{when}#{step.value}#{uuid.uuid4().hex[:8]}",
                        "tenant_id": tenant_id, "step": step.value, "at": when, **kept})
    name = _METRIC.get(step)
    if name == "BatchesPaused":
        metrics.count(name, reason=str(details.get("reason", "other")))
    elif name:
        metrics.count(name)


def split(ports: Ports, tenant_id: str, batch_id: str, rows: int, chunks: int, seconds: float) -> None:
    """A split finished: its rows, and how fast it read them."""
    metrics.count("SplitRows", rows)
    if seconds > 0:
        metrics.sample("SplitRowsPerSecond", round(rows / seconds, 1))
    happened(ports, tenant_id, batch_id, Step.SPLIT, rows=rows, chunks=chunks)


def settled(settlement: Settlement) -> None:
    """Count what one chunk part's settlement did to its rows and the tenant's credits."""
    metrics.count("RowsMatched", settlement.completed)
    metrics.count("RowsNotFound", settlement.not_found)
    metrics.count("RowsFailed", settlement.failed)
    metrics.count("RowsSkipped", settlement.skipped)
    # rows left without a pause were not parked: the invocation ran short of time and handed
    # them on as the chunk's next part (issue 16's deadline-aware work)
    handed_on = not settlement.done and settlement.pause is None
    metrics.count("RowsHandedOn" if handed_on else "RowsParked", settlement.parked)
    metrics.count("CreditsCharged", settlement.cost)
    metrics.count("ChunksSettled" if settlement.done else "ChunksHandedOn" if handed_on else "ChunksParked")
