"""split, work and finalize on the fakes: charged once, never negative, no row lost, exact pauses."""

from __future__ import annotations

import io
from typing import Any

import pytest

from chalicelib import topology
from chalicelib.domain.messages import ChunkMessage
from chalicelib.domain.models import BatchStatus
from chalicelib.domain.options import BatchOptions, BatchPatch
from chalicelib.keys import input_key
from chalicelib.observability import metrics
from chalicelib.services import finalizing
from chalicelib.services.batches import cancel_batch, patch_batch, resume_batch, start_batch
from chalicelib.services.input_rows import NOT_PROCESSED
from chalicelib.services.lifecycle import tick, top_up_and_resume
from chalicelib.services.ports import Ports
from chalicelib.services.reprocess import reprocess_batch
from chalicelib.services.rows import preview, rows_page
from chalicelib.services.tenants import create_tenant, top_up
from chalicelib.services.working import work_chunk
from tests.csvs import leads
from tests.helpers import (
    Ticking,
    charged,
    create_batch,
    deliver,
    email_outage,
    peek_messages,
    reload,
    results_rows,
    take_messages,
)


def _balance(ports: Ports, tenant_id: str) -> int:
    tenant = ports.accounts.get_tenant(tenant_id)
    assert tenant is not None
    return tenant.balance


def _every_row_once(rows: list[dict[str, str]], count: int) -> None:
    assert [int(r["row_index"]) for r in rows] == list(range(count))
    assert [r["id"] for r in rows] == [f"L{i}" for i in range(count)]


def test_a_batch_runs_to_its_results_and_each_matched_row_costs_once(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 1000)
    batch = create_batch(ports, tenant.tenant_id, leads(250, matched_every=5))

    deliver(ports)

    done = reload(ports, batch)
    assert done.status is BatchStatus.COMPLETED and done.total_rows == 250
    assert done.credits_spent == 50 == charged(ports, tenant.tenant_id)
    assert _balance(ports, tenant.tenant_id) == 950
    assert (done.counts.completed, done.counts.not_found) == (50, 200)
    rows = results_rows(ports, done)
    _every_row_once(rows, 250)
    assert sum(int(r["enrich_credits"]) for r in rows) == 50
    assert len(results_rows(ports, done, "credits.csv")) == 50


def test_credits_run_out_mid_chunk_the_rest_parks_and_a_top_up_resumes_it_exactly(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 120)
    batch = create_batch(ports, tenant.tenant_id, leads(250))

    deliver(ports)
    paused = reload(ports, batch)
    assert paused.status is BatchStatus.PAUSED_INSUFFICIENT_CREDITS
    assert (paused.credits_spent, paused.counts.completed, paused.counts.parked) == (120, 120, 130)
    assert _balance(ports, tenant.tenant_id) == 0

    balance, resumed = top_up_and_resume(ports, tenant.tenant_id, 500)
    deliver(ports)

    done = reload(ports, batch)
    assert resumed == [batch.batch_id] and balance == 500
    assert done.status is BatchStatus.COMPLETED and done.counts.parked == 0
    assert done.credits_spent == 250 == charged(ports, tenant.tenant_id)
    assert _balance(ports, tenant.tenant_id) == 370
    _every_row_once(results_rows(ports, done), 250)


def test_every_chunk_delivered_twice_is_charged_once(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 1000)
    batch = create_batch(ports, tenant.tenant_id, leads(250))
    deliver(ports, (topology.INGEST,))
    work = ports.queue_name(topology.WORK)
    ports.queue.send(work, peek_messages(ports, topology.WORK))

    deliver(ports)

    done = reload(ports, batch)
    assert done.status is BatchStatus.COMPLETED and done.credits_spent == 250
    assert charged(ports, tenant.tenant_id) == 250 and _balance(ports, tenant.tenant_id) == 750
    _every_row_once(results_rows(ports, done), 250)


