"""The settled rows of a batch, read back from its part objects (finalize, the rows route, reprocess)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import NamedTuple, TypeVar

from chalicelib.domain.models import Batch, ChunkState, PartRecord, RowResult
from chalicelib.domain.parts import stored_rows
from chalicelib.ports.blobs import Blobs
from chalicelib.services.ports import Ports

READ_AHEAD = 16  # reads of part objects in flight ahead of their reader (8 waited longer)
# Parts of one object that follow each other in row order are read by one ranged GET of up to
# this many bytes (a GET's cost is per request: ~2 ms of the client's CPU whatever its size, and
# the emulator's): a basic invocation's object of ten 500-row parts is ~6.3 MB.
SPAN_READ_BYTES = 8 << 20
# The spans' bytes read ahead at most (one larger read goes alone): with the span its reader
# holds, at most 32 MB, as when sixteen 2 MB spans were read ahead.
IN_FLIGHT_BYTES = 24 << 20

# Where a part's bytes are: its object's key, and its span in it (None: the whole object).
Place = tuple[str, tuple[int, int] | None]


Entry = TypeVar("Entry")
# How a reader takes the settled rows out of one part object: (body, rows settled) -> (i, entry)s.
PartReader = Callable[[bytes, int], Iterable[tuple[int, Entry]]]


def settled_entries(ports: Ports, batch: Batch,
                    read: PartReader[Entry]) -> Generator[Entry, None, None]:
    """Every settled row in row order, latest settled version each (a reprocess wins), as ``read`` gives it.

    Part objects are read ``READ_AHEAD`` at a time in threads, in the order they are needed.
    """
    chunks = ports.batches.chunks(batch.batch_id)
    bodies = part_bodies(ports.blobs, [place(part) for chunk in chunks for part in settled_parts(chunk)])
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
    bodies = part_bodies(ports.blobs, [place(part) for part in parts])
    try:
        return _latest(parts, bodies, _rows)
    finally:
        bodies.close()


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


def place(part: PartRecord) -> Place:
    """Where a part's bytes are."""
    return part.key, part.span


class _Read(NamedTuple):
    """One GET: an object whole (``spans`` None), or bytes ``start``-``end`` holding ``spans``."""

    key: str
    start: int
    end: int
    spans: tuple[tuple[int, int], ...] | None


def part_bodies(blobs: Blobs, places: Sequence[Place],
                depth: int = READ_AHEAD) -> Generator[bytes, None, None]:
    """Each place's bytes in order, read ``depth`` GETs ahead in threads; places of one object
    that follow each other (ascending, up to ``SPAN_READ_BYTES`` from the first) come from one
    ranged GET."""
    reads = _reads(places)

    def fetch(read: _Read) -> bytes:
        if read.spans is None:
            return blobs.read(read.key)
        return blobs.read_span(read.key, read.start, read.end - read.start)

    bodies = read_ahead(fetch, reads, depth, lambda read: read.end - read.start, IN_FLIGHT_BYTES)
    try:
        for read, body in zip(reads, bodies, strict=False):
            if read.spans is None:
                yield body
                continue
            for offset, length in read.spans:
                yield body[offset - read.start:offset - read.start + length]
    finally:
        bodies.close()


def _reads(places: Sequence[Place]) -> list[_Read]:
    reads: list[_Read] = []
    for key, span in places:
        last = reads[-1] if reads else None
        if span is None:
            reads.append(_Read(key, 0, 0, None))
        elif (last is not None and last.spans is not None and last.key == key
              and span[0] >= last.end and span[0] + span[1] - last.start <= SPAN_READ_BYTES):
            reads[-1] = last._replace(end=span[0] + span[1], spans=(*last.spans, span))
        else:
            reads.append(_Read(key, span[0], span[0] + span[1], (span,)))
    return reads


Key = TypeVar("Key")


def read_ahead(read: Callable[[Key], bytes], keys: Iterable[Key], depth: int,
               weigh: Callable[[Key], int] | None = None, budget: int = 0) -> Generator[bytes, None, None]:
    """Each key's bytes in key order, while up to ``depth`` of the next reads run in threads (and,
    with ``weigh``, reads of at most ``budget`` bytes in all: a larger one goes alone).

    At most ``depth`` bodies are held at a time, so memory stays flat however many keys there are.
    """
    with ThreadPoolExecutor(max_workers=depth, thread_name_prefix="part-reads") as pool:
        pending: deque[tuple[Future[bytes], int]] = deque()
        held = 0
        try:
            for key in keys:
                weight = weigh(key) if weigh is not None else 0
                while pending and held + weight > budget > 0:  # its bytes wait for room
                    future, done = pending.popleft()
                    held -= done
                    yield future.result()
                pending.append((pool.submit(read, key), weight))
                held += weight
                if len(pending) >= depth:
                    future, done = pending.popleft()
                    held -= done
                    yield future.result()
            while pending:
                yield pending.popleft()[0].result()
        finally:
            for future, _ in pending:
                future.cancel()
