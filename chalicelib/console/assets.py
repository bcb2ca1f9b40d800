"""The console's static files, shipped inside chalicelib so they deploy with the Lambda package."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

STATIC = Path(__file__).with_name("static")
PAGE = "index.html"
# Flat names only: nothing outside the static folder can be named, whatever the request says.
ASSET_NAME = re.compile(r"^[a-z][a-z0-9-]{0,40}\.(css|js|svg)$")
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
# The page talks to its own origin only; downloads are navigations to presigned links.
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")


@dataclass(frozen=True)
class Asset:
    """One static file as served: its text, media type and validator."""

    name: str
    body: str
    content_type: str
    etag: str

    def headers(self) -> dict[str, str | list[str]]:
        """Response headers: revalidate each time (a deploy shows at once), never sniffed or framed."""
        headers: dict[str, str | list[str]] = {
            "Content-Type": self.content_type, "ETag": self.etag, "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
        if self.name == PAGE:
            headers["Content-Security-Policy"] = PAGE_POLICY
        return headers


def page() -> Asset:
    """The console's one HTML page (every view is drawn by its scripts)."""
    found = _read(PAGE)
    assert found is not None, f"{STATIC / PAGE} is missing from the package"
    return found


def asset(name: str) -> Asset | None:
    """A stylesheet, script or icon by its file name, or None when the console has no such file."""
    return _read(name) if ASSET_NAME.match(name) else None


@lru_cache(maxsize=32)
def _read(name: str) -> Asset | None:
    path = STATIC / name
    if not path.is_file():
        return None
    body = path.read_text(encoding="utf-8")
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:20] + '"'
    return Asset(name, body, CONTENT_TYPES[path.suffix], etag)


def not_modified(asset: Asset, if_none_match: str | None) -> bool:
    """The browser already holds this version (``If-None-Match`` names its ETag)."""
    return bool(if_none_match) and asset.etag in {tag.strip() for tag in (if_none_match or "").split(",")}
