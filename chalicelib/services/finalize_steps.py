"""finalize in steps: a batch of more rows than ``finalize_step_rows`` is written by one invocation
per step, each step bounded, safe to run again from any point.

results.csv's header must be known before its first line. Where the settlements recorded it
(``results_shape``), the first step begins a multipart upload of each of results.csv,
credits.csv, rows.jsonl and errors.csv and records them, with the header, in the batch's
checkpoint (a conditional write: of two finalizes that begin at once, one's uploads are kept, the
other's aborted). Where they did not (a stopped or reprocessed batch, parts of an older release),
survey steps over the same rows find it first (``finalize_survey``), and the last of them begins
the uploads. Step ``n`` takes the rows ``finalize_ranges`` gives it, writes their share of each
file (the headers in the first writing step's), and sends each share as part ``n`` of its file's
upload (``finalize_parts``: a share under S3's smallest part is carried to the next step). Then it
records the next checkpoint (on the condition that the checkpoint still says step ``n``) and sends
a finalize message for the next step. The last step sends its shares whatever their size, puts
summary.json and completes the uploads; the caller then completes the batch. What follows:

- a step run again (a duplicate message, a crash anywhere before its checkpoint was recorded)
  writes the same bytes as part ``n`` again, replacing them: a step's rows, its carry and its
  part number depend on the checkpoint only;
- of two finalizes running the same step, one records the checkpoint; the other stops;
- a crash after the checkpoint but before the message leaves the batch's ``finalizing_at``
  standing: the tick asks for finalize again once that is a finalize timeout old;
- an upload that is gone (completed by another finalize, which went on to the end) stops a
  late step; the last step run again after the uploads were completed goes on to complete the
  batch. Uploads left unfinished are aborted by the bucket's lifecycle rule after a day;
- a row that does not fit the header (``ShapeUnknown``: recorded shapes that were wrong) starts
  the batch over with a survey (``finalize_fallback``).
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

from chalicelib import topology
from chalicelib.domain.finalize_checkpoint import FinalizeCheckpoint, SurveyedHeader
from chalicelib.domain.messages import FinalizeMessage
from chalicelib.domain.models import Batch, ChunkState
from chalicelib.keys import results_key
from chalicelib.observability import logger, request_id
from chalicelib.ports.blobs import UploadGone
from chalicelib.services.finalize_fallback import survey_instead
from chalicelib.services.finalize_files import (
    PARTED,
    ResultsWriter,
    RowsPass,
    ShapeUnknown,
    Tally,
    open_text,
)
from chalicelib.services.finalize_parts import send_shares, upload_gone
from chalicelib.services.finalize_ranges import first_step, following, is_last, step_rows
from chalicelib.services.finalize_rows import RowRange
from chalicelib.services.finalize_survey import begin_uploads, survey_step
from chalicelib.services.input_rows import unprocessed_reason
from chalicelib.services.ports import Ports
from chalicelib.services.results_shape import ResultsShape, known_shape, widened


def in_steps(ports: Ports, batch: Batch) -> bool:
    """True when a batch's results are written in steps: more rows than one step takes, or a
    stopped batch whose rows are not counted yet (its split never finished)."""
    rows = ports.settings.finalize_step_rows
    if batch.finalize_checkpoint is not None or (batch.total_rows or 0) > rows:
        return True
    if batch.total_rows is not None or unprocessed_reason(batch) is None:
        return False
    size = int(ports.blobs.head(batch.input_key).get("ContentLength", 0))
    return size > rows  # a row takes a byte at least: a smaller file is one step's rows at most


def finalize_step(ports: Ports, batch: Batch, chunks: list[ChunkState],
                  file_header: list[str]) -> Counter[str] | None:
    """Run the batch's next finalize step; once the last step joined the files, how many rows of
    each status they hold; None when it handed on to the next step (or another is ahead)."""
    started = time.perf_counter()
    at = batch.finalize_checkpoint or _begin(ports, batch, chunks, file_header)
    if at is None:
        return None
    if at.header is not None and not at.header.known:
        if survey_step(ports, batch, chunks, at, started):
            hand_on(ports, batch)
        return None
    shape = _shape(batch, chunks, file_header, at)
    taken = step_rows(ports, batch, chunks, at)
    tally = Tally(at.tally)
    with tempfile.TemporaryDirectory() as folder:
        try:
            if shape is None:  # an older checkpoint whose batch no longer has its recorded shape
                raise ShapeUnknown("the recorded shape no longer holds")
            _write_share(taken, shape, at, Path(folder), tally)
        except ShapeUnknown:  # a row the recorded shapes did not cover: survey the header
            restart = first_step(ports, batch, chunks, at.step + 1, {}, SurveyedHeader())
            if survey_instead(ports, batch, at, restart):
                hand_on(ports, batch)
            return None
        last = is_last(ports, batch, chunks, at, taken)
        try:
            carried = send_shares(ports, batch, at, Path(folder), last)
        except UploadGone:
            upload_gone(ports, batch, at)
            return None
    if last:
        summary = json.dumps(tally.summary(batch), indent=2).encode()
        ports.blobs.put(results_key(batch, "summary.json"), summary, "application/json")
        return tally.statuses
    chunk, end, row, stop = following(ports, batch, chunks, at, taken)
    after = at.model_copy(update={"step": at.step + 1, "chunk": chunk, "end": end, "row": row,
                                  "stop": stop, "carried": carried, "tally": tally.kept(),
                                  "seconds": at.seconds + time.perf_counter() - started})
    if not ports.batches.advance_finalize(batch.tenant_id, batch.batch_id, at.step, after,
                                          int(ports.clock.epoch())):
        logger.info("another finalize is ahead", extra={"batch_id": batch.batch_id})
        return None
    hand_on(ports, batch)
    logger.info("finalize step handed over", extra={"batch_id": batch.batch_id, "row": row})
    return None


def hand_on(ports: Ports, batch: Batch) -> None:
    """Ask for the batch's next finalize step (its checkpoint says which)."""
    message = FinalizeMessage(tenant_id=batch.tenant_id, batch_id=batch.batch_id,
                              request_id=request_id())
    ports.queue.send(ports.queue_name(topology.FINALIZE), [message.model_dump_json(exclude_none=True)])


