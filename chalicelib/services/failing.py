"""A batch that stops as failed once too many of its rows failed: ``max_failed_percent`` (issue 16).

It builds on the failed-with-results path of giving up (``services/giving_up.py``): the batch
keeps the reason as its ``failure`` while it is still processing; every part that arrives
afterwards settles its rows as failed ``not_processed`` without working them, at no cost; once
every chunk settled, finalize ends the batch ``failed`` with its results and the reason, and
reprocess (``failed_only``) picks up the failed rows, those never processed among them.
"""

from __future__ import annotations

from chalicelib.domain.models import Batch
from chalicelib.observability import logger
from chalicelib.services.ports import Ports


def too_many_failed(batch: Batch) -> bool:
    """More of the batch's rows failed than its ``max_failed_percent`` tolerates (decided once
    the file is split, when the batch's rows are known)."""
    if batch.max_failed_percent is None or batch.total_rows is None:
        return False
    return batch.counts.failed * 100 > batch.max_failed_percent * batch.total_rows


def stop_reason(batch: Batch) -> str | None:
    """Why the batch stops taking rows (past its max_failed_percent), or None while it goes on."""
    if not too_many_failed(batch):
        return None
    return (f"{batch.counts.failed} of {batch.total_rows} rows failed, more than the batch's "
            f"max_failed_percent ({batch.max_failed_percent:g}%): it stopped. Rows not processed "
            "were not charged; fix the cause, then reprocess the failed rows.")


def check_failed_share(ports: Ports, batch: Batch) -> Batch | None:
    """After a part with failed rows settled: read the batch and, past its threshold, keep the
    reason as its ``failure`` (the parts that follow stop); the batch read, None if it is gone."""
    fresh = ports.batches.get(batch.tenant_id, batch.batch_id)
    reason = None if fresh is None or fresh.failure is not None else stop_reason(fresh)
    if fresh is None or reason is None:
        return fresh
    marked = ports.batches.transition(fresh.tenant_id, fresh.batch_id, fresh.status, (fresh.status,),
                                      ports.clock.now(), failure=reason, message=reason)
    logger.warning("batch past max_failed_percent", extra={"batch_id": fresh.batch_id,
                                                           "failed": fresh.counts.failed})
    return marked or ports.batches.get(batch.tenant_id, batch.batch_id)
