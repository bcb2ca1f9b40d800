"""Issue 11 #15: ``batch-enrich run`` never waits for ever; when nothing moves it stops and says
what is stuck (the watch, with a fake runtime and clock: no waiting in the test)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, cast

from chalicelib.domain.models import Batch, BatchCounts, BatchStatus, Mode
from chalicelib.local.eventsource import QueueState
from chalicelib.local.watch import IDLE_GRACE_SECONDS, watch
from chalicelib.services.ports import Ports

BATCH = Batch(tenant_id="t", batch_id="b_1", name="x.csv", status=BatchStatus.PROCESSING,
              mode=Mode.BASIC, entity_type="person", price=1, created_at="c", updated_at="u",
              input_key="k", total_rows=10, counts=BatchCounts(completed=4))


@dataclass
class FakeClock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeRuntime:
    queues: list[QueueState]
    is_idle: bool = False

    def check(self, grace: float = 0.0) -> None:
        return None

    def idle(self) -> bool:
        return self.is_idle

    def queue_states(self) -> list[QueueState]:
        return self.queues


@dataclass
class FakeBatches:
    states: list[Batch]  # what successive reads return (the last one for ever)
    reads: int = 0

    def get(self, tenant_id: str, batch_id: str) -> Batch:
        self.reads += 1
        return self.states[min(self.reads - 1, len(self.states) - 1)]


@dataclass
class FakePorts:
    batches: FakeBatches
    shown: list[Batch] = field(default_factory=list)


def _watch(states: list[Batch], runtime: FakeRuntime, stall: float = 60.0) -> tuple[Any, FakeClock]:
    clock = FakeClock()
    ports = FakePorts(FakeBatches(states))
    watched = watch(cast(Ports, ports), runtime, BATCH, ports.shown.append, stall, clock, clock.sleep)
    return watched, clock


def test_a_finished_batch_ends_the_watch_without_a_stall() -> None:
    done = replace(BATCH, status=BatchStatus.COMPLETED, finished_at="f")

    watched, clock = _watch([BATCH, done], FakeRuntime([]))

    assert watched.batch.finished_at == "f" and watched.stuck is None and clock.now < 1


def test_a_handler_failing_for_ever_ends_after_the_stall_time_naming_its_queue() -> None:
    """The hang of #15: finalize's upload timed out and was retried for ever."""
    finalize = QueueState("finalize", visible=0, in_flight=1, dead=0)

    watched, clock = _watch([BATCH], FakeRuntime([finalize]), stall=120)

    assert 120 <= clock.now < 121
    assert watched.stuck is not None
    assert "finalize queue holds 0 waiting and 1 in flight" in watched.stuck
    assert "4 of 10 rows settled" in watched.stuck


def test_nothing_in_flight_and_no_outcome_ends_after_a_short_grace_naming_the_dead_letters() -> None:
    work = QueueState("work", visible=0, in_flight=0, dead=2)

    watched, clock = _watch([BATCH], FakeRuntime([work], is_idle=True), stall=600)

    assert IDLE_GRACE_SECONDS <= clock.now < IDLE_GRACE_SECONDS + 1
    assert watched.stuck is not None and "dead-letter queue holds 2" in watched.stuck


def test_rows_that_keep_settling_are_never_a_stall() -> None:
    moving = [replace(BATCH, counts=BatchCounts(completed=n)) for n in range(1, 400)]
    done = replace(BATCH, status=BatchStatus.COMPLETED, finished_at="f")

    watched, clock = _watch([*moving, done], FakeRuntime([QueueState("work", 1, 1, 0)]), stall=5)

    assert watched.stuck is None and clock.now > 5  # longer than the stall time, still moving


def test_a_paused_batch_with_nothing_in_flight_ends_as_paused() -> None:
    paused = replace(BATCH, status=BatchStatus.PAUSED_INSUFFICIENT_CREDITS)

    watched, _ = _watch([paused], FakeRuntime([], is_idle=True))

    assert watched.batch.status is BatchStatus.PAUSED_INSUFFICIENT_CREDITS and watched.stuck is None
