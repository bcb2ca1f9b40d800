"""The settle transaction: chunk part done + batch counters + credit decrement + ledger, or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from chalicelib.domain.billing import Counted, Settlement
from chalicelib.domain.models import Batch, PartRecord
from chalicelib.domain.parts import PartShape

# Parts settled in one transaction at most: two items each, the batch and the balance stay within
# DynamoDB's 100 items a transaction.
MAX_TOGETHER = 40


@dataclass(frozen=True)
class SettleRequest:
    """Everything one settlement writes, decided by the caller from what it last read."""

    batch: Batch
    chunk: int
    part: int
    settlement: Settlement
    record: PartRecord
    prepaid: bool
    before: Counted  # how this part's rows were counted when an earlier part parked them
    now: str
    failure: str | None = None  # the part was given up: the batch must end failed, for this reason
    announce: str | None = None  # the event mark the batch gets if this settlement pauses it
    shape: PartShape | None = None  # recorded on the batch for results.csv's header (None: not known)


class Settlements(Protocol):
    """Writes a settlement all or nothing."""

    def settle(self, req: SettleRequest) -> None:
        """Write it, or raise AlreadySettled, BatchChanged, BalanceChanged or SettleConflict.

        Refused (nothing written) when this part of the chunk settled before, when the batch is
        no longer in a status that may settle (active; paused for a part that parks) or its cap
        changed or would be passed, or when a prepaid balance does not cover the cost.
        """

    def settle_together(self, reqs: list[SettleRequest]) -> None:
        """Write several whole settlements of one batch's distinct chunks all or nothing, or
        raise SettleConflict (whatever refused it: the caller settles them one by one then).

        Refused when any one of them would be refused, or the balance (or the cap) does not
        cover their summed cost.
        """


def settles_whole(req: SettleRequest) -> bool:
    """True when a settlement settles every row it carries, without a pause, a failure or an
    event mark: one the batch's status does not depend on the order of (it may be written
    together with others)."""
    return req.settlement.done and req.settlement.pause is None and not req.failure and not req.announce


def check_together(reqs: list[SettleRequest]) -> None:
    """Refuse settlements that may not be written together: none, another batch's, a chunk
    twice (a transaction touches an item once), or one that does not settle whole (a pause, a
    failure, parked rows: those settle alone, as the batch's status depends on their order)."""
    if not reqs:
        raise ValueError("nothing to settle")
    first = reqs[0].batch
    chunks = {req.chunk for req in reqs}
    whole = all(settles_whole(req) for req in reqs)
    same = all((req.batch.tenant_id, req.batch.batch_id, req.prepaid) ==
               (first.tenant_id, first.batch_id, reqs[0].prepaid) for req in reqs)
    if len(chunks) != len(reqs) or not whole or not same or len(reqs) > MAX_TOGETHER:
        raise ValueError("these settlements cannot be written together")
