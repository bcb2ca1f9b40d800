"""Tenants, keys, the request rate and the credit figures on the fakes."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import RateLimited, Unauthorized
from chalicelib.services.credits import credit_summary, ledger_page
from chalicelib.services.ports import Ports
from chalicelib.services.tenants import (
    authenticate,
    create_api_key,
    create_tenant,
    list_api_keys,
    revoke_api_key,
    tenant_request,
    top_up,
)
from tests.csvs import leads
from tests.helpers import Ticking, create_batch, deliver


def test_a_revoked_key_stops_while_the_tenants_other_keys_work(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 1)
    second = create_api_key(ports, tenant.tenant_id)

    revoke_api_key(ports, tenant.tenant_id, list_api_keys(ports, tenant.tenant_id)[0]["key_id"])

    with pytest.raises(Unauthorized):
        authenticate(ports, f"Bearer {tenant.api_key}")
    assert authenticate(ports, f"Bearer {second.api_key}") == tenant.tenant_id
    with pytest.raises(Unauthorized):
        authenticate(ports, second.api_key)  # not a bearer header


def test_requests_over_the_per_second_allowance_are_refused_until_the_next_second(
    ports: Ports, ticking: Ticking
) -> None:
    tenant = create_tenant(ports, "Acme", 1)
    ports.settings = ports.settings.model_copy(update={"requests_per_second": 3})
    ticking.at = 1_800_000_000.0
    header = f"Bearer {tenant.api_key}"

    for _ in range(3):
        tenant_request(ports, header)
    with pytest.raises(RateLimited):
        tenant_request(ports, header)
    ticking.at += 1
    assert tenant_request(ports, header) == tenant.tenant_id


def test_the_credit_figures_and_the_ledger_pages_agree_with_the_balance(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 10)
    top_up(ports, tenant.tenant_id, 5)
    create_batch(ports, tenant.tenant_id, leads(250))
    deliver(ports)  # 15 credits: paused after 15 rows

    summary = credit_summary(ports, tenant.tenant_id)
    pages, cursor = [], None
    for _ in range(10):
        page = ledger_page(ports, tenant.tenant_id, 1, cursor)
        pages += page["entries"]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert summary == {"balance": 0, "billing": "prepaid", "spent_this_month": 15, "spent_total": 15,
                       "topped_up_total": 15}
    assert sum(e["credits"] for e in pages) == 0 and len(pages) == 3
    assert [e["created_at"] for e in pages] == sorted((e["created_at"] for e in pages), reverse=True)
