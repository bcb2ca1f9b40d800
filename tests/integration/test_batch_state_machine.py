"""Stateful property: the batch and billing state machine on the real adapters against moto.

Hypothesis drives one tenant through any order of: upload, deliver a queue (each message
possibly twice), a process dying before or after any AWS write of a handler or a client call,
the tick (time moved on), top-up (with its auto-resume), resume, a credit cap set or raised,
cancel, reprocess (failed, not found, refresh). After every step: the balance is never
negative, the ledger's charges equal the batches' spend and the balance's fall, no batch spent
more than its cap or than its billable rows allow, no row is counted twice. At the end, with
the queues drained and the tick run until nothing moves: no batch is stuck (each one completed
or cancelled, or paused for a reason the tick cannot lift; none failed, since every fault here
passes), every row of a finished batch is in its results exactly once, and what the results
charge is what the ledger charged.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from chalicelib import topology
from chalicelib.clients import get_clients
from chalicelib.domain.errors import Conflict, InsufficientCredits, InvalidRequest
from chalicelib.domain.models import PAUSED_STATUSES, TERMINAL_STATUSES, Batch, BatchStatus
from chalicelib.domain.options import BatchOptions, BatchPatch
from chalicelib.services.batches import cancel_batch, patch_batch, resume_batch
from chalicelib.services.lifecycle import tick, top_up_and_resume
from chalicelib.services.ports import Clock
from chalicelib.services.reprocess import reprocess_batch
from tests.conftest import Aws, fresh_aws
from tests.csvs import leads
from tests.faults import Faults, Killed
from tests.helpers import create_batch, results_rows, take_messages

WRITES = ("dynamodb.PutItem", "dynamodb.UpdateItem", "dynamodb.TransactWriteItems",
          "sqs.SendMessageBatch", "sqs.DeleteMessageBatch", "s3.PutObject")
Death = tuple[str, str] | None  # (operation, "before" | "after")
deaths = st.none() | st.tuples(st.sampled_from(WRITES), st.sampled_from(["before", "after"]))
EXAMPLES = int(os.environ.get("STATEFUL_EXAMPLES", "6"))  # bounded in make test; more by hand
REFUSALS = (Conflict, InsufficientCredits, InvalidRequest)  # a 4xx: the client reads the status


@dataclass
class Tracked:
    """What the test knows of one batch: its rows, how many are billable, refreshes asked."""

    batch_id: str
    rows: int
    billable: int
    refreshes: int = 0


@dataclass
class Moto:
    """One provisioned moto for every example (each has its own tenant) and a clock to move."""

    aws: Aws
    faults: Faults
    now: list[float]


class BatchLife(RuleBasedStateMachine):
    """One tenant's batches under any order of the customer's, the platform's and fate's moves."""

    batches = Bundle("batches")
    shared: ClassVar[Moto]  # set by the test: one moto for every example

    def __init__(self) -> None:
        super().__init__()
        self.aws, self.faults, self.now = self.shared.aws, self.shared.faults, self.shared.now
        self.ports = self.aws.ports
        self.credited = 40
        self.tenant_id = self.aws.tenant(self.credited).tenant_id
        self.tracked: dict[str, Tracked] = {}

    # -- the customer --------------------------------------------------------------------------
    @initialize(target=batches, rows=st.integers(1, 90), billable_every=st.integers(1, 3),
                cap=st.none() | st.integers(1, 50))
    def first_upload(self, rows: int, billable_every: int, cap: int | None) -> str:
        return self._upload(rows, billable_every, cap)

    @precondition(lambda self: len(self.tracked) < 3)
    @rule(target=batches, rows=st.integers(1, 90), billable_every=st.integers(1, 3),
          cap=st.none() | st.integers(1, 50))
    def upload(self, rows: int, billable_every: int, cap: int | None) -> str:
        return self._upload(rows, billable_every, cap)

    def _upload(self, rows: int, billable_every: int, cap: int | None) -> str:
        batch = create_batch(self.ports, self.tenant_id, leads(rows, billable_every), "l.csv",
                             BatchOptions(max_credits=cap))
        self.tracked[batch.batch_id] = Tracked(batch.batch_id, rows,
                                               len(range(0, rows, billable_every)))
        return batch.batch_id

    @rule(amount=st.integers(1, 60), death=deaths)
    def top_up(self, amount: int, death: Death) -> None:
        answered = self._call(lambda: top_up_and_resume(self.ports, self.tenant_id, amount), death)
        if answered or self._topped_up(amount):  # a death after the write still topped up
            self.credited += amount

    @rule(batch_id=batches, death=deaths)
    def resume(self, batch_id: str, death: Death) -> None:
        self._call(lambda: resume_batch(self.ports, self.tenant_id, batch_id), death)

    @rule(batch_id=batches, cap=st.integers(1, 120))
    def set_cap(self, batch_id: str, cap: int) -> None:
        self._call(lambda: patch_batch(self.ports, self.tenant_id, batch_id,
                                       BatchPatch(max_credits=cap)), None)

    @rule(batch_id=batches, death=deaths)
    def cancel(self, batch_id: str, death: Death) -> None:
        self._call(lambda: cancel_batch(self.ports, self.tenant_id, batch_id), death)

    @rule(batch_id=batches, which=st.sampled_from(["failed", "not found", "refresh"]),
          death=deaths)
    def reprocess(self, batch_id: str, which: str, death: Death) -> None:
        refresh = which == "refresh"
        if refresh:  # counted whether or not it is accepted: an upper bound on the spend
            self.tracked[batch_id].refreshes += 1
        self._call(lambda: reprocess_batch(self.ports, self.tenant_id, batch_id,
                                           failed_only=which == "failed", refresh=refresh), death)

    # -- the platform and fate -----------------------------------------------------------------
    @rule(queue=st.sampled_from(topology.QUEUES), twice=st.booleans(), death=deaths)
    def deliver(self, queue: topology.QueueSpec, twice: bool, death: Death) -> None:
        if twice:  # what is waiting now arrives twice (SQS's at-least-once delivery)
            bodies = take_messages(self.ports, queue)
            self.ports.queue.send(self.ports.queue_name(queue), bodies + bodies)
        self._arm(death)
        with suppress(Killed):  # the invocation died with its messages; their heartbeat stops
            self.aws.mappings[queue.name].poll_once()
        self._after_death()

    @rule(death=deaths)
    def catch_up(self, death: Death) -> None:
        """The workers catch up: every queue delivered until idle (a death may strike once)."""
        self._arm(death)
        with suppress(Killed):
            self._drain()
        self._after_death()

    @rule(death=deaths)
    def run_tick(self, death: Death) -> None:
        self.now[0] += 600  # ten minutes: whatever a dead process held is visible again
        self.faults.expire_in_flight()
        self._arm(death)
        with suppress(Killed, Exception):  # a failed invocation; the schedule runs the next one
            tick(self.ports)
        self._after_death()

    # -- what no step may break ----------------------------------------------------------------
    @invariant()
    def books_balance(self) -> None:
        balance = self._balance()
        assert balance >= 0
        charges: dict[str, int] = {}
        for entry in self.ports.ledger.entries(self.tenant_id):
            if entry["kind"] == "charge":
                charges[entry["batch_id"]] = charges.get(entry["batch_id"], 0) - int(entry["credits"])
        assert sum(charges.values()) == self.credited - balance
        assert sum(int(e["credits"]) for e in self.ports.ledger.entries(self.tenant_id)) == balance
        for batch in self._batches():
            known = self.tracked[batch.batch_id]
            assert charges.get(batch.batch_id, 0) == batch.credits_spent, batch
            assert batch.credits_spent <= known.billable * (1 + known.refreshes), batch
            assert batch.max_credits is None or batch.credits_spent <= batch.max_credits, batch
            assert batch.counts.settled + batch.counts.parked <= known.rows, batch

    def teardown(self) -> None:
        """Drain and tick until nothing moves; then nothing is stuck and every row is there once."""
        self.faults.clear()
        for _ in range(12):
            self._drain()
            self.run_tick(None)
            self._drain()
            if all(self._settled(batch) for batch in self._batches()):
                break
        for batch in self._batches():
            assert self._settled(batch), f"stuck: {batch}"
            assert batch.status is not BatchStatus.FAILED, f"every fault here passes: {batch}"
            event(f"a batch ended {batch.status.value}")
            if batch.has_results:
                self._check_results(batch)
        for spec in topology.QUEUES:
            assert take_messages(self.ports, spec, dead_letters=True) == [], spec.name
        for batch in self._batches():  # the next example's ticks need not look at these
            if batch.status in PAUSED_STATUSES:
                cancel_batch(self.ports, self.tenant_id, batch.batch_id)
        self._drain()

    # -- helpers -------------------------------------------------------------------------------
    def _settled(self, batch: Batch) -> bool:
        """Finished, or paused for a reason only the customer can lift (nothing in flight)."""
        if batch.status in TERMINAL_STATUSES:
            return batch.finished_at is not None
        if batch.status is BatchStatus.PAUSED_INSUFFICIENT_CREDITS:
            short = self._balance() < batch.price
        elif batch.status is BatchStatus.PAUSED_CREDIT_CAP:
            short = batch.max_credits is not None and \
                batch.max_credits - batch.credits_spent < batch.price
        else:
            return False
        return short and batch.counts.settled + batch.counts.parked == batch.total_rows

    def _check_results(self, batch: Batch) -> None:
        rows = results_rows(self.ports, batch)
        assert [int(r["row_index"]) for r in rows] == list(range(self.tracked[batch.batch_id].rows))
        if not self.tracked[batch.batch_id].refreshes:
            assert sum(int(r["enrich_credits"]) for r in rows) == batch.credits_spent, batch
            credits = results_rows(self.ports, batch, "credits.csv")
            assert sum(int(r["credits"]) for r in credits) == batch.credits_spent, batch

    def _call(self, call: Callable[[], object], death: Death) -> bool:
        """A client's call with an armed death; True when it answered (a 4xx is an answer)."""
        self._arm(death)
        try:
            call()
            return True
        except REFUSALS as refusal:
            event(f"refused: {type(refusal).__name__}")
            return True
        except Killed:
            event("a client call died")
            return False  # a 5xx: the client calls again later, or not (the tick finishes it)
        finally:
            self._after_death()

    def _topped_up(self, amount: int) -> bool:
        """Whether a top-up that got no answer was written (its ledger entry says so)."""
        topups = sum(int(e["credits"]) for e in self.ports.ledger.entries(self.tenant_id)
                     if e["kind"] == "topup")
        return topups == self.credited + amount  # the opening balance is a top-up too

    def _arm(self, death: Death) -> None:
        if death is not None:
            self.faults.kill(death[0], death[1])

    def _after_death(self) -> None:
        self.faults.clear()  # a death that did not strike does not wait for a later step
        self.faults.expire_in_flight()

    def _drain(self) -> None:
        for _ in range(40):
            if not sum(self.aws.mappings[s.name].poll_once() for s in topology.QUEUES):
                return

    def _balance(self) -> int:
        return self.aws.balance(self.tenant_id)

    def _batches(self) -> list[Batch]:
        found = [self.ports.batches.get(self.tenant_id, batch_id) for batch_id in self.tracked]
        return [batch for batch in found if batch is not None]


@pytest.fixture
def moto() -> Iterator[Moto]:
    """moto with chunks of 20 rows (more parts, more interleavings) and a clock the test moves."""
    with fresh_aws() as aws:
        now = [1_760_000_000.0]
        aws.ports.clock = Clock(epoch=lambda: now[0], sleep=lambda _: None)
        aws.ports.settings = aws.ports.settings.model_copy(update={"chunk_rows": 20})
        yield Moto(aws, Faults(get_clients()), now)


def test_no_order_of_steps_loses_a_row_charges_twice_or_leaves_a_batch_stuck(moto: Moto) -> None:
    class OnThisMoto(BatchLife):
        shared = moto

    run_state_machine_as_test(
        OnThisMoto,
        settings=settings(max_examples=EXAMPLES, stateful_step_count=20, deadline=None,
                          suppress_health_check=list(HealthCheck)))
