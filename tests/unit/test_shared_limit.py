"""One vendor rate limit for every worker: leases of a shared schedule, a 429 slows them all."""

from __future__ import annotations

import itertools
import threading

import pytest

from chalicelib.sources.shared_limit import SharedRateLimit
from tests.fakes.rate_limits import InMemoryRateLimits


class Clock:
    """Time that moves only when slept through (per caller: each sleeper's own time)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slots: list[float] = []
        self._local = threading.local()

    def time(self) -> float:
        return getattr(self._local, "now", self.now)

    def sleep(self, seconds: float) -> None:
        self._local.now = self.time() + seconds


def sent_at(limit: SharedRateLimit, clock: Clock, calls: int) -> list[float]:
    """When each of ``calls`` calls in a row may go."""
    times = []
    for _ in range(calls):
        limit.acquire()
        times.append(round(clock.time() - 1000.0, 6))
    return times


def test_two_workers_share_one_schedule_and_never_exceed_the_rate() -> None:
    store, clock = InMemoryRateLimits(), Clock()
    # Two worker processes of one tenant, each with its own lease of 0.25 s at 40/s (10 slots).
    one = SharedRateLimit(store, "t#people", 40, 0.25, clock.time, clock.sleep)
    two = SharedRateLimit(store, "t#people", 40, 0.25, clock.time, clock.sleep)

    times = sorted(sent_at(one, clock, 20) + sent_at(two, clock, 20))

    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) == pytest.approx(0.025)  # 40/s across both, every call in its own slot
    assert times[-1] == pytest.approx(39 * 0.025)  # and no slot left idle in between
    assert store.takes == 4  # one shared write per lease of 10 calls, not one per call


def test_other_tenants_and_sources_have_their_own_schedules() -> None:
    store, clock = InMemoryRateLimits(), Clock()
    first = SharedRateLimit(store, "t1#people", 10, 0.5, clock.time, clock.sleep)
    other = SharedRateLimit(store, "t2#people", 10, 0.5, clock.time, clock.sleep)

    assert sent_at(first, clock, 3) == pytest.approx([0.0, 0.1, 0.2])
    clock._local.now = 1000.0
    assert sent_at(other, clock, 3) == pytest.approx([0.0, 0.1, 0.2])


def test_a_429_seen_by_one_worker_holds_every_worker_until_retry_after() -> None:
    store, clock = InMemoryRateLimits(), Clock()
    seen = SharedRateLimit(store, "t#people", 10, 0.5, clock.time, clock.sleep)
    other = SharedRateLimit(store, "t#people", 10, 0.5, clock.time, clock.sleep)
    seen.acquire()

    seen.hold(2.0)  # the vendor answered 429 with Retry-After: 2

    other.acquire()
    assert clock.time() >= 1002.0  # the other worker's next call waits for it too
    seen.acquire()
    assert clock.time() >= 1002.0


def test_slots_a_worker_leased_but_left_unused_are_not_spent_as_a_burst_later() -> None:
    store, clock = InMemoryRateLimits(), Clock()
    limit = SharedRateLimit(store, "t#people", 10, 1.0, clock.time, clock.sleep)
    sent_at(limit, clock, 2)  # a lease of 10 slots, 2 used
    clock.sleep(5.0)  # the worker was busy elsewhere

    times = sent_at(limit, clock, 3)

    assert [b - a for a, b in itertools.pairwise(times)] == pytest.approx([0.1, 0.1])


def test_threads_of_one_worker_each_get_a_distinct_slot() -> None:
    store, clock = InMemoryRateLimits(), Clock()
    limit = SharedRateLimit(store, "t#people", 20, 0.25, clock.time, clock.sleep)
    waits: list[float] = []
    lock = threading.Lock()

    def call() -> None:
        waited = limit.acquire()
        with lock:
            waits.append(round(waited, 6))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)

    assert sorted(waits) == pytest.approx([n * 0.05 for n in range(8)])


def test_a_caller_that_woke_long_after_its_slot_takes_a_new_one_instead_of_bursting() -> None:
    store, clock = InMemoryRateLimits(), Clock()
    limit = SharedRateLimit(store, "t#people", 10, 1.0, clock.time, clock.sleep)
    sent_at(limit, clock, 1)  # slot 0.0; the lease holds 0.1 … 0.9
    clock._local.now = 1000.05
    overslept = [0.3]  # the process was descheduled: the next sleep lasts 0.3 s longer

    def sleep(seconds: float) -> None:
        clock.sleep(seconds + (overslept.pop() if overslept else 0.0))

    limit._sleep = sleep
    limit.acquire()  # its slot was 0.1; it woke at 0.4, when 0.2 and 0.3 had gone by unused

    # It went at 0.4 on a slot of its lease still due (0.3), not at 0.1's: with the callers
    # late alongside it that would have been four calls at once.
    assert clock.time() - 1000.0 == pytest.approx(0.4)
    assert store.tat["t#people"] == pytest.approx(1001.0)  # the rest of its lease served, no new one
    assert sent_at(limit, clock, 3) == pytest.approx([0.4, 0.5, 0.6])  # 0.2 was skipped, unused


class SlowStore(InMemoryRateLimits):
    """A store whose every take costs its caller a round trip (DynamoDB's, or a loaded emulator's)."""

    def __init__(self, clock: Clock, round_trip: float) -> None:
        super().__init__()
        self._clock = clock
        self._round_trip = round_trip

    def take(self, key: str, count: int, interval: float, now: float) -> float:
        self._clock.sleep(self._round_trip)
        return super().take(key, count, interval, now)


def test_the_next_lease_is_taken_ahead_so_no_caller_waits_for_the_store_round_trip() -> None:
    clock = Clock()
    store = SlowStore(clock, 0.15)
    limit = SharedRateLimit(store, "t#people", 10, 1.0, clock.time, clock.sleep)

    times = sent_at(limit, clock, 20)

    # The first call waits for the first lease (and its first slot, 0.0, has gone by); every
    # later lease is taken while the one before still has slots, so calls go on exactly on
    # schedule (taken only once the last one ran out, the 11th and 21st calls would each wait
    # for the store: 1.05, 2.05).
    assert times == pytest.approx([0.15] + [round(0.1 * n, 6) for n in range(2, 21)])
    assert store.takes == 3
