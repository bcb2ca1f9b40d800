"""The batch lifecycle through the API: caps, prepaid 402, postpaid, auto-resume, PATCH, filters."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.models import BillingKind
from chalicelib.services import lifecycle
from chalicelib.services.lifecycle import tick, top_up_and_resume
from chalicelib.services.sources import configure
from chalicelib.services.tenants import create_tenant, get_tenant, top_up
from chalicelib.sources.spec import TenantConfig
from tests.api_client import Http, Reply
from tests.conftest import ADMIN_KEY, Aws


def _records(n: int) -> list[dict[str, str]]:
    return [{"id": f"L{i}", "email": f"p{i}@example.com"} for i in range(n)]


def test_a_cap_pauses_at_exactly_the_cap_and_raising_it_completes(aws: Aws, http: Http) -> None:
    tenant = aws.tenant(1000)
    created = http.send("POST", "/v1/batches", tenant.api_key,
                    {"records": _records(150), "max_credits": 40, "auto_resume": False})
    batch_id = created.body["batch_id"]
    aws.drain()

    capped = http.status(tenant.api_key, batch_id)
    assert capped["status"] == "paused_credit_cap" and capped["credits_spent"] == 40
    assert capped["counts"]["parked"] == 110
    too_low = http.send("PATCH", f"/v1/batches/{batch_id}", tenant.api_key, {"max_credits": 10})
    assert too_low.status == 422

    raised = http.send("PATCH", f"/v1/batches/{batch_id}", tenant.api_key, {"max_credits": 500})
    assert raised.status == 200 and raised.body["max_credits"] == 500
    assert http.send("POST", f"/v1/batches/{batch_id}/resume", tenant.api_key).status == 202
    aws.drain()

    done = http.status(tenant.api_key, batch_id)
    assert done["status"] == "completed" and done["credits_spent"] == 150
    assert aws.balance(tenant.tenant_id) == 850


def test_prepaid_preflight_refuses_a_batch_the_balance_cannot_cover(aws: Aws, http: Http) -> None:
    tenant = aws.tenant(7)
    configure(aws.ports, tenant.tenant_id, TenantConfig(require_full_balance=True))

    refused = http.send("POST", "/v1/batches", tenant.api_key, {"records": _records(10)})

    assert refused.status == 402
    assert refused.body["credits_required"] == 10
    assert refused.body["credits_remaining"] == 7
    listed = http.send("GET", "/v1/batches", tenant.api_key).body
    assert listed["batches"] == [] and aws.balance(tenant.tenant_id) == 7


def test_a_postpaid_tenant_is_never_paused_and_its_usage_is_in_the_ledger(aws: Aws,
                                                                          http: Http) -> None:
    tenant = create_tenant(aws.ports, "Invoice Inc", 0, BillingKind.POSTPAID)
    created = http.send("POST", "/v1/batches", tenant.api_key, {"records": _records(120)})

    aws.drain()

    done = http.status(tenant.api_key, created.body["batch_id"])
    assert done["status"] == "completed" and done["credits_spent"] == 120
    charges = [e for e in aws.ports.ledger.entries(tenant.tenant_id) if e["kind"] == "charge"]
    assert -sum(int(e["credits"]) for e in charges) == 120


def test_a_top_up_resumes_a_batch_paused_for_credits_by_itself(aws: Aws, http: Http) -> None:
    tenant = aws.tenant(30)
    batch_id = http.send("POST", "/v1/batches", tenant.api_key,
                     {"records": _records(100)}).body["batch_id"]
    aws.drain()
    assert http.status(tenant.api_key, batch_id)["status"] == "paused_insufficient_credits"

    balance, resumed = top_up_and_resume(aws.ports, tenant.tenant_id, 500)
    aws.drain()

    assert resumed == [batch_id] and balance == 500
    assert http.status(tenant.api_key, batch_id)["status"] == "completed"
    assert aws.balance(tenant.tenant_id) == 430


@pytest.mark.parametrize("when", ["after the balance changed", "before the top-up's own resume"])
def test_a_top_up_says_it_resumed_a_batch_even_when_a_tick_resumed_it_at_the_same_moment(
    aws: Aws, http: Http, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    tenant = aws.tenant(30)
    batch_id = http.send("POST", "/v1/batches", tenant.api_key,
                     {"records": _records(100)}).body["batch_id"]
    aws.drain()
    assert http.status(tenant.api_key, batch_id)["status"] == "paused_insufficient_credits"
    swept: list[dict[str, Any]] = []

    def racing(real: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            answer = real(*args, **kwargs)
            if not swept:
                swept.append({})
                swept[0] = tick(aws.ports)  # the scheduled tick, at this very moment
            return answer
        return run

    if when == "after the balance changed":
        monkeypatch.setattr(lifecycle, "top_up", racing(top_up))
    else:
        monkeypatch.setattr(lifecycle, "get_tenant", racing(get_tenant))

    answer = http.send("POST", f"/v1/admin/tenants/{tenant.tenant_id}/credits", ADMIN_KEY,
                       {"amount": 500})
    aws.drain()

    assert swept and swept[0]["resumed"] == [batch_id]  # the tick did resume it
    assert answer.status == 200 and answer.body["resumed_batches"] == [batch_id]
    assert http.status(tenant.api_key, batch_id)["status"] == "completed"
    steps = http.send("GET", f"/v1/batches/{batch_id}/timeline", tenant.api_key).body["steps"]
    assert [s["step"] for s in steps].count("resumed") == 1  # resumed once, by one of them
    assert [s["step"] for s in steps].count("topped_up") == 1


def test_the_tick_resumes_what_a_top_up_made_possible_unless_the_batch_opted_out(
    aws: Aws, http: Http
) -> None:
    tenant = aws.tenant(10)
    waiting = http.send("POST", "/v1/batches", tenant.api_key,
                    {"records": _records(30)}).body["batch_id"]
    opted_out = http.send("POST", "/v1/batches", tenant.api_key,
                      {"records": _records(30), "auto_resume": False}).body["batch_id"]
    aws.drain()
    top_up(aws.ports, tenant.tenant_id, 1000)  # a plain top-up: the tick notices

    swept = tick(aws.ports)
    aws.drain()

    assert swept["resumed"] == [waiting]
    assert http.status(tenant.api_key, waiting)["status"] == "completed"
    assert http.status(tenant.api_key, opted_out)["status"] == "paused_insufficient_credits"


def test_patch_renames_and_list_filters_by_status_and_name(aws: Aws, http: Http) -> None:
    tenant = aws.tenant(1000)
    first = http.send("POST", "/v1/batches", tenant.api_key,
                  {"records": _records(3), "name": "Spring webinar"}).body["batch_id"]
    http.send("POST", "/v1/batches", tenant.api_key, {"records": _records(3), "name": "Fair"})
    aws.drain()
    patched = http.send("PATCH", f"/v1/batches/{first}", tenant.api_key,
                    {"name": "Autumn webinar", "metadata": {"owner": "kim"}})
    assert patched.body["name"] == "Autumn webinar"
    assert patched.body["metadata"] == {"owner": "kim"}

    found = http.send("GET", "/v1/batches?query=WEBINAR&status=completed",
                  tenant.api_key).body["batches"]
    none = http.send("GET", "/v1/batches?status=cancelled", tenant.api_key).body["batches"]

    assert [b["batch_id"] for b in found] == [first] and none == []
    assert http.send("GET", "/v1/batches?status=done", tenant.api_key).status == 422
    assert http.send("PATCH", f"/v1/batches/{first}", tenant.api_key,
                 {"colour": "red"}).status == 422


def _create_with_key(http: Http, key: str, idem: str, body: Any) -> Reply:
    return http.send("POST", "/v1/batches", key, body, headers={"Idempotency-Key": idem})


def test_the_same_idempotency_key_twice_creates_one_batch(aws: Aws, http: Http) -> None:
    tenant = aws.tenant(100)
    body = {"records": _records(5), "name": "once"}

    first = _create_with_key(http, tenant.api_key, "order-42", body)
    again = _create_with_key(http, tenant.api_key, "order-42", body)
    changed = _create_with_key(http, tenant.api_key, "order-42", {**body, "name": "twice"})

    assert first.status == 202 and again.status == 200
    assert again.body["batch_id"] == first.body["batch_id"]
    assert changed.status == 409
    listed = http.send("GET", "/v1/batches", tenant.api_key).body["batches"]
    assert len(listed) == 1
    other = aws.tenant(100)  # keys are per tenant
    assert _create_with_key(http, other.api_key, "order-42", body).status == 202


def test_a_refused_request_leaves_its_idempotency_key_free(aws: Aws, http: Http) -> None:
    tenant = aws.tenant(100)

    refused = _create_with_key(http, tenant.api_key, "k1", {"records": [{"colour": "red"}]})
    fixed = _create_with_key(http, tenant.api_key, "k1", {"records": _records(2)})

    assert refused.status == 400 and fixed.status == 202


def test_a_tenant_over_its_request_rate_gets_a_429_with_retry_after(
    aws: Aws, http: Http, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = aws.tenant(1)
    other = aws.tenant(1)
    aws.ports.settings = aws.ports.settings.model_copy(update={"requests_per_second": 3})
    aws.ports.clock = type(aws.ports.clock)(epoch=lambda: 1_800_000_000.0, sleep=lambda _: None)

    codes = [http.send("GET", "/v1/batches", tenant.api_key).status for _ in range(5)]
    limited = http.send("GET", "/v1/batches", tenant.api_key)

    assert codes == [200, 200, 200, 429, 429]
    assert limited.headers["retry-after"] == "1" and limited.body["error"] == "rate_limited"
    assert http.send("GET", "/v1/batches", other.api_key).status == 200  # per tenant
    aws.ports.clock = type(aws.ports.clock)(epoch=lambda: 1_800_000_001.0, sleep=lambda _: None)
    assert http.send("GET", "/v1/batches", tenant.api_key).status == 200  # next second


def test_a_batch_out_of_credits_and_at_its_cap_waits_for_the_cap_once_topped_up(
        aws: Aws, http: Http) -> None:
    # Found by the batch state machine: the balance and the cap ran out on the same row; the
    # top-up could not resume it (the cap), and it stayed "paused: top up credits" for ever.
    tenant = aws.tenant(40)
    batch_id = http.send("POST", "/v1/batches", tenant.api_key,
                         {"records": _records(150), "max_credits": 40}).body["batch_id"]
    aws.drain()
    assert http.status(tenant.api_key, batch_id)["status"] == "paused_insufficient_credits"

    _, resumed = top_up_and_resume(aws.ports, tenant.tenant_id, 500)
    aws.drain()

    waiting = http.status(tenant.api_key, batch_id)
    assert resumed == [] and waiting["status"] == "paused_credit_cap", waiting
    assert "Raise max_credits" in waiting["message"] and waiting["credits_spent"] == 40
    assert http.send("PATCH", f"/v1/batches/{batch_id}", tenant.api_key,
                     {"max_credits": 200}).status == 200
    assert http.send("POST", f"/v1/batches/{batch_id}/resume", tenant.api_key).status == 202
    aws.drain()
    done = http.status(tenant.api_key, batch_id)
    assert done["status"] == "completed" and done["credits_spent"] == 150
    assert aws.balance(tenant.tenant_id) == 540 - 150