def _begin(ports: Ports, batch: Batch, chunks: list[ChunkState],
           file_header: list[str]) -> FinalizeCheckpoint | None:
    """Record step 1's checkpoint: the uploads begun with the recorded header, or a survey where
    the settlements did not record it; another finalize's, if it began first (None once the batch
    is finished)."""
    if known_shape(batch, chunks, file_header) is None:
        first = first_step(ports, batch, chunks, 1, {}, SurveyedHeader())
    else:
        header = SurveyedHeader(columns=sorted(batch.shape_columns), width=batch.shape_width,
                                known=True)
        first = first_step(ports, batch, chunks, 1, {}, header)
    return begin_uploads(ports, batch, 0, first)


def _shape(batch: Batch, chunks: list[ChunkState], file_header: list[str],
           at: FinalizeCheckpoint) -> ResultsShape | None:
    """results.csv's header as the checkpoint keeps it (older checkpoints: the recorded shapes)."""
    if at.header is None:
        return known_shape(batch, chunks, file_header)
    return ResultsShape(widened(batch, file_header, at.header.width), list(at.header.columns))


def _write_share(taken: RowRange, shape: ResultsShape, at: FinalizeCheckpoint, folder: Path,
                 tally: Tally) -> None:
    """This step's rows' share of each file (the headers in the first writing step's), counted
    into ``tally``."""
    first = at.step == (at.header.first if at.header is not None else 1)
    with ExitStack() as files:
        texts = {name: files.enter_context(open_text(folder / name)) for name, _ in PARTED}
        results = ResultsWriter(texts["results.csv"], shape.header, shape.columns, first)
        rows = RowsPass(texts, tally, first, results)
        for item in taken.items():
            rows.add(item)
