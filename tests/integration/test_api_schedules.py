"""/v1/schedules through Chalice's test client on moto, and the tick starting a due one once."""

from __future__ import annotations

from chalicelib.keys import source_key
from chalicelib.services.lifecycle import tick
from chalicelib.services.ports import Clock
from tests.api_client import Http, error
from tests.conftest import Aws
from tests.csvs import leads

HOURLY = {"name": "Hourly CRM", "cron": "5 * * * *", "timezone": "Europe/Paris",
          "source_key": "crm/leads.csv", "options": {"dedupe": True}}


def test_a_schedule_is_created_listed_changed_paused_and_deleted(aws: Aws, http: Http) -> None:
    key = aws.tenant(100).api_key
    created = http.post_json("/v1/schedules", key, HOURLY)
    assert created.status == 201, created.raw
    schedule = created.json()
    assert schedule["next_run_at"].endswith(":05:00Z") and schedule["last_runs"] == []
    assert [s["schedule_id"] for s in http.get("/v1/schedules", key).json()["schedules"]] == [
        schedule["schedule_id"]]

    path = f"/v1/schedules/{schedule['schedule_id']}"
    rated = http.send("PATCH", path, key, {"rate_minutes": 30})
    assert rated.status == 200 and (rated.json()["cron"], rated.json()["rate_minutes"]) == (None, 30)
    paused = http.send("PATCH", path, key, {"paused": True}).json()
    assert paused["paused"] and paused["next_run_at"] is None
    error(http.send("PATCH", path, key, {"timezone": "Mars/Olympus"}), 422)
    assert http.call("DELETE", path, key).status == 204
    error(http.get(path, key), 404)


def test_bad_schedules_say_what_to_fix(aws: Aws, http: Http) -> None:
    key = aws.tenant(100).api_key
    for body in ({**HOURLY, "cron": "61 * * * *"}, {**HOURLY, "rate_minutes": 5},
                 {k: v for k, v in HOURLY.items() if k != "cron"}, {**HOURLY, "timezone": "Nowhere"},
                 {**HOURLY, "source_key": "/etc/passwd"}, {**HOURLY, "options": {"mode": "turbo"}},
                 {**HOURLY, "options": {"webhook_id": "we_nope"}}):
        error(http.post_json("/v1/schedules", key, body), 422)
    assert http.get("/v1/schedules", key).json()["schedules"] == []


def test_the_tick_starts_a_due_schedule_once_on_dynamodb(aws: Aws, http: Http) -> None:
    tenant = aws.tenant(100)
    aws.ports.blobs.put(source_key(tenant.tenant_id, "crm/leads.csv"), leads(4), "text/csv")
    schedule = http.post_json("/v1/schedules", tenant.api_key, {**HOURLY, "cron": None,
                                                                "rate_minutes": 60}).json()
    later = aws.ports.clock.epoch() + 3601
    aws.ports.clock = Clock(epoch=lambda: later, sleep=lambda _: None)

    started = tick(aws.ports)["scheduled"] + tick(aws.ports)["scheduled"]
    aws.drain()

    assert len(started) == 1
    shown = http.get(f"/v1/schedules/{schedule['schedule_id']}", tenant.api_key).json()
    assert [r["batch_id"] for r in shown["last_runs"]] == started
    assert http.status(tenant.api_key, started[0])["status"] == "completed"
