"""Watching a batch ``batch-enrich run`` started: progress, and an end even when nothing moves.

The watch ends when the batch finished, or paused with nothing in flight. It never waits for
ever: with nothing in flight and no outcome it ends after a short grace (a chunk or a finalize
went to a dead-letter queue), and when something is in flight but nothing moved (no row
settled, no message came or went) for ``stall_seconds`` it ends too; either way it says what
is stuck: the batch's state and what each queue holds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from chalicelib.domain.models import PAUSED_STATUSES, TERMINAL_STATUSES, Batch
from chalicelib.local.eventsource import QueueState
from chalicelib.services.ports import Ports

IDLE_GRACE_SECONDS = 3.0  # nothing in flight and no outcome for this long: stuck
POLL_SECONDS = 0.2


class Runtime(Protocol):
    """What the watch asks the local runtime."""

    def check(self, grace: float = 0.0) -> None:
        """Raise EmulatorFailed when the emulator died."""
        ...

    def idle(self) -> bool:
        """True when nothing runs and every queue is empty."""
        ...

    def queue_states(self) -> list[QueueState]:
        """Every declared queue's messages."""
        ...


@dataclass(frozen=True)
class Watched:
    """How the watch ended: the batch as last read, and what is stuck (None: it did not stall)."""

    batch: Batch
    stuck: str | None = None


Progress = Callable[[Batch], None]


def watch(ports: Ports, runtime: Runtime, batch: Batch, progress: Progress, stall_seconds: float,
          clock: Callable[[], float] = time.monotonic,
          sleep: Callable[[float], None] = time.sleep) -> Watched:
    """Poll the batch until it has an outcome, or until it is stuck (and say why)."""
    moved_at, seen = clock(), None
    while True:
        sleep(POLL_SECONDS)
        runtime.check()  # an emulator that died ends the run at once (EmulatorFailed)
        current = ports.batches.get(batch.tenant_id, batch.batch_id) or batch
        progress(current)
        if current.finished_at is not None:
            return Watched(current)
        queues = runtime.queue_states()
        state = (current.status, current.counts, current.chunks_done, current.total_rows,
                 current.updated_at, tuple(queues))
        if state != seen:
            moved_at, seen = clock(), state
        idle = runtime.idle()
        if idle and (current.status in PAUSED_STATUSES or current.status in TERMINAL_STATUSES):
            return Watched(ports.batches.get(batch.tenant_id, batch.batch_id) or current)
        still = clock() - moved_at
        if (idle and still >= IDLE_GRACE_SECONDS) or still >= stall_seconds:
            return Watched(current, stuck_reason(current, queues, still, idle))


def stuck_reason(batch: Batch, queues: Sequence[QueueState], still: float, idle: bool) -> str:
    """What is stuck, in words: the batch's state and what every queue holds."""
    counts = batch.counts
    total = "?" if batch.total_rows is None else str(batch.total_rows)
    parts = [f"nothing moved for {still:.0f} s with {'nothing' if idle else 'work'} in flight; "
             f"the batch is {batch.status.value} with {counts.settled} of {total} rows settled"]
    for queue in queues:
        if queue.visible or queue.in_flight:
            parts.append(f"the {queue.name} queue holds {queue.visible} waiting and "
                         f"{queue.in_flight} in flight (its handler keeps failing or hangs)")
        if queue.dead:
            parts.append(f"the {queue.name} queue's dead-letter queue holds {queue.dead} "
                         "(they failed on every retry)")
    if len(parts) == 1:
        parts.append("no queue holds a message")
    return "; ".join(parts) + ". Run again with --verbose to see the handlers' errors."
