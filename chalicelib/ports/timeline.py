"""A batch's timeline: the steps of its life (created, split, paused, resumed …) in order."""

from __future__ import annotations

from typing import Any, Protocol

# One step: batch_id, event_id ("{at}#{step}#{nonce}": sorts by time), step, at, tenant_id and the
# step's details (counts, reasons, balances).
TimelineEvent = dict[str, Any]


class Timeline(Protocol):
    """The steps of each batch."""

    def add(self, event: TimelineEvent) -> None:
        """Keep one step (an event with the same ``event_id`` is replaced)."""

    def events(self, batch_id: str) -> list[TimelineEvent]:
        """Every step of a batch, oldest first."""
