"""A finalize step whose row does not fit the header the settlements recorded (forged here to lack
the phone columns of the batch's late rows), on moto through the finalize handler and on the
embedded emulator: the batch starts over with a header it finds itself, and its files are what one
invocation writes, whatever dies or repeats around the fallback."""

from __future__ import annotations

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
from chalicelib.services.finalize_files import FILES
from chalicelib.services.ports import Ports
from chalicelib.services.tenants import create_tenant
from tests.chaos import World
from tests.csvs import late_phones
from tests.helpers import create_batch, deliver, reload, take_messages
from tests.integration.test_finalize_steps import (
    ROWS,
    died_and_recovered,
    emulator_ports,
    stepped_world,
)

FIRST_PHONE = 60  # in chunk 8 of 7 rows: the third step of 20 rows


def _forge(ports: Ports, batch: Batch) -> None:
    """Take the phone columns out of the batch item's recorded shape (a damaged item)."""
    worked = reload(ports, batch)
    phones = {name for name in worked.shape_columns if name.startswith("phone.")}
    assert phones and worked.shaped_parts
    get_clients().dynamodb.update_item(
        TableName=ports.settings.name(topology.BATCHES.name),
        Key={"tenant_id": {"S": batch.tenant_id}, "batch_id": {"S": batch.batch_id}},
        UpdateExpression="DELETE shape_columns :phones",
        ExpressionAttributeValues={":phones": {"SS": sorted(phones)}})
    assert not {name for name in reload(ports, batch).shape_columns if name.startswith("phone.")}


def _checked(ports: Ports, batch: Batch, folder: Path) -> Batch:
    """The batch completed, its files byte for byte one invocation's, every row once."""
    done = reload(ports, batch)
    assert done.status is BatchStatus.COMPLETED and done.finished_at is not None
    assert done.finalize_checkpoint is None
    folder.mkdir()
    finalizing._write_files(ports, done, folder)
    for name, _ in FILES:
        assert ports.blobs.read(results_key(done, name)) == (folder / name).read_bytes(), name
    results = ports.blobs.read(results_key(done, "results.csv"))
    assert b"phone.e164" in results.split(b"\r\n", 1)[0] and results.count(b"\r\nL") == ROWS
    return done


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A batch worked on moto whose recorded shape lacks its late rows' columns; parts of 4 KB."""
    with stepped_world(monkeypatch, late_phones(ROWS, FIRST_PHONE)) as world:
        assert world.batch is not None
        _forge(world.aws.ports, world.batch)
        yield world


def _finished(world: World, tmp_path: Path) -> None:
    assert world.batch is not None
    _checked(world.aws.ports, world.batch, tmp_path / "one")
    for spec in topology.QUEUES:
        assert take_messages(world.aws.ports, spec, dead_letters=True) == [], spec.name


def test_steps_that_meet_a_row_the_header_lacks_end_with_the_files_of_one_invocation(
        world: World, tmp_path: Path) -> None:
    calls: list[str] = []

    def note(model: Any, **_: Any) -> None:
        calls.append(model.name)

    get_clients().s3.meta.events.register("before-parameter-build.s3.*", note)
    world.pump(topology.FINALIZE)
    _finished(world, tmp_path)
    assert calls.count("UploadPart") >= 2  # steps sent parts before the row that did not fit
    assert calls.count("AbortMultipartUpload") == 4


def test_every_message_twice_changes_nothing(world: World, tmp_path: Path) -> None:
    world.duplicate = True
    world.pump(topology.FINALIZE)
    _finished(world, tmp_path)


def _records_the_survey(params: dict[str, Any]) -> bool:
    """A checkpoint of a survey step (its header not known yet)."""
    text = str(params.get("ExpressionAttributeValues", {})).replace("\\", "")
    return '"known":false' in text


# The fallback's writes: the checkpoint that asks for the survey, an upload's abort, the message
# that hands on (the third finalize message: steps 1 and 2 sent theirs); the survey's next
# checkpoint, and the uploads it begins for the writing steps (steps 1's were the first four).
FALLBACK_WRITES = (("dynamodb.UpdateItem", _records_the_survey, 0),
                   ("s3.AbortMultipartUpload", None, 0), ("s3.AbortMultipartUpload", None, 3),
                   ("sqs.SendMessageBatch", None, 2), ("dynamodb.UpdateItem", _records_the_survey, 1),
                   ("s3.CreateMultipartUpload", None, 4))


@pytest.mark.parametrize(("operation", "match", "skip"), FALLBACK_WRITES)
@pytest.mark.parametrize("when", ["before", "after"])
def test_a_death_at_any_write_of_the_fallback_is_recovered(
        world: World, tmp_path: Path, operation: str, match: Any, skip: int, when: str) -> None:
    """The process dies before or after a write of the fallback; its message comes back (or the
    tick asks again) and the files come out whole, no row twice, none lost."""
    died_and_recovered(world, (operation, match, skip), when, BatchStatus.COMPLETED)
    _finished(world, tmp_path)


def test_the_fallback_on_the_embedded_emulator_writes_what_one_invocation_writes(
        emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Through moto's server (S3's 5 MB smallest part: the steps carried every share)."""
    ports = emulator_ports(emulator, monkeypatch)
    tenant = create_tenant(ports, "Acme", 10_000)
    batch = create_batch(ports, tenant.tenant_id, late_phones(ROWS, FIRST_PHONE), "leads.csv",
                         BatchOptions())
    deliver(ports, (topology.INGEST, topology.WORK))
    _forge(ports, batch)
    deliver(ports)
    _checked(ports, batch, tmp_path / "one")
