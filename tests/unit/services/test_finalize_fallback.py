"""A finalize step whose row does not fit the recorded header (a shape forged to miss the columns
of a late row): the batch's files come out as one invocation writes them, no upload left open."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from chalicelib import topology
from chalicelib.domain.models import Batch, BatchStatus
from chalicelib.keys import results_key
from chalicelib.ports import blobs as blobs_port
from chalicelib.services import finalize_fallback, finalizing
from chalicelib.services.finalize_files import FILES
from chalicelib.services.ports import Ports
from chalicelib.services.tenants import create_tenant
from tests.csvs import late_phones
from tests.fakes.batches import InMemoryBatches
from tests.fakes.blobs import InMemoryBlobs
from tests.helpers import create_batch, deliver, reload

ROWS, FIRST_PHONE, CHUNK_ROWS = 60, 45, 9  # the first phone in chunk 5: five steps of one chunk ran


def _forged(ports: Ports) -> Batch:
    """A batch split and worked whose recorded shape lacks the phone columns of its late rows."""
    tenant = create_tenant(ports, "Acme", 1000)
    batch = create_batch(ports, tenant.tenant_id, late_phones(ROWS, FIRST_PHONE))
    deliver(ports, (topology.INGEST, topology.WORK))
    worked = reload(ports, batch)
    assert any(name.startswith("phone.") for name in worked.shape_columns)
    assert isinstance(ports.batches, InMemoryBatches)
    tables = ports.batches._t  # the fakes' own rows: what a damaged item would hold
    tables.batches[(batch.tenant_id, batch.batch_id)] = replace(worked, shape_columns=frozenset(
        name for name in worked.shape_columns if not name.startswith("phone.")))
    return batch


def _reference(ports: Ports, batch: Batch, folder: Path) -> dict[str, bytes]:
    """The files as one invocation writes them (it finds the row that does not fit and takes two
    passes), compared with the stored ones."""
    folder.mkdir()
    finalizing._write_files(ports, batch, folder)
    return {name: (folder / name).read_bytes() for name, _ in FILES}


@pytest.fixture
def steps(ports: Ports, monkeypatch: pytest.MonkeyPatch) -> Ports:
    monkeypatch.setattr(blobs_port, "MIN_PART_BYTES", 1024)  # parts of 1 KB: the steps send parts
    ports.settings = ports.settings.model_copy(update={"chunk_rows": CHUNK_ROWS, "finalize_step_rows": 1})
    return ports


def test_a_row_the_recorded_header_lacks_starts_the_batch_over_with_the_bytes_of_one_invocation(
        steps: Ports, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ports = steps
    batch = _forged(ports)
    fallbacks: list[int] = []
    original = finalize_fallback.survey_instead

    def counted(*args: object) -> bool:
        fallbacks.append(args[2].step)  # type: ignore[attr-defined]
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(finalize_fallback, "survey_instead", counted)
    monkeypatch.setattr("chalicelib.services.finalize_steps.survey_instead", counted)
    deliver(ports)
    done = reload(ports, batch)
    assert done.status is BatchStatus.COMPLETED and done.finalize_checkpoint is None
    assert fallbacks == [6]  # steps 1-5 sent their shares before chunk 5's row
    stored = {name: ports.blobs.read(results_key(done, name)) for name, _ in FILES}
    assert stored == _reference(ports, done, tmp_path / "one")
    header = stored["results.csv"].split(b"\r\n", 1)[0].decode()
    assert "phone.e164" in header
    assert stored["results.csv"].count(b"\r\nL") == ROWS
    assert isinstance(ports.blobs, InMemoryBlobs) and ports.blobs.open_uploads() == []


def test_every_finalize_run_twice_and_late_changes_nothing(steps: Ports, tmp_path: Path) -> None:
    """Each finalize message handled twice, and each step again afterwards by a finalize that read
    the batch before it moved on (a late duplicate): no row twice, none lost."""
    ports = steps
    batch = _forged(ports)
    seen: list[Batch] = []
    name = ports.queue_name(topology.FINALIZE)
    for _ in range(40):
        got = ports.queue.receive(name, 60, 1)
        if not got:
            break
        seen.append(reload(ports, batch))
        for _twice in range(2):
            finalizing.finalize_batch(ports, batch.tenant_id, batch.batch_id)
        ports.queue.delete(name, [message.receipt for message in got])
    done = reload(ports, batch)
    assert done.status is BatchStatus.COMPLETED
    before = {name: ports.blobs.read(results_key(done, name)) for name, _ in FILES}
    assert before == _reference(ports, done, tmp_path / "one")
    for stale in seen:  # as a finalize that read the batch at each step would go on
        finalizing._results(ports, stale)
    assert {name: ports.blobs.read(results_key(done, name)) for name, _ in FILES} == before
    assert reload(ports, batch).status is BatchStatus.COMPLETED
    assert isinstance(ports.blobs, InMemoryBlobs) and ports.blobs.open_uploads() == []
