"""The console's doors: webhooks (secret once, a batch's deliveries, send again), schedules, the
drop folder, and batches awaiting their presigned upload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import webhook_receiver
from tests.api_client import Http
from tests.browser.console import Console, people_csv
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.browser


def test_an_endpoint_added_on_the_page_shows_its_secret_once_and_a_batch_logs_its_deliveries(
    console: Console, api: Http, tenant: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(webhook_receiver, "PORTS", range(8186, 8190))  # the console's share of ports
    key, page = tenant["api_key"], console.page
    console.open(key)
    page.get_by_role("link", name="Webhooks").click()
    page.wait_for_selector("#webhook-list[aria-busy=false]")

    page.get_by_label("URL").fill("ftp://files.example.com/in")  # the API's message, as it says it
    page.get_by_role("button", name="Add the endpoint").click()
    shown = console.alert()
    refused = api.post_json("/v1/webhooks", key, {"url": "ftp://files.example.com/in",
                                                  "events": ["batch.completed"]})
    assert refused.status == 422 and shown == refused.json()["message"]

    with Receiver(500, 200) as receiver:  # the first attempt fails, the next succeeds
        page.get_by_label("URL").fill(receiver.url)
        page.get_by_label("Description").fill("CRM hook")
        page.get_by_role("button", name="Add the endpoint").click()
        receiver.secret = page.inner_text("#secret-value")
        assert receiver.secret.startswith("whsec_")
        listed = api.get("/v1/webhooks", key).json()["webhooks"]
        assert len(listed) == 1 and "secret" not in listed[0]
        page.wait_for_selector(f"[data-webhook='{listed[0]['webhook_id']}']")
        console.shoot("webhooks-secret")
        page.get_by_role("link", name="Schedules").click()
        page.get_by_role("link", name="Webhooks").click()
        page.wait_for_selector("#webhook-list[aria-busy=false]")
        assert receiver.secret not in console.text()  # shown once, never again

        console.new_batch(people_csv(tmp_path, 10))
        page.get_by_text("Options: mode, entity type, limits").click()
        page.get_by_label("Webhook endpoint").select_option(label="CRM hook")
        console.checked()
        page.get_by_role("button", name="Start batch").click()
        console.wait_status("completed")
        page.wait_for_selector("[data-delivery][data-status='pending'] .attempts li")
        assert "HTTP 500" in page.inner_text("#deliveries")
        page.get_by_role("button", name="Send again").click()
        page.wait_for_selector("[data-delivery][data-status='succeeded']")
        arrived = receiver.wait_for(2, timeout=10)
        assert [r.answered for r in arrived] == [500, 200]
        assert arrived[-1].event is not None and arrived[-1].event["type"] == "batch.completed"
        console.shoot("batch-deliveries")


def test_a_schedule_is_added_paused_and_deleted_from_the_page(
    console: Console, api: Http, tenant: dict[str, Any],
) -> None:
    key, page = tenant["api_key"], console.page
    console.open(key)
    page.get_by_role("link", name="Schedules").click()
    page.wait_for_selector("#schedule-list[aria-busy=false]")
    page.get_by_label("Name").fill("Nightly CRM")
    page.get_by_label("File under your sources/ folder").fill("crm/leads.csv")
    page.get_by_label("Cron (5 fields)").fill("0 7 30 2 *")  # 30 February never comes
    page.get_by_role("button", name="Add the schedule").click()
    shown = console.alert()
    refused = api.post_json("/v1/schedules", key, {"name": "Nightly CRM", "source_key": "crm/leads.csv",
                                                   "cron": "0 7 30 2 *", "timezone": "UTC"})
    assert refused.status == 422 and shown == refused.json()["message"]

    page.get_by_label("Cron (5 fields)").fill("0 7 * * 1-5")
    page.get_by_label("Time zone").fill("Europe/Paris")
    page.get_by_role("button", name="Add the schedule").click()
    page.wait_for_selector("[data-schedule]")
    made = api.get("/v1/schedules", key).json()["schedules"]
    assert len(made) == 1 and made[0]["timezone"] == "Europe/Paris" and made[0]["next_run_at"]
    card = f"[data-schedule='{made[0]['schedule_id']}']"
    assert "0 7 * * 1-5 (Europe/Paris)" in page.inner_text(card)
    console.shoot("schedules")

    page.get_by_role("button", name="Pause the schedule").click()
    page.wait_for_selector(f"{card} [data-next]:has-text('paused')")
    assert api.get("/v1/schedules", key).json()["schedules"][0]["paused"] is True
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    page.wait_for_selector("#schedule-list .empty")
    assert api.get("/v1/schedules", key).json()["schedules"] == []


def test_a_batch_awaiting_its_upload_is_listed_and_shown_and_the_drop_folder_says_where(
    console: Console, api: Http, tenant: dict[str, Any],
) -> None:
    key, page = tenant["api_key"], console.page
    made = api.post_json("/v1/uploads", key, {"filename": "big.csv", "size": 1000, "name": "Big file"})
    assert made.status == 201 and made.json()["status"] == "awaiting_upload"
    console.open(key)
    page.get_by_label("Status").select_option("awaiting_upload")
    page.wait_for_selector(f"[data-batch='{made.json()['batch_id']}'] [data-status='awaiting_upload']")
    page.get_by_role("link", name="Big file").click()
    console.wait_status("awaiting_upload")
    assert "Waiting for the file" in page.inner_text("#progress-line")

    page.get_by_role("link", name="Drop folder").click()
    assert "inbox/" in console.text() and "outbox/" in console.text()
    console.shoot("drop-folder")
