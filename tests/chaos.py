"""One batch's life as a script of steps, run on moto with faults striking inside any step.

The steps: ``split``, ``work`` (until the balance pauses it), ``resume`` (after a top-up; the
parts it sent are lost), ``tick`` (it must continue the stalled batch), ``work`` again,
``tick`` (the finalize message dead-lettered: it must re-drive it), ``finalize``,
``reprocess`` (the rows not found or failed, then their work and finalize).
Whatever a fault breaks, the platform and the client do what they would: a client whose call
got no answer calls again (``client_call``); ``recover`` starts the next process (``Killed``
ends one), lets the messages a dead process held come back, drains the queues, and runs the
tick with the clock moved on. ``check`` asserts what no fault may change: every input row once
in the results, every charge once, the reprocess done once, nothing stuck or dead-lettered.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from chalicelib import topology
from chalicelib.clients import get_clients
from chalicelib.domain.errors import Conflict
from chalicelib.domain.models import PAUSED_STATUSES, Batch, BatchStatus
from chalicelib.domain.options import BatchOptions
from chalicelib.services.batches import resume_batch
from chalicelib.services.lifecycle import tick
from chalicelib.services.ports import Clock
from chalicelib.services.reprocess import reprocess_batch
from chalicelib.services.tenants import top_up
from tests.conftest import Aws
from tests.csvs import leads
from tests.faults import Faults, Killed
from tests.helpers import charged, create_batch, reload, results_rows, take_messages

ROWS, MATCHED_EVERY, START_BALANCE, TOP_UP = 250, 2, 60, 1000
MATCHED = len(range(0, ROWS, MATCHED_EVERY))
STEPS = ("split", "work", "resume", "tick", "finalize", "reprocess")
WRITES = {"dynamodb.PutItem", "dynamodb.UpdateItem", "dynamodb.DeleteItem",
          "dynamodb.TransactWriteItems", "dynamodb.BatchWriteItem", "sqs.SendMessage",
          "sqs.SendMessageBatch", "sqs.DeleteMessage", "sqs.DeleteMessageBatch",
          "sqs.ChangeMessageVisibilityBatch", "s3.PutObject", "s3.CreateMultipartUpload",
          "s3.UploadPart", "s3.CompleteMultipartUpload"}


@dataclass
class World:
    """A provisioned moto, a tenant and its batch, a clock the tick reads, faults, chaos."""

    aws: Aws
    faults: Faults
    now: list[float] = field(default_factory=lambda: [1_760_000_000.0])
    duplicate: bool = False  # every message delivered twice
    copied: set[str] = field(default_factory=set)  # bodies already sent a second time
    reorder: random.Random | None = None  # queues shuffled before every delivery
    step: str = ""
    batch: Batch | None = None
    tenant_id: str = ""
    trace: list[tuple[str, str, str]] = field(default_factory=list)  # (step, operation, target)
    outage: set[str] = field(default_factory=set)  # emails the vendor times out on until reprocess
    timed_out: int = 0  # rows that failed on the outage (the reprocess takes them too)

    def __post_init__(self) -> None:
        self.aws.ports.clock = Clock(epoch=lambda: self.now[0], sleep=lambda _: None)

    @contextmanager
    def in_step(self, name: str) -> Iterator[None]:
        """Faults whose match names this step strike only while it runs."""
        self.step, previous = name, self.step
        try:
            yield
        finally:
            self.step = previous

    def pump(self, spec: topology.QueueSpec) -> None:
        """Deliver a queue until it is empty, with the world's duplicates and reordering."""
        ports = self.aws.ports
        for _ in range(200):
            if self.duplicate or self.reorder:
                bodies = take_messages(ports, spec)
                if self.duplicate:  # each message once more (not its copy: that would never end)
                    bodies += [body for body in bodies if body not in self.copied]
                    self.copied.update(bodies)
                if self.reorder:
                    self.reorder.shuffle(bodies)
                ports.queue.send(ports.queue_name(spec), bodies)
            if not self.aws.mappings[spec.name].poll_once():
                return
        raise AssertionError(f"{spec.name} never drained")

    def drain(self) -> None:
        """Every queue until all are empty."""
        for _ in range(50):
            for spec in topology.QUEUES:
                self.pump(spec)
            if not any(self.aws.mappings[s.name].outstanding() for s in topology.QUEUES):
                return
        raise AssertionError("the pipeline never went idle")


