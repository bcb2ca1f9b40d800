"""The Accounts port: tenants, keys, top-ups and column maps behave the same on fake and adapter."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.models import BillingKind, Tenant
from chalicelib.services.ports import Ports
from tests.contracts.conftest import NOW


def _tenant(ports: Ports, tenant_id: str = "t_1", balance: int = 10,
            billing: BillingKind = BillingKind.PREPAID) -> Tenant:
    tenant = Tenant(tenant_id, "Acme", balance, billing, NOW)
    ports.accounts.create_tenant(tenant, f"{tenant_id}-hash-of-first-key")
    return tenant


def test_a_created_tenant_reads_back_with_its_key_and_opening_top_up(ports: Ports) -> None:
    tenant = _tenant(ports, balance=25)

    assert ports.accounts.get_tenant("t_1") == tenant
    assert ports.accounts.get_tenant("t_nope") is None
    assert ports.accounts.tenant_for_key("t_1-hash-of-first-key") == "t_1"
    assert ports.accounts.tenant_for_key("unknown") is None
    assert ports.accounts.credit_totals("t_1") == {"balance": 25, "billing": "prepaid",
                                                   "credits_used": 0, "topped_up": 25}
    assert [(e["kind"], e["credits"]) for e in ports.ledger.entries("t_1")] == [("topup", 25)]
    with pytest.raises(Conflict):
        _tenant(ports)


def test_a_top_up_moves_the_balance_and_writes_its_entry(ports: Ports) -> None:
    _tenant(ports, balance=10)

    assert ports.accounts.add_credits("t_1", 5, "2025-11-01T00:00:00.000+00:00") == 15
    assert ports.accounts.add_credits("t_1", 5, "2025-11-01T00:00:00.000+00:00") == 20

    totals = ports.accounts.credit_totals("t_1")
    assert totals is not None and (totals["balance"], totals["topped_up"]) == (20, 20)
    assert sorted(e["credits"] for e in ports.ledger.entries("t_1")) == [5, 5, 10]
    with pytest.raises(NotFound):
        ports.accounts.add_credits("t_nope", 5, NOW)
    assert ports.accounts.credit_totals("t_nope") is None


def test_config_is_replaced_whole_and_only_for_a_tenant_that_exists(ports: Ports) -> None:
    _tenant(ports)

    ports.accounts.set_config("t_1", {"prices": {"basic": 2}, "sources": []}, NOW)
    ports.accounts.set_config("t_1", {"auto_resume": False}, NOW)

    tenant = ports.accounts.get_tenant("t_1")
    assert tenant is not None and tenant.config == {"auto_resume": False}
    with pytest.raises(NotFound):
        ports.accounts.set_config("t_nope", {}, NOW)


def test_keys_are_added_listed_oldest_first_and_revoked_once(ports: Ports) -> None:
    _tenant(ports)
    later = "2025-11-02T00:00:00.000+00:00"

    key_id = ports.accounts.add_api_key("t_1", "second-hash", later)
    with pytest.raises(Conflict):
        ports.accounts.add_api_key("t_1", "second-hash", later)
    with pytest.raises(NotFound):
        ports.accounts.add_api_key("t_nope", "third-hash", later)
    listed = ports.accounts.api_keys("t_1")
    assert listed is not None and [k["key_id"] for k in listed][1:] == [key_id]
    assert all(k["revoked_at"] is None for k in listed)

    ports.accounts.revoke_api_key("t_1", key_id, "2025-11-03T00:00:00.000+00:00")
    ports.accounts.revoke_api_key("t_1", key_id, "2025-11-04T00:00:00.000+00:00")

    assert ports.accounts.tenant_for_key("second-hash") is None
    assert ports.accounts.tenant_for_key("t_1-hash-of-first-key") == "t_1"
    revoked = {k["key_id"]: k["revoked_at"] for k in ports.accounts.api_keys("t_1") or []}
    assert revoked[key_id] == "2025-11-03T00:00:00.000+00:00"
    with pytest.raises(NotFound):
        ports.accounts.revoke_api_key("t_1", "key_00000000", NOW)
    assert ports.accounts.api_keys("t_nope") is None


def test_a_column_map_is_remembered_per_tenant_and_header_set(ports: Ports) -> None:
    ports.accounts.remember_column_map("t_1", "fp1", {"E-mail": "email"}, NOW)
    ports.accounts.remember_column_map("t_1", "fp1", {"Mail": "email"}, NOW)

    assert ports.accounts.column_map("t_1", "fp1") == {"Mail": "email"}
    assert ports.accounts.column_map("t_1", "fp2") is None
    assert ports.accounts.column_map("t_2", "fp1") is None
