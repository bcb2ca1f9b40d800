"""finalize in steps for batches whose header the settlements did not record: cancelled (part-way,
or before their file was split), failed, reprocessed. A survey finds the header in bounded steps,
then the steps write what one invocation writes, byte for byte, whatever repeats or races."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from chalicelib import topology
from chalicelib.domain.models import Batch, BatchStatus
from chalicelib.keys import results_key
from chalicelib.ports import blobs as blobs_port
from chalicelib.services import finalize_survey, finalizing
from chalicelib.services.batches import cancel_batch, request_finalize
from chalicelib.services.finalize_files import FILES
from chalicelib.services.ports import Ports
from chalicelib.services.reprocess import reprocess_batch
from chalicelib.services.tenants import create_tenant
from tests.csvs import read_rows, varied_leads
from tests.fakes.batches import InMemoryBatches
from tests.fakes.blobs import InMemoryBlobs
from tests.helpers import create_batch, deliver, reload

ROWS, CHUNK_ROWS, WIDEST = 250, 9, 230  # 28 chunks; the widest row in chunk 25


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blobs_port, "MIN_PART_BYTES", 2048)  # parts of 2 KB: several per file


def _steps(ports: Ports, step_rows: int) -> None:
    ports.settings = ports.settings.model_copy(
        update={"chunk_rows": CHUNK_ROWS, "finalize_step_rows": step_rows})


def _partly_worked(ports: Ports) -> Batch:
    """A batch split whose work stopped after a few chunks (the rest of its messages waiting)."""
    tenant = create_tenant(ports, "Acme", 1000)
    batch = create_batch(ports, tenant.tenant_id, varied_leads(ROWS, WIDEST))
    deliver(ports, (topology.INGEST,))
    with pytest.raises(AssertionError):  # a few work messages only
        deliver(ports, (topology.WORK,), rounds=2)
    return batch


def _cancelled(ports: Ports) -> Batch:
    batch = _partly_worked(ports)
    cancel_batch(ports, batch.tenant_id, batch.batch_id)
    return batch


def _cancelled_before_split(ports: Ports) -> Batch:
    tenant = create_tenant(ports, "Acme", 1000)
    batch = create_batch(ports, tenant.tenant_id, varied_leads(ROWS, WIDEST))
    cancel_batch(ports, batch.tenant_id, batch.batch_id)
    return batch


def _failed(ports: Ports) -> Batch:
    """A batch the tick gave up on part-way (its rows never processed end ``failed``)."""
    batch = _partly_worked(ports)
    now = ports.clock.now()
    standing = reload(ports, batch)
    assert ports.batches.transition(batch.tenant_id, batch.batch_id, BatchStatus.FAILED,
                                    (standing.status,), now, failure="stalled: given up")
    request_finalize(ports, batch.tenant_id, batch.batch_id)
    return batch


def _reprocessed(ports: Ports) -> Batch:
    """A completed batch whose every row was enriched again (charged twice where it matched)."""
    tenant = create_tenant(ports, "Acme", 1000)
    batch = create_batch(ports, tenant.tenant_id, varied_leads(ROWS, WIDEST))
    deliver(ports)
    reprocess_batch(ports, batch.tenant_id, batch.batch_id, failed_only=False, refresh=True)
    return batch


KINDS: dict[str, Callable[[Ports], Batch]] = {
    "cancelled": _cancelled, "cancelled before split": _cancelled_before_split,
    "failed": _failed, "reprocessed": _reprocessed}
FINAL = {"cancelled": BatchStatus.CANCELLED, "cancelled before split": BatchStatus.CANCELLED,
         "failed": BatchStatus.FAILED, "reprocessed": BatchStatus.COMPLETED}


def _stored(ports: Ports, batch: Batch) -> dict[str, bytes]:
    return {name: ports.blobs.read(results_key(batch, name)) for name, _ in FILES}


def _one_invocation(ports: Ports, batch: Batch, folder: Path) -> dict[str, bytes]:
    folder.mkdir()
    finalizing._write_files(ports, batch, folder)
    return {name: (folder / name).read_bytes() for name, _ in FILES}


def _checked(ports: Ports, batch: Batch, kind: str, tmp_path: Path) -> dict[str, bytes]:
    """The batch finished as its kind does, every row once in order, the files one invocation's."""
    done = reload(ports, batch)
    assert done.status is FINAL[kind] and done.finished_at is not None
    assert done.finalize_checkpoint is None
    stored = _stored(ports, done)
    assert stored == _one_invocation(ports, done, tmp_path / "one")
    rows = read_rows(stored["results.csv"])
    assert [int(row["row_index"]) for row in rows] == list(range(ROWS))
    assert done.counts.settled == ROWS
    assert isinstance(ports.blobs, InMemoryBlobs) and ports.blobs.open_uploads() == []
    return stored


