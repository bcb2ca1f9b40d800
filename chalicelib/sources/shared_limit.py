"""A vendor's rate limit shared by every worker process and Lambda sandbox of a tenant.

The schedule of slots lives in a store (DynamoDB: ``adapters/rate_limits.py``); a process
takes a short *lease* of consecutive slots at a time (``lease_seconds`` of the rate) and hands
them to its threads in order, each thread sleeping until its slot. A 429 moves the shared
schedule past the vendor's ``Retry-After``: every worker's next lease starts after it, and this
process drops what it still holds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from chalicelib.ports.rate_limits import RateLimits

# How often a caller that woke too late for its slot asks for another before it goes anyway.
_LATE_RETRIES = 3


class SharedRateLimit:
    """``RateLimit`` over a shared schedule, taken in leases (thread-safe)."""

    def __init__(self, store: RateLimits, key: str, rate: float, lease_seconds: float,
                 clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self._store = store
        self._key = key
        self._interval = 1.0 / rate
        # Small leases: a lease's slots are lost if its process stops needing them.
        self._lease = max(1, int(rate * lease_seconds))
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._left = 0
        self._held_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for this caller's slot; return how long it waited."""
        waited = 0.0
        for attempt in range(_LATE_RETRIES + 1):
            with self._lock:
                now = self._clock()
                # Slots of the lease left in the past (or inside a hold) are skipped, never used
                # late: several of them at once would be a burst the vendor never agreed to.
                while self._left and self._next < max(now - self._interval, self._held_until):
                    self._next += self._interval
                    self._left -= 1
                if self._left == 0:
                    self._next = self._store.take(self._key, self._lease, self._interval, now)
                    self._left = self._lease
                    now = self._clock()
                slot = self._next
                self._next += self._interval
                self._left -= 1
            if slot > now:
                self._sleep(slot - now)
                waited += slot - now
            with self._lock:
                held = slot < self._held_until  # a 429 arrived while this caller waited
            # A caller that woke well after its slot (the process was descheduled, a pause)
            # takes a new one: callers late together would otherwise reach the vendor together.
            late = self._clock() - slot > self._interval and attempt < _LATE_RETRIES
            if not held and not late:
                return waited
        return waited

    def hold(self, seconds: float) -> None:
        """Every worker waits ``seconds`` (from now) before its next call."""
        until = self._clock() + seconds
        with self._lock:
            self._held_until = max(self._held_until, until)
            self._left = 0  # what this process still holds may fall inside the hold
        self._store.hold(self._key, until)
