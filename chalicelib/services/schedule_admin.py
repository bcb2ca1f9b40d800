"""A tenant's schedules through the API: create, change, pause, delete (the tick runs them)."""

from __future__ import annotations

import secrets
from dataclasses import replace

from pydantic import ValidationError

from chalicelib.domain.errors import Conflict, InvalidRequest, NotFound
from chalicelib.domain.schedules import Schedule, ScheduleCreate, SchedulePatch, next_due
from chalicelib.services.ports import Ports
from chalicelib.services.webhook_endpoints import check_batch_target

MAX_SCHEDULES = 50  # per tenant


def create_schedule(ports: Ports, tenant_id: str, request: ScheduleCreate) -> Schedule:
    """Store a schedule due at its first time after now."""
    check_batch_target(ports, tenant_id, request.options.webhook_id, request.options.webhook_url)
    if len(ports.schedules.of_tenant(tenant_id)) >= MAX_SCHEDULES:
        raise Conflict(f"A tenant has at most {MAX_SCHEDULES} schedules; delete one first.")
    now = ports.clock.now()
    epoch = ports.clock.epoch()
    schedule = Schedule(
        tenant_id=tenant_id, schedule_id=f"sc_{int(epoch * 1000):012x}{secrets.token_hex(4)}",
        name=request.name, source_key=request.source_key,
        options=request.options.model_dump(exclude_defaults=True),
        next_run_at=next_due(request.cron, request.timezone, request.rate_minutes, epoch),
        created_at=now, updated_at=now, cron=request.cron, timezone=request.timezone,
        rate_minutes=request.rate_minutes, paused=request.paused)
    ports.schedules.put_new(schedule)
    return schedule


def get_schedule(ports: Ports, tenant_id: str, schedule_id: str) -> Schedule:
    """One of the tenant's schedules, or 404."""
    found = ports.schedules.get(tenant_id, schedule_id)
    if found is None:
        raise NotFound(f"No schedule {schedule_id!r}.")
    return found


def patch_schedule(ports: Ports, tenant_id: str, schedule_id: str, body: SchedulePatch) -> Schedule:
    """Change a schedule (the whole of it is checked again); its next run is computed anew."""
    held = get_schedule(ports, tenant_id, schedule_id)
    patch = body.changes()
    current = {"name": held.name, "cron": held.cron, "timezone": held.timezone,
               "rate_minutes": held.rate_minutes, "source_key": held.source_key,
               "options": held.options, "paused": held.paused}
    if "cron" in patch and patch["cron"] is not None:
        current["rate_minutes"] = None
    if "rate_minutes" in patch and patch["rate_minutes"] is not None:
        current["cron"] = None
    try:
        request = ScheduleCreate.model_validate({**current, **patch})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
                             for e in exc.errors(include_url=False))
        raise InvalidRequest(f"The schedule would not be valid: {problems}.") from exc
    check_batch_target(ports, tenant_id, request.options.webhook_id, request.options.webhook_url)
    epoch = ports.clock.epoch()
    changed = replace(
        held, name=request.name, cron=request.cron, timezone=request.timezone,
        rate_minutes=request.rate_minutes, source_key=request.source_key,
        options=request.options.model_dump(exclude_defaults=True), paused=request.paused,
        next_run_at=next_due(request.cron, request.timezone, request.rate_minutes, epoch),
        updated_at=ports.clock.now())
    if not ports.schedules.replace(changed, held.updated_at):
        raise Conflict("The schedule changed meanwhile (a run or another change); read it and retry.")
    return changed


def delete_schedule(ports: Ports, tenant_id: str, schedule_id: str) -> None:
    """Forget a schedule (its batches stay)."""
    if not ports.schedules.delete(tenant_id, schedule_id):
        raise NotFound(f"No schedule {schedule_id!r}.")
