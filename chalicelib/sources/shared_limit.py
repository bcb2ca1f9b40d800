"""A vendor's rate limit shared by every worker process and Lambda sandbox of a tenant.

The schedule of slots lives in a store (DynamoDB: ``adapters/rate_limits.py``); a process
takes a short *lease* of consecutive slots at a time (``lease_seconds`` of the rate) and hands
them to its threads in order, each thread sleeping until its slot. A 429 moves the shared
schedule past the vendor's ``Retry-After``: every worker's next lease starts after it, and this
process drops what it still holds.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable

from chalicelib.ports.rate_limits import RateLimits
from chalicelib.sources.slot_counts import SLOTS

# How often a caller that woke too late for its slot asks for another before it goes anyway.
_LATE_RETRIES = 3


class SharedRateLimit:
    """``RateLimit`` over a shared schedule, taken in leases (thread-safe).

    The next lease is taken while the current one still has slots to hand out (one caller takes
    it, outside the lock, the others go on with the slots left): a lease taken only once the
    last one ran out starts where the schedule stood before the store's round trip, so its first
    slots were already in the past when it arrived, and were skipped.
    """

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
        self._spare: tuple[float, int] | None = None  # the lease taken ahead
        self._taking = False  # a caller is taking a lease from the store
        self._round_trip = 0.0  # how long taking a lease took lately (moving average)
        self._held_until = 0.0
        self._ready = threading.Condition()

    def acquire(self) -> float:
        """Wait for this caller's slot; return how long it waited."""
        waited = 0.0
        for attempt in range(_LATE_RETRIES + 1):
            slot = self._slot()
            now = self._clock()
            if slot > now:
                self._sleep(slot - now)
                waited += slot - now
            with self._ready:
                held = slot < self._held_until  # a 429 arrived while this caller waited
            # A caller that woke well after its slot (the process was descheduled, a pause)
            # takes a new one: callers late together would otherwise reach the vendor together.
            late = self._clock() - slot > self._interval and attempt < _LATE_RETRIES
            if not held and not late:
                break
            SLOTS.add(late=int(late))
        SLOTS.add(used=1)
        return waited

    def _slot(self) -> float:
        """The caller's slot: the next of the lease (taking the next lease ahead when it is due,
        on a thread of its own, or at once when none is left)."""
        while True:
            with self._ready:
                now = self._clock()
                self._skip(now)
                if self._left == 0 and self._spare is not None:
                    (self._next, self._left), self._spare = self._spare, None
                    continue
                if self._left:
                    slot = self._next
                    self._next += self._interval
                    self._left -= 1
                    if self._due(now):
                        self._taking = True
                        context = contextvars.copy_context()  # its log ids, traces
                        threading.Thread(target=context.run, args=(self._take,), daemon=True,
                                         name="rate-lease").start()
                    return slot
                if self._taking:  # another caller is taking one: wait for it
                    self._ready.wait(1.0)
                    continue
                self._taking = True
            self._take()

    def _skip(self, now: float) -> None:
        """Skip the slots left in the past (or inside a hold): never used late, as several of
        them at once would be a burst the vendor never agreed to."""
        while self._left and self._next < max(now - self._interval, self._held_until):
            self._next += self._interval
            self._left -= 1
            SLOTS.add(skipped=1)

    def _due(self, now: float) -> bool:
        """Whether to take the next lease now: the slots left end within two round trips."""
        ends = self._next + self._left * self._interval
        return (not self._taking and self._spare is None
                and ends - now < 2 * self._round_trip + self._interval)

    def _take(self) -> None:
        """Take a lease from the store (the caller set ``_taking``): the current one if none is
        left, else the spare. The schedule is asked for slots from a round trip on."""
        started = self._clock()
        first: float | None = None
        try:
            first = self._store.take(self._key, self._lease, self._interval,
                                     started + self._round_trip)
        finally:
            took = self._clock() - started
            with self._ready:
                self._taking = False
                if first is not None:
                    self._round_trip = (took if not self._round_trip
                                        else 0.7 * self._round_trip + 0.3 * took)
                    if self._left:
                        self._spare = (first, self._lease)
                    else:
                        self._next, self._left = first, self._lease
                self._ready.notify_all()
        SLOTS.leased_in(took, self._lease)

    def hold(self, seconds: float) -> None:
        """Every worker waits ``seconds`` (from now) before its next call."""
        until = self._clock() + seconds
        with self._ready:
            self._held_until = max(self._held_until, until)
            self._left = 0  # what this process still holds may fall inside the hold
            self._spare = None
        self._store.hold(self._key, until)
