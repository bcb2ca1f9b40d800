"""Billing invariants under at-least-once delivery: try to break them, fail if they break.

Charged once per row, balance never negative, no row lost, pause/resume exact.
"""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib import topology
from chalicelib.adapters.settlement import SettlementStore
from chalicelib.domain.enrich.email import EmailEnricher
from chalicelib.domain.models import Batch, BatchStatus
from chalicelib.domain.options import BatchOptions
from chalicelib.services.batches import cancel_batch, resume_batch
from chalicelib.services.tenants import top_up
from tests.conftest import Aws
from tests.csvs import leads
from tests.helpers import charged, create_batch, peek_messages, reload, results_rows


def _batch(aws: Aws, tenant_id: str, rows: int, matched_every: int = 1) -> Batch:
    return create_batch(aws.ports, tenant_id, leads(rows, matched_every), "leads.csv", BatchOptions())


def _assert_every_row_once(rows: list[dict[str, str]], count: int) -> None:
    assert [int(r["row_index"]) for r in rows] == list(range(count))
    assert [r["id"] for r in rows] == [f"L{i}" for i in range(count)]


def test_a_chunk_delivered_twice_is_charged_once(aws: Aws) -> None:
    tenant = aws.tenant(1000)
    batch = _batch(aws, tenant.tenant_id, 250)
    aws.pump(topology.INGEST)
    bodies = peek_messages(aws.ports, topology.WORK)
    assert len(bodies) == 3  # 100 + 100 + 50 rows
    aws.ports.queue.send(aws.ports.settings.name(topology.WORK.name), bodies)  # every chunk twice

    aws.drain()

    done = reload(aws.ports, batch)
    assert done.status is BatchStatus.COMPLETED
    assert done.credits_spent == 250
    assert aws.balance(tenant.tenant_id) == 750
    assert charged(aws.ports, tenant.tenant_id) == 250
    rows = results_rows(aws.ports, done)
    _assert_every_row_once(rows, 250)
    assert len(results_rows(aws.ports, done, "credits.csv")) == 250