def run_script(world: World) -> None:
    """The batch's whole life; a fault (a death, an error) ends a step early, ``recover`` mends."""
    aws = world.aws
    tenant = aws.tenant(START_BALANCE)
    world.tenant_id = tenant.tenant_id
    world.batch = create_batch(aws.ports, tenant.tenant_id, leads(ROWS, MATCHED_EVERY), "leads.csv",
                               BatchOptions())
    _step(world, "split", lambda: world.pump(topology.INGEST))
    _step(world, "work", lambda: world.pump(topology.WORK))
    top_up(aws.ports, tenant.tenant_id, TOP_UP)
    _step(world, "resume", lambda: _resume(world))
    take_messages(aws.ports, topology.WORK)  # lost: the batch stalls until the tick continues it
    _step(world, "tick", lambda: _tick(world))
    _step(world, "work", lambda: world.pump(topology.WORK))
    _lose_finalize(world)
    _step(world, "tick", lambda: _tick(world))
    _step(world, "finalize", lambda: world.pump(topology.FINALIZE))
    recover(world, want=BatchStatus.COMPLETED)  # the client waits for the batch to complete
    world.timed_out = _batch(world).counts.failed
    world.outage.clear()  # the vendor is back: the reprocess finds what it timed out on
    _step(world, "reprocess", lambda: _reprocess(world))
    _step(world, "work", lambda: world.pump(topology.WORK))
    _step(world, "finalize", lambda: world.pump(topology.FINALIZE))
    recover(world, want=BatchStatus.COMPLETED)
    world.now[0] += 600  # the next minute's tick drops what a dead tick left in a DLQ
    tick(aws.ports)
    _settle_down(world)


def target(operation: str, params: dict[str, Any]) -> str:
    """What a write is on: its table, queue or key prefix (transactions: the tables they touch)."""
    if operation == "dynamodb.TransactWriteItems":
        tables = sorted({str(action.get("TableName", "")).rsplit("-", 1)[-1]
                         for item in params.get("TransactItems", []) for action in item.values()})
        return "+".join(tables)
    if "TableName" in params:
        return str(params["TableName"]).removeprefix("batch-enrich-")
    if "QueueUrl" in params:
        return str(params["QueueUrl"]).rsplit("/", 1)[-1].removeprefix("batch-enrich-")
    return str(params.get("Key", "")).split("/", 1)[0]


def record_writes(world: World) -> None:
    """Note every write the steps make, as (step, operation, target), in ``world.trace``."""
    def note(model: Any, params: dict[str, Any], **_: Any) -> None:
        operation = f"{model.service_model.service_name}.{model.name}"
        if operation in WRITES and world.step:
            world.trace.append((world.step, operation, target(operation, params)))

    clients = get_clients()
    for client in (clients.dynamodb, clients.sqs, clients.s3):
        client.meta.events.register("before-parameter-build", note)


def _step(world: World, name: str, action: Callable[[], None]) -> None:
    struck = sum(world.faults.injected.values())
    broke = False
    with world.in_step(name):
        try:
            action()
        except Killed:
            broke = True  # the process died here; the next one starts in recover
        except Exception as error:  # an API call answered an error to its client
            broke = True
            world.trace.append((name, "raised", type(error).__name__))
    if broke or sum(world.faults.injected.values()) != struck:
        recover(world, want=None)


