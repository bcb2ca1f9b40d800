"""finalize: once every chunk has settled (or the batch was cancelled), write the results files.

Finalize makes one pass over the input joined with the settled rows. That pass writes
credits.csv, errors.csv and rows.jsonl and counts the summary as it goes; results.csv needs the
output columns of every row before its first line, so the pass spools the few cells each of its
lines needs and a second pass over that spool writes it. Every file is written to local disk
(flat memory), then uploaded. The part objects are read a few ahead of the join, in threads.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Literal, TextIO

from aws_lambda_powertools import Logger

from chalicelib import topology
from chalicelib.domain.billing import row_cost
from chalicelib.domain.csvinput import open_csv
from chalicelib.domain.models import (
    ACTIVE_STATUSES,
    PAUSED_STATUSES,
    Batch,
    BatchStatus,
    ChunkState,
    PartRecord,
    RowResult,
    RowStatus,
    part_rows,
)
from chalicelib.domain.results import (
    CREDITS_COLUMNS,
    ERRORS_COLUMNS,
    credit_cells,
    enrich_cells,
    error_cells,
    flatten_outputs,
    input_header,
    is_error,
    results_cells,
    results_header,
)
from chalicelib.domain.upload import columns_and_rows
from chalicelib.services.ports import Ports

logger = Logger(service="batch-enrich")
NOT_PROCESSED = "cancelled_before_processing"
_BUFFER = 1 << 20  # bytes per results file buffer
READ_AHEAD = 8  # part objects read concurrently ahead of the join
# The files in upload order, with their content types.
FILES = (("results.csv", "text/csv"), ("credits.csv", "text/csv"),
         ("rows.jsonl", "application/x-ndjson"), ("errors.csv", "text/csv"),
         ("summary.json", "application/json"))
SPOOL = "results.spool"  # results.csv's cells between the two passes, one JSON list a line
_JSONL = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(..., ensure_ascii=False), made once


def results_key(batch: Batch, name: str) -> str:
    """Where a batch's results file of that name lives."""
    return f"{topology.RESULTS_PREFIX}{batch.tenant_id}/{batch.batch_id}/{name}"


def finalize_batch(ports: Ports, tenant_id: str, batch_id: str) -> bool:
    """Write the results files, then complete (or close the cancelled) batch; False if not due."""
    batch = ports.batches.get(tenant_id, batch_id)
    if batch is None or batch.finished_at is not None:
        return False
    due = batch.status is BatchStatus.CANCELLED or (
        batch.all_chunks_done and batch.status in ACTIVE_STATUSES
        and batch.status not in PAUSED_STATUSES
    )
    if not due:
        return False
    with tempfile.TemporaryDirectory() as folder:
        _write_files(ports, batch, Path(folder))
        for name, content_type in FILES:
            with (Path(folder) / name).open("rb") as stream:
                ports.blobs.upload(results_key(batch, name), stream, content_type)
    now = ports.clock.now()
    final = BatchStatus.CANCELLED if batch.status is BatchStatus.CANCELLED else BatchStatus.COMPLETED
    done = ports.batches.transition(tenant_id, batch_id, final, (batch.status,), now,
                                    finished_at=now, message=batch.message)
    logger.info("finalized", extra={"batch_id": batch_id, "status": final.value, "ok": bool(done)})
    return done is not None


def settled_rows(ports: Ports, batch: Batch) -> Generator[RowResult, None, None]:
    """Every settled row in row order, each in its latest settled version (a reprocess wins)."""
    chunks = ports.batches.chunks(batch.batch_id)
    keys = [part.key for chunk in chunks for part in _settled_parts(chunk)]
    bodies = read_ahead(ports.blobs.read, keys, READ_AHEAD)
    try:
        for chunk in chunks:
            yield from _latest(_settled_parts(chunk), bodies)
    finally:
        bodies.close()


def latest_rows(ports: Ports, chunk: ChunkState) -> list[RowResult]:
    """A chunk's settled rows in row order: parts in order, a later part's row replacing an earlier."""
    parts = _settled_parts(chunk)
    return _latest(parts, (ports.blobs.read(part.key) for part in parts))


def _settled_parts(chunk: ChunkState) -> list[PartRecord]:
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


def _joined(ports: Ports, batch: Batch, rows: Iterator[list[str]]) -> Iterator[RowResult]:
    """Every input row in input order with its settled result (its original cells, untouched)."""
    settled = settled_rows(ports, batch)
    try:
        pending = next(settled, None)
        for index, values in enumerate(rows):
            if pending is not None and pending.i == index:
                row, pending = pending, next(settled, None)
                row.v = values  # original cells, untouched (even those too large to travel)
            else:  # only a cancelled batch has rows that never settled
                row = RowResult(i=index, v=values, row_id="", status=RowStatus.SKIPPED,
                                error=NOT_PROCESSED)
            yield row
    finally:
        settled.close()


