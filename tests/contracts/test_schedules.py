"""The Schedules port: schedules by tenant, only the due and active ones to the tick, one advance
per due time, optimistic changes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.domain.errors import Conflict
from chalicelib.domain.schedules import MAX_RUNS_KEPT, Run, Schedule
from chalicelib.services.ports import Ports
from tests.contracts.conftest import NOW

DUE = 1_800_000_000


def _schedule(tenant_id: str, schedule_id: str, next_run_at: int = DUE, paused: bool = False) -> Schedule:
    return Schedule(tenant_id=tenant_id, schedule_id=schedule_id, name="Hourly", source_key="crm/a.csv",
                    options={"dedupe": True}, next_run_at=next_run_at, created_at=NOW, updated_at=NOW,
                    cron="0 * * * *", timezone="Europe/Paris", paused=paused)


def test_schedules_are_kept_per_tenant_and_never_overwritten(ports: Ports) -> None:
    first, second = _schedule("t_a", "sc_01"), _schedule("t_a", "sc_02")
    for schedule in (first, second, _schedule("t_b", "sc_03")):
        ports.schedules.put_new(schedule)

    with pytest.raises(Conflict):
        ports.schedules.put_new(replace(first, name="Other"))
    assert ports.schedules.get("t_a", "sc_01") == first
    assert ports.schedules.get("t_b", "sc_01") is None  # another tenant's id is nobody's
    assert ports.schedules.of_tenant("t_a") == [first, second]
    assert ports.schedules.delete("t_a", "sc_02") and not ports.schedules.delete("t_a", "sc_02")


def test_only_active_schedules_whose_time_came_are_due(ports: Ports) -> None:
    ports.schedules.put_new(_schedule("t_a", "sc_01", DUE))
    ports.schedules.put_new(_schedule("t_a", "sc_02", DUE + 60))
    ports.schedules.put_new(_schedule("t_b", "sc_03", DUE - 3600, paused=True))

    assert ports.schedules.due(DUE - 1) == []
    assert [s.schedule_id for s in ports.schedules.due(DUE)] == ["sc_01"]
    assert sorted(s.schedule_id for s in ports.schedules.due(DUE + 86_400)) == ["sc_01", "sc_02"]


def test_a_due_time_advances_once_and_keeps_the_last_runs(ports: Ports) -> None:
    ports.schedules.put_new(_schedule("t_a", "sc_01", DUE))

    assert ports.schedules.advance("t_a", "sc_01", DUE, DUE + 3600, Run(DUE, NOW, "b_01"))
    assert not ports.schedules.advance("t_a", "sc_01", DUE, DUE + 7200, Run(DUE, NOW, "b_02"))
    for n in range(1, MAX_RUNS_KEPT + 2):
        due = DUE + 3600 * n
        assert ports.schedules.advance("t_a", "sc_01", due, due + 3600, Run(due, NOW, error="missing"))

    held = ports.schedules.get("t_a", "sc_01")
    assert held is not None and held.next_run_at == DUE + 3600 * (MAX_RUNS_KEPT + 2)
    assert len(held.runs) == MAX_RUNS_KEPT and held.runs[0].due_at == DUE + 3600 * (MAX_RUNS_KEPT + 1)
    assert not ports.schedules.advance("t_a", "sc_nope", DUE, DUE + 60, Run(DUE, NOW))


def test_a_change_applies_only_over_what_was_read(ports: Ports) -> None:
    schedule = _schedule("t_a", "sc_01")
    ports.schedules.put_new(schedule)
    changed = replace(schedule, paused=True, updated_at="2025-11-01T00:00:00.000+00:00")

    assert ports.schedules.replace(changed, schedule.updated_at)
    assert not ports.schedules.replace(replace(schedule, name="Stale"), schedule.updated_at)
    assert ports.schedules.get("t_a", "sc_01") == changed
    assert ports.schedules.due(DUE + 1) == []  # paused: out of the due index
