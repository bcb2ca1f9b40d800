"""Shared rate limits: the schedule of a tenant vendor source's slots, taken in leases."""

from __future__ import annotations

from typing import Protocol


class RateLimits(Protocol):
    """One schedule per key (``{tenant}#{source}``), shared by every worker and sandbox."""

    def take(self, key: str, count: int, interval: float, now: float) -> float:
        """Reserve ``count`` consecutive slots ``interval`` seconds apart; the first one's epoch time.

        The schedule goes on from its next free slot while that is ahead of ``now``, else from
        ``now`` (an idle schedule piles up no credit). Two callers never get the same slot.
        """

    def hold(self, key: str, until: float) -> None:
        """No slot before ``until`` (epoch seconds): moves the schedule on, never back."""
