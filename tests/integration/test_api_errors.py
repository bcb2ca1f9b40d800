"""Every API route answers a domain error in the one error shape (one mapping, no route left out)."""

from __future__ import annotations

from tests.api_client import Http, api_routes, error


def test_every_api_route_refuses_a_wrong_key_with_a_401_in_the_error_shape(http: Http) -> None:
    routes = api_routes(keyed_only=True)

    for method, path in routes:
        body = error(http.call(method, path, "be_live_not-a-key"), 401, "unauthorized")
        assert "key" in body["message"], (method, path, body)
    assert len(routes) >= 25
