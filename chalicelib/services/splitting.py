"""split: stream an uploaded CSV from S3 into chunk messages on the work queue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from aws_lambda_powertools import Logger

from chalicelib import topology
from chalicelib.domain.chunking import pack_chunks
from chalicelib.domain.columns import map_columns
from chalicelib.domain.csvinput import open_csv
from chalicelib.domain.errors import BadInput
from chalicelib.domain.models import ACTIVE_STATUSES, BatchStatus, ChunkMessage, ChunkRow
from chalicelib.domain.records import canonical_record, skip_reason
from chalicelib.services.batches import manifest_key, request_finalize
from chalicelib.services.ports import Ports

logger = Logger(service="batch-enrich")
OVER_MAX_ROWS = "over_max_rows"
_SEND_EVERY = 10  # chunks per SendMessageBatch


@dataclass(frozen=True)
class UploadedObject:
    """One S3 object-created record: where, and which version of the content."""

    bucket: str
    key: str
    etag: str


def split_upload(ports: Ports, obj: UploadedObject) -> int | None:
    """Split one uploaded file into chunks once; returns the chunk count, None if skipped."""
    parts = obj.key.split("/")
    if len(parts) != 4 or not obj.key.startswith(topology.UPLOADS_PREFIX):
        logger.warning("not a batch upload; ignored", extra={"key": obj.key})
        return None
    tenant_id, batch_id = parts[1], parts[2]
    marker = f"split#{obj.bucket}/{obj.key}#{obj.etag}"
    now = int(ports.clock.epoch())
    if not ports.batches.claim_marker(marker, now + ports.settings.split_lease_seconds, now):
        logger.info("duplicate upload event; already split", extra={"batch_id": batch_id})
        return None
    batch = ports.batches.get(tenant_id, batch_id)
    if batch is None or batch.status not in ACTIVE_STATUSES:
        logger.warning("no active batch for upload", extra={"key": obj.key})
        ports.batches.complete_marker(marker)
        return None
    ports.batches.transition(tenant_id, batch_id, BatchStatus.QUEUED,
                             (BatchStatus.VALIDATING,), ports.clock.now())
    try:
        table = open_csv(ports.blobs.open(obj.key, bucket=obj.bucket))
        fields = map_columns(table.header, batch.column_map)
        manifest = {"header": table.header, "fields": fields, "encoding": table.encoding,
                    "delimiter": table.delimiter}
        ports.blobs.put(manifest_key(batch_id), json.dumps(manifest).encode(), "application/json")
        rows, chunks = _send_chunks(ports, tenant_id, batch_id, fields, table.rows)
    except BadInput as error:  # a file that never passed the API's checks (e.g. a drop folder)
        _fail(ports, tenant_id, batch_id, error.message)
        ports.batches.complete_marker(marker)
        return None
    split = ports.batches.record_split(tenant_id, batch_id, rows, chunks, ports.clock.now())
    if split.all_chunks_done and split.status in ACTIVE_STATUSES:
        request_finalize(ports, tenant_id, batch_id)
    ports.batches.complete_marker(marker)
    logger.info("split", extra={"batch_id": batch_id, "rows": rows, "chunks": chunks})
    return chunks


def _fail(ports: Ports, tenant_id: str, batch_id: str, message: str) -> None:
    """A file that cannot be read fails its batch with the reason; nothing was charged."""
    now = ports.clock.now()
    ports.batches.transition(tenant_id, batch_id, BatchStatus.FAILED, ACTIVE_STATUSES, now,
                             message=message, finished_at=now)
    logger.warning("split failed", extra={"batch_id": batch_id, "reason": message})


def _send_chunks(ports: Ports, tenant_id: str, batch_id: str, fields: dict[str, int],
                 values: Iterator[list[str]]) -> tuple[int, int]:
    queue = ports.queue_name(topology.WORK)
    max_rows = ports.settings.max_rows_per_batch
    counter = {"rows": 0}

    def rows() -> Iterator[ChunkRow]:
        for index, row in enumerate(values):
            counter["rows"] = index + 1
            reason = OVER_MAX_ROWS if index >= max_rows else skip_reason(canonical_record(row, fields))
            yield ChunkRow(i=index, v=row, skip=reason)

    pending: list[str] = []
    chunks = 0
    for chunk_rows in pack_chunks(rows(), ports.settings.chunk_rows, ports.settings.chunk_max_bytes):
        message = ChunkMessage(tenant_id=tenant_id, batch_id=batch_id, chunk=chunks,
                               fields=fields, rows=chunk_rows)
        pending.append(message.model_dump_json(exclude_none=True))
        chunks += 1
        if len(pending) == _SEND_EVERY:
            ports.queue.send(queue, pending)
            pending = []
    ports.queue.send(queue, pending)
    return counter["rows"], chunks
