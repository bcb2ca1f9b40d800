"""The Settlements port: all four writes or none, refused exactly as the transaction refuses."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from chalicelib.domain.billing import Counted, PauseReason, Settlement, park_everything
from chalicelib.domain.errors import AlreadySettled, BalanceChanged, BatchChanged, SettleConflict
from chalicelib.domain.models import Batch, BatchCounts, BatchStatus, BillingKind, PartRecord, Tenant
from chalicelib.domain.parts import PartShape
from chalicelib.ports.settlements import SettleRequest
from chalicelib.services.ports import Ports
from tests.contracts.conftest import NOW
from tests.contracts.test_batches import batch


def _books(ports: Ports, balance: int = 100, billing: BillingKind = BillingKind.PREPAID,
           **changes: Any) -> Batch:
    ports.accounts.create_tenant(Tenant("t_1", "Acme", balance, billing, NOW), "t_1-key")
    stored = batch(1, status=BatchStatus.PROCESSING, **changes)
    ports.batches.put_new(stored)
    return stored


def _request(stored: Batch, cost: int, chunk: int = 0, part: int = 0, parked: int = 0,
             pause: PauseReason | None = None, prepaid: bool = True) -> SettleRequest:
    settlement = Settlement(rows=cost + 2 + parked, settled=cost + 2, cost=cost, completed=cost,
                            not_found=2, failed=0, skipped=0, parked=parked, parked_cost=parked,
                            pause=pause, found={"email": cost} if cost else {})
    return SettleRequest(stored, chunk, part, settlement, PartRecord(f"p{chunk}-{part}", 0, cost + 2),
                         prepaid=prepaid, before=Counted(), now=NOW)


def _state(ports: Ports, stored: Batch) -> tuple[int, Batch, int]:
    tenant = ports.accounts.get_tenant("t_1")
    fresh = ports.batches.get("t_1", stored.batch_id)
    assert tenant is not None and fresh is not None
    return tenant.balance, fresh, len(ports.ledger.entries("t_1"))


def test_a_settlement_moves_the_chunk_the_counters_the_balance_and_the_ledger_together(ports: Ports) -> None:
    stored = _books(ports)

    ports.settlement.settle(_request(stored, cost=7))

    balance, fresh, _ = _state(ports, stored)
    assert balance == 93
    assert fresh.counts == BatchCounts(completed=7, not_found=2)
    assert (fresh.credits_spent, fresh.chunks_done, fresh.found) == (7, 1, {"email": 7})
    charge = [e for e in ports.ledger.entries("t_1") if e["kind"] == "charge"]
    assert [(e["credits"], e["rows"], e["batch_id"]) for e in charge] == [(-7, 7, stored.batch_id)]
    chunk = ports.batches.chunks(stored.batch_id)[0]
    assert (chunk.next_part, chunk.done, chunk.parts) == (1, True, (PartRecord("p0-0", 0, 9),))
    totals = ports.accounts.credit_totals("t_1")
    assert totals is not None and totals["credits_used"] == 7


def test_the_same_part_twice_is_already_settled_and_changes_nothing(ports: Ports) -> None:
    stored = _books(ports)
    ports.settlement.settle(_request(stored, cost=7))
    before = _state(ports, stored)

    with pytest.raises(AlreadySettled):
        ports.settlement.settle(_request(stored, cost=7))
    with pytest.raises(AlreadySettled):  # a later part that is not the chunk's next
        ports.settlement.settle(_request(stored, cost=1, part=2))

    assert _state(ports, stored) == before


def test_a_balance_short_of_the_cost_is_reported_and_nothing_is_written(ports: Ports) -> None:
    stored = _books(ports, balance=5)

    with pytest.raises(BalanceChanged) as refused:
        ports.settlement.settle(_request(stored, cost=6))

    assert refused.value.balance == 5
    assert _state(ports, stored) == (5, stored, 1)
    assert ports.batches.chunks(stored.batch_id) == []


def test_a_postpaid_tenant_is_never_short(ports: Ports) -> None:
    stored = _books(ports, balance=0, billing=BillingKind.POSTPAID)

    ports.settlement.settle(_request(stored, cost=6, prepaid=False))

    balance, fresh, _ = _state(ports, stored)
    totals = ports.accounts.credit_totals("t_1")
    assert (balance, fresh.credits_spent) == (0, 6) and totals is not None and totals["credits_used"] == 6


def test_a_batch_that_moved_on_is_reported_as_it_now_is(ports: Ports) -> None:
    stored = _books(ports, max_credits=10)
    ports.batches.transition("t_1", stored.batch_id, BatchStatus.CANCELLED, (BatchStatus.PROCESSING,), NOW)

    with pytest.raises(BatchChanged) as cancelled:
        ports.settlement.settle(_request(stored, cost=1))

    assert cancelled.value.batch.status is BatchStatus.CANCELLED
    assert _state(ports, stored)[0] == 100


def test_the_cap_is_never_passed_and_a_changed_cap_is_reported(ports: Ports) -> None:
    stored = _books(ports, max_credits=10)
    ports.settlement.settle(_request(stored, cost=8))
    spent = ports.batches.get("t_1", stored.batch_id)
    assert spent is not None

    with pytest.raises(BatchChanged):  # 8 + 3 > 10
        ports.settlement.settle(_request(spent, cost=3, chunk=1))
    with pytest.raises(BatchChanged):  # planned with a cap the batch no longer has
        ports.settlement.settle(_request(batch(1, status=BatchStatus.PROCESSING, max_credits=50), cost=1,
                                         chunk=1))
    ports.settlement.settle(_request(spent, cost=2, chunk=1))

    assert _state(ports, stored)[1].credits_spent == 10


def test_a_partial_settlement_pauses_and_a_later_part_settles_the_rest(ports: Ports) -> None:
    stored = _books(ports)

    ports.settlement.settle(_request(stored, cost=3, parked=4, pause=PauseReason.BALANCE))
    paused = ports.batches.get("t_1", stored.batch_id)
    assert paused is not None and paused.status is BatchStatus.PAUSED_INSUFFICIENT_CREDITS
    assert paused.message and "Top up" in paused.message and paused.counts.parked == 4
    assert paused.parked_cost == 4
    ports.settlement.settle(SettleRequest(paused, 1, 0, park_everything([], 1), PartRecord("p1-0", 0, 0),
                                          prepaid=True, before=Counted(), now=NOW))
    resumed = ports.batches.transition("t_1", stored.batch_id, BatchStatus.PROCESSING, (paused.status,), NOW)
    assert resumed is not None
    later = _request(resumed, cost=4, part=1)
    ports.settlement.settle(SettleRequest(resumed, 0, 1, later.settlement, later.record, True,
                                          Counted(parked=4, parked_cost=4), NOW))

    balance, fresh, entries = _state(ports, stored)
    chunk = ports.batches.chunks(stored.batch_id)[0]
    assert (balance, fresh.credits_spent, fresh.counts.parked, entries) == (93, 7, 0, 3)
    assert fresh.parked_cost == 0
    assert (chunk.next_part, chunk.done, len(chunk.parts)) == (2, True, 2)


def test_a_given_up_part_names_the_batch_failure_once(ports: Ports) -> None:
    stored = _books(ports)

    ports.settlement.settle(replace(_request(stored, cost=0), failure="chunk 0 kept failing"))
    ports.settlement.settle(replace(_request(stored, cost=0, chunk=1), failure="chunk 1 too"))

    _, fresh, _ = _state(ports, stored)
    assert fresh.failure == "chunk 0 kept failing"
    assert [e for e in ports.ledger.entries("t_1") if e["kind"] == "charge"] == []


def test_a_reprocess_part_settling_clears_its_chunk_s_reprocess_key(ports: Ports) -> None:
    stored = _books(ports)
    ports.settlement.settle(_request(stored, cost=0))
    ports.batches.reopen_chunk(stored.batch_id, 0, 1, "work/again.jsonl")

    ports.settlement.settle(_request(stored, cost=0, part=1))

    chunk = ports.batches.chunks(stored.batch_id)[0]
    assert (chunk.next_part, chunk.done, chunk.reprocess_key) == (2, True, None)


def test_each_settled_part_adds_its_shape_to_the_batch_once(ports: Ports) -> None:
    stored = _books(ports)
    first = replace(_request(stored, cost=1), shape=PartShape(("email.domain", "email.valid"), 5))
    ports.settlement.settle(first)
    with pytest.raises(AlreadySettled):  # a duplicate adds nothing
        ports.settlement.settle(first)
    ports.settlement.settle(replace(_request(stored, cost=1, chunk=1),
                                    shape=PartShape(("email.valid", "phone.e164"), 3)))
    ports.settlement.settle(replace(_request(stored, cost=1, chunk=2), shape=PartShape((), 7)))
    ports.settlement.settle(_request(stored, cost=1, chunk=3))  # a part that did not record it

    fresh = _state(ports, stored)[1]
    assert fresh.shaped_parts == 3
    assert fresh.shape_columns == {"email.domain", "email.valid", "phone.e164"}
    assert fresh.shape_width == 7


def test_parts_settled_together_move_the_books_as_one_by_one_would(ports: Ports) -> None:
    stored = _books(ports)

    ports.settlement.settle_together([_request(stored, cost=7), _request(stored, cost=0, chunk=1),
                                      _request(stored, cost=5, chunk=2)])

    balance, fresh, _ = _state(ports, stored)
    assert balance == 88
    assert fresh.counts == BatchCounts(completed=12, not_found=6)
    assert (fresh.credits_spent, fresh.chunks_done, fresh.found) == (12, 3, {"email": 12})
    charges = sorted((e["entry_id"][-10:], e["credits"]) for e in ports.ledger.entries("t_1")
                     if e["kind"] == "charge")
    assert charges == [("000000#000", -7), ("000002#000", -5)]  # a line a part that cost
    assert [c.chunk for c in ports.batches.chunks(stored.batch_id)] == [0, 1, 2]


@pytest.mark.parametrize("refusal", ["a part settled before", "short of the summed cost", "cap passed"])
def test_parts_settled_together_are_refused_whole_and_write_nothing(ports: Ports, refusal: str) -> None:
    capped: dict[str, Any] = {"max_credits": 10} if refusal == "cap passed" else {}
    stored = _books(ports, balance=10 if refusal == "short of the summed cost" else 100, **capped)
    if refusal == "a part settled before":
        ports.settlement.settle(_request(stored, cost=1, chunk=1))
        stored = ports.batches.get("t_1", stored.batch_id) or stored
    before = _state(ports, stored)
    chunks = ports.batches.chunks(stored.batch_id)

    with pytest.raises(SettleConflict):  # each fits the balance or the cap of 10, not 6 + 1 + 4
        ports.settlement.settle_together([_request(stored, cost=6), _request(stored, cost=1, chunk=1),
                                          _request(stored, cost=4, chunk=2)])

    assert _state(ports, stored) == before
    assert ports.batches.chunks(stored.batch_id) == chunks
