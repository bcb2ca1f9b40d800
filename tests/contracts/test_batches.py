"""The Batches port: storing, listing, patching and moving batches behave the same on fake and adapter."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.billing import Counted, Settlement
from chalicelib.domain.errors import BadInput, Conflict
from chalicelib.domain.models import (
    Batch,
    BatchCounts,
    BatchStatus,
    BillingKind,
    Mode,
    PartRecord,
    RowStatus,
    Tenant,
)
from chalicelib.domain.options import BatchPatch
from chalicelib.ports.settlements import SettleRequest
from chalicelib.services.ports import Ports
from tests.contracts.conftest import NOW

LATER = "2025-11-01T00:00:00.000+00:00"


def batch(n: int, tenant_id: str = "t_1", **changes: Any) -> Batch:
    """A stored-looking batch whose id sorts by ``n`` (as ids sort by creation time)."""
    fields: dict[str, Any] = {
        "tenant_id": tenant_id, "batch_id": f"b_{n:022x}", "name": f"Leads {n}",
        "status": BatchStatus.VALIDATING, "mode": Mode.BASIC, "entity_type": "person", "price": 1,
        "created_at": NOW, "updated_at": NOW, "input_key": f"uploads/{tenant_id}/b_{n}/input.csv",
        "metadata": {"team": "Zoë", "n": 1.5}, "column_map": {"Mail": "email"}}
    fields.update(changes)
    return Batch(**fields)


def test_a_new_batch_reads_back_as_stored_and_only_for_its_tenant(ports: Ports) -> None:
    stored = batch(1, fields={"email": 1}, max_credits=50, row_limit=10, default_country="FR")
    ports.batches.put_new(stored)

    assert ports.batches.get("t_1", stored.batch_id) == stored
    assert ports.batches.get("t_2", stored.batch_id) is None
    with pytest.raises(Conflict):
        ports.batches.put_new(stored)


def test_a_batch_reads_back_with_its_tenant_in_one_read(ports: Ports) -> None:
    ports.accounts.create_tenant(Tenant("t_1", "Acme", 70, BillingKind.PREPAID, NOW), "t_1-hash-of-first-key")
    ports.accounts.set_config("t_1", {"prices": {"basic": 2}}, NOW)
    tenant = ports.accounts.get_tenant("t_1")
    assert tenant is not None and tenant.config == {"prices": {"basic": 2}}
    stored = batch(1)
    ports.batches.put_new(stored)

    assert ports.batches.get_with_tenant("t_1", stored.batch_id) == (stored, tenant)
    assert ports.batches.get_with_tenant("t_1", batch(2).batch_id) == (None, tenant)
    assert ports.batches.get_with_tenant("t_2", stored.batch_id) == (None, None)


def test_pages_come_newest_first_filtered_with_a_cursor_after_every_full_page(ports: Ports) -> None:
    for n in range(1, 6):
        ports.batches.put_new(batch(n, name="Webinar" if n % 2 else "Fair"))
    ports.batches.put_new(batch(9, tenant_id="t_2"))
    ports.batches.transition("t_1", batch(4).batch_id, BatchStatus.CANCELLED, (BatchStatus.VALIDATING,), NOW)

    first, cursor = ports.batches.page("t_1", 2, None)
    second, after = ports.batches.page("t_1", 2, cursor)
    last, end = ports.batches.page("t_1", 2, after)
    webinars, _ = ports.batches.page("t_1", 10, None, name_contains="WEBIN")
    cancelled, none_after = ports.batches.page("t_1", 10, None, (BatchStatus.CANCELLED,))

    assert [b.batch_id for b in first + second + last] == [batch(n).batch_id for n in (5, 4, 3, 2, 1)]
    assert end is None
    assert [b.name for b in webinars] == ["Webinar"] * 3
    assert [b.batch_id for b in cancelled] == [batch(4).batch_id] and none_after is None
    with pytest.raises(BadInput):
        ports.batches.page("t_1", 2, "not-a-cursor")


def test_a_patch_never_puts_the_cap_below_what_was_spent(ports: Ports) -> None:
    ports.batches.put_new(batch(1, credits_spent=30))

    renamed = ports.batches.patch("t_1", batch(1).batch_id, BatchPatch(name="Q4", metadata={"k": [1]}),
                                  LATER)
    refused = ports.batches.patch("t_1", batch(1).batch_id, BatchPatch(max_credits=29), LATER)
    capped = ports.batches.patch("t_1", batch(1).batch_id, BatchPatch(max_credits=30), LATER)

    assert renamed is not None
    assert (renamed.name, renamed.metadata, renamed.updated_at) == ("Q4", {"k": [1]}, LATER)
    assert refused is None
    assert capped is not None and capped.max_credits == 30
    assert ports.batches.page("t_1", 5, None, name_contains="q4")[0] == [capped]
    assert ports.batches.patch("t_1", "b_" + "0" * 22, BatchPatch(name="x"), LATER) is None


def test_a_transition_happens_only_from_an_allowed_status_and_sets_its_fields(ports: Ports) -> None:
    ports.batches.put_new(batch(1, message="waiting"))
    batch_id = batch(1).batch_id

    refused = ports.batches.transition("t_1", batch_id, BatchStatus.COMPLETED, (BatchStatus.PROCESSING,),
                                       LATER)
    queued = ports.batches.transition("t_1", batch_id, BatchStatus.QUEUED, (BatchStatus.VALIDATING,),
                                      LATER, fields={"email": 2}, has_header=False, skip_rows=1, message=None)
    split = ports.batches.record_split("t_1", batch_id, 250, 3, LATER)

    assert refused is None
    assert queued is not None and queued.status is BatchStatus.QUEUED
    assert (queued.fields, queued.has_header, queued.skip_rows) == ({"email": 2}, False, 1)
    assert queued.message is None
    assert (split.total_rows, split.chunks_total, split.status) == (250, 3, BatchStatus.QUEUED)
    assert ports.batches.get("t_1", batch_id) == split
    assert ports.batches.transition("t_2", batch_id, BatchStatus.QUEUED, tuple(BatchStatus), LATER) is None


def _settle(ports: Ports, stored: Batch, chunk: int, rows: int, parked: int = 0) -> None:
    settlement = Settlement(rows=rows + parked, settled=rows, cost=0, completed=0, not_found=rows,
                            failed=0, skipped=0, parked=parked)
    ports.settlement.settle(SettleRequest(stored, chunk, 0, settlement, PartRecord(f"k{chunk}", 0, rows),
                                          prepaid=True, before=Counted(), now=NOW))


def test_chunks_list_in_order_and_the_parked_ones_alone(ports: Ports) -> None:
    stored = batch(1, status=BatchStatus.PROCESSING)
    ports.batches.put_new(stored)
    for chunk, rows_parked in ((2, 0), (0, 4), (1, 0)):
        _settle(ports, stored, chunk, 6, rows_parked)

    chunks = ports.batches.chunks(stored.batch_id)
    parked = ports.batches.chunks(stored.batch_id, parked_only=True)

    assert [c.chunk for c in chunks] == [0, 1, 2] and [c.chunk for c in parked] == [0]
    assert chunks[1].parts == (PartRecord("k1", 0, 6),) and chunks[1].next_part == 1
    assert ports.batches.chunks("b_other") == []


def test_reopen_takes_a_completed_batch_back_and_its_rows_off_the_counters(ports: Ports) -> None:
    counts = BatchCounts(completed=5, not_found=3, failed=2)
    stored = batch(1, status=BatchStatus.COMPLETED, counts=counts, found={"email": 5, "phone": 1},
                   chunks_total=2, chunks_done=2, finished_at=NOW, total_rows=10)
    ports.batches.put_new(stored)
    ports.batches.put_new(batch(2, status=BatchStatus.PROCESSING))

    reopened = ports.batches.reopen("t_1", stored.batch_id, {RowStatus.FAILED: 2, RowStatus.NOT_FOUND: 1},
                                    {"email": 1}, 1, LATER, "Reprocessing 3 rows.", 1234)

    assert reopened is not None and reopened.status is BatchStatus.PROCESSING
    assert reopened.counts == BatchCounts(completed=5, not_found=2, failed=0)
    assert reopened.found == {"email": 4, "phone": 1}
    assert (reopened.chunks_done, reopened.finished_at, reopened.message) == (1, None, "Reprocessing 3 rows.")
    assert reopened.dispatch_at == 1234 and reopened in ports.batches.needing_attention()
    assert ports.batches.reopen("t_1", batch(2).batch_id, {}, {}, 1, LATER, "x", 1) is None


def test_a_failed_batch_reopens_only_when_it_has_results(ports: Ports) -> None:
    ports.batches.put_new(batch(1, status=BatchStatus.FAILED, failure="chunk 3 kept failing",
                                finished_at=NOW, chunks_total=1, chunks_done=1))
    ports.batches.put_new(batch(2, status=BatchStatus.FAILED, message="unreadable", finished_at=NOW))

    reopened = ports.batches.reopen("t_1", batch(1).batch_id, {RowStatus.FAILED: 1}, {}, 1, LATER, "r", 5)

    assert reopened is not None and reopened.failure is None and reopened.status is BatchStatus.PROCESSING
    assert ports.batches.reopen("t_1", batch(2).batch_id, {}, {}, 1, LATER, "r", 5) is None


def test_a_chunk_reopens_only_at_its_next_part(ports: Ports) -> None:
    stored = batch(1, status=BatchStatus.PROCESSING)
    ports.batches.put_new(stored)
    _settle(ports, stored, 0, 6)

    with pytest.raises(Conflict):
        ports.batches.reopen_chunk(stored.batch_id, 0, 2, "k-again")
    ports.batches.reopen_chunk(stored.batch_id, 0, 1, "k-again")

    reopened = ports.batches.chunks(stored.batch_id, parked_only=True)
    assert [(c.chunk, c.reprocess_key) for c in reopened] == [(0, "k-again")]


def test_the_attention_index_holds_every_unfinished_batch_of_every_tenant(ports: Ports) -> None:
    kinds: dict[int, dict[str, object]] = {
        1: {"status": BatchStatus.PAUSED_CREDIT_CAP}, 2: {"status": BatchStatus.PROCESSING},
        3: {"status": BatchStatus.CANCELLED},
        4: {"status": BatchStatus.COMPLETED, "chunks_total": 1, "chunks_done": 1, "finished_at": NOW}}
    for n, changes in kinds.items():
        ports.batches.put_new(batch(n, tenant_id=f"t_{n % 2}", **changes))
    ports.batches.transition("t_1", batch(3).batch_id, BatchStatus.CANCELLED, (BatchStatus.CANCELLED,),
                             LATER, finished_at=LATER)  # finishing takes a batch out

    assert [b.batch_id for b in ports.batches.needing_attention()] == [batch(n).batch_id for n in (1, 2)]


def test_split_progress_advances_only_from_where_it_was(ports: Ports) -> None:
    ports.batches.put_new(batch(1))
    batch_id = batch(1).batch_id

    assert ports.batches.advance_split("t_1", batch_id, 0, 10, LATER)
    assert not ports.batches.advance_split("t_1", batch_id, 0, 10, LATER)  # another split is ahead
    assert ports.batches.advance_split("t_1", batch_id, 10, 13, LATER)
    stored = ports.batches.get("t_1", batch_id)
    assert stored is not None and (stored.split_sent, stored.updated_at) == (13, LATER)


def test_a_dispatch_mark_clears_only_for_its_own_start_and_heals_are_kept(ports: Ports) -> None:
    ports.batches.put_new(batch(1, status=BatchStatus.PAUSED_CREDIT_CAP))
    batch_id = batch(1).batch_id
    resumed = ports.batches.transition("t_1", batch_id, BatchStatus.PROCESSING,
                                       (BatchStatus.PAUSED_CREDIT_CAP,), LATER, dispatch_at=100)
    assert resumed is not None and resumed.dispatch_at == 100

    ports.batches.dispatched("t_1", batch_id, 99)  # an older dispatch's end leaves this one
    assert (ports.batches.get("t_1", batch_id) or resumed).dispatch_at == 100
    ports.batches.dispatched("t_1", batch_id, 100)
    ports.batches.healed("t_1", batch_id, 2, 500)
    stored = ports.batches.get("t_1", batch_id)
    assert stored is not None and (stored.dispatch_at, stored.heals, stored.healed_at) == (None, 2, 500)


def test_a_reopened_chunk_names_its_reprocess_part_until_that_part_settles(ports: Ports) -> None:
    stored = batch(1, status=BatchStatus.PROCESSING)
    ports.batches.put_new(stored)
    _settle(ports, stored, 0, 3)

    ports.batches.reopen_chunk(stored.batch_id, 0, 1, "work/b/chunks/000000/p001-reprocess.jsonl")
    reopened = ports.batches.chunks(stored.batch_id)[0]
    settlement = Settlement(rows=3, settled=3, cost=0, completed=0, not_found=3, failed=0, skipped=0,
                            parked=0)
    ports.settlement.settle(SettleRequest(stored, 0, 1, settlement, PartRecord("k0-1", 0, 3),
                                          prepaid=True, before=Counted(), now=NOW))

    assert (reopened.done, reopened.reprocess_key) == (False, "work/b/chunks/000000/p001-reprocess.jsonl")
    settled = ports.batches.chunks(stored.batch_id)[0]
    assert (settled.done, settled.reprocess_key, settled.next_part) == (True, None, 2)
    with pytest.raises(Conflict):
        ports.batches.reopen_chunk(stored.batch_id, 0, 1, "k")


def test_skip_unsettled_counts_a_cancelled_batchs_open_rows_as_skipped_once(ports: Ports) -> None:
    counts = BatchCounts(completed=3, not_found=1, failed=1, skipped=2, parked=4)
    stored = batch(1, status=BatchStatus.CANCELLED, counts=counts, total_rows=15, parked_cost=4)
    ports.batches.put_new(stored)
    ports.batches.put_new(batch(2, status=BatchStatus.PROCESSING, counts=counts, total_rows=15))

    skipped = ports.batches.skip_unsettled(stored, LATER)
    running = ports.batches.skip_unsettled(batch(2, counts=counts, total_rows=15), LATER)

    assert skipped is not None and running is None
    assert skipped.counts == BatchCounts(completed=3, not_found=1, failed=1, skipped=10, parked=0)
    assert skipped.parked_cost == 0 and ports.batches.get("t_1", stored.batch_id) == skipped
