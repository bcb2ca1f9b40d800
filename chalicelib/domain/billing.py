"""Billing arithmetic: what a chunk costs and how much of it a balance or a cap can settle."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from chalicelib.domain.models import BatchStatus, RowResult, RowStatus


class PauseReason(StrEnum):
    """Which limit stopped a chunk from settling whole."""

    BALANCE = "balance"
    CAP = "cap"
    PAUSED = "paused"  # the batch was already paused: the chunk is parked without work


_PAUSED_BY = {PauseReason.BALANCE: BatchStatus.PAUSED_INSUFFICIENT_CREDITS,
              PauseReason.CAP: BatchStatus.PAUSED_CREDIT_CAP}


def pause_status(reason: PauseReason | None) -> BatchStatus | None:
    """The status a settlement stopped by ``reason`` moves its batch to (None: it stays as it is)."""
    return _PAUSED_BY.get(reason) if reason else None


def pause_message(status: BatchStatus) -> str:
    """What a paused batch's status says to do."""
    if status is BatchStatus.PAUSED_CREDIT_CAP:
        return "Paused: the batch reached its max_credits. Raise max_credits, then resume."
    return "Paused: the credit balance ran out. Top up credits, then resume."


@dataclass(frozen=True)
class Settlement:
    """The outcome of settling one part of a chunk: a settled prefix and a parked rest."""

    settled: int
    cost: int
    completed: int
    not_found: int
    failed: int
    skipped: int
    parked: int
    pause: PauseReason | None = None
    found: dict[str, int] = field(default_factory=dict)
    lookups: dict[str, int] = field(default_factory=dict)  # the rows' vendor lookups, by how

    @property
    def done(self) -> bool:
        """True when no row of the part was parked."""
        return self.parked == 0


def row_cost(row: RowResult, price: int) -> int:
    """Credits one row costs: its price when matched (the batch's, or its sources'), else nothing."""
    if row.status is not RowStatus.COMPLETED:
        return 0
    return price if row.credits is None else row.credits


def affordable_prefix(costs: Sequence[int], available: int | None) -> int:
    """Length of the longest prefix whose total cost is within ``available`` (None: no limit)."""
    if available is None:
        return len(costs)
    total = 0
    for index, cost in enumerate(costs):
        total += cost
        if total > available:
            return index
    return len(costs)


def plan_settlement(
    rows: Sequence[RowResult], price: int, balance: int | None, cap_left: int | None
) -> Settlement:
    """Settle the longest prefix that both the balance and the batch cap cover; park the rest."""
    costs = [row_cost(row, price) for row in rows]
    by_balance = affordable_prefix(costs, balance)
    by_cap = affordable_prefix(costs, cap_left)
    settled = min(by_balance, by_cap)
    pause = None
    if settled < len(rows):
        pause = PauseReason.CAP if by_cap < by_balance else PauseReason.BALANCE
    prefix = rows[:settled]
    return Settlement(
        settled=settled,
        cost=sum(costs[:settled]),
        completed=sum(r.status is RowStatus.COMPLETED for r in prefix),
        not_found=sum(r.status is RowStatus.NOT_FOUND for r in prefix),
        failed=sum(r.status is RowStatus.FAILED for r in prefix),
        skipped=sum(r.status is RowStatus.SKIPPED for r in prefix),
        parked=len(rows) - settled,
        pause=pause,
        found=dict(Counter(name for row in prefix for name in row.found)),
        lookups=dict(Counter(how for row in prefix for how in row.lookups.values())),
    )


def park_everything(rows: Sequence[RowResult]) -> Settlement:
    """The settlement of a part that arrives for a paused batch: every row parked, no cost."""
    return Settlement(0, 0, 0, 0, 0, 0, parked=len(rows), pause=PauseReason.PAUSED)
