"""The status body of a batch, computed from its counters alone (O(1) whatever its size)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.models import Batch, BatchStatus

RESULT_LINKS = {"csv": "results.csv", "jsonl": "results.csv?format=jsonl",
                "credits_csv": "credits.csv", "errors_csv": "errors.csv",
                "summary": "summary.json"}


def status_body(batch: Batch) -> dict[str, Any]:
    """What ``GET /v1/batches/{id}`` returns."""
    counts = batch.counts
    total = batch.total_rows
    outstanding = None if total is None else max(total - counts.settled - counts.parked, 0)
    started = batch.status not in (BatchStatus.AWAITING_UPLOAD, BatchStatus.VALIDATING, BatchStatus.QUEUED)
    body: dict[str, Any] = {
        "batch_id": batch.batch_id,
        "name": batch.name,
        "status": batch.status.value,
        "entity_type": batch.entity_type,
        "mode": batch.mode.value,
        "metadata": batch.metadata,
        "created_at": batch.created_at,
        "updated_at": batch.updated_at,
        "started_at": batch.started_at,
        "finished_at": batch.finished_at,
        "og_input_number": total,
        "counts": {
            "total": total,
            "queued": 0 if started else outstanding,
            "processing": outstanding if started else 0,
            "completed": counts.completed,
            "not_found": counts.not_found,
            "failed": counts.failed,
            "skipped": counts.skipped,
            "parked": counts.parked,
        },
        "credits_spent": batch.credits_spent,
        "price_per_match": batch.price,
        "max_credits": batch.max_credits,
        "max_failed_percent": batch.max_failed_percent,
        "progress": round(counts.settled / total, 4) if total else 0.0,
        "success_rate": _success_rate(batch),
        "message": batch.message,
        "webhook_id": batch.webhook_id,
        "webhook_url": batch.webhook_url,
        "results": None,
    }
    if batch.has_results:
        base = f"/v1/batches/{batch.batch_id}/"
        body["results"] = {name: base + path for name, path in RESULT_LINKS.items()}
    return body


def _success_rate(batch: Batch) -> float | None:
    counts = batch.counts
    tried = counts.completed + counts.not_found + counts.failed
    return round(counts.completed / tried, 4) if tried else None
