"""Finding 4: a dead worker's chunk comes back within ``heartbeat_seconds``, not the queue's
visibility timeout (360 s for the work queue); a live worker keeps its chunk however long it works.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import topology
from chalicelib.clients import get_clients
from chalicelib.domain.enrich.pipeline import Pipeline
from chalicelib.domain.models import BatchStatus
from chalicelib.domain.options import BatchOptions
from tests.conftest import Aws
from tests.csvs import leads
from tests.faults import Faults, Killed
from tests.helpers import charged, create_batch, reload

WINDOW = 2  # heartbeat_seconds in these tests


@pytest.fixture
def beating(aws: Aws) -> Iterator[Aws]:
    aws.ports.settings = aws.ports.settings.model_copy(update={"heartbeat_seconds": WINDOW})
    yield aws


def _until(condition: Any, seconds: float) -> float:
    """Seconds until ``condition()`` held (polling), or fail after ``seconds``."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s")


@pytest.mark.parametrize("dies_at", [
    # right after its receive, before its heartbeat's first beat (its first request: the batch's
    # read; locally the poller dies with the worker: a long poll it left waiting in the emulator
    # can still take messages for it)
    "dynamodb.GetItem",
    "dynamodb.TransactWriteItems",  # while settling
])
def test_the_chunk_of_a_worker_that_died_comes_back_within_the_heartbeat(
        beating: Aws, dies_at: str) -> None:
    # GIVEN a chunk queued, and a worker that dies at ``dies_at``
    aws = beating
    tenant = aws.tenant(1000)
    batch = create_batch(aws.ports, tenant.tenant_id, leads(100), "leads.csv", BatchOptions())
    aws.pump(topology.INGEST)
    faults = Faults(get_clients())
    faults.kill(dies_at, "before")

    with pytest.raises(Killed):
        aws.pump(topology.WORK)
    faults.revive()
    died = time.monotonic()

    # THEN the chunk is delivered again within the heartbeat, not the queue's 360 s, and the
    # batch completes, charged once
    back = _until(lambda: aws.pump(topology.WORK) > 0, WINDOW + 10)
    aws.drain()
    assert time.monotonic() - died < WINDOW + 2, back
    done = reload(aws.ports, batch)
    assert done.status is BatchStatus.COMPLETED
    assert done.credits_spent == 100 == charged(aws.ports, tenant.tenant_id)


def test_a_live_worker_keeps_its_chunk_while_it_works_longer_than_the_heartbeat(
        beating: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    aws = beating
    tenant = aws.tenant(1000)
    batch = create_batch(aws.ports, tenant.tenant_id, leads(3), "leads.csv", BatchOptions())
    aws.pump(topology.INGEST)
    slow = threading.Event()
    enrich = Pipeline.enrich_row

    def slow_enrich(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
        slow.set()
        time.sleep(WINDOW)  # three rows: three windows of work
        return enrich(self, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "enrich_row", slow_enrich)
    worker = threading.Thread(target=aws.pump, args=(topology.WORK,))
    worker.start()
    slow.wait(10)
    stolen = 0
    while worker.is_alive():  # another worker polling all along never gets the chunk
        stolen += aws.mappings[topology.WORK.name].poll_once()
        time.sleep(0.2)
    worker.join()

    assert stolen == 0
    aws.drain()
    assert reload(aws.ports, batch).status is BatchStatus.COMPLETED
