"""finalize joins the rows the workers rendered, and writes the same bytes as rendering them itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib import topology
from chalicelib.adapters.dynamo import to_dynamo, value
from chalicelib.clients import get_clients
from chalicelib.domain.models import Batch, BatchStatus, RowResult
from chalicelib.domain.options import BatchOptions
from chalicelib.domain.parts import HEAD, read_part, rows_body, stored_rows
from chalicelib.domain.rendering import Rendered, render_row
from chalicelib.keys import part_key, parts_prefix, results_key
from chalicelib.services import finalize_rows, finalizing
from chalicelib.services.batch_rows import current_rows
from chalicelib.services.batches import cancel_batch, resume_batch
from chalicelib.services.finalize_files import FILES
from chalicelib.services.tenants import top_up
from tests.conftest import Aws
from tests.helpers import create_batch, reload
from tests.unit.test_parts import v4_body

AWKWARD = ['"Smith, John"', '"said ""hi"""', '"line\nbreak"', "=1+2", "Zoë 李", "tab\there", "a\u2028b", ""]


def _input(rows: int) -> bytes:
    """Leads with cells quoting needs, rows wider and narrower than the header, one row too large."""
    lines = ["id,Email Address,Phone,Country,Notes"]
    for i in range(rows):
        email = f"person{i}@example.com" if i % 3 else f"p{i}@@bad"
        line = f"L{i},{email},+1202555{i:04d},US,{AWKWARD[i % len(AWKWARD)]}"
        if i % 7 == 3:
            line += ",one more,and another"  # wider than the header
        if i % 11 == 5:
            line = f"L{i},short{i}@example.com"  # narrower
        if i == 42:
            line += "," + "x" * 70_000  # too large for a message: travels without its cells
        lines.append(line)
    return "\r\n".join(lines).encode()


def _stored_files(aws: Aws, batch: Batch) -> dict[str, bytes]:
    return {name: aws.ports.blobs.read(results_key(batch, name)) for name, _ in FILES}


def _each_part_alone(aws: Aws, batch: Batch) -> list[str]:
    """Parts an invocation stored in one object moved to objects of their own, as a release before
    stored every part (their chunk records rewritten without spans); every part object's key."""
    db = get_clients().dynamodb
    table = aws.ports.settings.name(topology.CHUNKS.name)
    keys = []
    for chunk in aws.ports.batches.chunks(batch.batch_id):
        records = []
        for number, part in enumerate(chunk.parts):
            key = part.key
            if part.span is not None:
                key = part_key(batch.batch_id, chunk.chunk, number, "alone")
                aws.ports.blobs.put(key, aws.ports.blobs.read_span(part.key, *part.span))
            records.append({"key": key, "start": part.start, "settled": part.settled})
            keys.append(key)
        db.update_item(TableName=table, UpdateExpression="SET parts = :parts",
                       Key=to_dynamo({"batch_id": batch.batch_id, "chunk": chunk.chunk}),
                       ExpressionAttributeValues={":parts": value(records)})
    return [key for key in aws.ports.blobs.keys(parts_prefix(batch.batch_id)) if key in set(keys)]


def _strip_renderings(aws: Aws, batch: Batch) -> int:
    """Rewrite every part object as rows only (as stored before workers rendered); how many had one."""
    stripped = 0
    for key in _each_part_alone(aws, batch):
        body = aws.ports.blobs.read(key)
        stripped += read_part(body).rendered is not None
        aws.ports.blobs.put(key, rows_body(stored_rows(body)))
    return stripped


def _as_the_previous_release_stored_them(aws: Aws, batch: Batch) -> int:
    """Rewrite every rendered part object in the layout before version 5 (each row twice); how many."""
    rewritten = 0
    for key in _each_part_alone(aws, batch):
        body = aws.ports.blobs.read(key)
        if read_part(body).rendered is not None:
            aws.ports.blobs.put(key, v4_body(stored_rows(body), batch.price, batch.escape_formulas))
            rewritten += 1
    return rewritten


