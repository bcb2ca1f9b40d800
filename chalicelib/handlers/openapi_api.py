"""``GET /v1/openapi.json``: the API's OpenAPI 3.1 document, without a key (it holds no data)."""

from __future__ import annotations

import functools
import json
from typing import Any

from chalicelib.handlers.declare import Answer
from chalicelib.handlers.http import ApiRoutes, NoQuery

openapi_api = ApiRoutes(__name__)


@functools.cache
def _document() -> str:
    from chalicelib.handlers.openapi import document  # with the response models, on first call

    return json.dumps(document())


@openapi_api.route("/v1/openapi.json", methods=["GET"], auth="none", query=NoQuery,
                   responses={200: Answer("This document.", "OpenApiBody")})
def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of this API: every route, its query, body and answers."""
    openapi_api.no_query()
    parsed: dict[str, Any] = json.loads(_document())
    return parsed
