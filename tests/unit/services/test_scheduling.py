"""Schedules on the fakes: exactly one batch per due time under duplicated and late ticks, one run
after downtime, the source re-read at each run, failures in last_runs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chalicelib.domain.schedules import Schedule, next_due
from chalicelib.keys import source_key
from chalicelib.services.ports import Ports
from chalicelib.services.scheduling import start_due_schedules
from chalicelib.services.tenants import create_tenant
from tests.csvs import leads
from tests.helpers import Ticking, deliver

START = datetime(2026, 3, 28, 23, 0, tzinfo=UTC).timestamp()


@pytest.fixture
def ticking() -> Ticking:
    """The clock of tests/unit/services/conftest.py's ports, started before a DST change."""
    return Ticking(START)



def _schedule(ports: Ports, tenant_id: str, cron: str = "0 * * * *",
              path: str = "daily/leads.csv") -> Schedule:
    now = ports.clock.epoch()
    schedule = Schedule(tenant_id=tenant_id, schedule_id="sc_1", name="Hourly", source_key=path,
                        options={"dedupe": True}, next_run_at=next_due(cron, "Europe/Paris", None, now),
                        created_at="", updated_at="", cron=cron, timezone="Europe/Paris")
    ports.schedules.put_new(schedule)
    return schedule


def _batches(ports: Ports, tenant_id: str) -> list[str]:
    return sorted(b.batch_id for b in ports.batches.page(tenant_id, 100, None)[0])


def test_duplicated_and_late_ticks_start_one_batch_per_due_time(ports: Ports, ticking: Ticking) -> None:
    tenant = create_tenant(ports, "Acme", 10_000)
    ports.blobs.put(source_key(tenant.tenant_id, "daily/leads.csv"), leads(5), "text/csv")
    first = _schedule(ports, tenant.tenant_id)

    assert start_due_schedules(ports) == []  # not due yet
    ticking.at = first.next_run_at + 0.5
    started = start_due_schedules(ports) + start_due_schedules(ports)  # a duplicated tick
    ticking.at += 45 * 60  # a tick three quarters of an hour late: still the same due time
    started += start_due_schedules(ports)
    deliver(ports)

    assert len(started) == 1 and _batches(ports, tenant.tenant_id) == started
    held = ports.schedules.get(tenant.tenant_id, "sc_1")
    assert held is not None and held.next_run_at == first.next_run_at + 3600
    assert [r.batch_id for r in held.runs] == started
    batch = ports.batches.get(tenant.tenant_id, started[0])
    assert batch is not None and batch.origin == "schedule" and batch.dedupe and batch.total_rows == 5


def test_after_downtime_a_schedule_runs_once_then_at_its_next_slot(ports: Ports, ticking: Ticking) -> None:
    tenant = create_tenant(ports, "Acme", 10_000)
    ports.blobs.put(source_key(tenant.tenant_id, "daily/leads.csv"), leads(3), "text/csv")
    first = _schedule(ports, tenant.tenant_id)

    ticking.at = first.next_run_at + 26 * 3600  # a day and two hours of missed slots
    assert len(start_due_schedules(ports)) == 1
    assert start_due_schedules(ports) == []
    held = ports.schedules.get(tenant.tenant_id, "sc_1")
    assert held is not None and held.next_run_at > ticking.at and held.next_run_at - ticking.at <= 3600


def test_the_source_is_read_again_and_a_missing_one_is_a_run_that_says_why(
        ports: Ports, ticking: Ticking) -> None:
    tenant = create_tenant(ports, "Acme", 10_000)
    first = _schedule(ports, tenant.tenant_id)

    ticking.at = first.next_run_at + 1
    assert start_due_schedules(ports) == []
    ports.blobs.put(source_key(tenant.tenant_id, "daily/leads.csv"), leads(7), "text/csv")
    ticking.at += 3600
    [started] = start_due_schedules(ports)
    deliver(ports)

    held = ports.schedules.get(tenant.tenant_id, "sc_1")
    assert held is not None
    assert [(r.batch_id, r.error is not None and "not in your sources/" in r.error) for r in held.runs] == [
        (started, False), (None, True)]
    assert ports.batches.get(tenant.tenant_id, started).total_rows == 7  # type: ignore[union-attr]


def test_a_paused_schedule_never_runs(ports: Ports, ticking: Ticking) -> None:
    tenant = create_tenant(ports, "Acme", 10_000)
    ports.blobs.put(source_key(tenant.tenant_id, "daily/leads.csv"), leads(3), "text/csv")
    first = _schedule(ports, tenant.tenant_id)
    ports.schedules.replace(replace(first, paused=True), first.updated_at)
    ticking.at = first.next_run_at + 1

    assert start_due_schedules(ports) == [] and _batches(ports, tenant.tenant_id) == []


def test_cron_follows_the_time_zone_across_a_daylight_saving_change() -> None:
    before = datetime(2026, 3, 28, 12, 0, tzinfo=UTC).timestamp()
    first = next_due("30 2 * * *", "Europe/Paris", None, before)  # 02:30 does not exist on 29 March
    second = next_due("30 2 * * *", "Europe/Paris", None, first)

    assert datetime.fromtimestamp(first, UTC).isoformat() == "2026-03-29T01:00:00+00:00"  # 03:00, once
    assert datetime.fromtimestamp(second, UTC).isoformat() == "2026-03-30T00:30:00+00:00"
    assert next_due(None, "UTC", 15, 1000.0) == 960 + 900


def test_a_long_name_and_options_that_no_longer_pass_are_a_run_that_says_why(
        ports: Ports, ticking: Ticking) -> None:
    tenant = create_tenant(ports, "Acme", 10_000)
    ports.blobs.put(source_key(tenant.tenant_id, "daily/leads.csv"), leads(2), "text/csv")
    first = _schedule(ports, tenant.tenant_id)
    ports.schedules.replace(replace(first, name="N" * 200), first.updated_at)
    ticking.at = first.next_run_at + 1
    [named] = start_due_schedules(ports)
    held = ports.schedules.get(tenant.tenant_id, "sc_1")
    assert held is not None
    ports.schedules.replace(replace(held, options={"mode": "turbo"}), held.updated_at)
    ticking.at += 3600

    assert start_due_schedules(ports) == []
    batch = ports.batches.get(tenant.tenant_id, named)
    assert batch is not None and len(batch.name) <= 200 and batch.name.endswith("Z")
    held = ports.schedules.get(tenant.tenant_id, "sc_1")
    assert held is not None and held.runs[0].error is not None and "PATCH" in held.runs[0].error
