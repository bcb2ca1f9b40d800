"""split: stream an uploaded CSV from S3 into chunk messages on the work queue, in steps."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from chalicelib.domain.columns import ColumnMapping
from chalicelib.domain.csvinput import CsvTable
from chalicelib.domain.csvstream import CsvRows, Cursor, open_rows
from chalicelib.domain.errors import BadInput, InvalidRequest
from chalicelib.domain.messages import SplitCheckpoint
from chalicelib.domain.models import ACTIVE_STATUSES, Batch, BatchStatus
from chalicelib.domain.records import RowClassifier
from chalicelib.domain.upload import Layout, columns_and_rows, read_layout
from chalicelib.keys import manifest_key, seen_chunk, seen_prefix, upload_ids
from chalicelib.observability import bind, logger
from chalicelib.services import history
from chalicelib.services.announcing import announce, marked
from chalicelib.services.batches import request_finalize
from chalicelib.services.intake import cached_maps
from chalicelib.services.outbox import note_status
from chalicelib.services.ports import Ports
from chalicelib.services.split_steps import ChunkSender, Stop


@dataclass(frozen=True)
class UploadedObject:
    """One S3 object-created record: where, and which version of the content."""

    bucket: str
    key: str
    etag: str


def split_upload(ports: Ports, obj: UploadedObject, only: frozenset[int] | None = None,
                 seconds_left: Callable[[], float] | None = None,
                 start: SplitCheckpoint | None = None) -> int | None:
    """Split one uploaded file into chunks; returns the chunk count, None if nothing was to do
    (or this invocation handed the rest over to the next one).

    Safe to run again from any point, so a failed or dead split is simply redelivered: nothing
    is claimed before the work. Chunks are deterministic (the same file gives the same chunks)
    and each one settles once. A big file goes in steps (``split_steps.py``): each commits a
    checkpoint before it sends the chunks it covers, stops before the deadline
    (``seconds_left``, from Lambda's context) and asks the next invocation to go on from there;
    a split that died goes on from the last checkpoint; the batch's ``chunks_total`` says the
    split is done (a duplicate S3 event then does nothing). ``only``: send just these chunks
    again (the tick's repair of chunks whose message was lost), reading from ``start``.
    """
    ids = upload_ids(obj.key)
    if ids is None:
        logger.warning("not a batch upload; ignored", extra={"key": obj.key})
        return None
    tenant_id, batch_id = ids
    bind(tenant_id=tenant_id, batch_id=batch_id)
    batch = ports.batches.get(tenant_id, batch_id)
    if batch is not None and batch.status is BatchStatus.AWAITING_UPLOAD:  # a presigned upload came
        batch = ports.batches.transition(tenant_id, batch_id, BatchStatus.VALIDATING,
                                         (BatchStatus.AWAITING_UPLOAD,), ports.clock.now()) \
            or ports.batches.get(tenant_id, batch_id)
    if batch is None or batch.status not in ACTIVE_STATUSES:
        logger.warning("no active batch for upload", extra={"key": obj.key})
        return None
    bind(request_id=batch.request_id)  # the API request that created the batch
    if batch.chunks_total is not None and only is None:
        logger.info("duplicate upload event; already split", extra={"batch_id": batch_id})
        if batch.all_chunks_done:  # the split that finished may have died before asking
            request_finalize(ports, tenant_id, batch_id)
        return None
    first = start if only is not None else batch.split_checkpoint
    try:
        _check_size(ports, batch, obj)
        classifier, reader, values = _open(ports, batch, obj, first)
        sent = ChunkSender(ports, batch, classifier, reader, first, only, seconds_left).send(values)
    except (BadInput, InvalidRequest) as error:  # a file that never passed the API's checks
        # (a presigned upload, a dropped file): its batch fails with the reason, uncharged
        _fail(ports, batch, error.message)
        return None
    if isinstance(sent, Stop) or only is not None:
        return None if isinstance(sent, Stop) else len(only or ())
    split = ports.batches.record_split(tenant_id, batch_id, sent.rows, sent.chunks, ports.clock.now())
    history.split(ports, tenant_id, batch_id, sent.rows, sent.chunks, sent.seconds)
    if split.all_chunks_done and split.status in ACTIVE_STATUSES:
        request_finalize(ports, tenant_id, batch_id)
    logger.info("split", extra={"batch_id": batch_id, "rows": sent.rows, "chunks": sent.chunks})
    return sent.chunks


def _open(ports: Ports, batch: Batch, obj: UploadedObject,
          first: SplitCheckpoint | None) -> tuple[RowClassifier, CsvRows, Iterator[list[str]]]:
    """The rows this step reads: from the checkpoint, or (the first step) from the file's
    first byte, resolving its layout and moving the batch to queued."""
    settings = ports.settings
    max_rows = settings.max_rows_per_batch if batch.origin == "api" else settings.max_rows_per_file
    if first is not None and batch.fields is not None:
        reader = CsvRows(ports.blobs.open(obj.key, bucket=obj.bucket, start=first.offset), first.codec,
                         first.delimiter, Cursor(first.offset, first.line, first.blanks))
        classifier = RowClassifier(dict(batch.fields), batch.entity_type, max_rows, batch.row_limit,
                                   batch.dedupe, _records=first.records)
        for key in ports.blobs.keys(seen_prefix(batch.batch_id)) if batch.dedupe else ():
            if seen_chunk(key) < first.chunk:  # kept with a checkpoint up to this one
                classifier.remember(ports.blobs.read(key))
        return classifier, reader, iter(reader)
    table, reader = open_rows(ports.blobs.open(obj.key, bucket=obj.bucket))
    layout, values = _layout(ports, batch, table)
    manifest = {"columns": layout.columns, "mapping": layout.mapping.to_json(),
                "entity_type": layout.entity_type,
                "encoding": table.encoding, "delimiter": table.delimiter}
    ports.blobs.put(manifest_key(batch.batch_id), json.dumps(manifest).encode(), "application/json")
    platform = {"platform": layout.platform} if layout.platform and not batch.platform else {}
    queued = ports.batches.transition(batch.tenant_id, batch.batch_id, BatchStatus.QUEUED,
                                      (BatchStatus.VALIDATING,), ports.clock.now(), **platform,
                                      entity_type=layout.entity_type,
                                      fields=dict(layout.mapping.fields),
                                      has_header=layout.mapping.has_header,
                                      skip_rows=layout.mapping.skip_rows)
    note_status(ports, queued)  # a dropped file's status file says queued
    classifier = RowClassifier(dict(layout.mapping.fields), layout.entity_type, max_rows,
                               batch.row_limit, batch.dedupe)
    return classifier, reader, values


def _check_size(ports: Ports, batch: Batch, obj: UploadedObject) -> None:
    """A file that came past the API (upload, drop folder) may not exceed their byte limit."""
    if batch.origin == "api":
        return
    size = int(ports.blobs.head(obj.key, bucket=obj.bucket).get("ContentLength", 0))
    limit = ports.settings.upload_form_max_bytes
    if size > limit:
        raise BadInput(f"The file has {size} bytes; at most {limit} are accepted. Split it.")


def _fail(ports: Ports, batch: Batch, message: str) -> None:
    """A file that cannot be read fails its batch with the reason; nothing was charged."""
    now = ports.clock.now()
    failed = ports.batches.transition(batch.tenant_id, batch.batch_id, BatchStatus.FAILED,
                                      ACTIVE_STATUSES, now, message=message, finished_at=now,
                                      **marked(batch, BatchStatus.FAILED, now))
    if failed is not None:
        history.happened(ports, batch.tenant_id, batch.batch_id, history.Step.FAILED, reason=message)
    announce(ports, failed)
    logger.warning("split failed", extra={"batch_id": batch.batch_id, "reason": message})


def _layout(ports: Ports, batch: Batch, table: CsvTable) -> tuple[Layout, Iterator[list[str]]]:
    """The layout create resolved, or (a file that skipped the API) resolve it now."""
    if batch.fields is None:
        return read_layout(table, batch.column_map, cached_maps(ports, batch.tenant_id),
                           batch.entity_type or None)
    mapping = ColumnMapping(fields=batch.fields, decisions=[], has_header=batch.has_header,
                            skip_rows=batch.skip_rows)
    columns, rows = columns_and_rows(table, batch.has_header, batch.skip_rows)
    return Layout(columns, mapping, batch.entity_type), rows
