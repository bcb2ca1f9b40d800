"""Where a batch's serial tail goes on the local runtime: the moments from its last settle to done.

The e2e bench (``throughput.end_to_end``) watches the finalize function while a batch runs: the
finalize queue's mapping (in this process) and the functions finalize calls are wrapped where they
are looked up, for the batch only, and put back after it (the code measured is the code that runs).
Each moment is wall time (``time.time``): the last chunk's settle (its ``updated_at``, written by a
worker), the finalize message sent and first received (SQS's own timestamps, from the emulator),
finalize's start, its files written, its uploads done, its end; and the waits inside: the join
blocked on part reads, the main thread's CPU while writing the files, the seconds of every
upload request summed (``upload_seconds``: parts sent during the pass included).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from chalicelib import topology
from chalicelib.adapters.dynamo import all_pages
from chalicelib.domain.models import Batch
from chalicelib.local.runtime import LocalRuntime
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Marks = dict[str, float]


class TailClock:
    """The tail's moments (first start, last end of each watched step) and summed waits."""

    def __init__(self) -> None:
        self.marks: Marks = {}
        self.waits: dict[str, float] = {"parts_wait": 0.0, "files_cpu": 0.0, "upload_seconds": 0.0}
        self._lock = threading.Lock()

    def mark(self, name: str, at: float | None = None, last: bool = False) -> None:
        """Note a moment (the first of its name, or with ``last`` the latest)."""
        with self._lock:
            if last or name not in self.marks:
                self.marks[name] = time.time() if at is None else at

    def add(self, name: str, seconds: float) -> None:
        """Add to a summed wait."""
        with self._lock:
            self.waits[name] += seconds

    @contextmanager
    def watching(self, runtime: LocalRuntime) -> Iterator[TailClock]:
        """Wrap the finalize mapping's handler and finalize's steps until the block ends."""
        from chalicelib.adapters.blobs import BlobStore
        from chalicelib.services import finalize_rows, finalizing

        mapping = next(m for m in runtime.mappings if m.spec is topology.FINALIZE)
        with ExitStack() as undo:
            undo.enter_context(_swapped(mapping, "_handler", self._handler))
            undo.enter_context(_swapped(finalizing, "_write_files", self._write_files))
            undo.enter_context(_swapped(finalizing, "_results", self._step("uploaded")))
            undo.enter_context(_swapped(finalize_rows, "part_bodies", self._read_ahead))
            for sending in ("upload_file", "upload_part", "finish_upload"):
                undo.enter_context(_swapped(BlobStore, sending, self._upload))
            yield self

    def _handler(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def handler(event: dict[str, Any], context: Any) -> Any:
            self.mark("started")
            for record in event.get("Records", []):
                attributes = record.get("attributes", {})
                if "SentTimestamp" in attributes:
                    self.mark("sent", int(attributes["SentTimestamp"]) / 1000)
                    self.mark("received", int(attributes["ApproximateFirstReceiveTimestamp"]) / 1000)
            try:
                return original(event, context)
            finally:
                self.mark("ended", last=True)
        return handler

    def _step(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
            def step(*args: Any, **kwargs: Any) -> Any:
                try:
                    return original(*args, **kwargs)
                finally:
                    self.mark(name, last=True)
            return step
        return wrap

    def _write_files(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def write_files(*args: Any, **kwargs: Any) -> Any:
            self.mark("files_started")
            cpu = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.add("files_cpu", time.thread_time() - cpu)
                self.mark("files_written", last=True)
        return write_files

    def _read_ahead(self, original: Callable[..., Generator[bytes, None, None]]) -> Callable[..., Any]:
        def read_ahead(*args: Any, **kwargs: Any) -> Generator[bytes, None, None]:
            bodies = original(*args, **kwargs)
            try:
                while True:
                    started = time.perf_counter()
                    try:
                        body = next(bodies)
                    except StopIteration:
                        return
                    finally:
                        self.add("parts_wait", time.perf_counter() - started)
                    yield body
            finally:
                bodies.close()
        return read_ahead

    def _upload(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def upload(store: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(store, *args, **kwargs)
            finally:
                self.add("upload_seconds", time.perf_counter() - started)
        return upload

    def figures(self, settled: float | None, finished: float | None, seen_worked: float | None,
                seen_done: float | None) -> dict[str, float]:
        """The tail's pieces in seconds, in order (each from the moment before it), and the waits."""
        marks: dict[str, float | None] = {"settled": settled, **self.marks, "finished": finished}
        order = ["settled", "sent", "received", "started", "files_started", "files_written",
                 "uploaded", "finished", "ended"]
        known = [(name, at) for name in order if (at := marks.get(name)) is not None]
        pieces = {f"{a}->{b}": round(tb - ta, 3) for (a, ta), (b, tb) in pairwise(known)}
        if settled is not None and finished is not None:
            pieces["settled->finished"] = round(finished - settled, 3)
        if seen_worked is not None and seen_done is not None:
            pieces["bench_seen_worked->done"] = round(seen_done - seen_worked, 3)
        return {**pieces, **{name: round(value, 3) for name, value in self.waits.items()}}


def tail_figures(tail: TailClock, dynamodb: DynamoDBClient, batch: Batch, wall: float,
                 phases: dict[str, float]) -> dict[str, float]:
    """The tail of a finished batch: its last settle from its chunk items, its end from the
    batch item, the bench's watcher's view (``phases``, seconds after ``wall``)."""
    table = get_settings().name(topology.CHUNKS.name)
    query: dict[str, Any] = {"TableName": table, "KeyConditionExpression": "batch_id = :b",
                             "ExpressionAttributeValues": {":b": {"S": batch.batch_id}},
                             "ProjectionExpression": "updated_at"}
    times = [item["updated_at"]["S"] for item in all_pages(dynamodb.query, query)]
    settled = _epoch(max(times)) if times else None
    finished = _epoch(batch.finished_at) if batch.finished_at else None
    seen = {name: wall + phases[name] for name in ("worked", "done") if name in phases}
    return tail.figures(settled, finished, seen.get("worked"), seen.get("done"))


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


@contextmanager
def _swapped(owner: object, attribute: str, wrap: Callable[[Any], Any]) -> Iterator[None]:
    """``owner.attribute`` wrapped by ``wrap`` until the block ends."""
    original = getattr(owner, attribute)
    setattr(owner, attribute, wrap(original))
    try:
        yield
    finally:
        setattr(owner, attribute, original)
