"""Issue 14: the OpenAPI 3.1 document is built from the routes' declarations and the models they
validate with, served without a key, kept in docs/openapi.json, and names every route."""

from __future__ import annotations

import json
from pathlib import Path

from openapi_spec_validator import validate

from chalicelib.handlers.declare import DECLARED
from chalicelib.handlers.fallback import is_fallback
from chalicelib.handlers.openapi import render
from tests.api_client import Http

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_every_route_is_declared() -> None:
    """A route registered without its declaration (``auth``, ``query``, ``body``/``form``,
    ``responses`` on ``ApiRoutes.route``) would be missing from the document."""
    from app import app

    routes = {(path, method) for path, views in app.routes.items()
              for method, entry in views.items() if not is_fallback(entry.view_function)}

    undeclared = sorted(routes - set(DECLARED))
    assert not undeclared, (
        f"Routes without a declaration, so missing from the OpenAPI document: {undeclared}. "
        "Give each its auth, query, body or form and responses keywords on ApiRoutes.route "
        "(see chalicelib/handlers/declare.py), then run `make openapi`.")
    assert len(routes) >= 28 and set(DECLARED) <= routes


def test_the_committed_document_is_current() -> None:
    """docs/openapi.json is what the routes declare now."""
    import app  # noqa: F401  every route registered

    assert COMMITTED.read_text(encoding="utf-8") == render(), (
        "docs/openapi.json is stale: run `make openapi` and commit docs/openapi.json.")


def test_the_document_is_served_without_a_key_and_is_valid_openapi_3_1(http: Http) -> None:
    """GET /v1/openapi.json answers the document to anyone; it validates as OpenAPI 3.1."""
    served = http.get("/v1/openapi.json")

    assert served.status == 200
    document = served.json()
    validate(document)
    assert document == json.loads(render())
    assert document["openapi"] == "3.1.0"


def test_the_document_uses_the_models_the_routes_validate_with() -> None:
    """Query parameters, bodies and the error shape come from the pydantic models themselves."""
    document = json.loads(render())
    paths, schemas = document["paths"], document["components"]["schemas"]

    listing = {p["name"]: p for p in paths["/v1/batches"]["get"]["parameters"]}
    create = paths["/v1/batches"]["post"]["requestBody"]["content"]
    rows = {p["name"]: p for p in paths["/v1/batches/{batch_id}/rows"]["get"]["parameters"]}

    assert set(listing) == {"limit", "cursor", "offset", "status", "query"}
    assert listing["cursor"]["schema"] == {"type": "string", "maxLength": 200, "title": "Cursor"}
    assert rows["offset"]["schema"]["maximum"] == 10_000_000
    assert create["application/json"]["schema"] == {"$ref": "#/components/schemas/JsonBatchRequest"}
    assert "file" in create["multipart/form-data"]["schema"]["required"]
    assert schemas["JsonBatchRequest"]["additionalProperties"] is False
    assert {"error", "message", "details", "request_id"} <= set(schemas["ErrorBody"]["required"])
    assert all("4XX" in op["responses"] for ops in paths.values() for op in ops.values())
    assert paths["/v1/openapi.json"]["get"]["security"] == []