def test_a_part_whose_winner_settled_is_acknowledged_as_a_duplicate(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 1000)
    create_batch(ports, tenant.tenant_id, leads(30))
    deliver(ports, (topology.INGEST,))
    message = ChunkMessage.model_validate_json(take_messages(ports, topology.WORK)[0])

    first = work_chunk(ports, message, "a1")
    again = work_chunk(ports, message, "a2")  # the first worker died after its commit

    assert (first, again) == ("settled", "duplicate")
    assert charged(ports, tenant.tenant_id) == 30


def test_a_cap_pauses_at_exactly_the_cap_and_raising_it_completes(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 1000)
    batch = create_batch(ports, tenant.tenant_id, leads(150), options=BatchOptions(max_credits=40,
                                                                                    auto_resume=False))
    deliver(ports)
    capped = reload(ports, batch)
    assert capped.status is BatchStatus.PAUSED_CREDIT_CAP
    assert (capped.credits_spent, capped.counts.parked) == (40, 110)

    patch_batch(ports, tenant.tenant_id, batch.batch_id, BatchPatch(max_credits=500))
    resume_batch(ports, tenant.tenant_id, batch.batch_id)
    deliver(ports)

    done = reload(ports, batch)
    assert done.status is BatchStatus.COMPLETED and done.credits_spent == 150
    assert _balance(ports, tenant.tenant_id) == 850


def test_cancel_charges_nothing_more_and_the_results_say_which_rows_never_ran(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 60)
    batch = create_batch(ports, tenant.tenant_id, leads(250))
    deliver(ports)  # paused at 60

    cancel_batch(ports, tenant.tenant_id, batch.batch_id)
    deliver(ports)

    done = reload(ports, batch)
    rows = results_rows(ports, done)
    assert done.status is BatchStatus.CANCELLED
    assert done.credits_spent == 60 == charged(ports, tenant.tenant_id)
    _every_row_once(rows, 250)
    assert sum(r["enrich_error"] == NOT_PROCESSED for r in rows) == 190


def test_the_tick_resumes_after_a_plain_top_up_and_asks_again_for_a_lost_finalize(
        ports: Ports, ticking: Ticking) -> None:
    tenant = create_tenant(ports, "Acme", 10)
    batch = create_batch(ports, tenant.tenant_id, leads(30))
    deliver(ports)
    top_up(ports, tenant.tenant_id, 100)

    swept = tick(ports)
    deliver(ports)
    assert swept["resumed"] == [batch.batch_id]
    assert reload(ports, batch).status is BatchStatus.COMPLETED

    other = create_batch(ports, tenant.tenant_id, leads(5))
    deliver(ports, (topology.INGEST, topology.WORK))
    take_messages(ports, topology.FINALIZE)  # the finalize request is lost
    assert tick(ports)["finalize_requested"] == []  # a finalize may still be running: wait
    ticking.at += ports.settings.heal_after_seconds
    assert tick(ports)["finalize_requested"] == [other.batch_id]
    deliver(ports)
    assert reload(ports, other).status is BatchStatus.COMPLETED


