"""Every API route answers a domain error in the one error shape (one mapping, no route left out)."""

from __future__ import annotations

import re

from app import app
from tests.api_client import Http, error


def _api_routes() -> list[tuple[str, str]]:
    """(method, path) of every /v1 route, its path parameters filled with ids that exist nowhere."""
    found = []
    for path, methods in app.routes.items():
        if path.startswith("/v1/"):
            concrete = re.sub(r"\{(\w+)\}", lambda m: f"{m.group(1)}-0", path)
            found += [(method, concrete) for method in methods]
    return sorted(found)


def test_every_api_route_refuses_a_wrong_key_with_a_401_in_the_error_shape(http: Http) -> None:
    routes = _api_routes()

    for method, path in routes:
        body = error(http.call(method, path, "be_live_not-a-key"), 401, "unauthorized")
        assert "key" in body["message"], (method, path, body)
    assert len(routes) >= 25
