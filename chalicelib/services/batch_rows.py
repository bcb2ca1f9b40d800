"""Every row of a batch as it stands now, in row order: the rows route and ``include=row_ids``.

Before the results exist: each chunk's settled rows (their latest version, and what every
version was charged), the rest of a chunk's last part parked (or skipped), a reprocess part
still waiting pending, and every row no chunk record holds yet pending, read from the input
file. So ``/rows?status=...`` totals are the status body's counters at the same moment. A
parked or pending row shows no outputs: they were not paid for. After finalize: rows.jsonl.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any, BinaryIO

from chalicelib.domain.billing import row_cost
from chalicelib.domain.models import Batch, ChunkState, RowResult, RowStatus
from chalicelib.domain.parts import stored_rows
from chalicelib.domain.rendering import row_json
from chalicelib.keys import results_key
from chalicelib.services.input_rows import unprocessed_reason, with_gaps
from chalicelib.services.ports import Ports
from chalicelib.services.settled import Place, part_bodies, place


def current_rows(ports: Ports, batch: Batch) -> Iterator[dict[str, Any]]:
    """Every row of the batch as ``rows.jsonl`` shows it, with its status now."""
    if batch.has_results:
        for line in _lines(ports.blobs.open(results_key(batch, "rows.jsonl"))):
            yield json.loads(line)
        return
    charged: Counter[int] = Counter()
    for row in with_gaps(ports, batch, _chunk_rows(ports, batch, charged)):
        yield row_json(row, batch.price, charged.get(row.i))


def _lines(stream: BinaryIO) -> Iterator[bytes]:
    """A stream's non-empty lines, read a block at a time (rows.jsonl breaks lines on \\n only)."""
    pending = b""
    while block := stream.read(1 << 16):
        *whole, pending = (pending + block).split(b"\n")
        yield from (line for line in whole if line)
    if pending:
        yield pending


def _chunk_rows(ports: Ports, batch: Batch, charged: Counter[int]) -> Iterator[RowResult]:
    """The rows chunk records hold, in row order; ``charged`` gathers each row's charges."""
    chunks = ports.batches.chunks(batch.batch_id)
    bodies = part_bodies(ports.blobs, [at for chunk in chunks for at in _places(chunk)])
    try:
        for chunk in chunks:
            latest: dict[int, RowResult] = {}
            waiting: dict[int, RowResult] = {}
            for number, part in enumerate(chunk.parts):
                rows = stored_rows(next(bodies))
                for row in rows[:part.settled]:
                    latest[row.i] = row
                    charged[row.i] += row_cost(row, batch.price)
                if number == len(chunk.parts) - 1 and not chunk.done and chunk.reprocess_key is None:
                    waiting = {row.i: _waiting(batch, row, RowStatus.PARKED) for row in rows[part.settled:]}
            if chunk.reprocess_key is not None:
                redo = stored_rows(next(bodies))
                waiting = {row.i: _waiting(batch, row, RowStatus.PENDING) for row in redo}
            if unprocessed_reason(batch):  # a stopped reprocess keeps what its rows had
                waiting = {i: row for i, row in waiting.items() if i not in latest}
            latest.update(waiting)
            yield from (latest[i] for i in sorted(latest))
    finally:
        bodies.close()


def _places(chunk: ChunkState) -> list[Place]:
    return [place(part) for part in chunk.parts] + (
        [(chunk.reprocess_key, None)] if chunk.reprocess_key else [])


def _waiting(batch: Batch, row: RowResult, status: RowStatus) -> RowResult:
    """A row not settled: parked or pending without its outputs; skipped rows stay skipped; in a
    cancelled batch it is skipped for good."""
    never = unprocessed_reason(batch)
    if row.status is RowStatus.SKIPPED:
        return row
    if never is not None:
        return RowResult(i=row.i, v=row.v, row_id=row.row_id, status=RowStatus.SKIPPED, error=never)
    return RowResult(i=row.i, v=row.v, row_id=row.row_id, status=status)
