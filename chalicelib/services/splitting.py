"""split: stream an uploaded CSV from S3 into chunk messages on the work queue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from chalicelib import topology
from chalicelib.domain.chunking import pack_chunks
from chalicelib.domain.columns import ColumnMapping
from chalicelib.domain.csvinput import CsvTable, open_csv
from chalicelib.domain.errors import BadInput
from chalicelib.domain.models import ACTIVE_STATUSES, Batch, BatchStatus, ChunkMessage, ChunkRow, Mode
from chalicelib.domain.records import RowClassifier
from chalicelib.domain.upload import Layout, columns_and_rows, read_layout
from chalicelib.keys import manifest_key, upload_ids
from chalicelib.observability import logger
from chalicelib.services.batches import request_finalize
from chalicelib.services.intake import cached_maps
from chalicelib.services.ports import Ports

_SEND_EVERY = 10  # chunks per SendMessageBatch


@dataclass(frozen=True)
class UploadedObject:
    """One S3 object-created record: where, and which version of the content."""

    bucket: str
    key: str
    etag: str


def split_upload(ports: Ports, obj: UploadedObject) -> int | None:
    """Split one uploaded file into chunks once; returns the chunk count, None if skipped."""
    ids = upload_ids(obj.key)
    if ids is None:
        logger.warning("not a batch upload; ignored", extra={"key": obj.key})
        return None
    tenant_id, batch_id = ids
    marker = f"split#{obj.bucket}/{obj.key}#{obj.etag}"
    now = int(ports.clock.epoch())
    if not ports.markers.claim(marker, now + ports.settings.split_lease_seconds, now):
        logger.info("duplicate upload event; already split", extra={"batch_id": batch_id})
        return None
    batch = ports.batches.get(tenant_id, batch_id)
    if batch is None or batch.status not in ACTIVE_STATUSES:
        logger.warning("no active batch for upload", extra={"key": obj.key})
        ports.markers.complete(marker)
        return None
    try:
        table = open_csv(ports.blobs.open(obj.key, bucket=obj.bucket))
        layout, values = _layout(ports, batch, table)
        manifest = {"columns": layout.columns, "mapping": layout.mapping.to_json(),
                    "entity_type": layout.entity_type,
                    "encoding": table.encoding, "delimiter": table.delimiter}
        ports.blobs.put(manifest_key(batch_id), json.dumps(manifest).encode(), "application/json")
        ports.batches.transition(tenant_id, batch_id, BatchStatus.QUEUED,
                                 (BatchStatus.VALIDATING,), ports.clock.now(),
                                 entity_type=layout.entity_type,
                                 fields=dict(layout.mapping.fields),
                                 has_header=layout.mapping.has_header,
                                 skip_rows=layout.mapping.skip_rows)
        classifier = RowClassifier(dict(layout.mapping.fields), layout.entity_type,
                                   ports.settings.max_rows_per_batch, batch.row_limit, batch.dedupe)
        rows, chunks = _send_chunks(ports, batch, classifier, values)
    except BadInput as error:  # a file that never passed the API's checks (e.g. a drop folder)
        _fail(ports, tenant_id, batch_id, error.message)
        ports.markers.complete(marker)
        return None
    split = ports.batches.record_split(tenant_id, batch_id, rows, chunks, ports.clock.now())
    if split.all_chunks_done and split.status in ACTIVE_STATUSES:
        request_finalize(ports, tenant_id, batch_id)
    ports.markers.complete(marker)
    logger.info("split", extra={"batch_id": batch_id, "rows": rows, "chunks": chunks})
    return chunks


def _wait_for_room(ports: Ports, queue: str) -> None:
    """Hold back while the work queue is full (bounded in-flight work), if a bound is set."""
    limit = ports.settings.max_queued_chunks
    while limit and ports.queue.depth(queue) > limit:
        ports.clock.sleep(0.2)


def _fail(ports: Ports, tenant_id: str, batch_id: str, message: str) -> None:
    """A file that cannot be read fails its batch with the reason; nothing was charged."""
    now = ports.clock.now()
    ports.batches.transition(tenant_id, batch_id, BatchStatus.FAILED, ACTIVE_STATUSES, now,
                             message=message, finished_at=now)
    logger.warning("split failed", extra={"batch_id": batch_id, "reason": message})


def _layout(ports: Ports, batch: Batch, table: CsvTable) -> tuple[Layout, Iterator[list[str]]]:
    """The layout create resolved, or (a file that skipped the API) resolve it now."""
    if batch.fields is None:
        return read_layout(table, batch.column_map, cached_maps(ports, batch.tenant_id),
                           batch.entity_type or None)
    mapping = ColumnMapping(fields=batch.fields, decisions=[], has_header=batch.has_header,
                            skip_rows=batch.skip_rows)
    columns, rows = columns_and_rows(table, batch.has_header, batch.skip_rows)
    return Layout(columns, mapping, batch.entity_type), rows


def _send_chunks(ports: Ports, batch: Batch, classifier: RowClassifier,
                 values: Iterator[list[str]]) -> tuple[int, int]:
    queue = ports.queue_name(topology.WORK)
    counter = {"rows": 0}

    def rows() -> Iterator[ChunkRow]:
        for index, row in enumerate(values):
            counter["rows"] = index + 1
            yield ChunkRow(i=index, v=row, skip=classifier.skip_reason(index, row))

    pending: list[str] = []
    chunks = 0
    settings = ports.settings
    per_chunk = settings.advanced_chunk_rows if batch.mode is Mode.ADVANCED else settings.chunk_rows
    for chunk_rows in pack_chunks(rows(), per_chunk, settings.chunk_max_bytes):
        message = ChunkMessage(tenant_id=batch.tenant_id, batch_id=batch.batch_id, chunk=chunks,
                               fields=classifier.fields, rows=chunk_rows)
        pending.append(message.model_dump_json(exclude_none=True))
        chunks += 1
        if len(pending) == _SEND_EVERY:
            _wait_for_room(ports, queue)
            ports.queue.send(queue, pending)
            pending = []
    ports.queue.send(queue, pending)
    return counter["rows"], chunks