def _write_files(ports: Ports, batch: Batch, folder: Path) -> None:
    """Write the five results files into ``folder``: one pass over the rows, then results.csv."""
    table = open_csv(ports.blobs.open(batch.input_key))
    header, rows = columns_and_rows(table, batch.has_header, batch.skip_rows)
    done = _first_pass(ports, batch, rows, folder)
    with _open_text(folder / "summary.json") as out:
        json.dump(done.summary(batch), out, indent=2)
    header = input_header(header, max(len(header), done.width))
    with _open_text(folder / SPOOL, "r") as spool, _open_text(folder / "results.csv") as out:
        _write_results(out, spool, header, sorted(done.columns))
    (folder / SPOOL).unlink()


def _first_pass(ports: Ports, batch: Batch, rows: Iterator[list[str]], folder: Path) -> _RowsPass:
    """Join the input with the settled rows, writing credits.csv, errors.csv, rows.jsonl, the spool."""
    with ExitStack() as files:
        texts = {name: files.enter_context(_open_text(folder / name))
                 for name in ("credits.csv", "errors.csv", "rows.jsonl", SPOOL)}
        one_pass = _RowsPass(texts, batch.price)
        for row in _joined(ports, batch, rows):
            one_pass.add(row)
    return one_pass


def _open_text(path: Path, mode: Literal["r", "w"] = "w") -> TextIO:
    """A results file (or the spool) as UTF-8 text, newlines kept as written.

    A large buffer: each flush is a system call that lets the read-ahead threads take the
    interpreter, and taking it back can wait a whole switch interval.
    """
    return path.open(mode, encoding="utf-8", newline="", buffering=_BUFFER)


class _RowsPass:
    """The pass over the joined rows: writes credits.csv, errors.csv, rows.jsonl and the spool."""

    def __init__(self, files: dict[str, TextIO], price: int) -> None:
        self._price = price
        self._credits = csv.writer(files["credits.csv"], lineterminator="\r\n")
        self._credits.writerow(CREDITS_COLUMNS)
        self._errors = csv.writer(files["errors.csv"], lineterminator="\r\n")
        self._errors.writerow(ERRORS_COLUMNS)
        self._jsonl = files["rows.jsonl"]
        self._spool = files[SPOOL]
        self.columns: set[str] = set()
        self.width = 0
        self._statuses: Counter[str] = Counter()
        self._reasons: Counter[str] = Counter()
        self._credits_total = 0

    def add(self, row: RowResult) -> None:
        """Write one row's lines and count it."""
        flat = flatten_outputs(row.outputs)
        self.columns.update(flat)
        self.width = max(self.width, len(row.v))
        self._spool.write(json.dumps([row.v, enrich_cells(row, self._price), flat]) + "\n")
        self._jsonl.write(_JSONL(row_json(row, self._price)) + "\n")
        credits = credit_cells(row, self._price)
        if credits:
            self._credits.writerow(credits)
        if is_error(row):
            self._errors.writerow(error_cells(row))
        self._count(row)

    def _count(self, row: RowResult) -> None:
        """Add a row to the summary's totals."""
        self._statuses[row.status.value] += 1
        self._credits_total += row_cost(row, self._price)
        if is_error(row) and row.error:
            self._reasons[row.error.split(":")[0]] += 1

    def summary(self, batch: Batch) -> dict[str, object]:
        """summary.json: the totals of the results files, counted from the rows themselves."""
        return {"batch_id": batch.batch_id, "name": batch.name, "rows": sum(self._statuses.values()),
                "by_status": dict(self._statuses), "credits": self._credits_total,
                "price_per_match": batch.price, "skip_and_failure_reasons": dict(self._reasons),
                "metadata": batch.metadata}


def _write_results(out: TextIO, spool: TextIO, header: list[str], columns: list[str]) -> None:
    """The second pass: results.csv from the spooled cells, now that every output column is known."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(results_header(header, columns))
    width = len(header)
    for line in spool:
        cells, enrich, flat = json.loads(line)
        writer.writerow(results_cells(cells, width, enrich, flat, columns))


def row_json(row: RowResult, price: int) -> dict[str, object]:
    """One row as rows.jsonl and the rows route show it."""
    return {"row_index": row.i, "row_id": row.row_id, "status": row.status.value,
            "matched": row.matched, "credits": row_cost(row, price), "error": row.error,
            "input": row.v, "outputs": row.outputs, "attributes": row.attributes,
            "found": row.found}
