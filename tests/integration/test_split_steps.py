"""A file split in steps, through the split handler on moto: each step stops before its deadline
and the next goes on from the checkpoint; a process killed anywhere in it goes on from the last
checkpoint. Every chunk reaches the work queue exactly once, every row is in the results once,
every charge is in the ledger once.

The deadline is made tiny by the setting: with ``split_reserve_seconds`` above the function's
timeout, every step is out of time after its first ten chunks (five rows each here).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from chalicelib import topology
from chalicelib.clients import get_clients
from chalicelib.domain.messages import ChunkMessage
from chalicelib.domain.models import BatchStatus
from chalicelib.domain.options import BatchOptions
from chalicelib.services.lifecycle import tick
from chalicelib.services.ports import Clock
from tests.conftest import Aws
from tests.csvs import leads
from tests.faults import Faults, Killed, Match
from tests.helpers import charged, create_batch, reload, results_rows, take_messages

ROWS, MATCHED_EVERY, CHUNK_ROWS = 333, 3, 5
CHUNKS = -(-ROWS // CHUNK_ROWS)  # 67: seven steps of ten chunks
MATCHED = len(range(0, ROWS, MATCHED_EVERY))


@dataclass
class Run:
    """One batch split in steps, with what reached the work queue."""

    aws: Aws
    faults: Faults
    now: list[float] = field(default_factory=lambda: [1_760_000_000.0])
    sent: Counter[int] = field(default_factory=Counter)  # chunk -> part-0 messages seen
    rows: Counter[int] = field(default_factory=Counter)  # row index -> times it travelled
    splits: int = 0  # split invocations

    def split(self) -> None:
        """The ingest queue until it is empty; a killed invocation's message comes back."""
        for _ in range(200):
            try:
                got = self.aws.mappings[topology.INGEST.name].poll_once()
            except Killed:
                self.faults.revive()
                self.faults.expire_in_flight()
                got = 1
            self.splits += got
            if not got:
                return
        raise AssertionError("split never finished")

    def collect(self) -> None:
        """Note every chunk message waiting on the work queue, and put it back."""
        ports = self.aws.ports
        bodies = take_messages(ports, topology.WORK)
        for body in bodies:
            message = ChunkMessage.model_validate_json(body)
            self.sent[message.chunk] += 1
            self.rows.update(row.i for row in message.rows or [])
        ports.queue.send(ports.queue_name(topology.WORK), bodies)

    def until_completed(self) -> None:
        """Split, work, finalize; the tick (ten minutes on) whenever the batch stalls."""
        for _ in range(6):
            self.split()
            self.collect()
            self.aws.drain()
            batch = reload(self.aws.ports, self.batch)
            if batch.status is BatchStatus.COMPLETED:
                return
            self.now[0] += 600
            tick(self.aws.ports)
        raise AssertionError(f"never completed: {reload(self.aws.ports, self.batch)}")

    def start(self) -> None:
        """A tenant and its batch (the API's path: the file checked, stored, its event queued)."""
        self.tenant_id = self.aws.tenant(10_000).tenant_id
        self.batch = create_batch(self.aws.ports, self.tenant_id, leads(ROWS, MATCHED_EVERY))


@pytest.fixture
def run(aws: Aws) -> Iterator[Run]:
    """Tiny chunks and a tiny deadline: ten chunks a step."""
    aws.ports.settings = aws.ports.settings.model_copy(update={
        "chunk_rows": CHUNK_ROWS, "split_reserve_seconds": 10_000.0})
    made = Run(aws, Faults(get_clients()))
    aws.ports.clock = Clock(epoch=lambda: made.now[0], sleep=lambda _: None)
    made.start()
    yield made


