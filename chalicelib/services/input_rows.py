"""A batch's input rows read back from its file, for rows no part object holds: those a cancelled
batch never processed, and those still on their way (the rows route)."""

from __future__ import annotations

from collections.abc import Iterator

from chalicelib.domain.csvinput import open_csv
from chalicelib.domain.models import Batch, BatchStatus, RowResult, RowStatus
from chalicelib.domain.records import RowClassifier, canonical_record, row_id
from chalicelib.domain.upload import columns_and_rows
from chalicelib.services.ports import Ports

NOT_PROCESSED = "cancelled_before_processing"


def unprocessed_reason(batch: Batch) -> str | None:
    """Why a row that never settled is skipped for good (None while the batch can still go on)."""
    if batch.status is BatchStatus.CANCELLED:
        return NOT_PROCESSED
    return "not_processed" if batch.status is BatchStatus.FAILED else None


class InputRows:
    """The input file's rows, read only as far as a row that needs its cells from the file, each
    with the reason split gives it to be skipped (the classifier sees every row, in order)."""

    def __init__(self, ports: Ports, batch: Batch) -> None:
        self._batch = batch
        self._classifier = RowClassifier(dict(batch.fields or {}), batch.entity_type or "person",
                                         ports.settings.max_rows_per_batch, batch.row_limit,
                                         batch.dedupe)
        self._ports = ports
        self._opened: Iterator[list[str]] | None = None  # the file is opened when a row is read
        self._next = 0  # index of the row the file yields next
        self.ended = False  # the file is known to have no row at ``_next`` (``between``)

    def _rows(self) -> Iterator[list[str]]:
        if self._opened is None:
            table = open_csv(self._ports.blobs.open(self._batch.input_key))
            self._opened = columns_and_rows(table, self._batch.has_header, self._batch.skip_rows)[1]
        return self._opened

    def _read(self) -> tuple[list[str], str | None]:
        values = next(self._rows())
        self._next += 1
        return values, self._classifier.skip_reason(values)

    def at(self, index: int) -> tuple[list[str], str | None]:
        """Row ``index``'s cells and skip reason (indexes asked for only ever increase)."""
        while self._next < index:
            self._read()
        return self._read()

    def rest(self) -> Iterator[tuple[int, list[str], str | None]]:
        """The rows after the last one read, with their indexes and skip reasons."""
        while True:
            try:
                values, reason = self._read()
            except StopIteration:
                return
            yield self._next - 1, values, reason

    def between(self, first: int, stop: int | None) -> Iterator[tuple[int, list[str], str | None]]:
        """Rows ``first`` to ``stop`` (None: the file's end; none before the next unread row), with
        their indexes and skip reasons; ``ended`` says afterwards whether the file ended there."""
        while stop is None or self._next < stop:
            try:
                values, reason = self._read()
            except StopIteration:
                self.ended = True
                return
            if self._next > first:
                yield self._next - 1, values, reason
        try:  # is there a row after ``stop``? (this reader reads nothing more)
            next(self._rows())
        except StopIteration:
            self.ended = True

    def row(self, index: int, values: list[str], reason: str | None) -> RowResult:
        """A row no part holds: pending, or (a cancelled or failed batch) skipped with its
        reason, else why it was never processed."""
        rid = row_id(values, canonical_record(values, dict(self._batch.fields or {})))
        never = unprocessed_reason(self._batch)
        if never is None:
            return RowResult(i=index, v=values, row_id=rid, status=RowStatus.PENDING)
        return RowResult(i=index, v=values, row_id=rid, status=RowStatus.SKIPPED,
                         error=reason or never)


def with_gaps(ports: Ports, batch: Batch, known: Iterator[RowResult]) -> Iterator[RowResult]:
    """``known`` rows (in row order) with every row between and after them read from the file."""
    cells = InputRows(ports, batch)
    expected = 0
    for found in known:
        for missing in range(expected, found.i):
            yield cells.row(missing, *cells.at(missing))
        expected = found.i + 1
        yield found
    if batch.total_rows is None or expected < batch.total_rows:
        for index, values, reason in cells.rest():
            if index >= expected:
                yield cells.row(index, values, reason)
