"""The settle transaction: chunk part done + batch counters + credit decrement + ledger, or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from chalicelib.domain.billing import Counted, Settlement
from chalicelib.domain.models import Batch, PartRecord
from chalicelib.domain.parts import PartShape


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
