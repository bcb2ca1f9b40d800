"""The console with max_failed_percent: its limits on the upload page, a failed batch's reason."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api_client import Http
from tests.browser.conftest import ADMIN_KEY
from tests.browser.console import Console
from tests.fake_vendor import JsonHandler, serving_handler

pytestmark = pytest.mark.browser
ROWS = 30


class _Broken(JsonHandler):
    """A vendor that refuses every question (a 400 is not retried: each row it alone could match
    fails at once)."""

    def do_GET(self) -> None:
        self.reply(400, {"error": "bad request"})


def names_csv(folder: Path) -> Path:
    """Records known by a name and a company alone: no email or phone for the built-in checks to
    match, so only the tenant's vendor could."""
    path = folder / "names.csv"
    path.write_text("Name,Company\n" + "".join(f"Person{i} Smith,Acme {i}\n" for i in range(ROWS)))
    return path


@pytest.fixture
def advanced_key(api: Http, tenant: dict[str, Any]) -> Iterator[str]:
    """The tenant's key, its advanced mode asking one vendor that fails every row."""
    with serving_handler(_Broken) as base:
        config = {"sources": [{"type": "http", "config": {
            "name": "vendor", "url": base + "/v1/people", "query": {"name": "full_name"},
            "requires": ["full_name"], "price": 2, "outputs": {"title": "person.title"}}}]}
        answer = api.send("PUT", f"/v1/admin/tenants/{tenant['tenant_id']}/config", ADMIN_KEY, config)
        assert answer.status == 200, answer.raw
        yield tenant["api_key"]


def test_a_batch_past_its_max_failed_percent_shows_why_it_failed_and_offers_a_reprocess(
    console: Console, api: Http, advanced_key: str, tmp_path: Path,
) -> None:
    page, people = console.page, names_csv(tmp_path)
    console.open(advanced_key)
    console.new_batch(people)
    page.get_by_text("Options: mode, entity type, limits").click()
    page.get_by_label("Mode").select_option("advanced")
    console.checked()

    page.get_by_label("Most failed rows (%)").fill("150")  # past its limit: the API's message
    shown = console.alert()
    refused = api.upload(advanced_key, people.read_bytes(),
                         {"mode": "advanced", "max_failed_percent": "150"})
    assert refused.status == 422 and shown == refused.json()["message"]
    assert page.is_disabled("#start")
    console.shoot("max-failed-refused")

    page.get_by_label("Most failed rows (%)").fill("10")
    page.wait_for_selector("#alert", state="hidden")
    console.checked()
    page.get_by_role("button", name="Start batch").click()

    console.wait_status("failed")
    failed = api.status(advanced_key, console.batch_id())
    assert failed["max_failed_percent"] == 10 and failed["credits_spent"] == 0
    assert "max_failed_percent (10%)" in failed["message"]
    assert page.inner_text("#notice-title") == "Why it failed:"
    assert page.inner_text("#batch-message") == failed["message"]
    assert console.card("failed") == str(failed["counts"]["failed"]) == str(ROWS)
    assert page.get_by_role("button", name=f"Enrich the {ROWS} failed rows again").is_visible()
    page.wait_for_selector("#timeline [data-step='failed']")
    assert "Stops when failed rows pass" in page.inner_text("#times")
    console.shoot("batch-failed")
