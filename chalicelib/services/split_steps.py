"""Sending a file's chunks in steps that stop before the function's deadline and go on from a
checkpoint in the next invocation.

Every ten chunks the sender first commits, then sends: ``advance_split`` moves ``split_sent``
to the chunks about to go and stores the checkpoint (where reading goes on: the byte offset of
the next chunk's first record, the reader's state, the row and chunk numbers, the row limits'
count), on the condition that ``split_sent`` is still what this step read. Only then does it
send them. So a chunk is never sent twice: a split that dies (or a second split of the same
file) goes on from the checkpoint, after the chunks it covers, and a split that lost the
condition to another sends nothing. A death between the commit and the send loses at most
those ten messages; the tick sends them again once the batch is quiet (``healing.py``: chunks
that never settled), reading from the nearest checkpoint it was given.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from urllib.parse import quote_plus

from chalicelib import topology
from chalicelib.domain.chunking import chunk_body, pack_rows
from chalicelib.domain.csvstream import CsvRows, Row
from chalicelib.domain.messages import ChunkMessage, SplitCheckpoint
from chalicelib.domain.models import Batch, Mode
from chalicelib.domain.records import RowClassifier
from chalicelib.keys import seen_key
from chalicelib.observability import logger, request_id
from chalicelib.services.ports import Ports

SEND_EVERY = 10  # chunks per SendMessageBatch, and per checkpoint
# The least time a queued chunk waits for a worker: the local runtime's two workers take 100-row
# chunks at up to ~25 a second (the bound on queued chunks is set by the local runtime only).
DRAIN_SECONDS = 0.04


class Stop(Enum):
    """Why a step stopped before the end of the file."""

    OVERTAKEN = "another split of this file is ahead"
    HANDED_OVER = "out of time: the next invocation goes on"


@dataclass(frozen=True)
class Sent:
    """The file's end was reached: its rows and chunks."""

    rows: int
    chunks: int
    seconds: float  # split time across every step


def split_request(bucket: str, key: str, chunks: list[int] | None = None,
                  start: SplitCheckpoint | None = None) -> str:
    """An ingest message as S3 sends it for an input (only some chunks, from a checkpoint)."""
    record = {"eventName": "ObjectCreated:Put", "s3": {
        "bucket": {"name": bucket}, "object": {"key": quote_plus(key, safe="/"), "eTag": ""}}}
    body: dict[str, object] = {"Records": [record]}
    if chunks is not None:
        body["chunks"] = chunks
    if start is not None:
        body["start"] = start.model_dump()
    return json.dumps(body)