@pytest.mark.usefixtures("small_parts")
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("step_rows", [1, 37])
def test_a_batch_whose_header_is_not_recorded_is_surveyed_then_written_in_steps(
        ports: Ports, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str,
        step_rows: int) -> None:
    _steps(ports, step_rows)
    batch = KINDS[kind](ports)
    surveyed: list[int] = []
    original = finalize_survey.survey_step

    def counted(*args: object) -> bool:
        surveyed.append(1)
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr("chalicelib.services.finalize_steps.survey_step", counted)
    deliver(ports)
    _checked(ports, batch, kind, tmp_path)
    assert len(surveyed) > 1  # the survey went in steps too


@pytest.mark.usefixtures("small_parts")
@pytest.mark.parametrize("kind", list(KINDS))
def test_one_invocation_and_steps_write_the_same_bytes_both_ways(
        ports: Ports, tmp_path: Path, kind: str) -> None:
    """The same batch finalized in one invocation (steps of 2,000,000 rows), then from the same
    state again in steps of 5 rows: the same five files."""
    _steps(ports, 2_000_000)
    batch = KINDS[kind](ports)
    deliver(ports, (topology.INGEST, topology.WORK))
    assert isinstance(ports.batches, InMemoryBatches)
    key = (batch.tenant_id, batch.batch_id)
    before = copy.deepcopy(ports.batches._t.batches[key])  # the batch as its finalize finds it
    deliver(ports)
    whole = _stored(ports, reload(ports, batch))
    assert isinstance(ports.blobs, InMemoryBlobs) and ports.blobs.uploads_begun == 0
    _steps(ports, 5)
    ports.batches._t.batches[key] = before
    request_finalize(ports, batch.tenant_id, batch.batch_id)
    deliver(ports)
    assert reload(ports, batch).finished_at is not None
    assert _stored(ports, reload(ports, batch)) == whole
    assert ports.blobs.uploads_begun == 4 and ports.blobs.open_uploads() == []


@pytest.mark.usefixtures("small_parts")
@pytest.mark.parametrize("kind", ["cancelled", "reprocessed"])
def test_two_finalizes_racing_through_every_step_write_every_row_once(
        ports: Ports, tmp_path: Path, kind: str) -> None:
    _steps(ports, 20)
    batch = KINDS[kind](ports)
    deliver(ports, (topology.INGEST, topology.WORK))
    errors: list[BaseException] = []

    def finalizer() -> None:
        try:
            for _ in range(400):
                if reload(ports, batch).finished_at is not None:
                    return
                finalizing.finalize_batch(ports, batch.tenant_id, batch.batch_id)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=finalizer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    deliver(ports)  # the messages the steps sent: each finds the batch finished
    _checked(ports, batch, kind, tmp_path)


@pytest.mark.usefixtures("small_parts")
def test_a_cancel_while_the_steps_run_ends_the_batch_cancelled_with_every_row_once(
        ports: Ports, tmp_path: Path) -> None:
    _steps(ports, 20)
    tenant = create_tenant(ports, "Acme", 1000)
    batch = create_batch(ports, tenant.tenant_id, varied_leads(ROWS, WIDEST))
    deliver(ports, (topology.INGEST, topology.WORK))
    with pytest.raises(AssertionError):  # three finalize steps
        deliver(ports, (topology.FINALIZE,), rounds=3)
    assert reload(ports, batch).finalize_checkpoint is not None
    cancel_batch(ports, batch.tenant_id, batch.batch_id)
    deliver(ports)
    stored = _checked(ports, batch, "cancelled", tmp_path)
    assert b"cancelled_before_processing" not in stored["errors.csv"]  # every row had settled
