"""The Ledger port: the entries credit moves wrote, read back the same on fake and adapter."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.domain.models import BillingKind, Tenant
from chalicelib.ports.ledger import ledger_position
from chalicelib.services.ports import Ports
from tests.contracts.test_settlements import _books, _request


def _history(ports: Ports) -> str:
    """A tenant with two top-ups and charges of two batches across October and November."""
    stored = _books(ports, balance=100)
    ports.accounts.add_credits("t_1", 5, "2025-10-31T23:30:00.000+00:00")
    for chunk, cost in enumerate((3, 4)):
        request = _request(stored, cost=cost, chunk=chunk)
        ports.settlement.settle(replace(request, now=f"2025-11-01T0{chunk}:00:00.000+00:00"))
    other = Tenant("t_2", "Other", 9, BillingKind.PREPAID, "2025-11-02T00:00:00.000+00:00")
    ports.accounts.create_tenant(other, "t_2-key")
    return stored.batch_id


def test_spent_in_a_month_counts_that_months_charges_only(ports: Ports) -> None:
    _history(ports)

    assert ports.ledger.spent_in_month("t_1", "2025-11") == 7
    assert ports.ledger.spent_in_month("t_1", "2025-10") == 0
    assert ports.ledger.spent_in_month("t_2", "2025-11") == 0
    assert sum(e["credits"] for e in ports.ledger.entries("t_1")) == 100 + 5 - 7


def test_newest_first_pages_by_position_and_filters_by_kind_and_batch(ports: Ports) -> None:
    batch_id = _history(ports)

    everything = ports.ledger.newest_first("t_1", 10)
    first = ports.ledger.newest_first("t_1", 2)
    rest = ports.ledger.newest_first("t_1", 10, before=ledger_position(first[-1]))

    assert [e["credits"] for e in everything] == [-4, -3, 5, 100]
    assert first + rest == everything
    assert [e["credits"] for e in ports.ledger.newest_first("t_1", 10, kind="topup")] == [5, 100]
    assert [e["credits"] for e in ports.ledger.newest_first("t_1", 1, batch_id=batch_id)] == [-4]
    assert ports.ledger.newest_first("t_1", 10, kind="topup", batch_id=batch_id) == []
    assert [e["tenant_id"] for e in ports.ledger.newest_first("t_2", 10)] == ["t_2"]


def test_the_charges_of_one_batch_are_its_own_only(ports: Ports) -> None:
    batch_id = _history(ports)

    charges = ports.ledger.charges("t_1", batch_id)
    assert sorted(e["credits"] for e in charges) == [-4, -3]
    assert {e["batch_id"] for e in charges} == {batch_id}
    assert ports.ledger.charges("t_1", "b_0") == ports.ledger.charges("t_2", batch_id) == []
