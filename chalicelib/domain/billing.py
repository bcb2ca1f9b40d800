"""Billing arithmetic: what a chunk costs and how much of it a balance or a cap can settle."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import chain
from operator import attrgetter

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
    """The outcome of settling one part of a chunk: a settled prefix and a parked rest.

    A skipped row costs nothing and waits for nothing: it counts as skipped at once, even in
    the parked rest (which it still travels with). ``parked`` counts the rest's other rows, the
    ones waiting for credits, and ``parked_cost`` what they will cost at most.
    """

    rows: int
    settled: int
    cost: int
    completed: int
    not_found: int
    failed: int
    skipped: int
    parked: int
    parked_cost: int = 0
    pause: PauseReason | None = None
    found: dict[str, int] = field(default_factory=dict)
    lookups: dict[str, int] = field(default_factory=dict)  # the rows' vendor lookups, by how

    @property
    def done(self) -> bool:
        """True when every row of the part settled."""
        return self.settled == self.rows


@dataclass(frozen=True)
class Counted:
    """How a later part's rows were counted when an earlier part parked them."""

    parked: int = 0
    skipped: int = 0
    parked_cost: int = 0


def row_cost(row: RowResult, price: int) -> int:
    """Credits one row costs: its price when matched (the batch's, or its sources'), else nothing."""
    if row.status is not RowStatus.COMPLETED:
        return 0
    return price if row.credits is None else row.credits


def expected_cost(row: RowResult, price: int) -> int:
    """What a row not yet settled will cost: known once enriched, at most the price before."""
    return price if row.status is RowStatus.PENDING else row_cost(row, price)


def counted_before(rows: Sequence[RowResult], price: int) -> Counted:
    """How the rows a resumed part carries were counted when they were parked."""
    waiting = [row for row in rows if row.status is not RowStatus.SKIPPED]
    return Counted(parked=len(waiting), skipped=len(rows) - len(waiting),
                   parked_cost=sum(expected_cost(row, price) for row in waiting))


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
    return _settlement(rows, settled, price, pause, costs)


def park_everything(rows: Sequence[RowResult], price: int) -> Settlement:
    """The settlement of a part that arrives for a paused batch: no cost; its leading skipped
    rows settle (they wait for nothing), the rest is parked."""
    settled = next((n for n, row in enumerate(rows) if row.status is not RowStatus.SKIPPED),
                   len(rows))
    return _settlement(rows, settled, price, PauseReason.PAUSED if settled < len(rows) else None)


def prefix_settlement(rows: Sequence[RowResult], settled: int, price: int,
                      pause: PauseReason | None) -> Settlement:
    """Settle the first ``settled`` rows and park the rest (``pause``: why, None: the batch
    goes on, as when a work invocation ran short of time and hands the rest on)."""
    return _settlement(rows, settled, price, pause)


def _settlement(rows: Sequence[RowResult], settled: int, price: int,
                pause: PauseReason | None, costs: Sequence[int] | None = None) -> Settlement:
    """``costs``: each row's ``row_cost``, when the caller worked them out already."""
    prefix, rest = rows[:settled], rows[settled:]
    # each count by C (Counter over the statuses, found and lookups): a part has up to 500 rows,
    # and a sum a count walked them all in Python once for each
    statuses = Counter(map(_STATUS, prefix))
    waiting = [row for row in rest if row.status is not RowStatus.SKIPPED]
    return Settlement(
        rows=len(rows),
        settled=settled,
        cost=sum(costs[:settled]) if costs is not None else sum(row_cost(row, price) for row in prefix),
        completed=statuses[RowStatus.COMPLETED],
        not_found=statuses[RowStatus.NOT_FOUND],
        failed=statuses[RowStatus.FAILED],
        skipped=statuses[RowStatus.SKIPPED] + len(rest) - len(waiting),
        parked=len(waiting),
        parked_cost=sum(expected_cost(row, price) for row in waiting),
        pause=pause,
        found=dict(Counter(chain.from_iterable(map(_FOUND, prefix)))),
        lookups=dict(Counter(chain.from_iterable(map(dict.values, map(_LOOKUPS, prefix))))),
    )


_STATUS, _FOUND, _LOOKUPS = attrgetter("status"), attrgetter("found"), attrgetter("lookups")
