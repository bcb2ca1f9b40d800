"""Chalice's local API Gateway, made to route as API Gateway does: greedy ``{proxy+}`` paths.

API Gateway sends a request that matches no other resource to a greedy ``/{proxy+}`` resource
(the service's own 404, ``handlers.fallback``); Chalice's local matcher (``batch-enrich serve``
and the test client) only matches paths segment by segment and answered such a request with
its imitation of API Gateway's 403 "Missing Authentication Token". ``apply`` teaches it the
greedy match; it changes nothing a deployed API does.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from chalice import local

GREEDY = "{proxy+}"
_original = local.RouteMatcher.match_route


def _match_route(self: local.RouteMatcher, url: str) -> Any:
    """Chalice's match, then the longest greedy route whose prefix the path is under."""
    try:
        return _original(self, url)
    except ValueError:
        parsed = urlparse(url)
        path = parsed.path.rstrip("/") or "/"
        greedy = sorted((route for route in self.route_urls if route.endswith("/" + GREEDY)),
                        key=len, reverse=True)
        for route in greedy:
            prefix = route[: -len(GREEDY)]
            if path.startswith(prefix) and len(path) > len(prefix):
                query = parse_qs(parsed.query, keep_blank_values=True)
                return local.MatchResult(route, {"proxy": path[len(prefix):]}, query)
        raise


def apply() -> None:
    """Install the greedy match in Chalice's local gateway (idempotent)."""
    local.RouteMatcher.match_route = _match_route  # type: ignore[method-assign]