def _check(run: Run) -> None:
    ports = run.aws.ports
    batch = reload(ports, run.batch)
    assert batch.status is BatchStatus.COMPLETED
    assert batch.total_rows == ROWS and batch.chunks_total == CHUNKS
    assert run.sent == Counter(range(CHUNKS)), "every chunk sent exactly once"
    assert run.rows == Counter(range(ROWS)), "every row in exactly one chunk"
    rows = results_rows(ports, batch)
    assert [int(r["row_index"]) for r in rows] == list(range(ROWS))
    assert [r["id"] for r in rows] == [f"L{i}" for i in range(ROWS)]
    assert charged(ports, run.tenant_id) == batch.credits_spent == MATCHED == batch.counts.completed
    assert sum(int(r["credits"]) for r in results_rows(ports, batch, "credits.csv")) == MATCHED
    assert run.aws.balance(run.tenant_id) == 10_000 - MATCHED
    for spec in topology.QUEUES:
        assert take_messages(ports, spec, dead_letters=True) == [], spec.name


def test_a_file_splits_in_steps_each_from_the_last_checkpoint(run: Run) -> None:
    run.until_completed()

    _check(run)
    checkpoint = reload(run.aws.ports, run.batch).split_checkpoint
    assert checkpoint is not None and (checkpoint.row, checkpoint.chunk) == (ROWS, CHUNKS)
    assert checkpoint.steps == 7, run.splits  # six hand-overs: each step sent ten chunks


def _commits(params: dict[str, object]) -> bool:
    return "split_sent" in str(params.get("UpdateExpression", ""))


def _to(queue: str) -> Match:
    return lambda params: str(params.get("QueueUrl", "")).endswith(f"-{queue}")


@pytest.mark.parametrize(("operation", "when", "match", "skip"), [
    # between a checkpoint and the send of the chunks it covers: they are lost, never sent
    # twice; the tick sends them once the batch is quiet
    ("dynamodb.UpdateItem", "after", _commits, 3),
    ("sqs.SendMessageBatch", "before", _to("work"), 3),
    # after a send, before the next checkpoint (mid-step): the step starts again from it
    ("sqs.SendMessageBatch", "after", _to("work"), 2),
    # the hand-over sent, its own message not deleted yet: two invocations go on, one wins
    ("sqs.SendMessageBatch", "after", _to("ingest"), 1),
    ("sqs.DeleteMessageBatch", "before", _to("ingest"), 2),
], ids=["after-checkpoint", "before-send", "after-send", "after-hand-over", "before-delete"])
def test_a_split_killed_anywhere_goes_on_without_a_chunk_twice_or_missing(
        run: Run, operation: str, when: str, match: Match, skip: int) -> None:
    run.faults.kill(operation, when, match=match, skip=skip)

    run.until_completed()

    assert run.faults.injected, "the fault struck"
    _check(run)


def test_a_duplicate_event_in_the_middle_of_a_split_sends_nothing_twice(run: Run) -> None:
    ports = run.aws.ports
    event = take_messages(ports, topology.INGEST)
    ports.queue.send(ports.queue_name(topology.INGEST), event * 2)  # S3 delivered it twice

    run.until_completed()

    _check(run)


def test_a_deduplicating_batch_killed_mid_split_skips_exactly_the_repeated_records(aws: Aws) -> None:
    aws.ports.settings = aws.ports.settings.model_copy(update={
        "chunk_rows": CHUNK_ROWS, "split_reserve_seconds": 10_000.0})
    run = Run(aws, Faults(get_clients()))
    aws.ports.clock = Clock(epoch=lambda: run.now[0], sleep=lambda _: None)
    run.tenant_id = aws.tenant(10_000).tenant_id
    # 333 rows, 150 distinct emails: a record comes back two and more steps after its first
    data = "id,email\r\n" + "".join(f"L{i},p{i % 150}@example.com\r\n" for i in range(ROWS))
    run.batch = create_batch(aws.ports, run.tenant_id, data.encode(), options=BatchOptions(dedupe=True))
    run.faults.kill("sqs.SendMessageBatch", "after", match=_to("work"), skip=3)  # mid-step

    run.until_completed()

    assert run.faults.injected
    batch = reload(aws.ports, run.batch)
    assert run.sent == Counter(range(CHUNKS)) and batch.total_rows == ROWS
    rows = results_rows(aws.ports, batch)
    duplicates = [int(r["row_index"]) for r in rows if r["enrich_error"] == "duplicate"]
    assert duplicates == list(range(150, ROWS))
    assert charged(aws.ports, run.tenant_id) == batch.credits_spent == 150 == batch.counts.completed
