"""The console shows every refusal as the API's own message: a bad file, a wrong key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api_client import MULTIPART, Http, multipart
from tests.browser.console import Console

pytestmark = pytest.mark.browser
GARBAGE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def test_a_dropped_file_the_api_refuses_shows_the_apis_message(
    console: Console, api: Http, tenant: dict[str, Any],
) -> None:
    console.open(tenant["api_key"])
    console.page.get_by_role("link", name="New batch").first.click()

    console.drop("export.csv", GARBAGE)

    shown = console.alert()
    refused = api.call("POST", "/v1/batches/preflight", tenant["api_key"],
                       multipart(file=("export.csv", GARBAGE)), MULTIPART)
    assert refused.status == 400 and shown == refused.json()["message"]
    assert console.page.inner_text("#file-name").startswith("Chosen: export.csv")
    assert console.page.is_disabled("#start")
    console.shoot("file-refused")


def test_a_wrong_key_shows_the_apis_message_and_is_not_kept(console: Console, api: Http) -> None:
    console.page.goto(f"{console.base}/console")
    console.page.get_by_label("API key").fill("be_live_not_a_key")
    console.page.get_by_role("button", name="Open the console").click()

    shown = console.alert()

    refused = api.get("/v1/credits", "be_live_not_a_key")
    assert refused.status == 401 and shown == refused.json()["message"]
    assert console.page.evaluate("sessionStorage.length") == 0
    console.shoot("key-refused")


def test_an_unknown_batch_shows_the_apis_message(console: Console, api: Http, tenant: dict[str, Any]) -> None:
    console.open(tenant["api_key"])

    console.page.goto(f"{console.base}/console#/batches/b_0000000000000000000000")

    shown = console.alert()
    refused = api.get("/v1/batches/b_0000000000000000000000", tenant["api_key"])
    assert refused.status == 404 and shown == refused.json()["message"]


def test_a_file_over_the_apis_limit_shows_its_message_and_the_way_through_the_drop_folder(
    console: Console, tenant: dict[str, Any], tmp_path: Path,
) -> None:
    big = tmp_path / "big leads.csv"
    row = b"Person Smith,person@acme.com," + b"n" * 1000 + b"\n"
    big.write_bytes(b"Name,Email,Note\n" + row * (11 * 1024))  # 11 MB: over serve's 10 MB
    console.open(tenant["api_key"])
    console.new_batch(big)

    shown = console.alert()
    assert "over 10 MB" in shown and "POST /v1/uploads" in shown
    assert console.page.is_disabled("#start")
    console.page.click("#preflight-status a")  # the status line says where such a file goes
    console.page.wait_for_selector("#drop-command")
