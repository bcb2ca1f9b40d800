"""A chunk part's rows on their way through work: as its message carried them, as an earlier
part stored them, enriched, or settled without work (paused, stopped, given up).

Part 0 carries its rows in its message. They are enriched straight from there: the pending
``RowResult`` of each row (its canonical record and row id) is built only when the part is not
enriched now (its batch is paused or stopped, or the part is given up), since enriching builds
each row's result anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from chalicelib.domain.billing import Counted, counted_before
from chalicelib.domain.enrich.pipeline import Pipeline
from chalicelib.domain.messages import ChunkMessage, ChunkRow
from chalicelib.domain.models import RowResult, RowStatus
from chalicelib.domain.parts import stored_rows
from chalicelib.domain.records import canonical_record, row_id
from chalicelib.services.ports import Ports

NOT_PROCESSED = "not_processed"  # a row's error when its batch stopped before working it
# Rows whose outcome an earlier part already paid the provider for: reused on resume.
_REUSABLE = (RowStatus.COMPLETED, RowStatus.NOT_FOUND, RowStatus.SKIPPED)


@dataclass(frozen=True)
class Part:
    """The rows of one part, whether they are enriched, and the object that holds them."""

    rows: list[RowResult]
    enriched: bool
    key: str | None = None
    before: Counted = field(default_factory=Counted)  # as counted when an earlier part parked them
    refresh: bool = False  # enrich again even the rows an earlier part kept an outcome for
    stopped: bool = False  # its batch is past max_failed_percent: rows settle not processed
    # Part 0's rows as its message carried them, not enriched yet (``rows`` is empty until
    # ``as_pending`` builds them).
    travelled: list[ChunkRow] | None = None
    # The output columns of the enriched rows stored under ``key`` (the part's head names them):
    # the key they were stored under, and the columns.
    stored_columns: tuple[str, tuple[str, ...]] | None = None
    # The part's bytes while they wait to be stored under ``key``: a part a group may hold is
    # stored with the group's parts in one object (services/settle_group.py), or alone right
    # before it settles alone
    unstored: bytes | None = None

    def columns(self) -> tuple[str, ...] | None:
        """The output columns of the rows stored under ``key``, if this worker stored them."""
        if self.stored_columns is None or self.stored_columns[0] != self.key:
            return None
        return self.stored_columns[1]


def load_part(ports: Ports, message: ChunkMessage, price: int) -> Part:
    """A chunk part's rows: as its message carries them, or as the object it points at holds them."""
    if message.rows is not None:
        return Part([], enriched=False, travelled=message.rows)
    assert message.source_key is not None, "a later part points at its previous part"
    rows = stored_rows(ports.blobs.read(message.source_key))[message.source_skip:]
    # A reprocessed part's rows were taken off the counters when the batch reopened.
    before = Counted() if message.reprocess else counted_before(rows, price)
    reuse = not message.refresh and all(row.status in _REUSABLE for row in rows)
    return Part(rows, enriched=reuse, before=before, refresh=message.refresh)


def as_pending(part: Part, fields: dict[str, int]) -> Part:
    """The part with a pending (or skipped) result for each row its message carried."""
    if part.travelled is None:
        return part
    return replace(part, rows=[_pending(row, fields) for row in part.travelled], travelled=None)


def part_rows_of(ports: Ports, message: ChunkMessage, price: int) -> tuple[list[RowResult], Counted]:
    """A chunk part's rows as its message carries them (or the object it points at holds them),
    and how they were counted when an earlier part parked them."""
    part = as_pending(load_part(ports, message, price), message.fields)
    return part.rows, part.before


def not_processed(row: RowResult) -> RowResult:
    """A row as it settles when its batch stopped before working it (a skipped row stays skipped)."""
    if row.status is RowStatus.SKIPPED:
        return row
    return RowResult(i=row.i, v=row.v, row_id=row.row_id, status=RowStatus.FAILED,
                     error=NOT_PROCESSED)


def enrich_part(pipeline: Pipeline, part: Part, fields: dict[str, int],
                out_of_time: Callable[[], bool]) -> Part:
    """The part's rows worked in order until the invocation runs out of time (the rows it did
    not reach stay pending: they go on as the chunk's next part)."""
    if part.travelled is not None:  # skipped rows come back skipped, as they travelled
        done = pipeline.enrich_until(part.travelled, fields, out_of_time)
        rest = [_pending(row, fields) for row in part.travelled[len(done):]]
        return replace(part, rows=done + rest, enriched=True, key=None, travelled=None)
    kept = (RowStatus.SKIPPED,) if part.refresh else _REUSABLE
    todo = [row for row in part.rows if row.status not in kept]
    fresh = iter(pipeline.enrich_until([ChunkRow(i=row.i, v=row.v) for row in todo], fields,
                                       out_of_time))
    rows = [row if row.status in kept else next(fresh, None) or _not_reached(row)
            for row in part.rows]
    return replace(part, rows=rows, enriched=True, key=None)


def worked(rows: list[RowResult]) -> int:
    """How many of a part's rows, from its first, were worked (the rest were not reached)."""
    return next((n for n, row in enumerate(rows) if row.status is RowStatus.PENDING), len(rows))


def _pending(row: ChunkRow, fields: dict[str, int]) -> RowResult:
    rid = row_id(row.v, canonical_record(row.v, fields))
    if row.skip:
        return RowResult(i=row.i, v=row.v, row_id=rid, status=RowStatus.SKIPPED, error=row.skip)
    return RowResult(i=row.i, v=row.v, row_id=rid, status=RowStatus.PENDING)


def _not_reached(row: RowResult) -> RowResult:
    """A row the invocation had no time for: pending again (its next part enriches it)."""
    return RowResult(i=row.i, v=row.v, row_id=row.row_id, status=RowStatus.PENDING)
