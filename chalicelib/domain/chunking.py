"""Packing consecutive rows into chunks: the unit of delivery, commit and billing."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from chalicelib.domain.messages import ChunkRow

# JSON envelope of a chunk message besides its rows (ids, field map), generously rounded up.
ENVELOPE_BYTES = 2_000
TOO_LARGE = "row_too_large"


def row_bytes(row: ChunkRow) -> int:
    """Bytes one row adds to a chunk message body (UTF-8 JSON)."""
    return len(json.dumps(row.model_dump(exclude_none=True), ensure_ascii=False).encode()) + 1


def pack_chunks(rows: Iterable[ChunkRow], max_rows: int, max_bytes: int) -> Iterator[list[ChunkRow]]:
    """Yield chunks of consecutive rows, each ≤ ``max_rows`` rows and ≤ ``max_bytes`` of JSON.

    A row too large for any chunk travels as a skipped row without its values.
    """
    budget = max_bytes - ENVELOPE_BYTES
    chunk: list[ChunkRow] = []
    used = 0
    for row in rows:
        size = row_bytes(row)
        if size > budget:
            row = ChunkRow(i=row.i, v=[], skip=TOO_LARGE)
            size = row_bytes(row)
        if chunk and (len(chunk) >= max_rows or used + size > budget):
            yield chunk
            chunk, used = [], 0
        chunk.append(row)
        used += size
    if chunk:
        yield chunk
