"""A cancelled batch's finalize in steps on moto, through the finalize handler: a survey finds
results.csv's header in steps, then the steps write the files; whatever dies or repeats between
any two steps, the files are what one invocation writes and every row is in them once."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib import topology
from chalicelib.clients import get_clients
from chalicelib.domain.models import Batch, BatchStatus
from chalicelib.domain.options import BatchOptions
from chalicelib.keys import results_key
from chalicelib.local.emulator import Emulator
from chalicelib.services import finalizing
from chalicelib.services.batches import cancel_batch
from chalicelib.services.finalize_files import FILES
from chalicelib.services.ports import Ports
from chalicelib.services.tenants import create_tenant
from tests.chaos import World
from tests.csvs import varied_leads
from tests.helpers import create_batch, deliver, reload, take_messages
from tests.integration.test_finalize_steps import (
    ROWS,
    died_and_recovered,
    emulator_ports,
    stepped_world,
)

WIDEST = 80  # the widest row, in a chunk the cancel leaves unsettled


def _checked(ports: Ports, batch: Batch, folder: Path) -> None:
    """Cancelled and finished; the files one invocation's, byte for byte; every row once."""
    done = reload(ports, batch)
    assert done.status is BatchStatus.CANCELLED and done.finished_at is not None
    assert done.finalize_checkpoint is None
    folder.mkdir()
    finalizing._write_files(ports, done, folder)
    for name, _ in FILES:
        assert ports.blobs.read(results_key(done, name)) == (folder / name).read_bytes(), name
    text = ports.blobs.read(results_key(done, "results.csv")).decode()
    indexes = [int(row["row_index"]) for row in csv.DictReader(io.StringIO(text))]
    assert indexes == list(range(ROWS))
    assert done.counts.settled == ROWS and 0 < done.counts.completed < ROWS


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A batch of 13 chunks on moto cancelled after two work receives."""
    with stepped_world(monkeypatch, varied_leads(ROWS, WIDEST), work_polls=2) as world:
        assert world.batch is not None
        cancel_batch(world.aws.ports, world.batch.tenant_id, world.batch.batch_id)
        yield world


def _finished(world: World, tmp_path: Path) -> None:
    assert world.batch is not None
    _checked(world.aws.ports, world.batch, tmp_path / "one")
    for spec in topology.QUEUES:
        assert take_messages(world.aws.ports, spec, dead_letters=True) == [], spec.name


def test_a_cancelled_batch_is_surveyed_then_written_in_steps(world: World, tmp_path: Path) -> None:
    calls: list[str] = []

    def note(model: Any, **_: Any) -> None:
        calls.append(model.name)

    get_clients().s3.meta.events.register("before-parameter-build.s3.*", note)
    world.pump(topology.WORK)  # what was left of its work: nothing settles after a cancel
    world.pump(topology.FINALIZE)
    _finished(world, tmp_path)
    assert calls.count("CreateMultipartUpload") == 4 and calls.count("UploadPart") > 4


def test_every_message_twice_changes_nothing(world: World, tmp_path: Path) -> None:
    world.duplicate = True
    world.pump(topology.WORK)
    world.pump(topology.FINALIZE)
    _finished(world, tmp_path)


def _survey(known: bool) -> Any:
    def match(params: dict[str, Any]) -> bool:
        text = str(params.get("ExpressionAttributeValues", {})).replace("\\", "")
        return f'"known":{"true" if known else "false"}' in text
    return match


# Each kind of write of the survey and of the steps after it, as (operation, match, calls let
# through first): a survey step's checkpoint (the first and a later one), the first writing
# step's (with the uploads), the uploads' beginning, a part, a carry, an upload's completion,
# the hand-on messages (the first, a later one).
SURVEY_WRITES = (("dynamodb.UpdateItem", _survey(False), 0), ("dynamodb.UpdateItem", _survey(False), 2),
                 ("dynamodb.UpdateItem", _survey(True), 0), ("dynamodb.UpdateItem", _survey(True), 3),
                 ("s3.CreateMultipartUpload", None, 0), ("s3.UploadPart", None, 2),
                 ("s3.PutObject", None, 1), ("s3.CompleteMultipartUpload", None, 0),
                 ("sqs.SendMessageBatch", None, 0), ("sqs.SendMessageBatch", None, 4))


@pytest.mark.parametrize(("operation", "match", "skip"), SURVEY_WRITES)
@pytest.mark.parametrize("when", ["before", "after"])
def test_a_death_between_any_two_steps_is_recovered(
        world: World, tmp_path: Path, operation: str, match: Any, skip: int, when: str) -> None:
    world.pump(topology.WORK)
    died_and_recovered(world, (operation, match, skip), when, BatchStatus.CANCELLED)
    _finished(world, tmp_path)


def test_a_cancelled_batch_on_the_embedded_emulator_is_written_as_one_invocation_writes_it(
        emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ports = emulator_ports(emulator, monkeypatch)
    tenant = create_tenant(ports, "Acme", 10_000)
    batch = create_batch(ports, tenant.tenant_id, varied_leads(ROWS, WIDEST), "leads.csv",
                         BatchOptions())
    deliver(ports, (topology.INGEST,))
    with pytest.raises(AssertionError):  # two work receives, then the cancel
        deliver(ports, (topology.WORK,), rounds=2)
    cancel_batch(ports, tenant.tenant_id, batch.batch_id)
    deliver(ports)
    _checked(ports, batch, tmp_path / "one")
