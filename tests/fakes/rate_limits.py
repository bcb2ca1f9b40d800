"""Shared rate limits in memory: the next free slot per key."""

from __future__ import annotations

import threading


class InMemoryRateLimits:
    """The RateLimits port on a dict."""

    def __init__(self) -> None:
        self.tat: dict[str, float] = {}
        self.takes = 0  # leases handed out (what a worker writes to DynamoDB)
        self._lock = threading.Lock()

    def take(self, key: str, count: int, interval: float, now: float) -> float:
        """Reserve ``count`` slots from the next free one (or from now, when idle)."""
        with self._lock:
            self.takes += 1
            start = max(self.tat.get(key, now), now)
            self.tat[key] = start + count * interval
            return start

    def hold(self, key: str, until: float) -> None:
        """No slot before ``until``; never moves the schedule back."""
        with self._lock:
            self.tat[key] = max(self.tat.get(key, until), until)