def client_call(world: World, call: Callable[[], None]) -> None:
    """A client's API call: while it gets no answer (the server died, AWS erred: a 5xx) it calls
    again; a 409 means it was done already (the client reads the status)."""
    for _ in range(4):
        try:
            call()
            return
        except Killed:
            world.faults.revive()  # the next request reaches a live process
        except Conflict:
            return
        except Exception as error:
            world.trace.append((world.step, "raised", type(error).__name__))
    raise AssertionError("the client never got an answer")


def _resume(world: World) -> None:
    def call() -> None:
        batch = _batch(world)
        if batch.status in PAUSED_STATUSES:
            resume_batch(world.aws.ports, batch.tenant_id, batch.batch_id)

    client_call(world, call)


def _reprocess(world: World) -> None:
    def call() -> None:
        batch = _batch(world)
        if batch.status is BatchStatus.COMPLETED and (batch.counts.not_found or batch.counts.failed):
            reprocess_batch(world.aws.ports, batch.tenant_id, batch.batch_id, failed_only=False)

    client_call(world, call)


def _tick(world: World) -> None:
    world.now[0] += 600
    tick(world.aws.ports)


def _lose_finalize(world: World) -> None:
    """The finalize message failed its five receives: it waits in the DLQ for the tick."""
    ports = world.aws.ports
    for body in take_messages(ports, topology.FINALIZE):
        ports.queue.send(ports.settings.name(topology.FINALIZE.dlq_name), [body])


def _batch(world: World) -> Batch:
    assert world.batch is not None
    return reload(world.aws.ports, world.batch)


def recover(world: World, want: BatchStatus | None) -> None:
    """The platform's recovery after a fault: a new process, the messages it held back, the
    queues drained; then, until the batch is ``want`` and finished, the tick with time moved on."""
    world.faults.revive()
    world.faults.expire_in_flight()
    _settle_down(world)
    for _ in range(8):
        batch = _batch(world)
        if want is None or (batch.status is want and batch.finished_at is not None):
            return
        world.now[0] += 600  # ten minutes: whatever a process or a tick hid is visible again
        world.faults.expire_in_flight()
        with world.in_step("tick"):
            try:
                tick(world.aws.ports)
            except Killed:
                world.faults.revive()
            except Exception as error:  # a failed invocation: the schedule runs the next one
                world.trace.append(("tick", "raised", type(error).__name__))
        _settle_down(world)


def _settle_down(world: World) -> None:
    for _ in range(5):
        try:
            world.drain()
            return
        except Killed:
            world.faults.revive()
            world.faults.expire_in_flight()


def check(world: World) -> dict[str, Any]:
    """Every row once, every charge once, nothing stuck; the figures of the run."""
    ports = world.aws.ports
    batch = _batch(world)
    assert batch.status is BatchStatus.COMPLETED and batch.finished_at is not None, batch
    rows = results_rows(ports, batch)
    assert [int(r["row_index"]) for r in rows] == list(range(ROWS))
    assert [r["id"] for r in rows] == [f"L{i}" for i in range(ROWS)]
    spent = charged(ports, world.tenant_id)
    assert spent == batch.credits_spent == MATCHED == batch.counts.completed
    assert sum(int(r["enrich_credits"]) for r in rows) == MATCHED
    assert sum(int(r["credits"]) for r in results_rows(ports, batch, "credits.csv")) == MATCHED
    assert world.aws.balance(world.tenant_id) == START_BALANCE + TOP_UP - MATCHED
    assert batch.counts.settled == ROWS and batch.counts.parked == 0
    # the reprocess ran once: each row it took settled a second time, no row a third
    settled = sum(part.settled for chunk in ports.batches.chunks(batch.batch_id)
                  for part in chunk.parts)
    assert settled == ROWS + (ROWS - MATCHED) + world.timed_out, settled
    for spec in topology.QUEUES:
        assert take_messages(ports, spec, dead_letters=True) == [], spec.name
    return {"rows": ROWS, "charged": spent}
