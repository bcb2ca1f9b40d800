"""A scheduled batch starts once per due time on the real adapters (moto): duplicated ticks that
read the schedule before the first one advanced it, a late tick, a tick that died half-way."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.keys import source_key
from chalicelib.services.lifecycle import tick
from chalicelib.services.ports import Clock
from chalicelib.services.scheduling import run_once
from tests.api_client import Http
from tests.conftest import Aws
from tests.csvs import leads

RATE = {"name": "Every hour", "rate_minutes": 60, "source_key": "crm/leads.csv"}


def _due_schedule(aws: Aws, http: Http) -> tuple[str, str, float]:
    """A tenant with its source file and an hourly schedule; the key, the id and its due time."""
    tenant = aws.tenant(100)
    aws.ports.blobs.put(source_key(tenant.tenant_id, "crm/leads.csv"), leads(3), "text/csv")
    created = http.post_json("/v1/schedules", tenant.api_key, RATE)
    assert created.status == 201, created.raw
    held = aws.ports.schedules.get(tenant.tenant_id, created.json()["schedule_id"])
    assert held is not None
    return tenant.api_key, held.schedule_id, float(held.next_run_at)


def _at(aws: Aws, epoch: float) -> None:
    aws.ports.clock = Clock(epoch=lambda: epoch, sleep=lambda _: None)


def _batches(http: Http, key: str) -> list[dict[str, Any]]:
    return list(http.get("/v1/batches", key).json()["batches"])


def test_duplicated_and_late_ticks_start_one_batch(aws: Aws, http: Http) -> None:
    key, schedule_id, due = _due_schedule(aws, http)
    _at(aws, due + 2)
    stale = aws.ports.schedules.due(int(due + 2))  # what a second tick running alongside read

    first = tick(aws.ports)["scheduled"]
    again = [run_once(aws.ports, schedule).batch_id for schedule in stale]  # the duplicate tick
    _at(aws, due + 40 * 60)  # a tick 40 minutes late: the same due time, already run
    late = tick(aws.ports)["scheduled"]
    aws.drain()

    assert len(first) == 1 and again == first and late == []
    assert [b["batch_id"] for b in _batches(http, key)] == first
    shown = http.get(f"/v1/schedules/{schedule_id}", key).json()
    assert [r["batch_id"] for r in shown["last_runs"]] == first
    assert http.status(key, first[0])["status"] == "completed"


def test_a_tick_that_died_after_recording_the_batch_is_finished_by_the_next(
        aws: Aws, http: Http, monkeypatch: pytest.MonkeyPatch) -> None:
    key, schedule_id, due = _due_schedule(aws, http)
    _at(aws, due + 1)
    copy = aws.ports.blobs.copy

    def dies(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("the tick's process died here")

    monkeypatch.setattr(aws.ports.blobs, "copy", dies)
    assert tick(aws.ports)["scheduled"] == []  # logged; the schedule stays due
    monkeypatch.setattr(aws.ports.blobs, "copy", copy)
    _at(aws, due + 61)
    [started] = tick(aws.ports)["scheduled"]
    aws.drain()

    assert [b["batch_id"] for b in _batches(http, key)] == [started]
    assert http.status(key, started)["status"] == "completed"
    shown = http.get(f"/v1/schedules/{schedule_id}", key).json()
    assert [r["batch_id"] for r in shown["last_runs"]] == [started]
    assert shown["next_run_at"] is not None
