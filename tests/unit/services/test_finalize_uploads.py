"""A one-invocation finalize sends its results files' parts while it writes them: the objects are
the bytes one upload of each file after the pass would send, and a pass that fails leaves no
upload open and no results file."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib import topology
from chalicelib.domain import parts
from chalicelib.domain.models import BatchStatus
from chalicelib.keys import results_key
from chalicelib.ports import blobs as blobs_port
from chalicelib.services import finalize_rows, finalize_uploads, finalizing
from chalicelib.services.finalize_files import FILES
from chalicelib.services.ports import Ports
from chalicelib.services.tenants import create_tenant
from tests.csvs import leads
from tests.fakes.blobs import InMemoryBlobs
from tests.helpers import create_batch, deliver, reload


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts of 4 KB (S3's minimum 2 KB here): a small batch's files go in several parts each."""
    monkeypatch.setattr(blobs_port, "MIN_PART_BYTES", 2048)
    monkeypatch.setattr(finalize_uploads, "PART_BYTES", 4096)


def _sent_while_written(ports: Ports, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many uploads had begun each time the pass read its next part object."""
    assert isinstance(ports.blobs, InMemoryBlobs)
    blobs, seen = ports.blobs, []
    original = parts.read_part

    def counting(body: bytes):  # type: ignore[no-untyped-def]
        seen.append(blobs.uploads_begun)
        return original(body)

    monkeypatch.setattr(finalize_rows, "read_part", counting)
    return seen


@pytest.mark.usefixtures("small_parts")
def test_the_files_sent_while_written_are_the_bytes_of_the_files(
        ports: Ports, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ports.settings = ports.settings.model_copy(update={"chunk_rows": 20})
    tenant = create_tenant(ports, "Acme", 1000)
    batch = create_batch(ports, tenant.tenant_id, leads(300, matched_every=3))
    seen = _sent_while_written(ports, monkeypatch)

    deliver(ports)

    done = reload(ports, batch)
    assert done.status is BatchStatus.COMPLETED
    assert isinstance(ports.blobs, InMemoryBlobs)
    assert ports.blobs.uploads_begun == 3  # results.csv, rows.jsonl, credits.csv: over 4 KB
    assert seen[0] == 0 and seen[-1] == 3  # every upload began before the pass read its last part
    assert ports.blobs.open_uploads() == []
    folder = tmp_path / "after"
    folder.mkdir()
    finalizing._write_files(ports, done, folder)  # the files as one pass writes them, no upload
    for name, _ in FILES:
        assert ports.blobs.read(results_key(done, name)) == (folder / name).read_bytes(), name


@pytest.mark.usefixtures("small_parts")
def test_a_pass_that_fails_after_sending_parts_leaves_no_upload_and_the_retry_writes_the_files(
        ports: Ports, monkeypatch: pytest.MonkeyPatch) -> None:
    ports.settings = ports.settings.model_copy(update={"chunk_rows": 20})
    tenant = create_tenant(ports, "Acme", 1000)
    batch = create_batch(ports, tenant.tenant_id, leads(300, matched_every=3))
    deliver(ports, tuple(q for q in topology.QUEUES if q is not topology.FINALIZE))
    assert isinstance(ports.blobs, InMemoryBlobs)
    original, reads = parts.read_part, []

    def failing(body: bytes):  # type: ignore[no-untyped-def]
        reads.append(body)
        if len(reads) == 12:  # after some parts of every big file went
            raise OSError("the read failed")
        return original(body)

    monkeypatch.setattr(finalize_rows, "read_part", failing)
    with pytest.raises(OSError):
        finalizing.finalize_batch(ports, batch.tenant_id, batch.batch_id)
    assert ports.blobs.uploads_begun > 0
    assert ports.blobs.open_uploads() == []  # aborted
    assert not any(ports.blobs.exists(results_key(batch, name)) for name, _ in FILES)
    assert reload(ports, batch).finished_at is None

    monkeypatch.setattr(finalize_rows, "read_part", original)
    assert finalizing.finalize_batch(ports, batch.tenant_id, batch.batch_id)  # the message again
    done = reload(ports, batch)
    assert done.status is BatchStatus.COMPLETED and ports.blobs.open_uploads() == []
    assert sum(1 for line in ports.blobs.read(results_key(done, "results.csv")).splitlines()) == 301
    # a duplicate message after it finds the batch finished and writes nothing
    assert not finalizing.finalize_batch(ports, batch.tenant_id, batch.batch_id)
