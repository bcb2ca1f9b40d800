"""Fixtures of the browser tests: ``batch-enrich serve`` on a port of 8180-8189, Debian's chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.api_client import Http, network_transport
from tests.browser.console import Console
from tests.served import ROOT, free_port, served_api

ADMIN_KEY = "adm_browser_tests"
PORTS = range(8180, 8190)
# The flags that work on these machines; Playwright adds --headless and a fresh --user-data-dir.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Written by scripts/install-chromium when it could not install the browser: the reason.
INSTALL_NOTE = ROOT / ".venv" / "chromium-install.txt"


def chromium() -> str:
    """Debian's chromium, or a skip that says why it is missing and how to install it."""
    found = shutil.which("chromium")
    if found:
        return found
    why = INSTALL_NOTE.read_text().strip() if INSTALL_NOTE.exists() else "`make test` was not run"
    pytest.skip(f"Debian's chromium is not installed ({why}); `make browser` installs it as root")


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Headless Debian chromium driven by Playwright (its own browser downloads cannot work here)."""
    executable = chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="package")
def server(browser: Browser) -> Iterator[str]:
    """``batch-enrich serve`` on a port of the console's range (started once a browser is there)."""
    with served_api(free_port(PORTS), ADMIN_KEY) as base:
        yield base


@pytest.fixture
def api(server: str) -> Http:
    """The API outside the browser: set-up, top-ups, and the numbers the page must agree with."""
    return Http(network_transport(server))


@pytest.fixture
def tenant(api: Http, request: pytest.FixtureRequest) -> dict[str, Any]:
    """A new prepaid tenant; its balance is the test's ``credits`` marker argument (default 1000)."""
    marker = request.node.get_closest_marker("credits")
    credits = marker.args[0] if marker else 1000
    created = api.post_json("/v1/admin/tenants", ADMIN_KEY, {"name": "Acme", "credits": credits})
    assert created.status == 201, created.raw
    return created.json()


@pytest.fixture
def console(browser: Browser, server: str, tmp_path: Path) -> Iterator[Console]:
    """A fresh tab (its own session storage) on the console."""
    tab = Console(browser, server, tmp_path)
    yield tab
    tab.close()