def _finalize_again(aws: Aws, batch: Batch, folder: Path) -> dict[str, bytes]:
    folder.mkdir(exist_ok=True)
    finalizing._write_files(aws.ports, batch, folder)
    return {name: (folder / name).read_bytes() for name, _ in FILES}


def _count_renders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the index of every row finalize renders itself."""
    calls: list[int] = []

    def counted(row: RowResult, price: int, escape: bool = True,
                charged: int | None = None) -> tuple[Rendered, tuple[str, ...]]:
        calls.append(row.i)
        return render_row(row, price, escape, charged)

    monkeypatch.setattr(finalize_rows, "render_row", counted)
    return calls


def test_rows_rendered_by_the_workers_give_the_bytes_finalize_renders_itself(
        aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = aws.tenant(120)  # runs out part-way: chunks settle in parts, the rest after a resume
    batch = create_batch(aws.ports, tenant.tenant_id, _input(250), "odd.csv", BatchOptions())
    aws.drain()
    paused = reload(aws.ports, batch)
    assert paused.status is BatchStatus.PAUSED_INSUFFICIENT_CREDITS
    shown = list(current_rows(aws.ports, paused))  # the rows route, settled rows read from the parts
    assert _as_the_previous_release_stored_them(aws, paused) >= 2
    assert list(current_rows(aws.ports, paused)) == shown
    top_up(aws.ports, tenant.tenant_id, 1000)
    resume_batch(aws.ports, tenant.tenant_id, batch.batch_id)
    renders = _count_renders(monkeypatch)
    aws.drain()
    done = reload(aws.ports, batch)
    assert done.status is BatchStatus.COMPLETED and done.counts.parked == 0
    assert renders == [42]  # only the row that travelled without its cells is rendered by finalize
    written = _stored_files(aws, done)

    assert _as_the_previous_release_stored_them(aws, done) >= 4
    assert _finalize_again(aws, done, tmp_path / "v4") == written
    assert renders == [42, 42]  # the previous release's renderings are joined as they are
    assert _strip_renderings(aws, done) >= 4
    renders.clear()
    assert _finalize_again(aws, done, tmp_path) == written
    assert len(renders) == 250  # without renderings, finalize rendered every row itself
    assert b"extra_2" in written["results.csv"] and "Zoë 李".encode() in written["results.csv"]


def test_a_cancelled_batch_renders_the_rows_that_never_settled_with_their_input_cells(
        aws: Aws, tmp_path: Path) -> None:
    tenant = aws.tenant(60)
    batch = create_batch(aws.ports, tenant.tenant_id, _input(250), "odd.csv", BatchOptions())
    aws.drain()
    cancel_batch(aws.ports, tenant.tenant_id, batch.batch_id)
    aws.drain()
    done = reload(aws.ports, batch)
    assert done.status is BatchStatus.CANCELLED
    written = _stored_files(aws, done)
    lines = written["rows.jsonl"].decode().rstrip("\n").split("\n")
    assert len(lines) == 250 and '"cancelled_before_processing"' in lines[-1]

    _strip_renderings(aws, done)
    assert _finalize_again(aws, done, tmp_path) == written


def test_a_part_object_starts_with_its_rendering_and_holds_each_row_once(aws: Aws) -> None:
    tenant = aws.tenant(1000)
    batch = create_batch(aws.ports, tenant.tenant_id, _input(20), "odd.csv", BatchOptions())
    aws.drain()
    keys = aws.ports.blobs.keys(parts_prefix(batch.batch_id))
    bodies = [aws.ports.blobs.read(key).decode() for key in keys]
    assert bodies and all(body.startswith(HEAD) for body in bodies)
    assert sum(body.count('"row_id": ') for body in bodies) == 20  # rows.jsonl lines, one a row
    assert not any('"row_id":"' in body for body in bodies)  # and no RowResult line besides
