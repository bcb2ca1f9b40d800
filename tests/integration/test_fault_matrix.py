"""The fault matrix: at every AWS write of every step (split, work, resume, tick, finalize,
reprocess) the process dies before it or right after it, or AWS answers throttling, a
transaction conflict or an item over DynamoDB's size limit; and, apart, every message is
delivered twice, queues are reordered, S3 events are duplicated. After recovery (the tick
included) every input row is in the results exactly once, every charge is in the ledger once,
and nothing is left stuck or dead-lettered (``tests/chaos.py``).

The writes come from a clean run's trace, so a new write in any step joins the matrix by
itself. ``FAULT_MATRIX=all`` runs every (write, fault) pair (docs/reliability.md has its
figures: over 100 cases); by default (bounded time, ~15 cases) each step's key
write (``KEY``) gets a death before and after it, and each error kind strikes one step.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib import topology
from chalicelib.clients import get_clients
from tests.api_client import Cases
from tests.chaos import World, check, record_writes, run_script, target
from tests.conftest import Aws, fresh_aws
from tests.faults import ITEM_TOO_LARGE, Faults
from tests.helpers import email_outage

ERRORS: dict[str, dict[str, tuple[str, str]]] = {
    "throttled": {"dynamodb": ("ProvisionedThroughputExceededException", "Rate of requests exceeds"),
                  "sqs": ("ThrottlingException", "Rate exceeded"), "s3": ("SlowDown", "Reduce rate")},
    "conflict": {"dynamodb": ("TransactionConflictException", "Transaction is ongoing")},
    "too_large": {"dynamodb": ITEM_TOO_LARGE},
}
DEATHS = ("dies before", "dies after")
# Per step, the write whose crash windows matter most (a step missing here takes its first).
KEY = {"split": ("sqs.SendMessageBatch", "work"),  # the checkpoint committed, its chunks not sent yet
       "work": ("dynamodb.TransactWriteItems", "batches+chunks+ledger+tenants"),  # the charge
       "resume": ("dynamodb.UpdateItem", "batches"),  # resumed, nothing sent yet (finding 3)
       "reprocess": ("dynamodb.UpdateItem", "batches"),  # reopened, nothing sent yet (finding 3)
       "finalize": ("s3.PutObject", "results"),  # some files written, the batch not completed
       "tick": ("sqs.SendMessageBatch", "work")}  # a stalled batch's parts (heal counted first)
ERRORS_AT = {"too_large": ("split", "dynamodb.UpdateItem", "batches"),  # finding 1's trigger
             "conflict": ("work", "dynamodb.TransactWriteItems", "batches+chunks+ledger+tenants"),
             "throttled": ("tick", "sqs.SendMessageBatch", "finalize")}


@dataclass(frozen=True)
class Case:
    """One fault at the first write of this kind in one step."""

    step: str
    operation: str
    target: str
    fault: str

    def __str__(self) -> str:
        return f"{self.step}: {self.fault} {self.operation} on {self.target}"


@pytest.fixture
def moto() -> Iterator[tuple[Aws, Faults]]:
    """One provisioned moto for many worlds (each has its own tenant and batch) and its faults."""
    with fresh_aws() as aws:
        yield aws, Faults(get_clients())


def writes_of_a_clean_run(aws: Aws, faults: Faults) -> list[tuple[str, str, str]]:
    """Every distinct (step, operation, target) write the script makes when nothing fails."""
    world = World(aws, faults)
    record_writes(world)
    run_script(world)
    check(world)
    return sorted({t for t in world.trace if t[1] != "raised"})


def cases(writes: list[tuple[str, str, str]], everything: bool) -> list[Case]:
    """Deaths before and after every write; the error faults on every write they apply to
    (``everything``) or taking turns over the writes."""
    found = [Case(*write, death) for write in writes for death in DEATHS]
    turn = 0
    for write in writes:
        service = write[1].split(".")[0]
        applicable = [name for name, codes in ERRORS.items() if service in codes]
        if everything:
            found += [Case(*write, name) for name in applicable]
        elif applicable:
            found.append(Case(*write, applicable[turn % len(applicable)]))
            turn += 1
    return found


def _strike(world: World, case: Case) -> None:
    def here(params: dict[str, Any]) -> bool:
        return world.step == case.step and target(case.operation, params) == case.target

    if case.fault in DEATHS:
        world.faults.kill(case.operation, case.fault.split()[1], match=here)
        return
    code, message = ERRORS[case.fault][case.operation.split(".")[0]]
    world.faults.fail(case.operation, code, message, times=2, match=here)


def run_case(aws: Aws, faults: Faults, case: Case) -> None:
    """The script with this fault; the invariants after recovery."""
    faults.clear()
    world = World(aws, faults)
    _strike(world, case)
    run_script(world)
    assert faults.injected, f"{case} never struck"
    faults.injected.clear()
    check(world)


def sample(found: list[Case]) -> list[Case]:
    """The default run: a death before and after each step's key write, each error kind once."""
    chosen: list[Case] = []
    for step in sorted({case.step for case in found}):
        mine = [case for case in found if case.step == step]
        key = KEY.get(step, (mine[0].operation, mine[0].target))
        chosen += [c for c in mine if (c.operation, c.target) == key and c.fault in DEATHS]
    for fault, (step, operation, where) in ERRORS_AT.items():
        chosen.append(Case(step, operation, where, fault))
    return chosen


def test_every_write_of_every_step_survives_death_and_errors_with_every_row_and_charge_once(
        moto: tuple[Aws, Faults]) -> None:
    aws, faults = moto
    writes = writes_of_a_clean_run(aws, faults)
    steps = {step for step, _, _ in writes}
    assert steps >= {"split", "work", "resume", "tick", "finalize", "reprocess"}, steps
    everything = os.environ.get("FAULT_MATRIX") == "all"
    found = cases(writes, everything)
    results = Cases()
    for case in found if everything else sample(found):
        with results.case(str(case)):
            run_case(aws, faults, case)
    results.check()


@pytest.mark.parametrize("chaos", ["every message twice", "queues reordered", "S3 event twice",
                                   "vendor timeouts"])
def test_duplicates_reordering_and_vendor_timeouts_change_nothing(
        moto: tuple[Aws, Faults], chaos: str, monkeypatch: pytest.MonkeyPatch) -> None:
    world = World(*moto)
    if chaos == "every message twice":
        world.duplicate = True
    elif chaos == "queues reordered":
        world.reorder = random.Random(7)
    elif chaos == "S3 event twice":
        _duplicate_s3_events(world)
    else:  # the first tries of some billable rows time out: failed, uncharged, then reprocessed
        world.outage.update(f"person{i}@example.com" for i in (0, 64, 130, 198, 248))
        email_outage(monkeypatch, world.outage)
    run_script(world)
    check(world)
    assert world.timed_out == (5 if chaos == "vendor timeouts" else 0)


def _duplicate_s3_events(world: World) -> None:
    """Every S3 notification arrives twice, the copy before the first one was split."""
    mapping = world.aws.mappings[topology.INGEST.name]
    real = mapping.poll_once
    ports = world.aws.ports
    name = ports.queue_name(topology.INGEST)
    copied: set[str] = set()

    def twice() -> int:
        for message in ports.queue.receive(name, 0):
            if '"Records"' in message.body and message.body not in copied:
                copied.add(message.body)
                ports.queue.send(name, [message.body])
        return real()

    mapping.poll_once = twice  # type: ignore[method-assign,assignment]
