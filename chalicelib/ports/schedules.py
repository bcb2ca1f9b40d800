"""A tenant's schedules, and the due ones across tenants (the tick's sparse index)."""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain.schedules import Run, Schedule


class Schedules(Protocol):
    """Schedules by tenant; ``due`` reads only active schedules whose time has come."""

    def put_new(self, schedule: Schedule) -> None:
        """Store a new schedule (never overwrites one: Conflict)."""

    def get(self, tenant_id: str, schedule_id: str) -> Schedule | None:
        """One of a tenant's schedules, read consistently, or None."""

    def of_tenant(self, tenant_id: str) -> list[Schedule]:
        """Every schedule of a tenant, oldest first."""

    def replace(self, schedule: Schedule, seen_updated_at: str) -> bool:
        """Store a changed schedule if nobody changed it since ``seen_updated_at``."""

    def delete(self, tenant_id: str, schedule_id: str) -> bool:
        """Forget a schedule; False if there was none."""

    def due(self, now: int) -> list[Schedule]:
        """Every active (not paused) schedule whose ``next_run_at`` is at or before ``now``."""

    def advance(self, tenant_id: str, schedule_id: str, due_at: int, next_run_at: int, run: Run) -> bool:
        """Record ``run`` and move the schedule to ``next_run_at``, if it is still due at ``due_at``
        (False: another tick advanced it first)."""
