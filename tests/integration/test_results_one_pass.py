"""results.csv in one pass: its header from the shapes the settlements recorded, the same bytes as
the two passes that gather it from the rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.domain.models import Batch, BatchStatus
from chalicelib.domain.options import BatchOptions
from chalicelib.keys import results_key
from chalicelib.services import finalize_files, finalizing, results_shape
from chalicelib.services.finalize_files import FILES
from chalicelib.services.results_shape import settled_part_count
from tests.conftest import Aws
from tests.csvs import varied_leads as leads
from tests.helpers import create_batch, reload


def _files(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name, _ in FILES}


def _write(aws: Aws, batch: Batch, folder: Path) -> dict[str, bytes]:
    folder.mkdir()
    finalizing._write_files(aws.ports, batch, folder)
    return _files(folder)


def _spooled(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the second passes (results.csv written from a spool)."""
    calls: list[int] = []
    original = finalize_files.write_results

    def counted(*args: object) -> None:
        calls.append(1)
        original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(finalizing, "write_results", counted)
    return calls


def test_a_completed_batch_writes_results_csv_in_one_pass_with_the_same_bytes(
        aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    aws.ports.settings = aws.ports.settings.model_copy(update={"chunk_rows": 13})
    tenant = aws.tenant(10_000)
    batch = create_batch(aws.ports, tenant.tenant_id, leads(120), "leads.csv", BatchOptions())
    spooled = _spooled(monkeypatch)
    aws.drain()
    done = reload(aws.ports, batch)
    assert done.status is BatchStatus.COMPLETED
    chunks = aws.ports.batches.chunks(batch.batch_id)
    assert done.shaped_parts == settled_part_count(chunks) == 10  # every part recorded its shape
    assert done.shape_width == 11
    assert not spooled  # finalize wrote results.csv in the pass that wrote the others
    stored = {name: aws.ports.blobs.read(results_key(done, name)) for name, _ in FILES}
    assert stored == _write(aws, done, tmp_path / "one")
    monkeypatch.setattr(finalizing, "known_shape", lambda *_: None)  # as if a part had not recorded it
    assert _write(aws, done, tmp_path / "two") == stored
    assert spooled == [1]
    header = stored["results.csv"].split(b"\r\n", 1)[0].decode()
    assert header.startswith("id,Email Address,Phone,Company,Notes,extra_1,")
    assert "extra_6,row_index" in header and "email.domain" in header


def test_a_part_settled_without_its_shape_takes_the_two_passes(
        aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    aws.ports.settings = aws.ports.settings.model_copy(update={"chunk_rows": 13})
    tenant = aws.tenant(10_000)
    batch = create_batch(aws.ports, tenant.tenant_id, leads(60), "leads.csv", BatchOptions())
    original = results_shape.known_shape
    # a part stored by the release before: the batch item says one part fewer recorded its shape
    monkeypatch.setattr(finalizing, "known_shape", lambda b, chunks, header: original(
        type(b)(**{**b.__dict__, "shaped_parts": b.shaped_parts - 1}), chunks, header))
    spooled = _spooled(monkeypatch)
    aws.drain()
    done = reload(aws.ports, batch)
    assert done.status is BatchStatus.COMPLETED
    assert spooled == [1]
    monkeypatch.setattr(finalizing, "known_shape", original)
    stored = {name: aws.ports.blobs.read(results_key(done, name)) for name, _ in FILES}
    assert _write(aws, done, tmp_path / "one") == stored
    assert spooled == [1]


def test_a_row_wider_than_the_recorded_shape_falls_back_to_the_two_passes(
        aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = aws.tenant(10_000)
    batch = create_batch(aws.ports, tenant.tenant_id, leads(60), "leads.csv", BatchOptions())
    aws.drain()
    done = reload(aws.ports, batch)
    stored = {name: aws.ports.blobs.read(results_key(done, name)) for name, _ in FILES}
    spooled = _spooled(monkeypatch)
    narrow = type(done)(**{**done.__dict__, "shape_width": 3})
    assert _write(aws, narrow, tmp_path / "narrow") == stored
    assert spooled == [1]