def test_the_tick_does_not_ask_for_a_second_finalize_while_one_may_still_be_writing(
        ports: Ports, ticking: Ticking, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = create_tenant(ports, "Acme", 100)
    batch = create_batch(ports, tenant.tenant_id, leads(5))
    deliver(ports, (topology.INGEST, topology.WORK))
    take_messages(ports, topology.FINALIZE)  # a finalize took it and writes for minutes
    monkeypatch.setattr(finalizing, "_write_files", _still_writing)
    with pytest.raises(TimeoutError):
        finalizing.finalize_batch(ports, tenant.tenant_id, batch.batch_id)
    monkeypatch.undo()

    ticking.at += ports.settings.heal_after_seconds
    assert tick(ports)["finalize_requested"] == []  # it began less than its timeout ago
    ticking.at += topology.FINALIZE.function_timeout
    assert tick(ports)["finalize_requested"] == [batch.batch_id]  # it would have ended by now
    deliver(ports)
    assert reload(ports, batch).status is BatchStatus.COMPLETED


def _still_writing(*_: Any) -> Any:
    raise TimeoutError("still writing when the test looks")


def test_reprocess_charges_only_the_rows_that_match_now(ports: Ports,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = create_tenant(ports, "Acme", 1000)
    down = {f"person{i}@example.com" for i in range(0, 100, 7)}
    email_outage(monkeypatch, down)
    batch = create_batch(ports, tenant.tenant_id, leads(100))
    deliver(ports)
    first = reload(ports, batch)
    assert first.counts.failed == len(down) and first.credits_spent == 100 - len(down)

    monkeypatch.undo()
    _, count = reprocess_batch(ports, tenant.tenant_id, batch.batch_id)
    deliver(ports)

    done = reload(ports, batch)
    assert count == len(down) and done.status is BatchStatus.COMPLETED
    assert done.credits_spent == 100 == charged(ports, tenant.tenant_id)
    assert (done.counts.completed, done.counts.failed) == (100, 0)
    _every_row_once(results_rows(ports, done), 100)


def test_a_file_split_cannot_read_fails_its_batch_with_the_reason(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 10)
    batch = start_batch(ports, tenant.tenant_id, io.BytesIO(b"\x00\x01PK\x03\x04binary"), "x.csv",
                        BatchOptions())

    deliver(ports)

    failed = reload(ports, batch)
    assert failed.status is BatchStatus.FAILED and failed.message and failed.finished_at
    assert charged(ports, tenant.tenant_id) == 0
    assert ports.blobs.exists(input_key(tenant.tenant_id, batch.batch_id))


def test_rows_and_preview_agree_with_the_counters_during_and_after_the_run(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 40)
    batch = create_batch(ports, tenant.tenant_id, leads(120, matched_every=2))
    deliver(ports)  # 40 matched rows paid for, then paused

    paused = reload(ports, batch)
    during = rows_page(ports, paused, None, 1000, 0)
    # every row, with its status now: settled ones, the parked rest, none missing (issue 11 #6)
    statuses = [row["status"] for row in during["rows"]]
    assert during["total"] == paused.total_rows == 120
    assert statuses.count("parked") == paused.counts.parked > 0
    assert statuses.count("completed") == paused.counts.completed == 40
    top_up(ports, tenant.tenant_id, 100)
    resume_batch(ports, tenant.tenant_id, batch.batch_id)
    deliver(ports)

    done = reload(ports, batch)
    after = rows_page(ports, done, None, 50, 100)
    looked = preview(done)
    assert after["total"] == 120 and len(after["rows"]) == 20
    assert (looked["matched"], looked["not_found"]) == (60, 60)
    assert rows_page(ports, done, None, 1000, 0)["rows"][7]["row_index"] == 7


def test_the_tick_reports_open_batches_and_those_processing_without_progress_for_15_minutes(
        ports: Ports, ticking: Ticking) -> None:
    tenant = create_tenant(ports, "Acme", 1000)
    batch = create_batch(ports, tenant.tenant_id, leads(30))
    deliver(ports, (topology.INGEST,))
    take_messages(ports, topology.WORK)  # its chunks are lost: no settlement will come
    ports.batches.transition(tenant.tenant_id, batch.batch_id, BatchStatus.PROCESSING,
                             (BatchStatus.QUEUED,), ports.clock.now())
    lines: list[dict[str, Any]] = []
    metrics.emit_to(lines.append)
    try:
        for wait in (0, ports.settings.stalled_after_seconds):
            ticking.at += wait
            with metrics.measured():
                tick(ports)
    finally:
        metrics.emit_to(metrics.to_stdout)
    assert [line["BatchesNeedingAttention"] for line in lines] == [[1.0], [1.0]]
    assert [line["BatchesStalled"] for line in lines] == [[0.0], [1.0]]
