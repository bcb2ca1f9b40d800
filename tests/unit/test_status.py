"""status_body: what a customer polling GET /v1/batches/{id} sees at each stage of a batch."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.models import Batch, BatchCounts, BatchStatus, Mode
from chalicelib.domain.status import status_body

CREATED = "2026-03-01T10:00:00.000+00:00"


def batch(status: BatchStatus, total: int | None, counts: BatchCounts | None = None,
          **fields: Any) -> Batch:
    return Batch(
        tenant_id="t_1", batch_id="b_1", name="March leads", status=status, mode=Mode.BASIC,
        entity_type="person", price=1, created_at=CREATED, updated_at=CREATED,
        input_key="uploads/t_1/b_1/input.csv", metadata={"campaign": "spring"},
        total_rows=total, counts=counts or BatchCounts(), **fields,
    )


def test_a_just_created_batch_knows_no_counts_yet() -> None:
    body = status_body(batch(BatchStatus.VALIDATING, None))

    assert body["status"] == "validating"
    assert body["og_input_number"] is None
    assert body["counts"]["total"] is None
    assert body["counts"]["processing"] == 0
    assert body["counts"]["completed"] == 0
    assert body["progress"] == 0.0
    assert body["success_rate"] is None
    assert body["results"] is None


def test_a_queued_batch_has_every_row_queued() -> None:
    body = status_body(batch(BatchStatus.QUEUED, 250))

    assert body["status"] == "queued"
    assert body["og_input_number"] == 250
    assert body["counts"] == {"total": 250, "queued": 250, "processing": 0, "completed": 0,
                              "not_found": 0, "failed": 0, "skipped": 0, "parked": 0}
    assert body["progress"] == 0.0
    assert body["success_rate"] is None
    assert body["results"] is None
    assert body["metadata"] == {"campaign": "spring"}


def test_a_processing_batch_counts_what_settled_and_what_is_left() -> None:
    counts = BatchCounts(completed=30, not_found=15, failed=5, skipped=10)

    body = status_body(batch(BatchStatus.PROCESSING, 200, counts, credits_spent=30,
                             started_at=CREATED))

    assert body["counts"] == {"total": 200, "queued": 0, "processing": 140, "completed": 30,
                              "not_found": 15, "failed": 5, "skipped": 10, "parked": 0}
    assert body["progress"] == 0.3
    assert body["success_rate"] == 0.6  # 30 matched of 50 tried; skipped rows were never tried
    assert body["credits_spent"] == 30
    assert body["results"] is None


def test_a_paused_batch_shows_its_parked_rows_as_not_done() -> None:
    counts = BatchCounts(completed=40, not_found=10, parked=50)

    body = status_body(batch(BatchStatus.PAUSED_INSUFFICIENT_CREDITS, 100, counts, credits_spent=40,
                             message="Out of credits: top up, then resume."))

    assert body["status"] == "paused_insufficient_credits"
    assert body["counts"]["parked"] == 50
    assert body["counts"]["queued"] == 0
    assert body["counts"]["processing"] == 0
    assert body["progress"] == 0.5
    assert body["success_rate"] == 0.8
    assert body["message"] == "Out of credits: top up, then resume."
    assert body["results"] is None


def test_a_completed_batch_links_its_results() -> None:
    counts = BatchCounts(completed=2, not_found=1, skipped=0)

    body = status_body(batch(BatchStatus.COMPLETED, 3, counts, credits_spent=2, max_credits=10,
                             started_at=CREATED, finished_at="2026-03-01T10:05:00.000+00:00"))

    assert body["counts"] == {"total": 3, "queued": 0, "processing": 0, "completed": 2,
                              "not_found": 1, "failed": 0, "skipped": 0, "parked": 0}
    assert body["progress"] == 1.0
    assert body["success_rate"] == 0.6667
    assert body["max_credits"] == 10
    assert body["finished_at"] == "2026-03-01T10:05:00.000+00:00"
    assert body["results"] == {
        "csv": "/v1/batches/b_1/results.csv",
        "jsonl": "/v1/batches/b_1/results.csv?format=jsonl",
        "credits_csv": "/v1/batches/b_1/credits.csv",
        "errors_csv": "/v1/batches/b_1/errors.csv",
        "summary": "/v1/batches/b_1/summary.json",
    }


def test_a_batch_of_only_skipped_rows_is_complete_without_a_success_rate() -> None:
    body = status_body(batch(BatchStatus.COMPLETED, 4, BatchCounts(skipped=4),
                             finished_at="2026-03-01T10:05:00.000+00:00"))

    assert body["progress"] == 1.0
    assert body["success_rate"] is None


def test_the_status_body_has_every_documented_field() -> None:
    body = status_body(batch(BatchStatus.QUEUED, 1))

    assert {"batch_id", "name", "status", "entity_type", "mode", "metadata", "created_at", "updated_at",
            "started_at", "finished_at", "og_input_number", "counts", "credits_spent", "max_credits",
            "progress", "success_rate", "message", "results"} <= set(body)
