"""The settled rows of a batch, read back from its part objects (finalize, the rows route, reprocess)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from chalicelib.domain.models import Batch, ChunkState, PartRecord, RowResult
from chalicelib.domain.parts import stored_rows
from chalicelib.services.ports import Ports

READ_AHEAD = 16  # part objects read concurrently ahead of their reader (8 waited longer)


Entry = TypeVar("Entry")
# How a reader takes the settled rows out of one part object: (body, rows settled) -> (i, entry)s.
PartReader = Callable[[bytes, int], Iterable[tuple[int, Entry]]]


def settled_entries(ports: Ports, batch: Batch,
                    read: PartReader[Entry]) -> Generator[Entry, None, None]:
    """Every settled row in row order, latest settled version each (a reprocess wins), as ``read`` gives it.

    Part objects are read ``READ_AHEAD`` at a time in threads, in the order they are needed.
    """
    chunks = ports.batches.chunks(batch.batch_id)
    keys = [part.key for chunk in chunks for part in settled_parts(chunk)]
    bodies = read_ahead(ports.blobs.read, keys, READ_AHEAD)
    try:
        for chunk in chunks:
            yield from _latest(settled_parts(chunk), bodies, read)
    finally:
        bodies.close()


def settled_rows(ports: Ports, batch: Batch) -> Generator[RowResult, None, None]:
    """Every settled row in row order, each in its latest settled version."""
    return settled_entries(ports, batch, _rows)


def latest_rows(ports: Ports, chunk: ChunkState) -> list[RowResult]:
    """A chunk's settled rows in row order: parts in order, a later part's row replacing an earlier."""
    parts = settled_parts(chunk)
    return _latest(parts, (ports.blobs.read(part.key) for part in parts), _rows)


def settled_parts(chunk: ChunkState) -> list[PartRecord]:
    """A chunk's parts that settled at least one row, in part order."""
    return [part for part in chunk.parts if part.settled]


def _rows(body: bytes, settled: int) -> Iterator[tuple[int, RowResult]]:
    for row in stored_rows(body)[:settled]:
        yield row.i, row


def _latest(parts: list[PartRecord], bodies: Iterator[bytes], read: PartReader[Entry]) -> list[Entry]:
    """The settled entries of one chunk's parts (their bodies next in ``bodies``), latest version each."""
    latest: dict[int, Entry] = {}
    for part in parts:
        latest.update(read(next(bodies), part.settled))
    return [latest[i] for i in sorted(latest)]


def read_ahead(read: Callable[[str], bytes], keys: Iterable[str],
               depth: int) -> Generator[bytes, None, None]:
    """Each key's bytes in key order, while up to ``depth`` of the next reads run in threads.

    At most ``depth`` bodies are held at a time, so memory stays flat however many keys there are.
    """
    with ThreadPoolExecutor(max_workers=depth) as pool:
        pending: deque[Future[bytes]] = deque()
        try:
            for key in keys:
                pending.append(pool.submit(read, key))
                if len(pending) >= depth:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
