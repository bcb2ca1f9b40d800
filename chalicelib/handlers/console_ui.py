"""Routes of the web console: ``GET /console`` and its static files (no key: they hold no data)."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.console import assets
from chalicelib.domain.errors import NotFound
from chalicelib.handlers.declare import Answer
from chalicelib.handlers.http import ApiRoutes

console = ApiRoutes(__name__)


def _serve(asset: assets.Asset) -> Response:
    if assets.not_modified(asset, console.current_request.headers.get("if-none-match")):
        return Response(body="", status_code=304, headers={"ETag": asset.etag})
    return Response(body=asset.body, status_code=200, headers=asset.headers())


@console.route("/console", methods=["GET"], auth="none",
                 responses={200: Answer("The file.", media_type="text/html", headers=("ETag",)),
                            304: Answer("Not modified.", headers=("ETag",))})
def console_page() -> Response:
    """The console's page: paste a key, upload, check the mapping and cost, watch, download."""
    return _serve(assets.page())


@console.route("/console/{name}", methods=["GET"], auth="none",
                 responses={200: Answer("The file.", media_type="*/*", headers=("ETag",)),
                            304: Answer("Not modified.", headers=("ETag",))})
def console_asset(name: str) -> Response:
    """A stylesheet or script of the console, by file name."""
    found = assets.asset(name)
    if found is None:
        raise NotFound(f"The console has no file named {name!r}.")
    return _serve(found)
