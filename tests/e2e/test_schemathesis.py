"""Issue 14: schemathesis against ``batch-enrich serve``, from the document it serves at
``/v1/openapi.json``: for every operation, generated requests (bounded: ``SCHEMATHESIS_EXAMPLES``
a route, 10 by default) never get a 5xx, and every answer matches the document (status code,
content type, headers, body schema)."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import app  # noqa: F401  every route registered, so DECLARED holds every declaration
from chalicelib.handlers.declare import DECLARED
from tests.served import free_port, served_api

ADMIN_KEY = "schemathesis-admin-key"
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """The API on a free port of 8140-8149, as a user starts it."""
    with served_api(free_port(range(8140, 8150)), ADMIN_KEY) as base:
        yield base


def _tenant_key(base: str) -> str:
    request = urllib.request.Request(
        base + "/v1/admin/tenants", method="POST", data=json.dumps({"name": "st", "credits": 1000}).encode(),
        headers={"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return str(json.loads(reply.read())["api_key"])


def _fuzz(operation: Any, base: str, headers: dict[str, str]) -> None:
    """``EXAMPLES`` generated requests to one operation, each answer checked against the document."""

    @settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        response = case.call(base_url=base, headers=headers, timeout=30)
        case.validate_response(response, checks=CHECKS)

    check()


def test_generated_requests_get_no_5xx_and_answers_match_the_document(served: str) -> None:
    """Every operation of the served document, fed generated requests with a valid key."""
    schema = schemathesis.openapi.from_url(served + "/v1/openapi.json")
    keys = {"admin": ADMIN_KEY, "tenant": _tenant_key(served)}
    failures: list[str] = []
    started, operations = time.monotonic(), 0

    for found in schema.get_all_operations():
        assert isinstance(found, Ok), f"the served document has an invalid operation: {found.err()}"
        operation = found.ok()
        auth = DECLARED[(operation.path, operation.method.upper())].auth
        key = keys["admin"] if auth == "admin" else keys["tenant"]
        headers = {} if auth == "none" else {"Authorization": f"Bearer {key}"}

        try:
            _fuzz(operation, served, headers)
        except Exception as failure:
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}"[:3000])
        operations += 1

    took = time.monotonic() - started
    assert not failures, "\n\n".join(failures)
    assert operations >= 27, operations
    print(f"schemathesis: {operations} operations x {EXAMPLES} examples in {took:.1f} s")