class ChunkSender:
    """Sends a file's chunks from where ``first`` says (None: its first row), ten at a time."""

    def __init__(self, ports: Ports, batch: Batch, classifier: RowClassifier, reader: CsvRows,
                 first: SplitCheckpoint | None, only: frozenset[int] | None,
                 seconds_left: Callable[[], float] | None) -> None:
        self._ports = ports
        self._batch = batch
        self._classifier = classifier
        self._reader = reader
        self._first = first
        self._only = only
        self._seconds_left = seconds_left
        self._queue = ports.queue_name(topology.work_queue(batch.mode))
        self._sent = batch.split_sent  # chunks before this were sent by a split that died
        self._pending: list[str] = []
        # the last row read, its index, and the records and fresh digests before it
        self._opening: tuple[Row, int, int, int] | None = None
        self._fresh = 0  # fresh digests before the checkpoint last made
        self._last = first  # the checkpoint of what this step sent last
        self._started = time.perf_counter()

    def send(self, values: Iterator[list[str]]) -> Sent | Stop:
        """Every chunk from the start on, or why this step stopped first."""
        first = self._first
        chunks = first.chunk if first else 0
        rows_seen = first.row if first else 0
        settings = self._ports.settings
        per_chunk = settings.advanced_chunk_rows if self._batch.mode is Mode.ADVANCED else settings.chunk_rows

        def rows() -> Iterator[tuple[int, list[str], str | None]]:
            nonlocal rows_seen
            classifier = self._classifier
            for index, row in enumerate(values, start=rows_seen):
                self._opening = (row, index, classifier.records, classifier.fresh) \
                    if isinstance(row, Row) else None
                rows_seen = index + 1
                yield index, row, classifier.skip_reason(row)

        # each row's JSON written once, as its message carries it (no model a row)
        for chunk_rows in pack_rows(rows(), per_chunk, settings.chunk_max_bytes):
            if self._wanted(chunks):
                message = ChunkMessage(tenant_id=self._batch.tenant_id, batch_id=self._batch.batch_id,
                                       chunk=chunks, fields=self._classifier.fields, rows=[],
                                       request_id=request_id())
                self._pending.append(chunk_body(message, chunk_rows))
            chunks += 1
            if chunks % SEND_EVERY == 0:
                done = self._window(chunks, rows_seen)
                if done is not None:
                    return done
        if self._pending:
            stop = self._flush(chunks, self._checkpoint(chunks, rows_seen))
            if stop is not None:
                return stop
        return Sent(rows_seen, chunks, self._seconds())

    def _window(self, chunks: int, rows_seen: int) -> Sent | Stop | None:
        """Commit and send the last ten chunks (those wanted); then stop if nothing more is
        wanted or time is short."""
        here = self._checkpoint(chunks, rows_seen)
        if self._pending:
            stop = self._flush(chunks, here)
            if stop is not None:
                return stop
        elif self._only is not None:
            self._last = here  # a resend goes on from here: what it wanted before was sent
        if self._only is not None and chunks > max(self._only):
            return Sent(rows_seen, chunks, self._seconds())  # the rest was sent before
        if here is not None and self._out_of_time():
            return self._hand_over()
        return None

    def _wanted(self, chunk: int) -> bool:
        return chunk in self._only if self._only is not None else chunk >= self._sent

    def _seconds(self) -> float:
        return (self._first.seconds if self._first else 0.0) + time.perf_counter() - self._started

    def _checkpoint(self, chunk: int, rows_seen: int) -> SplitCheckpoint | None:
        """Where chunk ``chunk`` begins: the row that opened it, or the end of the file."""
        end = self._reader.end
        if end is not None:
            at, row, records, self._fresh = end, rows_seen, self._classifier.records, self._classifier.fresh
        elif self._opening is not None:
            opener, row, records, self._fresh = self._opening
            at = opener.at
        else:
            return None
        return SplitCheckpoint(offset=at.offset, line=at.line, blanks=at.blanks, row=row, chunk=chunk,
                               records=records, codec=self._reader.codec,
                               delimiter=self._reader.delimiter,
                               steps=self._first.steps + 1 if self._first else 1,
                               seconds=self._seconds())

    def _flush(self, through: int, here: SplitCheckpoint | None) -> Stop | None:
        """Commit, then send what is pending (chunks up to ``through``); why not, if not."""
        if not self._wait_for_room():
            return self._hand_over()
        if self._only is None:
            self._keep_digests()
            if not self._ports.batches.advance_split(self._batch.tenant_id, self._batch.batch_id,
                                                     self._sent, through, self._ports.clock.now(),
                                                     here):
                logger.info("another split of this file is ahead", extra={"batch_id": self._batch.batch_id})
                return Stop.OVERTAKEN
            self._sent = through
        self._ports.queue.send(self._queue, self._pending)
        self._pending = []
        self._last = here
        return None

    def _keep_digests(self) -> None:
        """A deduplicating batch keeps the digests of the records first seen in these chunks,
        before the checkpoint that covers them (the next step reads them back)."""
        if self._batch.dedupe:
            self._ports.blobs.put(seen_key(self._batch.batch_id, self._sent),
                                  self._classifier.take_fresh(self._fresh))

    def _wait_for_room(self) -> bool:
        """Hold back while the work queue is full (if a bound is set); False once out of time.

        Each read of the depth is a request: between two, wait about as long as the workers take
        to work off the chunks over the bound (``DRAIN_SECONDS`` a chunk), not a fixed 0.2 s.
        """
        limit = self._ports.settings.max_queued_chunks
        while limit and (over := self._ports.queue.depth(self._queue) - limit) > 0:
            if self._out_of_time():
                return False
            self._ports.clock.sleep(min(1.0, max(0.2, over * DRAIN_SECONDS)))
        return True

    def _out_of_time(self) -> bool:
        left = self._seconds_left
        return left is not None and left() < self._ports.settings.split_reserve_seconds

    def _hand_over(self) -> Stop:
        """Ask the next invocation to go on: from the batch's checkpoint, or (a resend of some
        chunks) from the last one this step sent, which the message carries."""
        batch = self._batch
        chunks, start = None, None
        if self._only is not None:
            start = self._last
            chunks = sorted(c for c in self._only if start is None or c >= start.chunk)
        body = split_request(self._ports.settings.bucket, batch.input_key, chunks, start)
        self._ports.queue.send(self._ports.queue_name(topology.INGEST), [body])
        logger.info("split step handed over", extra={"batch_id": batch.batch_id, "chunks": self._sent})
        return Stop.HANDED_OVER
