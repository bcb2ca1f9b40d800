"""Finding 4, end to end: a worker process killed with SIGKILL while a batch runs costs seconds
(its chunks come back after the heartbeat), not the work queue's 6-minute visibility timeout;
every row once, charged once. (The 20k-row figure is the benchmark's:
``bench --worker-death 20000``, in docs/reliability.md.) A worker killed right after its first
receive costs seconds too: it loaded its handlers before polling, so its heartbeat is not
waiting behind their import while the batch it received stays hidden for the visibility timeout.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from chalicelib import topology
from chalicelib.domain.models import Batch, BatchStatus
from chalicelib.domain.options import BatchOptions
from chalicelib.local.datagen import write_leads
from chalicelib.local.runtime import LocalRuntime
from chalicelib.services.batches import start_batch
from chalicelib.services.ports import Ports, get_ports
from chalicelib.services.tenants import create_tenant
from tests.helpers import charged, results_rows

pytestmark = pytest.mark.e2e
ROWS = 6_000


def _until(ports: Ports, batch: Batch, done: str, seconds: float) -> Batch:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        current = ports.batches.get(batch.tenant_id, batch.batch_id)
        assert current is not None
        if (done == "started" and current.counts.settled > 0) or current.finished_at is not None:
            return current
        time.sleep(0.05)
    raise AssertionError(f"the batch was not {done} within {seconds} s")


def test_a_worker_killed_mid_batch_costs_seconds_and_nothing_twice(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "CRITICAL")  # the worker's death is expected here
    runtime = LocalRuntime(work_concurrency=2).start()
    try:
        ports = get_ports()
        tenant = create_tenant(ports, "Acme", 10 * ROWS)
        with write_leads(tmp_path / "leads.csv", ROWS).open("rb") as stream:
            batch = start_batch(ports, tenant.tenant_id, stream, "leads.csv", BatchOptions())
        _until(ports, batch, "started", 120)
        victim = runtime.workers[0].pid
        assert victim is not None
        os.kill(victim, signal.SIGKILL)
        killed = time.monotonic()
        done = _until(ports, batch, "finished", topology.WORK.visibility_timeout / 2)
        after_kill = time.monotonic() - killed
        rows = results_rows(ports, done)
        ledger = charged(ports, tenant.tenant_id)
    finally:
        runtime.stop()

    assert done.status is BatchStatus.COMPLETED, done
    assert after_kill < topology.WORK.visibility_timeout / 3, after_kill
    assert [int(r["row_index"]) for r in rows] == list(range(ROWS))
    assert done.counts.settled == done.total_rows == ROWS
    assert done.credits_spent == done.counts.completed == ledger
    assert sum(int(r["enrich_credits"]) for r in rows) == ledger


def test_a_worker_killed_right_after_its_first_receive_costs_seconds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "CRITICAL")
    runtime = LocalRuntime(work_concurrency=1).start()
    try:
        ports = get_ports()
        tenant = create_tenant(ports, "Acme", 10 * ROWS)
        victim = runtime.workers[0].pid
        assert victim is not None
        with write_leads(tmp_path / "leads.csv", 1_000).open("rb") as stream:
            batch = start_batch(ports, tenant.tenant_id, stream, "leads.csv", BatchOptions())
        while not any(q.in_flight for q in runtime.queue_states() if q.name == topology.WORK.name):
            time.sleep(0.01)
        os.kill(victim, signal.SIGKILL)
        killed = time.monotonic()
        done = _until(ports, batch, "finished", topology.WORK.visibility_timeout / 2)
        after_kill = time.monotonic() - killed
        ledger = charged(ports, tenant.tenant_id)
    finally:
        runtime.stop()

    assert done.status is BatchStatus.COMPLETED, done
    assert after_kill < 6 * ports.settings.heartbeat_seconds, after_kill
    assert done.counts.settled == done.total_rows == 1_000
    assert done.credits_spent == done.counts.completed == ledger
