"""The console with the keyboard alone: every step reachable by Tab, operable by Enter and arrows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.console import Console, people_csv

pytestmark = pytest.mark.browser


def test_the_key_the_upload_a_mapping_and_the_start_work_with_the_keyboard_alone(
    console: Console, tenant: dict[str, Any], tmp_path: Path,
) -> None:
    page = console.page
    # A listener from the start turns Playwright's file chooser interception on long before the
    # key press (expect_file_chooser alone turns it on as it waits, racing the press under load).
    page.on("filechooser", lambda _: None)
    page.goto(f"{console.base}/console")

    page.keyboard.type(tenant["api_key"])  # the key field has the focus on arrival
    page.keyboard.press("Enter")
    page.wait_for_selector("#batch-list[aria-busy=false]")
    tab_to(console, "a[href='#/new']")
    page.keyboard.press("Enter")
    tab_to(console, "#file")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(people_csv(tmp_path)))
    page.wait_for_selector("#mapping")
    tab_to(console, "select[data-column='Personal Email']")
    for field in ("id", "first_name", "last_name", "full_name", "email"):  # after "— not used —"
        page.evaluate("document.getElementById('mapping').dataset.old = 'yes'")
        page.keyboard.press("ArrowDown")  # each choice asks for a new preflight, drawn anew
        page.wait_for_selector("#mapping:not([data-old])")
        assert page.evaluate("document.activeElement.dataset.column") == "Personal Email"  # kept
        assert page.input_value("select[data-column='Personal Email']") == field
    assert page.input_value("select[data-column='Email']") == ""
    tab_to(console, "#start")
    page.keyboard.press("Enter")

    console.wait_status("completed")
    assert page.evaluate("document.activeElement.id") == "page-title"  # a new view takes the focus


def tab_to(console: Console, selector: str, most: int = 40) -> None:
    """Press Tab until the element the selector names has the focus (as a keyboard user would)."""
    for _ in range(most):
        console.page.keyboard.press("Tab")
        if console.page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never took the focus in {most} tabs")
