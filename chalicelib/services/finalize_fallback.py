"""A finalize step whose row does not fit the header the settlements recorded: the whole batch
starts over with a header it surveys itself.

The recorded shapes cannot miss a column or a width (every settled part recorded its own, in its
settlement's transaction), but if they ever did (a damaged item, a release that recorded them
wrong), a row of step ``n`` would not fit the header step 1 already sent as the first bytes of
results.csv: no later step can mend that. So the step (``ShapeUnknown``) records a checkpoint that
says the batch's header must be surveyed, on the condition that the batch's finalize still stands at
step ``n`` (of two finalizes running that step, both find the same row: one records it, the other
stops), then aborts the uploads the steps had begun and hands on. What the earlier steps carried
stays under ``work/`` (keyed by their step: nothing reads it again) until the working files expire.

Every run of step ``n`` finds the same row before it sends anything, so a retried or duplicated
message records the same checkpoint or stops; a finalize that dies after the checkpoint, before
aborting, leaves uploads the bucket's lifecycle rule aborts after a day (a late step's part then
still finds its upload, but not its checkpoint: it stops). The header is then found as for any batch
the settlements did not shape (``finalizing``), and the files come out as one invocation writes them.
"""

from __future__ import annotations

from chalicelib.domain.finalize_checkpoint import FinalizeCheckpoint
from chalicelib.domain.models import Batch
from chalicelib.keys import results_key
from chalicelib.observability import logger
from chalicelib.services.ports import Ports


def survey_instead(ports: Ports, batch: Batch, at: FinalizeCheckpoint,
                   survey: FinalizeCheckpoint) -> bool:
    """Record ``survey`` (the first survey step's checkpoint) after step ``at`` and abort ``at``'s
    uploads; False if another finalize is ahead."""
    logger.warning("results shape unknown in a finalize step; surveying the header",
                   extra={"batch_id": batch.batch_id, "step": at.step})
    survey = survey.model_copy(update={"seconds": at.seconds})
    if not ports.batches.advance_finalize(batch.tenant_id, batch.batch_id, at.step, survey,
                                          int(ports.clock.epoch())):
        logger.info("another finalize is ahead", extra={"batch_id": batch.batch_id})
        return False
    for name, upload in at.uploads.items():  # after the checkpoint: a retry must find its uploads
        ports.blobs.abort_upload(results_key(batch, name), upload)
    return True
