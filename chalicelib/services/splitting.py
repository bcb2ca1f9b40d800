"""split: stream an uploaded CSV from S3 into chunk messages on the work queue."""

from __future__ import annotations

import json
import time
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
from chalicelib.observability import bind, logger, request_id
from chalicelib.services import history
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


def split_upload(ports: Ports, obj: UploadedObject, only: frozenset[int] | None = None) -> int | None:
    """Split one uploaded file into chunks; returns the chunk count, None if nothing was to do.

    Safe to run again from any point, so a failed or dead split is simply redelivered: nothing
    is claimed before the work. Chunks are deterministic (the same file gives the same chunks),
    each one settles once, and ``split_sent`` records how far sending got, so a split run again
    sends only what its predecessor had not; the batch's ``chunks_total`` says the split is
    done (a duplicate S3 event then does nothing). Two splits of one file at once both read,
    but only the one that advances ``split_sent`` first goes on sending. ``only``: send just
    these chunks again (the tick's repair of chunks whose message was lost).
    """
    ids = upload_ids(obj.key)
    if ids is None:
        logger.warning("not a batch upload; ignored", extra={"key": obj.key})
        return None
    tenant_id, batch_id = ids
    bind(tenant_id=tenant_id, batch_id=batch_id)
    batch = ports.batches.get(tenant_id, batch_id)
    if batch is None or batch.status not in ACTIVE_STATUSES:
        logger.warning("no active batch for upload", extra={"key": obj.key})
        return None
    bind(request_id=batch.request_id)  # the API request that created the batch
    if batch.chunks_total is not None and only is None:
        logger.info("duplicate upload event; already split", extra={"batch_id": batch_id})
        if batch.all_chunks_done:  # the split that finished may have died before asking
            request_finalize(ports, tenant_id, batch_id)
        return None
    started = time.perf_counter()
    try:
        table = open_csv(ports.blobs.open(obj.key, bucket=obj.bucket))
        layout, values = _layout(ports, batch, table)
        manifest = {"columns": layout.columns, "mapping": layout.mapping.to_json(),
                    "entity_type": layout.entity_type,
                    "encoding": table.encoding, "delimiter": table.delimiter}
        ports.blobs.put(manifest_key(batch_id), json.dumps(manifest).encode(), "application/json")
        platform = {"platform": layout.platform} if layout.platform and not batch.platform else {}
        ports.batches.transition(tenant_id, batch_id, BatchStatus.QUEUED,
                                 (BatchStatus.VALIDATING,), ports.clock.now(), **platform,
                                 entity_type=layout.entity_type,
                                 fields=dict(layout.mapping.fields),
                                 has_header=layout.mapping.has_header,
                                 skip_rows=layout.mapping.skip_rows)
        classifier = RowClassifier(dict(layout.mapping.fields), layout.entity_type,
                                   ports.settings.max_rows_per_batch, batch.row_limit, batch.dedupe)
        sent = _ChunkSender(ports, batch, only).send(classifier, values)
    except BadInput as error:  # a file that never passed the API's checks (e.g. a drop folder)
        _fail(ports, tenant_id, batch_id, error.message)
        return None
    if sent is None or only is not None:
        return None if sent is None else len(only or ())
    rows, chunks = sent
    split = ports.batches.record_split(tenant_id, batch_id, rows, chunks, ports.clock.now())
    history.split(ports, tenant_id, batch_id, rows, chunks, time.perf_counter() - started)
    if split.all_chunks_done and split.status in ACTIVE_STATUSES:
        request_finalize(ports, tenant_id, batch_id)
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
    if ports.batches.transition(tenant_id, batch_id, BatchStatus.FAILED, ACTIVE_STATUSES, now,
                                message=message, finished_at=now):
        history.happened(ports, tenant_id, batch_id, history.Step.FAILED, reason=message)
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


class _ChunkSender:
    """Sends a file's chunks ten per request, recording how far it got after each request."""

    def __init__(self, ports: Ports, batch: Batch, only: frozenset[int] | None) -> None:
        self._ports = ports
        self._batch = batch
        self._only = only
        self._queue = ports.queue_name(topology.WORK)
        self._sent = batch.split_sent  # chunks before this were sent by a split that died
        self._pending: list[str] = []

    def send(self, classifier: RowClassifier, values: Iterator[list[str]]) -> tuple[int, int] | None:
        """Every chunk of the file; (rows, chunks), or None when another split got further."""
        counter = {"rows": 0}

        def rows() -> Iterator[ChunkRow]:
            for index, row in enumerate(values):
                counter["rows"] = index + 1
                yield ChunkRow(i=index, v=row, skip=classifier.skip_reason(row))

        chunks = 0
        settings = self._ports.settings
        batch = self._batch
        per_chunk = settings.advanced_chunk_rows if batch.mode is Mode.ADVANCED else settings.chunk_rows
        for chunk_rows in pack_chunks(rows(), per_chunk, settings.chunk_max_bytes):
            if self._wanted(chunks):
                message = ChunkMessage(tenant_id=batch.tenant_id, batch_id=batch.batch_id,
                                       chunk=chunks, fields=classifier.fields, rows=chunk_rows,
                                       request_id=request_id())
                self._pending.append(message.model_dump_json(exclude_none=True))
            chunks += 1
            if len(self._pending) == _SEND_EVERY and not self._flush(chunks):
                return None
        if self._pending and not self._flush(chunks):
            return None
        return counter["rows"], chunks

    def _wanted(self, chunk: int) -> bool:
        return chunk in self._only if self._only is not None else chunk >= self._sent

    def _flush(self, through: int) -> bool:
        """Send what is pending (chunks up to ``through``); False if another split is ahead."""
        _wait_for_room(self._ports, self._queue)
        self._ports.queue.send(self._queue, self._pending)
        self._pending = []
        if self._only is not None:
            return True
        if not self._ports.batches.advance_split(self._batch.tenant_id, self._batch.batch_id,
                                                 self._sent, through, self._ports.clock.now()):
            logger.info("another split of this file is ahead", extra={"batch_id": self._batch.batch_id})
            return False
        self._sent = through
        return True
