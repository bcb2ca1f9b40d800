"""The parts a work invocation settles together are stored in one object (one PutObject), and
finalize reads the parts of one object that follow each other with one GET: try to make that
lose a row, show a row twice, charge a part twice, or point a record at bytes never stored.

Every case runs the work function as Lambda would (the local event source mapping: one poll,
one invocation of up to ``topology.WORK.batch_size`` parts) against the emulated AWS.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import suppress
from itertools import pairwise
from typing import Any

import pytest

from chalicelib import topology
from chalicelib.clients import get_clients
from chalicelib.domain.messages import ChunkMessage
from chalicelib.domain.models import Batch, BatchStatus
from chalicelib.domain.options import BatchOptions
from chalicelib.keys import parts_prefix, results_key
from chalicelib.services.batch_rows import current_rows
from chalicelib.services.settled import latest_rows
from chalicelib.services.working import work_chunk
from tests.conftest import Aws
from tests.csvs import leads
from tests.faults import Faults, Killed, settles_together
from tests.helpers import charged, create_batch, reload, take_messages

FILES = ("results.csv", "rows.jsonl", "credits.csv", "errors.csv")


class PartObjects:
    """Records the S3 calls on a batch's part objects: (operation, key, range)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None]] = []
        self._events = get_clients().s3.meta.events
        for operation in ("PutObject", "GetObject"):
            self._events.register(f"before-parameter-build.s3.{operation}", self._seen)

    def _seen(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if "/chunks/" in params.get("Key", ""):
            self.calls.append((model.name, params["Key"], params.get("Range")))

    def of(self, operation: str) -> list[tuple[str, str | None]]:
        return [(key, at) for name, key, at in self.calls if name == operation]

    def close(self) -> None:
        for operation in ("PutObject", "GetObject"):
            self._events.unregister(f"before-parameter-build.s3.{operation}", self._seen)


@pytest.fixture
def part_objects() -> Iterator[PartObjects]:
    watched = PartObjects()
    yield watched
    watched.close()


def _queued(aws: Aws, tenant_id: str, rows: int, name: str = "leads.csv") -> Batch:
    batch = create_batch(aws.ports, tenant_id, leads(rows, matched_every=3), name, BatchOptions())
    aws.pump(topology.INGEST)
    return batch


def _poll(aws: Aws) -> int:
    return aws.mappings[topology.WORK.name].poll_once()


def _files(aws: Aws, batch: Batch) -> dict[str, bytes]:
    """A finalized batch's files, its own ids taken out (to compare two batches of one file)."""
    return {name: aws.ports.blobs.read(results_key(batch, name)).replace(batch.batch_id.encode(), b"B")
            for name in FILES}


def _charged_once(aws: Aws, batch: Batch) -> bool:
    """The batch's spend is what the ledger charged and the balance lost (the only batch charged)."""
    spent = charged(aws.ports, batch.tenant_id)
    return batch.credits_spent == spent == 10_000 - aws.balance(batch.tenant_id) > 0


def _one_by_one(aws: Aws, rows: int) -> dict[str, bytes]:
    """The files of the same file's batch, each part worked and stored alone."""
    tenant = aws.tenant(10_000)
    batch = _queued(aws, tenant.tenant_id, rows, "alone.csv")
    for body in take_messages(aws.ports, topology.WORK):
        message = ChunkMessage.model_validate_json(body)
        assert work_chunk(aws.ports, message, f"a{message.chunk}") == "settled"
    aws.drain()
    return _files(aws, reload(aws.ports, batch))


def test_an_invocations_parts_are_one_object_read_back_by_one_get(aws: Aws,
                                                                  part_objects: PartObjects) -> None:
    # GIVEN a batch of four 100-row chunks, as one invocation takes them
    tenant = aws.tenant(10_000)
    batch = _queued(aws, tenant.tenant_id, 400)

    # WHEN one invocation works them, and finalize writes the files
    assert _poll(aws) == 4
    stored = part_objects.of("PutObject")
    aws.drain()

    # THEN one object holds the four parts, each record names its own bytes, one GET read them
    assert len(stored) == 1 and stored[0][0].startswith(parts_prefix(batch.batch_id) + "together/")
    chunks = aws.ports.batches.chunks(batch.batch_id)
    assert {part.key for chunk in chunks for part in chunk.parts} == {stored[0][0]}
    spans = [part.span for chunk in chunks for part in chunk.parts if part.span is not None]
    assert len(spans) == 4 and spans[0][0] == 0
    assert all(a[0] + a[1] == b[0] for a, b in pairwise(spans))  # one after another
    assert part_objects.of("GetObject") == [(stored[0][0], f"bytes=0-{spans[-1][0] + spans[-1][1] - 1}")]
    # AND the files are those of the same file worked a part at a time, charged once
    done = reload(aws.ports, batch)
    assert done.status is BatchStatus.COMPLETED
    assert _charged_once(aws, done)
    assert _files(aws, done) == _one_by_one(aws, 400)


def test_rows_and_a_reprocess_read_each_part_of_the_shared_object(aws: Aws) -> None:
    # GIVEN four of a batch's five chunks settled together (the fifth not yet worked: held back,
    # as one receive of ten would take it too)
    tenant = aws.tenant(10_000)
    batch = _queued(aws, tenant.tenant_id, 500)
    queued = sorted(take_messages(aws.ports, topology.WORK),
                    key=lambda body: ChunkMessage.model_validate_json(body).chunk)
    aws.ports.queue.send(aws.ports.queue_name(topology.WORK), queued[:4])
    assert _poll(aws) == 4

    # WHEN the rows route lists the batch and a chunk's latest rows are read (as reprocess does)
    rows = list(current_rows(aws.ports, reload(aws.ports, batch)))
    chunk = aws.ports.batches.chunks(batch.batch_id)[2]

    # THEN every row is listed once, in order, with its own chunk's outcome
    assert [row["row_index"] for row in rows] == list(range(500))
    assert [row["status"] for row in rows[400:]] == ["pending"] * 100
    assert {row["status"] for row in rows[:400]} == {"completed", "not_found"}
    assert [row.i for row in latest_rows(aws.ports, chunk)] == list(range(200, 300))


def test_a_group_object_lost_to_an_s3_error_leaves_each_part_stored_and_settled_alone(
        aws: Aws, part_objects: PartObjects) -> None:
    faults = Faults(get_clients())
    tenant = aws.tenant(10_000)
    batch = _queued(aws, tenant.tenant_id, 400)
    faults.fail("s3.PutObject", "InternalError", match=lambda params: "/together/" in params["Key"])

    assert _poll(aws) == 4
    aws.drain()

    assert faults.injected
    stored = [key for key, _ in part_objects.of("PutObject")]
    assert len(stored) == 5 and all("/together/" not in key for key in stored[1:])
    chunks = aws.ports.batches.chunks(batch.batch_id)
    assert all(part.span is None and part.key in stored[1:] for chunk in chunks for part in chunk.parts)
    done = reload(aws.ports, batch)
    assert done.status is BatchStatus.COMPLETED and done.counts.completed + done.counts.not_found == 400
    assert _charged_once(aws, done)
    assert _files(aws, done) == _one_by_one(aws, 400)
    faults.clear()


def _stores_together(params: dict[str, Any]) -> bool:
    return "/together/" in params["Key"]


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize(("operation", "match"), [("s3.PutObject", _stores_together),
                                                  ("dynamodb.TransactWriteItems", settles_together)],
                         ids=["storing", "settling"])
def test_a_worker_that_dies_storing_or_settling_its_parts_together_charges_every_part_once(
        aws: Aws, operation: str, match: Callable[[dict[str, Any]], bool], when: str) -> None:
    # The two steps of a group, each killed just before and just after its call: the group's
    # object (put first) and the transaction that settles its four parts.
    faults = Faults(get_clients())
    tenant = aws.tenant(10_000)
    batch = _queued(aws, tenant.tenant_id, 400)
    faults.kill(operation, when, match=match)

    with suppress(Killed):  # the invocation died holding its four parts
        _poll(aws)
    assert faults.injected
    faults.revive()
    faults.expire_in_flight()
    aws.drain()

    done = reload(aws.ports, batch)
    assert done.status is BatchStatus.COMPLETED
    assert _charged_once(aws, done)
    charges = [e for e in aws.ports.ledger.entries(tenant.tenant_id) if e["kind"] == "charge"]
    assert len(charges) == 4  # a ledger line a part
    lines = aws.ports.blobs.read(results_key(done, "rows.jsonl")).decode().splitlines()
    assert [json.loads(line)["row_index"] for line in lines] == list(range(400))
    assert _files(aws, done) == _one_by_one(aws, 400)
    faults.clear()


def test_a_duplicate_invocation_of_the_same_parts_changes_no_record_and_no_charge(
        aws: Aws, part_objects: PartObjects) -> None:
    # GIVEN four parts delivered twice: the second delivery comes after the first settled them
    tenant = aws.tenant(10_000)
    batch = _queued(aws, tenant.tenant_id, 400)
    bodies = take_messages(aws.ports, topology.WORK)
    work = aws.ports.queue_name(topology.WORK)
    aws.ports.queue.send(work, bodies)
    assert _poll(aws) == 4
    first = aws.ports.batches.chunks(batch.batch_id)
    spent = charged(aws.ports, tenant.tenant_id)

    # WHEN the duplicates are worked by another invocation (its group refused, each part alone)
    aws.ports.queue.send(work, bodies)
    assert _poll(aws) == 4
    aws.drain()

    # THEN the records still name the first invocation's object, nothing was charged again
    assert aws.ports.batches.chunks(batch.batch_id) == first
    assert charged(aws.ports, tenant.tenant_id) == spent == reload(aws.ports, batch).credits_spent
    assert {part.key for chunk in first for part in chunk.parts} == {part_objects.of("PutObject")[0][0]}
    assert _files(aws, reload(aws.ports, batch)) == _one_by_one(aws, 400)
