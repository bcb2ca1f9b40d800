"""Schedules in memory."""

from __future__ import annotations

import threading
from dataclasses import replace

from chalicelib.domain.errors import Conflict
from chalicelib.domain.schedules import MAX_RUNS_KEPT, Run, Schedule


class InMemorySchedules:
    """The Schedules port on a dict (frozen dataclasses: no copies needed)."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], Schedule] = {}
        self._lock = threading.Lock()

    def put_new(self, schedule: Schedule) -> None:
        """Store a new schedule (Conflict if it exists)."""
        with self._lock:
            key = (schedule.tenant_id, schedule.schedule_id)
            if key in self._items:
                raise Conflict(f"A schedule {schedule.schedule_id!r} exists already.")
            self._items[key] = schedule

    def get(self, tenant_id: str, schedule_id: str) -> Schedule | None:
        """One of a tenant's schedules, or None."""
        with self._lock:
            return self._items.get((tenant_id, schedule_id))

    def of_tenant(self, tenant_id: str) -> list[Schedule]:
        """Every schedule of a tenant, oldest first (ids sort by creation)."""
        with self._lock:
            return [s for (t, _), s in sorted(self._items.items()) if t == tenant_id]

    def replace(self, schedule: Schedule, seen_updated_at: str) -> bool:
        """Store a changed schedule if nobody changed it since ``seen_updated_at``."""
        with self._lock:
            key = (schedule.tenant_id, schedule.schedule_id)
            held = self._items.get(key)
            if held is None or held.updated_at != seen_updated_at:
                return False
            self._items[key] = schedule
            return True

    def delete(self, tenant_id: str, schedule_id: str) -> bool:
        """Forget a schedule."""
        with self._lock:
            return self._items.pop((tenant_id, schedule_id), None) is not None

    def due(self, now: int) -> list[Schedule]:
        """Active schedules due at or before ``now``."""
        with self._lock:
            return [s for s in self._items.values() if not s.paused and s.next_run_at <= now]

    def advance(self, tenant_id: str, schedule_id: str, due_at: int, next_run_at: int, run: Run) -> bool:
        """Record the run and the next due time, if still due at ``due_at``."""
        with self._lock:
            held = self._items.get((tenant_id, schedule_id))
            if held is None or held.next_run_at != due_at:
                return False
            runs = (run, *held.runs)[:MAX_RUNS_KEPT]
            self._items[(tenant_id, schedule_id)] = replace(held, next_run_at=next_run_at, runs=runs)
            return True
