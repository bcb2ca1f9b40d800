"""Scheduled batches: the tick starts every due schedule exactly once per due time.

Each due time is claimed with a conditional write (a marker ``sched#{tenant}#{id}#{due}`` naming
the batch id), so a duplicated or late tick finds the claim and starts nothing more; a tick that
died after the claim finds the batch id there and finishes the start. The schedule then moves to
its first due time after now (a conditional update on the due time it ran): after downtime it
runs once, not once per missed slot. The source file (``sources/{tenant}/…``) is read again at
each run and copied to the batch's input; whatever stops a run (the file is missing, the options
or the balance no longer pass) is the run's ``error`` in ``last_runs``.
"""

from __future__ import annotations

from pydantic import ValidationError

from chalicelib.domain.errors import Conflict, DomainError, InvalidRequest, NotFound
from chalicelib.domain.limits import MAX_NAME_CHARS
from chalicelib.domain.models import Batch
from chalicelib.domain.options import BatchOptions
from chalicelib.domain.schedules import Run, Schedule, iso, next_due
from chalicelib.keys import source_key
from chalicelib.observability import correlated, logger
from chalicelib.services.batches import new_batch_id, record_batch
from chalicelib.services.ports import Ports
from chalicelib.services.uploads import check_can_start

CLAIM_TTL_SECONDS = 30 * 86400


def start_due_schedules(ports: Ports) -> list[str]:
    """The tick's part: run every due schedule once for its due time; the batch ids started.

    A schedule whose run fails unexpectedly (an AWS error) stays due and is taken again by the
    next tick (its claim keeps that due time to one batch); the other schedules go on.
    """
    now = int(ports.clock.epoch())
    started = []
    for schedule in ports.schedules.due(now):
        with correlated(tenant_id=schedule.tenant_id):
            try:
                run = run_once(ports, schedule)
                after = next_due(schedule.cron, schedule.timezone, schedule.rate_minutes, now)
                ports.schedules.advance(schedule.tenant_id, schedule.schedule_id,
                                        schedule.next_run_at, after, run)
            except Exception:  # logged; the schedule is still due for the next tick
                logger.exception("schedule run failed", extra={"schedule_id": schedule.schedule_id})
                continue
        if run.batch_id is not None:
            started.append(run.batch_id)
    return started


def run_once(ports: Ports, schedule: Schedule) -> Run:
    """The batch of this due time: started now, or found (a duplicated or earlier tick started it)."""
    due = schedule.next_run_at
    now = int(ports.clock.epoch())
    marker = f"sched#{schedule.tenant_id}#{schedule.schedule_id}#{due}"
    batch_id = new_batch_id(ports.clock.epoch())
    if not ports.markers.put_once(marker, {"batch_id": batch_id}, now + CLAIM_TTL_SECONDS, now):
        claimed = ports.markers.get(marker)
        batch_id = str(claimed["batch_id"]) if claimed else batch_id
    at = ports.clock.now()
    source = source_key(schedule.tenant_id, schedule.source_key)
    started = ports.batches.get(schedule.tenant_id, batch_id)
    if started is None:
        try:
            started = _record(ports, schedule, source, batch_id)
        except Conflict:  # a tick running at the same moment recorded this due time's batch first
            started = ports.batches.get(schedule.tenant_id, batch_id)
        except DomainError as error:  # the source, the options or the balance stop this run
            return Run(due, at, error=error.message)
    if started is not None and not ports.blobs.exists(started.input_key):  # a tick may have died
        ports.blobs.copy(source, started.input_key)  # the input's S3 event starts the split
    return Run(due, at, batch_id)


def _record(ports: Ports, schedule: Schedule, source: str, batch_id: str) -> Batch:
    """Record this due time's batch, as a create with the schedule's options would."""
    if not ports.blobs.exists(source):
        raise NotFound(f"The source file {schedule.source_key!r} is not in your sources/ folder; "
                       "nothing was started.")
    check_can_start(ports, schedule.tenant_id)
    name = f"{schedule.name[:MAX_NAME_CHARS - 21]} {iso(schedule.next_run_at)}"
    try:
        options = BatchOptions.model_validate({**schedule.options, "name": name})
    except ValidationError as exc:  # stored under older rules that no longer pass
        raise InvalidRequest(f"The schedule's options are no longer valid: {exc.errors()[0]['msg']}; "
                             "change them with PATCH.") from exc
    batch = record_batch(ports, schedule.tenant_id, source.rsplit("/", 1)[-1], options,
                         batch_id=batch_id, origin="schedule")
    logger.info("schedule started a batch", extra={"schedule_id": schedule.schedule_id,
                                                    "batch_id": batch_id, "due_at": schedule.next_run_at})
    return batch
