"""The settled rows of a batch, read back from its part objects (finalize, the rows route, reprocess)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from chalicelib.domain.models import Batch, ChunkState, PartRecord, RowResult, part_rows
from chalicelib.services.ports import Ports

READ_AHEAD = 8  # part objects read concurrently ahead of their reader


def settled_rows(ports: Ports, batch: Batch) -> Generator[RowResult, None, None]:
    """Every settled row in row order, each in its latest settled version (a reprocess wins)."""
    chunks = ports.batches.chunks(batch.batch_id)
    keys = [part.key for chunk in chunks for part in settled_parts(chunk)]
    bodies = read_ahead(ports.blobs.read, keys, READ_AHEAD)
    try:
        for chunk in chunks:
            yield from _latest(settled_parts(chunk), bodies)
    finally:
        bodies.close()


def latest_rows(ports: Ports, chunk: ChunkState) -> list[RowResult]:
    """A chunk's settled rows in row order: parts in order, a later part's row replacing an earlier."""
    parts = settled_parts(chunk)
    return _latest(parts, (ports.blobs.read(part.key) for part in parts))


def settled_parts(chunk: ChunkState) -> list[PartRecord]:
    """A chunk's parts that settled at least one row, in part order."""
    return [part for part in chunk.parts if part.settled]


def _latest(parts: list[PartRecord], bodies: Iterator[bytes]) -> list[RowResult]:
    """The settled rows of one chunk's parts (their bodies next in ``bodies``), latest version each."""
    latest: dict[int, RowResult] = {}
    for part in parts:
        lines = part_rows(next(bodies))
        for line in lines[: part.settled]:
            row = RowResult.model_validate_json(line)
            latest[row.i] = row
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
