"""The RateLimits port: disjoint leases of one schedule, holds that never move it back (fake and adapter)."""

from __future__ import annotations

import pytest

from chalicelib.services.ports import Ports
from chalicelib.sources.shared_limit import SharedRateLimit

KEY = "t_1#people"


def test_leases_are_consecutive_while_busy_and_restart_at_now_when_idle(ports: Ports) -> None:
    store = ports.rate_limits

    first = store.take(KEY, 10, 0.025, now=100.0)  # a new source: its schedule starts now
    second = store.take(KEY, 10, 0.025, now=100.01)  # another worker, while the first lease runs
    later = store.take(KEY, 10, 0.025, now=200.0)  # idle since: no credit piled up

    assert (first, second, later) == pytest.approx((100.0, 100.25, 200.0))


def test_a_hold_moves_the_schedule_past_retry_after_but_never_back(ports: Ports) -> None:
    store = ports.rate_limits
    store.take(KEY, 40, 0.025, now=100.0)  # slots up to 101.0 are taken

    store.hold(KEY, until=100.5)  # an earlier hold than the schedule: ignored
    assert store.take(KEY, 1, 0.025, now=100.0) == pytest.approx(101.0)
    store.hold(KEY, until=105.0)  # a 429 with Retry-After: 4
    assert store.take(KEY, 1, 0.025, now=101.0) == pytest.approx(105.0)


def test_workers_of_one_tenant_source_never_share_a_slot(ports: Ports) -> None:
    now = [100.0]
    workers = [SharedRateLimit(ports.rate_limits, KEY, 40, 0.25, lambda: now[0], lambda _: None)
               for _ in range(3)]
    slots: list[float] = []
    for round_no in range(12):  # the workers take turns; each records the slot it was given
        worker = workers[round_no % 3]
        for _ in range(5):
            before = now[0]
            waited = worker.acquire()
            slots.append(before + waited)

    assert len(set(round(s, 6) for s in slots)) == len(slots) == 60
    gaps = sorted(b - a for a, b in zip(sorted(slots), sorted(slots)[1:], strict=False))
    assert gaps[0] == pytest.approx(0.025)