def test_a_worker_that_dies_between_results_and_transaction_is_charged_once(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = aws.tenant(1000)
    batch = _batch(aws, tenant.tenant_id, 120)
    crashes = {"left": 1}

    def dies_once(real: Any) -> Any:
        def settle(self: SettlementStore, request: Any) -> None:
            if crashes["left"]:
                crashes["left"] -= 1
                raise RuntimeError("worker killed after writing results, before the transaction")
            real(self, request)
        return settle

    for name in ("settle", "settle_together"):  # a part settled alone, or parts together
        monkeypatch.setattr(SettlementStore, name, dies_once(getattr(SettlementStore, name)))
    aws.drain()

    done = reload(aws.ports, batch)
    assert crashes["left"] == 0
    assert done.status is BatchStatus.COMPLETED
    assert done.credits_spent == 120 == charged(aws.ports, tenant.tenant_id)
    assert aws.balance(tenant.tenant_id) == 880
    _assert_every_row_once(results_rows(aws.ports, done), 120)


def test_a_worker_that_dies_after_the_transaction_is_not_charged_again(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = aws.tenant(1000)
    batch = _batch(aws, tenant.tenant_id, 120)
    crashes = {"left": 2}

    def commits_then_dies(real: Any) -> Any:
        def settle(self: SettlementStore, request: Any) -> None:
            real(self, request)
            if crashes["left"]:
                crashes["left"] -= 1
                raise RuntimeError("worker killed after the commit, before the message was deleted")
        return settle

    for name in ("settle", "settle_together"):  # a part settled alone, or parts together
        monkeypatch.setattr(SettlementStore, name, commits_then_dies(getattr(SettlementStore, name)))
    aws.drain()

    done = reload(aws.ports, batch)
    assert done.status is BatchStatus.COMPLETED
    assert done.credits_spent == 120 == charged(aws.ports, tenant.tenant_id)
    assert aws.balance(tenant.tenant_id) == 880
    _assert_every_row_once(results_rows(aws.ports, done), 120)


def test_a_duplicate_s3_event_splits_the_file_once(aws: Aws) -> None:
    tenant = aws.tenant(1000)
    _batch(aws, tenant.tenant_id, 250)
    event = peek_messages(aws.ports, topology.INGEST)[0]
    aws.ports.queue.send(aws.ports.settings.name(topology.INGEST.name), [event])  # S3 delivered it twice

    aws.pump(topology.INGEST)

    work = aws.mappings[topology.WORK.name].outstanding()
    assert work == 3


def test_a_paused_batch_spent_exactly_its_balance_and_completes_after_top_up(aws: Aws) -> None:
    tenant = aws.tenant(37)
    batch = _batch(aws, tenant.tenant_id, 250, matched_every=2)  # 125 billable rows

    aws.drain()

    paused = reload(aws.ports, batch)
    assert paused.status is BatchStatus.PAUSED_INSUFFICIENT_CREDITS
    assert paused.credits_spent == 37
    assert aws.balance(tenant.tenant_id) == 0
    assert paused.counts.settled + paused.counts.parked == 250  # no row lost
    assert paused.counts.parked > 0

    top_up(aws.ports, tenant.tenant_id, 100)
    resume_batch(aws.ports, tenant.tenant_id, batch.batch_id)
    aws.drain()

    done = reload(aws.ports, batch)
    assert done.status is BatchStatus.COMPLETED
    assert done.credits_spent == 125  # matched rows x rate, nothing twice
    assert done.counts.completed == 125 and done.counts.not_found == 125
    assert done.counts.parked == 0
    assert aws.balance(tenant.tenant_id) == 37 + 100 - 125
    assert charged(aws.ports, tenant.tenant_id) == 125
    rows = results_rows(aws.ports, done)
    _assert_every_row_once(rows, 250)
    assert sum(int(r["enrich_credits"]) for r in rows) == 125
    assert len(results_rows(aws.ports, done, "credits.csv")) == 125


def test_resume_without_credits_is_refused_and_changes_nothing(aws: Aws) -> None:
    tenant = aws.tenant(5)
    batch = _batch(aws, tenant.tenant_id, 50)
    aws.drain()
    from chalicelib.domain.errors import InsufficientCredits

    with pytest.raises(InsufficientCredits) as refused:
        resume_batch(aws.ports, tenant.tenant_id, batch.batch_id)

    assert refused.value.details["credits_remaining"] == 0
    assert reload(aws.ports, batch).status is BatchStatus.PAUSED_INSUFFICIENT_CREDITS


def test_a_resume_does_not_pay_the_provider_twice(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    real = EmailEnricher.enrich

    def counted(self: EmailEnricher, record: dict[str, str]) -> Any:
        calls["n"] += 1
        return real(self, record)

    monkeypatch.setattr(EmailEnricher, "enrich", counted)
    tenant = aws.tenant(30)
    batch = _batch(aws, tenant.tenant_id, 250)
    aws.drain()
    assert reload(aws.ports, batch).status is BatchStatus.PAUSED_INSUFFICIENT_CREDITS

    top_up(aws.ports, tenant.tenant_id, 1000)
    resume_batch(aws.ports, tenant.tenant_id, batch.batch_id)
    aws.drain()

    assert reload(aws.ports, batch).status is BatchStatus.COMPLETED
    assert calls["n"] == 250  # every row enriched exactly once across pause and resume


def test_cancel_stops_charging_and_keeps_every_row(aws: Aws) -> None:
    tenant = aws.tenant(1000)
    batch = _batch(aws, tenant.tenant_id, 250)
    aws.pump(topology.INGEST)
    aws.mappings[topology.WORK.name].poll_once()  # the first batch of chunks settles
    spent = reload(aws.ports, batch).credits_spent

    cancel_batch(aws.ports, tenant.tenant_id, batch.batch_id)
    aws.drain()

    done = reload(aws.ports, batch)
    assert done.status is BatchStatus.CANCELLED
    assert done.finished_at is not None
    assert done.credits_spent == spent == 1000 - aws.balance(tenant.tenant_id)
    rows = results_rows(aws.ports, done)
    _assert_every_row_once(rows, 250)
    unsettled = [r for r in rows if r["enrich_error"] == "cancelled_before_processing"]
    assert len(unsettled) == 250 - spent
    assert all(r["enrich_credits"] == "0" for r in unsettled)


def test_cells_with_unicode_line_separators_survive_a_pause_a_resume_and_the_results(aws: Aws) -> None:
    odd = ["line\u2028separator", "para\u2029graph", "next\x85line", "form\x0cfeed", "vertical\x0btab"]
    lines = ["id,Email Address,Phone,Country,Notes"] + [
        f"L{i},person{i}@example.com,,US,{odd[i % len(odd)]}" for i in range(30)
    ]
    tenant = aws.tenant(10)
    batch = create_batch(aws.ports, tenant.tenant_id, "\r\n".join(lines).encode(), "odd.csv",
                         BatchOptions())
    aws.drain()
    assert reload(aws.ports, batch).counts.parked == 20  # the parked rows' stored part is read on resume

    top_up(aws.ports, tenant.tenant_id, 100)
    resume_batch(aws.ports, tenant.tenant_id, batch.batch_id)
    aws.drain()

    done = reload(aws.ports, batch)
    assert done.status is BatchStatus.COMPLETED and done.credits_spent == 30
    rows = results_rows(aws.ports, done)
    assert [r["Notes"] for r in rows] == [odd[i % len(odd)] for i in range(30)]
