"""finalize: once every chunk has settled (or the batch was cancelled), write the results files."""

from __future__ import annotations

import io
import json
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

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
    RowResult,
    RowStatus,
)
from chalicelib.domain.results import (
    flatten_outputs,
    input_header,
    write_credits_csv,
    write_errors_csv,
    write_results_csv,
)
from chalicelib.domain.upload import columns_and_rows
from chalicelib.services.ports import Ports

logger = Logger(service="batch-enrich")
NOT_PROCESSED = "cancelled_before_processing"


def results_key(batch: Batch, name: str) -> str:
    """Where a batch's results file of that name lives."""
    return f"{topology.RESULTS_PREFIX}{batch.tenant_id}/{batch.batch_id}/{name}"


def finalize_batch(ports: Ports, tenant_id: str, batch_id: str) -> bool:
    """Write results.csv, rows.jsonl and credits.csv, then complete the batch; False if not due."""
    batch = ports.batches.get(tenant_id, batch_id)
    if batch is None or batch.finished_at is not None:
        return False
    due = batch.status is BatchStatus.CANCELLED or (
        batch.all_chunks_done and batch.status in ACTIVE_STATUSES
        and batch.status not in PAUSED_STATUSES
    )
    if not due:
        return False
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        header, columns = _spool_rows(ports, batch, spool)
        _write_files(ports, batch, spool, header, columns)
    now = ports.clock.now()
    final = BatchStatus.CANCELLED if batch.status is BatchStatus.CANCELLED else BatchStatus.COMPLETED
    done = ports.batches.transition(tenant_id, batch_id, final, (batch.status,), now,
                                    finished_at=now, message=batch.message)
    logger.info("finalized", extra={"batch_id": batch_id, "status": final.value, "ok": bool(done)})
    return done is not None


def settled_rows(ports: Ports, batch: Batch) -> Iterator[RowResult]:
    """Every settled row in row order, each in its latest settled version (a reprocess wins)."""
    for chunk in ports.batches.chunks(batch.batch_id):
        yield from latest_rows(ports, chunk)


def latest_rows(ports: Ports, chunk: ChunkState) -> list[RowResult]:
    """A chunk's settled rows in row order: parts in order, a later part's row replacing an earlier."""
    latest: dict[int, RowResult] = {}
    for part in chunk.parts:
        if part.settled == 0:
            continue
        lines = ports.blobs.read(part.key).decode().splitlines()
        for line in lines[: part.settled]:
            row = RowResult.model_validate_json(line)
            latest[row.i] = row
    return [latest[i] for i in sorted(latest)]


def _spool_rows(ports: Ports, batch: Batch, spool: io.TextIOBase) -> tuple[list[str], list[str]]:
    """Join every input row with its settled result (in input order) into a JSON-lines spool."""
    table = open_csv(ports.blobs.open(batch.input_key))
    header, rows = columns_and_rows(table, batch.has_header, batch.skip_rows)
    settled = settled_rows(ports, batch)
    pending = next(settled, None)
    columns: dict[str, None] = {}
    width = len(header)
    for index, values in enumerate(rows):
        if pending is not None and pending.i == index:
            row, pending = pending, next(settled, None)
            row.v = values  # original cells, untouched (even those too large to travel)
        else:  # only a cancelled batch has rows that never settled
            row = RowResult(i=index, v=values, row_id="", status=RowStatus.SKIPPED,
                            error=NOT_PROCESSED)
        width = max(width, len(values))
        columns.update(dict.fromkeys(flatten_outputs(row.outputs)))
        spool.write(row.model_dump_json() + "\n")
    return input_header(header, width), sorted(columns)


def _spooled(spool: io.TextIOBase) -> Iterator[RowResult]:
    spool.seek(0)
    for line in spool:
        yield RowResult.model_validate_json(line)


def _write_files(ports: Ports, batch: Batch, spool: io.TextIOBase, header: list[str],
                 columns: list[str]) -> None:
    def results(out: TextIO) -> None:
        write_results_csv(out, header, columns, _spooled(spool), batch.price)

    def credits(out: TextIO) -> None:
        write_credits_csv(out, _spooled(spool), batch.price)

    def jsonl(out: TextIO) -> None:
        for row in _spooled(spool):
            out.write(json.dumps(row_json(row, batch.price), ensure_ascii=False) + "\n")

    def errors(out: TextIO) -> None:
        write_errors_csv(out, _spooled(spool))

    def summary(out: TextIO) -> None:
        json.dump(_summary(batch, _spooled(spool)), out, indent=2)

    _upload_text(ports, results_key(batch, "results.csv"), "text/csv", results)
    _upload_text(ports, results_key(batch, "credits.csv"), "text/csv", credits)
    _upload_text(ports, results_key(batch, "rows.jsonl"), "application/x-ndjson", jsonl)
    _upload_text(ports, results_key(batch, "errors.csv"), "text/csv", errors)
    _upload_text(ports, results_key(batch, "summary.json"), "application/json", summary)


def _summary(batch: Batch, rows: Iterator[RowResult]) -> dict[str, object]:
    """Totals of the results files, counted from the rows themselves."""
    statuses: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    credits = 0
    for row in rows:
        statuses[row.status.value] += 1
        credits += row_cost(row, batch.price)
        if row.status in (RowStatus.FAILED, RowStatus.SKIPPED) and row.error:
            reasons[row.error.split(":")[0]] += 1
    return {"batch_id": batch.batch_id, "name": batch.name, "rows": sum(statuses.values()),
            "by_status": dict(statuses), "credits": credits, "price_per_match": batch.price,
            "skip_and_failure_reasons": dict(reasons), "metadata": batch.metadata}


def _upload_text(ports: Ports, key: str, content_type: str, write: Callable[[TextIO], None]) -> None:
    """Write a file to local temporary storage (flat memory), then stream it to S3."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "file"
        with path.open("w", encoding="utf-8", newline="") as out:
            write(out)
        with path.open("rb") as stream:
            ports.blobs.upload(key, stream, content_type)


def row_json(row: RowResult, price: int) -> dict[str, object]:
    """One row as rows.jsonl and the rows route show it."""
    return {"row_index": row.i, "row_id": row.row_id, "status": row.status.value,
            "matched": row.matched, "credits": row_cost(row, price), "error": row.error,
            "input": row.v, "outputs": row.outputs, "attributes": row.attributes,
            "found": row.found}
