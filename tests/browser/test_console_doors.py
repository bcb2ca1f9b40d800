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

        old_secret = receiver.secret  # a new secret, shown once; the old one still signs a while
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="New secret for CRM hook").click()
        page.wait_for_selector("[data-grace]")
        receiver.secret = page.inner_text("#secret-value")
        assert receiver.secret.startswith("whsec_") and receiver.secret != old_secret
        assert old_secret not in console.text()
        hint = api.get("/v1/webhooks", key).json()["webhooks"][0]["secret_hint"]
        assert page.inner_text("[data-secret-hint]") == hint
        console.shoot("webhooks-rotated")

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
    page.get_by_label("Mode").select_option("advanced")
    page.get_by_label("Credit cap per run").fill("500")
    page.get_by_label("Resume by itself after a top-up").uncheck()
    page.get_by_role("button", name="Add the schedule").click()
    page.wait_for_selector("[data-schedule]")
    made = api.get("/v1/schedules", key).json()["schedules"]
    assert len(made) == 1 and made[0]["timezone"] == "Europe/Paris" and made[0]["next_run_at"]
    assert made[0]["options"] == {"mode": "advanced", "max_credits": 500, "auto_resume": False}
    card = f"[data-schedule='{made[0]['schedule_id']}']"
    assert "0 7 * * 1-5 (Europe/Paris)" in page.inner_text(card)
    assert page.inner_text(f"{card} [data-options]") == "advanced mode · credit cap 500 · no resume by itself"
    assert f"/sources/{tenant['tenant_id']}/" in page.inner_text("#schedule-source-hint")
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
    console.shoot("batch-awaiting-upload")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel the batch").click()  # the file will never come
    console.wait_status("cancelled")
    assert api.status(key, made.json()["batch_id"])["credits_spent"] == 0

    page.get_by_role("link", name="Drop folder").click()
    page.wait_for_selector("#drop-folder[aria-busy=false]")
    folders = api.get("/v1/drop-folder", key).json()
    assert folders["inbox"].endswith(f"/inbox/{tenant['tenant_id']}/")
    assert page.inner_text("#drop-command") == f"aws s3 cp leads.csv {folders['inbox']}q4/leads.csv"
    assert f"aws s3 sync {folders['outbox']} answers/" == page.inner_text("#drop-answers")
    console.shoot("drop-folder")
