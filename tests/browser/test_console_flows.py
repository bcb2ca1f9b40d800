"""The console in headless chromium against ``batch-enrich serve``: a batch from file to results."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.api_client import Http
from tests.browser.conftest import ADMIN_KEY
from tests.browser.console import Console, people_csv

pytestmark = pytest.mark.browser
ROWS = 30


def start(console: Console, key: str, folder: Path, option: Callable[[], None] | None = None) -> None:
    """Open the console, pick the people file, set one option and press Start right after it."""
    console.open(key)
    console.new_batch(people_csv(folder, ROWS))
    if option is not None:
        console.page.get_by_text("Options: mode, entity type, limits").click()
        option()  # no wait: a click on Start while the option's check is pending must count
    console.page.get_by_role("button", name="Start batch").click()


def test_upload_change_a_mapping_start_watch_it_complete_and_download(
    console: Console, api: Http, tenant: dict[str, Any], tmp_path: Path,
) -> None:
    key, page = tenant["api_key"], console.page
    console.open(key)
    console.shoot("batches-empty")
    console.new_batch(people_csv(tmp_path, ROWS))

    assert page.input_value("select[data-column='Email']") == "email"
    assert page.input_value("select[data-column='Personal Email']") == ""
    assert page.inner_text("#preflight-counts").split() == [
        "Rows", "30", "Usable", "30", "Skipped", "0", "Duplicates", "0", "Ragged", "rows", "0",
        "Cost", "(credits)", "0\u201330", "1", "per", "matched", "row"]
    assert "acme.com" not in console.text() and "Person0" not in console.text()  # no cell on screen
    console.shoot("preflight")

    page.get_by_label("Personal Email").select_option("email")
    page.wait_for_selector("tr.changed")
    page.wait_for_function("document.querySelector(`select[data-column='Email']`).value === ''")
    console.shoot("mapping-changed")

    page.get_by_role("button", name="Start batch").click()
    console.wait_status("completed")
    page.wait_for_selector("#download-csv")
    body = api.status(key, console.batch_id())
    assert console.card("completed") == str(body["counts"]["completed"]) == str(ROWS)
    assert console.card("credits_spent") == str(body["credits_spent"]) == str(ROWS)
    assert "gmail.com" not in console.text().lower() and "Person0" not in console.text()
    console.shoot("batch-completed")

    rows = list(csv.DictReader(io.StringIO(console.download("csv").decode("utf-8"))))
    assert len(rows) == ROWS
    assert rows[7]["Email"] == "work7@acme.com"  # the input is untouched
    assert rows[7]["email.normalized"] == "Me7@gmail.com"  # enriched from the column the user chose
    assert rows[7]["Note"] == "'=1+7"  # neutralized, as the option says by default
    charged = list(csv.DictReader(io.StringIO(console.download("credits_csv").decode("utf-8"))))
    assert sum(int(r["credits"]) for r in charged) == body["credits_spent"]

    page.get_by_role("link", name="Batches").first.click()
    page.get_by_label("Name contains").fill("q4 people")
    page.get_by_label("Status").select_option("paused")  # choosing a status searches at once
    page.wait_for_selector("#batch-list .empty")
    page.get_by_label("Status").select_option("completed")
    page.wait_for_selector(f"[data-batch='{body['batch_id']}'] [data-status='completed']")
    console.shoot("batches-list")
    assert console.refused_reads() == []  # e.g. GET /v1/credits answered 422 for the list's `limit`


@pytest.mark.credits(5)
def test_a_batch_paused_for_credits_is_resumed_from_the_page_after_a_top_up(
    console: Console, api: Http, tenant: dict[str, Any], tmp_path: Path,
) -> None:
    key, page = tenant["api_key"], console.page

    def no_auto_resume() -> None:
        page.get_by_label("Resume by itself after a top-up").uncheck()
        console.shoot("options")

    start(console, key, tmp_path, no_auto_resume)

    console.wait_status("paused_insufficient_credits")
    paused = api.status(key, console.batch_id())
    assert paused["credits_spent"] == 5 and paused["counts"]["parked"] == ROWS - 5
    assert page.inner_text("#batch-message") == paused["message"]
    console.shoot("batch-paused")

    page.get_by_role("button", name="Resume").click()  # nothing topped up yet: the API says 402
    shown = console.alert()
    refused = api.call("POST", f"/v1/batches/{paused['batch_id']}/resume", key)
    assert refused.status == 402 and shown == refused.json()["message"]
    console.shoot("resume-refused")

    topped = api.post_json(f"/v1/admin/tenants/{tenant['tenant_id']}/credits", ADMIN_KEY, {"amount": 100})
    assert topped.status == 200
    page.wait_for_timeout(1500)  # a poll or two: the batch opted out of resuming by itself
    still = api.status(key, console.batch_id())
    assert still["status"] == "paused_insufficient_credits", still
    # 100 credits finish its 25 parked rows: a batch that resumed would never show this again.
    # Not a 100 ms wait: on a loaded machine the browser alone can take longer to answer.
    console.wait_status("paused_insufficient_credits", timeout_ms=5_000)
    page.get_by_role("button", name="Resume").click()
    console.wait_status("completed")
    done = api.status(key, console.batch_id())
    assert done["credits_spent"] == ROWS and done["counts"]["parked"] == 0
    assert console.card("parked") == "0" and console.card("credits_spent") == str(ROWS)
    assert page.is_hidden("#alert")
    page.wait_for_selector("#balance:has-text('Credits: 75')")

    # the timeline: why it cost what it did, counts and credits only
    page.wait_for_selector("#timeline [data-step='completed']")
    steps = api.call("GET", f"/v1/batches/{done['batch_id']}/timeline", key).json()["steps"]
    on_page = [int(n.replace(",", "")) for n in page.locator("#timeline [data-credits]").all_inner_texts()]
    assert sum(on_page) == done["credits_spent"] == ROWS and on_page == [s["credits"] for s in steps]
    names = page.locator("#timeline [data-step]").evaluate_all("items => items.map(i => i.dataset.step)")
    assert names == [s["step"] for s in steps]
    assert names.index("paused") < names.index("resumed") < names.index("completed")
    assert "out of credits" in page.inner_text("#timeline [data-step='paused']")
    text = page.inner_text("#timeline")
    assert "acme.com" not in text and "Person0" not in text and "555" not in text
    console.shoot("batch-timeline")


def test_a_batch_paused_at_its_credit_cap_goes_on_once_the_page_raises_the_cap(
    console: Console, api: Http, tenant: dict[str, Any], tmp_path: Path,
) -> None:
    key, page = tenant["api_key"], console.page
    start(console, key, tmp_path, lambda: page.get_by_label("Credit cap").fill("8"))  # Start at once

    console.wait_status("paused_credit_cap")
    assert console.card("credits_spent") == "8" and console.card("max_credits") == "8"
    page.get_by_label("New credit cap").fill("100")
    page.get_by_role("button", name="Raise the cap and resume").click()

    console.wait_status("completed")
    done = api.status(key, console.batch_id())
    assert done["max_credits"] == 100 and done["credits_spent"] == ROWS
    assert console.card("max_credits") == "100"


@pytest.mark.credits(5)
def test_a_paused_batch_cancelled_from_the_page_keeps_what_settled(
    console: Console, api: Http, tenant: dict[str, Any], tmp_path: Path,
) -> None:
    key, page = tenant["api_key"], console.page
    start(console, key, tmp_path,
          lambda: page.get_by_label("Neutralize cells a spreadsheet would run as formulas").uncheck())
    console.wait_status("paused_insufficient_credits")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel the batch").click()

    console.wait_status("cancelled")
    page.wait_for_selector("#download-csv")
    charged = list(csv.DictReader(io.StringIO(console.download("credits_csv").decode("utf-8"))))
    assert len(charged) == 5 == api.status(key, console.batch_id())["credits_spent"]
    rows = list(csv.DictReader(io.StringIO(console.download("csv").decode("utf-8"))))
    assert [row["Note"] for row in rows[:2]] == ["=1+0", "=1+1"]  # raw, as the user asked
    assert page.is_hidden("#cancel") and page.is_hidden("#resume")
