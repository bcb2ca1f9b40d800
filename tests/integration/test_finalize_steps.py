"""finalize in steps (``finalize_step_rows``): a small batch written in many steps gives the bytes one
invocation writes, whatever dies, repeats or races between the steps."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import moto.s3.models
import pytest

from chalicelib import topology
from chalicelib.clients import get_clients, reset_clients
from chalicelib.domain.models import Batch, BatchStatus, ChunkState
from chalicelib.domain.options import BatchOptions
from chalicelib.keys import results_key
from chalicelib.local.emulator import Emulator
from chalicelib.local.provision import provision
from chalicelib.ports import blobs as blobs_port
from chalicelib.services import finalize_ranges, finalizing
from chalicelib.services.finalize_files import FILES
from chalicelib.services.finalize_ranges import step_end
from chalicelib.services.finalize_steps import finalize_step
from chalicelib.services.ports import Ports, get_ports, reset_ports
from chalicelib.services.results_shape import file_header, known_shape
from chalicelib.services.tenants import create_tenant
from chalicelib.settings import get_settings
from tests.chaos import World, recover
from tests.conftest import Aws, fresh_aws
from tests.csvs import varied_leads as leads
from tests.faults import Faults, Killed
from tests.helpers import create_batch, deliver, reload, take_messages

ROWS, CHUNK_ROWS, STEP_ROWS, PART_BYTES = 90, 7, 20, 4096  # 13 chunks, 5 steps


@contextlib.contextmanager
def stepped_world(monkeypatch: pytest.MonkeyPatch, data: bytes,
                  work_polls: int | None = None) -> Iterator[World]:
    """A batch of ``data`` split and worked on moto in chunks of 7 rows (or only ``work_polls``
    receives of its work), its finalize message waiting, finalize in steps of 20 rows; parts of
    4 KB allowed."""
    monkeypatch.setattr(blobs_port, "MIN_PART_BYTES", PART_BYTES)
    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", PART_BYTES)
    with fresh_aws() as aws:
        aws.ports.settings = aws.ports.settings.model_copy(
            update={"chunk_rows": CHUNK_ROWS, "finalize_step_rows": STEP_ROWS})
        world = World(aws, Faults(get_clients()))
        tenant = aws.tenant(10_000)
        world.tenant_id = tenant.tenant_id
        world.batch = create_batch(aws.ports, tenant.tenant_id, data, "leads.csv", BatchOptions())
        world.pump(topology.INGEST)
        if work_polls is None:
            world.pump(topology.WORK)
        for _ in range(work_polls or 0):
            aws.mappings[topology.WORK.name].poll_once()
        yield world


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A batch split and worked on moto, its finalize message waiting; parts of 4 KB allowed."""
    with stepped_world(monkeypatch, leads(ROWS)) as world:
        yield world


def _one_invocation(aws: Aws, batch: Batch, folder: Path) -> dict[str, bytes]:
    """The files as one invocation writes them (the reference)."""
    folder.mkdir()
    finalizing._write_files(aws.ports, batch, folder)
    return {name: (folder / name).read_bytes() for name, _ in FILES}


def _stored(aws: Aws, batch: Batch) -> dict[str, bytes]:
    return {name: aws.ports.blobs.read(results_key(batch, name)) for name, _ in FILES}


def _count_steps(world: World) -> list[str]:
    """Every s3 call the steps make, by operation."""
    calls: list[str] = []

    def note(model: Any, **_: Any) -> None:
        calls.append(model.name)

    get_clients().s3.meta.events.register("before-parameter-build.s3.*", note)
    return calls


def _finished(world: World, tmp_path: Path) -> Batch:
    assert world.batch is not None
    done = reload(world.aws.ports, world.batch)
    assert done.status is BatchStatus.COMPLETED and done.finished_at is not None
    assert done.finalize_checkpoint is None
    assert _stored(world.aws, done) == _one_invocation(world.aws, done, tmp_path / "one")
    assert done.counts.settled == ROWS
    for spec in topology.QUEUES:
        assert take_messages(world.aws.ports, spec, dead_letters=True) == [], spec.name
    return done


def test_a_batch_over_the_step_size_is_written_in_steps_as_one_invocation_writes_it(
        world: World, tmp_path: Path) -> None:
    calls = _count_steps(world)
    world.pump(topology.FINALIZE)
    _finished(world, tmp_path)
    assert calls.count("CreateMultipartUpload") == 4 and calls.count("CompleteMultipartUpload") == 4
    assert calls.count("UploadPart") > 4  # results.csv and rows.jsonl went in more than one part
    assert calls.count("ListParts") == 4


