"""``batch-enrich serve``'s HTTP server: requests served at once never see each other's request."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from chalice.app import Blueprint, Chalice

from chalicelib.local.devserver import dev_server


def held_app(arrived: threading.Event, release: threading.Event) -> Chalice:
    """An app whose ``/held`` view waits (inside the view) until another request has arrived."""
    app = Chalice(app_name="held")
    routes = Blueprint(__name__)

    @routes.route("/held")
    def held() -> dict[str, Any]:
        arrived.set()
        release.wait(10)
        request = routes.current_request
        return {"query": request.query_params or {}, "key": request.headers.get("authorization")}

    @app.route("/other")
    def other() -> dict[str, Any]:
        release.set()
        request = app.current_request
        assert request is not None
        return {"query": request.query_params or {}}

    app.register_blueprint(routes)
    return app


@pytest.fixture
def served() -> Iterator[tuple[str, threading.Event]]:
    """The held app on a free port, as ``serve`` runs the API; yields its URL and the arrival."""
    arrived, release = threading.Event(), threading.Event()
    server = dev_server(held_app(arrived, release), "127.0.0.1", 0)
    port = server.server.server_address[1]
    threading.Thread(target=server.server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}", arrived
    finally:
        release.set()
        server.shutdown()
        server.server.server_close()


def _get(url: str, key: str) -> dict[str, Any]:
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": key}),
                                timeout=15) as answer:
        return dict(json.loads(answer.read()))


def test_a_request_answered_while_another_is_in_a_view_keeps_its_own_query_and_key(
    served: tuple[str, threading.Event],
) -> None:
    # GIVEN a list request (a status filter, a key) inside its view
    base, arrived = served
    with ThreadPoolExecutor(2) as pool:
        held = pool.submit(_get, f"{base}/held?status=paused&query=q4", "Bearer tenant-a")
        assert arrived.wait(10)
        # WHEN another request (no query, another key) is served meanwhile
        other = _get(f"{base}/other", "Bearer tenant-b")
        # THEN each view read its own request: the filter is not lost, the key not swapped
        assert other == {"query": {}}
        assert held.result(15) == {"query": {"status": "paused", "query": "q4"}, "key": "Bearer tenant-a"}
