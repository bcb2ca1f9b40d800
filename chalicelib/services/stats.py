"""GET /v1/admin/stats: what an operator looks at while batches run, read live.

- open batches by status, from the sparse attention index the tick reads (finished batches
  are not in it; the dashboard's BatchesCompleted/Failed/Cancelled metrics count those);
- rows settled per second over the last minute: every settlement's rows count in the counter
  of the 10-second window it settled in (a marker that expires after an hour); a work
  invocation adds them up and writes each window's counter once, at its end (one UpdateItem
  per invocation instead of one per part); the rate is the six whole windows before the
  current one, divided by 60;
- each queue's and each DLQ's visible messages, as SQS reports them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from chalicelib import topology
from chalicelib.services.ports import Ports

WINDOW_SECONDS = 10
WINDOWS = 6  # one minute
_KEEP_SECONDS = 3600


def _window_marker(window: int) -> str:
    return f"stats#rows#{window}"


def window_now(ports: Ports) -> int:
    """The 10-second window a settlement made now counts in."""
    return int(ports.clock.epoch() // WINDOW_SECONDS)


def count_settled_rows(ports: Ports, window: int, rows: int) -> None:
    """Add rows settled in ``window`` to its counter (one UpdateItem; never a batch's key)."""
    if rows:
        ports.markers.add(_window_marker(window), rows, (window + 1) * WINDOW_SECONDS + _KEEP_SECONDS)


def rows_per_second(ports: Ports) -> float:
    """Rows settled per second over the six whole 10-second windows before this one."""
    current = int(ports.clock.epoch() // WINDOW_SECONDS)
    total = 0
    for window in range(current - WINDOWS, current):
        held = ports.markers.get(_window_marker(window))
        total += int(held.get("hits", 0)) if held else 0
    return round(total / (WINDOWS * WINDOW_SECONDS), 2)


def service_stats(ports: Ports) -> dict[str, Any]:
    """Open batches by status, rows per second over the last minute, queue and DLQ depths."""
    open_batches = ports.batches.needing_attention()
    by_status = Counter(batch.status.value for batch in open_batches)
    return {
        "at": ports.clock.now(),
        "open_batches": {"total": len(open_batches), "by_status": dict(sorted(by_status.items()))},
        "rows_per_second": rows_per_second(ports),
        "queues": {spec.name: ports.queue.depth(ports.settings.name(spec.name)) for spec in topology.QUEUES},
        "dead_letters": {spec.name: ports.queue.depth(ports.settings.name(spec.dlq_name))
                         for spec in topology.QUEUES},
    }
