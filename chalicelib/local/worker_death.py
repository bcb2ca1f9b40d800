"""The benchmark's recovery figure: one batch undisturbed and the same batch with a worker killed.

Side by side in one local runtime (as ``batch-enrich run`` drives it): the batch runs
undisturbed, then again while one worker process is killed with SIGKILL once a share of its
rows settled, then undisturbed again (the machine's load drifts: the two undisturbed runs
bracket the disturbed one). Each run checks every row once in results.csv and every charge
once (ledger = credits_spent = matched rows = credits.csv).
"""

from __future__ import annotations

import csv
import io
import os
import signal
import time
from pathlib import Path
from typing import Any

from chalicelib.domain.models import BatchStatus
from chalicelib.domain.options import BatchOptions
from chalicelib.keys import results_key
from chalicelib.local.datagen import write_leads
from chalicelib.local.runtime import LocalRuntime
from chalicelib.services.batches import start_batch
from chalicelib.services.ports import Ports, get_ports
from chalicelib.services.tenants import create_tenant


def run_worker_death(rows: int, folder: Path, workers: int = 2, kill_at: float = 0.4) -> dict[str, Any]:
    """Seconds of the batch undisturbed, with one worker killed, and undisturbed again; checks."""
    source = write_leads(folder / f"leads-{rows}.csv", rows)
    runtime = LocalRuntime(work_concurrency=workers).start()
    try:
        runs = [_timed(runtime, source, None), _timed(runtime, source, kill_at),
                _timed(runtime, source, None)]
    finally:
        runtime.stop()
    undisturbed = [runs[0]["seconds"], runs[2]["seconds"]]
    mean = sum(undisturbed) / 2
    return {"rows": rows, "workers": workers, "killed_when_settled": kill_at,
            "undisturbed_seconds": undisturbed, "killed_worker_seconds": runs[1]["seconds"],
            "ratio_to_undisturbed_mean": round(runs[1]["seconds"] / mean, 2),
            "killed_at_seconds": runs[1]["killed_at_seconds"], "runs": runs}


def _timed(runtime: LocalRuntime, source: Path, kill_at: float | None) -> dict[str, Any]:
    """One batch from upload to results; kills a worker once ``kill_at`` of the rows settled."""
    ports = get_ports()
    tenant = create_tenant(ports, "recovery", 10**9)
    started = time.perf_counter()
    with source.open("rb") as stream:
        batch = start_batch(ports, tenant.tenant_id, stream, source.name, BatchOptions())
    killed_at: float | None = None
    while True:
        current = ports.batches.get(batch.tenant_id, batch.batch_id)
        assert current is not None
        if current.finished_at is not None:
            break
        total = current.total_rows or 0
        if kill_at is not None and killed_at is None and total and \
                current.counts.settled >= kill_at * total:
            victim = runtime.workers[0].pid
            if victim is not None:
                os.kill(victim, signal.SIGKILL)
                killed_at = time.perf_counter() - started
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "status": current.status.value,
            "killed_at_seconds": None if killed_at is None else round(killed_at, 2),
            **_checks(ports, tenant.tenant_id, current)}


def _checks(ports: Ports, tenant_id: str, batch: Any) -> dict[str, Any]:
    """Every row once in results.csv; every charge once across ledger, batch and credits.csv."""
    results = _read(ports, results_key(batch, "results.csv"))
    credits = _read(ports, results_key(batch, "credits.csv"))
    indexes = [int(row["row_index"]) for row in results]
    ledger = -sum(int(e["credits"]) for e in ports.ledger.entries(tenant_id) if e["kind"] == "charge")
    return {"completed": batch.status is BatchStatus.COMPLETED,
            "every_row_once": indexes == list(range(batch.total_rows or 0)),
            "charged_once": ledger == batch.credits_spent == batch.counts.completed * batch.price
            == sum(int(row["credits"]) for row in credits),
            "rows": len(results), "credits": ledger}


def _read(ports: Ports, key: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(ports.blobs.read(key).decode("utf-8"), newline="")))
