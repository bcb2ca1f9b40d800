"""finalize in steps on the fakes: a batch over ``finalize_step_rows`` is written a bounded share
per step, with the bytes one invocation writes, and no upload is left open."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from chalicelib import topology
from chalicelib.domain.models import BatchStatus
from chalicelib.keys import results_key
from chalicelib.ports import blobs as blobs_port
from chalicelib.services import finalize_ranges, finalizing
from chalicelib.services.finalize_files import FILES
from chalicelib.services.ports import Ports
from chalicelib.services.tenants import create_tenant
from tests.csvs import leads
from tests.fakes.batches import InMemoryBatches
from tests.fakes.blobs import InMemoryBlobs
from tests.helpers import create_batch, deliver, reload


@pytest.mark.parametrize("step_rows", [1, 37, 250])
def test_a_batch_in_steps_of_any_size_has_the_bytes_of_one_invocation(
        ports: Ports, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step_rows: int) -> None:
    monkeypatch.setattr(blobs_port, "MIN_PART_BYTES", 2048)  # parts of 2 KB: several per file
    ports.settings = ports.settings.model_copy(update={"chunk_rows": 9, "finalize_step_rows": step_rows})
    tenant = create_tenant(ports, "Acme", 1000)
    batch = create_batch(ports, tenant.tenant_id, leads(250, matched_every=3))
    shares: list[int] = []
    original = finalize_ranges.step_end

    def counted(chunks: list, start: int, rows: int, per_chunk: int = 0) -> int:  # type: ignore[type-arg]
        end: int = original(chunks, start, rows, per_chunk)
        shares.append(sum(part.settled for chunk in chunks[start:end] for part in chunk.parts))
        return end

    monkeypatch.setattr(finalize_ranges, "step_end", counted)
    deliver(ports)
    done = reload(ports, batch)
    assert done.status is BatchStatus.COMPLETED and done.finalize_checkpoint is None
    steps = -(-28 // max(1, -(-step_rows // 9)))  # 28 chunks of 9 rows (the last 7), whole chunks a step
    assert len(shares) == (0 if step_rows >= 250 else steps)  # 250 rows: one invocation
    assert all(share < step_rows + 9 for share in shares)  # bounded: at most one chunk past the size
    folder = tmp_path / "one"
    folder.mkdir()
    finalizing._write_files(ports, done, folder)
    for name, _ in FILES:
        assert ports.blobs.read(results_key(done, name)) == (folder / name).read_bytes(), name
    assert isinstance(ports.blobs, InMemoryBlobs) and ports.blobs.open_uploads() == []


def test_a_small_batch_is_written_in_one_step_without_a_multipart_upload(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 1000)
    batch = create_batch(ports, tenant.tenant_id, leads(50))
    assert isinstance(ports.blobs, InMemoryBlobs)
    deliver(ports)
    assert reload(ports, batch).status is BatchStatus.COMPLETED
    assert ports.blobs.uploads_begun == 0
    assert ports.queue.depth(ports.queue_name(topology.FINALIZE)) == 0


def test_a_step_writes_the_rows_its_checkpoint_names_whatever_the_setting_says_later(
        ports: Ports, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A deploy that changes ``finalize_step_rows`` between two runs of a step (a retry, a race)
    must not change what the step sends as its part: its rows are fixed by its checkpoint."""
    monkeypatch.setattr(blobs_port, "MIN_PART_BYTES", 2048)
    ports.settings = ports.settings.model_copy(update={"chunk_rows": 9, "finalize_step_rows": 37})
    tenant = create_tenant(ports, "Acme", 1000)
    batch = create_batch(ports, tenant.tenant_id, leads(250, matched_every=3))
    deliver(ports, (topology.INGEST, topology.WORK))
    with pytest.raises(AssertionError):  # one finalize message: step 1, which hands on
        deliver(ports, (topology.FINALIZE,), rounds=1)
    at = reload(ports, batch).finalize_checkpoint
    assert at is not None and (at.step, at.chunk, at.end) == (2, 5, 10)  # 5 chunks of 9 rows a step
    ports.settings = ports.settings.model_copy(update={"finalize_step_rows": 5})
    deliver(ports)
    done = reload(ports, batch)
    assert done.status is BatchStatus.COMPLETED
    folder = tmp_path / "one"
    folder.mkdir()
    finalizing._write_files(ports, done, folder)
    for name, _ in FILES:
        assert ports.blobs.read(results_key(done, name)) == (folder / name).read_bytes(), name


def test_a_checkpoint_of_the_release_before_is_carried_on_with_the_same_bytes(
        ports: Ports, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch in steps during a deploy: its checkpoint has no header, first row or stop (the
    release before wrote it); the steps go on from it and write what one invocation writes."""
    monkeypatch.setattr(blobs_port, "MIN_PART_BYTES", 2048)
    ports.settings = ports.settings.model_copy(update={"chunk_rows": 9, "finalize_step_rows": 37})
    tenant = create_tenant(ports, "Acme", 1000)
    batch = create_batch(ports, tenant.tenant_id, leads(250, matched_every=3))
    deliver(ports, (topology.INGEST, topology.WORK))
    with pytest.raises(AssertionError):  # two finalize messages: steps 1 and 2
        deliver(ports, (topology.FINALIZE,), rounds=2)
    standing = reload(ports, batch)
    at = standing.finalize_checkpoint
    assert at is not None and at.step == 3 and at.header is not None and at.row
    older = at.model_copy(update={"header": None, "row": None, "stop": None})
    assert isinstance(ports.batches, InMemoryBatches)
    ports.batches._t.batches[(batch.tenant_id, batch.batch_id)] = replace(
        standing, finalize_checkpoint=older)
    deliver(ports)
    done = reload(ports, batch)
    assert done.status is BatchStatus.COMPLETED and done.finalize_checkpoint is None
    folder = tmp_path / "one"
    folder.mkdir()
    finalizing._write_files(ports, done, folder)
    for name, _ in FILES:
        assert ports.blobs.read(results_key(done, name)) == (folder / name).read_bytes(), name
