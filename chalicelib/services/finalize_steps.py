"""finalize in steps: a batch of more rows than ``finalize_step_rows`` is written by one invocation
per step, each step bounded, safe to run again from any point.

The first step begins a multipart upload of each of results.csv, credits.csv, rows.jsonl and
errors.csv and records them in the batch's checkpoint (a conditional write: of two finalizes
that begin at once, one's uploads are kept, the other's aborted). Step ``n`` takes whole chunks
from where the checkpoint says until they hold ``finalize_step_rows`` settled rows, writes
their rows' share of each file (results.csv in one pass: its header is known from the shapes the
settlements recorded, ``results_shape``), and sends each share as part ``n`` of its file's upload;
a share under S3's smallest part is carried instead (an object under ``work/``, keyed by the
step) and goes in front of the next step's share. Then it records the next checkpoint (on the
condition that the checkpoint still says step ``n``) and sends a finalize message for the next
step. The last step sends its shares whatever their size, puts summary.json and completes the
uploads; the caller then completes the batch. What follows:

- a step run again (a duplicate message, a crash anywhere before its checkpoint was recorded)
  writes the same bytes as part ``n`` again, replacing them: a step's rows, its carry and its
  part number depend on the checkpoint only;
- of two finalizes running the same step, one records the checkpoint; the other stops;
- a crash after the checkpoint but before the message leaves the batch's ``finalizing_at``
  standing: the tick asks for finalize again once that is a finalize timeout old;
- an upload that is gone (completed by another finalize, which went on to the end) stops a
  late step; the last step run again after the uploads were completed goes on to complete the
  batch. Uploads left unfinished are aborted by the bucket's lifecycle rule after a day.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

from chalicelib import topology
from chalicelib.domain.finalize_checkpoint import FinalizeCheckpoint
from chalicelib.domain.messages import FinalizeMessage
from chalicelib.domain.models import Batch, ChunkState
from chalicelib.keys import carry_key, results_key
from chalicelib.observability import logger, request_id
from chalicelib.ports import blobs as blobs_port
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
from chalicelib.services.finalize_rows import settled_rows
from chalicelib.services.ports import Ports
from chalicelib.services.results_shape import ResultsShape


def in_steps(ports: Ports, batch: Batch) -> bool:
    """True when a batch's results are written in steps (more rows than one step takes)."""
    return batch.finalize_checkpoint is not None or \
        (batch.total_rows or 0) > ports.settings.finalize_step_rows


def step_end(chunks: list[ChunkState], start: int, rows: int) -> int:
    """Where the step that starts at chunk position ``start`` ends: after whole chunks holding at
    least ``rows`` settled rows (one chunk at least), or at the end."""
    held, end = 0, start
    while end < len(chunks) and (held < rows or end == start):
        held += sum(part.settled for part in chunks[end].parts)
        end += 1
    return end


def finalize_step(ports: Ports, batch: Batch, chunks: list[ChunkState],
                  shape: ResultsShape) -> Counter[str] | None:
    """Run the batch's next finalize step; once the last step joined the files, how many rows of
    each status they hold; None when it handed on to the next step (or another is ahead)."""
    started = time.perf_counter()
    rows = ports.settings.finalize_step_rows
    at = batch.finalize_checkpoint or _begin(ports, batch, step_end(chunks, 0, rows))
    if at is None:
        return None
    end = at.end if at.end is not None else step_end(chunks, at.chunk, rows)
    last = end >= len(chunks)
    tally = Tally(at.tally)
    with tempfile.TemporaryDirectory() as folder:
        try:
            _write_share(ports, batch, chunks[at.chunk:end], shape, at, Path(folder), tally)
        except ShapeUnknown:  # a row the recorded shapes did not cover: survey the header
            if survey_instead(ports, batch, at, step_end(chunks, 0, rows)):
                hand_on(ports, batch)
            return None
        try:
            carried = _send(ports, batch, at, Path(folder), last)
        except UploadGone:
            _gone(ports, batch, at)
            return None
    if last:
        summary = json.dumps(tally.summary(batch), indent=2).encode()
        ports.blobs.put(results_key(batch, "summary.json"), summary, "application/json")
        return tally.statuses
    following = FinalizeCheckpoint(step=at.step + 1, chunk=end, end=step_end(chunks, end, rows),
                                   uploads=at.uploads, carried=carried, tally=tally.kept(),
                                   seconds=at.seconds + time.perf_counter() - started)
    if not ports.batches.advance_finalize(batch.tenant_id, batch.batch_id, at.step, following,
                                          int(ports.clock.epoch())):
        logger.info("another finalize is ahead", extra={"batch_id": batch.batch_id})
        return None
    hand_on(ports, batch)
    logger.info("finalize step handed over", extra={"batch_id": batch.batch_id, "chunks": end})
    return None


