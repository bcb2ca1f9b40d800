"""The console as a person uses it, through Playwright: open it, read it, photograph each state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Response, ViewportSize

from tests.served import ROOT

# Written by every run, named in the README, ignored by git.
SHOTS = ROOT / "screenshots" / "console"
DESKTOP = ViewportSize(width=1280, height=800)
PHONE = ViewportSize(width=390, height=844)
# WCAG 2.1 A and AA: labels, names, contrast, landmarks.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "resultTypes": ["violations"]}
WAIT_MS = 20_000
AXE_SCRIPT = Axe().axe_script  # axe-core, as the package ships it


def people_csv(folder: Path, rows: int = 30) -> Path:
    """A CRM export with two email columns (inference reads "Email", the user wants the other)
    and a note a spreadsheet would run as a formula."""
    lines = ["Name,Email,Personal Email,Phone,Note"] + [
        f"Person{i} Smith,work{i}@acme.com,Me{i}@Gmail.com,+1 415 555 01{i:02d},=1+{i}" for i in range(rows)]
    path = folder / "q4 people.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


class Console:
    """One browser tab on the console, at desktop width unless a screenshot asks for the phone."""

    def __init__(self, browser: Browser, base: str, downloads: Path) -> None:
        self.context = browser.new_context(viewport=DESKTOP, accept_downloads=True, reduced_motion="reduce")
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(WAIT_MS)
        self.base = base
        self.downloads = downloads
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.answers: list[tuple[str, str, int]] = []  # every API call the page made: method, URL, status
        self.page.on("response", self._answered)

    def open(self, key: str) -> None:
        """Load the console and paste the key, as the key page asks."""
        self.page.goto(f"{self.base}/console")
        self.page.get_by_label("API key").fill(key)
        self.page.get_by_role("button", name="Open the console").click()
        self.page.wait_for_selector("#batch-list[aria-busy=false]")

    def new_batch(self, path: Path) -> None:
        """Go to New batch and pick a file; wait for its preflight."""
        self.page.get_by_role("link", name="New batch").first.click()
        self.page.get_by_label("Choose a CSV file, or drop one here").set_input_files(str(path))
        self.checked()

    def checked(self) -> None:
        """Wait until the preflight of the file and options as they are now has answered."""
        self.page.wait_for_timeout(500)  # past the pause after typing in an option
        self.page.wait_for_selector("#preflight[aria-busy=false]")

    def drop(self, name: str, data: bytes) -> None:
        """Drag a file onto the drop zone, as from a file manager."""
        transfer = self.page.evaluate_handle(
            """([name, bytes]) => {
                const transfer = new DataTransfer();
                transfer.items.add(new File([new Uint8Array(bytes)], name, { type: "text/csv" }));
                return transfer;
            }""", [name, list(data)])
        self.page.dispatch_event("#drop", "dragover", {"dataTransfer": transfer})
        self.page.dispatch_event("#drop", "drop", {"dataTransfer": transfer})

    def batch_id(self) -> str:
        """The id of the batch the page shows (from its #/batches/{id} address)."""
        return self.page.url.rsplit("/", 1)[-1]

    def shoot(self, name: str) -> None:
        """Screenshots of this state at desktop and phone width, each checked by axe (WCAG AA)."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            self.page.set_viewport_size(size)
            self.page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
            found = self.violations()
            assert not found, f"{name} at {label} width: " + "; ".join(
                f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']]})" for v in found)
        self.page.set_viewport_size(DESKTOP)

    def violations(self) -> list[dict[str, Any]]:
        """What axe-core finds wrong with the page as it is now (injected once per page load)."""
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE_SCRIPT)
        found = self.page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
        return list(found["violations"])

    def text(self) -> str:
        """Everything the page shows."""
        return self.page.inner_text("body")

    def alert(self) -> str:
        """The error message the page shows (waits for it)."""
        self.page.wait_for_selector("#alert:not([hidden])")
        return self.page.inner_text("#alert .alert-message")

    def card(self, key: str) -> str:
        """The value on a count card (``data-count``)."""
        return self.page.inner_text(f"[data-count='{key}'] .card-value")

    def wait_status(self, status: str, timeout_ms: int = 60_000) -> None:
        """Wait until the batch page shows this status (polling draws it)."""
        self.page.wait_for_selector(f"#batch-status [data-status='{status}']", timeout=timeout_ms)

    def download(self, key: str) -> bytes:
        """Click a results file's link and read what the browser saved."""
        with self.page.expect_download() as started:
            self.page.click(f"#download-{key}")
        path = self.downloads / started.value.suggested_filename
        started.value.save_as(path)
        return path.read_bytes()

    def _answered(self, answer: Response) -> None:
        if "/v1/" in answer.url:
            self.answers.append((answer.request.method, answer.url.removeprefix(self.base), answer.status))

    def refused_reads(self) -> list[tuple[str, str, int]]:
        """The page's GETs of the API that were not answered 2xx/3xx (a request built wrong)."""
        return [answer for answer in self.answers if answer[0] == "GET" and answer[2] >= 400]

    def close(self) -> Any:
        """Close the tab; the page must not have thrown."""
        self.context.close()
        assert not self.errors, self.errors
