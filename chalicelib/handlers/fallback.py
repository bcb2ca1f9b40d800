"""The service's own answer to a request no route takes: 404 for an unknown path, 405 for a
method a known path does not take, both in the one error shape.

Without these API Gateway answers by itself, before any function runs: 403 "Missing
Authentication Token" (and, with a bearer header, a message about AWS signatures). A greedy
``/{proxy+}`` resource catches every path no other resource matches, and each known path
declares the methods it does not take.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Chalice

from chalicelib.domain.errors import MethodNotAllowed, NotFound
from chalicelib.handlers.http import ApiRoutes

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
GREEDY = "/{proxy+}"


def register_fallbacks(app: Chalice) -> None:
    """Answer every unknown path (404) and every undeclared method of a known path (405).

    Call it after every blueprint is registered: the 405s are made for the routes it finds.
    """
    fallback = ApiRoutes(__name__)
    for path, views in sorted(app.routes.items()):
        missing = [method for method in METHODS if method not in views]
        if missing:
            fallback.route(path, methods=missing, content_types=["*/*"])(
                _not_allowed(path, sorted(views)))
    for path in ("/", GREEDY):
        fallback.route(path, methods=list(METHODS), content_types=["*/*"])(_unknown)
    app.register_blueprint(fallback)


def is_fallback(view: Any) -> bool:
    """True for a view this module registered (no route of the API: its 404 or a 405)."""
    return bool(getattr(view, "fallback", False))


def _unknown(**_: Any) -> None:
    """No route has this path."""
    raise NotFound("No such route: see the README's list of routes (every path starts with /v1/).")


_unknown.fallback = True  # type: ignore[attr-defined]


def _not_allowed(path: str, allowed: list[str]) -> Any:
    def not_allowed(**_: Any) -> None:
        raise MethodNotAllowed(f"{path} takes {', '.join(allowed)} only.",
                               allow=", ".join(allowed))

    not_allowed.__name__ = "not_allowed_" + "".join(c if c.isalnum() else "_" for c in path)
    not_allowed.fallback = True  # type: ignore[attr-defined]
    return not_allowed