def hand_on(ports: Ports, batch: Batch) -> None:
    """Ask for the batch's next finalize step (its checkpoint says which)."""
    message = FinalizeMessage(tenant_id=batch.tenant_id, batch_id=batch.batch_id,
                              request_id=request_id())
    ports.queue.send(ports.queue_name(topology.FINALIZE), [message.model_dump_json(exclude_none=True)])


def _begin(ports: Ports, batch: Batch, end: int) -> FinalizeCheckpoint | None:
    """Begin the uploads and record them as step 1's checkpoint (ending at chunk position
    ``end``); another finalize's, if it began first (None once the batch is finished)."""
    uploads = {name: ports.blobs.start_upload(results_key(batch, name), kind) for name, kind in PARTED}
    first = FinalizeCheckpoint(step=1, chunk=0, end=end, uploads=uploads)
    if ports.batches.advance_finalize(batch.tenant_id, batch.batch_id, 0, first,
                                      int(ports.clock.epoch())):
        return first
    for name, upload in uploads.items():
        ports.blobs.abort_upload(results_key(batch, name), upload)
    fresh = ports.batches.get(batch.tenant_id, batch.batch_id)
    return None if fresh is None or fresh.finished_at else fresh.finalize_checkpoint


def _write_share(ports: Ports, batch: Batch, chunks: list[ChunkState], shape: ResultsShape,
                 at: FinalizeCheckpoint, folder: Path, tally: Tally) -> None:
    """This step's rows' share of each file (the headers in step 1's), counted into ``tally``."""
    first = at.step == 1
    with ExitStack() as files:
        texts = {name: files.enter_context(open_text(folder / name)) for name, _ in PARTED}
        results = ResultsWriter(texts["results.csv"], shape.header, shape.columns, first)
        rows = RowsPass(texts, tally, first, results)
        for row in settled_rows(ports, batch, chunks):
            rows.add(row)


def _send(ports: Ports, batch: Batch, at: FinalizeCheckpoint, folder: Path, last: bool) -> list[str]:
    """Send each file's share (behind what earlier steps carried) as part ``at.step``, or carry it
    while it is under S3's smallest part and this is not the last step; the files carried."""

    def one(name: str) -> bool:
        share = folder / name
        if name in at.carried:
            share = _behind(ports.blobs.read(carry_key(batch.batch_id, at.step - 1, name)), share)
        size = share.stat().st_size
        if not size and not last:
            return False  # nothing to send, nothing to carry
        if last:
            _last_part(ports, results_key(batch, name), at.uploads[name], at.step, share, size)
            return False
        if size >= blobs_port.MIN_PART_BYTES:
            ports.blobs.upload_part(results_key(batch, name), at.uploads[name], at.step, share)
            return False
        ports.blobs.upload_file(carry_key(batch.batch_id, at.step, name), share,
                                "application/octet-stream")
        return True

    names = [name for name, _ in PARTED]
    with ThreadPoolExecutor(max_workers=len(names)) as pool:  # the files side by side
        kept = list(pool.map(one, names))
    return [name for name, carried in zip(names, kept, strict=True) if carried]


def _behind(carry: bytes, share: Path) -> Path:
    """A file of the carried bytes followed by ``share``."""
    joined = share.with_suffix(share.suffix + ".joined")
    with joined.open("wb") as out, share.open("rb") as rest:
        out.write(carry)
        shutil.copyfileobj(rest, out, 1 << 20)
    return joined


def _last_part(ports: Ports, key: str, upload: str, step: int, share: Path, size: int) -> None:
    """Send a file's last part (if it has one) and complete its upload; a file another finalize
    (or this step before it died) completed already is left as it is."""
    try:
        if size:
            ports.blobs.upload_part(key, upload, step, share)
        ports.blobs.finish_upload(key, upload)
    except UploadGone:
        if not ports.blobs.exists(key):
            raise


def _gone(ports: Ports, batch: Batch, at: FinalizeCheckpoint) -> None:
    """An upload was gone before the last step: another finalize is ahead (it went on, or finished
    the batch); anything else is an error (the message is retried)."""
    fresh = ports.batches.get(batch.tenant_id, batch.batch_id)
    standing = None if fresh is None else fresh.finalize_checkpoint
    if fresh is None or fresh.finished_at or (standing is not None and standing.step != at.step):
        logger.info("another finalize is ahead", extra={"batch_id": batch.batch_id})
        return
    raise RuntimeError(f"the results uploads of {batch.batch_id} are gone at step {at.step}")
