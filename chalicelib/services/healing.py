"""The tick's look at every open batch: finish what died half-way, continue what stalled.

The open batches come from the sparse attention index (``topology.ATTENTION``): its size is the
number of unfinished batches, never the table's. For each, in order:

1. Paused: nothing here (auto-resume looks at it).
2. Due to finalize (every chunk settled, or cancelled, or failed with unprocessed rows) and
   quiet for ``heal_after_seconds``: finalize is asked again (its message was lost, or it died),
   unless a finalize began less than the finalize function's timeout before (a big batch's
   results take minutes: a second finalize would write them twice at once).
3. A resume or reprocess began sending ``heal_after_seconds`` ago and never said it finished:
   the batch's outstanding parts are sent (duplicates are harmless; each part settles once).
4. No progress for ``heal_after_seconds`` and no backlog in front of it: the batch is continued
   (a file not split yet is split again, the outstanding parts are sent, chunks whose first
   message was lost are sent again by split). After ``heal_limit`` continues without progress,
   it ends ``failed`` with the reason: its unprocessed rows uncharged, listed in its results.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib import topology
from chalicelib.domain.models import ACTIVE_STATUSES, PAUSED_STATUSES, Batch, BatchStatus
from chalicelib.observability import correlated, logger
from chalicelib.services import history
from chalicelib.services.batches import request_finalize
from chalicelib.services.dispatch import dispatch
from chalicelib.services.finalizing import finalize_due
from chalicelib.services.giving_up import fail_batch
from chalicelib.services.ports import Ports
from chalicelib.services.split_steps import split_request


def heal_batches(ports: Ports, open_batches: list[Batch]) -> dict[str, list[str]]:
    """Look at every open batch once; which were finalized, continued or failed (or not fixed)."""
    report: dict[str, list[str]] = {"finalize_requested": [], "continued": [], "failed": [],
                                    "unfixed": []}
    for batch in open_batches:
        with correlated(tenant_id=batch.tenant_id, batch_id=batch.batch_id):
            try:
                outcome = heal(ports, batch)
            except Exception:  # one batch that cannot be healed now never stops the others
                logger.exception("could not heal a batch")
                outcome = "unfixed"
        if outcome:
            report[outcome].append(batch.batch_id)
    return report


def heal(ports: Ports, batch: Batch) -> str | None:
    """What the tick does for one open batch (see the module); the outcome, None if nothing."""
    if batch.status in PAUSED_STATUSES:
        return None
    now = int(ports.clock.epoch())
    wait = ports.settings.heal_after_seconds
    quiet = now - _last_progress(batch)
    if finalize_due(batch):
        if quiet < wait or _still_finalizing(batch, now, wait):
            return None
        request_finalize(ports, batch.tenant_id, batch.batch_id)
        return "finalize_requested"
    if batch.status not in ACTIVE_STATUSES:
        return None
    if batch.dispatch_at is not None and now - batch.dispatch_at >= wait:
        dispatch(ports, batch)
        return "continued"
    if quiet < wait or _backlog(ports, batch):
        return None
    heals = 1 if batch.healed_at is None or _stamp(batch.updated_at) > batch.healed_at else \
        batch.heals + 1
    if heals > ports.settings.heal_limit:
        return _give_up(ports, batch)
    ports.batches.healed(batch.tenant_id, batch.batch_id, heals, now)
    continue_batch(ports, batch)
    return "continued"


def continue_batch(ports: Ports, batch: Batch) -> None:
    """Send again whatever of the batch is outstanding and may have been lost."""
    if batch.chunks_total is None:  # not split yet (or the split died and its message was lost)
        if not ports.blobs.exists(batch.input_key):
            fail_batch(ports, batch.tenant_id, batch.batch_id,
                       "The file never finished uploading. Create the batch again.")
            return
        _request_split(ports, batch, None)
        return
    settled = {chunk.chunk for chunk in ports.batches.chunks(batch.batch_id)}
    missing = sorted(set(range(batch.chunks_total)) - settled)
    if missing:  # chunks whose first part never settled: split sends them again
        _request_split(ports, batch, missing)
    dispatch(ports, batch)
    logger.warning("continued a stalled batch", extra={"batch_id": batch.batch_id,
                                                        "resplit_chunks": len(missing)})


def _request_split(ports: Ports, batch: Batch, chunks: list[int] | None) -> None:
    """An ingest message as S3 sends it for the batch's input (only some chunks, if named)."""
    ports.queue.send(ports.queue_name(topology.INGEST),
                     [split_request(ports.settings.bucket, batch.input_key, chunks)])


def _give_up(ports: Ports, batch: Batch) -> str:
    """End a batch that stalled ``heal_limit`` times: failed, results for what settled."""
    reason = (f"The batch stopped making progress and {ports.settings.heal_limit} attempts to "
              "continue it failed. Rows that were not processed are listed in its results, "
              "uncharged.")
    failed = ports.batches.transition(batch.tenant_id, batch.batch_id, BatchStatus.FAILED,
                                      ACTIVE_STATUSES, ports.clock.now(), failure=reason,
                                      message=reason)
    if failed is not None:
        history.happened(ports, batch.tenant_id, batch.batch_id, history.Step.FAILED, reason=reason)
        request_finalize(ports, batch.tenant_id, batch.batch_id)
    return "failed"


def _backlog(ports: Ports, batch: Batch) -> bool:
    """True while messages wait in the queue this batch's next step comes from (it may be one)."""
    queue = topology.INGEST if batch.chunks_total is None else topology.work_queue(batch.mode)
    return ports.queue.depth(ports.queue_name(queue)) > 0


def _still_finalizing(batch: Batch, now: int, wait: int) -> bool:
    """A finalize began less than its function's timeout (and the usual wait) ago: it may still be
    writing a big batch's results; asking for another would only write them twice at once."""
    began = batch.finalizing_at
    return began is not None and now - began < topology.FINALIZE.function_timeout + wait


def _last_progress(batch: Batch) -> int:
    return max(_stamp(batch.updated_at), batch.healed_at or 0)


def _stamp(iso: str) -> int:
    """An ISO-8601 timestamp as epoch seconds."""
    return int(datetime.fromisoformat(iso).timestamp())