def test_every_message_twice_changes_nothing(world: World, tmp_path: Path) -> None:
    world.duplicate = True
    world.pump(topology.FINALIZE)
    _finished(world, tmp_path)


def test_a_late_finalize_of_a_step_already_done_stops_and_changes_nothing(
        world: World, tmp_path: Path) -> None:
    ports = world.aws.ports
    assert world.batch is not None
    chunks = ports.batches.chunks(world.batch.batch_id)
    late = []
    for _ in range(6):  # one step at a time, keeping the batch as each step read it
        late.append(reload(ports, world.batch))
        if not world.aws.mappings[topology.FINALIZE.name].poll_once():
            break
    done = _finished(world, tmp_path)
    shape = known_shape(done, chunks, file_header(ports, done))
    assert shape is not None
    before = _stored(world.aws, done)
    for stale in late[1:]:  # each step again, as a finalize that read the batch before it moved on
        finalize_step(ports, stale, chunks, file_header(ports, stale))
    assert _stored(world.aws, done) == before
    assert reload(ports, done).status is BatchStatus.COMPLETED


# Each kind of write the steps make (its first call), and a middle call of the two a step repeats
# (a later step's part, a later step's checkpoint), as (operation, calls let through first).
FINALIZE_WRITES = (("s3.CreateMultipartUpload", 0), ("s3.UploadPart", 0), ("s3.UploadPart", 9),
                   ("s3.PutObject", 0), ("s3.CompleteMultipartUpload", 0),
                   ("dynamodb.UpdateItem", 0), ("dynamodb.UpdateItem", 5),
                   ("sqs.SendMessageBatch", 0))


@pytest.mark.parametrize(("operation", "skip"), FINALIZE_WRITES)
@pytest.mark.parametrize("when", ["before", "after"])
def test_a_death_at_any_write_of_any_step_is_recovered(
        world: World, tmp_path: Path, operation: str, skip: int, when: str) -> None:
    """The process dies before or after a write of a step; its message comes back (or the tick
    asks again) and the files come out whole."""
    died_and_recovered(world, (operation, None, skip), when, BatchStatus.COMPLETED)
    _finished(world, tmp_path)


def died_and_recovered(world: World, write: tuple[str, Any, int], when: str,
                       want: BatchStatus) -> None:
    """Finalize while the process dies before or after ``write`` (operation, match, calls let
    through first); then the platform's recovery until the batch is ``want``."""
    operation, match, skip = write
    world.faults.kill(operation, when, match=match, skip=skip)
    with world.in_step("finalize"), contextlib.suppress(Killed):
        world.pump(topology.FINALIZE)
    assert world.faults.injected, "the fault never struck"
    recover(world, want=want)


def emulator_ports(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Ports:
    """The service's ports on the embedded emulator, provisioned, with this module's chunk and
    step sizes."""
    for name, value in emulator.environment().items():
        monkeypatch.setenv(name, value)
    reset_clients()
    reset_ports()
    provision(get_clients(), get_settings())
    ports = get_ports()
    ports.settings = ports.settings.model_copy(
        update={"chunk_rows": CHUNK_ROWS, "finalize_step_rows": STEP_ROWS})
    return ports


def test_steps_on_the_embedded_emulator_write_what_one_invocation_writes(
        emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Multipart uploads, carries and the steps' own messages through moto's server (S3's 5 MB
    smallest part: every share is carried to the last step)."""
    ports = emulator_ports(emulator, monkeypatch)
    rules = get_clients().s3.get_bucket_lifecycle_configuration(Bucket=get_settings().bucket)["Rules"]
    assert {"DaysAfterInitiation": 1} in [rule.get("AbortIncompleteMultipartUpload") for rule in rules]
    tenant = create_tenant(ports, "Acme", 10_000)
    batch = create_batch(ports, tenant.tenant_id, leads(ROWS), "leads.csv", BatchOptions())
    handed: list[int] = []

    def counted(chunks: list[ChunkState], start: int, rows: int, per_chunk: int = 0) -> int:
        handed.append(start)
        return step_end(chunks, start, rows, per_chunk)

    monkeypatch.setattr(finalize_ranges, "step_end", counted)
    deliver(ports)
    done = reload(ports, batch)
    assert done.status is BatchStatus.COMPLETED and done.finalize_checkpoint is None
    assert len(handed) == 5
    folder = tmp_path / "one"
    folder.mkdir()
    finalizing._write_files(ports, done, folder)
    for name, _ in FILES:
        assert ports.blobs.read(results_key(done, name)) == (folder / name).read_bytes(), name
