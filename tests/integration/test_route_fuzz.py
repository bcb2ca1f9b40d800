"""Fuzzing every route with a body: whatever a client sends, the answer is no 5xx and no hang.

Bodies are JSON values of any shape, objects with each route's own field names holding any
value (integers far past 64 bits, floats, huge and odd strings, deep and wide containers),
multipart forms with any fields and files, and raw bytes under any content type. Every answer
goes through ``tests/api_client.Http``, which fails a 5xx or a leaked traceback; a 4xx must be
the one error shape, with a message.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api_client import MULTIPART, Http, multipart
from tests.conftest import ADMIN_KEY, Aws

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))  # per route, bounded in make test
FIELDS = {  # the names each route reads, so values reach its checks instead of "unknown field"
    "batch": ["name", "mode", "entity_type", "metadata", "column_map", "max_credits", "row_limit",
              "dedupe", "default_country", "auto_resume", "escape_formulas", "refresh", "records"],
    "patch": ["name", "metadata", "max_credits"],
    "reprocess": ["failed_only", "incomplete_only", "refresh"],
    "tenant": ["name", "credits", "billing"],
    "credits": ["amount"],
    "config": ["sources", "require_full_balance", "auto_resume", "prices"],
    "link": ["upload_token"],
    "webhook": ["url", "events", "description"],
    "schedule": ["name", "cron", "timezone", "rate_minutes", "source_key", "options", "paused"],
    "upload": ["filename", "size", "name", "mode", "metadata", "column_map", "max_credits",
               "row_limit", "webhook_id", "webhook_url"],
}
ROUTES = [  # (method, path template, field set or None, who calls)
    ("POST", "/v1/batches", "batch", "tenant"),
    ("POST", "/v1/batches/preflight", "batch", "tenant"),
    ("PATCH", "/v1/batches/{batch}", "patch", "tenant"),
    ("POST", "/v1/batches/{batch}/resume", None, "tenant"),
    ("POST", "/v1/batches/{batch}/reprocess", "reprocess", "tenant"),
    ("POST", "/v1/batches/{batch}/cancel", None, "tenant"),
    ("POST", "/v1/batches/{batch}/link", "link", "tenant"),
    ("POST", "/v1/datasets", None, "tenant"),
    ("POST", "/v1/admin/tenants", "tenant", "admin"),
    ("PUT", "/v1/admin/tenants/{tenant}/config", "config", "admin"),
    ("POST", "/v1/admin/tenants/{tenant}/credits", "credits", "admin"),
    ("POST", "/v1/admin/tenants/{tenant}/api-keys", None, "admin"),
    ("POST", "/v1/webhooks", "webhook", "tenant"),
    ("PATCH", "/v1/webhooks/{webhook}", "webhook", "tenant"),
    ("POST", "/v1/webhooks/{webhook}/rotate-secret", None, "tenant"),
    ("POST", "/v1/webhooks/secret", None, "tenant"),
    ("POST", "/v1/webhooks/deliveries/{delivery}/redeliver", None, "tenant"),
    ("POST", "/v1/uploads", "upload", "tenant"),
    ("POST", "/v1/schedules", "schedule", "tenant"),
    ("PATCH", "/v1/schedules/{schedule}", "schedule", "tenant"),
]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-(10**60), 10**60),
    st.sampled_from([10**40, -(10**40), 2**63, 2**64 + 1, 0, -1]),
    st.floats(allow_nan=False), st.sampled_from([1e308, -1e308, 1e-320, 0.5]),
    st.text(max_size=30), st.sampled_from(["", " ", "x" * 20_000, "\u0000", "\ud7ff" * 50, "=1+1"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=10), inner, max_size=5)),
    max_leaves=15)
wide = st.sampled_from([
    {f"c{i}": "email" for i in range(30_000)}, [{"email": f"p{i}@example.com"} for i in range(300)],
    {"a": {"b": {"c": {"d": {"e": {"f": {"g": [[[[[[[[1]]]]]]]]}}}}}}}, list(range(5000))])


def fielded(names: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with some of the route's own fields, any values (a few of them huge)."""
    return st.dictionaries(st.sampled_from(names), st.one_of(values, wide), max_size=len(names))


def bodies(field_set: str | None) -> st.SearchStrategy[tuple[str, bytes]]:
    """(content type, body) pairs: JSON of any shape, the route's fields, forms, raw bytes."""
    as_json = st.one_of(values, fielded(FIELDS[field_set]) if field_set else values)
    form_fields = st.dictionaries(st.sampled_from(FIELDS.get(field_set or "", []) or ["name"]),
                                  st.text(max_size=50), max_size=4)
    form = st.tuples(form_fields, st.none() | st.binary(max_size=300)).map(
        lambda f: (MULTIPART, multipart(f[0], None if f[1] is None else ("f.csv", f[1]))))
    return st.one_of(
        as_json.map(lambda v: ("application/json", json.dumps(v).encode())),
        form,
        st.tuples(st.sampled_from(["application/json", "text/csv", "text/plain", MULTIPART,
                                   "multipart/form-data", "application/x-www-form-urlencoded"]),
                  st.binary(max_size=300)),
    )


@pytest.fixture
def targets(http: Http, aws: Aws) -> dict[str, str]:
    """A tenant's key, one of its batches, webhook endpoints and schedules, to aim the routes at
    (a delivery that does not exist: a body is refused before the delivery is looked up)."""
    tenant = aws.tenant(1000)
    created = http.post_json("/v1/batches", tenant.api_key, {"records": [{"email": "a@b.co"}]})
    assert created.status == 202, created.raw
    hook = http.post_json("/v1/webhooks", tenant.api_key,
                          {"url": "https://hooks.example.com/in", "events": ["batch.completed"]})
    assert hook.status == 201, hook.raw
    schedule = http.post_json("/v1/schedules", tenant.api_key,
                              {"name": "n", "rate_minutes": 60, "source_key": "a.csv"})
    assert schedule.status == 201, schedule.raw
    return {"key": tenant.api_key, "tenant": tenant.tenant_id, "batch": created.json()["batch_id"],
            "webhook": hook.json()["webhook_id"], "delivery": "msg_0",
            "schedule": schedule.json()["schedule_id"]}


@pytest.mark.parametrize(("method", "path", "field_set", "caller"), ROUTES,
                         ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_no_body_makes_a_route_answer_a_5xx(http: Http, targets: dict[str, str], method: str,
                                            path: str, field_set: str | None, caller: str) -> None:
    url = path.format(**targets)
    key = ADMIN_KEY if caller == "admin" else targets["key"]

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=bodies(field_set))
    def fuzz(body: tuple[str, bytes]) -> None:
        content_type, raw = body
        reply = http.call(method, url, key, raw, content_type)  # asserts no 5xx, no traceback
        if reply.status >= 400:
            answer = reply.json()
            assert answer.get("error") and answer.get("message"), answer

    fuzz()
